/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipam_alloc.c - allocation on whereabouts' custom resources without a global lock.
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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cjson/cJSON.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/clock.h"
#include "rdmanet/ipam_alloc.h"
#include "rdmanet/ipam_events.h"
#include "rdmanet/ipam_store.h"
#include "rdmanet/log.h"
#include "rdmanet/testhook.h"

#define SKIP_MAX 256

/*
 * Writers of one pool on this node take turns: an flock on IPAM_LOCK_DIR/<pool>.lock, held from the
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
	int fd = ipam_node_file(testhook_lock_dir(), name, ".lock");

	if (fd < 0)
		return fd;
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
			       "IPPool '%s': other rdmanet-ipam runs of this node held its lock "
			       "for all of retry_budget_seconds",
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
	if (rv && rv[0] &&
	    (pwrite(*fd, rv, strlen(rv), 0) != (ssize_t) strlen(rv) ||
	     ftruncate(*fd, (off_t) strlen(rv)) < 0))
		log_debug("cannot note the pool's resourceVersion in its lock file: %m, ignoring");
	(void) close(*fd);
	*fd = -1;
}

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

	if (ipam_store_in_sorted(t->v->taken, t->v->n_taken, off))
		return true;
	if (t->quiet && ipam_store_view_resting(t->v, t->cfg, off))
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
		hint += ((pool_off_t) ipam_store_random_u64() << 64 | ipam_store_random_u64()) %
			span;
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
	cJSON *e = ipam_store_owner_json(who, false);

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

		e = (struct cni_err){ 0 };
		r = ipam_store_view_load(x, rg, name, false, &v, &e);
		if (r < 0)
			continue;
		if (!v.obj)
			break;
		cJSON_ArrayForEach(it, v.allocs) {
			pool_off_t o;

			if (pool_off_parse(it->string, &o) >= 0 && o == off &&
			    ipam_store_entry_is(it, x->who))
				ours = true;
		}
		if (!ours && strcmp(ipam_store_view_rv(&v), guard))
			break; /* not there, and the write was for a version that is gone */
		r = ipam_store_pool_write(x, &v, name, NULL, NULL, &off, 1, sizeof(off), true, &e);
		if (r == -ENOENT)
			r = 0;
		if (r >= 0)
			log_info("IPPool '%s': %s the entry of a write with no answer", name,
				 ours ? "removed" : "fenced off");
		else if (r == -ESTALE)
			r = -EAGAIN; /* read again */
	} while (r < 0 && ipam_store_retry_later(r, &e, NULL, NULL, &tries, deadline));
	ipam_store_view_reset(&v);
	if (r < 0)
		log_warn("IPPool '%s' may keep an entry of this container: %s, ignoring (DEL or "
			 "rdmanet-ipam reconcile removes it)",
			 name, e.msg);
	return r < 0 ? r : 0;
}

/*
 * A Warning Event on the pool (ipam_events.h: aggregated per node, best effort): the ADD's error
 * stays what it is, whatever becomes of the Event, which ends with the ADD's budget at the latest.
 */
static void exhausted_event(struct ipam_ctx *x, const struct pool_range *rg, const char *name,
			    const struct pool_view *v, long long deadline)
{
	const cJSON *uid =
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(v->obj,
										  "metadata"),
						 "uid");
	char cidr[64], span[48], msg[IPAM_EVENT_MESSAGE_MAX];
	struct ipam_event ev = {
		.ns = x->ns,
		.pool = name,
		.uid = cJSON_IsString(uid) ? uid->valuestring : NULL,
		.warning = true,
		.reason = IPAM_EVENT_EXHAUSTED,
		.message = msg,
		.deadline = deadline,
	};

	ipam_store_cidr_text(&rg->net, cidr, sizeof(cidr));
	if (pool_off_format(pool_span(rg), span, sizeof(span)) < 0)
		(void) snprintf(span, sizeof(span), "?");
	(void) snprintf(msg, sizeof(msg),
			"no free address in %s (%s addresses in the range, %zu allocated) for pod "
			"'%.320s' "
			"(container '%.64s', node %s): widen the range or release leaked "
			"allocations (rdmanet-ipam reconcile)",
			cidr, span, v->n_taken, x->who->podref[0] ? x->who->podref : "?",
			x->who->containerid, ipam_event_host());
	(void) ipam_event_repeat(x->k, testhook_lock_dir(), &ev);
}

