/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipam_k8s.c - allocation on whereabouts' custom resources without a global lock.
 *
 * An address is claimed by creating its OverlappingRangeIPReservation: create-only, so exactly
 * one creator wins, across every pool that holds the address. Once claimed, the offset is ours
 * alone, so the IPPool entry is added with a JSON merge patch that touches only that key: no
 * resourceVersion, so concurrent allocators on one pool never conflict; the API server applies
 * each patch atomically. Allocators pick from random offsets of a view read once, so they
 * rarely want the same address; a lost claim just means picking again. The address is returned
 * only after the pool write succeeded. With enable_overlapping_ranges false there are no
 * reservations to make a key exclusive, and the pool is updated read-modify-write with its
 * resourceVersion, retrying 409s with jittered backoff inside retry_budget_seconds.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cjson/cJSON.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/ipam_k8s.h"
#include "rdmanet/log.h"

DEFINE_CLEANUP(cJSON *, cJSON_Delete)

/* Test hook: RDMANET_TEST_KILL_STEP=<step> SIGKILLs the process there (tests/integ/test_kill.sh). */
static void test_kill(const char *step)
{
	const char *want = getenv("RDMANET_TEST_KILL_STEP");

	if (want && !strcmp(want, step))
		(void) raise(SIGKILL);
}

#define API_PREFIX IPAM_API_PATH
#define RELEASED_PREFIX "rdmanet.io/released-"	/* + offset: unix time of the release */
#define RELEASED_MAX 1024
#define SKIP_MAX 256
#define ALLOCS_MAX (1u << 20)

static long long now_ms(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned long long random_u64(void)
{
	unsigned long long v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t) sizeof(v))
		v = (unsigned long long) now_ms() * 6364136223846793005ULL ^ (unsigned long long) getpid();
	return v;
}

/* Jittered exponential backoff: 10 ms .. 400 ms, never past the deadline. */
static void backoff(unsigned attempt, long long deadline)
{
	unsigned cap = 10u << (attempt < 6 ? attempt : 6);
	long long ms = (long long) (random_u64() % (cap > 400 ? 400 : cap)) + 1;
	struct timespec ts;

	if (now_ms() + ms > deadline)
		ms = deadline - now_ms();
	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	(void) nanosleep(&ts, NULL);
}

static bool transient(int r)
{
	return r == -EAGAIN || r == -ETIMEDOUT || r == -ECONNREFUSED || r == -ECONNRESET ||
	       r == -EHOSTUNREACH || r == -ENETUNREACH || r == -EIO;
}

/* A failed API request: transient ones are CNI 11 (the runtime retries), the rest 108. */
static int api_fail(struct ipam_ctx *x, int r, struct cni_err *err, const char *what)
{
	return err_set(err, r, transient(r) ? CNI_ERR_TRY_AGAIN : RDMANET_ERR_API, k8s_errmsg(x->k),
		       "Kubernetes API: cannot %s", what);
}

static void pool_path(struct ipam_ctx *x, const char *name, char *out, size_t len)
{
	(void) snprintf(out, len, API_PREFIX "%s/ippools/%s", x->ns, name);
}

static void resv_path(struct ipam_ctx *x, const char *name, char *out, size_t len)
{
	(void) snprintf(out, len, API_PREFIX "%s/overlappingrangeipreservations/%s", x->ns, name);
}

static void format_ip(int family, const unsigned char *a, char *out, size_t len)
{
	if (!inet_ntop(family, a, out, (socklen_t) len))
		(void) snprintf(out, len, "?");
}

static void cidr_text(const struct pool_cidr *c, char *out, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	format_ip(c->family, c->addr, ip, sizeof(ip));
	(void) snprintf(out, len, "%s/%u", ip, c->prefixlen);
}

/* ---- the pool as read from the API */

struct pool_view {
	cJSON *obj;		/* owned; NULL when the pool does not exist */
	cJSON *allocs;		/* spec.allocations (borrowed from obj, created when absent) */
	pool_off_t *taken;	/* sorted offsets of allocs */
	size_t n_taken;
	struct released {
		pool_off_t off;
		double at;	/* unix time of the release */
	} released[RELEASED_MAX];	/* resting after release, sorted by offset */
	size_t n_released;
};

