/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipam_k8s.c - allocation on whereabouts' custom resources without a global lock.
 *
 * An address is claimed by creating its OverlappingRangeIPReservation: create-only, so exactly
 * one creator wins, across every pool that holds the address. Once claimed, the offset is ours
 * alone, so the IPPool entry is added with a JSON merge patch that touches only that key.
 * Allocators pick from random offsets of a view read once, so they rarely want the same address;
 * a lost claim just means picking again. The address is returned only after the pool write
 * succeeded. With enable_overlapping_ranges false there are no reservations to make a key
 * exclusive, and the pool is updated read-modify-write (PUT).
 *
 * Every pool write carries the resourceVersion of the view it was made from, and 409s are
 * retried with jittered backoff inside retry_budget_seconds. Not to keep allocators apart (the
 * reservation does that) but for two reasons measured against kube-apiserver: an unguarded patch
 * of a contended object is retried inside the server, patch and validation of the whole pool
 * again each time, until writers queue there for seconds; and a guarded write whose answer never
 * came is settled by reading the pool again: our entry is there, or the pool has moved past the
 * guard and it never can be. So a transient failure (timeout, reset, 429, 5xx) of any step is
 * tried again while the budget lasts, and an ADD that gives up leaves no entry and no claim.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cjson/cJSON.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/clock.h"
#include "rdmanet/ipam_k8s.h"
#include "rdmanet/log.h"
#include "rdmanet/testhook.h"

DEFINE_CLEANUP(cJSON *, cJSON_Delete)

#define API_PREFIX IPAM_API_PATH
#define RELEASED_PREFIX "rdmanet.io/released-"	/* + offset: unix time of the release */
#define RELEASED_MAX 1024
#define SKIP_MAX 256
#define ALLOCS_MAX (1u << 20)
#define LOCK_DIR "/run/rdmanet-ipam"	/* testhook_lock_dir() overrides (test builds) */

static unsigned long long random_u64(void)
{
	unsigned long long v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t) sizeof(v))
		v = (unsigned long long) clock_now_ms() * 6364136223846793005ULL ^
		    (unsigned long long) getpid();
	return v;
}

/*
 * Full-jitter exponential backoff: up to 10 ms, 20, 40 .. 1280 ms, never past the deadline. The
 * cap is for 64 writers on one pool: their retries must spread over about as long as the API
 * server takes to commit 64 writes of it, or most of them meet again.
 */
static void backoff(unsigned attempt, long long deadline)
{
	long long ms = (long long) (random_u64() % (10u << (attempt < 7 ? attempt : 7))) + 1;
	struct timespec ts;

	if (clock_now_ms() + ms > deadline)
		ms = deadline - clock_now_ms();
	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	(void) nanosleep(&ts, NULL);
}

/*
 * Writers of one pool on this node take turns: an flock on LOCK_DIR/<pool>.lock, held from the
 * first read of the pool to its write. Without it, 64 ADDs of one node meet at the API server,
 * where all but one of each round of pool writes is refused (409) and read and written again.
 * Writers of other nodes still meet there; the resourceVersion guard and backoff handle them.
 * Returns the locked fd; -ETIMEDOUT when the deadline came first; another -errno when the lock
 * cannot be had at all (no /run): the caller goes on without it.
 */
static void on_alarm(int sig)
{
	(void) sig;
}

static int pool_lock(const char *name, long long deadline)
{
	const char *dir = testhook_lock_dir();
	char path[PATH_MAX];
	int fd;

	if (!dir)
		dir = LOCK_DIR;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (snprintf(path, sizeof(path), "%s/%s.lock", dir, name) >= (int) sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		/* wait in the kernel's queue (polling would serve waiters in random order) */
		struct sigaction quiet = { .sa_handler = on_alarm }, old_sa;
		struct itimerval until = { { 0, 0 }, { 0, 0 } }, old_it;
		long long left = deadline - clock_now_ms();
		int e = errno;

		if (e == EWOULDBLOCK && left > 0) {
			until.it_value.tv_sec = left / 1000;
			until.it_value.tv_usec = (left % 1000) * 1000;
			/* no SA_RESTART: the alarm ends flock() with EINTR */
			(void) sigaction(SIGALRM, &quiet, &old_sa);
			(void) setitimer(ITIMER_REAL, &until, &old_it);
			e = flock(fd, LOCK_EX) < 0 ? errno : 0;
			(void) setitimer(ITIMER_REAL, &old_it, NULL);
			(void) sigaction(SIGALRM, &old_sa, NULL);
		}
		if (e) {
			(void) close(fd);
			return e == EWOULDBLOCK || e == EINTR ? -ETIMEDOUT : -e;
		}
	}
	return fd;
}

