/* SPDX-License-Identifier: Apache-2.0 */
/* ipam_config.c - rdmanet-ipam's config: whereabouts field names, validated (pure code). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cjson/cJSON.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/ipam_config.h"
#include "rdmanet/testhook.h"

bool ipam_network_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > IPAM_NETWORK_NAME_MAX || !isalnum((unsigned char) s[0]) ||
	    !isalnum((unsigned char) s[n - 1]))
		return false;
	for (; *s; s++)
		if (!(islower((unsigned char) *s) || isdigit((unsigned char) *s) || *s == '-' ||
		      *s == '.'))
			return false;
	return true;
}

static int opt_bool(const cJSON *o, const char *key, bool def, bool *out, struct cni_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	char field[64];

	*out = def;
	if (!v || cJSON_IsNull(v))
		return 0;
	(void) snprintf(field, sizeof(field), "ipam.%s", key);
	if (!cJSON_IsBool(v))
		return config_invalid(err, field, "must be true or false");
	*out = cJSON_IsTrue(v);
	return 0;
}

static int opt_seconds(const cJSON *o, const char *key, unsigned lo, unsigned hi, unsigned def,
		       unsigned scale, unsigned *out, struct cni_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	char field[64];

	*out = def * scale;
	if (!v || cJSON_IsNull(v))
		return 0;
	(void) snprintf(field, sizeof(field), "ipam.%s", key);
	if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi)
		return config_invalid(err, field, "must be a number from %u to %u", lo, hi);
	*out = (unsigned) (v->valuedouble * scale);
	return 0;
}

/* whereabouts' short form of a range, "START-END/PREFIX" ("10.1.1.10-10.1.1.50/24"), split */
struct range_text {
	char start[64];
	char cidr[128]; /* END/PREFIX: its network is the range's CIDR */
	char end[64];
};

static int range_shorthand(const char *field, const char *s, struct range_text *t,
			   struct cni_err *err)
{
	const char *dash = strchr(s, '-'), *slash = dash ? strchr(dash, '/') : NULL;

	if (!dash || dash == s || !slash || slash == dash + 1 ||
	    (size_t) (dash - s) >= sizeof(t->start) ||
	    (size_t) (slash - dash - 1) >= sizeof(t->end))
		return config_invalid(err, field,
				      "'%s' must be a CIDR, or START-END/PREFIX as in "
				      "'10.1.1.10-10.1.1.50/24'",
				      s);
	(void) snprintf(t->start, sizeof(t->start), "%.*s", (int) (dash - s), s);
	(void) snprintf(t->end, sizeof(t->end), "%.*s", (int) (slash - dash - 1), dash + 1);
	(void) snprintf(t->cidr, sizeof(t->cidr), "%s", dash + 1);
	return 0;
}

/* One range: "range" (+ "range_start"/"range_end") and "exclude" of obj. */
static int parse_range(const cJSON *obj, const char *where, struct ipam_config *c,
		       struct cni_err *err)
{
	const char *cidr, *start, *end;
	const cJSON *excl, *it;
	struct pool_range *r;
	char field[64], why[160];
	struct range_text split;
	int ret;

	if (c->n_ranges >= IPAM_RANGES_MAX)
		return config_invalid(err, "ipam.ipRanges", "has more than %d ranges",
				      IPAM_RANGES_MAX);
	r = &c->ranges[c->n_ranges];
	(void) snprintf(field, sizeof(field), "%s.range", where);
	if ((ret = config_string(obj, "range", field, sizeof(split.cidr) - 1, &cidr, err)) < 0)
		return ret;
	if (!cidr || !*cidr)
		return config_invalid(err, field, "is required: the CIDR to allocate from");
	(void) snprintf(field, sizeof(field), "%s.range_start", where);
	if ((ret = config_string(obj, "range_start", field, 64, &start, err)) < 0)
		return ret;
	(void) snprintf(field, sizeof(field), "%s.range_end", where);
	if ((ret = config_string(obj, "range_end", field, 64, &end, err)) < 0)
		return ret;
	(void) snprintf(field, sizeof(field), "%s.range", where);
	if (strchr(cidr, '-')) {
		if ((start && *start) || (end && *end))
			return config_invalid(err, field,
					      "'%s' gives its own start and end: drop range_start "
					      "and range_end, or write range as a CIDR",
					      cidr);
		ret = range_shorthand(field, cidr, &split, err);
		if (ret < 0)
			return ret;
		cidr = split.cidr;
		start = split.start;
		end = split.end;
	}
	if (pool_range_init(r, cidr, start, end, why, sizeof(why)) < 0)
		return config_invalid(err, field, "%s", why);
	excl = cJSON_GetObjectItemCaseSensitive(obj, "exclude");
	(void) snprintf(field, sizeof(field), "%s.exclude", where);
	if (excl && !cJSON_IsNull(excl)) {
		if (!cJSON_IsArray(excl))
			return config_invalid(err, field, "must be an array of CIDRs");
		cJSON_ArrayForEach(it, excl) {
			if (!cJSON_IsString(it) || strlen(it->valuestring) > 64)
				return config_invalid(err, field, "entries must be CIDR strings");
			if (pool_range_exclude(r, it->valuestring, why, sizeof(why)) < 0)
				return config_invalid(err, field, "%s", why);
		}
	}
	c->n_ranges++;
	return 0;
}

