/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_status.c - STATUS: ready when the kind finds its device usable (a parent up with
 * carrier), the RDMA side is, and the IPAM is ready.
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/cmd.h"
#include "rdmanet/iflink.h"
#include "rdmanet/ipam_exec.h"
#include "rdmanet/log.h"

int cmd_status(const struct cni_env *env, const struct config *cfg, struct cni_err *err)
{
	_cleanup_(netlink_close) struct netlink host = { 0 };
	const struct iflink_ops *ops = iflink_ops_config(cfg);
	struct iflink_info master;
	struct rdma_plan plan;
	char bus_id[CONFIG_DEVICE_ID_MAX + 1] = "";
	int r;

	r = netlink_open(&host);
	if (r < 0)
		return err_set(err, r, CNI_ERR_NOT_AVAILABLE, NULL, "cannot open a netlink socket");
	r = ops->status(&host, cfg, &master, bus_id, sizeof(bus_id), err);
	if (r < 0)
		return r;
	/* the RDMA side: stack loaded, mode as required, port ACTIVE, GID entries left */
	if (master.ifindex > 0) {
		r = cmd_rdma_plan(cfg, &master, ops->device, bus_id, &plan, err);
		if (r < 0) {
			err->code = err->code == RDMANET_ERR_RDMA && r == -ENETDOWN ?
					    CNI_ERR_LIMITED_CONNECTIVITY :
					    CNI_ERR_NOT_AVAILABLE;
			return r;
		}
	}
	r = cmd_ipam_optional(env, cfg, CNI_CMD_STATUS, err);
	if (r < 0 &&
	    (err->code != CNI_ERR_NOT_AVAILABLE && err->code != CNI_ERR_LIMITED_CONNECTIVITY))
		err->code = CNI_ERR_NOT_AVAILABLE; /* STATUS speaks only 50/51 */
	return r;
}
