/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_del.c - DEL: IPAM first, then the link; idempotent, fine without a netns. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/cmd.h"
#include "rdmanet/iflink.h"
#include "rdmanet/ipam_exec.h"
#include "rdmanet/iprule.h"
#include "rdmanet/log.h"
#include "rdmanet/netns.h"
#include "rdmanet/state.h"

/*
 * Is the pod's CNI_IFNAME ours? Its alias says so. Without an alias it is ours only when it is a
 * child of our kind bearing the marker group ADD creates it with (an ADD killed between creating
 * and labelling it): after ADD failed with 102 the runtime sends DEL, and another plugin's
 * interface of that name, unlabelled too, must survive it.
 */
static bool link_is_ours(const struct iflink_info *info, const char *alias,
			 const struct cni_env *env)
{
	if (info->alias[0])
		return iflink_alias_matches(info->alias, alias);
	return iflink_ops_find(info->kind) &&
	       info->group == iflink_marker(env->containerid, env->ifname);
}

/* Rules go with their interface: a link's deletion takes its routes, not the rules to them. */
static int delete_rules(struct netlink *pod, const struct cni_env *env, int ifindex,
			struct cni_err *err)
{
	int r = cmd_table_release(pod, iprule_table(ifindex));

	if (r < 0)
		return err_set(err, r, RDMANET_ERR_ADDR, netlink_errmsg(pod),
			       "cannot delete the routing rules of '%s' (table %u)", env->ifname,
			       iprule_table(ifindex));
	if (r > 0)
		log_info("deleted %d routing rule(s) to table %u", r, iprule_table(ifindex));
	return 0;
}

struct alias_search {
	const char *alias;
	struct iflink_info *out;
	bool found;
};

static int match_alias(const struct iflink_info *info, void *arg)
{
	struct alias_search *a = arg;

	if (!a->found && iflink_alias_matches(info->alias, a->alias)) {
		*a->out = *info;
		a->found = true;
	}
	return 0;
}

/*
 * A hostdev netdev back in the host (its pod's netns died, or an earlier DEL moved it and
 * stopped): our label travels with it; give it its name, MTU and empty alias back.
 */
static int hostdev_restore_in_host(struct netlink *host, const char *alias, const struct state *st,
				   struct cni_err *err)
{
	struct iflink_info info;
	struct alias_search a = { alias, &info, false };
	int r = iflink_foreach(host, match_alias, &a);

	if (r < 0)
		return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(host),
			       "cannot list the host's interfaces");
	if (!a.found) {
		log_info("'%s' is not in the host: a virtual device dies with its netns",
			 st->host_name);
		return 0;
	}
	if (strcmp(info.name, st->host_name) && info.flags & IFF_UP)
		(void) iflink_set_down(host, info.ifindex);
	r = iflink_change(host, info.ifindex, -1, strcmp(info.name, st->host_name) ? st->host_name : NULL,
			  st->host_mtu != info.mtu ? st->host_mtu : 0, "");
	if (r == -EEXIST) {
		log_warn("cannot rename '%s' back to '%s': the name is taken, leaving it as '%s'",
			 info.name, st->host_name, info.name);
		r = iflink_change(host, info.ifindex, -1, NULL, st->host_mtu, "");
	}
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(host),
			       "cannot restore '%s' in the host as '%s'", info.name, st->host_name);
	log_info("restored '%s' in the host as '%s'", info.name, st->host_name);
	return 0;
}

/*
 * A whole device of ours in the pod whose state is lost (node storage wiped) or unreadable: it
 * is never deleted (a VF cannot be; a veth would be destroyed). It goes back to the host under
 * a name the kernel picks, unlabelled; its original name and MTU are unknown.
 */
static int hostdev_return_stateless(struct netlink *pod, struct netlink *host,
				    const struct iflink_info *info, const struct cni_env *env,
				    struct cni_err *err)
{
	_cleanup_close_ int hostfd = netns_open_current();
	struct iflink_info back;
	int r;

