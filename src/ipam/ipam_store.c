/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipam_store.c - whereabouts' objects in the Kubernetes API: the IPPool read (and created) into a
 * view, its guarded writes, the OverlappingRangeIPReservation claims; how their failures are
 * worded, and which of them are tried again (see ipam_alloc.c for why).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cjson/cJSON.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/clock.h"
#include "rdmanet/ipam_store.h"
#include "rdmanet/log.h"

DEFINE_CLEANUP(cJSON *, cJSON_Delete)

#define API_PREFIX IPAM_API_PATH
#define ALLOCS_MAX (1u << 20)

int ipam_node_file(const char *dir, const char *name, const char *suffix)
{
	char path[PATH_MAX];
	int fd;

	if (!dir)
		dir = IPAM_LOCK_DIR;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (snprintf(path, sizeof(path), "%s/%s%s", dir, name, suffix) >= (int) sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	return fd < 0 ? -errno : fd;
}

unsigned long long ipam_store_random_u64(void)
{
	unsigned long long v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t) sizeof(v))
		v = (unsigned long long) clock_now_ms() * 6364136223846793005ULL ^
		    (unsigned long long) getpid();
	return v;
}

void ipam_store_backoff(unsigned attempt, long long deadline)
{
	unsigned long long cap = 10u << (attempt < 7 ? attempt : 7);
	long long ms = (long long) (ipam_store_random_u64() % cap) + 1;
	struct timespec ts;

	if (clock_now_ms() + ms > deadline)
		ms = deadline - clock_now_ms();
	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	(void) nanosleep(&ts, NULL);
}

bool ipam_store_transient(int r)
{
	return r == -EAGAIN || r == -ETIMEDOUT || r == -ECONNREFUSED || r == -ECONNRESET ||
	       r == -EHOSTUNREACH || r == -ENETUNREACH || r == -EIO;
}

int ipam_store_err_keep(struct cni_err *err, const struct cni_err *e, int r)
{
	if (err && !err->code)
		*err = *e;
	return r;
}

bool ipam_store_retry_later(int r, const struct cni_err *e, struct cni_err *err,
			    struct cni_err *last, unsigned *tries, long long deadline)
{
	if (ipam_store_transient(r) && clock_now_ms() < deadline) {
		log_debug("%s (%s): trying again", e->msg, e->details);
		if (last)
			*last = *e;
		ipam_store_backoff((*tries)++, deadline);
		return true;
	}
	(void) ipam_store_err_keep(err, e, r);
	return false;
}

long long ipam_store_grace_deadline(const struct ipam_ctx *x)
{
	unsigned ms = x->cfg->api_timeout_ms < x->cfg->retry_budget_ms ? x->cfg->api_timeout_ms :
									 x->cfg->retry_budget_ms;

	return clock_now_ms() + ms;
}

int ipam_store_api_fail(struct k8s_client *k, int r, struct cni_err *err, const char *what)
{
	return err_set(err, r, ipam_store_transient(r) ? CNI_ERR_TRY_AGAIN : RDMANET_ERR_API,
		       k8s_errmsg(k), "Kubernetes API: cannot %s", what);
}

static void pool_path(struct ipam_ctx *x, const char *name, char *out, size_t len)
{
	(void) snprintf(out, len, API_PREFIX "%s/ippools/%s", x->ns, name);
}

static void resv_path(struct ipam_ctx *x, const char *name, char *out, size_t len)
{
	(void) snprintf(out, len, API_PREFIX "%s/overlappingrangeipreservations/%s", x->ns, name);
}

void ipam_store_format_ip(int family, const unsigned char *a, char *out, size_t len)
{
	if (!inet_ntop(family, a, out, (socklen_t) len))
		(void) snprintf(out, len, "?");
}

void ipam_store_cidr_text(const struct pool_cidr *c, char *out, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	ipam_store_format_ip(c->family, c->addr, ip, sizeof(ip));
	(void) snprintf(out, len, "%s/%u", ip, c->prefixlen);
}

/* ---- the pool as read from the API */