int ipam_alloc_range(struct ipam_ctx *x, const struct pool_range *rg, struct cni_ip *ip,
		     struct cni_err *err)
{
	struct pool_view v = { 0 };
	pool_off_t skip[SKIP_MAX], off = 0, held = 0, sent = 0;
	size_t n_skip = 0;
	bool have_held = false, done = false, reload = true, unsure = false;
	char name[POOL_NAME_MAX], key[48], cidr[64], text[INET6_ADDRSTRLEN], guard[64] = "";
	long long deadline = clock_now_ms() + x->cfg->retry_budget_ms;
	unsigned attempt, tries = 0, n_stale = 0;
	struct cni_err last = { 0 }; /* the latest transient failure, tried again */
	int r = 0, lock = -1;
	bool lock_tried = false, exhausted = false;

	ipam_store_cidr_text(&rg->net, cidr, sizeof(cidr));
	if (pool_name(rg, x->cfg->network_name, name, sizeof(name)) < 0)
		return err_set(err, -ENAMETOOLONG, CNI_ERR_INVALID_CONFIG, NULL,
			       "IPPool name for %s is too long: shorten ipam.network_name", cidr);
	k8s_deadline_set(x->k, deadline);
	for (attempt = 0; !done; attempt++) {
		struct cni_err e = { 0 };
		const cJSON *old;

		if (attempt && clock_now_ms() >= deadline) {
			if (last.code)
				r = ipam_store_err_keep(err, &last, -ETIMEDOUT);
			else
				r = err_set(err, -ETIMEDOUT, CNI_ERR_TRY_AGAIN, NULL,
					    "no address recorded in IPPool '%s' within "
					    "retry_budget_seconds (%u conflicts, %zu addresses "
					    "claimed by others)",
					    name, x->conflicts, n_skip);
			break;
		}
		/* with reservations the view only steers the choice: reread it now and then */
		if (reload || !x->cfg->overlapping || (n_skip && n_skip % 16 == 0)) {
			r = ipam_store_view_load(x, rg, name, true, &v, &e);
			if (r < 0 && ipam_store_retry_later(r, &e, err, &last, &tries, deadline))
				continue;
			if (r < 0)
				break;
			reload = false;
		}
		if (ipam_store_find_owner(&v, rg, x->who, &off) >= 0) {
			/* idempotent ADD: the same container and ifname keep their address */
			if (have_held && held != off)
				(void) ipam_store_unreserve(x, rg, held, x->who->containerid,
							    deadline, NULL);
			r = x->cfg->overlapping && !(have_held && held == off) ?
				    ipam_store_reserve(x, rg, off, deadline, err) :
				    0;
			have_held = false;
			if (r > 0)
				r = err_set(err, -EEXIST, RDMANET_ERR_API, NULL,
					    "IPPool '%s' records an address for this container "
					    "that another owner has reserved: run "
					    "'rdmanet-ipam reconcile'",
					    name);
			done = r >= 0;
			break;
		}
		if (have_held && ipam_store_in_sorted(v.taken, v.n_taken, held)) {
			/* recorded meanwhile by a writer that does not reserve: ours is lost */
			(void) ipam_store_unreserve(x, rg, held, x->who->containerid, deadline,
						    NULL);
			have_held = false;
		}
		if (have_held) {
			off = held;
		} else if ((old = ipam_store_find_podref(&v, rg, x->who, &off))) {
			/* a re-created pod (StatefulSet) gets its address back: take the claim over
			 */
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(old, "id");

			if (x->cfg->overlapping && cJSON_IsString(id)) {
				r = ipam_store_unreserve(x, rg, off, id->valuestring, deadline,
							 err);
				if (r < 0)
					break;
			}
			log_info("pod '%s' comes back: reusing its address in IPPool '%s'",
				 x->who->podref, name);
		} else {
			r = pick(x, rg, &v, skip, n_skip, &off);
			if (r == -ENOSPC) {
				r = err_set(err, r, RDMANET_ERR_EXHAUSTED, NULL,
					    "no free address left in %s (IPPool '%s'): widen the "
					    "range or release leaked allocations "
					    "(rdmanet-ipam reconcile)",
					    cidr, name);
				exhausted = true;
				break;
			}
		}
		if (!have_held && x->cfg->overlapping) {
			r = ipam_store_reserve(x, rg, off, deadline, err);
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
			r = err_set(err, -EINVAL, RDMANET_ERR_INTERNAL, NULL,
				    "offset out of range");
			break;
		}
		/* the claim is ours: now the pool write, this node's writers in turn */
		r = pool_lock_once(name, deadline, x->cfg->overlapping, &lock, &lock_tried, &v,
				   err);
		if (r < 0)
			break;
		(void) snprintf(guard, sizeof(guard), "%s", ipam_store_view_rv(&v));
		sent = off;
		r = ipam_store_pool_write(x, &v, name, key, new_entry(x->who, err), NULL, 0, 0,
					  false, &e);
		if (r == -ESTALE || r == -ENOENT) {
			log_debug("IPPool '%s' %s meanwhile: reading it again", name,
				  r == -ESTALE ? "changed" : "was deleted");
			if (r == -ESTALE)
				ipam_store_backoff(n_stale++, deadline);
			reload = true;
			continue;
		}
		if (r < 0) {
			/* it may have landed (the next read says: find_owner), or without an answer
			 * may yet */
			unsure = unsure || (ipam_store_transient(r) && v.unanswered);
			reload = true;
			if (ipam_store_retry_later(r, &e, err, &last, &tries, deadline))
				continue;
			break;
		}
		unsure = false;
		testhook_kill("ipam-recorded");
		done = true;
	}
	if (!done) {
		long long grace = ipam_store_grace_deadline(x);

		k8s_deadline_set(x->k, grace);
		/*
		 * When the entry could not be verified either, the claim goes all the same: an
		 * entry that still comes is found and removed by the runtime's DEL (by container
		 * ID), a claim without an entry only by reconcile
		 */
		if (unsure)
			(void) unrecord(x, rg, name, sent, guard, grace);
		grace = ipam_store_grace_deadline(x);
		k8s_deadline_set(x->k, grace);
		if (have_held)
			(void) ipam_store_unreserve(x, rg, held, x->who->containerid, grace, NULL);
	}
	k8s_deadline_set(x->k, 0);
	pool_unlock(&lock, done && !unsure ? ipam_store_view_rv(&v) : NULL);
	if (exhausted)
		exhausted_event(x, rg, name, &v, deadline);
	ipam_store_view_reset(&v);
	if (!done)
		return r < 0 ? r : -EIO;
	memset(ip, 0, sizeof(*ip));
	ip->family = rg->net.family;
	pool_addr_at(rg, off, ip->addr);
	ip->prefixlen = rg->net.prefixlen;
	ip->has_gw = rg->has_gw;
	memcpy(ip->gw, rg->gw, sizeof(ip->gw));
	ip->iface = -1;
	ipam_store_format_ip(ip->family, ip->addr, text, sizeof(text));
	log_info("allocated %s/%u in IPPool '%s' to container '%s' (pod '%s')", text, ip->prefixlen,
		 name, x->who->containerid, x->who->podref);
	return 0;
}

