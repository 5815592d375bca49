/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_check.c - CHECK: the pod's interface and RDMA device still match prevResult; then IPAM CHECK.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/cmd.h"
#include "rdmanet/iflink.h"
#include "rdmanet/ipaddr.h"
#include "rdmanet/ipaddr_sysctl.h"
#include "rdmanet/ipam_exec.h"
#include "rdmanet/iprule.h"
#include "rdmanet/log.h"
#include "rdmanet/netns.h"
#include "rdmanet/rdmadev_sysfs.h"
#include "rdmanet/state.h"
#include "rdmanet/verbs.h"

static int find_iface(const struct cni_result *prev, const struct cni_env *env)
{
	for (unsigned i = 0; i < prev->n_ifaces; i++)
		if (!strcmp(prev->ifaces[i].name, env->ifname) &&
		    (!prev->ifaces[i].sandbox || !strcmp(prev->ifaces[i].sandbox, env->netns)))
			return (int) i;
	return -ENOENT;
}

static int check_link(const struct cni_env *env, const struct config *cfg,
		      const struct iflink_info *master, const struct iflink_info *link,
		      const struct cni_iface *want, struct cni_err *err)
{
	char alias[IFLINK_ALIAS_MAX], mac[64];
	const struct iflink_ops *ops = iflink_ops_of(cfg, master);

	if (ops->kind && strcmp(link->kind, ops->kind))
		return err_set(err, -EINVAL, RDMANET_ERR_CHECK, NULL,
			       "'%s' in the pod is a '%s' link, not the %s rdmanet created",
			       env->ifname, link->kind[0] ? link->kind : "physical", ops->kind);
	if (iflink_alias(env->containerid, env->ifname, alias) < 0 ||
	    !iflink_alias_matches(link->alias, alias))
		return err_set(err, -EINVAL, RDMANET_ERR_CHECK, NULL,
			       "'%s' in the pod was not created by rdmanet for container "
			       "'%.64s' (alias '%s')",
			       env->ifname, env->containerid, link->alias);
	iflink_format_hwaddr(link->addr, link->addr_len, mac, sizeof(mac));
	if (want->mac[0] && strcasecmp(want->mac, mac))
		return err_set(err, -EINVAL, RDMANET_ERR_CHECK, NULL,
			       "'%s' has MAC %s, prevResult says %s", env->ifname, mac, want->mac);
	if (!(link->flags & IFF_UP))
		return err_set(err, -EINVAL, RDMANET_ERR_CHECK, NULL, "'%s' is down", env->ifname);
	if (ops->check)
		return ops->check(link, cfg, env->ifname, err);
	return 0;
}

/* "rdma=<dev> port=<n> gid=<i>" after the base alias; false when the label has none. */
static bool parse_rdma_label(const char *alias, char *dev, size_t len, unsigned *port, int *gid)
{
	const char *p = strstr(alias, " rdma=");
	size_t n;

	*port = 1;
	*gid = -1;
	if (!p)
		return false;
	p += 6;
	n = strcspn(p, " ");
	if (!n || n >= len)
		return false;
	memcpy(dev, p, n);
	dev[n] = '\0';
	if ((p = strstr(p, " port=")))
		*port = (unsigned) strtoul(p + 6, NULL, 10);
	if ((p = strstr(alias, " gid=")))
		*gid = (int) strtol(p + 5, NULL, 10);
	return *port > 0 && *port < 256;
}

/* The GID index of ip, through libibverbs as a workload sees it, or sysfs without it. */
static int gid_of(bool verbs, const char *dev, unsigned port, const struct cni_ip *ip,
		  struct rdmadev_gid *g)
{
	unsigned char want[16];
	unsigned index;
	int r;

	if (!verbs)
		return rdmadev_gid_find(dev, port, ip->family, ip->addr, g);
	r = rdmadev_ip_gid(ip->family, ip->addr, want);
	if (r >= 0)
		r = verbs_gid_find(dev, port, want, &index);
	if (r < 0)
		return r;
	memset(g, 0, sizeof(*g));
	g->index = index;
	memcpy(g->gid, want, 16);
	return 0;
}

