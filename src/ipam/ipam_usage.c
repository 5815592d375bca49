/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipam_usage.c - how full an IPPool is, from the object a reconcile pass has already read: its
 * range's size, the entries of spec.allocations, and the addresses resting after a release
 * (the RELEASED_PREFIX notes of ipam_store.h, holding the unix time of the release). No API
 * request of its own.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rdmanet/ipam_reconcile.h"
#include "rdmanet/ipam_store.h"
#include "rdmanet/pool.h"

static const cJSON *member(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);

	return b ? cJSON_GetObjectItemCaseSensitive(v, b) : v;
}

void ipam_pool_usage(const cJSON *pool, const struct pool_range *rg, unsigned quiet_s, time_t now,
		     struct ipam_pool_usage *u)
{
	const cJSON *allocs = member(pool, "spec", "allocations");
	const cJSON *name = member(pool, "metadata", "name");
	const cJSON *range = member(pool, "spec", "range");
	const cJSON *it;
	pool_off_t off;

	memset(u, 0, sizeof(*u));
	u->name = cJSON_IsString(name) ? name->valuestring : "";
	u->range = cJSON_IsString(range) ? range->valuestring : "";
	u->size = (double) pool_span(rg);
	if (!cJSON_IsObject(allocs))
		allocs = NULL;
	cJSON_ArrayForEach(it, allocs)
		if (pool_off_parse(it->string, &off) >= 0 && pool_usable(rg, off))
			u->allocated++;
	cJSON_ArrayForEach(it, member(pool, "metadata", "annotations")) {
		double at;

		if (!ipam_store_released_note(it, &off, &at) || !pool_usable(rg, off) ||
		    (double) now - at >= (double) quiet_s)
			continue;
		/* handed out again (every other address was taken): allocated, not resting */
		if (!cJSON_GetObjectItemCaseSensitive(allocs, it->string + strlen(RELEASED_PREFIX)))
			u->quiet++;
	}
}
