/* SPDX-License-Identifier: Apache-2.0 */
/* rdmadev.h - RDMA devices over RDMA netlink (NETLINK_RDMA): mode, lookup, netns move; sysfs
 * for what netlink does not carry (GID table, P_Keys, PCI parent, driver). */
#pragma once
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "rdmanet/netlink.h"

#define RDMADEV_NAME_MAX 64	/* IB_DEVICE_NAME_MAX */
#define RDMADEV_GID_STR 40	/* "fe80:0000:...:0001" */

struct nl_msg;

/* One RDMA device as RDMA_NLDEV_CMD_GET reports it (plus sysfs facts). */
struct rdmadev {
	unsigned index;
	char name[RDMADEV_NAME_MAX];
	unsigned n_ports;		/* RDMA_NLDEV_ATTR_PORT_INDEX in a device reply */
	unsigned node_type;		/* RDMA_NODE_* */
	char protocol[16];		/* "roce", "ib", "iw", "opa" ("" on old kernels) */
	char fw[64];
	uint64_t node_guid;
};

/* One port as RDMA_NLDEV_CMD_PORT_GET reports it. */
struct rdmadev_port {
	unsigned dev_index;
	char dev_name[RDMADEV_NAME_MAX];
	unsigned port;
	int ndev_index;			/* 0: no netdev in the caller's netns */
	bool has_ndev_attr;		/* the kernel sent RDMA_NLDEV_ATTR_NDEV_INDEX */
	char ndev_name[IF_NAMESIZE];
	unsigned state;			/* IB_PORT_*: 1 DOWN 2 INIT 3 ARMED 4 ACTIVE 5 ACTIVE_DEFER */
	unsigned phys_state;		/* 1 Sleep 2 Polling 3 Disabled 4 Training 5 LinkUp ... */
};

enum rdmadev_netns_mode {
	RDMADEV_NETNS_EXCLUSIVE = 0,	/* ib_core netns_mode=0 */
	RDMADEV_NETNS_SHARED = 1,	/* the kernel default */
};

/* Opens a NETLINK_RDMA socket in the caller's netns; -EPROTONOSUPPORT without ib_core. */
int rdmadev_open(struct netlink *nl);
/* RDMA_NLDEV_CMD_SYS_GET; -EOPNOTSUPP when the kernel predates netns modes (< 5.2). */
int rdmadev_netns_mode(struct netlink *nl, enum rdmadev_netns_mode *mode);
/* Every device / every port of the caller's netns; a negative return from fn stops. */
int rdmadev_foreach(struct netlink *nl, int (*fn)(const struct rdmadev *dev, void *arg), void *arg);
int rdmadev_foreach_port(struct netlink *nl,
			 int (*fn)(const struct rdmadev_port *port, void *arg), void *arg);
/* -ENOENT when absent from the caller's netns. */
int rdmadev_find(struct netlink *nl, const char *name, struct rdmadev *dev);
/* The RDMA port whose netdev is ifindex (RDMA netlink, sysfs when netlink lacks it). */
int rdmadev_find_by_netdev(struct netlink *nl, int ifindex, const char *ifname,
			   struct rdmadev_port *port);
/* The first port of a device. */
int rdmadev_find_port(struct netlink *nl, const char *name, unsigned port_num,
		      struct rdmadev_port *port);
/* RDMA_NLDEV_CMD_SET with RDMA_NLDEV_NET_NS_FD, as `rdma dev set DEV netns NS` sends it. */
int rdmadev_move_to_netns(struct netlink *nl, unsigned dev_index, int netns_fd);

/* Message builders and parsers, exported for the unit tests (fixtures from iproute2). */
struct nl_msg *rdmadev_msg_sys_get(void);
struct nl_msg *rdmadev_msg_dev_dump(void);
struct nl_msg *rdmadev_msg_port_dump(unsigned dev_index);
struct nl_msg *rdmadev_msg_move(unsigned dev_index, int netns_fd);
int rdmadev_parse_sys(const struct nlmsghdr *h, enum rdmadev_netns_mode *mode);
int rdmadev_parse_dev(const struct nlmsghdr *h, struct rdmadev *dev);
int rdmadev_parse_port(const struct nlmsghdr *h, struct rdmadev_port *port);

/* sysfs: what RDMA netlink does not say. All read the caller's view of /sys. */
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
	char type[16];			/* "RoCE v2", "IB/RoCE v1" */
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