/*
 * What the pod sees, from inside its netns and with its own sysfs view: the RDMA device named in
 * the label, its port ACTIVE with the expected link layer (libibverbs, as a workload would
 * open it), and the GID of the pod's IP at the published index (RoCE).
 */
static int check_rdma(const struct cni_env *env, const struct config *cfg, int nsfd,
		      const struct iflink_info *link, const struct cni_result *prev, int idx,
		      struct cni_err *err)
{
	char dev[RDMADEV_NAME_MAX], buf[INET6_ADDRSTRLEN], why[256];
	struct netns_view view;
	struct verbs_port vp;
	struct rdmadev_gid g;
	const struct cni_ip *ip = NULL;
	bool want_eth = link->type == ARPHRD_ETHER;
	unsigned port;
	bool verbs;
	int gid, r, r2, code = 0;

	if (!parse_rdma_label(link->alias, dev, sizeof(dev), &port, &gid)) {
		if (cfg->rdma_mode == RDMA_MODE_SHARED || cfg->rdma_mode == RDMA_MODE_EXCLUSIVE)
			return err_set(err, -ENODEV, RDMANET_ERR_CHECK, NULL,
				       "'%s' has no RDMA device, and rdma.mode '%s' requires one",
				       env->ifname, config_rdma_mode_name(cfg->rdma_mode));
		log_warn("'%s' was attached without an RDMA device: the pod has IP only",
			 env->ifname);
		return 0;
	}
	for (unsigned i = 0; i < prev->n_ips && !ip; i++)
		if ((prev->ips[i].iface < 0 || prev->ips[i].iface == idx) &&
		    prev->ips[i].family == AF_INET)
			ip = &prev->ips[i];
	for (unsigned i = 0; i < prev->n_ips && !ip; i++)
		if (prev->ips[i].iface < 0 || prev->ips[i].iface == idx)
			ip = &prev->ips[i];

	r = netns_enter_view(nsfd, &view);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_NETNS, NULL,
			       "cannot enter the pod network namespace with its sysfs view");
	why[0] = '\0';
	r = verbs_load(why, sizeof(why));
	verbs = r >= 0;
	if (verbs) {
		r = verbs_query_port(dev, port, &vp);
		if (r == -ENODEV) {
			code = 1;
		} else if (r == -ENOENT) {
			code = 6;
			r = 0;
		} else if (r >= 0 && vp.state != 4 /* ACTIVE */) {
			code = 2;
		} else if (r >= 0 && (vp.link_layer == VERBS_LINK_LAYER_ETHERNET) != want_eth) {
			code = 3;
		}
	} else {
		log_warn("%s: checking RDMA device '%s' through sysfs only", why, dev);
		r = 0;
	}
	if (r >= 0 && !code && want_eth && ip) {
		r = gid_of(verbs, dev, port, ip, &g);
		if (r == -ENOENT) {
			code = 4;
			r = 0;
		} else if (r >= 0 && gid >= 0 && (int) g.index != gid) {
			code = 5;
		}
	}
	r2 = netns_leave_view(&view);
	if (r2 < 0)
		return err_set(err, r2, RDMANET_ERR_NETNS, NULL,
			       "cannot return to the host namespaces");
	if (r < 0 && r != -ENODEV)
		return err_set(err, r, RDMANET_ERR_CHECK, NULL,
			       "cannot query RDMA device '%s' in the pod", dev);
	if (ip)
		(void) inet_ntop(ip->family, ip->addr, buf, sizeof(buf));
	switch (code) {
	case 1:
		return err_set(err, -ENODEV, RDMANET_ERR_CHECK, NULL,
			       "RDMA device '%s' is not visible in the pod: in exclusive mode it "
			       "must be in the pod's netns",
			       dev);
	case 2:
		return err_set(err, -ENETDOWN, RDMANET_ERR_CHECK, NULL,
			       "port %u of RDMA device '%s' is %s, not ACTIVE", port, dev,
			       verbs_port_state_name(vp.state));
	case 3:
		return err_set(err, -EINVAL, RDMANET_ERR_CHECK, NULL,
			       "port %u of RDMA device '%s' has link layer %s, '%s' is %s", port,
			       dev, want_eth ? "InfiniBand" : "Ethernet", env->ifname,
			       want_eth ? "Ethernet" : "InfiniBand");
	case 6:
		return err_set(err, -ENOENT, RDMANET_ERR_CHECK, NULL,
			       "RDMA device '%s' has no uverbs device node "
			       "(/dev/infiniband/uverbsN): load ib_uverbs on the node",
			       dev);
	case 4:
		return err_set(err, -ENOENT, RDMANET_ERR_CHECK, NULL,
			       "the GID table of RDMA device '%s' port %u has no entry for %s", dev,
			       port, buf);
	case 5:
		return err_set(err, -EINVAL, RDMANET_ERR_CHECK, NULL,
			       "%s is at GID index %u of RDMA device '%s', the "
			       "label of '%s' says %d",
			       buf, g.index, dev, env->ifname, gid);
	}
	return 0;
}

