/* SPDX-License-Identifier: Apache-2.0 */
/* ipam_alloc.h - one address per range claimed and recorded, and released (ipam_alloc.c). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "rdmanet/ipam_k8s.h"
#include "rdmanet/pool.h"

struct cJSON;

/*
 * One address of rg for x->who, recorded in its IPPool (and claimed by a reservation with
 * overlapping ranges) before it is returned in *ip; the owner's existing entry when it has one.
 */
int ipam_alloc_range(struct ipam_ctx *x, const struct pool_range *rg, struct cni_ip *ip,
		     struct cni_err *err);

/* Removes the entries drop() selects, then their reservations; *n_out: how many (may be NULL). */
int ipam_alloc_release_range(struct ipam_ctx *x, const struct pool_range *rg,
			     bool (*drop)(void *arg, const struct cJSON *entry), void *arg,
			     size_t *n_out, struct cni_err *err);

/*
 * For `reconcile`, the path DEL takes: rereads the pool of rg (named after cfg->network_name),
 * removes the entries drop(arg, entry) selects (entry->string is the offset key), notes their
 * release, then deletes their reservations if still theirs. Fine when the pool is gone. At most
 * IPAM_RELEASE_MAX entries per call: call again for more.
 */
#define IPAM_RELEASE_MAX 256
int ipam_alloc_release(struct ipam_ctx *x, const struct pool_range *rg,
		       bool (*drop)(void *arg, const struct cJSON *entry), void *arg,
		       struct cni_err *err);