/* Takes the lock of pool name; 0 when locked or going without, else an error for err. */
static int pool_lock_take(const char *name, long long deadline, int *fd, struct cni_err *err)
{
	*fd = pool_lock(name, deadline);
	if (*fd == -ETIMEDOUT)
		return err_set(err, -ETIMEDOUT, CNI_ERR_TRY_AGAIN, NULL,
			       "IPPool '%s': other rdmanet-ipam runs of this node held its lock for all of retry_budget_seconds",
			       name);
	if (*fd < 0)
		log_debug("IPPool '%s': no node lock (%s), going on without", name, strerror(-*fd));
	return 0;
}

/*
 * The lock file holds the resourceVersion of this node's last write of the pool: a merge patch
 * (which needs no view, only a guard) can go at once. When another node wrote since, it is
 * refused (409) and the pool is read again, under the lock.
 */
static void lock_rv_get(int fd, char *rv, size_t len)
{
	char got[64];
	ssize_t n = fd >= 0 ? pread(fd, got, sizeof(got) - 1, 0) : -1;

	if (n <= 0 || (size_t) n >= len)
		return;
	got[n] = '\0';
	if (strspn(got, "0123456789") == (size_t) n)
		memcpy(rv, got, (size_t) n + 1);
}

static void pool_unlock(int *fd, const char *rv)
{
	if (*fd < 0)
		return;
	if (rv && rv[0] && (pwrite(*fd, rv, strlen(rv), 0) != (ssize_t) strlen(rv) ||
			    ftruncate(*fd, (off_t) strlen(rv)) < 0))
		log_debug("cannot note the pool's resourceVersion in its lock file: %m, ignoring");
	(void) close(*fd);
	*fd = -1;
}

static bool transient(int r)
{
	return r == -EAGAIN || r == -ETIMEDOUT || r == -ECONNREFUSED || r == -ECONNRESET ||
	       r == -EHOSTUNREACH || r == -ENETUNREACH || r == -EIO;
}

/* e becomes the error unless there is one already (first error wins); returns r. */
static int err_keep(struct cni_err *err, const struct cni_err *e, int r)
{
	if (err && !err->code)
		*err = *e;
	return r;
}

/*
 * A transient failure (e) of a step that is safe to repeat, with time left: back off, then the
 * caller verifies and tries again; e is kept in *last (may be NULL), to tell why the budget ran
 * out. Else e becomes the error (first error wins).
 */
static bool retry_later(int r, const struct cni_err *e, struct cni_err *err, struct cni_err *last,
			unsigned *tries, long long deadline)
{
	if (transient(r) && clock_now_ms() < deadline) {
		log_debug("%s (%s): trying again", e->msg, e->details);
		if (last)
			*last = *e;
		backoff((*tries)++, deadline);
		return true;
	}
	(void) err_keep(err, e, r);
	return false;
}

/* Undoing a failed ADD may take one more request's time past the budget that ran out. */
static long long grace_deadline(const struct ipam_ctx *x)
{
	unsigned ms = x->cfg->api_timeout_ms < x->cfg->retry_budget_ms ? x->cfg->api_timeout_ms :
									  x->cfg->retry_budget_ms;

	return clock_now_ms() + ms;
}

