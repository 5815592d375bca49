/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipam_events.c - core/v1 Events on IPPools, as kubectl describe and get events show them.
 *
 * Named as client-go's recorder names them (<object>.<hex of the time in ns>), with its legacy
 * fields (count, firstTimestamp, lastTimestamp, source) that every kubectl shows. client-go
 * aggregates a repeated Event in the memory of a long-lived process; a CNI plugin lives for one
 * call, so the series of a node is kept in a small file beside the pool locks instead: an
 * exhaustion storm of many pods on a node then costs one POST, then one PATCH per
 * IPAM_EVENT_INTERVAL_S, whatever the number of failed ADDs, and needs only create and patch.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/clock.h"
#include "rdmanet/ipam_events.h"
#include "rdmanet/ipam_k8s.h"
#include "rdmanet/ipam_store.h"
#include "rdmanet/log.h"
#include "rdmanet/testhook.h"

DEFINE_CLEANUP(cJSON *, cJSON_Delete)

#define NAME_MAX_LEN 253
#define COMPONENT    "rdmanet-ipam"

void ipam_event_name(const char *pool, unsigned long long t_ns, char *out, size_t len)
{
	/* the name stays a DNS subdomain of at most 253: the pool's part gives way */
	(void) snprintf(out, len, "%.*s.%llx", NAME_MAX_LEN - 17, pool, t_ns);
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_REALTIME, &ts);
	return (unsigned long long) ts.tv_sec * 1000000000ULL + (unsigned long long) ts.tv_nsec;
}

static void rfc3339(time_t t, char *out, size_t len)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		(void) snprintf(out, len, "1970-01-01T00:00:00Z");
}

const char *ipam_event_host(void)
{
	static char name[256];

	if (!name[0] && gethostname(name, sizeof(name) - 1) < 0)
		(void) snprintf(name, sizeof(name), "unknown");
	return name;
}

/* The whole Event, count times between first and last. */
static cJSON *event_json(const struct ipam_event *ev, const char *name, unsigned count,
			 time_t first, time_t last)
{
	_cleanup_(cJSON_Deletep) cJSON *o = cJSON_CreateObject();
	cJSON *meta, *io, *src;
	char t1[32], t2[32];

	rfc3339(first, t1, sizeof(t1));
	rfc3339(last, t2, sizeof(t2));
	if (!o || !cJSON_AddStringToObject(o, "apiVersion", "v1") ||
	    !cJSON_AddStringToObject(o, "kind", "Event") ||
	    !(meta = cJSON_AddObjectToObject(o, "metadata")) ||
	    !cJSON_AddStringToObject(meta, "name", name) ||
	    !cJSON_AddStringToObject(meta, "namespace", ev->ns) ||
	    !(io = cJSON_AddObjectToObject(o, "involvedObject")) ||
	    !cJSON_AddStringToObject(io, "apiVersion", IPAM_API_GROUP "/" IPAM_API_VERSION) ||
	    !cJSON_AddStringToObject(io, "kind", "IPPool") ||
	    !cJSON_AddStringToObject(io, "name", ev->pool) ||
	    !cJSON_AddStringToObject(io, "namespace", ev->ns) ||
	    (ev->uid && ev->uid[0] && !cJSON_AddStringToObject(io, "uid", ev->uid)) ||
	    !cJSON_AddStringToObject(o, "reason", ev->reason) ||
	    !cJSON_AddStringToObject(o, "message", ev->message) ||
	    !cJSON_AddStringToObject(o, "type", ev->warning ? "Warning" : "Normal") ||
	    !cJSON_AddNumberToObject(o, "count", count) ||
	    !cJSON_AddStringToObject(o, "firstTimestamp", t1) ||
	    !cJSON_AddStringToObject(o, "lastTimestamp", t2) ||
	    !(src = cJSON_AddObjectToObject(o, "source")) ||
	    !cJSON_AddStringToObject(src, "component", COMPONENT) ||
	    !cJSON_AddStringToObject(src, "host", ipam_event_host()) ||
	    !cJSON_AddStringToObject(o, "reportingComponent", COMPONENT) ||
	    !cJSON_AddStringToObject(o, "reportingInstance", ipam_event_host()))
		return NULL;
	return TAKE_PTR(o);
}

/* One request of at most what is left of the call's IPAM_EVENT_TIMEOUT_MS. */
static int send_json(struct k8s_client *k, const char *method, const char *path, const char *type,
		     const cJSON *body)
{
	_cleanup_free_ char *text = cJSON_PrintUnformatted(body);
	cJSON *resp = NULL;
	int r;

	if (!text)
		return -ENOMEM;
	r = k8s_request_type(k, method, path, type, text, NULL, &resp);
	cJSON_Delete(resp);
	return r;
}

static int post(struct k8s_client *k, const struct ipam_event *ev, const char *name, unsigned count,
		time_t first, time_t last)
{
	_cleanup_(cJSON_Deletep) cJSON *o = event_json(ev, name, count, first, last);
	char path[K8S_PATH_MAX];

	if (!o)
		return -ENOMEM;
	(void) snprintf(path, sizeof(path), "/api/v1/namespaces/%s/events", ev->ns);
	return send_json(k, "POST", path, K8S_JSON, o);
}