/*
 * A chained plugin (sbr) moved a route of ours into table other: fine when a rule sends traffic
 * from one of the interface's addresses there, which is how such a plugin makes it apply.
 */
static int route_moved(struct netlink *pod, int idx, const struct cni_result *prev,
		       const struct cni_route *rt, unsigned other, const char *dst,
		       struct cni_err *err)
{
	char src[INET6_ADDRSTRLEN] = "";
	int r;

	for (unsigned i = 0; i < prev->n_ips; i++) {
		const struct cni_ip *ip = &prev->ips[i];

		if ((ip->iface >= 0 && ip->iface != idx) || ip->family != rt->family)
			continue;
		r = iprule_has(pod, ip->family, ip->addr, other, false);
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_CHECK, netlink_errmsg(pod),
				       "cannot list the routing rules of the pod");
		(void) inet_ntop(ip->family, ip->addr, src, sizeof(src));
		if (r) {
			log_debug("route to %s/%u is in table %u, where a rule "
				  "sends traffic from %s",
				  dst, rt->dst_len, other, src);
			return 0;
		}
	}
	return err_set(err, 0, RDMANET_ERR_CHECK, NULL,
		       "route to %s/%u from prevResult is not in the %s table but in table %u, and "
		       "no rule sends traffic from %s there: restore the rule or the route",
		       dst, rt->dst_len, rt->table >= 0 ? "configured" : "main", other,
		       src[0] ? src : "the interface's addresses");
}

/* arp_ignore, arp_announce and rp_filter as the config asks (set by ADD). */
static int check_sysctls(int nsfd, const struct cni_env *env, const struct config *cfg,
			 struct cni_err *err)
{
	const struct {
		const char *key;
		int want;
	} v4[] = {
		{ "arp_ignore", cfg->arp_ignore },
		{ "arp_announce", cfg->arp_announce },
		{ "rp_filter", cfg->rp_filter },
	};
	int saved = -1, r, r2, have = 0;
	size_t i;

	r = netns_enter(nsfd, &saved);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_NETNS, NULL,
			       "cannot enter the pod network namespace");
	for (i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
		r = ipaddr_sysctl_get("ipv4", env->ifname, v4[i].key, &have);
		if (r < 0 || have != v4[i].want)
			break;
	}
	r2 = netns_restore(&saved);
	if (r2 < 0)
		return err_set(err, r2, RDMANET_ERR_NETNS, NULL,
			       "cannot return to the host network namespace");
	if (i == sizeof(v4) / sizeof(v4[0]))
		return 0;
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_CHECK, NULL, "cannot read %s of '%s' in the pod",
			       v4[i].key, env->ifname);
	return err_set(err, -EINVAL, RDMANET_ERR_CHECK, NULL,
		       "net.ipv4.conf.%s.%s is %d, the network config asks for %d", env->ifname,
		       v4[i].key, have, v4[i].want);
}

/*
 * routing 'table': the attachment's own table holds each address's connected route and, per
 * family with a gateway, a default route (unless the IPAM's routes had one, checked above),
 * and a rule of ours sends traffic from each address there.
 */