int ipam_api_fail(struct k8s_client *k, int r, struct cni_err *err, const char *what)
{
	return err_set(err, r, transient(r) ? CNI_ERR_TRY_AGAIN : RDMANET_ERR_API, k8s_errmsg(k),
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
	char rv[64];		/* the resourceVersion the next write is guarded by */
	bool unanswered;	/* the last write got no answer, or the apiserver's own 504 */
};

/*
 * The first time a write is due: this node's turn for pool name (pool_lock_take) and, when the
 * write can go without a fresh read (overlapping), the node's last resourceVersion as its guard.
 */
static int pool_lock_once(const char *name, long long deadline, bool overlapping, int *fd,
			  bool *tried, struct pool_view *v, struct cni_err *err)
{
	int r;

	if (*tried)
		return 0;
	*tried = true;
	r = pool_lock_take(name, deadline, fd, err);
	if (r >= 0 && overlapping)
		lock_rv_get(*fd, v->rv, sizeof(v->rv));
	return r;
}

/* The resourceVersion of obj into rv ("" when it has none). */
static void rv_of(const cJSON *obj, char *rv, size_t len)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "resourceVersion");

	(void) snprintf(rv, len, "%s", cJSON_IsString(s) ? s->valuestring : "");
}

static const char *view_rv(const struct pool_view *v)
{
	return v->rv;
}

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
	rv_of(v->obj, v->rv, sizeof(v->rv));
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
			return ipam_api_fail(x->k, r, err, "read IPPool");
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
			return ipam_api_fail(x->k, r, err, "create IPPool");
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
		return ipam_api_fail(x->k, r, err, "read OverlappingRangeIPReservation");
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

static int unreserve(struct ipam_ctx *x, const struct pool_range *rg, pool_off_t off,
		     const char *containerid, long long deadline, struct cni_err *err);

/*
 * 0 when the claim is ours (new or already), 1 when another owner holds it. A create whose
 * answer did not come is settled by reading the claim, and made again while the budget lasts.
 */
static int reserve(struct ipam_ctx *x, const struct pool_range *rg, pool_off_t off,
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
			       "reservation name for %s is too long: shorten ipam.network_name", ip);
	if (!body || !cJSON_AddStringToObject(body, "apiVersion", IPAM_API_GROUP "/" IPAM_API_VERSION) ||
	    !cJSON_AddStringToObject(body, "kind", "OverlappingRangeIPReservation") ||
	    !(meta = cJSON_AddObjectToObject(body, "metadata")) ||
	    !cJSON_AddStringToObject(meta, "name", name) ||
	    !cJSON_AddStringToObject(meta, "namespace", x->ns) || !(spec = owner_json(x->who, true)) ||
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
		if (r != -EEXIST && !transient(r))
			return ipam_api_fail(x->k, r, err, "create OverlappingRangeIPReservation");
		if (r != -EEXIST)
			(void) ipam_api_fail(x->k, r, &e, "create OverlappingRangeIPReservation");
		/* taken, or no answer: perhaps our own create committed */
		o = resv_owner(x, rg, off, x->who->containerid, x->who->ifname, &got, &e);
		if (o == 0 || o == 1 || (o == -ENOENT && r == -EEXIST)) {
			if (o != 0)
				log_debug("%s is reserved by another owner: choosing again", ip);
			return o == 0 ? 0 : 1; /* released meanwhile: let the caller pick afresh */
		}
		if (o != -ENOENT)
			r = o;
		if (!retry_later(r, &e, err, NULL, &tries, deadline))
			break;
	}
	/* a create with no answer may still commit: take back a claim that is ours (uid
	 * precondition) */
	k8s_deadline_set(x->k, grace_deadline(x));
	(void) unreserve(x, rg, off, x->who->containerid, grace_deadline(x), NULL);
	k8s_deadline_set(x->k, deadline);
	return r;
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
		return ipam_api_fail(x->k, r, err, "delete OverlappingRangeIPReservation");
	return 0;
}

/*
 * Deletes the reservation of off when containerid holds it; fine when gone or someone else's.
 * Transient failures are tried again until deadline (both steps are safe to repeat).
 */
