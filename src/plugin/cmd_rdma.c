/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_rdma.c - the RDMA side of an attachment: which device goes with the netdev, whether the
 * node's netns mode allows it, moving a dedicated device in and out, the GID of the pod's IP.
 * The device-information file is written by devinfo.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/clock.h"
#include "rdmanet/cmd.h"
#include "rdmanet/log.h"
#include "rdmanet/netns.h"
#include "rdmanet/rdmadev_sysfs.h"
#include "rdmanet/verbs.h"

#define GID_WAIT_MS 3000

static bool is_software(const char *driver)
{
	return !strcmp(driver, "rdma_rxe") || !strcmp(driver, "siw");
}

/* No RDMA device: fine for rdma.mode auto (a plain netdev, with a warning), an error otherwise. */
static int no_rdma(const struct config *cfg, struct rdma_plan *plan, struct cni_err *err,
		   const char *why)
{
	plan->active = false;
	if (cfg->rdma_mode == RDMA_MODE_AUTO) {
		log_warn("%s: attaching it as a plain netdev, the pod gets no RDMA device", why);
		plan->warning = true;
		return 0;
	}
	return err_set(err, -ENODEV, RDMANET_ERR_RDMA, NULL,
		       "%s, and rdma.mode '%s' requires one: load the NIC's RDMA driver, check "
		       "'rdma.device', or set rdma.mode 'auto'",
		       why, config_rdma_mode_name(cfg->rdma_mode));
}

static int check_mode(const struct config *cfg, const struct rdma_plan *plan, struct cni_err *err)
{
	if (cfg->rdma_mode == RDMA_MODE_EXCLUSIVE && plan->mode == RDMADEV_NETNS_SHARED)
		return err_set(err, -EPERM, RDMANET_ERR_RDMA, NULL,
			       "rdma.mode 'exclusive' is required but the node's RDMA subsystem is "
			       "in shared netns mode: add 'options ib_core netns_mode=0' to "
			       "/etc/modprobe.d/ and reboot (the mode cannot change while other "
			       "network namespaces exist), or use rdma.mode 'auto'");
	if (cfg->rdma_mode == RDMA_MODE_SHARED && plan->mode == RDMADEV_NETNS_EXCLUSIVE)
		return err_set(err, -EPERM, RDMANET_ERR_RDMA, NULL,
			       "rdma.mode 'shared' is required but the node's RDMA subsystem is in "
			       "exclusive netns mode: remove 'netns_mode=0' from the ib_core "
			       "options (shared is the kernel default) and reboot (the mode cannot "
			       "change while other network namespaces exist), or "
			       "use rdma.mode 'auto'");
	return 0;
}

