/* SPDX-License-Identifier: Apache-2.0 */
/* iflink.h - create/move+rename/up/delete links; one ops table per kind. */
#pragma once
#include <net/if.h>
#include <linux/if.h> /* IFF_LOWER_UP; after <net/if.h>, as libc-compat.h allows */
#include <stdbool.h>

#include "rdmanet/cni.h"
#include "rdmanet/config.h"
#include "rdmanet/err.h"
#include "rdmanet/netlink.h"
#include "rdmanet/state.h"

#define IFLINK_ALIAS_MAX  256
#define IFLINK_HWADDR_MAX 32

struct nl_msg;
struct nlattr;
struct rdma_plan;

struct iflink_info {
	int ifindex;
	char name[IF_NAMESIZE];
	char kind[32];       /* IFLA_INFO_KIND, "" for physical */
	unsigned short type; /* ARPHRD_* */
	unsigned flags;      /* IFF_* */
	unsigned mtu;
	unsigned char addr[IFLINK_HWADDR_MAX];
	unsigned addr_len;
	int link;           /* IFLA_LINK: parent ifindex, 0 when absent */
	unsigned group;     /* IFLA_GROUP: 0 is the default group */
	unsigned operstate; /* IF_OPER_* */
	char alias[IFLINK_ALIAS_MAX];
	unsigned macvlan_mode; /* IFLA_MACVLAN_MODE when kind is macvlan */
	bool has_ipoib;        /* kind ipoib with IFLA_INFO_DATA (parents report it too) */
	unsigned ipoib_pkey, ipoib_mode, ipoib_umcast;
	unsigned char broadcast[IFLINK_HWADDR_MAX]; /* IFLA_BROADCAST */
	unsigned broadcast_len;
};

/*
 * One attachment in ADD: what the kind's find and attach steps fill in, and what its detach (the
 * undo of attach) reads back.
 */
struct iflink_attach {
	const struct cni_env *env;
	const struct config *cfg;
	const struct iflink_ops *ops; /* the kind, set by find once the parent is known */
	const struct rdma_plan *plan;
	struct netlink *host, *pod;
	int nsfd;                  /* the pod netns */
	int hostfd;                /* the host netns, when the kind needs it (-1: not open) */
	const char *alias;         /* our label, iflink_alias() */
	struct iflink_info master; /* a child's parent, or the device itself, in the host */
	char bus_id[CONFIG_DEVICE_ID_MAX + 1]; /* the device behind it, "" when unknown */
	struct iflink_info link; /* the pod's interface; ifindex 0 until it is there */
	struct state st;         /* what DEL gives back, when state_saved */
	bool state_saved, rdma_moved;
};

/*
 * One attachment kind (macvlan, ipoib, hostdev): the child kinds' additions to the generic create
 * request and checks of the parent, and every kind's parts of ADD, CHECK, DEL, GC and STATUS, so
 * the commands never name a kind. NULL hooks do nothing.
 */
struct iflink_ops {
	const char *name;   /* the config's 'link' and the state's "kind" */
	const char *kind;   /* IFLA_INFO_KIND of the child; NULL: the device itself */
	const char *module; /* the kernel module that provides the kind (modprobe hint) */
	/* The pod gets the device itself: its RDMA device may follow, its bus ID is pciID. */
	bool device;
	/* Checks the parent can carry this kind; fills err (code 100) when not. */
	int (*check_master)(const struct iflink_info *master, const struct config *cfg,
			    struct cni_err *err);
	/* Appends the kind's attributes inside IFLA_INFO_DATA. */
	int (*fill_data)(struct nl_msg *msg, const struct config *cfg,
			 const struct iflink_info *master);
	/* The MTU to ask for (0: the kernel's default). */
	unsigned (*mtu)(const struct config *cfg, const struct iflink_info *master);
	/* Reads the kind's IFLA_INFO_DATA of a link dump into info. */
	void (*parse_data)(struct nlattr *data, struct iflink_info *info);
	/*
	 * Explains a failed create request (r < 0) the kind knows a reason for, filling err with
	 * the kernel's text nlerr; NULL, or 0 returned: the generic message.
	 */
	int (*create_error)(int r, const struct config *cfg, const char *nlerr,
			    struct cni_err *err);
	/* CHECK: the child's kind-specific settings still match cfg; fills err when not. */
	int (*check)(const struct iflink_info *link, const struct config *cfg, const char *ifname,
		     struct cni_err *err);
	/* ADD, once the child is up with its addresses in the pod (nsfd); best effort. NULL: none.
	 */
	void (*after_up)(struct netlink *pod, int nsfd, int ifindex, const struct cni_result *ipam);