	if (hostfd < 0)
		return err_set(err, hostfd, RDMANET_ERR_NETNS, NULL,
			       "cannot open the host network namespace");
	r = iflink_change(pod, info->ifindex, hostfd, "dev%d", 0, "");
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(pod),
			       "cannot return '%s' from the pod to the host", env->ifname);
	log_warn("no attachment state for the device '%s' under " STATE_DIR
		 ": returned it to the host as '%s'; its original name and MTU are unknown",
		 env->ifname,
		 iflink_find_index(host, info->ifindex, &back) >= 0 ? back.name : "a kernel-chosen devN");
	return 0;
}

/* hostdev: netdev back first (reverse of ADD), then the RDMA device, then forget the state. */
static int hostdev_del(const struct cni_env *env, const struct state *st, int nsfd,
		       const char *alias, struct cni_err *err)
{
	_cleanup_(netlink_close) struct netlink host = { 0 }, pod = { 0 };
	_cleanup_close_ int hostfd = netns_open_current();
	struct iflink_info info;
	int r;

	if (hostfd < 0)
		return err_set(err, hostfd, RDMANET_ERR_NETNS, NULL,
			       "cannot open the host network namespace");
	r = netlink_open(&host);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_INTERNAL, NULL, "cannot open a netlink socket");
	if (nsfd >= 0) {
		r = cmd_netlink_in(nsfd, NETLINK_ROUTE, &pod, err);
		if (r < 0)
			return r;
		r = iflink_find(&pod, env->ifname, &info);
		if (r >= 0 && iflink_alias_matches(info.alias, alias)) {
			bool renamed;

			r = delete_rules(&pod, env, info.ifindex, err);
			if (r < 0)
				return r;

			r = iflink_move_named(&pod, info.ifindex, hostfd, &host, st->host_name,
					      st->host_mtu, "", &renamed);
			if (renamed)
				log_warn("'%s' is taken in the host: '%s' returns under a kernel-chosen name",
					 st->host_name, env->ifname);
			if (r < 0)
				return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(&pod),
					       "cannot return '%s' from the pod to the host as '%s'",
					       env->ifname, st->host_name);
			log_info("returned '%s' to the host as '%s'", env->ifname, st->host_name);
		} else if (r >= 0) {
			log_warn("'%s' in the pod is not ours (alias '%s'), leaving it", env->ifname,
				 info.alias);
		} else if (r == -ENOENT) {
			r = hostdev_restore_in_host(&host, alias, st, err);
			if (r < 0)
				return r;
		} else {
			return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(&pod),
				       "cannot look up '%s' in the pod", env->ifname);
		}
		if (st->rdma_moved && st->rdma_device[0]) {
			r = cmd_rdma_move_out(st->rdma_device, nsfd);
			if (r == -ENOENT)
				log_info("RDMA device '%s' is no longer in the pod: already returned to the host",
					 st->rdma_device);
			else if (r < 0)
				return err_set(err, r, RDMANET_ERR_RDMA, NULL,
					       "cannot return RDMA device '%s' from the pod to the host",
					       st->rdma_device);
		}
	} else {
		/* the kernel returned physical devices and RDMA devices to the host itself */
		r = hostdev_restore_in_host(&host, alias, st, err);
		if (r < 0)
			return r;
	}
	r = state_remove(env->containerid, env->ifname);
	if (r < 0 && r != -ENOENT)
		return err_set(err, r, RDMANET_ERR_INTERNAL, NULL,
			       "cannot remove the attachment state under " STATE_DIR);
	return 0;
}

int cmd_hostdev_release(const struct state *st, struct cni_err *err)
{
	struct cni_env env = { .cmd = CNI_CMD_GC, .containerid = st->containerid,
			       .ifname = st->ifname, .netns = st->netns };
	_cleanup_close_ int nsfd = -1;
	char alias[IFLINK_ALIAS_MAX];
	int r = iflink_alias(st->containerid, st->ifname, alias);

	if (r < 0)
		return err_set(err, r, RDMANET_ERR_INTERNAL, NULL, "state names an over-long container ID");
	if (st->netns[0]) {
		nsfd = netns_open(st->netns);
		if (nsfd < 0)
			nsfd = -1; /* gone: the kernel returned what was physical */
	}
	return hostdev_del(&env, st, nsfd, alias, err);
}

