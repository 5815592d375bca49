/* SPDX-License-Identifier: Apache-2.0 */
/*
 * state.h - what an attachment moved and what it must give back, kept per attachment under
 * /var/lib/cni/rdmanet/ (written atomically, 0600 in a 0700 directory) so DEL and CHECK work
 * after a restart of the runtime or a killed ADD.
 */
#pragma once
#include <net/if.h>
#include <stdbool.h>

#include "rdmanet/cni.h"
#include "rdmanet/config.h"
#include "rdmanet/rdmadev.h"

#define STATE_DIR       "/var/lib/cni/rdmanet"
#define STATE_MAX_BYTES 16384

struct state {
	char network[254]; /* network name: GC collects only its own network's */
	char containerid[CNI_CONTAINERID_MAX + 1];
	char ifname[IF_NAMESIZE];
	char netns[CNI_NETNS_MAX + 1]; /* the pod netns at ADD, for GC */
	char kind[16];                 /* "hostdev" */
	char host_name[IF_NAMESIZE];   /* the netdev's name in the host, restored on DEL */
	int host_ifindex;
	unsigned host_mtu;                  /* restored on DEL */
	char bus_id[65];                    /* PCI address or auxiliary device, "" when none */
	char rdma_device[RDMADEV_NAME_MAX]; /* "" without an RDMA device */
	unsigned rdma_port;
	bool rdma_moved; /* exclusive mode: the RDMA device followed the netdev */
	int gid_index;   /* -1 when unknown */
};

/* Loads the state of containerid/ifname; -ENOENT when there is none. */
int state_load(const char *containerid, const char *ifname, struct state *st);
/* Writes it atomically (temp file, fsync, rename, fsync of the directory). */
int state_save(const char *containerid, const char *ifname, const struct state *st);
/* -ENOENT is fine for callers that clean up. */
int state_remove(const char *containerid, const char *ifname);
/* Calls fn for every readable state file (unreadable ones are skipped). */
int state_foreach(int (*fn)(const struct state *st, void *arg), void *arg);
