/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verbs.h - libibverbs queries (port attributes, GID table, uverbs node), with libibverbs
 * loaded by dlopen() on first use: rdmanet starts without it and runs on nodes that lack it.
 * Every function works on the devices libibverbs sees, i.e. the caller's netns and its view of
 * /sys (see netns_enter_view()). Errors are -errno.
 */
#pragma once
#include <stddef.h>

/* The values of IBV_LINK_LAYER_*. */
enum verbs_link_layer {
	VERBS_LINK_LAYER_UNSPECIFIED = 0,
	VERBS_LINK_LAYER_INFINIBAND = 1,
	VERBS_LINK_LAYER_ETHERNET = 2,
};

/* Port states and physical states: the values of IBV_PORT_* and of RDMA netlink's port state. */
enum verbs_port_state {
	VERBS_PORT_DOWN = 1,
	VERBS_PORT_INIT = 2,
	VERBS_PORT_ARMED = 3,
	VERBS_PORT_ACTIVE = 4,
	VERBS_PORT_ACTIVE_DEFER = 5,
};

enum verbs_phys_state {
	VERBS_PHYS_DISABLED = 3,
	VERBS_PHYS_LINKUP = 5,
};

struct verbs_port {
	unsigned state;      /* IBV_PORT_*: 1 DOWN 2 INIT 3 ARMED 4 ACTIVE */
	unsigned phys_state; /* 1 Sleep 2 Polling 3 Disabled ... 5 LinkUp */
	unsigned link_layer; /* enum verbs_link_layer */
	unsigned active_mtu; /* bytes: 256 .. 4096, 0 when unknown */
	unsigned max_mtu;    /* bytes */
	unsigned gid_tbl_len;
	unsigned pkey_tbl_len;
	unsigned active_width; /* IB encoding: 1 1X, 2 4X, 4 8X, 8 12X, 16 2X */
	unsigned active_speed; /* 1 SDR .. 128 NDR, 256 XDR (from active_speed_ex) */
	unsigned rate_mbps;    /* lanes x lane rate, as sysfs `rate`; 0 unknown */
	unsigned port_cap_flags;
	unsigned lid, sm_lid;
};

/*
 * Loads libibverbs.so.1 once (later calls return the first result). -ENOENT when it is not
 * installed, -ENOSYS when a needed symbol is missing; why (may be NULL) says which.
 */
int verbs_load(char *why, size_t len);
/*
 * Attributes of a port of dev. -ENODEV: libibverbs does not see dev (not in this netns, no
 * provider for its driver, or no RDMA stack at all); -ENOENT: its /dev/infiniband/uverbsN node
 * is missing; -EINVAL: no such port; -ELIBACC: no libibverbs; other -errno from opening or
 * querying the device. The same codes for the other queries below.
 */
int verbs_query_port(const char *dev, unsigned port, struct verbs_port *out);
/* The GID table index of gid on a port (the lowest one), -ENOENT when absent. */
int verbs_gid_find(const char *dev, unsigned port, const unsigned char gid[16], unsigned *index);
/* P_Key table entry index of a port (host byte order). */
int verbs_query_pkey(const char *dev, unsigned port, unsigned index, unsigned *pkey);
/*
 * "/dev/infiniband/uverbs0": the uverbs node of dev, from libibverbs' device list when it is
 * loaded, else from /sys/class/infiniband_verbs/ (which needs ib_uverbs). -ENOENT when dev has
 * no uverbs device. Whether the node exists in the caller's /dev is the caller's question.
 */
int verbs_uverbs_node(const char *dev, char *out, size_t len);

/* Names, "?" for values outside the spec. */
const char *verbs_port_state_name(unsigned state);      /* "ACTIVE" */
const char *verbs_phys_state_name(unsigned phys_state); /* "LinkUp" */
const char *verbs_link_layer_name(unsigned link_layer); /* "InfiniBand", "Ethernet" */
/* IBV_MTU_* (1..5) -> bytes, 0 for anything else. */
unsigned verbs_mtu_bytes(unsigned ibv_mtu);
/* The kernel's rate: lanes x per-lane rate in Mb/s; 0 for unknown encodings. */
unsigned verbs_rate_mbps(unsigned active_width, unsigned active_speed);
