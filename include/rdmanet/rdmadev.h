/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rdmadev.h - RDMA devices over RDMA netlink (NETLINK_RDMA): mode, lookup, netns move. What
 * netlink does not carry (GID table, P_Keys, PCI parent, driver) is in rdmadev_sysfs.h.
 */
#pragma once
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "rdmanet/netlink.h"

#define RDMADEV_NAME_MAX 64 /* IB_DEVICE_NAME_MAX */

struct nl_msg;

/* One RDMA device as RDMA_NLDEV_CMD_GET reports it. */
struct rdmadev {
	unsigned index;
	char name[RDMADEV_NAME_MAX];
	unsigned n_ports;   /* RDMA_NLDEV_ATTR_PORT_INDEX in a device reply */
	unsigned node_type; /* RDMA_NODE_* */
	char protocol[16];  /* "roce", "ib", "iw", "opa" ("" on old kernels) */
	char fw[64];
	uint64_t node_guid;
};

/* One port as RDMA_NLDEV_CMD_PORT_GET reports it. */
struct rdmadev_port {
	unsigned dev_index;
	char dev_name[RDMADEV_NAME_MAX];
	unsigned port;
	int ndev_index;     /* 0: no netdev in the caller's netns */
	bool has_ndev_attr; /* the kernel sent RDMA_NLDEV_ATTR_NDEV_INDEX */
	char ndev_name[IF_NAMESIZE];
	unsigned state;      /* IB_PORT_*: 1 DOWN 2 INIT 3 ARMED 4 ACTIVE 5 ACTIVE_DEFER */
	unsigned phys_state; /* 1 Sleep 2 Polling 3 Disabled 4 Training 5 LinkUp ... */
};

enum rdmadev_netns_mode {
	RDMADEV_NETNS_EXCLUSIVE = 0, /* ib_core netns_mode=0 */
	RDMADEV_NETNS_SHARED = 1,    /* the kernel default */
};

/* Opens a NETLINK_RDMA socket in the caller's netns; -EPROTONOSUPPORT without ib_core. */
int rdmadev_open(struct netlink *nl);
/* RDMA_NLDEV_CMD_SYS_GET; -EOPNOTSUPP when the kernel predates netns modes (< 5.2). */
int rdmadev_netns_mode(struct netlink *nl, enum rdmadev_netns_mode *mode);
/* Every device / every port of the caller's netns; a negative return from fn stops. */
int rdmadev_foreach(struct netlink *nl, int (*fn)(const struct rdmadev *dev, void *arg), void *arg);
int rdmadev_foreach_port(struct netlink *nl, int (*fn)(const struct rdmadev_port *port, void *arg),
			 void *arg);
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