static void view_reset(struct pool_view *v)
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

static bool in_sorted(const pool_off_t *v, size_t n, pool_off_t off)
{
	return n && bsearch(&off, v, n, sizeof(*v), cmp_off);
}

/* Reads the released-at annotations (bounded); view_resting() says which still rest. */
static void view_released(struct pool_view *v)
{
	const cJSON *ann = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(v->obj, "metadata"), "annotations");
	const cJSON *it;

	cJSON_ArrayForEach(it, ann) {
		pool_off_t off;
		char *end;
		double at;

		if (v->n_released >= RELEASED_MAX || !cJSON_IsString(it) ||
		    strncmp(it->string, RELEASED_PREFIX, strlen(RELEASED_PREFIX)) ||
		    pool_off_parse(it->string + strlen(RELEASED_PREFIX), &off) < 0)
			continue;
		at = strtod(it->valuestring, &end);
		if (*end || end == it->valuestring)
			continue;
		v->released[v->n_released].off = off;
		v->released[v->n_released++].at = at;
	}
	qsort(v->released, v->n_released, sizeof(v->released[0]), cmp_off);
}

/* Resting: released less than quiet_s ago. */
static bool view_resting(const struct pool_view *v, const struct ipam_config *cfg, pool_off_t off)
{
	const struct released *r = v->n_released ?
		bsearch(&off, v->released, v->n_released, sizeof(v->released[0]), cmp_off) : NULL;

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
		return err_set(err, -E2BIG, RDMANET_ERR_API, NULL, "IPPool '%s' has %zu allocations",
			       name, n);
	v->taken = calloc(n ? n : 1, sizeof(*v->taken));
	if (!v->taken)
		return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
	cJSON_ArrayForEach(it, v->allocs) {
		pool_off_t off;

		if (pool_off_parse(it->string, &off) < 0 || !cJSON_IsObject(it) ||
		    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(it, "id")))
			return err_set(err, -EBADMSG, RDMANET_ERR_API, NULL,
				       "IPPool '%s' has a malformed allocation '%.40s'", name, it->string);
		v->taken[v->n_taken++] = off;
	}
	qsort(v->taken, v->n_taken, sizeof(*v->taken), cmp_off);
	view_released(v);
	return 0;
}

/* GET the pool, creating it when absent. */
static int view_load(struct ipam_ctx *x, const struct pool_range *rg, const char *name,
		     bool create, struct pool_view *v, struct cni_err *err)
{
	char path[K8S_PATH_MAX], cidr[64];
	long status;
	int r;

	view_reset(v);
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
			return api_fail(x, r, err, "read IPPool");
		if (!create)
			return 0;
		cidr_text(&rg->net, cidr, sizeof(cidr));
		body = cJSON_CreateObject();
		if (!body || !cJSON_AddStringToObject(body, "apiVersion", IPAM_API_GROUP "/" IPAM_API_VERSION) ||
		    !cJSON_AddStringToObject(body, "kind", "IPPool") ||
		    !(meta = cJSON_AddObjectToObject(body, "metadata")) ||
		    !cJSON_AddStringToObject(meta, "name", name) ||
		    !cJSON_AddStringToObject(meta, "namespace", x->ns) ||
		    !(spec = cJSON_AddObjectToObject(body, "spec")) ||
		    !cJSON_AddStringToObject(spec, "range", cidr) ||
		    !cJSON_AddObjectToObject(spec, "allocations") || !(text = cJSON_PrintUnformatted(body)))
			return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
		(void) snprintf(path, sizeof(path), API_PREFIX "%s/ippools", x->ns);
		r = k8s_request(x->k, "POST", path, text, &status, NULL);
		pool_path(x, name, path, sizeof(path));
		if (r < 0 && r != -EEXIST)
			return api_fail(x, r, err, "create IPPool");
		if (r >= 0)
			log_info("created IPPool '%s' for %s", name, cidr);
	}
	return err_set(err, -EAGAIN, CNI_ERR_TRY_AGAIN, NULL,
		       "IPPool '%s' keeps disappearing after its creation", name);
}