int cmd_rdma_plan(const struct config *cfg, const struct iflink_info *netdev, bool whole_device,
		  const char *bus_id, struct rdma_plan *plan, struct cni_err *err)
{
	_cleanup_(netlink_close) struct netlink nl = { 0 };
	char why[256];
	int r;

	memset(plan, 0, sizeof(*plan));
	plan->gid_index = -1;
	if (cfg->rdma_mode == RDMA_MODE_NONE)
		return 0;
	r = rdmadev_open(&nl);
	if (r < 0) {
		(void) snprintf(why, sizeof(why),
				"the node has no RDMA stack (NETLINK_RDMA unavailable: ib_core is "
				"not loaded) behind '%s'",
				netdev->name);
		return no_rdma(cfg, plan, err, why);
	}
	r = rdmadev_netns_mode(&nl, &plan->mode);
	if (r == -EOPNOTSUPP)
		plan->mode = RDMADEV_NETNS_SHARED; /* before 5.2 every device is shared */
	else if (r < 0)
		return err_set(err, r, RDMANET_ERR_RDMA, netlink_errmsg(&nl),
			       "cannot read the RDMA netns mode");
	r = check_mode(cfg, plan, err);
	if (r < 0)
		return r;

	/* the device and port: named, behind the netdev, or of the PCI/aux device */
	if (cfg->rdma_device[0]) {
		r = rdmadev_find(&nl, cfg->rdma_device, &plan->dev);
		if (r == -ENOENT)
			return err_set(err, r, RDMANET_ERR_RDMA, NULL,
				       "rdma.device '%s' is not in the host network namespace: it "
				       "does not exist (see `rdma dev`), or in exclusive mode it "
				       "is attached to another pod",
				       cfg->rdma_device);
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_RDMA, netlink_errmsg(&nl),
				       "cannot look up rdma.device '%s'", cfg->rdma_device);
		r = rdmadev_find_by_netdev(&nl, netdev->ifindex, netdev->name, &plan->port);
		if (r >= 0 && strcmp(plan->port.dev_name, plan->dev.name))
			return err_set(err, -EINVAL, CNI_ERR_INVALID_CONFIG, NULL,
				       "invalid network config: 'rdma.device' '%s' is not the RDMA "
				       "device of '%s' (that is '%s'): drop "
				       "'rdma.device' or fix it",
				       cfg->rdma_device, netdev->name, plan->port.dev_name);
		if (r < 0 && (r = rdmadev_find_port(&nl, plan->dev.name, 1, &plan->port)) < 0)
			return err_set(err, r, RDMANET_ERR_RDMA, netlink_errmsg(&nl),
				       "cannot read the ports of RDMA device '%s'", plan->dev.name);
	} else {
		r = rdmadev_find_by_netdev(&nl, netdev->ifindex, netdev->name, &plan->port);
		if (r == -ENOENT && bus_id && bus_id[0]) {
			char name[RDMADEV_NAME_MAX];

			if (rdmadev_name_by_bus_id(bus_id, name, sizeof(name)) >= 0)
				r = rdmadev_find_port(&nl, name, 1, &plan->port);
		}
		if (r == -ENOENT) {
			(void) snprintf(why, sizeof(why), "no RDMA device is bound to '%s'%s",
					netdev->name,
					plan->mode == RDMADEV_NETNS_EXCLUSIVE ?
						" in the host network namespace (exclusive mode: "
						"it may be attached to another pod)" :
						"");
			return no_rdma(cfg, plan, err, why);
		}
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_RDMA, netlink_errmsg(&nl),
				       "cannot list RDMA ports");
		r = rdmadev_find(&nl, plan->port.dev_name, &plan->dev);
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_RDMA, netlink_errmsg(&nl),
				       "RDMA device '%s' vanished while looking it up",
				       plan->port.dev_name);
	}
	plan->active = true;
	if (rdmadev_driver(plan->dev.name, plan->driver, sizeof(plan->driver)) < 0)
		strcpy(plan->driver, "unknown");
	if (rdmadev_link_layer(plan->dev.name, plan->port.port, plan->link_layer,
			       sizeof(plan->link_layer)) < 0)
		plan->link_layer[0] = '\0';
	/* software devices (rxe) have no PCI parent: their netdev's PCI function carries RDMA */
	if (rdmadev_pci_address(plan->dev.name, plan->pci, sizeof(plan->pci)) < 0 &&
	    rdmadev_netdev_pci_address(netdev->name, plan->pci, sizeof(plan->pci)) < 0)
		plan->pci[0] = '\0';
	log_info("RDMA device '%s' port %u (driver '%s', %s, %s) is behind '%s'; netns mode %s",
		 plan->dev.name, plan->port.port, plan->driver,
		 plan->link_layer[0] ? plan->link_layer : "link layer unknown",
		 verbs_port_state_name(plan->port.state), netdev->name,
		 plan->mode == RDMADEV_NETNS_SHARED ? "shared" : "exclusive");

	if (plan->mode == RDMADEV_NETNS_EXCLUSIVE && !whole_device)
		return err_set(err, -EPERM, RDMANET_ERR_RDMA, NULL,
			       "the node's RDMA subsystem is in exclusive netns mode, where RDMA "
			       "device '%s' of '%s' lives in one network namespace only: moving it "
			       "into this pod would take it from the host and every other pod, so "
			       "a child link cannot give the pod RDMA. Use link 'hostdev' with a "
			       "dedicated VF or SF, switch the node to shared mode (the ib_core "
			       "default), or set rdma.mode 'none' for IP only",
			       plan->dev.name, netdev->name);
	plan->move = plan->mode == RDMADEV_NETNS_EXCLUSIVE;
	/*
	 * rdma_rxe and siw hang off a netdev and unregister when it leaves its netns: in shared
	 * mode (where the device itself is not moved first, and refuses to be) handing the netdev
	 * to a pod would destroy the host's RDMA device. Exclusive mode tries the device move
	 * first, which such drivers refuse with EOPNOTSUPP.
	 */
	if (whole_device && !plan->move && is_software(plan->driver))
		return err_set(err, -EOPNOTSUPP, RDMANET_ERR_RDMA, NULL,
			       "RDMA device '%s' is a software device (%s) bound to netdev '%s': "
			       "moving '%s' into a pod would destroy it. Attach pods to '%s' with "
			       "link 'macvlan' (they share '%s'), or set rdma.mode 'none' to hand "
			       "over the netdev without RDMA",
			       plan->dev.name, plan->driver, netdev->name, netdev->name,
			       netdev->name, plan->dev.name);

	if (plan->port.state != VERBS_PORT_ACTIVE)
		return err_set(err, -ENETDOWN, RDMANET_ERR_RDMA, NULL,
			       "port %u of RDMA device '%s' is %s (physical state %s): check the "
			       "cable and the switch port; on InfiniBand a subnet manager (opensm) "
			       "must run; on RoCE '%s' must be up with carrier",
			       plan->port.port, plan->dev.name,
			       verbs_port_state_name(plan->port.state),
			       verbs_phys_state_name(plan->port.phys_state), netdev->name);
	plan->roce = !strcmp(plan->link_layer, "Ethernet");
	if (!plan->roce && cfg->pkey >= 0) {
		uint16_t pkeys[256];
		int n = rdmadev_pkeys(plan->dev.name, plan->port.port, pkeys, 256);
		bool found = false;

		for (int i = 0; i < n; i++)
			found |= (pkeys[i] & 0x7fff) == (cfg->pkey & 0x7fff);
		if (n > 0 && !found)
			return err_set(err, -ENOENT, RDMANET_ERR_RDMA, NULL,
				       "P_Key 0x%04x is not in the P_Key table of RDMA device '%s' "
				       "port %u: the subnet manager has not made this node a "
				       "member of that partition (see `rdmanet "
				       "doctor`), or 'pkey' is wrong",
				       (unsigned) cfg->pkey, plan->dev.name, plan->port.port);
	}
	if (plan->roce && !whole_device &&
	    !rdmadev_gid_has_free(plan->dev.name, plan->port.port, 2)) {
		unsigned used = 0, total = 0;

		(void) rdmadev_gid_usage(plan->dev.name, plan->port.port, &used, &total);
		return err_set(err, -ENOSPC, RDMANET_ERR_RDMA, NULL,
			       "the GID table of RDMA device '%s' port %u is full (%u of %u "
			       "entries in use): every IP of a pod on '%s' takes one or two "
			       "entries (RoCE v1 and v2), so this port takes no more pods. Spread "
			       "the pods over more ports or nodes, or give pods "
			       "VFs with link 'hostdev'",
			       plan->dev.name, plan->port.port, used, total, netdev->name);
	}
	return 0;
}

