/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_del.c - DEL: IPAM first, then the links; idempotent, fine without a netns. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/cmd.h"
#include "rdmanet/iflink.h"
#include "rdmanet/ipam_exec.h"
#include "rdmanet/log.h"
#include "rdmanet/netns.h"

/* Deletes name when it is ours (alias match) or, with any_owner, whatever carries it. */
static int delete_if_ours(struct netlink *nl, const char *name, const char *alias, bool any_owner,
			  const char *where, struct cni_err *err)
{
	struct iflink_info info;
	int r;

	r = iflink_find(nl, name, &info);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(nl),
			       "cannot look up '%s' in the %s network namespace", name, where);
	/* an unlabelled temporary link: the ADD was killed between create and label */
	if (!any_owner && info.alias[0] && strcmp(info.alias, alias)) {
		log_warn("'%s' in the %s network namespace is not ours (alias '%s'), leaving it", name,
			 where, info.alias);
		return 0;
	}
	r = iflink_delete(nl, info.ifindex);
	if (r < 0 && r != -ENOENT)
		return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(nl),
			       "cannot delete '%s' in the %s network namespace", name, where);
	log_info("deleted '%s' in the %s network namespace", name, where);
	return 0;
}

int cmd_del(const struct cni_env *env, const struct config *cfg, struct cni_err *err)
{
	_cleanup_(netlink_close) struct netlink host = { 0 }, pod = { 0 };
	_cleanup_close_ int nsfd = -1;
	char tmp[IF_NAMESIZE], alias[IFLINK_ALIAS_MAX];
	int r;

	/* the address goes back to the pool first, whatever happens to the links */
	if (cfg->has_ipam) {
		_cleanup_free_ char *out = NULL;

		r = ipam_exec(cfg, env, CNI_CMD_DEL, &out, err);
		if (r < 0)
			return r;
	}

	iflink_tmpname(env->containerid, env->ifname, tmp);
	r = iflink_alias(env->containerid, env->ifname, alias);
	if (r < 0)
		return err_set(err, r, CNI_ERR_INVALID_ENV, NULL, "CNI_CONTAINERID is too long");
	r = netlink_open(&host);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_INTERNAL, NULL, "cannot open a netlink socket");
	/* an ADD interrupted between create and move leaves the temporary link on the host */
	r = delete_if_ours(&host, tmp, alias, false, "host", err);
	if (r < 0)
		return r;

	if (!env->netns || !*env->netns)
		return 0;
	nsfd = netns_open(env->netns);
	if (nsfd == -ENOENT || nsfd == -EINVAL) {
		log_info("CNI_NETNS '%s' is gone: its interfaces went with it", env->netns);
		return 0;
	}
	if (nsfd < 0)
		return err_set(err, nsfd, RDMANET_ERR_NETNS, NULL, "cannot open CNI_NETNS '%s'",
			       env->netns);
	r = cmd_netlink_in(nsfd, &pod, err);
	if (r < 0)
		return r;
	r = delete_if_ours(&pod, tmp, alias, false, "pod", err);
	if (r < 0)
		return r;
	return delete_if_ours(&pod, env->ifname, alias, true, "pod", err);
}
