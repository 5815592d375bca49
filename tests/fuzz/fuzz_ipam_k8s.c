/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_ipam_k8s.c - libFuzzer target for what rdmanet-ipam makes of the Kubernetes API's answers:
 * IPPools, OverlappingRangeIPReservations, pod/pool/reservation lists and error statuses, through
 * ipam_k8s_add/del/check/gc/status and ipam_reconcile. k8s.c is not linked: this file stands in
 * for k8s_request_type, k8s_request, k8s_list, k8s_deadline_set and k8s_errmsg and answers each
 * request with the next scripted response. The input:
 *
 *	<op> <config>			op: add del check gc status reconcile; config: 0-3
 *	<status>			a response: HTTP status line, then its JSON body
 *	{...}
 *	~~~				between responses
 *	<status>
 *	...
 *
 * When the script runs out, requests fail as if the server were down. Invariants: the return
 * value agrees with the error, an added address lies in its range and is usable (not excluded,
 * not the gateway), and every request the code makes is well-formed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "rdmanet/ipam_config.h"
#include "rdmanet/ipam_k8s.h"
#include "rdmanet/ipam_reconcile.h"
#include "rdmanet/ipam_store.h"
#include "rdmanet/k8s.h"
#include "rdmanet/log.h"
#include "rdmanet/pool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEP          "\n~~~\n"
#define REQUESTS_MAX 256

struct k8s_client {
	const char *p, *end; /* the rest of the script */
	unsigned requests;
	char msg[256];
};

static const char *const configs[] = {
	/* IPv4, reservations, a gateway and an exclusion */
	"{\"cniVersion\":\"1.0.0\",\"name\":\"rdma\",\"type\":\"rdmanet-ipam\","
	"\"ipam\":{\"type\":\"rdmanet-ipam\",\"range\":\"10.77.0.0/29\",\"gateway\":\"10.77.0.1\","
	"\"exclude\":[\"10.77.0.4/32\"],\"routes\":[{\"dst\":\"10.250.0.0/16\"}]}}",
	/* IPv6 without reservations (whole-object updates under resourceVersion) */
	"{\"cniVersion\":\"1.1.0\",\"name\":\"rdma\",\"type\":\"rdmanet-ipam\","
	"\"ipam\":{\"type\":\"rdmanet-ipam\",\"range\":\"fd00:77::/"
	"125\",\"network_name\":\"net-a\","
	"\"enable_overlapping_ranges\":false}}",
	/* dual stack */
	"{\"cniVersion\":\"1.0.0\",\"name\":\"rdma\",\"type\":\"rdmanet-ipam\","
	"\"ipam\":{\"type\":\"rdmanet-ipam\",\"ipRanges\":[{\"range\":\"10.78.0.0/30\"},"
	"{\"range\":\"fd00:78::/126\"}]}}",
	/* a sub-range, a network name, no rest after release */
	"{\"cniVersion\":\"0.4.0\",\"name\":\"rdma\",\"type\":\"rdmanet-ipam\","
	"\"ipam\":{\"type\":\"rdmanet-ipam\",\"range\":\"10.79.0.0/"
	"24\",\"range_start\":\"10.79.0.10\","
	"\"range_end\":\"10.79.0.13\",\"network_name\":\"storage\",\"release_quiet_seconds\":0}}",
};

static const char gc_attachments[] =
	",\"cni.dev/valid-attachments\":[{\"containerID\":\"c0ffee01\",\"ifname\":\"net1\"}]";
/* DEL: the runtime's cached result, an address in each config's ranges (and one in none) */
static const char del_prev_result[] =
	",\"prevResult\":{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.77.0.2/29\"},"
	"{\"address\":\"fd00:77::2/125\"},{\"address\":\"10.78.0.2/30\"},"
	"{\"address\":\"fd00:78::2/126\"},{\"address\":\"10.79.0.11/24\"},"
	"{\"address\":\"192.0.2.9/24\"}]}";

static void invariant(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_ipam_k8s: invariant failed: %s\n", what);
		abort();
	}
}

/* The HTTP status to -errno of k8s.h (what k8s_request returns). */
static int status_errno(long code, const char *method)
{
	if (code >= 200 && code < 300)
		return 0;
	switch (code) {
	case 400:
	case 422:
	case 413:
		return code == 413 ? -E2BIG : -EINVAL;
	case 401:
	case 403:
		return -EACCES;
	case 404:
		return -ENOENT;
	case 408:
		return -ETIMEDOUT;
	case 409:
		return strcmp(method, "POST") ? -ESTALE : -EEXIST;
	case 410:
		return -ESTALE;
	case 429:
		return -EAGAIN;
	}
	if (code >= 500 && code < 600)
		return -EAGAIN;
	return code >= 400 && code < 500 ? -EINVAL : -EPROTO;
}

