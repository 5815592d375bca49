/* SPDX-License-Identifier: Apache-2.0 */
/* ipam_reconcile.h - `rdmanet-ipam reconcile`: release allocations of pods that are gone and
 * delete OverlappingRangeIPReservations no pool entry holds. */
#pragma once
#include <stdbool.h>
#include <time.h>

#include "rdmanet/err.h"
#include "rdmanet/k8s.h"

struct cJSON;
struct pool_range;

/* What one IPPool holds, as a pass read it (before its releases): for metrics. */
struct ipam_pool_usage {
	const char *name, *range; /* metadata.name, spec.range (valid while the pass runs) */
	double size;              /* addresses of the range (spec.range knows no exclusions) */
	unsigned long allocated;  /* entries at a usable offset */
	unsigned long quiet;      /* free, but released less than quiet_s ago (resting) */
};

struct ipam_reconcile_opts {
	const char *ns;   /* where the IPPools and reservations live */
	unsigned grace_s; /* spares young objects and recent deletions (--grace, 60) */
	bool dry_run;     /* log what would be done, change nothing */
	/* called for every IPPool read (may be NULL) */
	void (*pool_seen)(void *arg, const struct ipam_pool_usage *u);
	void *arg;
};

/* orphans: reservations deleted (would be, with dry_run): no pool entry's container holds them,
 * or, without containerid, their pod is judged gone; unowned: kept, naming neither. freed and
 * deleted: of released and orphans, those the API writes did release (0 with dry_run). */
struct ipam_reconcile_stats {
	unsigned pools, allocations, released, orphans, kept, unowned;
	unsigned freed, deleted;
};

/* The usage of an IPPool object of range rg (ipam_usage.c), resting addresses judged at now. */
void ipam_pool_usage(const struct cJSON *pool, const struct pool_range *rg, unsigned quiet_s,
		     time_t now, struct ipam_pool_usage *u);

/*
 * One pass: lists the IPPools of o->ns and every pod (paginated), releases (as DEL does) each
 * allocation whose pod is gone, has been deleting for over grace_s, or (older than grace_s)
 * carries a network-status annotation without the address; then deletes reservations older than
 * grace_s that no pool entry holds, or, written without containerid (whereabouts), whose pod the
 * same tests find gone. Logs one line per action. API failures: -errno with
 * err naming the URL and status.
 */
int ipam_reconcile(struct k8s_client *k, const struct ipam_reconcile_opts *o,
		   struct ipam_reconcile_stats *st, struct cni_err *err);
