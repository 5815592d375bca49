/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipam_store.h - whereabouts' IPPool and OverlappingRangeIPReservation objects in the API, for
 * ipam_alloc.c, ipam_k8s.c and ipam_reconcile.c.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "rdmanet/ipam_k8s.h"
#include "rdmanet/pool.h"

struct cJSON;

#define RELEASED_PREFIX "rdmanet.io/released-" /* + offset: unix time of the release */
#define RELEASED_MAX    1024
/* A release note among an IPPool's annotations: true with its offset and release time (unix s). */
bool ipam_store_released_note(const struct cJSON *note, pool_off_t *off, double *at);
/* this node's pool locks and Event series (testhook_lock_dir() overrides it in test builds) */
#define IPAM_LOCK_DIR "/run/rdmanet-ipam"

/*
 * A file of this node's IPAM state, <dir>/<name><suffix> (dir NULL: IPAM_LOCK_DIR, made 0700 when
 * missing), opened read-write, created 0600, never through a symlink. The fd, or -errno.
 */
int ipam_node_file(const char *dir, const char *name, const char *suffix);

/* Random bits for jitter and for picking: getrandom(), else the clock and the pid. */
unsigned long long ipam_store_random_u64(void);

/*
 * Full-jitter exponential backoff: up to 10 ms, 20, 40 .. 1280 ms, never past the deadline. The
 * cap is for 64 writers on one pool: their retries must spread over about as long as the API
 * server takes to commit 64 writes of it, or most of them meet again.
 */
void ipam_store_backoff(unsigned attempt, long long deadline);

/* Whether an API failure may pass when tried again: 429/5xx, timeouts, connections. */
bool ipam_store_transient(int r);

/* e becomes the error unless there is one already (first error wins); returns r. */
int ipam_store_err_keep(struct cni_err *err, const struct cni_err *e, int r);

/*
 * A transient failure (e) of a step that is safe to repeat, with time left: back off, then the
 * caller verifies and tries again; e is kept in *last (may be NULL), to tell why the budget ran
 * out. Else e becomes the error (first error wins).
 */
bool ipam_store_retry_later(int r, const struct cni_err *e, struct cni_err *err,
			    struct cni_err *last, unsigned *tries, long long deadline);

/* Undoing a failed ADD may take one more request's time past the budget that ran out. */
long long ipam_store_grace_deadline(const struct ipam_ctx *x);

/*
 * A failed API request r as the error "Kubernetes API: cannot <what>", k8s_errmsg() as its
 * details: a transient one (429/5xx, timeout, connection) is CNI 11, so that the runtime tries
 * again; the rest RDMANET_ERR_API. Returns r.
 */
int ipam_store_api_fail(struct k8s_client *k, int r, struct cni_err *err, const char *what);

/* Address text (inet_ntop), "?" when it cannot be written. */
void ipam_store_format_ip(int family, const unsigned char *a, char *out, size_t len);

/* "address/prefix" of c. */
void ipam_store_cidr_text(const struct pool_cidr *c, char *out, size_t len);

/* The pool as read from the API. */
struct pool_view {
	struct cJSON *obj;    /* owned; NULL when the pool does not exist */
	struct cJSON *allocs; /* spec.allocations (borrowed from obj, created when absent) */
	pool_off_t *taken;    /* sorted offsets of allocs */
	size_t n_taken;
	struct released {
		pool_off_t off;
		double at;        /* unix time of the release */
	} released[RELEASED_MAX]; /* resting after release, sorted by offset */
	size_t n_released;
	char rv[64];     /* the resourceVersion the next write is guarded by */
	bool unanswered; /* the last write got no answer, or the apiserver's own 504 */
};

/* The resourceVersion the next write of the view is guarded by. */
const char *ipam_store_view_rv(const struct pool_view *v);

/* Frees what the view holds; it can be loaded again. */
void ipam_store_view_reset(struct pool_view *v);

/* Whether off is in v[n], sorted. */
bool ipam_store_in_sorted(const pool_off_t *v, size_t n, pool_off_t off);

/* Resting: released less than quiet_s ago. */
bool ipam_store_view_resting(const struct pool_view *v, const struct ipam_config *cfg,
			     pool_off_t off);

/* GET the pool, creating it when absent. */
int ipam_store_view_load(struct ipam_ctx *x, const struct pool_range *rg, const char *name,
			 bool create, struct pool_view *v, struct cni_err *err);

/* Whether pool entry e is who's: same container ID and (when the entry has one) ifname. */
bool ipam_store_entry_is(const struct cJSON *e, const struct ipam_owner *who);

/*
 * The owner's entry (same container and ifname) at a usable offset of rg, or -ENOENT: an entry
 * outside the configured range, excluded or at the gateway (the config changed, or someone
 * else wrote the pool) is never handed out again.
 */
int ipam_store_find_owner(const struct pool_view *v, const struct pool_range *rg,
			  const struct ipam_owner *who, pool_off_t *off);

/* An entry of the same pod and ifname under an older container ID (a re-created StatefulSet pod),
 * at a usable offset of rg (as ipam_store_find_owner). */
const struct cJSON *ipam_store_find_podref(const struct pool_view *v, const struct pool_range *rg,
					   const struct ipam_owner *who, pool_off_t *off);

/* who as a pool entry ("id") or a reservation's spec ("containerid"), with podref, ifname. */
struct cJSON *ipam_store_owner_json(const struct ipam_owner *who, bool reservation);

/* The address at off in rg, as text (INET6_ADDRSTRLEN); a its 16 bytes. */
void ipam_store_off_text(const struct pool_range *rg, pool_off_t off, unsigned char a[16], char *ip,
			 size_t iplen);

/*
 * Who holds the reservation of off: 0 containerid (+ ifname), 1 someone else, -ENOENT nobody.
 * whereabouts (v0.8 on) writes no containerid: then the same pod (x->who) and ifname hold it,
 * as whereabouts itself judges.
 */
int ipam_store_resv_owner(struct ipam_ctx *x, const struct pool_range *rg, pool_off_t off,
			  const char *containerid, const char *ifname, struct cJSON **got,
			  struct cni_err *err);

/*
 * 0 when the claim is ours (new or already), 1 when another owner holds it. A create whose
 * answer did not come is settled by reading the claim, and made again while the budget lasts.
 */
int ipam_store_reserve(struct ipam_ctx *x, const struct pool_range *rg, pool_off_t off,
		       long long deadline, struct cni_err *err);

/* Deletes reservation name under a uid precondition: fine when gone or re-created meanwhile. */
int ipam_store_unreserve_uid(struct ipam_ctx *x, const char *name, const char *uid,
			     struct cni_err *err);

/*
 * Deletes the reservation of off when containerid holds it; fine when gone or someone else's.
 * Transient failures are tried again until deadline (both steps are safe to repeat).
 */
int ipam_store_unreserve(struct ipam_ctx *x, const struct pool_range *rg, pool_off_t off,
			 const char *containerid, long long deadline, struct cni_err *err);

/*
 * One change of the pool: add (key, entry) and/or remove keys, noting their release time and
 * dropping release notes past the quiet period (fence: note even with release_quiet_seconds 0,
 * so that the write changes the pool). With reservations a merge patch of just those keys;
 * without, the whole object. Either under the view's resourceVersion: -ESTALE when someone wrote
 * in between, -ENOENT when the pool vanished.
 */
int ipam_store_pool_write(struct ipam_ctx *x, struct pool_view *v, const char *name,
			  const char *add_key, struct cJSON *add_entry, const pool_off_t *dels,
			  size_t n_dels, size_t stride, bool fence, struct cni_err *err);