int cmd_rdma_move_in(const struct rdma_plan *plan, int nsfd, struct cni_err *err)
{
	_cleanup_(netlink_close) struct netlink nl = { 0 };
	int r;

	r = rdmadev_open(&nl);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_RDMA, NULL,
			       "cannot open an RDMA netlink socket");
	r = cmd_fault("rdma-move");
	if (r >= 0)
		r = rdmadev_move_to_netns(&nl, plan->dev.index, nsfd);
	if (r == -EOPNOTSUPP)
		return err_set(err, r, RDMANET_ERR_RDMA, netlink_errmsg(&nl),
			       "RDMA device '%s' cannot change network namespace: its driver '%s' "
			       "does not support it (no disassociate support; rdma_rxe and siw "
			       "never do). In exclusive mode only a device whose driver can move "
			       "(such as an mlx5 VF or SF) can follow a pod: use such a device, or "
			       "shared mode for this one",
			       plan->dev.name, plan->driver);
	if (r == -EBUSY)
		return err_set(err, r, RDMANET_ERR_RDMA, netlink_errmsg(&nl),
			       "RDMA device '%s' is busy and cannot change network namespace: a "
			       "process on the host holds it open",
			       plan->dev.name);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_RDMA, netlink_errmsg(&nl),
			       "cannot move RDMA device '%s' into the pod", plan->dev.name);
	log_info("moved RDMA device '%s' into the pod", plan->dev.name);
	return 0;
}