	/*
	 * ADD: finds a->master and a->bus_id in the host (a->host) and sets a->ops to the kind
	 * ("auto" is decided here); errors say what to fix.
	 */
	int (*find)(struct iflink_attach *a, struct cni_err *err);
	/* ADD: puts a->link into the pod under CNI_IFNAME with our label; detach undoes it. */
	int (*attach)(struct iflink_attach *a, struct cni_err *err);
	/* ADD's rollback of attach, from whatever part of it was done; logs, never fails. */
	void (*detach)(struct iflink_attach *a);
	/* CHECK: what the host must still hold for the attachment (the parent, or the state). */
	int (*check_host)(struct netlink *host, const struct cni_env *env, const struct config *cfg,
			  struct iflink_info *master, struct cni_err *err);
	/*
	 * DEL, after its routing rules went: removes link, an interface of ours in the pod (pod)
	 * whose attachment left no state.
	 */
	int (*remove)(struct netlink *pod, struct netlink *host, const struct iflink_info *link,
		      const struct cni_env *env, struct cni_err *err);
	/*
	 * DEL and GC of an attachment that saved state st: gives back what it took and forgets
	 * the state. nsfd: the pod netns, -1 when gone. NULL: the kind saves no state.
	 */
	int (*release)(const struct cni_env *env, const struct state *st, int nsfd,
		       const char *alias, struct cni_err *err);
	/*
	 * STATUS: finds master and bus_id in the host (host) and checks they can take pods, with
	 * errors of code 50 or 51; 0 with master->ifindex 0 when there is nothing to look at.
	 */
	int (*status)(struct netlink *host, const struct config *cfg, struct iflink_info *master,
		      char *bus_id, size_t bus_id_len, struct cni_err *err);
};

extern const struct iflink_ops iflink_macvlan_ops;
extern const struct iflink_ops iflink_ipoib_ops;
extern const struct iflink_ops iflink_hostdev_ops;

/*
 * The ops for cfg before its parent is known: the kind 'link' names, and for 'auto' one of the
 * child kinds, which find and check their parent alike; iflink_ops_select() then picks the kind.
 */
const struct iflink_ops *iflink_ops_config(const struct config *cfg);
/* The ops of the kind a saved state names (state.kind); NULL when none. */
const struct iflink_ops *iflink_ops_named(const char *name);
/*
 * The ops of an interface of ours found in the pod without state: its child kind when it is a
 * child of a kind of ours and cfg asks for no whole device, else the whole device's.
 */
const struct iflink_ops *iflink_ops_of_link(const struct config *cfg,
					    const struct iflink_info *link);

/* The parts of find, attach, detach, check_host, remove and status both child kinds share. */
int iflink_child_find(struct iflink_attach *a, struct cni_err *err);
int iflink_child_attach(struct iflink_attach *a, struct cni_err *err);
void iflink_child_detach(struct iflink_attach *a);
int iflink_child_check_host(struct netlink *host, const struct cni_env *env,
			    const struct config *cfg, struct iflink_info *master,
			    struct cni_err *err);
int iflink_child_remove(struct netlink *pod, struct netlink *host, const struct iflink_info *link,
			const struct cni_env *env, struct cni_err *err);
int iflink_child_status(struct netlink *host, const struct config *cfg, struct iflink_info *master,
			char *bus_id, size_t bus_id_len, struct cni_err *err);

/* Picks the ops for cfg->link ("auto": by the parent's link type) and checks the parent. */
const struct iflink_ops *iflink_ops_select(const struct config *cfg,
					   const struct iflink_info *master, struct cni_err *err);
/*
 * The ops an attachment of master made with cfg has, without checking the parent ("auto": ipoib
 * for an InfiniBand parent, macvlan for any other).
 */
const struct iflink_ops *iflink_ops_of(const struct config *cfg, const struct iflink_info *master);
/* The ops of child kind (IFLA_INFO_KIND) kind; NULL when rdmanet creates no such child. */
const struct iflink_ops *iflink_ops_find(const char *kind);

