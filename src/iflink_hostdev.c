/* SPDX-License-Identifier: Apache-2.0 */
/* iflink_hostdev.c - the 'hostdev' kind: a whole VF, SF or PF netdev moves into the pod. */
#include <errno.h>
#include <limits.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rdmanet/iflink.h"
#include "rdmanet/rdmadev.h"
#include "rdmanet/rdmadev_sysfs.h"

/* The PCI or auxiliary device behind a netdev of the caller's netns ("" for virtual ones). */
static void bus_id_of(const char *ifname, char *out, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *b;
	ssize_t n;

	out[0] = '\0';
	(void) snprintf(path, sizeof(path), "/sys/class/net/%s/device", ifname);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	b = strrchr(target, '/');
	b = b ? b + 1 : target;
	/* a VF/PF: its PCI function; an SF: its auxiliary device; virtio-net: virtioN's PCI parent */
	if (!strncmp(b, "virtio", 6)) {
		if (rdmadev_sysfs_pci(path, out, len) < 0)
			out[0] = '\0';
	} else if (strlen(b) < len) {
		strcpy(out, b);
	}
}

int iflink_hostdev_find(struct netlink *nl, const struct config *cfg, struct iflink_info *dev,
			char *bus_id, size_t bus_id_len, struct cni_err *err)
{
	char name[IF_NAMESIZE];
	int r;

	bus_id[0] = '\0';
	if (cfg->device_id[0]) {
		r = rdmadev_netdev_by_bus_id(cfg->device_id, name, sizeof(name));
		if (r == -ENOENT && !rdmadev_bus_id_exists(cfg->device_id))
			return err_set(err, r, RDMANET_ERR_MASTER, NULL,
				       "deviceID '%s' is not a PCI or auxiliary device on this node: check the device plugin's resource and the VF/SF configuration",
				       cfg->device_id);
		if (r == -ENOENT)
			return err_set(err, r, RDMANET_ERR_MASTER, NULL,
				       "device '%s' has no netdev in the host network namespace: it is attached to another pod (or bound to a driver without a netdev, such as vfio-pci)",
				       cfg->device_id);
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_MASTER, NULL,
				       "cannot read the netdev of device '%s' from sysfs", cfg->device_id);
		if (cfg->master[0] && strcmp(cfg->master, name))
			return err_set(err, -EINVAL, CNI_ERR_INVALID_CONFIG, NULL,
				       "invalid network config: 'master' '%s' is not the netdev '%s' of deviceID '%s': drop 'master' or make them agree",
				       cfg->master, name, cfg->device_id);
		(void) snprintf(bus_id, bus_id_len, "%s", cfg->device_id);
	} else {
		(void) snprintf(name, sizeof(name), "%s", cfg->master);
	}
	r = iflink_find(nl, name, dev);
	if (r == -ENOENT)
		return err_set(err, r, RDMANET_ERR_MASTER, NULL,
			       "netdev '%s' is not in the host network namespace: check 'master', or it is attached to another pod",
			       name);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_MASTER, netlink_errmsg(nl),
			       "cannot look up netdev '%s'", name);
	/* children (an IPoIB child names its parent in IFLA_LINK) belong to their parent */
	if (dev->type == ARPHRD_LOOPBACK || !strcmp(dev->kind, "macvlan") ||
	    !strcmp(dev->kind, "bridge") ||
	    (!strcmp(dev->kind, "ipoib") && dev->link > 0 && dev->link != dev->ifindex))
		return err_set(err, -EINVAL, RDMANET_ERR_MASTER, NULL,
			       "netdev '%s' (%s) cannot be handed to a pod with link 'hostdev': name a VF, SF or PF",
			       name, dev->kind[0] ? dev->kind : "loopback");
	if (!bus_id[0])
		bus_id_of(name, bus_id, bus_id_len);
	return 0;
}
