/* SPDX-License-Identifier: Apache-2.0 */
/* cmd.h - the CNI commands of the rdmanet plugin: orchestration and rollback. */
#pragma once
#include "rdmanet/cni.h"
#include "rdmanet/config.h"
#include "rdmanet/iflink.h"
#include "rdmanet/netlink.h"
#include "rdmanet/rdmadev.h"

/* On success *res holds the attachment to print. */
int cmd_add(const struct cni_env *env, const struct config *cfg, struct cni_result *res,
	    struct cni_err *err);
int cmd_del(const struct cni_env *env, const struct config *cfg, struct cni_err *err);
int cmd_check(const struct cni_env *env, const struct config *cfg, struct cni_err *err);
int cmd_status(const struct cni_env *env, const struct config *cfg, struct cni_err *err);
int cmd_gc(const struct cni_env *env, const struct config *cfg, struct cni_err *err);

/*
 * Fault hook of ADD's steps (rdmanet/testhook.h): in a test build, -EIO when
 * RDMANET_TEST_FAIL_STEP names step (the step fails as if the kernel had refused it, so the tests
 * can prove each rollback leaves nothing behind), a SIGKILL when RDMANET_TEST_KILL_STEP does. 0 in
 * a release build.
 */
int cmd_fault(const char *step);

struct state;
/*
 * Gives back what the attachment that saved st took and forgets it, as DEL does (GC); -ENOENT
 * when its kind saves no state.
 */
int cmd_release(const struct state *st, struct cni_err *err);

/* Runs the IPAM's STATUS or GC when it speaks CNI 1.1.0 (older plugins have neither). */
int cmd_ipam_optional(const struct cni_env *env, const struct config *cfg, enum cni_command cmd,
		      struct cni_err *err);

/* Opens the pod netns for ADD/CHECK, mapping failures to CNI codes 3 and 4. */
int cmd_open_netns(const struct cni_env *env, struct cni_err *err);
/* Opens a netlink socket of protocol (NETLINK_ROUTE, NETLINK_RDMA) inside the netns behind fd. */
int cmd_netlink_in(int fd, int protocol, struct netlink *nl, struct cni_err *err);
/*
 * Removes what an attachment's own routing table leaves behind its interface: our rules to it
 * and its 'unreachable default' routes (the other routes go with the interface). Returns the
 * number of rules deleted, or -errno.
 */
int cmd_table_release(struct netlink *pod, unsigned table);
/*
 * DEL: the rules to the table of the pod's interface ifindex (CNI_IFNAME), with their table's
 * leftovers; a link's deletion takes its routes, not the rules to them.
 */
int cmd_rules_delete(struct netlink *pod, const struct cni_env *env, int ifindex,
		     struct cni_err *err);

/* The RDMA side of one attachment, decided before anything is created (cmd_rdma.c). */
struct rdma_plan {
	bool active;  /* an RDMA device goes with this attachment */
	bool warning; /* rdma.mode auto found none: a plain netdev */
	bool move;    /* exclusive mode + a whole device: its RDMA device follows the pod */
	bool roce;    /* Ethernet link layer: GIDs carry IPs */
	enum rdmadev_netns_mode mode;
	struct rdmadev dev;
	struct rdmadev_port port;
	char driver[32];
	char link_layer[16];
	char pci[16];  /* of the RDMA device, "" when none (rxe) */
	int gid_index; /* of the pod's IP; -1 unknown */
	char gid_type[16];
};

/*
 * Finds the RDMA device behind netdev (in the host netns), reads the netns mode and checks
 * what the config requires: mode, port ACTIVE, a free GID entry for child kinds; refuses a
 * child kind in exclusive mode. whole_device: the pod gets the netdev itself (the kind's
 * ops->device), so its RDMA device can follow it. Changes nothing.
 */
int cmd_rdma_plan(const struct config *cfg, const struct iflink_info *netdev, bool whole_device,
		  const char *bus_id, struct rdma_plan *plan, struct cni_err *err);
/* Exclusive mode: moves plan's device into the netns behind nsfd. */
int cmd_rdma_move_in(const struct rdma_plan *plan, int nsfd, struct cni_err *err);
/* Moves RDMA device dev from the netns behind nsfd back to ours; -ENOENT when not there. */
int cmd_rdma_move_out(const char *dev, int nsfd);
/* Waits (bounded) for the GID of the pod's first IP (IPv4 first) and records its index. */
int cmd_rdma_gid(struct rdma_plan *plan, int nsfd, const struct cni_result *ipam,
		 struct cni_err *err);
/* "<base> rdma=<dev> port=<n> gid=<i>": what the pod reads in /sys/class/net/<if>/ifalias. */
int cmd_rdma_alias(const struct rdma_plan *plan, const char *base, char out[IFLINK_ALIAS_MAX]);