static int unreserve(struct ipam_ctx *x, const struct pool_range *rg, pool_off_t off,
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

		e = (struct cni_err) { 0 };

		r = resv_owner(x, rg, off, containerid, NULL, &got, &e);
		if (r == -ENOENT || r == 1)
			return 0;
		if (r >= 0) {
			uid = cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(got, "metadata"), "uid");
			r = ipam_k8s_unreserve_uid(x, name,
						   cJSON_IsString(uid) ? uid->valuestring : NULL, &e);
			if (r >= 0)
				return 0;
		}
	} while (retry_later(r, &e, err, NULL, &tries, deadline));
	return r;
}

/* ---- writing the pool */

/*
 * One change of the pool: add (key, entry) and/or remove keys, noting their release time and
 * dropping release notes past the quiet period (fence: note even with release_quiet_seconds 0,
 * so that the write changes the pool). With reservations a merge patch of just those keys;
 * without, the whole object. Either under the view's resourceVersion: -ESTALE when someone wrote
 * in between, -ENOENT when the pool vanished.
 */
static int pool_write(struct ipam_ctx *x, struct pool_view *v, const char *name, const char *add_key,
		      cJSON *add_entry, const pool_off_t *dels, size_t n_dels, size_t stride,
		      bool fence, struct cni_err *err)
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
		if (x->cfg->quiet_s || fence)
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
		return ipam_api_fail(x->k, r, err, "update IPPool");
	rv_of(resp, v->rv, sizeof(v->rv));	/* what a next write of ours is guarded by */
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

/*
 * A failed ADD whose pool write got no answer: its entry at off may be in the pool, or may still
 * land while the pool is at guard, the resourceVersion that write carried. Remove the entry, or
 * move the pool past guard with a release note, so that it never can; until deadline.
 */
static int unrecord(struct ipam_ctx *x, const struct pool_range *rg, const char *name,
		    pool_off_t off, const char *guard, long long deadline)
{
	struct pool_view v = { 0 };
	struct cni_err e;
	unsigned tries = 0;
	int r;

	do {
		const cJSON *it;
		bool ours = false;

		e = (struct cni_err) { 0 };
		r = view_load(x, rg, name, false, &v, &e);
		if (r < 0)
			continue;
		if (!v.obj)
			break;
		cJSON_ArrayForEach(it, v.allocs) {
			pool_off_t o;

			if (pool_off_parse(it->string, &o) >= 0 && o == off && entry_is(it, x->who))
				ours = true;
		}
		if (!ours && strcmp(view_rv(&v), guard))
			break;	/* not there, and the write was for a version that is gone */
		r = pool_write(x, &v, name, NULL, NULL, &off, 1, sizeof(off), true, &e);
		if (r == -ENOENT)
			r = 0;
		if (r >= 0)
			log_info("IPPool '%s': %s the entry of a write with no answer", name,
				 ours ? "removed" : "fenced off");
		else if (r == -ESTALE)
			r = -EAGAIN;	/* read again */
	} while (r < 0 && retry_later(r, &e, NULL, NULL, &tries, deadline));
	view_reset(&v);
	if (r < 0)
		log_warn("IPPool '%s' may keep an entry of this container: %s, ignoring (DEL or rdmanet-ipam reconcile removes it)",
			 name, e.msg);
	return r < 0 ? r : 0;
}

static int alloc_range(struct ipam_ctx *x, const struct pool_range *rg, struct cni_ip *ip,
		       struct cni_err *err)
{
	struct pool_view v = { 0 };
	pool_off_t skip[SKIP_MAX], off = 0, held = 0, sent = 0;
	size_t n_skip = 0;
	bool have_held = false, done = false, reload = true, unsure = false;
	char name[POOL_NAME_MAX], key[48], cidr[64], text[INET6_ADDRSTRLEN], guard[64] = "";
	long long deadline = clock_now_ms() + x->cfg->retry_budget_ms;
	unsigned attempt, tries = 0, n_stale = 0;
	struct cni_err last = { 0 };	/* the latest transient failure, tried again */
	int r = 0, lock = -1;
	bool lock_tried = false;