int cmd_rdma_move_out(const char *dev, int nsfd)
{
	_cleanup_(netlink_close) struct netlink nl = { 0 };
	_cleanup_close_ int host = netns_open_current();
	struct rdmadev d;
	int r;

	if (host < 0)
		return host;
	r = cmd_netlink_in(nsfd, NETLINK_RDMA, &nl, NULL); /* callers word the error */
	if (r < 0)
		return r;
	r = rdmadev_find(&nl, dev, &d);
	if (r < 0)
		return r; /* -ENOENT: not in the pod (any more) */
	r = rdmadev_move_to_netns(&nl, d.index, host);
	if (r >= 0)
		log_info("returned RDMA device '%s' to the host", dev);
	return r;
}

static bool gid_ready(const struct rdma_plan *plan, const struct cni_ip *ip, struct rdmadev_gid *g)
{
	return rdmadev_gid_find(plan->dev.name, plan->port.port, ip->family, ip->addr, g) >= 0;
}

/*
 * The kernel adds a RoCE GID for every IP of a netdev on the port (the child's too, in shared
 * mode) from a work queue, shortly after the address appears: wait for it, bounded.
 */
int cmd_rdma_gid(struct rdma_plan *plan, int nsfd, const struct cni_result *ipam,
		 struct cni_err *err)
{
	struct netns_view view;
	const struct cni_ip *ip = NULL;
	struct rdmadev_gid g;
	struct timespec t = { 0, 5 * 1000 * 1000 };
	char buf[64];
	bool found = false, entered = false;
	int r;

	if (!plan->active)
		return 0;
	if (!plan->roce) {
		plan->gid_index = 0; /* InfiniBand: the port GID, not an IP */
		return 0;
	}
	for (unsigned i = 0; i < ipam->n_ips && !ip; i++)
		if (ipam->ips[i].family == AF_INET)
			ip = &ipam->ips[i];
	if (!ip && ipam->n_ips)
		ip = &ipam->ips[0];
	if (!ip)
		return 0; /* L2 only: no IP, no RoCE GID */
	if (plan->move) {
		/* the device is in the pod now: its sysfs shows up in the pod's view only */
		r = netns_enter_view(nsfd, &view);
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_NETNS, NULL,
				       "cannot enter the pod network namespace "
				       "to read its GID table");
		entered = true;
	}
	for (long long end = clock_now_ms() + GID_WAIT_MS;; (void) nanosleep(&t, NULL)) {
		found = gid_ready(plan, ip, &g);
		if (found || clock_now_ms() >= end)
			break;
	}
	if (entered) {
		r = netns_leave_view(&view);
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_NETNS, NULL,
				       "cannot return to the host namespaces");
	}
	(void) inet_ntop(ip->family, ip->addr, buf, sizeof(buf));
	if (!found)
		return err_set(err, -ETIMEDOUT, RDMANET_ERR_RDMA, NULL,
			       "the kernel did not add a GID for %s to RDMA device '%s' port %u "
			       "within %d ms: check that the RoCE driver tracks this netdev "
			       "(`rdmanet doctor`)",
			       buf, plan->dev.name, plan->port.port, GID_WAIT_MS);
	plan->gid_index = (int) g.index;
	(void) snprintf(plan->gid_type, sizeof(plan->gid_type), "%s", g.type);
	log_info("RDMA device '%s' port %u: GID index %u (%s) carries %s", plan->dev.name,
		 plan->port.port, g.index, g.type, buf);
	return 0;
}

int cmd_rdma_alias(const struct rdma_plan *plan, const char *base, char out[IFLINK_ALIAS_MAX])
{
	int n;

	if (!plan->active)
		n = snprintf(out, IFLINK_ALIAS_MAX, "%s", base);
	else if (plan->gid_index >= 0)
		n = snprintf(out, IFLINK_ALIAS_MAX, "%s rdma=%s port=%u gid=%d", base,
			     plan->dev.name, plan->port.port, plan->gid_index);
	else
		n = snprintf(out, IFLINK_ALIAS_MAX, "%s rdma=%s port=%u", base, plan->dev.name,
			     plan->port.port);
	return n < 0 || n >= IFLINK_ALIAS_MAX ? -ENAMETOOLONG : 0;
}
