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

int cmd_release(const struct state *st, struct cni_err *err)
{
	struct cni_env env = { .cmd = CNI_CMD_GC,
			       .containerid = st->containerid,
			       .ifname = st->ifname,
			       .netns = st->netns };
	const struct iflink_ops *ops = iflink_ops_named(st->kind);
	_cleanup_close_ int nsfd = -1;
	char alias[IFLINK_ALIAS_MAX];
	int r;

	if (!ops || !ops->release)
		return err_set(err, -ENOENT, RDMANET_ERR_INTERNAL, NULL,
			       "state of kind '%s', which saves none", st->kind);
	r = iflink_alias(st->containerid, st->ifname, alias);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_INTERNAL, NULL,
			       "state names an over-long container ID");
	if (st->netns[0]) {
		nsfd = netns_open(st->netns);
		if (nsfd < 0)
			nsfd = -1; /* gone: the kernel returned what was physical */
	}
	return ops->release(&env, st, nsfd, alias, err);
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
	const struct iflink_ops *ops;
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
	/* an attachment that saved state gives back what it took, as the state says */
	r = state_load(env->containerid, env->ifname, &st);
	ops = r >= 0 ? iflink_ops_named(st.kind) : NULL;
	if (ops && ops->release)
		return ops->release(env, &st, nsfd, alias, err);
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
		log_warn("'%s' in the pod is not ours (alias '%s'), leaving it", env->ifname,
			 info.alias);
		return 0;
	}
	r = cmd_rules_delete(&pod, env, info.ifindex, err);
	if (r < 0)
		return r;
	return iflink_ops_of_link(cfg, &info)->remove(&pod, &host, &info, env, err);
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