/* The next response: status and parsed body (NULL when empty or not JSON). */
static int next_response(struct k8s_client *k, const char *method, cJSON **json)
{
	const char *rec = k->p, *sep, *nl;
	long code;
	char *end;

	*json = NULL;
	if (k->p >= k->end || ++k->requests > REQUESTS_MAX) {
		(void) snprintf(k->msg, sizeof(k->msg), "%s: connection refused", method);
		return -ECONNREFUSED;
	}
	sep = memmem(rec, (size_t) (k->end - rec), SEP, strlen(SEP));
	k->p = sep ? sep + strlen(SEP) : k->end;
	if (!sep)
		sep = k->end;
	code = strtol(rec, &end, 10);
	if (end == rec || end > sep)
		code = 200, end = (char *) rec;
	nl = memchr(end, '\n', (size_t) (sep - end));
	if (nl)
		*json = cJSON_ParseWithLength(nl + 1, (size_t) (sep - nl - 1));
	else if (end == rec)
		*json = cJSON_ParseWithLength(rec, (size_t) (sep - rec));
	(void) snprintf(k->msg, sizeof(k->msg), "%s: HTTP %ld", method, code);
	if (code >= 200 && code < 300 && !*json && nl && sep > nl + 1)
		return -EBADMSG;
	return status_errno(code, method);
}

int k8s_request_type(struct k8s_client *k, const char *method, const char *path,
		     const char *content_type, const char *body, long *status, cJSON **resp)
{
	cJSON *json;
	int r;

	invariant(path && path[0] == '/' && strlen(path) < K8S_PATH_MAX, "an invalid API path");
	invariant(!strchr(path, ' ') && !strchr(path, '#'), "an API path with ' ' or '#'");
	invariant(!content_type || !strncmp(content_type, "application/", 12), "a content type");
	if (body) {
		cJSON *j = cJSON_Parse(body);

		invariant(j != NULL, "a request body that is not JSON");
		cJSON_Delete(j);
	}
	r = next_response(k, method, &json);
	if (status)
		*status = r == -ECONNREFUSED ? 0 : 200;
	if (resp)
		*resp = json;
	else
		cJSON_Delete(json);
	return r;
}

int k8s_request(struct k8s_client *k, const char *method, const char *path, const char *body,
		long *status, cJSON **resp)
{
	return k8s_request_type(k, method, path, K8S_JSON, body, status, resp);
}

int k8s_list(struct k8s_client *k, const char *path, unsigned limit, cJSON **items)
{
	cJSON *page, *got;
	int r;

	(void) limit;
	*items = NULL;
	invariant(path && path[0] == '/', "an invalid list path");
	r = next_response(k, "GET", &page);
	if (r < 0) {
		cJSON_Delete(page);
		return r;
	}
	got = cJSON_DetachItemFromObjectCaseSensitive(page, "items");
	cJSON_Delete(page);
	if (got && !cJSON_IsNull(got) && !cJSON_IsArray(got)) {
		cJSON_Delete(got);
		return -EBADMSG;
	}
	if (!cJSON_IsArray(got)) {
		cJSON_Delete(got);
		got = cJSON_CreateArray();
	}
	*items = got;
	return got ? 0 : -ENOMEM;
}

void k8s_deadline_set(struct k8s_client *k, long long deadline)
{
	(void) k;
	(void) deadline;
}

const char *k8s_errmsg(const struct k8s_client *k)
{
	return k ? k->msg : "";
}

/* reconcile's report of each pool it read (what the metrics show): walked in full */
static void pool_seen(void *arg, const struct ipam_pool_usage *u)
{
	(void) arg;
	invariant(u->name && u->range && u->size >= 1, "pool usage without name, range or size");
	invariant(strlen(u->name) + strlen(u->range) < (1u << 24), "pool usage strings unbounded");
}

static const char *const ops[] = { "add", "del", "check", "gc", "status", "reconcile" };

static void check_add(const struct ipam_config *cfg, const struct cni_result *res)
{
	invariant(res->n_ips == cfg->n_ranges, "ADD: not one address per range");
	for (unsigned i = 0; i < res->n_ips; i++) {
		const struct pool_range *rg = &cfg->ranges[i];
		pool_off_t off;

		invariant(res->ips[i].family == rg->net.family, "ADD: address of the other family");
		invariant(pool_offset(rg, res->ips[i].addr, &off) == 0,
			  "ADD: address outside its CIDR");
		invariant(pool_usable(rg, off),
			  "ADD: address not usable (range, exclude, gateway)");
		invariant(res->ips[i].prefixlen == rg->net.prefixlen, "ADD: prefix length");
	}
}

/*
 * The node lock of a pool lives in /run/rdmanet-ipam on a node: a run here must not leave lock
 * files on the machine, so they go to a private folder removed at exit. A release build (the
 * corpus replay of build/) reads no RDMANET_IPAM_LOCK_DIR: it gets a /run of its own instead, a
 * tmpfs in a mount namespace of its own (as root, as the tests run it).
 */