static bool entry_is(const cJSON *e, const struct ipam_owner *who)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");
	const cJSON *ifn = cJSON_GetObjectItemCaseSensitive(e, "ifname");

	return cJSON_IsString(id) && !strcmp(id->valuestring, who->containerid) &&
	       (!cJSON_IsString(ifn) || !strcmp(ifn->valuestring, who->ifname));
}

/*
 * The owner's entry (same container and ifname) at a usable offset of rg, or -ENOENT: an entry
 * outside the configured range, excluded or at the gateway (the config changed, or someone
 * else wrote the pool) is never handed out again.
 */
static int find_owner(const struct pool_view *v, const struct pool_range *rg,
		      const struct ipam_owner *who, pool_off_t *off)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, v->allocs)
		if (entry_is(it, who) && pool_off_parse(it->string, off) >= 0 && pool_usable(rg, *off))
			return 0;
	return -ENOENT;
}

/* An entry of the same pod and ifname under an older container ID (a re-created StatefulSet pod),
 * at a usable offset of rg (as find_owner). */
static const cJSON *find_podref(const struct pool_view *v, const struct pool_range *rg,
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

static cJSON *owner_json(const struct ipam_owner *who, bool reservation)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddStringToObject(o, reservation ? "containerid" : "id", who->containerid) ||
	    !cJSON_AddStringToObject(o, "podref", who->podref) ||
	    !cJSON_AddStringToObject(o, "ifname", who->ifname)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* ---- reservations: the create-only claim on one IP */

/* The address at off in rg, as text (INET6_ADDRSTRLEN); a its 16 bytes. */
static void off_text(const struct pool_range *rg, pool_off_t off, unsigned char a[16], char *ip,
		     size_t iplen)
{
	pool_addr_at(rg, off, a);
	format_ip(rg->net.family, a, ip, iplen);
}

static int resv_name(struct ipam_ctx *x, const struct pool_range *rg, pool_off_t off, char *name,
		     size_t len, char *ip, size_t iplen)
{
	unsigned char a[16];

	off_text(rg, off, a, ip, iplen);
	return pool_reservation_name(rg->net.family, a, x->cfg->network_name, name, len);
}

/*
 * Who holds the reservation of off: 0 containerid (+ ifname), 1 someone else, -ENOENT nobody.
 * whereabouts (v0.8 on) writes no containerid: then the same pod (x->who) and ifname hold it,
 * as whereabouts itself judges.
 */
static int resv_owner(struct ipam_ctx *x, const struct pool_range *rg, pool_off_t off,
		      const char *containerid, const char *ifname, cJSON **got, struct cni_err *err)
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
		return api_fail(x, r, err, "read OverlappingRangeIPReservation");
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

/* 0 when the claim is ours (new or already), 1 when another owner holds it. */
static int unreserve(struct ipam_ctx *x, const struct pool_range *rg, pool_off_t off,
		     const char *containerid, struct cni_err *err);

static int reserve(struct ipam_ctx *x, const struct pool_range *rg, pool_off_t off,
		   struct cni_err *err)
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
			       "reservation name for %s is too long: shorten ipam.network_name", ip);
	if (!body || !cJSON_AddStringToObject(body, "apiVersion", IPAM_API_GROUP "/" IPAM_API_VERSION) ||
	    !cJSON_AddStringToObject(body, "kind", "OverlappingRangeIPReservation") ||
	    !(meta = cJSON_AddObjectToObject(body, "metadata")) ||
	    !cJSON_AddStringToObject(meta, "name", name) ||
	    !cJSON_AddStringToObject(meta, "namespace", x->ns) || !(spec = owner_json(x->who, true)) ||
	    !cJSON_AddItemToObject(body, "spec", spec) || !(text = cJSON_PrintUnformatted(body)))
		return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
	(void) snprintf(path, sizeof(path), API_PREFIX "%s/overlappingrangeipreservations", x->ns);
	r = k8s_request(x->k, "POST", path, text, &status, NULL);
	if (r >= 0)
		return 0;
	if (r != -EEXIST) {
		r = api_fail(x, r, err, "create OverlappingRangeIPReservation");
		/*
		 * a 5xx or timeout may come after the create committed: take back a claim that is
		 * ours (uid precondition), else no DEL would find it, only reconcile
		 */
		(void) unreserve(x, rg, off, x->who->containerid, NULL);
		return r;
	}
	r = resv_owner(x, rg, off, x->who->containerid, x->who->ifname, &got, err);
	if (r == 1 || r == -ENOENT)
		log_debug("%s is reserved by another owner: choosing again", ip);
	return r == -ENOENT ? 1 : r; /* released meanwhile: let the caller pick afresh */
}

