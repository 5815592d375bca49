/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipam_reconcile.c - `rdmanet-ipam reconcile`: what DEL never got to release.
 *
 * A pod whose DEL never ran (node lost, runtime crash) keeps its address, and an ADD killed
 * between claiming and recording leaves a reservation without a pool entry. One pass reads every
 * IPPool of the namespace and every pod of the cluster, releases the allocations whose pod is
 * gone (through ipam_alloc_release, the path DEL takes, which rereads the pool and releases only
 * an entry still held by the same container), then deletes reservations no pool entry holds.
 * Young objects (--grace) are spared: an ADD in flight has a reservation before its pool entry,
 * and a pod being attached has no network-status yet.
 *
 * whereabouts (v0.8 on) writes reservations with a podref but no containerid, so no pool entry's
 * container can vouch for them: those are judged by their pod, as pool entries are (and as
 * whereabouts' own reconciler does). A reservation naming neither is kept and counted, never
 * deleted on a guess.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include <cjson/cJSON.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/ipam_config.h"
#include "rdmanet/ipam_events.h"
#include "rdmanet/ipam_alloc.h"
#include "rdmanet/ipam_k8s.h"
#include "rdmanet/ipam_reconcile.h"
#include "rdmanet/ipam_store.h"
#include "rdmanet/log.h"
#include "rdmanet/pool.h"
#include "rdmanet/strv.h"

DEFINE_CLEANUP(cJSON *, cJSON_Delete)

#define NETWORK_STATUS "k8s.v1.cni.cncf.io/network-status"
#define PAGE           500

static const cJSON *field(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);

	return b ? cJSON_GetObjectItemCaseSensitive(v, b) : v;
}

