/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipam_k8s.c - rdmanet-ipam's CNI commands (ADD, DEL, CHECK, GC, STATUS) over every range of the
 * config, on top of the allocation of ipam_alloc.c and the objects of ipam_store.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/clock.h"
#include "rdmanet/ipam_alloc.h"
#include "rdmanet/ipam_k8s.h"
#include "rdmanet/ipam_store.h"
#include "rdmanet/log.h"

DEFINE_CLEANUP(cJSON *, cJSON_Delete)

/*
 * DEL found no pool entry of the container in rg: a DEL killed after the pool write may have
 * left its reservations. The addresses of prevResult in rg name them; each goes if it is still
 * this container's (another owner's claim stays).
 */
static int unreserve_prev(struct ipam_ctx *x, const struct pool_range *rg,
			  const struct cni_result *prev, struct cni_err *err)
{
	pool_off_t off;
	int r = 0;

	for (unsigned i = 0; i < prev->n_ips && r >= 0; i++)
		if (prev->ips[i].family == rg->net.family &&
		    pool_offset(rg, prev->ips[i].addr, &off) >= 0)
			r = ipam_store_unreserve(x, rg, off, x->who->containerid,
						 clock_now_ms() + x->cfg->retry_budget_ms, err);
	return r;
}

static bool drop_owner(void *arg, const cJSON *entry)
{
	const struct ipam_ctx *x = arg;

	return ipam_store_entry_is(entry, x->who);
}

int ipam_k8s_add(struct ipam_ctx *x, struct cni_result *res, struct cni_err *err)
{
	const struct ipam_config *cfg = x->cfg;
	unsigned i;
	int r = 0;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < cfg->n_ranges; i++) {
		r = ipam_alloc_range(x, &cfg->ranges[i], &res->ips[i], err);
		if (r < 0)
			break;
		res->n_ips++;
	}
	if (r < 0) {
		/* dual-stack is all or nothing: give back what the earlier ranges gave */
		while (i-- > 0)
			(void) ipam_alloc_release_range(x, &cfg->ranges[i], drop_owner, x, NULL,
							NULL);
		res->n_ips = 0;
		return r;
	}
	memcpy(res->routes, cfg->extra.routes, sizeof(res->routes[0]) * cfg->extra.n_routes);
	res->n_routes = cfg->extra.n_routes;
	if (cfg->extra.dns && !(res->dns = cJSON_Duplicate(cfg->extra.dns, true)))
		return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
	return 0;
}

int ipam_k8s_del(struct ipam_ctx *x, struct cni_err *err)
{
	_cleanup_(cni_result_free) struct cni_result prev = { 0 };
	struct cni_err bad = { 0 };
	int r = 0;

	/* the runtime's cached ADD result: a hint for what a killed DEL left, never required */
	if (x->cfg->prev_result &&
	    cni_result_parse(x->cfg->prev_result, "prevResult", CNI_ERR_DECODE, &prev, &bad) < 0)
		log_warn("DEL: %s, ignoring it", bad.msg);
	for (unsigned i = 0; i < x->cfg->n_ranges; i++) {
		size_t n = 0;
		int r2 = ipam_alloc_release_range(x, &x->cfg->ranges[i], drop_owner, x, &n, err);

		if (r2 >= 0 && !n && x->cfg->overlapping)
			r2 = unreserve_prev(x, &x->cfg->ranges[i], &prev, err);
		if (r2 < 0 && r >= 0)
			r = r2;
	}
	return r;
}

int ipam_k8s_check(struct ipam_ctx *x, struct cni_err *err)
{
	struct pool_view v = { 0 };
	char name[POOL_NAME_MAX], cidr[64];
	pool_off_t off;
	int r = 0;

	for (unsigned i = 0; i < x->cfg->n_ranges && r >= 0; i++) {
		const struct pool_range *rg = &x->cfg->ranges[i];

		ipam_store_cidr_text(&rg->net, cidr, sizeof(cidr));
		if (pool_name(rg, x->cfg->network_name, name, sizeof(name)) < 0)
			break;
		r = ipam_store_view_load(x, rg, name, false, &v, err);
		if (r < 0)
			break;
		if (!v.obj || ipam_store_find_owner(&v, rg, x->who, &off) < 0)
			r = err_set(err, -ENOENT, RDMANET_ERR_CHECK, NULL,
				    "no allocation for container '%.64s' ifname "
				    "'%s' in IPPool '%s' (%s)",
				    x->who->containerid, x->who->ifname, name, cidr);
		else if (x->cfg->overlapping) {
			_cleanup_(cJSON_Deletep) cJSON *got = NULL;
			int o = ipam_store_resv_owner(x, rg, off, x->who->containerid,
						      x->who->ifname, &got, err);

			if (o < 0 && o != -ENOENT)
				r = o;
			else if (o != 0)
				r = err_set(err, -EEXIST, RDMANET_ERR_CHECK, NULL,
					    "the address of container '%.64s' "
					    "in IPPool '%s' has %s",
					    x->who->containerid, name,
					    o == -ENOENT ? "no OverlappingRangeIPReservation" :
							   "a reservation of another owner");
		}
	}
	ipam_store_view_reset(&v);
	return r < 0 ? r : 0;
}

static bool drop_invalid(void *arg, const cJSON *entry)
{
	const struct ipam_ctx *x = arg;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(entry, "id");
	const cJSON *ifn = cJSON_GetObjectItemCaseSensitive(entry, "ifname");
	const cJSON *it;

	cJSON_ArrayForEach(it, x->cfg->valid_attachments) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(it, "containerID");
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(it, "ifname");

		if (cJSON_IsString(id) && !strcmp(c->valuestring, id->valuestring) &&
		    (!cJSON_IsString(ifn) || !strcmp(f->valuestring, ifn->valuestring)))
			return false;
	}
	return true;
}

int ipam_k8s_gc(struct ipam_ctx *x, struct cni_err *err)
{
	int r = 0;

	for (unsigned i = 0; i < x->cfg->n_ranges; i++) {
		int r2 =
			ipam_alloc_release_range(x, &x->cfg->ranges[i], drop_invalid, x, NULL, err);
		if (r2 < 0 && r >= 0)
			r = r2;
	}
	return r;
}

int ipam_k8s_status(struct ipam_ctx *x, struct cni_err *err)
{
	struct pool_view v = { 0 };
	char name[POOL_NAME_MAX];
	int r = 0;

	for (unsigned i = 0; i < x->cfg->n_ranges && r >= 0; i++) {
		if (pool_name(&x->cfg->ranges[i], x->cfg->network_name, name, sizeof(name)) < 0)
			continue;
		r = ipam_store_view_load(x, &x->cfg->ranges[i], name, false, &v, err);
	}
	ipam_store_view_reset(&v);
	if (r < 0)
		err->code = CNI_ERR_NOT_AVAILABLE;
	return r < 0 ? r : 0;
}
