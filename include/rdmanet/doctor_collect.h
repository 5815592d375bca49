/* SPDX-License-Identifier: Apache-2.0 */
/*
 * doctor_collect.h - the doctor's facts: RDMA netlink, sysfs, libibverbs and rtnetlink of the
 * netns (and /sys) the caller is in, gathered into one cJSON report; the rules of
 * doctor_rules.h add their findings as the facts come in.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "rdmanet/doctor.h"
#include "rdmanet/doctor_rules.h"
#include "rdmanet/netlink.h"
#include "rdmanet/rdmadev.h"
#include "rdmanet/rdmadev_sysfs.h"

struct doctor {
	const struct doctor_opts *o;
	struct netlink rt, rdma; /* .sk NULL: not available */
	struct netlink host;     /* --netns: the host's rtnetlink, for the rails' parents */
	bool verbs;
	cJSON *root;
	struct doctor_findings findings;
	struct rdmadev devs[64];
	struct rdmadev_port ports[256];
	size_t n_devs, n_ports;
	bool any_active;
	/* the GID table of the port last asked about: an interface may hold many IPs */
	char gid_dev[RDMADEV_NAME_MAX];
	unsigned gid_port;
	struct rdmadev_gid *gids;
	size_t n_gids, cap_gids;
};

/*
 * Fills d->root (netns, libibverbs, devices, rails, interfaces) and d->findings; opens d->rt and
 * d->rdma, which the caller closes (.sk NULL when they could not be opened).
 */
void doctor_collect(struct doctor *d);
