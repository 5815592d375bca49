/* SPDX-License-Identifier: Apache-2.0 */
/* iflink.c - generic link operations over rtnetlink; kind specifics live in iflink_<kind>.c. */
#include <errno.h>
#include <net/if_arp.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/iflink.h"

DEFINE_CLEANUP(struct nl_msg *, nlmsg_free)

static struct nl_msg *link_msg(int type, int flags, int ifindex, unsigned ifi_flags,
			       unsigned ifi_change)
{
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC,
		.ifi_index = ifindex,
		.ifi_flags = ifi_flags,
		.ifi_change = ifi_change,
	};
	struct nl_msg *msg = nlmsg_alloc_simple(type, flags);

	if (msg && nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static const struct iflink_ops *const child_kinds[] = { &iflink_macvlan_ops, &iflink_ipoib_ops };

const struct iflink_ops *iflink_ops_find(const char *kind)
{
	for (size_t i = 0; i < sizeof(child_kinds) / sizeof(child_kinds[0]); i++)
		if (!strcmp(kind, child_kinds[i]->kind))
			return child_kinds[i];
	return NULL;
}

static void parse_linkinfo(struct nlattr *li, struct iflink_info *info)
{
	struct nlattr *tb[IFLA_INFO_MAX + 1];
	const struct iflink_ops *ops;

	if (nla_parse_nested(tb, IFLA_INFO_MAX, li, NULL) < 0)
		return;
	if (tb[IFLA_INFO_KIND])
		(void) snprintf(info->kind, sizeof(info->kind), "%.*s", nla_len(tb[IFLA_INFO_KIND]),
				(char *) nla_data(tb[IFLA_INFO_KIND]));
	info->kind[strcspn(info->kind, "\0")] = '\0';
	if (!tb[IFLA_INFO_DATA])
		return;
	ops = iflink_ops_find(info->kind);
	if (ops)
		ops->parse_data(tb[IFLA_INFO_DATA], info);
}

static int parse_link(struct nlmsghdr *h, struct iflink_info *info)
{
	struct nlattr *tb[IFLA_MAX + 1];
	struct ifinfomsg *ifi;

	if (h->nlmsg_type != RTM_NEWLINK || !nlmsg_valid_hdr(h, sizeof(*ifi)))
		return -EBADMSG;
	if (nlmsg_parse(h, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0)
		return -EBADMSG;
	ifi = nlmsg_data(h);
	memset(info, 0, sizeof(*info));
	info->ifindex = ifi->ifi_index;
	info->type = ifi->ifi_type;
	info->flags = ifi->ifi_flags;
	if (tb[IFLA_IFNAME])
		(void) snprintf(info->name, sizeof(info->name), "%s",
				nla_get_string(tb[IFLA_IFNAME]));
	if (tb[IFLA_MTU] && nla_len(tb[IFLA_MTU]) >= 4)
		info->mtu = nla_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_ADDRESS]) {
		int n = nla_len(tb[IFLA_ADDRESS]);
		info->addr_len = (unsigned) (n > IFLINK_HWADDR_MAX ? IFLINK_HWADDR_MAX : n);
		memcpy(info->addr, nla_data(tb[IFLA_ADDRESS]), info->addr_len);
	}
	if (tb[IFLA_BROADCAST]) {
		int n = nla_len(tb[IFLA_BROADCAST]);
		info->broadcast_len = (unsigned) (n > IFLINK_HWADDR_MAX ? IFLINK_HWADDR_MAX : n);
		memcpy(info->broadcast, nla_data(tb[IFLA_BROADCAST]), info->broadcast_len);
	}
	if (tb[IFLA_LINK] && nla_len(tb[IFLA_LINK]) >= 4)
		info->link = (int) nla_get_u32(tb[IFLA_LINK]);
	if (tb[IFLA_GROUP] && nla_len(tb[IFLA_GROUP]) >= 4)
		info->group = nla_get_u32(tb[IFLA_GROUP]);
	if (tb[IFLA_OPERSTATE] && nla_len(tb[IFLA_OPERSTATE]) >= 1)
		info->operstate = nla_get_u8(tb[IFLA_OPERSTATE]);
	if (tb[IFLA_IFALIAS])
		(void) snprintf(info->alias, sizeof(info->alias), "%.*s", nla_len(tb[IFLA_IFALIAS]),
				(char *) nla_data(tb[IFLA_IFALIAS]));
	info->alias[strcspn(info->alias, "\0")] = '\0';
	if (tb[IFLA_LINKINFO])
		parse_linkinfo(tb[IFLA_LINKINFO], info);
	return 0;
}

static int on_link(struct nlmsghdr *h, void *arg)
{
	return parse_link(h, arg);
}