int ipam_k8s_unreserve_uid(struct ipam_ctx *x, const char *name, const char *uid,
			   struct cni_err *err)
{
	char path[K8S_PATH_MAX], body[256];
	long status;
	int r;

	if (!uid || !uid[0] || strlen(uid) > 64 || strpbrk(uid, "\"\\"))
		return err_set(err, -EBADMSG, RDMANET_ERR_API, NULL, "reservation '%s' has no uid", name);
	resv_path(x, name, path, sizeof(path));
	/* only the object we looked at: a new claim by someone else must survive */
	(void) snprintf(body, sizeof(body),
			"{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"preconditions\":{\"uid\":\"%s\"}}",
			uid);
	r = k8s_request(x->k, "DELETE", path, body, &status, NULL);
	if (r < 0 && r != -ENOENT && r != -ESTALE)
		return api_fail(x, r, err, "delete OverlappingRangeIPReservation");
	return 0;
}

/* Deletes the reservation of off when containerid holds it; fine when gone or someone else's. */
static int unreserve(struct ipam_ctx *x, const struct pool_range *rg, pool_off_t off,
		     const char *containerid, struct cni_err *err)
{
	_cleanup_(cJSON_Deletep) cJSON *got = NULL;
	char name[POOL_NAME_MAX], ip[INET6_ADDRSTRLEN];
	const cJSON *uid;
	int r;

	r = resv_owner(x, rg, off, containerid, NULL, &got, err);
	if (r == -ENOENT || r == 1)
		return 0;
	if (r < 0)
		return r;
	(void) resv_name(x, rg, off, name, sizeof(name), ip, sizeof(ip));
	uid = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(got, "metadata"), "uid");
	return ipam_k8s_unreserve_uid(x, name, cJSON_IsString(uid) ? uid->valuestring : NULL, err);
}

/* ---- writing the pool */

/*
 * One change of the pool: add (key, entry) and/or remove keys, noting their release time and
 * dropping release notes past the quiet period. With reservations a merge patch of just those
 * keys (no conflicts possible); without, the whole object under its resourceVersion (-ESTALE
 * when someone wrote in between). -ENOENT when the pool vanished.
 */