static int check_table(struct netlink *pod, const struct cni_env *env, int ifindex, int idx,
		       const struct cni_result *prev, unsigned table, struct cni_err *err)
{
	const unsigned char *gw4, *gw6;
	char buf[INET6_ADDRSTRLEN];
	int r;

	ipaddr_gateways(prev, idx, &gw4, &gw6);
	for (unsigned i = 0; i < prev->n_ips; i++) {
		const struct cni_ip *ip = &prev->ips[i];
		const unsigned char *gw = ip->family == AF_INET ? gw4 : gw6;
		struct cni_route rt = { .family = ip->family,
					.dst_len = ip->prefixlen,
					.mtu = -1,
					.advmss = -1,
					.priority = -1,
					.table = (int) table,
					.scope = -1 };
		bool has_default;

		if (ip->iface >= 0 && ip->iface != idx)
			continue;
		(void) inet_ntop(ip->family, ip->addr, buf, sizeof(buf));
		r = iprule_has(pod, ip->family, ip->addr, table, true);
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_CHECK, netlink_errmsg(pod),
				       "cannot list the routing rules of the pod");
		if (!r)
			return err_set(err, 0, RDMANET_ERR_CHECK, NULL,
				       "the rule 'from %s lookup %u' of '%s' is missing: traffic "
				       "from %s does not use its own routing table",
				       buf, table, env->ifname, buf);
		if (ip->prefixlen < (ip->family == AF_INET ? 32u : 128u)) {
			ipaddr_prefix(ip->family, ip->addr, ip->prefixlen, rt.dst);
			r = ipaddr_route_has(pod, ifindex, &rt, NULL, NULL, NULL);
			if (r < 0)
				return err_set(err, r, RDMANET_ERR_CHECK, netlink_errmsg(pod),
					       "cannot list the routes of the pod");
			if (!r)
				return err_set(err, 0, RDMANET_ERR_CHECK, NULL,
					       "the connected route of %s/%u is missing "
					       "from table %u of '%s'",
					       buf, ip->prefixlen, table, env->ifname);
		}
		has_default = ipaddr_default_in(prev, ip->family, table);
		if (!gw && !has_default) {
			r = ipaddr_route_unreachable_has(pod, ip->family, table);
			if (r < 0)
				return err_set(err, r, RDMANET_ERR_CHECK, netlink_errmsg(pod),
					       "cannot list the routes of the pod");
			if (!r)
				return err_set(err, 0, RDMANET_ERR_CHECK, NULL,
					       "table %u of '%s' does not end with 'unreachable "
					       "default': traffic from %s could leave "
					       "on another interface",
					       table, env->ifname, buf);
			continue;
		}
		if (has_default)
			continue;
		memset(rt.dst, 0, sizeof(rt.dst));
		rt.dst_len = 0;
		rt.has_gw = true;
		memcpy(rt.gw, gw, ip->family == AF_INET ? 4 : 16);
		r = ipaddr_route_has(pod, ifindex, &rt, NULL, NULL, NULL);
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_CHECK, netlink_errmsg(pod),
				       "cannot list the routes of the pod");
		if (!r)
			return err_set(err, 0, RDMANET_ERR_CHECK, NULL,
				       "the default route via the gateway %s is missing "
				       "from table %u of '%s'",
				       inet_ntop(ip->family, gw, buf, sizeof(buf)) ? buf : "?",
				       table, env->ifname);
	}
	return 0;
}