/* The resourceVersion of obj into rv ("" when it has none). */
static void rv_of(const cJSON *obj, char *rv, size_t len)
{
	const cJSON *s =
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"),
						 "resourceVersion");

	(void) snprintf(rv, len, "%s", cJSON_IsString(s) ? s->valuestring : "");
}

const char *ipam_store_view_rv(const struct pool_view *v)
{
	return v->rv;
}

void ipam_store_view_reset(struct pool_view *v)
{
	cJSON_Delete(v->obj);
	free(v->taken);
	memset(v, 0, sizeof(*v));
}

static int cmp_off(const void *a, const void *b)
{
	pool_off_t x = *(const pool_off_t *) a, y = *(const pool_off_t *) b;

	return x < y ? -1 : x > y;
}

bool ipam_store_in_sorted(const pool_off_t *v, size_t n, pool_off_t off)
{
	return n && bsearch(&off, v, n, sizeof(*v), cmp_off);
}

bool ipam_store_released_note(const cJSON *note, pool_off_t *off, double *at)
{
	char *end;

	if (!cJSON_IsString(note) || !note->string ||
	    strncmp(note->string, RELEASED_PREFIX, strlen(RELEASED_PREFIX)) ||
	    pool_off_parse(note->string + strlen(RELEASED_PREFIX), off) < 0)
		return false;
	*at = strtod(note->valuestring, &end);
	return end != note->valuestring && !*end;
}

/* Reads the released-at annotations (bounded); ipam_store_view_resting() says which still rest. */
static void view_released(struct pool_view *v)
{
	const cJSON *ann =
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(v->obj,
										  "metadata"),
						 "annotations");
	const cJSON *it;

	cJSON_ArrayForEach(it, ann) {
		pool_off_t off;
		double at;

		if (v->n_released >= RELEASED_MAX || !ipam_store_released_note(it, &off, &at))
			continue;
		v->released[v->n_released].off = off;
		v->released[v->n_released++].at = at;
	}
	qsort(v->released, v->n_released, sizeof(v->released[0]), cmp_off);
}

bool ipam_store_view_resting(const struct pool_view *v, const struct ipam_config *cfg,
			     pool_off_t off)
{
	const struct released *r = v->n_released ? bsearch(&off, v->released, v->n_released,
							   sizeof(v->released[0]), cmp_off) :
						   NULL;

	return r && (double) time(NULL) - r->at < (double) cfg->quiet_s;
}

/* Validates spec.allocations and indexes its offsets. */
static int view_index(struct pool_view *v, const char *name, struct cni_err *err)
{
	cJSON *spec = cJSON_GetObjectItemCaseSensitive(v->obj, "spec");
	const cJSON *it;
	size_t n;

	if (!cJSON_IsObject(spec))
		return err_set(err, -EBADMSG, RDMANET_ERR_API, NULL,
			       "IPPool '%s' has no spec object", name);
	v->allocs = cJSON_GetObjectItemCaseSensitive(spec, "allocations");
	if (!v->allocs || cJSON_IsNull(v->allocs)) {
		(void) cJSON_DeleteItemFromObjectCaseSensitive(spec, "allocations");
		v->allocs = cJSON_AddObjectToObject(spec, "allocations");
		if (!v->allocs)
			return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
	}
	if (!cJSON_IsObject(v->allocs))
		return err_set(err, -EBADMSG, RDMANET_ERR_API, NULL,
			       "IPPool '%s': spec.allocations is not an object", name);
	n = (size_t) cJSON_GetArraySize(v->allocs);
	if (n > ALLOCS_MAX)
		return err_set(err, -E2BIG, RDMANET_ERR_API, NULL,
			       "IPPool '%s' has %zu allocations", name, n);
	v->taken = calloc(n ? n : 1, sizeof(*v->taken));
	if (!v->taken)
		return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
	cJSON_ArrayForEach(it, v->allocs) {
		pool_off_t off;

		if (pool_off_parse(it->string, &off) < 0 || !cJSON_IsObject(it) ||
		    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(it, "id")))
			return err_set(err, -EBADMSG, RDMANET_ERR_API, NULL,
				       "IPPool '%s' has a malformed allocation '%.40s'", name,
				       it->string);
		v->taken[v->n_taken++] = off;
	}
	qsort(v->taken, v->n_taken, sizeof(*v->taken), cmp_off);
	view_released(v);
	rv_of(v->obj, v->rv, sizeof(v->rv));
	return 0;
}