	cidr_text(&rg->net, cidr, sizeof(cidr));
	if (pool_name(rg, x->cfg->network_name, name, sizeof(name)) < 0)
		return err_set(err, -ENAMETOOLONG, CNI_ERR_INVALID_CONFIG, NULL,
			       "IPPool name for %s is too long: shorten ipam.network_name", cidr);
	k8s_deadline_set(x->k, deadline);
	for (attempt = 0; !done; attempt++) {
		struct cni_err e = { 0 };
		const cJSON *old;

		if (attempt && clock_now_ms() >= deadline) {
			if (last.code)
				r = err_keep(err, &last, -ETIMEDOUT);
			else
				r = err_set(err, -ETIMEDOUT, CNI_ERR_TRY_AGAIN, NULL,
					    "no address recorded in IPPool '%s' within retry_budget_seconds (%u conflicts, %zu addresses claimed by others)",
					    name, x->conflicts, n_skip);
			break;
		}
		/* with reservations the view only steers the choice: reread it now and then */
		if (reload || !x->cfg->overlapping || (n_skip && n_skip % 16 == 0)) {
			r = view_load(x, rg, name, true, &v, &e);
			if (r < 0 && retry_later(r, &e, err, &last, &tries, deadline))
				continue;
			if (r < 0)
				break;
			reload = false;
		}
		if (find_owner(&v, rg, x->who, &off) >= 0) {
			/* idempotent ADD: the same container and ifname keep their address */
			if (have_held && held != off)
				(void) unreserve(x, rg, held, x->who->containerid, deadline, NULL);
			r = x->cfg->overlapping && !(have_held && held == off) ?
				    reserve(x, rg, off, deadline, err) : 0;
			have_held = false;
			if (r > 0)
				r = err_set(err, -EEXIST, RDMANET_ERR_API, NULL,
					    "IPPool '%s' records an address for this container that another owner has reserved: run 'rdmanet-ipam reconcile'",
					    name);
			done = r >= 0;
			break;
		}
		if (have_held && in_sorted(v.taken, v.n_taken, held)) {
			/* recorded meanwhile by a writer that does not reserve: ours is lost */
			(void) unreserve(x, rg, held, x->who->containerid, deadline, NULL);
			have_held = false;
		}
		if (have_held) {
			off = held;
		} else if ((old = find_podref(&v, rg, x->who, &off))) {
			/* a re-created pod (StatefulSet) gets its address back: take the claim over */
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(old, "id");

			if (x->cfg->overlapping && cJSON_IsString(id)) {
				r = unreserve(x, rg, off, id->valuestring, deadline, err);
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
			r = reserve(x, rg, off, deadline, err);
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
			testhook_kill("ipam-reserved");
		}
		if (pool_off_format(off, key, sizeof(key)) < 0) {
			r = err_set(err, -EINVAL, RDMANET_ERR_INTERNAL, NULL, "offset out of range");
			break;
		}
		/* the claim is ours: now the pool write, this node's writers in turn */
		r = pool_lock_once(name, deadline, x->cfg->overlapping, &lock, &lock_tried, &v, err);
		if (r < 0)
			break;
		(void) snprintf(guard, sizeof(guard), "%s", view_rv(&v));
		sent = off;
		r = pool_write(x, &v, name, key, new_entry(x->who, err), NULL, 0, 0, false, &e);
		if (r == -ESTALE || r == -ENOENT) {
			log_debug("IPPool '%s' %s meanwhile: reading it again", name,
				  r == -ESTALE ? "changed" : "was deleted");
			if (r == -ESTALE)
				backoff(n_stale++, deadline);
			reload = true;
			continue;
		}
		if (r < 0) {
			/* it may have landed (the next read says: find_owner), or without an answer
			 * may yet */
			unsure = unsure || (transient(r) && v.unanswered);
			reload = true;
			if (retry_later(r, &e, err, &last, &tries, deadline))
				continue;
			break;
		}
		unsure = false;
		testhook_kill("ipam-recorded");
		done = true;
	}
	if (!done) {
		long long grace = grace_deadline(x);

		k8s_deadline_set(x->k, grace);
		/*
		 * When the entry could not be verified either, the claim goes all the same: an
		 * entry that still comes is found and removed by the runtime's DEL (by container
		 * ID), a claim without an entry only by reconcile
		 */
		if (unsure)
			(void) unrecord(x, rg, name, sent, guard, grace);
		grace = grace_deadline(x);
		k8s_deadline_set(x->k, grace);
		if (have_held)
			(void) unreserve(x, rg, held, x->who->containerid, grace, NULL);
	}
	k8s_deadline_set(x->k, 0);
	pool_unlock(&lock, done && !unsure ? view_rv(&v) : NULL);
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
	long long deadline = clock_now_ms() + x->cfg->retry_budget_ms, grace;
	bool unsure = false;	/* a write of gone[] got no answer */
	unsigned tries = 0;
	struct cni_err last = { 0 };	/* the latest transient failure, tried again */
	int r = 0, lock = -1;
	bool lock_tried = false, wrote = false;

	if (pool_name(rg, x->cfg->network_name, name, sizeof(name)) < 0)
		return 0;
	k8s_deadline_set(x->k, deadline);
	for (unsigned attempt = 0;; attempt++) {
		struct cni_err e = { 0 };
		const cJSON *it;
		size_t n = 0;

		if (attempt && clock_now_ms() >= deadline) {
			if (last.code)
				r = err_keep(err, &last, -ETIMEDOUT);
			else
				r = err_set(err, -ETIMEDOUT, CNI_ERR_TRY_AGAIN, NULL,
					    "could not update IPPool '%s' within retry_budget_seconds", name);
			break;
		}
		r = view_load(x, rg, name, false, &v, &e);
		if (r < 0 && retry_later(r, &e, err, &last, &tries, deadline))
			continue;
		if (r < 0)
			break;
		cJSON_ArrayForEach(it, v.allocs)
			n += drop(arg, it);
		if (!n && !unsure) {
			n_gone = 0;
			break;
		}
		if (n) {
			n_gone = 0;
			cJSON_ArrayForEach(it, v.allocs) {
				const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");

				if (n_gone >= IPAM_RELEASE_MAX || !drop(arg, it) ||
				    pool_off_parse(it->string, &gone[n_gone].off) < 0)
					continue;
				(void) snprintf(gone[n_gone++].id, sizeof(gone[0].id), "%s",
						id->valuestring);
			}
			r = pool_lock_once(name, deadline, x->cfg->overlapping, &lock, &lock_tried, &v,
					   err);
			if (r < 0)
				break;
			r = pool_write(x, &v, name, NULL, NULL, &gone[0].off, n_gone,
				       sizeof(gone[0]), false, &e);
			if (r == -ESTALE) {
				backoff(attempt, deadline);
				continue;
			}
			if (r < 0 && r != -ENOENT) {
				/* no answer: the next read says whether it landed (then n is 0) */
				unsure = unsure || transient(r);
				if (retry_later(r, &e, err, &last, &tries, deadline))
					continue;
				break;
			}
			wrote = r >= 0 && !unsure;
		}
		r = 0;
		testhook_kill("ipam-released");
		for (size_t i = 0; i < n_gone; i++) {
			unsigned char a[16];
			char ip[INET6_ADDRSTRLEN];

			off_text(rg, gone[i].off, a, ip, sizeof(ip));
			log_info("released %s in IPPool '%s' (container '%s')", ip, name, gone[i].id);
		}
		pool_unlock(&lock, wrote ? view_rv(&v) : NULL);
		grace = grace_deadline(x);
		if (grace < deadline)
			grace = deadline;
		k8s_deadline_set(x->k, grace);
		for (size_t i = 0; i < n_gone && x->cfg->overlapping && r >= 0; i++)
			r = unreserve(x, rg, gone[i].off, gone[i].id, grace, err);
		break;
	}
	k8s_deadline_set(x->k, 0);
	pool_unlock(&lock, NULL);
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
			r = unreserve(x, rg, off, x->who->containerid,
				      clock_now_ms() + x->cfg->retry_budget_ms, err);
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