static int parse_ranges(const cJSON *ipam, struct ipam_config *c, struct cni_err *err)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(ipam, "ipRanges"), *it;
	int r;

	if (cJSON_GetObjectItemCaseSensitive(ipam, "range")) {
		r = parse_range(ipam, "ipam", c, err);
		if (r < 0)
			return r;
	}
	if (list && !cJSON_IsNull(list)) {
		if (!cJSON_IsArray(list))
			return config_invalid(err, "ipam.ipRanges",
					      "must be an array of range objects");
		cJSON_ArrayForEach(it, list) {
			if (!cJSON_IsObject(it))
				return config_invalid(err, "ipam.ipRanges",
						      "entries must be objects");
			r = parse_range(it, "ipam.ipRanges[]", c, err);
			if (r < 0)
				return r;
		}
	}
	if (!c->n_ranges)
		return config_invalid(err, "ipam.range", "is required (or 'ipam.ipRanges')");
	for (unsigned i = 0; i < c->n_ranges; i++)
		for (unsigned j = i + 1; j < c->n_ranges; j++)
			if (c->ranges[i].net.family == c->ranges[j].net.family &&
			    c->ranges[i].net.prefixlen == c->ranges[j].net.prefixlen &&
			    !memcmp(c->ranges[i].net.addr, c->ranges[j].net.addr, 16))
				return config_invalid(err, "ipam.ipRanges",
						      "lists the same CIDR twice");
	return 0;
}

/*
 * whereabouts settings that change where allocations live: ignoring them, as unknown keys are,
 * would allocate in other objects than the ones holding the network's live addresses.
 */
static int refuse_whereabouts_only(const cJSON *ipam, struct cni_err *err)
{
	static const struct {
		const char *key, *field, *why;
	} refused[] = {
		{ "node_slice_size", "ipam.node_slice_size",
		  "is whereabouts' Fast IPAM (per-node slices in NodeSlicePools), which "
		  "rdmanet-ipam does not do: remove it; moving a network that has live node-slice "
		  "allocations needs its pods re-created, or addresses could be handed out twice" },
		{ "etcd_host", "ipam.etcd_host",
		  "names an etcd store: rdmanet-ipam keeps allocations in the Kubernetes API only; "
		  "remove it and set 'ipam.kubernetes.kubeconfig'" },
	};

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(ipam, refused[i].key);

		if (v && !cJSON_IsNull(v) && !(cJSON_IsString(v) && !*v->valuestring))
			return config_invalid(err, refused[i].field, "%s", refused[i].why);
	}
	return 0;
}

/* "gateway" belongs to the range whose CIDR holds it; it is never handed out. */
static int parse_gateway(const cJSON *ipam, struct ipam_config *c, struct cni_err *err)
{
	const char *gw;
	char why[160];
	int r;

	if ((r = config_string(ipam, "gateway", "ipam.gateway", 64, &gw, err)) < 0)
		return r;
	if (!gw || !*gw)
		return 0;
	for (unsigned i = 0; i < c->n_ranges; i++)
		if (pool_range_gateway(&c->ranges[i], gw, why, sizeof(why)) >= 0)
			return 0;
	return config_invalid(err, "ipam.gateway", "'%s' is in none of the ranges", gw);
}