int ipam_store_view_load(struct ipam_ctx *x, const struct pool_range *rg, const char *name,
			 bool create, struct pool_view *v, struct cni_err *err)
{
	char path[K8S_PATH_MAX], cidr[64];
	long status;
	int r;

	ipam_store_view_reset(v);
	pool_path(x, name, path, sizeof(path));
	for (int tries = 0; tries < 3; tries++) {
		_cleanup_(cJSON_Deletep) cJSON *body = NULL;
		_cleanup_free_ char *text = NULL;
		cJSON *meta, *spec;

		r = k8s_request(x->k, "GET", path, NULL, &status, &v->obj);
		if (r >= 0)
			return view_index(v, name, err);
		cJSON_Delete(v->obj);
		v->obj = NULL;
		if (r != -ENOENT)
			return ipam_store_api_fail(x->k, r, err, "read IPPool");
		if (!create)
			return 0;
		ipam_store_cidr_text(&rg->net, cidr, sizeof(cidr));
		body = cJSON_CreateObject();
		if (!body ||
		    !cJSON_AddStringToObject(body, "apiVersion",
					     IPAM_API_GROUP "/" IPAM_API_VERSION) ||
		    !cJSON_AddStringToObject(body, "kind", "IPPool") ||
		    !(meta = cJSON_AddObjectToObject(body, "metadata")) ||
		    !cJSON_AddStringToObject(meta, "name", name) ||
		    !cJSON_AddStringToObject(meta, "namespace", x->ns) ||
		    !(spec = cJSON_AddObjectToObject(body, "spec")) ||
		    !cJSON_AddStringToObject(spec, "range", cidr) ||
		    !cJSON_AddObjectToObject(spec, "allocations") ||
		    !(text = cJSON_PrintUnformatted(body)))
			return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
		(void) snprintf(path, sizeof(path), API_PREFIX "%s/ippools", x->ns);
		r = k8s_request(x->k, "POST", path, text, &status, NULL);
		pool_path(x, name, path, sizeof(path));
		if (r < 0 && r != -EEXIST)
			return ipam_store_api_fail(x->k, r, err, "create IPPool");
		if (r >= 0)
			log_info("created IPPool '%s' for %s", name, cidr);
	}
	return err_set(err, -EAGAIN, CNI_ERR_TRY_AGAIN, NULL,
		       "IPPool '%s' keeps disappearing after its creation", name);
}

bool ipam_store_entry_is(const cJSON *e, const struct ipam_owner *who)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");
	const cJSON *ifn = cJSON_GetObjectItemCaseSensitive(e, "ifname");

	return cJSON_IsString(id) && !strcmp(id->valuestring, who->containerid) &&
	       (!cJSON_IsString(ifn) || !strcmp(ifn->valuestring, who->ifname));
}

int ipam_store_find_owner(const struct pool_view *v, const struct pool_range *rg,
			  const struct ipam_owner *who, pool_off_t *off)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, v->allocs)
		if (ipam_store_entry_is(it, who) && pool_off_parse(it->string, off) >= 0 &&
		    pool_usable(rg, *off))
			return 0;
	return -ENOENT;
}

const cJSON *ipam_store_find_podref(const struct pool_view *v, const struct pool_range *rg,
				    const struct ipam_owner *who, pool_off_t *off)
{
	const cJSON *it;

	if (!who->podref[0])
		return NULL;
	cJSON_ArrayForEach(it, v->allocs) {
		const cJSON *pr = cJSON_GetObjectItemCaseSensitive(it, "podref");
		const cJSON *ifn = cJSON_GetObjectItemCaseSensitive(it, "ifname");

		if (cJSON_IsString(pr) && !strcmp(pr->valuestring, who->podref) &&
		    (!cJSON_IsString(ifn) || !strcmp(ifn->valuestring, who->ifname)) &&
		    pool_off_parse(it->string, off) >= 0 && pool_usable(rg, *off))
			return it;
	}
	return NULL;
}