static int patch(struct k8s_client *k, const struct ipam_event *ev, const char *name,
		 unsigned count, time_t last)
{
	_cleanup_(cJSON_Deletep) cJSON *o = cJSON_CreateObject();
	char path[K8S_PATH_MAX], t[32];

	rfc3339(last, t, sizeof(t));
	if (!o || !cJSON_AddNumberToObject(o, "count", count) ||
	    !cJSON_AddStringToObject(o, "lastTimestamp", t) ||
	    !cJSON_AddStringToObject(o, "message", ev->message))
		return -ENOMEM;
	if (snprintf(path, sizeof(path), "/api/v1/namespaces/%s/events/%s", ev->ns, name) >=
	    (int) sizeof(path))
		return -ENAMETOOLONG;
	return send_json(k, "PATCH", path, K8S_MERGE_PATCH, o);
}

/* The requests of one call end IPAM_EVENT_TIMEOUT_MS from now, or with the caller's budget. */
static void start(struct k8s_client *k, const struct ipam_event *ev)
{
	long long end = clock_now_ms() + IPAM_EVENT_TIMEOUT_MS;

	k8s_deadline_set(k, ev->deadline && ev->deadline < end ? ev->deadline : end);
}

static int done(struct k8s_client *k, const struct ipam_event *ev, int r, const char *what)
{
	k8s_deadline_set(k, 0);
	if (r == -ENOMEM || r == -ENAMETOOLONG)
		log_warn("cannot %s Event %s on IPPool '%s': %s, ignoring", what, ev->reason,
			 ev->pool, strerror(-r));
	else if (r < 0)
		log_warn("cannot %s Event %s on IPPool '%s': %s, ignoring", what, ev->reason,
			 ev->pool, k8s_errmsg(k));
	else
		log_debug("%s Event %s on IPPool '%s'", what, ev->reason, ev->pool);
	return r;
}

int ipam_event_post(struct k8s_client *k, const struct ipam_event *ev)
{
	char name[NAME_MAX_LEN + 1];
	time_t now = time(NULL);

	ipam_event_name(ev->pool, now_ns(), name, sizeof(name));
	start(k, ev);
	return done(k, ev, post(k, ev, name, 1, now, now), "post");
}

/* The series of one node: "NAME FIRST COUNT SENT" (unix seconds). */
struct series {
	char name[NAME_MAX_LEN + 1];
	long long first, sent;
	unsigned count;
};

static bool series_read(int fd, struct series *s)
{
	char buf[NAME_MAX_LEN + 96];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return false;
	buf[n] = '\0';
	return sscanf(buf, "%253s %lld %u %lld", s->name, &s->first, &s->count, &s->sent) == 4 &&
	       s->count > 0;
}

static void series_write(int fd, const struct series *s)
{
	char buf[NAME_MAX_LEN + 96];
	int n = snprintf(buf, sizeof(buf), "%s %lld %u %lld\n", s->name, s->first, s->count,
			 s->sent);

	if (n < 0 || n >= (int) sizeof(buf) || pwrite(fd, buf, (size_t) n, 0) != n ||
	    ftruncate(fd, n) < 0)
		log_debug("cannot write the Event series file: %m, ignoring");
}

int ipam_event_repeat(struct k8s_client *k, const char *dir, const struct ipam_event *ev)
{
	_cleanup_close_ int fd = -1;
	struct series s = { 0 };
	char suffix[80];
	long long now = (long long) time(NULL);
	const char *what;
	int r;

	(void) snprintf(suffix, sizeof(suffix), ".%s.event", ev->reason);
	fd = ipam_node_file(dir, ev->pool, suffix);
	if (fd < 0) {
		/* no state: every occurrence its own Event rather than none */
		log_debug("no Event series file in '%s' (%s): posting without aggregation",
			  dir ? dir : IPAM_LOCK_DIR, strerror(-fd));
		return ipam_event_post(k, ev);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		log_debug("Event %s on IPPool '%s': another run of this node is sending it",
			  ev->reason, ev->pool);
		return 0;
	}
	if (series_read(fd, &s) && now >= s.first && now - s.first < IPAM_EVENT_SERIES_S &&
	    s.count < UINT_MAX) {
		s.count++;
		if (now >= s.sent && now - s.sent < IPAM_EVENT_INTERVAL_S) {
			series_write(fd, &s);
			log_debug("Event %s on IPPool '%s': counted (%u), sent %lld s ago",
				  ev->reason, ev->pool, s.count, now - s.sent);
			return 0;
		}
		start(k, ev);
		what = "update";
		r = patch(k, ev, s.name, s.count, (time_t) now);
		if (r == -ENOENT) { /* expired (the API server's TTL) or deleted: a new one */
			ipam_event_name(ev->pool, now_ns(), s.name, sizeof(s.name));
			s.first = now;
			what = "post";
			r = post(k, ev, s.name, s.count, (time_t) now, (time_t) now);
		}
	} else {
		ipam_event_name(ev->pool, now_ns(), s.name, sizeof(s.name));
		s.first = now;
		s.count = 1;
		start(k, ev);
		what = "post";
		r = post(k, ev, s.name, 1, (time_t) now, (time_t) now);
	}
	/* sent or refused, the next try waits its interval: no storm against a refusing server */
	s.sent = now;
	series_write(fd, &s);
	return done(k, ev, r, what);
}
