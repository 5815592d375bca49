/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.c - the reconciler's metrics, kept as plain numbers and rendered in Prometheus' text
 * exposition format 0.0.4 (one HELP and TYPE line per family, label values escaped). Values
 * come from what each pass already read and counted: the pools' usage as ipam_reconcile listed
 * them, its stats, and the status of every API request through k8s_observe.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/metrics.h"

#ifndef RDMANET_VERSION
#define RDMANET_VERSION "unknown"
#endif
#ifndef RDMANET_REVISION
#define RDMANET_REVISION "unknown"
#endif

#define P "rdmanet_ipam_"

static const char *const verbs[] = { "GET", "POST", "PUT", "PATCH", "DELETE", "other" };
#define CODES 600 /* HTTP statuses 100..599; 0: no answer */

/* upper bounds of the pass duration histogram's buckets, seconds (+Inf is the count) */
static const double bounds[] = { 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300 };

struct pool_row {
	char *name, *range;
	double size;
	unsigned long allocated, quiet;
};

struct pools {
	struct pool_row *v;
	size_t n, cap;
	bool nomem;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	struct pools pools; /* as the last successful pass read them */
	unsigned long long leaks_found, leaks_released, orphans_found, orphans_deleted;
	unsigned long long passes_ok, passes_failed;
	unsigned long unowned; /* of the last successful pass */
	double last_success;   /* unix time; 0: none yet */
	unsigned long long le[ARRAY_SIZE(bounds)], count;
	double sum;
	unsigned long long api[ARRAY_SIZE(verbs)][CODES];
} m;
static struct pools next; /* the pass under way (the reconcile loop's own) */

static void pools_clear(struct pools *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].name);
		free(p->v[i].range);
	}
	free(p->v);
	memset(p, 0, sizeof(*p));
}

static void pool_seen(void *arg, const struct ipam_pool_usage *u)
{
	struct pools *p = arg;
	struct pool_row *row;

	if (p->nomem)
		return;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct pool_row *v = realloc(p->v, cap * sizeof(*v));

		if (!v) {
			p->nomem = true;
			return;
		}
		p->v = v;
		p->cap = cap;
	}
	row = &p->v[p->n];
	row->name = strdup(u->name);
	row->range = strdup(u->range);
	if (!row->name || !row->range) {
		free(row->name);
		free(row->range);
		p->nomem = true;
		return;
	}
	row->size = u->size;
	row->allocated = u->allocated;
	row->quiet = u->quiet;
	p->n++;
}

void metrics_pass_begin(struct ipam_reconcile_opts *o)
{
	pools_clear(&next);
	o->pool_seen = pool_seen;
	o->arg = &next;
}