cJSON *ipam_store_owner_json(const struct ipam_owner *who, bool reservation)
{
	cJSON *o = cJSON_CreateObject();

	if (!o ||
	    !cJSON_AddStringToObject(o, reservation ? "containerid" : "id", who->containerid) ||
	    !cJSON_AddStringToObject(o, "podref", who->podref) ||
	    !cJSON_AddStringToObject(o, "ifname", who->ifname)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* ---- reservations: the create-only claim on one IP */

void ipam_store_off_text(const struct pool_range *rg, pool_off_t off, unsigned char a[16], char *ip,
			 size_t iplen)
{
	pool_addr_at(rg, off, a);
	ipam_store_format_ip(rg->net.family, a, ip, iplen);
}

static int resv_name(struct ipam_ctx *x, const struct pool_range *rg, pool_off_t off, char *name,
		     size_t len, char *ip, size_t iplen)
{
	unsigned char a[16];

	ipam_store_off_text(rg, off, a, ip, iplen);
	return pool_reservation_name(rg->net.family, a, x->cfg->network_name, name, len);
}

int ipam_store_resv_owner(struct ipam_ctx *x, const struct pool_range *rg, pool_off_t off,
			  const char *containerid, const char *ifname, cJSON **got,
			  struct cni_err *err)
{
	char name[POOL_NAME_MAX], ip[INET6_ADDRSTRLEN], path[K8S_PATH_MAX];
	const cJSON *s, *cid, *ifn, *pr;
	long status;
	int r;

	*got = NULL;
	if (resv_name(x, rg, off, name, sizeof(name), ip, sizeof(ip)) < 0)
		return -ENOENT;
	resv_path(x, name, path, sizeof(path));
	r = k8s_request(x->k, "GET", path, NULL, &status, got);
	if (r == -ENOENT)
		return r;
	if (r < 0)
		return ipam_store_api_fail(x->k, r, err, "read OverlappingRangeIPReservation");
	s = cJSON_GetObjectItemCaseSensitive(*got, "spec");
	cid = cJSON_GetObjectItemCaseSensitive(s, "containerid");
	ifn = cJSON_GetObjectItemCaseSensitive(s, "ifname");
	if (cJSON_IsString(cid) && !strcmp(cid->valuestring, containerid) &&
	    (!ifname || !cJSON_IsString(ifn) || !strcmp(ifn->valuestring, ifname)))
		return 0;
	pr = cJSON_GetObjectItemCaseSensitive(s, "podref");
	if (!cid && x->who && x->who->podref[0] && x->who->ifname && cJSON_IsString(pr) &&
	    !strcmp(pr->valuestring, x->who->podref) &&
	    (!cJSON_IsString(ifn) || !strcmp(ifn->valuestring, x->who->ifname)))
		return 0;
	return 1;
}

int ipam_store_reserve(struct ipam_ctx *x, const struct pool_range *rg, pool_off_t off,
		       long long deadline, struct cni_err *err)
{
	_cleanup_(cJSON_Deletep) cJSON *body = cJSON_CreateObject(), *got = NULL;
	_cleanup_free_ char *text = NULL;
	char name[POOL_NAME_MAX], ip[INET6_ADDRSTRLEN], path[K8S_PATH_MAX];
	cJSON *meta, *spec;
	long status;
	int r;

	r = resv_name(x, rg, off, name, sizeof(name), ip, sizeof(ip));
	if (r < 0)
		return err_set(err, r, CNI_ERR_INVALID_CONFIG, NULL,
			       "reservation name for %s is too long: shorten ipam.network_name",
			       ip);
	if (!body ||
	    !cJSON_AddStringToObject(body, "apiVersion", IPAM_API_GROUP "/" IPAM_API_VERSION) ||
	    !cJSON_AddStringToObject(body, "kind", "OverlappingRangeIPReservation") ||
	    !(meta = cJSON_AddObjectToObject(body, "metadata")) ||
	    !cJSON_AddStringToObject(meta, "name", name) ||
	    !cJSON_AddStringToObject(meta, "namespace", x->ns) ||
	    !(spec = ipam_store_owner_json(x->who, true)) ||
	    !cJSON_AddItemToObject(body, "spec", spec) || !(text = cJSON_PrintUnformatted(body)))
		return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
	(void) snprintf(path, sizeof(path), API_PREFIX "%s/overlappingrangeipreservations", x->ns);
	for (unsigned tries = 0;;) {
		struct cni_err e = { 0 };
		int o;

		cJSON_Delete(got);
		got = NULL;
		r = k8s_request(x->k, "POST", path, text, &status, NULL);
		if (r >= 0)
			return 0;
		if (r != -EEXIST && !ipam_store_transient(r))
			return ipam_store_api_fail(x->k, r, err,
						   "create OverlappingRangeIPReservation");
		if (r != -EEXIST)
			(void) ipam_store_api_fail(x->k, r, &e,
						   "create OverlappingRangeIPReservation");
		/* taken, or no answer: perhaps our own create committed */
		o = ipam_store_resv_owner(x, rg, off, x->who->containerid, x->who->ifname, &got,
					  &e);
		if (o == 0 || o == 1 || (o == -ENOENT && r == -EEXIST)) {
			if (o != 0)
				log_debug("%s is reserved by another owner: choosing again", ip);
			return o == 0 ? 0 : 1; /* released meanwhile: let the caller pick afresh */
		}
		if (o != -ENOENT)
			r = o;
		if (!ipam_store_retry_later(r, &e, err, NULL, &tries, deadline))
			break;
	}
	/* a create with no answer may still commit: take back a claim that is ours (uid
	 * precondition) */
	k8s_deadline_set(x->k, ipam_store_grace_deadline(x));
	(void) ipam_store_unreserve(x, rg, off, x->who->containerid, ipam_store_grace_deadline(x),
				    NULL);
	k8s_deadline_set(x->k, deadline);
	return r;
}

int ipam_store_unreserve_uid(struct ipam_ctx *x, const char *name, const char *uid,
			     struct cni_err *err)
{
	char path[K8S_PATH_MAX], body[256];
	long status;
	int r;

	if (!uid || !uid[0] || strlen(uid) > 64 || strpbrk(uid, "\"\\"))
		return err_set(err, -EBADMSG, RDMANET_ERR_API, NULL, "reservation '%s' has no uid",
			       name);
	resv_path(x, name, path, sizeof(path));
	/* only the object we looked at: a new claim by someone else must survive */
	(void) snprintf(body, sizeof(body),
			"{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"preconditions\":{"
			"\"uid\":\"%s\"}}",
			uid);
	r = k8s_request(x->k, "DELETE", path, body, &status, NULL);
	if (r < 0 && r != -ENOENT && r != -ESTALE)
		return ipam_store_api_fail(x->k, r, err, "delete OverlappingRangeIPReservation");
	return 0;
}

int ipam_store_unreserve(struct ipam_ctx *x, const struct pool_range *rg, pool_off_t off,
			 const char *containerid, long long deadline, struct cni_err *err)
{
	char name[POOL_NAME_MAX], ip[INET6_ADDRSTRLEN];
	struct cni_err e;
	unsigned tries = 0;
	int r;

	(void) resv_name(x, rg, off, name, sizeof(name), ip, sizeof(ip));
	do {
		_cleanup_(cJSON_Deletep) cJSON *got = NULL;
		const cJSON *uid;

		e = (struct cni_err){ 0 };

		r = ipam_store_resv_owner(x, rg, off, containerid, NULL, &got, &e);
		if (r == -ENOENT || r == 1)
			return 0;
		if (r >= 0) {
			uid = cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(got, "metadata"), "uid");
			r = ipam_store_unreserve_uid(x, name,
						     cJSON_IsString(uid) ? uid->valuestring : NULL,
						     &e);
			if (r >= 0)
				return 0;
		}
	} while (ipam_store_retry_later(r, &e, err, NULL, &tries, deadline));
	return r;
}

/* ---- writing the pool */

int ipam_store_pool_write(struct ipam_ctx *x, struct pool_view *v, const char *name,
			  const char *add_key, cJSON *add_entry, const pool_off_t *dels,
			  size_t n_dels, size_t stride, bool fence, struct cni_err *err)
{
	_cleanup_(cJSON_Deletep) cJSON *patch = NULL, *entry = add_entry, *resp = NULL;
	_cleanup_free_ char *text = NULL;
	cJSON *meta, *ann, *allocs, *target;
	char path[K8S_PATH_MAX], key[64], ts[32];
	long status;
	int r;

	if (x->cfg->overlapping) {
		patch = cJSON_CreateObject();
		if (!patch || !(meta = cJSON_AddObjectToObject(patch, "metadata")) ||
		    !(ann = cJSON_AddObjectToObject(meta, "annotations")) ||
		    !(target = cJSON_AddObjectToObject(patch, "spec")) ||
		    !(allocs = cJSON_AddObjectToObject(target, "allocations")) ||
		    (v->rv[0] && !cJSON_AddStringToObject(meta, "resourceVersion", v->rv)))
			return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
	} else {
		meta = cJSON_GetObjectItemCaseSensitive(v->obj, "metadata");
		if (!cJSON_IsObject(meta))
			return err_set(err, -EBADMSG, RDMANET_ERR_API, NULL,
				       "IPPool '%s' has no metadata", name);
		ann = cJSON_GetObjectItemCaseSensitive(meta, "annotations");
		if (!cJSON_IsObject(ann)) {
			(void) cJSON_DeleteItemFromObjectCaseSensitive(meta, "annotations");
			ann = cJSON_AddObjectToObject(meta, "annotations");
		}
		allocs = v->allocs;
		if (!ann)
			return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
	}
	/* release notes past the quiet period go; new ones come */
	for (size_t i = 0; i < v->n_released; i++) {
		if (ipam_store_view_resting(v, x->cfg, v->released[i].off) ||
		    pool_off_format(v->released[i].off, key + strlen(RELEASED_PREFIX),
				    sizeof(key) - strlen(RELEASED_PREFIX)) < 0)
			continue;
		memcpy(key, RELEASED_PREFIX, strlen(RELEASED_PREFIX));
		(void) cJSON_DeleteItemFromObjectCaseSensitive(ann, key);
		if (x->cfg->overlapping)
			(void) cJSON_AddNullToObject(ann, key);
	}
	(void) snprintf(ts, sizeof(ts), "%lld", (long long) time(NULL));
	for (size_t i = 0; i < n_dels; i++) {
		pool_off_t off = *(const pool_off_t *) ((const char *) dels + i * stride);

		if (pool_off_format(off, key + strlen(RELEASED_PREFIX),
				    sizeof(key) - strlen(RELEASED_PREFIX)) < 0)
			continue;
		memcpy(key, RELEASED_PREFIX, strlen(RELEASED_PREFIX));
		(void) cJSON_DeleteItemFromObjectCaseSensitive(ann, key);
		if (x->cfg->quiet_s || fence)
			(void) cJSON_AddStringToObject(ann, key, ts);
		(void) cJSON_DeleteItemFromObjectCaseSensitive(allocs,
							       key + strlen(RELEASED_PREFIX));
		if (x->cfg->overlapping)
			(void) cJSON_AddNullToObject(allocs, key + strlen(RELEASED_PREFIX));
	}
	if (add_key) {
		(void) cJSON_DeleteItemFromObjectCaseSensitive(allocs, add_key);
		(void) cJSON_AddItemToObject(allocs, add_key, TAKE_PTR(entry));
	}
	text = cJSON_PrintUnformatted(x->cfg->overlapping ? patch : v->obj);
	if (!text)
		return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
	pool_path(x, name, path, sizeof(path));
	if (x->cfg->overlapping)
		r = k8s_request_type(x->k, "PATCH", path, K8S_MERGE_PATCH, text, &status, &resp);
	else
		r = k8s_request(x->k, "PUT", path, text, &status, &resp);
	/* an answer ends the request: only without one (or after the 504 of the apiserver's
	 * timeout filter, whose handler goes on) can the write still commit later */
	v->unanswered = status == 0 || status == 504;
	if (r == -ENOENT)
		return r;
	if (r == -ESTALE) {
		x->conflicts++;
		return r;
	}
	if (r < 0)
		return ipam_store_api_fail(x->k, r, err, "update IPPool");
	rv_of(resp, v->rv, sizeof(v->rv)); /* what a next write of ours is guarded by */
	return 0;
}