static char lock_dir[] = "/tmp/rdmanet-fuzz-locks.XXXXXX";

static void lock_dir_remove(void)
{
	DIR *d = opendir(lock_dir);
	struct dirent *e;
	char path[sizeof(lock_dir) + 300];

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && (size_t) snprintf(path, sizeof(path), "%s/%s", lock_dir,
							     e->d_name) < sizeof(path))
			(void) unlink(path);
	(void) closedir(d);
	(void) rmdir(lock_dir);
}

static void lock_dir_once(void)
{
	static int done;

	if (done++)
		return;
#ifndef RDMANET_TESTING
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("fuzz-run", "/run", "tmpfs", 0, "mode=0755") < 0 ||
	    mkdir(IPAM_LOCK_DIR, 0700) < 0) {
		(void) fprintf(stderr,
			       "fuzz_ipam_k8s: a release build needs a private /run for the "
			       "pool locks (run as root): %s\n",
			       strerror(errno));
		abort(); /* never fall back to the machine's /run */
	}
#endif
	if (!mkdtemp(lock_dir) || setenv("RDMANET_IPAM_LOCK_DIR", lock_dir, 1) < 0)
		abort(); /* never fall back to the machine's /run */
	(void) atexit(lock_dir_remove);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl;
	char *text;
	struct k8s_client k = { 0 };
	struct ipam_owner who = { .containerid = "c0ffee01",
				  .ifname = "net1",
				  .podref = "default/pod-1" };
	struct ipam_config cfg;
	struct cni_err err = { 0 }, cerr = { 0 };
	struct ipam_ctx x;
	char head[32], opname[16], conf[2048];
	unsigned which, op;
	int used = 0, r;

	lock_dir_once();
	/* a terminated copy: the script is read with strtol */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	nl = memchr(text, '\n', size);
	if (!nl || nl - text >= (long) sizeof(head))
		goto out;
	memcpy(head, text, (size_t) (nl - text));
	head[nl - text] = '\0';
	if (sscanf(head, "%15s %u%n", opname, &which, &used) != 2 || head[used] ||
	    which >= sizeof(configs) / sizeof(configs[0]))
		goto out;
	for (op = 0; op < sizeof(ops) / sizeof(ops[0]) && strcmp(ops[op], opname); op++)
		;
	if (op == sizeof(ops) / sizeof(ops[0]))
		goto out;
	log_set_level(LOG_LVL_ERROR);
	/* the config without its closing brace, then GC's attachments or DEL's prevResult */
	(void) snprintf(conf, sizeof(conf), "%.*s%s}", (int) strlen(configs[which]) - 1,
			configs[which],
			op == 3 ? gc_attachments :
			op == 1 ? del_prev_result :
				  "");
	r = ipam_config_parse(conf, strlen(conf),
			      op == 3 ? CNI_CMD_GC :
			      op == 1 ? CNI_CMD_DEL :
					CNI_CMD_ADD,
			      &cfg, &cerr);
	invariant(r == 0, cerr.msg);
	cfg.retry_budget_ms = 20; /* conflicts retry: keep each input fast */
	k.p = nl + 1;
	k.end = text + size;
	x = (struct ipam_ctx){ .cfg = &cfg, .k = &k, .ns = "kube-system", .who = &who };

	switch (op) {
	case 0: {
		struct cni_result res;

		r = ipam_k8s_add(&x, &res, &err);
		if (r >= 0)
			check_add(&cfg, &res);
		else
			invariant(res.n_ips == 0, "ADD failed but returned addresses");
		cni_result_free(&res);
		break;
	}
	case 1:
		r = ipam_k8s_del(&x, &err);
		break;
	case 2:
		r = ipam_k8s_check(&x, &err);
		break;
	case 3:
		r = ipam_k8s_gc(&x, &err);
		break;
	case 4:
		r = ipam_k8s_status(&x, &err);
		break;
	default: {
		struct ipam_reconcile_opts o = { .ns = "kube-system",
						 .grace_s = 60,
						 .dry_run = which & 1,
						 .pool_seen = pool_seen };
		struct ipam_reconcile_stats st;

		r = ipam_reconcile(&k, &o, &st, &err);
		if (r >= 0)
			invariant(st.released <= st.allocations,
				  "reconcile released more than it saw");
		break;
	}
	}
	if (getenv("RDMANET_FUZZ_DEBUG")) /* to see what a seed reaches */
		fprintf(stderr, "%s %u: %d, %u requests; %s (%s)\n", opname, which, r, k.requests,
			err.msg, err.details);
	invariant((r < 0) == (err.code != 0), "return value and error disagree");
	ipam_config_free(&cfg);
out:
	free(text);
	return 0;
}