static int get_link(struct netlink *nl, int ifindex, const char *name, struct iflink_info *info)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = link_msg(RTM_GETLINK, 0, ifindex, 0, 0);
	int r;

	if (!msg)
		return -ENOMEM;
	if (name && nla_put_string(msg, IFLA_IFNAME, name) < 0)
		return -EMSGSIZE;
	(void) nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	info->ifindex = 0;
	r = netlink_talk(nl, msg, on_link, info);
	if (r == -ENODEV)
		return -ENOENT;
	if (r >= 0 && info->ifindex <= 0)
		return -ENOENT;
	return r;
}

int iflink_find(struct netlink *nl, const char *name, struct iflink_info *info)
{
	return get_link(nl, 0, name, info);
}

int iflink_find_index(struct netlink *nl, int ifindex, struct iflink_info *info)
{
	return get_link(nl, ifindex, NULL, info);
}

struct foreach_ctx {
	int (*fn)(const struct iflink_info *info, void *arg);
	void *arg;
};

static int on_each(struct nlmsghdr *h, void *arg)
{
	struct foreach_ctx *c = arg;
	struct iflink_info info;

	if (parse_link(h, &info) < 0)
		return 0;
	return c->fn(&info, c->arg);
}

int iflink_foreach(struct netlink *nl, int (*fn)(const struct iflink_info *info, void *arg),
		   void *arg)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = link_msg(RTM_GETLINK, NLM_F_DUMP, 0, 0, 0);
	struct foreach_ctx c = { fn, arg };

	if (!msg)
		return -ENOMEM;
	(void) nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return netlink_talk(nl, msg, on_each, &c);
}

const struct iflink_ops *iflink_ops_of(const struct config *cfg, const struct iflink_info *master)
{
	switch (cfg->link) {
	case LINK_MACVLAN:
		return &iflink_macvlan_ops;
	case LINK_IPOIB:
		return &iflink_ipoib_ops;
	case LINK_HOSTDEV:
		return &iflink_hostdev_ops;
	case LINK_AUTO:
		break;
	}
	return master->type == ARPHRD_INFINIBAND ? &iflink_ipoib_ops : &iflink_macvlan_ops;
}

const struct iflink_ops *iflink_ops_config(const struct config *cfg)
{
	static const struct iflink_info unknown = { 0 };

	return iflink_ops_of(cfg, &unknown);
}

const struct iflink_ops *iflink_ops_named(const char *name)
{
	static const struct iflink_ops *const kinds[] = { &iflink_macvlan_ops, &iflink_ipoib_ops,
							  &iflink_hostdev_ops };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(name, kinds[i]->name))
			return kinds[i];
	return NULL;
}

const struct iflink_ops *iflink_ops_of_link(const struct config *cfg,
					    const struct iflink_info *link)
{
	const struct iflink_ops *ops = iflink_ops_find(link->kind);

	return ops && !iflink_ops_config(cfg)->device ? ops : &iflink_hostdev_ops;
}

const struct iflink_ops *iflink_ops_select(const struct config *cfg,
					   const struct iflink_info *master, struct cni_err *err)
{
	const struct iflink_ops *ops;

	if (cfg->link == LINK_AUTO && master->type != ARPHRD_ETHER &&
	    master->type != ARPHRD_INFINIBAND) {
		(void) err_set(err, -EOPNOTSUPP, RDMANET_ERR_MASTER, NULL,
			       "master '%s' has link type %u, which rdmanet cannot pick a child "
			       "kind for: 'auto' supports Ethernet (RoCE) parents with macvlan "
			       "children and InfiniBand parents with IPoIB children",
			       master->name, master->type);
		return NULL;
	}
	ops = iflink_ops_of(cfg, master);
	if (ops->check_master && ops->check_master(master, cfg, err) < 0)
		return NULL;
	return ops;
}

struct nl_msg *iflink_create_msg(const struct iflink_ops *ops, const struct config *cfg,
				 const struct iflink_info *master, int netns_fd, const char *name,
				 unsigned group)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg =
		link_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0, 0, 0);
	unsigned mtu = ops->mtu(cfg, master);
	struct nlattr *li, *data;

	if (!msg)
		return NULL;
	if (nla_put_string(msg, IFLA_IFNAME, name) < 0 ||
	    nla_put_u32(msg, IFLA_LINK, (uint32_t) master->ifindex) < 0 ||
	    (netns_fd >= 0 && nla_put_u32(msg, IFLA_NET_NS_FD, (uint32_t) netns_fd) < 0))
		return NULL;
	if (mtu && nla_put_u32(msg, IFLA_MTU, mtu) < 0)
		return NULL;
	if (cfg->has_mac && nla_put(msg, IFLA_ADDRESS, sizeof(cfg->mac), cfg->mac) < 0)
		return NULL;
	if (group && nla_put_u32(msg, IFLA_GROUP, group) < 0)
		return NULL;
	if (!(li = nla_nest_start(msg, IFLA_LINKINFO)) ||
	    nla_put_string(msg, IFLA_INFO_KIND, ops->kind) < 0 ||
	    !(data = nla_nest_start(msg, IFLA_INFO_DATA)))
		return NULL;
	if (ops->fill_data(msg, cfg, master) < 0)
		return NULL;
	(void) nla_nest_end(msg, data);
	(void) nla_nest_end(msg, li);
	return TAKE_PTR(msg);
}