static int pool_write(struct ipam_ctx *x, struct pool_view *v, const char *name, const char *add_key,
		      cJSON *add_entry, const pool_off_t *dels, size_t n_dels, size_t stride,
		      struct cni_err *err)
{
	_cleanup_(cJSON_Deletep) cJSON *patch = NULL, *entry = add_entry;
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
		    !(allocs = cJSON_AddObjectToObject(target, "allocations")))
			return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
	} else {
		meta = cJSON_GetObjectItemCaseSensitive(v->obj, "metadata");
		if (!cJSON_IsObject(meta))
			return err_set(err, -EBADMSG, RDMANET_ERR_API, NULL, "IPPool '%s' has no metadata", name);
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
		if (view_resting(v, x->cfg, v->released[i].off) ||
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
		if (x->cfg->quiet_s)
			(void) cJSON_AddStringToObject(ann, key, ts);
		(void) cJSON_DeleteItemFromObjectCaseSensitive(allocs, key + strlen(RELEASED_PREFIX));
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
		r = k8s_request_type(x->k, "PATCH", path, K8S_MERGE_PATCH, text, &status, NULL);
	else
		r = k8s_request(x->k, "PUT", path, text, &status, NULL);
	if (r == -ENOENT)
		return r;
	if (r == -ESTALE) {
		x->conflicts++;
		return r;
	}
	if (r < 0)
		return api_fail(x, r, err, "update IPPool");
	return 0;
}

struct taken_ctx {
	const struct pool_view *v;
	const struct ipam_config *cfg;
	const pool_off_t *skip;
	size_t n_skip;
	bool quiet;
};

static bool is_taken(void *arg, pool_off_t off)
{
	const struct taken_ctx *t = arg;

	if (in_sorted(t->v->taken, t->v->n_taken, off))
		return true;
	if (t->quiet && view_resting(t->v, t->cfg, off))
		return true;
	for (size_t i = 0; i < t->n_skip; i++)
		if (t->skip[i] == off)
			return true;
	return false;
}

static int pick(const struct ipam_ctx *x, const struct pool_range *rg, const struct pool_view *v,
		const pool_off_t *skip, size_t n_skip, pool_off_t *out)
{
	struct taken_ctx t = { v, x->cfg, skip, n_skip, true };
	pool_off_t span = pool_span(rg), hint = rg->first;
	int r;

	if (span)
		hint += ((pool_off_t) random_u64() << 64 | random_u64()) % span;
	r = pool_pick(rg, hint, is_taken, &t, out);
	if (r == -ENOSPC && v->n_released) {
		t.quiet = false; /* every free address is resting: better reuse one than fail */
		r = pool_pick(rg, hint, is_taken, &t, out);
	}
	return r;
}

/* The owner's entry as stored: containerid, podref, ifname. */
static cJSON *new_entry(const struct ipam_owner *who, struct cni_err *err)
{
	cJSON *e = owner_json(who, false);

	if (!e)
		(void) err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
	return e;
}

static int alloc_range(struct ipam_ctx *x, const struct pool_range *rg, struct cni_ip *ip,
		       struct cni_err *err)
{
	struct pool_view v = { 0 };
	pool_off_t skip[SKIP_MAX], off = 0, held = 0;
	size_t n_skip = 0;
	bool have_held = false, done = false, reload = true;
	char name[POOL_NAME_MAX], key[48], cidr[64], text[INET6_ADDRSTRLEN];
	long long deadline = now_ms() + x->cfg->retry_budget_ms;
	unsigned attempt;
	int r = 0;

	cidr_text(&rg->net, cidr, sizeof(cidr));
	if (pool_name(rg, x->cfg->network_name, name, sizeof(name)) < 0)
		return err_set(err, -ENAMETOOLONG, CNI_ERR_INVALID_CONFIG, NULL,
			       "IPPool name for %s is too long: shorten ipam.network_name", cidr);
	for (attempt = 0; !done; attempt++) {
		const cJSON *old;

		if (attempt && now_ms() >= deadline) {
			r = err_set(err, -ETIMEDOUT, CNI_ERR_TRY_AGAIN, NULL,
				    "no address recorded in IPPool '%s' within retry_budget_seconds (%u conflicts, %zu addresses claimed by others)",
				    name, x->conflicts, n_skip);
			break;
		}
		/* with reservations the view only steers the choice: reread it now and then */
		if (reload || !x->cfg->overlapping || (n_skip && n_skip % 16 == 0)) {
			r = view_load(x, rg, name, true, &v, err);
			if (r < 0)
				break;
			reload = false;
		}
		if (find_owner(&v, rg, x->who, &off) >= 0) {
			/* idempotent ADD: the same container and ifname keep their address */
			if (have_held && held != off)
				(void) unreserve(x, rg, held, x->who->containerid, NULL);
			have_held = false;
			r = x->cfg->overlapping ? reserve(x, rg, off, err) : 0;
			if (r > 0)
				r = err_set(err, -EEXIST, RDMANET_ERR_API, NULL,
					    "IPPool '%s' records an address for this container that another owner has reserved: run 'rdmanet-ipam reconcile'",
					    name);
			done = r >= 0;
			break;
		}
		if (have_held && in_sorted(v.taken, v.n_taken, held)) {
			/* recorded meanwhile by a writer that does not reserve: ours is lost */
			(void) unreserve(x, rg, held, x->who->containerid, NULL);
			have_held = false;
		}
		if (have_held) {
			off = held;
		} else if ((old = find_podref(&v, rg, x->who, &off))) {
			/* a re-created pod (StatefulSet) gets its address back: take the claim over */
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(old, "id");

			if (x->cfg->overlapping && cJSON_IsString(id)) {
				r = unreserve(x, rg, off, id->valuestring, err);
				if (r < 0)
					break;
			}
			log_info("pod '%s' comes back: reusing its address in IPPool '%s'", x->who->podref,
				 name);
		} else {
			r = pick(x, rg, &v, skip, n_skip, &off);
			if (r == -ENOSPC) {
				r = err_set(err, r, RDMANET_ERR_EXHAUSTED, NULL,
					    "no free address left in %s (IPPool '%s'): widen the range or release leaked allocations (rdmanet-ipam reconcile)",
					    cidr, name);
				break;
			}
		}
		if (!have_held && x->cfg->overlapping) {
			r = reserve(x, rg, off, err);
			if (r < 0)
				break;
			if (r > 0) {
				/* another allocator or pool got there first: choose again */
				if (n_skip < SKIP_MAX)
					skip[n_skip++] = off;
				continue;
			}
			held = off;
			have_held = true;
			test_kill("ipam-reserved");
		}
		if (pool_off_format(off, key, sizeof(key)) < 0) {
			r = err_set(err, -EINVAL, RDMANET_ERR_INTERNAL, NULL, "offset out of range");
			break;
		}
		r = pool_write(x, &v, name, key, new_entry(x->who, err), NULL, 0, 0, err);
		if (r == -ESTALE || r == -ENOENT) {
			log_debug("IPPool '%s' %s meanwhile: reading it again", name,
				  r == -ESTALE ? "changed" : "was deleted");
			if (r == -ESTALE)
				backoff(attempt, deadline);
			reload = true;
			continue;
		}
		if (r < 0)
			break;
		test_kill("ipam-recorded");
		done = true;
	}
	if (!done && have_held)
		(void) unreserve(x, rg, held, x->who->containerid, NULL);
	view_reset(&v);
	if (!done)
		return r < 0 ? r : -EIO;
	memset(ip, 0, sizeof(*ip));
	ip->family = rg->net.family;
	pool_addr_at(rg, off, ip->addr);
	ip->prefixlen = rg->net.prefixlen;
	ip->has_gw = rg->has_gw;
	memcpy(ip->gw, rg->gw, sizeof(ip->gw));
	ip->iface = -1;
	format_ip(ip->family, ip->addr, text, sizeof(text));
	log_info("allocated %s/%u in IPPool '%s' to container '%s' (pod '%s')", text, ip->prefixlen,
		 name, x->who->containerid, x->who->podref);
	return 0;
}

/* Removes the entries drop() selects, then their reservations; *n_out: how many (may be NULL). */
static int release_range(struct ipam_ctx *x, const struct pool_range *rg,
			 bool (*drop)(void *arg, const cJSON *entry), void *arg, size_t *n_out,
			 struct cni_err *err)
{
	struct pool_view v = { 0 };
	struct gone {
		pool_off_t off;
		char id[CNI_CONTAINERID_MAX + 1];
	} gone[IPAM_RELEASE_MAX];
	size_t n_gone = 0;
	char name[POOL_NAME_MAX];
	long long deadline = now_ms() + x->cfg->retry_budget_ms;
	int r = 0;

	if (pool_name(rg, x->cfg->network_name, name, sizeof(name)) < 0)
		return 0;
	for (unsigned attempt = 0;; attempt++) {
		const cJSON *it;

		if (attempt && now_ms() >= deadline) {
			r = err_set(err, -ETIMEDOUT, CNI_ERR_TRY_AGAIN, NULL,
				    "could not update IPPool '%s' within retry_budget_seconds", name);
			break;
		}
		r = view_load(x, rg, name, false, &v, err);
		if (r < 0 || !v.obj)
			break;
		n_gone = 0;
		cJSON_ArrayForEach(it, v.allocs) {
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");

			if (n_gone >= IPAM_RELEASE_MAX || !drop(arg, it) ||
			    pool_off_parse(it->string, &gone[n_gone].off) < 0)
				continue;
			(void) snprintf(gone[n_gone++].id, sizeof(gone[0].id), "%s", id->valuestring);
		}
		if (!n_gone)
			break;
		r = pool_write(x, &v, name, NULL, NULL, &gone[0].off, n_gone, sizeof(gone[0]), err);
		if (r == -ESTALE) {
			backoff(attempt, deadline);
			continue;
		}
		if (r == -ENOENT)
			r = 0;
		if (r < 0)
			break;
		test_kill("ipam-released");
		for (size_t i = 0; i < n_gone; i++) {
			unsigned char a[16];
			char ip[INET6_ADDRSTRLEN];

			off_text(rg, gone[i].off, a, ip, sizeof(ip));
			log_info("released %s in IPPool '%s' (container '%s')", ip, name, gone[i].id);
		}
		for (size_t i = 0; i < n_gone && x->cfg->overlapping && r >= 0; i++)
			r = unreserve(x, rg, gone[i].off, gone[i].id, err);
		break;
	}
	view_reset(&v);
	if (n_out)
		*n_out = r < 0 ? 0 : n_gone;
	return r < 0 ? r : 0;
}

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
		if (prev->ips[i].family == rg->net.family && pool_offset(rg, prev->ips[i].addr, &off) >= 0)
			r = unreserve(x, rg, off, x->who->containerid, err);
	return r;
}

