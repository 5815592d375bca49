/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rdmadev_sysfs.h - RDMA devices as sysfs shows them: what RDMA netlink does not say (GID and
 * P_Key tables, link layer, rate, PCI parent, driver, uverbs node). All read the caller's view
 * of /sys.
 */
#pragma once
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rdmanet/rdmadev.h"

#define RDMADEV_GID_STR 40 /* "fe80:0000:...:0001" */

/* "0000:3b:00.1" of the PCI function behind the device, -ENOENT (e.g. rxe). */
int rdmadev_pci_address(const char *dev, char *out, size_t len);
/* The same for a netdev of the caller's netns. */
int rdmadev_netdev_pci_address(const char *ifname, char *out, size_t len);
/* The last PCI function in the resolved sysfs path. */
int rdmadev_sysfs_pci(const char *syspath, char *out, size_t len);
/* Kernel driver ("mlx5_core"), or "rdma_rxe"/"siw" for software devices; -ENOENT. */
int rdmadev_driver(const char *dev, char *out, size_t len);
/* RDMA devices of a PCI function or auxiliary device ("0000:3b:00.2", "mlx5_core.sf.2"). */
int rdmadev_name_by_bus_id(const char *bus_id, char *out, size_t len);
/* Whether the PCI function or auxiliary device exists at all. */
bool rdmadev_bus_id_exists(const char *bus_id);
/* The netdev of a PCI function or auxiliary device in the caller's netns; -ENOENT. */
int rdmadev_netdev_by_bus_id(const char *bus_id, char *out, size_t len);
/* "Ethernet" / "InfiniBand" of a port. */
int rdmadev_link_layer(const char *dev, unsigned port, char *out, size_t len);

struct rdmadev_gid {
	unsigned index;
	unsigned char gid[16];
	char type[16]; /* "RoCE v2", "IB/RoCE v1" */
	char ndev[IF_NAMESIZE];
};
/* The GID the kernel gives an IP: IPv4 as ::ffff:a.b.c.d, IPv6 as is. */
int rdmadev_ip_gid(int family, const void *addr, unsigned char gid[16]);
/*
 * The GID table entry carrying addr (4 or 16 bytes by family; IPv4 as ::ffff:a.b.c.d),
 * preferring RoCE v2; -ENOENT when the kernel has not (yet) added it.
 */
int rdmadev_gid_find(const char *dev, unsigned port, int family, const void *addr,
		     struct rdmadev_gid *out);
/* Whether g carries an IP better than best (NULL: none found yet): RoCE v2 over v1. */
bool rdmadev_gid_better(const struct rdmadev_gid *g, const struct rdmadev_gid *best);
/* Used and total entries of a port's GID table. */
int rdmadev_gid_usage(const char *dev, unsigned port, unsigned *used, unsigned *total);
/* Whether at least need entries are free (scans from the top: the kernel fills from below). */
bool rdmadev_gid_has_free(const char *dev, unsigned port, unsigned need);
/* Calls fn for every non-empty GID entry. */
int rdmadev_gid_foreach(const char *dev, unsigned port,
			int (*fn)(const struct rdmadev_gid *gid, void *arg), void *arg);
/* Every valid P_Key of a port (at most max). Returns the count. */
int rdmadev_pkeys(const char *dev, unsigned port, uint16_t *pkeys, unsigned max);
/* Formats a GID in the kernel's sysfs form (8 groups of 4 hex digits). */
void rdmadev_format_gid(const unsigned char gid[16], char out[RDMADEV_GID_STR]);
/*
 * The port whose first GID entry belongs to netdev ifname, with its state (PCI parents first):
 * for kernels whose RDMA netlink names no port netdev (< 4.20). -ENOENT when none.
 */
int rdmadev_sysfs_port_by_netdev(const char *ifname, struct rdmadev_port *port);
/* The port's `rate` as sysfs words it: "100 Gb/sec (4X EDR)"; out is "" when unreadable. */
int rdmadev_rate(const char *dev, unsigned port, char *out, size_t len);
/* The same in Mb/s, 0 when unreadable. */
unsigned rdmadev_rate_mbps(const char *dev, unsigned port);
/* The NUMA node of the device's PCI function; -1 when none (software devices) or unknown. */
int rdmadev_numa_node(const char *dev);
/* "/dev/infiniband/uverbs0": the uverbsN whose `ibdev` is dev (needs ib_uverbs); -ENOENT. */
int rdmadev_uverbs_node(const char *dev, char *out, size_t len);