int iflink_create(struct netlink *nl, const struct iflink_ops *ops, const struct config *cfg,
		  const struct iflink_info *master, int netns_fd, const char *name, unsigned group)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg =
		iflink_create_msg(ops, cfg, master, netns_fd, name, group);

	if (!msg)
		return -ENOMEM;
	return netlink_talk(nl, msg, NULL, NULL);
}

int iflink_change(struct netlink *nl, int ifindex, int netns_fd, const char *name, unsigned mtu,
		  const char *alias)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = link_msg(RTM_NEWLINK, 0, ifindex, 0, 0);

	if (!msg)
		return -ENOMEM;
	if (netns_fd >= 0 && nla_put_u32(msg, IFLA_NET_NS_FD, (uint32_t) netns_fd) < 0)
		return -EMSGSIZE;
	if (name && nla_put_string(msg, IFLA_IFNAME, name) < 0)
		return -EMSGSIZE;
	if (mtu && nla_put_u32(msg, IFLA_MTU, mtu) < 0)
		return -EMSGSIZE;
	/* an empty alias removes it */
	if (alias && nla_put(msg, IFLA_IFALIAS, (int) strlen(alias), alias) < 0)
		return -EMSGSIZE;
	return netlink_talk(nl, msg, NULL, NULL);
}

int iflink_move_named(struct netlink *nl, int ifindex, int to_fd, struct netlink *to,
		      const char *name, unsigned mtu, const char *alias, bool *renamed)
{
	struct iflink_info there;

	*renamed = iflink_find(to, name, &there) >= 0;
	return iflink_change(nl, ifindex, to_fd, *renamed ? "dev%d" : name, mtu, alias);
}

int iflink_set_down(struct netlink *nl, int ifindex)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = link_msg(RTM_NEWLINK, 0, ifindex, 0, IFF_UP);

	if (!msg)
		return -ENOMEM;
	return netlink_talk(nl, msg, NULL, NULL);
}

/* Separate from creation: the kernel ignores IFLA_IFALIAS in a create request. */
int iflink_set_alias(struct netlink *nl, int ifindex, const char *alias)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = link_msg(RTM_NEWLINK, 0, ifindex, 0, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, IFLA_IFALIAS, alias) < 0)
		return -EMSGSIZE;
	return netlink_talk(nl, msg, NULL, NULL);
}

int iflink_claim(struct netlink *nl, int ifindex, const char *alias)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = link_msg(RTM_NEWLINK, 0, ifindex, 0, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, IFLA_IFALIAS, alias) < 0 || nla_put_u32(msg, IFLA_GROUP, 0) < 0)
		return -EMSGSIZE;
	return netlink_talk(nl, msg, NULL, NULL);
}

int iflink_set_up(struct netlink *nl, int ifindex)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg =
		link_msg(RTM_NEWLINK, 0, ifindex, IFF_UP, IFF_UP);

	if (!msg)
		return -ENOMEM;
	return netlink_talk(nl, msg, NULL, NULL);
}

int iflink_delete(struct netlink *nl, int ifindex)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = link_msg(RTM_DELLINK, 0, ifindex, 0, 0);
	int r;

	if (!msg)
		return -ENOMEM;
	r = netlink_talk(nl, msg, NULL, NULL);
	return r == -ENODEV ? -ENOENT : r;
}

int iflink_alias(const char *containerid, const char *ifname, char out[IFLINK_ALIAS_MAX])
{
	int n = snprintf(out, IFLINK_ALIAS_MAX, "rdmanet:%s:%s", containerid, ifname);

	return n < 0 || n >= IFLINK_ALIAS_MAX ? -ENAMETOOLONG : 0;
}

unsigned iflink_marker(const char *containerid, const char *ifname)
{
	char alias[IFLINK_ALIAS_MAX];
	uint32_t h = 2166136261u;

	if (iflink_alias(containerid, ifname, alias) < 0)
		return 0;
	for (const char *p = alias; *p; p++)
		h = (h ^ (unsigned char) *p) * 16777619u;
	return (h & 0x3fffffffu) | 0x40000000u;
}

bool iflink_alias_matches(const char *have, const char *base)
{
	size_t n = strlen(base);

	return !strncmp(have, base, n) && (have[n] == '\0' || have[n] == ' ');
}

void iflink_format_hwaddr(const unsigned char *addr, unsigned len, char *out, size_t outlen)
{
	size_t n = 0;

	if (outlen)
		out[0] = '\0';
	for (unsigned i = 0; i < len && n + 3 < outlen; i++)
		n += (size_t) snprintf(out + n, outlen - n, i ? ":%02x" : "%02x", addr[i]);
}
