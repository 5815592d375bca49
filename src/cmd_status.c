/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_status.c - STATUS: ready when master is up with carrier and the IPAM is ready. */
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
	struct iflink_info master;
	struct rdma_plan plan;
	char bus_id[CONFIG_DEVICE_ID_MAX + 1] = "";
	int r;

	r = netlink_open(&host);
	if (r < 0)
		return err_set(err, r, CNI_ERR_NOT_AVAILABLE, NULL, "cannot open a netlink socket");
	if (cfg->link == LINK_HOSTDEV) {
		/* each pod brings its own device: the node is ready when the RDMA side is */
		memset(&master, 0, sizeof(master));
		if (cfg->master[0] || cfg->device_id[0]) {
			r = iflink_hostdev_find(&host, cfg, &master, bus_id, sizeof(bus_id), err);
			if (r < 0) {
				err->code = CNI_ERR_NOT_AVAILABLE;
				return r;
			}
		}
		goto rdma;
	}
	r = iflink_find(&host, cfg->master, &master);
	if (r == -ENOENT)
		return err_set(err, r, CNI_ERR_NOT_AVAILABLE, NULL,
			       "master '%s' does not exist on this node: check the RDMA NIC and its driver",
			       cfg->master);
	if (r < 0)
		return err_set(err, r, CNI_ERR_NOT_AVAILABLE, netlink_errmsg(&host),
			       "cannot look up master '%s'", cfg->master);
	if (!(master.flags & IFF_UP))
		return err_set(err, -ENETDOWN, CNI_ERR_LIMITED_CONNECTIVITY, NULL,
			       "master '%s' is administratively down: 'ip link set %s up'",
			       cfg->master, cfg->master);
	if (!(master.flags & IFF_LOWER_UP))
		return err_set(err, -ENETDOWN, CNI_ERR_LIMITED_CONNECTIVITY, NULL,
			       "master '%s' has no carrier: check the cable, the switch port or the subnet manager",
			       cfg->master);
rdma:
	/* the RDMA side: stack loaded, mode as required, port ACTIVE, GID entries left */
	if (master.ifindex > 0 || cfg->link != LINK_HOSTDEV) {
		r = cmd_rdma_plan(cfg, &master, cfg->link == LINK_HOSTDEV, bus_id, &plan, err);
		if (r < 0) {
			err->code = err->code == RDMANET_ERR_RDMA && r == -ENETDOWN ?
					    CNI_ERR_LIMITED_CONNECTIVITY :
					    CNI_ERR_NOT_AVAILABLE;
			return r;
		}
	}
	r = cmd_ipam_optional(env, cfg, CNI_CMD_STATUS, err);
	if (r < 0 && (err->code != CNI_ERR_NOT_AVAILABLE && err->code != CNI_ERR_LIMITED_CONNECTIVITY))
		err->code = CNI_ERR_NOT_AVAILABLE; /* STATUS speaks only 50/51 */
	return r;
}