/* -ENOENT when absent. */
int iflink_find(struct netlink *nl, const char *name, struct iflink_info *info);
int iflink_find_index(struct netlink *nl, int ifindex, struct iflink_info *info);
/* Calls fn for every link of the namespace; a negative return from fn stops with that error. */
int iflink_foreach(struct netlink *nl, int (*fn)(const struct iflink_info *info, void *arg),
		   void *arg);

/*
 * Creates a child of master (an ifindex in nl's netns) directly inside the netns behind netns_fd,
 * under its final name, in one request: no move, so no RCU grace period and no window in which a
 * killed ADD leaves a link on the host. cfg->mtu 0 inherits; no cfg->mac: the kernel's choice.
 * group (IFLA_GROUP, 0: none) is the creation marker of iflink_marker(): the kernel ignores an
 * alias in a create request but applies a group, so the link is provably ours from its first
 * instant, before iflink_claim() labels it.
 */
int iflink_create(struct netlink *nl, const struct iflink_ops *ops, const struct config *cfg,
		  const struct iflink_info *master, int netns_fd, const char *name, unsigned group);
/* The RTM_NEWLINK request iflink_create sends (for the tests against iproute2's). */
struct nl_msg *iflink_create_msg(const struct iflink_ops *ops, const struct config *cfg,
				 const struct iflink_info *master, int netns_fd, const char *name,
				 unsigned group);
int iflink_set_alias(struct netlink *nl, int ifindex, const char *alias);
/*
 * Labels a link created with its marker group: sets alias and returns the link to the default
 * group, in one request (a SIGKILL cannot fall between the two).
 */
int iflink_claim(struct netlink *nl, int ifindex, const char *alias);
/*
 * One RTM_NEWLINK for an existing link: into the netns behind netns_fd (-1: stay) under name
 * (NULL: keep; renaming needs the link down, and a move takes it down), with mtu (0: keep) and
 * alias (NULL: keep, "": remove). The kernel moves first, then applies the rest.
 */
int iflink_change(struct netlink *nl, int ifindex, int netns_fd, const char *name, unsigned mtu,
		  const char *alias);
/*
 * Moves link ifindex of nl's netns into the netns of to_fd, where to is a socket, as name with
 * mtu and alias (as iflink_change), or under a kernel-chosen "dev%d" when name is taken there
 * (*renamed is then true). The kernel moves a device under its current name and renames it
 * after: asked for a taken name it would move the device and then fail, so the name is looked
 * up first. (Taken in the moment between, the device is left there under its old name and
 * -EEXIST returned; DEL finds it by its label when retried.)
 */
int iflink_move_named(struct netlink *nl, int ifindex, int to_fd, struct netlink *to,
		      const char *name, unsigned mtu, const char *alias, bool *renamed);
int iflink_set_down(struct netlink *nl, int ifindex);
int iflink_set_up(struct netlink *nl, int ifindex);
/* -ENOENT when absent. */
int iflink_delete(struct netlink *nl, int ifindex);

/*
 * hostdev: the netdev to move, named by cfg->master or found from cfg->device_id (a PCI VF/PF
 * or an auxiliary SF) in nl's netns; fills bus_id when known. Errors say whether the device
 * does not exist or is already in another netns (attached to another pod).
 */
int iflink_hostdev_find(struct netlink *nl, const struct config *cfg, struct iflink_info *dev,
			char *bus_id, size_t bus_id_len, struct cni_err *err);

/* The alias that marks our links: "rdmanet:<containerid>:<ifname>". */
int iflink_alias(const char *containerid, const char *ifname, char out[IFLINK_ALIAS_MAX]);
/*
 * The creation marker of the child for containerid/ifname: 30 bits of a 32-bit FNV-1a hash of its
 * alias, with bit 30 set: never 0 (the default group) nor one of the small numbers of
 * /etc/iproute2/group, and below 2^31, which is what `ip link set group` accepts. Another
 * plugin's link carries it only by a 1 in 2^30 accident of a group it set itself.
 */
unsigned iflink_marker(const char *containerid, const char *ifname);
/* Whether a link's alias is ours: the base alias, alone or followed by " rdma=..." details. */
bool iflink_alias_matches(const char *have, const char *base);
/* Colon hex form, "" for no address. */
void iflink_format_hwaddr(const unsigned char *addr, unsigned len, char *out, size_t outlen);
