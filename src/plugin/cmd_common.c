/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_common.c - pieces every command shares: the pod netns and its netlink socket, and the
 * fault hook of ADD's steps (rdmanet/testhook.h; test builds only).
 */
#include <errno.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/cmd.h"
#include "rdmanet/ipam_exec.h"
#include "rdmanet/ipaddr.h"
#include "rdmanet/iprule.h"
#include "rdmanet/log.h"
#include "rdmanet/netns.h"
#include "rdmanet/testhook.h"

int cmd_fault(const char *step)
{
	testhook_kill(step);
	return testhook_fail(step) ? -EIO : 0;
}

int cmd_open_netns(const struct cni_env *env, struct cni_err *err)
{
	int fd = netns_open(env->netns);

	if (fd == -ENOENT)
		return err_set(err, fd, CNI_ERR_UNKNOWN_CONTAINER, NULL,
			       "CNI_NETNS '%s' does not exist: the pod sandbox is gone",
			       env->netns);
	if (fd == -EINVAL)
		return err_set(err, fd, CNI_ERR_INVALID_ENV, NULL,
			       "CNI_NETNS '%s' is not a network namespace", env->netns);
	if (fd < 0)
		return err_set(err, fd, RDMANET_ERR_NETNS, NULL, "cannot open CNI_NETNS '%s'",
			       env->netns);
	return fd;
}

int cmd_netlink_in(int fd, int protocol, struct netlink *nl, struct cni_err *err)
{
	int saved = -1, r, r2;

	r = netns_enter(fd, &saved);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_NETNS, NULL,
			       "cannot enter the pod network namespace");
	r = netlink_open_protocol(nl, protocol);
	r2 = netns_restore(&saved);
	if (r2 < 0) {
		/* still in the pod netns: nothing below may run */
		netlink_close(nl);
		return err_set(err, r2, RDMANET_ERR_NETNS, NULL,
			       "cannot return to the host network namespace");
	}
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_NETNS, NULL,
			       "cannot open a netlink socket in the pod network namespace");
	return 0;
}

/* Runs the IPAM's STATUS/GC when it speaks 1.1.0; older plugins have neither. */
int cmd_ipam_optional(const struct cni_env *env, const struct config *cfg, enum cni_command cmd,
		      struct cni_err *err)
{
	_cleanup_free_ char *out = NULL;
	int r;

	if (!cfg->has_ipam)
		return 0;
	r = ipam_supports(cfg, env, "1.1.0", err);
	if (r < 0)
		return r;
	if (!r) {
		log_debug("IPAM plugin '%s' predates CNI 1.1.0: no %s to delegate", cfg->ipam_type,
			  cni_command_name(cmd));
		return 0;
	}
	return ipam_exec(cfg, env, cmd, &out, err);
}

int cmd_table_release(struct netlink *pod, unsigned table)
{
	int r = iprule_delete_table(pod, table), r2;

	for (int f = 0; f < 2; f++) {
		r2 = ipaddr_route_unreachable_delete(pod, f ? AF_INET6 : AF_INET, table);
		if (r2 < 0 && r2 != -ENOENT && r2 != -EAFNOSUPPORT && r >= 0)
			r = r2;
	}
	return r;
}

int cmd_rules_delete(struct netlink *pod, const struct cni_env *env, int ifindex,
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
