/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_del.c - DEL: IPAM first, then the link; idempotent, fine without a netns. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/cmd.h"
#include "rdmanet/iflink.h"
#include "rdmanet/ipam_exec.h"
#include "rdmanet/log.h"
#include "rdmanet/netns.h"

/*
 * Is the pod's CNI_IFNAME ours? Its alias says so. Without an alias it is ours only when it is
 * a child of our kind on our master (an ADD killed between creating and labelling it): after
 * ADD failed with 102 the runtime sends DEL, and another plugin's interface of that name must
 * survive it.
 */
static bool link_is_ours(const struct iflink_info *info, const char *alias, struct netlink *host,
			 const struct config *cfg)
{
	struct iflink_info master;

	if (info->alias[0])
		return !strcmp(info->alias, alias);
	if (strcmp(info->kind, "macvlan") || !cfg->master[0] || !info->link)
		return false;
	return iflink_find(host, cfg->master, &master) >= 0 && master.ifindex == info->link;
}

static int delete_link(const struct cni_env *env, const struct config *cfg, struct cni_err *err)
{
	_cleanup_(netlink_close) struct netlink host = { 0 }, pod = { 0 };
	_cleanup_close_ int nsfd = -1;
	char alias[IFLINK_ALIAS_MAX];
	struct iflink_info info;
	int r;

	if (!env->netns || !*env->netns)
		return 0; /* the runtime removes the netns, and the link with it */
	nsfd = netns_open(env->netns);
	if (nsfd == -ENOENT || nsfd == -EINVAL) {
		log_info("CNI_NETNS '%s' is gone: its interfaces went with it", env->netns);
		return 0;
	}
	if (nsfd < 0)
		return err_set(err, nsfd, RDMANET_ERR_NETNS, NULL, "cannot open CNI_NETNS '%s'",
			       env->netns);
	r = iflink_alias(env->containerid, env->ifname, alias);
	if (r < 0)
		return err_set(err, r, CNI_ERR_INVALID_ENV, NULL, "CNI_CONTAINERID is too long");
	r = netlink_open(&host);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_INTERNAL, NULL, "cannot open a netlink socket");
	r = cmd_netlink_in(nsfd, &pod, err);
	if (r < 0)
		return r;
	r = iflink_find(&pod, env->ifname, &info);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(&pod),
			       "cannot look up '%s' in the pod", env->ifname);
	if (!link_is_ours(&info, alias, &host, cfg)) {
		log_warn("'%s' in the pod is not ours (alias '%s'), leaving it", env->ifname, info.alias);
		return 0;
	}
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