static int parse_kubernetes(const cJSON *ipam, struct ipam_config *c, struct cni_err *err)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(ipam, "kubernetes");
	const char *s;
	int r;

	if (k && !cJSON_IsNull(k)) {
		if (!cJSON_IsObject(k))
			return config_invalid(err, "ipam.kubernetes", "must be an object");
		r = config_string(k, "kubeconfig", "ipam.kubernetes.kubeconfig",
				  sizeof(c->kubeconfig) - 1, &s, err);
		if (r < 0)
			return r;
		if (s && *s) {
			if (s[0] != '/')
				return config_invalid(err, "ipam.kubernetes.kubeconfig",
						      "'%s' must be an absolute path", s);
			strcpy(c->kubeconfig, s);
		}
	}
	r = config_string(ipam, "namespace", "ipam.namespace", K8S_NAMESPACE_MAX, &s, err);
	if (r < 0)
		return r;
	if (s && *s) {
		if (!ipam_network_name_valid(s) || strchr(s, '.'))
			return config_invalid(err, "ipam.namespace", "'%s' is not a namespace name",
					      s);
		strcpy(c->namespace_, s);
	}
	return 0;
}

int ipam_config_parse(const char *buf, size_t len, enum cni_command cmd, struct ipam_config *c,
		      struct cni_err *err)
{
	const cJSON *ipam, *va;
	const char *s;
	unsigned second_ms = testhook_second_ms();
	int r;

	memset(c, 0, sizeof(*c));
	c->log_level = -1;
	r = config_document(buf, len, &c->root, c->cni_version, err);
	if (r < 0)
		return r;
	ipam = cJSON_GetObjectItemCaseSensitive(c->root, "ipam");
	if (!cJSON_IsObject(ipam))
		return config_invalid(err, "ipam",
				      "must be an object with the rdmanet-ipam settings");
	r = config_logging(ipam, "log_file", "ipam.log_file", "log_level", "ipam.log_level",
			   c->log_file, &c->log_level, err);
	if (r < 0)
		return r;
	if ((r = refuse_whereabouts_only(ipam, err)) < 0)
		return r;
	r = config_string(ipam, "network_name", "ipam.network_name", IPAM_NETWORK_NAME_MAX, &s,
			  err);
	if (r < 0)
		return r;
	if (s && *s) {
		if (!ipam_network_name_valid(s))
			return config_invalid(err, "ipam.network_name",
					      "'%s' must be lower-case letters, digits, '-' or '.'",
					      s);
		strcpy(c->network_name, s);
	}
	if ((r = parse_ranges(ipam, c, err)) < 0 || (r = parse_gateway(ipam, c, err)) < 0 ||
	    (r = parse_kubernetes(ipam, c, err)) < 0 ||
	    (r = opt_bool(ipam, "enable_overlapping_ranges", true, &c->overlapping, err)) < 0 ||
	    (r = opt_seconds(ipam, "api_timeout_seconds", 1, 120, 10, second_ms, &c->api_timeout_ms,
			     err)) < 0 ||
	    (r = opt_seconds(ipam, "retry_budget_seconds", 1, 600, 30, second_ms,
			     &c->retry_budget_ms, err)) < 0 ||
	    (r = opt_seconds(ipam, "release_quiet_seconds", 0, 86400, 60, 1, &c->quiet_s, err)) < 0)
		return r;
	/* routes and dns have the shape of a result's */
	r = cni_result_parse(ipam, "invalid network config: 'ipam'", CNI_ERR_INVALID_CONFIG,
			     &c->extra, err);
	if (r < 0)
		return r;
	va = cJSON_GetObjectItemCaseSensitive(c->root, "cni.dev/valid-attachments");
	if (cmd == CNI_CMD_GC) {
		const cJSON *it;

		if (!cJSON_IsArray(va))
			return config_invalid(err, "cni.dev/valid-attachments",
					      "is required for GC");
		cJSON_ArrayForEach(it, va)
			if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(it, "containerID")) ||
			    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(it, "ifname")))
				return config_invalid(err, "cni.dev/valid-attachments",
						      "entries must have string "
						      "'containerID' and 'ifname'");
		c->valid_attachments = va;
	}
	/* DEL: the runtime's cached result, a hint only (DEL must work without it) */
	if (cmd == CNI_CMD_DEL)
		c->prev_result = cJSON_GetObjectItemCaseSensitive(c->root, "prevResult");
	return 0;
}

void ipam_config_free(struct ipam_config *c)
{
	cni_result_free(&c->extra);
	cJSON_Delete(c->root);
	c->root = NULL;
}