static double wall_now(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_REALTIME, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

void metrics_pass_end(int r, double seconds, const struct ipam_reconcile_stats *st)
{
	struct pools old;

	(void) pthread_mutex_lock(&lock);
	m.leaks_found += st->released;
	m.leaks_released += st->freed;
	m.orphans_found += st->orphans;
	m.orphans_deleted += st->deleted;
	for (size_t i = 0; i < ARRAY_SIZE(bounds); i++)
		if (seconds <= bounds[i])
			m.le[i]++;
	m.count++;
	m.sum += seconds;
	/* a failed pass (or one whose pools did not fit in memory) keeps the last good values */
	if (r >= 0 && !next.nomem) {
		old = m.pools;
		m.pools = next;
		next = old;
		m.unowned = st->unowned;
		m.last_success = wall_now();
		m.passes_ok++;
	} else {
		m.passes_failed++;
	}
	(void) pthread_mutex_unlock(&lock);
	pools_clear(&next);
}

void metrics_api_request(const char *method, long status)
{
	size_t v = 0;

	while (v < ARRAY_SIZE(verbs) - 1 && strcmp(verbs[v], method))
		v++;
	if (status < 100 || status >= CODES)
		status = 0;
	(void) pthread_mutex_lock(&lock);
	m.api[v][status]++;
	(void) pthread_mutex_unlock(&lock);
}

void metrics_reset(void)
{
	(void) pthread_mutex_lock(&lock);
	pools_clear(&m.pools);
	memset(&m, 0, sizeof(m));
	(void) pthread_mutex_unlock(&lock);
	pools_clear(&next);
}

/* A label value: backslash, double quote and newline escaped, as the format wants. */
static void put_label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			(void) fputc('\\', f);
		if (*s == '\n')
			(void) fputs("\\n", f);
		else
			(void) fputc(*s, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	(void) fprintf(f, "# HELP " P "%s %s\n# TYPE " P "%s %s\n", name, help, name, type);
}

static void pool_family(FILE *f, int which, const char *name, const char *help)
{
	family(f, name, "gauge", help);
	for (size_t i = 0; i < m.pools.n; i++) {
		const struct pool_row *p = &m.pools.v[i];
		double v = which == 0 ? p->size :
			   which == 1 ? (double) p->allocated :
			   which == 2 ? p->size - (double) p->allocated :
					(double) p->quiet;

		(void) fprintf(f, P "%s{pool=\"", name);
		put_label(f, p->name);
		(void) fputs("\",range=\"", f);
		put_label(f, p->range);
		(void) fprintf(f, "\"} %.17g\n", v);
	}
}

static void render(FILE *f)
{
	family(f, "build_info", "gauge", "Version of rdmanet-ipam, always 1.");
	(void) fputs(P "build_info{version=\"", f);
	put_label(f, RDMANET_VERSION);
	(void) fputs("\",revision=\"", f);
	put_label(f, RDMANET_REVISION);
	(void) fputs("\"} 1\n", f);

	pool_family(f, 0, "pool_size_addresses",
		    "Addresses of an IPPool's spec.range, as the last good pass read it.");
	pool_family(f, 1, "pool_allocated_addresses",
		    "Addresses of an IPPool held by allocations, as the last good pass read it.");
	pool_family(f, 2, "pool_free_addresses",
		    "Addresses of an IPPool no allocation holds (resting ones included).");
	pool_family(f, 3, "pool_quiet_addresses",
		    "Free addresses of an IPPool released under 60 s ago (resting, reused last).");

	family(f, "leaked_allocations_found_total", "counter",
	       "Allocations found whose pod is gone (counted again each --dry-run pass).");
	(void) fprintf(f, P "leaked_allocations_found_total %llu\n", m.leaks_found);
	family(f, "leaked_allocations_released_total", "counter", "Leaked allocations released.");
	(void) fprintf(f, P "leaked_allocations_released_total %llu\n", m.leaks_released);
	family(f, "orphan_reservations_found_total", "counter",
	       "OverlappingRangeIPReservations found that no allocation or live pod holds.");
	(void) fprintf(f, P "orphan_reservations_found_total %llu\n", m.orphans_found);
	family(f, "orphan_reservations_deleted_total", "counter", "Orphan reservations deleted.");
	(void) fprintf(f, P "orphan_reservations_deleted_total %llu\n", m.orphans_deleted);
	family(f, "unowned_reservations", "gauge",
	       "Reservations naming neither a container nor a pod, kept (delete by hand).");
	(void) fprintf(f, P "unowned_reservations %lu\n", m.unowned);

	family(f, "api_requests_total", "counter",
	       "Kubernetes API requests by verb and HTTP status code (\"none\": no answer).");
	for (size_t v = 0; v < ARRAY_SIZE(verbs); v++)
		for (size_t c = 0; c < CODES; c++) {
			if (!m.api[v][c])
				continue;
			char code[8] = "none";

			if (c)
				(void) snprintf(code, sizeof(code), "%zu", c);
			(void) fprintf(f, P "api_requests_total{verb=\"%s\",code=\"%s\"} %llu\n",
				       verbs[v], code, m.api[v][c]);
		}

	family(f, "reconcile_passes_total", "counter", "Reconcile passes by result.");
	(void) fprintf(f, P "reconcile_passes_total{result=\"success\"} %llu\n", m.passes_ok);
	(void) fprintf(f, P "reconcile_passes_total{result=\"failure\"} %llu\n", m.passes_failed);
	family(f, "reconcile_duration_seconds", "histogram", "Duration of reconcile passes.");
	for (size_t i = 0; i < ARRAY_SIZE(bounds); i++)
		(void) fprintf(f, P "reconcile_duration_seconds_bucket{le=\"%g\"} %llu\n",
			       bounds[i], m.le[i]);
	(void) fprintf(f, P "reconcile_duration_seconds_bucket{le=\"+Inf\"} %llu\n", m.count);
	(void) fprintf(f, P "reconcile_duration_seconds_sum %.9g\n", m.sum);
	(void) fprintf(f, P "reconcile_duration_seconds_count %llu\n", m.count);
	family(f, "reconcile_last_success_timestamp_seconds", "gauge",
	       "Unix time the last successful reconcile pass ended (0: none yet).");
	(void) fprintf(f, P "reconcile_last_success_timestamp_seconds %.3f\n", m.last_success);
}

char *metrics_render(size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	if (!f)
		return NULL;
	(void) pthread_mutex_lock(&lock);
	render(f);
	(void) pthread_mutex_unlock(&lock);
	if (ferror(f)) {
		(void) fclose(f);
		free(buf);
		return NULL;
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}