static const char *str(const cJSON *v)
{
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* RFC 3339 as the API writes it ("2026-01-02T03:04:05Z", optional fraction or offset); -1 bad. */
static time_t rfc3339(const char *s)
{
	struct tm tm = { 0 };
	const char *p;
	time_t t;

	if (!s || !(p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return -1;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	t = timegm(&tm);
	if (*p == 'Z' && !p[1])
		return t;
	if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		int h = atoi(p + 1), m = atoi(p + 4), off = (h * 60 + m) * 60;

		return *p == '+' ? t - off : t + off;
	}
	return -1;
}

/* Seconds since the object's timestamp field; -1 when absent or unreadable. */
static long long age_of(const cJSON *obj, const char *ts_field, time_t now)
{
	time_t t = rfc3339(str(field(obj, "metadata", ts_field)));

	return t < 0 ? -1 : (long long) (now - t);
}

/* A sorted set of strings (pods "ns/name"; reservations "name/containerid"). */
struct strset {
	char **v;
	size_t n, cap;
};

static void strset_free(struct strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int strset_add(struct strset *s, const char *a, const char *b)
{
	char *e;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		char **v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	if (asprintf(&e, "%s/%s", a, b) < 0)
		return -ENOMEM;
	s->v[s->n++] = e;
	return 0;
}

static void strset_sort(struct strset *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), strv_cmp);
}

static bool strset_has(const struct strset *s, const char *key)
{
	return s->n && bsearch(&key, s->v, s->n, sizeof(*s->v), strv_cmp);
}

/* Pods by "namespace/name", pointing into the listed array. */
struct pod_index {
	struct pod_ref {
		char key[IPAM_PODREF_MAX + 1];
		const cJSON *pod;
	} * v;
	size_t n;
};

static int cmp_pod(const void *a, const void *b)
{
	return strcmp(((const struct pod_ref *) a)->key, ((const struct pod_ref *) b)->key);
}

static int pods_index(const cJSON *pods, struct pod_index *ix)
{
	const cJSON *p;

	ix->n = 0;
	ix->v = calloc((size_t) cJSON_GetArraySize(pods) + 1, sizeof(*ix->v));
	if (!ix->v)
		return -ENOMEM;
	cJSON_ArrayForEach(p, pods) {
		const char *ns = str(field(p, "metadata", "namespace"));
		const char *name = str(field(p, "metadata", "name"));

		if (!ns || !name ||
		    (size_t) snprintf(ix->v[ix->n].key, sizeof(ix->v[0].key), "%s/%s", ns, name) >=
			    sizeof(ix->v[0].key))
			continue;
		ix->v[ix->n++].pod = p;
	}
	qsort(ix->v, ix->n, sizeof(*ix->v), cmp_pod);
	return 0;
}

static const cJSON *pod_find(const struct pod_index *ix, const char *podref)
{
	struct pod_ref k;
	const struct pod_ref *r;

	if (!ix->n || strlen(podref) >= sizeof(k.key))
		return NULL;
	(void) snprintf(k.key, sizeof(k.key), "%s", podref);
	r = bsearch(&k, ix->v, ix->n, sizeof(*ix->v), cmp_pod);
	return r ? r->pod : NULL;
}

/* The addresses an allocation stands for: one for a pool entry; every reading of its name for a
 * reservation (see resv_addrs). */
struct addrs {
	unsigned n;
	struct addr {
		int family;
		unsigned char a[16];
	} v[8];
};

static bool addrs_has(const struct addrs *as, int family, const unsigned char a[16])
{
	for (unsigned i = 0; i < as->n; i++)
		if (as->v[i].family == family && !memcmp(as->v[i].a, a, family == AF_INET ? 4 : 16))
			return true;
	return false;
}

/*
 * A reservation is named [network_name-]address with ':' written as '-' (and "::" at the end
 * as "--0"). Nothing marks where a network name ends, so "ab-fd00--5" reads both as ab:fd00::5
 * and as fd00::5: every suffix starting the name or following a '-' that parses is a candidate,
 * and the pod is asked about all of them (keeping rather than guessing).
 */
static bool addr_read(const char *s, struct addr *d)
{
	char text[INET6_ADDRSTRLEN];
	size_t i, len = strlen(s);

	if (len >= sizeof(text))
		return false;
	for (i = 0; i <= len; i++)
		text[i] = s[i] == '-' ? ':' : s[i];
	if (!strchr(text, ':') && inet_pton(AF_INET, text, d->a) == 1)
		d->family = AF_INET;
	else if (inet_pton(AF_INET6, text, d->a) == 1)
		d->family = AF_INET6;
	else
		return false;
	return true;
}

static void resv_addrs(const char *name, struct addrs *as)
{
	const char *p = name;

	as->n = 0;
	while (p && as->n < ARRAY_SIZE(as->v)) {
		if (addr_read(p, &as->v[as->n]))
			as->n++;
		p = strchr(p, '-');
		if (p)
			p++;
	}
}

/* network-status of the pod lists one of as in some entry's "ips": 1 yes, 0 no, -1 no usable
 * annotation (absent, not a JSON array). */
static int status_lists(const cJSON *pod, const struct addrs *as)
{
	const char *ann = str(field(field(pod, "metadata", "annotations"), NETWORK_STATUS, NULL));
	_cleanup_(cJSON_Deletep) cJSON *st = NULL;
	const cJSON *net, *ip;

	if (!ann || !(st = cJSON_Parse(ann)) || !cJSON_IsArray(st))
		return -1;
	cJSON_ArrayForEach(net, st)
		cJSON_ArrayForEach(ip, cJSON_GetObjectItemCaseSensitive(net, "ips")) {
			unsigned char a[16] = { 0 };
			char text[INET6_ADDRSTRLEN + 8], *slash;

			if (!cJSON_IsString(ip) || strlen(ip->valuestring) >= sizeof(text))
				continue;
			strcpy(text, ip->valuestring);
			if ((slash = strchr(text, '/')))
				*slash = 0;
			if ((inet_pton(AF_INET, text, a) == 1 && addrs_has(as, AF_INET, a)) ||
			    (inet_pton(AF_INET6, text, a) == 1 && addrs_has(as, AF_INET6, a)))
				return 1;
		}
	return 0;
}

/* Why the allocation of podref at one of as should go, or NULL to keep it (as->n == 0: the
 * addresses are unknown, only the pod is asked about). */
static const char *verdict(const struct pod_index *ix, const char *podref, const struct addrs *as,
			   unsigned grace_s, time_t now, char *why, size_t len)
{
	const cJSON *pod = pod_find(ix, podref);
	long long del_age, age;

	if (!pod)
		return "its pod does not exist";
	/* deletionTimestamp is when the pod's own grace period ends, not when deletion began */
	del_age = age_of(pod, "deletionTimestamp", now);
	if (del_age >= (long long) grace_s) {
		(void) snprintf(why, len,
				"its pod is still deleting %lld s after its deletionTimestamp (the "
				"end of its grace period)",
				del_age);
		return why;
	}
	age = age_of(pod, "creationTimestamp", now);
	if (age >= (long long) grace_s && as->n && status_lists(pod, as) == 0)
		return "its pod's " NETWORK_STATUS " does not list the address";
	return NULL;
}

/* arg: the entries one pool gives up, "offset/containerid", checked again at release. */
static bool drop_selected(void *arg, const cJSON *entry)
{
	const struct strset *d = arg;
	const char *id = str(cJSON_GetObjectItemCaseSensitive(entry, "id"));
	_cleanup_free_ char *k = NULL;

	if (!id || asprintf(&k, "%s/%s", entry->string, id) < 0)
		return false;
	return strset_has(d, k);
}

/* The range of an IPPool and the network_name its name was built with. */
static int pool_parse(const cJSON *pool, struct ipam_config *cfg, char *why, size_t len)
{
	const char *name = str(field(pool, "metadata", "name"));
	const char *range = str(field(pool, "spec", "range"));
	char base[POOL_NAME_MAX];
	size_t nl, bl;

	if (!name || !range) {
		(void) snprintf(why, len, "no name or spec.range");
		return -EINVAL;
	}
	if (pool_range_init(&cfg->ranges[0], range, NULL, NULL, why, len) < 0 ||
	    pool_name(&cfg->ranges[0], "", base, sizeof(base)) < 0)
		return -EINVAL;
	nl = strlen(name);
	bl = strlen(base);
	if (nl == bl && !strcmp(name, base))
		cfg->network_name[0] = 0;
	else if (nl > bl + 1 && nl - bl - 1 <= IPAM_NETWORK_NAME_MAX && name[nl - bl - 1] == '-' &&
		 !strcmp(name + nl - bl, base))
		(void) snprintf(cfg->network_name, sizeof(cfg->network_name), "%.*s",
				(int) (nl - bl - 1), name);
	else {
		(void) snprintf(why, len, "its name does not match its range '%s'", range);
		return -EINVAL;
	}
	/* API objects are input too: a network_name the config would refuse goes into no path */
	if (cfg->network_name[0] && !ipam_network_name_valid(cfg->network_name)) {
		(void) snprintf(why, len, "its name starts with '%.64s', not a network_name",
				cfg->network_name);
		return -EINVAL;
	}
	cfg->n_ranges = 1;
	return 0;
}

/* What a pass did to one pool, for its Event: counts and the first NOTE_IPS addresses. */
#define NOTE_IPS 8
struct pool_note {
	const char *name, *uid; /* borrowed from the pass's pool list */
	struct pool_range rg;
	bool parsed;
	unsigned n[2]; /* leaked allocations released, orphan reservations deleted */
	char ip[2][NOTE_IPS][INET6_ADDRSTRLEN];
};

static void note_add(struct pool_note *n, int kind, const char *ip)
{
	if (n->n[kind] < NOTE_IPS)
		(void) snprintf(n->ip[kind][n->n[kind]], sizeof(n->ip[0][0]), "%.45s", ip);
	n->n[kind]++;
}

/* An orphan reservation deleted counts for the first pool whose range holds its address. */
static void note_orphan(struct pool_note *notes, size_t n_notes, const char *resv)
{
	struct addrs as = { 0 }; /* an IPv4 address fills 4 bytes of 16 */
	pool_off_t off;

	resv_addrs(resv, &as);
	for (size_t i = 0; i < n_notes; i++)
		for (unsigned j = 0; j < as.n && notes[i].parsed; j++)
			if (as.v[j].family == notes[i].rg.net.family &&
			    pool_offset(&notes[i].rg, as.v[j].a, &off) >= 0) {
				char ip[INET6_ADDRSTRLEN] = "?";

				(void) inet_ntop(as.v[j].family, as.v[j].a, ip, sizeof(ip));
				note_add(&notes[i], 1, ip);
				return;
			}
	log_debug("reservation '%s' deleted: no pool of this pass holds its address, no Event",
		  resv);
}

/* "N what (a, b, ... and M more)" */
static void note_list(const struct pool_note *n, int kind, const char *what, char *out, size_t len)
{
	size_t k = 0;

	k += (size_t) snprintf(out, len, "%u %s%s (", n->n[kind], what, n->n[kind] == 1 ? "" : "s");
	for (unsigned i = 0; i < n->n[kind] && i < NOTE_IPS && k < len; i++)
		k += (size_t) snprintf(out + k, len - k, "%s%s", i ? ", " : "", n->ip[kind][i]);
	if (k < len && n->n[kind] > NOTE_IPS)
		k += (size_t) snprintf(out + k, len - k, " and %u more", n->n[kind] - NOTE_IPS);
	if (k < len)
		(void) snprintf(out + k, len - k, ")");
}

/* One Normal LeaksReleased Event per pool the pass changed; best effort. */
static void notes_post(struct k8s_client *k, const char *ns, const struct pool_note *notes,
		       size_t n_notes)
{
	for (size_t i = 0; i < n_notes; i++) {
		const struct pool_note *n = &notes[i];
		char msg[IPAM_EVENT_MESSAGE_MAX],
			a[IPAM_EVENT_MESSAGE_MAX / 2] = "", b[IPAM_EVENT_MESSAGE_MAX / 2] = "";
		struct ipam_event ev = {
			.ns = ns,
			.pool = n->name,
			.uid = n->uid,
			.reason = IPAM_EVENT_RELEASED,
			.message = msg,
		};

		if (!n->n[0] && !n->n[1])
			continue;
		if (n->n[0])
			note_list(n, 0, "leaked allocation", a, sizeof(a));
		if (n->n[1])
			note_list(n, 1, "orphan reservation", b, sizeof(b));
		(void) snprintf(msg, sizeof(msg), "rdmanet-ipam reconcile %s%s%s%s%s",
				n->n[0] ? "released " : "", a, n->n[0] && n->n[1] ? " and " : "",
				n->n[1] ? "deleted " : "", b);
		(void) ipam_event_post(k, &ev);
	}
}

/* Releases what it should in one pool; records every entry's reservation in held. */
static int reconcile_pool(struct ipam_ctx *x, const cJSON *pool, const struct pod_index *ix,
			  const struct ipam_reconcile_opts *o, struct strset *held,
			  struct pool_note *note, struct ipam_reconcile_stats *st,
			  struct cni_err *err)
{
	struct ipam_config cfg = {
		.overlapping = true, .quiet_s = 60, .retry_budget_ms = 30000, .log_level = -1
	};
	const char *pname = str(field(pool, "metadata", "name"));
	const cJSON *allocs = field(pool, "spec", "allocations"), *e;
	const cJSON *entries = cJSON_IsObject(allocs) ? allocs : NULL;
	struct strset d = { 0 };
	char why[256], ips[NOTE_IPS][INET6_ADDRSTRLEN];
	time_t now = time(NULL);
	int r = 0;

	note->name = pname;
	note->uid = str(field(pool, "metadata", "uid"));
	st->pools++;
	st->allocations += (unsigned) cJSON_GetArraySize(entries);
	if (pool_parse(pool, &cfg, why, sizeof(why)) < 0) {
		log_warn("IPPool '%s' skipped: %s", pname ? pname : "?", why);
		return 0;
	}
	if (o->pool_seen) {
		struct ipam_pool_usage u;

		ipam_pool_usage(pool, &cfg.ranges[0], cfg.quiet_s, now, &u);
		o->pool_seen(o->arg, &u);
	}
	note->rg = cfg.ranges[0];
	note->parsed = true;
	x->cfg = &cfg;
	cJSON_ArrayForEach(e, entries) {
		const struct pool_range *rg = &cfg.ranges[0];
		const char *id = str(cJSON_GetObjectItemCaseSensitive(e, "id"));
		const char *podref = str(cJSON_GetObjectItemCaseSensitive(e, "podref"));
		char ip[INET6_ADDRSTRLEN] = "?", rname[POOL_NAME_MAX], reason[128];
		struct addrs as = { .n = 1, .v[0].family = rg->net.family };
		unsigned char *a = as.v[0].a;
		const char *because;
		pool_off_t off;

		if (pool_off_parse(e->string, &off) < 0 || !id) {
			log_warn("IPPool '%s': malformed allocation '%.40s' kept", pname,
				 e->string);
			continue;
		}
		pool_addr_at(rg, off, a);
		(void) inet_ntop(rg->net.family, a, ip, sizeof(ip));
		if (pool_reservation_name(rg->net.family, a, cfg.network_name, rname,
					  sizeof(rname)) >= 0 &&
		    strset_add(held, rname, id) < 0)
			return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
		if (!podref || !podref[0]) {
			log_info("keep %s in IPPool '%s' (container '%.64s'): no podref", ip, pname,
				 id);
			continue;
		}
		because = verdict(ix, podref, &as, o->grace_s, now, reason, sizeof(reason));
		if (!because)
			continue;
		log_info("%srelease %s in IPPool '%s' of pod '%s' (container '%.64s'): %s",
			 o->dry_run ? "would " : "", ip, pname, podref, id, because);
		if (strset_add(&d, e->string, id) < 0) {
			strset_free(&d);
			return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
		}
		if (d.n <= NOTE_IPS)
			memcpy(ips[d.n - 1], ip, sizeof(ip));
		st->released++;
	}
	strset_sort(&d);
	/* each call rereads the pool and releases up to IPAM_RELEASE_MAX of those still there */
	for (size_t done = 0; done < d.n && !o->dry_run && r >= 0; done += IPAM_RELEASE_MAX)
		r = ipam_alloc_release(x, &cfg.ranges[0], drop_selected, &d, err);
	if (r >= 0 && !o->dry_run) {
		st->freed += (unsigned) d.n;
		for (size_t i = 0; i < d.n; i++)
			note_add(note, 0, i < NOTE_IPS ? ips[i] : "");
	}
	strset_free(&d);
	x->cfg = NULL;
	return r;
}

/*
 * A reservation without containerid (whereabouts v0.8 and later): no pool entry's container can
 * vouch for it, so its pod does, with the same verdict as a pool entry's. Spared while younger
 * than --grace (its pod may be newer than the pod list); without a podref it is kept and counted:
 * nothing says whose it is, and deleting it could hand a live pod's address to another.
 */
static int reconcile_resv_by_pod(struct ipam_ctx *x, const cJSON *resv, const struct pod_index *ix,
				 const struct ipam_reconcile_opts *o, time_t now,
				 struct pool_note *notes, size_t n_notes,
				 struct ipam_reconcile_stats *st, struct cni_err *err)
{
	const char *name = str(field(resv, "metadata", "name"));
	const char *podref = str(field(resv, "spec", "podref"));
	long long age = age_of(resv, "creationTimestamp", now);
	const char *because;
	struct addrs as;
	char reason[128];
	int r;

	if (!podref || !podref[0]) {
		log_warn("keep reservation '%s': it names neither a container nor a pod; "
			 "delete it by hand once no pod uses its address",
			 name);
		st->unowned++;
		return 0;
	}
	if (age < (long long) o->grace_s) {
		log_info("keep reservation '%s' of pod '%s': %s", name, podref,
			 age < 0 ? "no creationTimestamp" : "younger than --grace");
		return 0;
	}
	resv_addrs(name, &as);
	because = verdict(ix, podref, &as, o->grace_s, now, reason, sizeof(reason));
	if (!because)
		return 0;
	log_info("%sdelete reservation '%s' of pod '%s' (no containerid, %lld s old): %s",
		 o->dry_run ? "would " : "", name, podref, age, because);
	st->orphans++;
	if (o->dry_run)
		return 0;
	r = ipam_store_unreserve_uid(x, name, str(field(resv, "metadata", "uid")), err);
	if (r >= 0) {
		st->deleted++;
		note_orphan(notes, n_notes, name);
	}
	return r;
}

int ipam_reconcile(struct k8s_client *k, const struct ipam_reconcile_opts *o,
		   struct ipam_reconcile_stats *st, struct cni_err *err)
{
	_cleanup_(cJSON_Deletep) cJSON *pools = NULL, *pods = NULL, *resvs = NULL;
	struct ipam_ctx x = { .k = k };
	struct pod_index ix = { 0 };
	struct strset held = { 0 };
	_cleanup_free_ struct pool_note *notes = NULL;
	size_t n_notes = 0;
	char path[K8S_PATH_MAX];
	const cJSON *it;
	time_t now;
	int r;

	memset(st, 0, sizeof(*st));
	(void) snprintf(x.ns, sizeof(x.ns), "%s", o->ns);
	(void) snprintf(path, sizeof(path), IPAM_API_PATH "%s/ippools", o->ns);
	r = k8s_list(k, path, PAGE, &pools);
	if (r < 0)
		return ipam_store_api_fail(k, r, err, "list IPPools");
	r = k8s_list(k, "/api/v1/pods", PAGE, &pods);
	if (r < 0)
		return ipam_store_api_fail(k, r, err, "list pods");
	notes = calloc((size_t) cJSON_GetArraySize(pools) + 1, sizeof(*notes));
	if (!notes || pods_index(pods, &ix) < 0) {
		free(ix.v);
		return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
	}
	cJSON_ArrayForEach(it, pools) {
		r = reconcile_pool(&x, it, &ix, o, &held, &notes[n_notes++], st, err);
		if (r < 0)
			goto out;
	}
	st->kept = st->allocations - st->released;
	strset_sort(&held);

	/* listed after the pools: a claim made since is young, and spared */
	(void) snprintf(path, sizeof(path), IPAM_API_PATH "%s/overlappingrangeipreservations",
			o->ns);
	r = k8s_list(k, path, PAGE, &resvs);
	if (r < 0) {
		r = ipam_store_api_fail(k, r, err, "list OverlappingRangeIPReservations");
		goto out;
	}
	now = time(NULL);
	cJSON_ArrayForEach(it, resvs) {
		const char *name = str(field(it, "metadata", "name"));
		const char *cid = str(field(it, "spec", "containerid"));
		_cleanup_free_ char *key = NULL;
		long long age;

		if (!name)
			continue;
		if (!cid || !cid[0]) {
			r = reconcile_resv_by_pod(&x, it, &ix, o, now, notes, n_notes, st, err);
			if (r < 0)
				goto out;
			continue;
		}
		if (asprintf(&key, "%s/%s", name, cid) < 0) {
			r = err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
		if (strset_has(&held, key))
			continue;
		age = age_of(it, "creationTimestamp", now);
		if (age < (long long) o->grace_s) {
			log_info("keep reservation '%s' (container '%.64s'): no pool entry, but %s",
				 name, cid,
				 age < 0 ? "no creationTimestamp" : "younger than --grace");
			continue;
		}
		log_info("%sdelete reservation '%s' (container '%.64s', %lld s old): "
			 "no pool entry holds it",
			 o->dry_run ? "would " : "", name, cid, age);
		st->orphans++;
		if (!o->dry_run) {
			r = ipam_store_unreserve_uid(&x, name, str(field(it, "metadata", "uid")),
						     err);
			if (r < 0)
				goto out;
			st->deleted++;
			note_orphan(notes, n_notes, name);
		}
	}
	r = 0;
out:
	/* what was done is reported, also when the pass then failed */
	if (!o->dry_run)
		notes_post(k, o->ns, notes, n_notes);
	free(ix.v);
	strset_free(&held);
	return r;
}