static int check_addrs(struct netlink *pod, const struct cni_env *env, int ifindex, int idx,
		       const struct cni_result *prev, unsigned table, struct cni_err *err)
{
	const unsigned char *gw4, *gw6;
	char buf[INET6_ADDRSTRLEN];
	unsigned flags;
	int r;

	for (unsigned i = 0; i < prev->n_ips; i++) {
		const struct cni_ip *ip = &prev->ips[i];

		if (ip->iface >= 0 && ip->iface != idx)
			continue;
		r = ipaddr_flags(pod, ifindex, ip, &flags);
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_CHECK, netlink_errmsg(pod),
				       "cannot list the addresses of '%s'", env->ifname);
		(void) inet_ntop(ip->family, ip->addr, buf, sizeof(buf));
		if (!r)
			return err_set(err, 0, RDMANET_ERR_CHECK, NULL,
				       "address %s/%u from prevResult is missing on '%s'", buf,
				       ip->prefixlen, env->ifname);
		if (flags & IFA_F_DADFAILED)
			return err_set(err, 0, RDMANET_ERR_CHECK, NULL,
				       "address %s on '%s' failed duplicate address detection: "
				       "another host on the network uses it",
				       buf, env->ifname);
	}
	ipaddr_gateways(prev, idx, &gw4, &gw6);
	for (unsigned i = 0; i < prev->n_routes; i++) {
		struct cni_route rt = prev->routes[i];
		unsigned other;

		if (table && rt.table < 0)
			rt.table = (int) table;
		r = ipaddr_route_has(pod, ifindex, &rt, gw4, gw6, &other);
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_CHECK, netlink_errmsg(pod),
				       "cannot list the routes of the pod");
		(void) inet_ntop(rt.family, rt.dst, buf, sizeof(buf));
		if (!r && !other)
			return err_set(err, 0, RDMANET_ERR_CHECK, NULL,
				       "route to %s/%u from prevResult is missing on '%s' (looked "
				       "in every routing table)",
				       buf, rt.dst_len, env->ifname);
		if (!r) {
			r = route_moved(pod, idx, prev, &rt, other, buf, err);
			if (r < 0)
				return r;
		}
	}
	return table ? check_table(pod, env, ifindex, idx, prev, table, err) : 0;
}

int cmd_check(const struct cni_env *env, const struct config *cfg, struct cni_err *err)
{
	_cleanup_(netlink_close) struct netlink host = { 0 }, pod = { 0 };
	_cleanup_(cni_result_free) struct cni_result prev = { 0 };
	_cleanup_close_ int nsfd = -1;
	struct iflink_info link, master = { 0 };
	int r, idx;

	r = cni_result_parse(cfg->prev_result, "prevResult", CNI_ERR_INVALID_CONFIG, &prev, err);
	if (r < 0)
		return r;
	idx = find_iface(&prev, env);
	if (idx < 0)
		return err_set(err, 0, RDMANET_ERR_CHECK, NULL,
			       "prevResult lists no interface '%s' in sandbox '%s'", env->ifname,
			       env->netns);

	r = netlink_open(&host);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_INTERNAL, NULL, "cannot open a netlink socket");
	r = iflink_ops_config(cfg)->check_host(&host, env, cfg, &master, err);
	if (r < 0)
		return r;

	nsfd = cmd_open_netns(env, err);
	if (nsfd < 0)
		return nsfd;
	r = cmd_netlink_in(nsfd, NETLINK_ROUTE, &pod, err);
	if (r < 0)
		return r;
	r = iflink_find(&pod, env->ifname, &link);
	if (r == -ENOENT)
		return err_set(err, 0, RDMANET_ERR_CHECK, NULL,
			       "interface '%s' is missing from CNI_NETNS '%s'", env->ifname,
			       env->netns);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_CHECK, netlink_errmsg(&pod),
			       "cannot look up '%s' in the pod", env->ifname);
	r = check_link(env, cfg, &master, &link, &prev.ifaces[idx], err);
	if (r >= 0)
		r = check_addrs(&pod, env, link.ifindex, idx, &prev,
				cfg->routing == ROUTING_TABLE ? iprule_table(link.ifindex) : 0,
				err);
	if (r >= 0)
		r = check_sysctls(nsfd, env, cfg, err);
	if (r >= 0 && cfg->rdma_mode != RDMA_MODE_NONE)
		r = check_rdma(env, cfg, nsfd, &link, &prev, idx, err);
	if (r < 0)
		return r;

	if (cfg->has_ipam) {
		_cleanup_free_ char *out = NULL;

		r = ipam_exec(cfg, env, CNI_CMD_CHECK, &out, err);
		if (r < 0)
			return r;
	}
	return 0;
}