int ipam_alloc_release_range(struct ipam_ctx *x, const struct pool_range *rg,
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
	bool unsure = false; /* a write of gone[] got no answer */
	unsigned tries = 0;
	struct cni_err last = { 0 }; /* the latest transient failure, tried again */
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
				r = ipam_store_err_keep(err, &last, -ETIMEDOUT);
			else
				r = err_set(err, -ETIMEDOUT, CNI_ERR_TRY_AGAIN, NULL,
					    "could not update IPPool '%s' within "
					    "retry_budget_seconds",
					    name);
			break;
		}
		r = ipam_store_view_load(x, rg, name, false, &v, &e);
		if (r < 0 && ipam_store_retry_later(r, &e, err, &last, &tries, deadline))
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
			r = pool_lock_once(name, deadline, x->cfg->overlapping, &lock, &lock_tried,
					   &v, err);
			if (r < 0)
				break;
			r = ipam_store_pool_write(x, &v, name, NULL, NULL, &gone[0].off, n_gone,
						  sizeof(gone[0]), false, &e);
			if (r == -ESTALE) {
				ipam_store_backoff(attempt, deadline);
				continue;
			}
			if (r < 0 && r != -ENOENT) {
				/* no answer: the next read says whether it landed (then n is 0) */
				unsure = unsure || ipam_store_transient(r);
				if (ipam_store_retry_later(r, &e, err, &last, &tries, deadline))
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

			ipam_store_off_text(rg, gone[i].off, a, ip, sizeof(ip));
			log_info("released %s in IPPool '%s' (container '%s')", ip, name,
				 gone[i].id);
		}
		pool_unlock(&lock, wrote ? ipam_store_view_rv(&v) : NULL);
		grace = ipam_store_grace_deadline(x);
		if (grace < deadline)
			grace = deadline;
		k8s_deadline_set(x->k, grace);
		for (size_t i = 0; i < n_gone && x->cfg->overlapping && r >= 0; i++)
			r = ipam_store_unreserve(x, rg, gone[i].off, gone[i].id, grace, err);
		break;
	}
	k8s_deadline_set(x->k, 0);
	pool_unlock(&lock, NULL);
	ipam_store_view_reset(&v);
	if (n_out)
		*n_out = r < 0 ? 0 : n_gone;
	return r < 0 ? r : 0;
}

int ipam_alloc_release(struct ipam_ctx *x, const struct pool_range *rg,
		       bool (*drop)(void *arg, const cJSON *entry), void *arg, struct cni_err *err)
{
	return ipam_alloc_release_range(x, rg, drop, arg, NULL, err);
}