static bool drop_owner(void *arg, const cJSON *entry)
{
	const struct ipam_ctx *x = arg;

	return entry_is(entry, x->who);
}

int ipam_k8s_release(struct ipam_ctx *x, const struct pool_range *rg,
		     bool (*drop)(void *arg, const cJSON *entry), void *arg, struct cni_err *err)
{
	return release_range(x, rg, drop, arg, NULL, err);
}

int ipam_k8s_add(struct ipam_ctx *x, struct cni_result *res, struct cni_err *err)
{
	const struct ipam_config *cfg = x->cfg;
	unsigned i;
	int r = 0;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < cfg->n_ranges; i++) {
		r = alloc_range(x, &cfg->ranges[i], &res->ips[i], err);
		if (r < 0)
			break;
		res->n_ips++;
	}
	if (r < 0) {
		/* dual-stack is all or nothing: give back what the earlier ranges gave */
		while (i-- > 0)
			(void) release_range(x, &cfg->ranges[i], drop_owner, x, NULL, NULL);
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
		int r2 = release_range(x, &x->cfg->ranges[i], drop_owner, x, &n, err);

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

		cidr_text(&rg->net, cidr, sizeof(cidr));
		if (pool_name(rg, x->cfg->network_name, name, sizeof(name)) < 0)
			break;
		r = view_load(x, rg, name, false, &v, err);
		if (r < 0)
			break;
		if (!v.obj || find_owner(&v, rg, x->who, &off) < 0)
			r = err_set(err, -ENOENT, RDMANET_ERR_CHECK, NULL,
				    "no allocation for container '%.64s' ifname '%s' in IPPool '%s' (%s)",
				    x->who->containerid, x->who->ifname, name, cidr);
		else if (x->cfg->overlapping) {
			_cleanup_(cJSON_Deletep) cJSON *got = NULL;
			int o = resv_owner(x, rg, off, x->who->containerid, x->who->ifname, &got, err);

			if (o < 0 && o != -ENOENT)
				r = o;
			else if (o != 0)
				r = err_set(err, -EEXIST, RDMANET_ERR_CHECK, NULL,
					    "the address of container '%.64s' in IPPool '%s' has %s",
					    x->who->containerid, name,
					    o == -ENOENT ? "no OverlappingRangeIPReservation" :
							   "a reservation of another owner");
		}
	}
	view_reset(&v);
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
		int r2 = release_range(x, &x->cfg->ranges[i], drop_invalid, x, NULL, err);
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
		r = view_load(x, &x->cfg->ranges[i], name, false, &v, err);
	}
	view_reset(&v);
	if (r < 0)
		err->code = CNI_ERR_NOT_AVAILABLE;
	return r < 0 ? r : 0;
}