/* A table of ours whose interface is gone from the pod: its rules are orphans. */
static bool table_orphaned(unsigned table, void *arg)
{
	struct iflink_info info;
	int ifindex = iprule_ifindex(table);

	return ifindex > 0 && iflink_find_index(arg, ifindex, &info) == -ENOENT;
}

static int delete_link(const struct cni_env *env, const struct config *cfg, struct cni_err *err)
{
	_cleanup_(netlink_close) struct netlink host = { 0 }, pod = { 0 };
	_cleanup_close_ int nsfd = -1;
	char alias[IFLINK_ALIAS_MAX];
	struct iflink_info info;
	struct state st;
	int r;

	r = iflink_alias(env->containerid, env->ifname, alias);
	if (r < 0)
		return err_set(err, r, CNI_ERR_INVALID_ENV, NULL, "CNI_CONTAINERID is too long");
	if (env->netns && *env->netns) {
		nsfd = netns_open(env->netns);
		if (nsfd < 0 && nsfd != -ENOENT && nsfd != -EINVAL)
			return err_set(err, nsfd, RDMANET_ERR_NETNS, NULL,
				       "cannot open CNI_NETNS '%s'", env->netns);
	}
	r = state_load(env->containerid, env->ifname, &st);
	if (r >= 0 && !strcmp(st.kind, "hostdev"))
		return hostdev_del(env, &st, nsfd, alias, err);
	if (r < 0 && r != -ENOENT)
		log_warn("unreadable attachment state for '%s': %s, ignoring", env->ifname,
			 strerror(-r));
	if (nsfd < 0) {
		/* the runtime removes the netns, and the child with it */
		log_info("CNI_NETNS '%s' is gone: its interfaces went with it",
			 env->netns ? env->netns : "");
		return 0;
	}
	r = netlink_open(&host);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_INTERNAL, NULL, "cannot open a netlink socket");
	r = cmd_netlink_in(nsfd, NETLINK_ROUTE, &pod, err);
	if (r < 0)
		return r;
	r = iflink_find(&pod, env->ifname, &info);
	if (r == -ENOENT) {
		/* deleted behind our back: rules of ours to tables without interface go too */
		r = iprule_delete(&pod, table_orphaned, &pod);
		if (r > 0)
			log_info("'%s' is gone: deleted %d routing rule(s) left without interface",
				 env->ifname, r);
		if (r < 0)
			log_warn("cannot delete routing rules left without interface: %s, ignoring",
				 strerror(-r));
		return 0;
	}
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(&pod),
			       "cannot look up '%s' in the pod", env->ifname);
	if (!link_is_ours(&info, alias, env)) {
		log_warn("'%s' in the pod is not ours (alias '%s'), leaving it", env->ifname, info.alias);
		return 0;
	}
	r = delete_rules(&pod, env, info.ifindex, err);
	if (r < 0)
		return r;
	if (cfg->link == LINK_HOSTDEV || !iflink_ops_find(info.kind))
		return hostdev_return_stateless(&pod, &host, &info, env, err);
	r = iflink_delete(&pod, info.ifindex);
	if (r < 0 && r != -ENOENT)
		return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(&pod),
			       "cannot delete '%s' in the pod", env->ifname);
	log_info("deleted '%s' in '%s'", env->ifname, env->netns);
	return 0;
}

int cmd_del(const struct cni_env *env, const struct config *cfg, struct cni_err *err)
{
	int r = 0, r2;

	/*
	 * The address goes back to the pool first. When the IPAM fails, the link is still removed
	 * and the IPAM's error returned: the runtime retries DEL, which then only retries the IPAM.
	 */
	if (cfg->has_ipam) {
		_cleanup_free_ char *out = NULL;

		r = ipam_exec(cfg, env, CNI_CMD_DEL, &out, err);
	}
	r2 = delete_link(env, cfg, err);
	return r < 0 ? r : r2;
}
