/* SPDX-License-Identifier: Apache-2.0 */
/* test_metrics.c - the reconciler's metrics: an IPPool's usage (allocations, resting addresses)
 * from its object, and the text rendered (escaping, counters, failed passes, the histogram). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "rdmanet/metrics.h"
#include "rdmanet/pool.h"
#include "unit.h"

#define NOW 1800000000

/* the rendered text holds line exactly */
static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

static void test_usage(void)
{
	struct pool_range rg;
	struct ipam_pool_usage u;
	char why[128];
	/* 10.0.0.0/28: offsets 1..14; 3, 5 and 99 (outside) allocated; released notes: 3 (taken
	 * again), 4 (10 s ago), 6 (100 s ago), 7 (in the future: resting), 15 (broadcast),
	 * 8 (bad) */
	cJSON *pool = cJSON_Parse(
		"{\"metadata\": {\"name\": \"10.0.0.0-28\", \"annotations\": {"
		"\"rdmanet.io/released-3\": \"1799999990\", \"rdmanet.io/released-4\": "
		"\"1799999990\","
		"\"rdmanet.io/released-6\": \"1799999900\", \"rdmanet.io/released-7\": "
		"\"1800000005\","
		"\"rdmanet.io/released-15\": \"1799999999\", \"rdmanet.io/released-8\": \"soon\","
		"\"other\": \"1799999999\"}},"
		"\"spec\": {\"range\": \"10.0.0.0/28\", \"allocations\": {"
		"\"3\": {\"id\": \"a\"}, \"5\": {\"id\": \"b\"}, \"99\": {\"id\": \"c\"}}}}");

	CHECK(pool != NULL);
	CHECK_INT(pool_range_init(&rg, "10.0.0.0/28", NULL, NULL, why, sizeof(why)), 0);
	ipam_pool_usage(pool, &rg, 60, NOW, &u);
	CHECK_STR(u.name, "10.0.0.0-28");
	CHECK_STR(u.range, "10.0.0.0/28");
	CHECK(u.size == 14);
	CHECK_INT(u.allocated, 2);
	CHECK_INT(u.quiet, 2);
	/* as the allocator judges them (ipam_k8s.c): a note from the future still rests */
	ipam_pool_usage(pool, &rg, 0, NOW, &u);
	CHECK_INT(u.quiet, 1);
	cJSON_Delete(pool);

	/* no allocations, no annotations: all free */
	pool = cJSON_Parse(
		"{\"metadata\": {\"name\": \"x\"}, \"spec\": {\"range\": \"fd00::/64\"}}");
	CHECK_INT(pool_range_init(&rg, "fd00::/64", NULL, NULL, why, sizeof(why)), 0);
	ipam_pool_usage(pool, &rg, 60, NOW, &u);
	CHECK(u.size == 18446744073709551615.0);
	CHECK_INT(u.allocated, 0);
	CHECK_INT(u.quiet, 0);
	cJSON_Delete(pool);
}

static void pass(int r, double seconds, const char *name, const char *range, unsigned long alloc)
{
	struct ipam_reconcile_opts o = { 0 };
	struct ipam_reconcile_stats st = {
		.released = 2, .freed = 1, .orphans = 3, .deleted = 3, .unowned = 4
	};
	struct ipam_pool_usage u = {
		.name = name, .range = range, .size = 30, .allocated = alloc, .quiet = 1
	};

	metrics_pass_begin(&o);
	CHECK(o.pool_seen != NULL);
	o.pool_seen(o.arg, &u);
	metrics_pass_end(r, seconds, &st);
}

static void test_render(void)
{
	char *text;
	size_t len;

	metrics_reset();
	pass(0, 0.2, "p\"1\\\n", "10.0.0.0/27", 27);
	metrics_api_request("GET", 200);
	metrics_api_request("GET", 200);
	metrics_api_request("PATCH", 409);
	metrics_api_request("DELETE", 0);
	metrics_api_request("OPTIONS", 700);
	/* a failed pass: counted, the pools of the last good one kept */
	pass(-5, 7, "other", "10.1.0.0/27", 1);
	text = metrics_render(&len);
	CHECK(text != NULL);
	if (!text)
		return;
	CHECK_INT(strlen(text), len);
	CHECK(has_line(text, "# TYPE rdmanet_ipam_pool_size_addresses gauge"));
	CHECK(has_line(text, "rdmanet_ipam_pool_size_addresses{pool=\"p\\\"1\\\\\\n\",range=\"10.0."
			     "0.0/27\"} 30"));
	CHECK(has_line(text, "rdmanet_ipam_pool_allocated_addresses{pool=\"p\\\"1\\\\\\n\",range="
			     "\"10.0.0.0/27\"} 27"));
	CHECK(has_line(text, "rdmanet_ipam_pool_free_addresses{pool=\"p\\\"1\\\\\\n\",range=\"10.0."
			     "0.0/27\"} 3"));
	CHECK(has_line(text, "rdmanet_ipam_pool_quiet_addresses{pool=\"p\\\"1\\\\\\n\",range=\"10."
			     "0.0.0/27\"} 1"));
	CHECK(!strstr(text, "pool=\"other\""));
	CHECK(has_line(text, "rdmanet_ipam_leaked_allocations_found_total 4"));
	CHECK(has_line(text, "rdmanet_ipam_leaked_allocations_released_total 2"));
	CHECK(has_line(text, "rdmanet_ipam_orphan_reservations_found_total 6"));
	CHECK(has_line(text, "rdmanet_ipam_orphan_reservations_deleted_total 6"));
	CHECK(has_line(text, "rdmanet_ipam_unowned_reservations 4"));
	CHECK(has_line(text, "rdmanet_ipam_api_requests_total{verb=\"GET\",code=\"200\"} 2"));
	CHECK(has_line(text, "rdmanet_ipam_api_requests_total{verb=\"PATCH\",code=\"409\"} 1"));
	CHECK(has_line(text, "rdmanet_ipam_api_requests_total{verb=\"DELETE\",code=\"none\"} 1"));
	CHECK(has_line(text, "rdmanet_ipam_api_requests_total{verb=\"other\",code=\"none\"} 1"));
	CHECK(has_line(text, "rdmanet_ipam_reconcile_passes_total{result=\"success\"} 1"));
	CHECK(has_line(text, "rdmanet_ipam_reconcile_passes_total{result=\"failure\"} 1"));
	CHECK(has_line(text, "rdmanet_ipam_reconcile_duration_seconds_bucket{le=\"0.1\"} 0"));
	CHECK(has_line(text, "rdmanet_ipam_reconcile_duration_seconds_bucket{le=\"0.25\"} 1"));
	CHECK(has_line(text, "rdmanet_ipam_reconcile_duration_seconds_bucket{le=\"5\"} 1"));
	CHECK(has_line(text, "rdmanet_ipam_reconcile_duration_seconds_bucket{le=\"10\"} 2"));
	CHECK(has_line(text, "rdmanet_ipam_reconcile_duration_seconds_bucket{le=\"+Inf\"} 2"));
	CHECK(has_line(text, "rdmanet_ipam_reconcile_duration_seconds_sum 7.2"));
	CHECK(has_line(text, "rdmanet_ipam_reconcile_duration_seconds_count 2"));
	CHECK(!has_line(text, "rdmanet_ipam_reconcile_last_success_timestamp_seconds 0.000"));
	CHECK(text[len - 1] == '\n');
	free(text);

	/* nothing recorded: every family still there, the last success 0 */
	metrics_reset();
	text = metrics_render(&len);
	CHECK(text &&
	      has_line(text, "rdmanet_ipam_reconcile_last_success_timestamp_seconds 0.000"));
	CHECK(text && has_line(text, "# TYPE rdmanet_ipam_pool_quiet_addresses gauge"));
	CHECK(text && !strstr(text, "rdmanet_ipam_pool_quiet_addresses{"));
	free(text);
}

static void test_options(void)
{
	struct metrics_http_opts o = { 0 };

	CHECK_INT(metrics_http_parse_port("9469", &o), 0);
	CHECK_INT(o.port, 9469);
	CHECK_INT(metrics_http_parse_port("65535", &o), 0);
	CHECK_INT(metrics_http_parse_port("0", &o), -EINVAL);
	CHECK_INT(metrics_http_parse_port("65536", &o), -EINVAL);
	CHECK_INT(metrics_http_parse_port("123456", &o), -EINVAL);
	CHECK_INT(metrics_http_parse_port("-1", &o), -EINVAL);
	CHECK_INT(metrics_http_parse_port("", &o), -EINVAL);
	CHECK_INT(metrics_http_parse_port(" 80", &o), -EINVAL);
	CHECK_INT(metrics_http_parse_bind("0.0.0.0", &o), 0);
	CHECK_STR(o.bind, "0.0.0.0");
	CHECK_INT(metrics_http_parse_bind("[::]", &o), 0);
	CHECK_STR(o.bind, "::");
	CHECK_INT(metrics_http_parse_bind("fd00::1", &o), 0);
	CHECK_STR(o.bind, "fd00::1");
	CHECK_INT(metrics_http_parse_bind("localhost", &o), -EINVAL);
	CHECK_INT(metrics_http_parse_bind("[10.0.0.1]", &o), -EINVAL);
	CHECK_INT(metrics_http_parse_bind("[::1", &o), -EINVAL);
	CHECK_INT(metrics_http_parse_bind("[]", &o), -EINVAL);
	CHECK_INT(metrics_http_parse_bind("", &o), -EINVAL);
	CHECK_INT(metrics_http_parse_bind("fe80::1%eth0", &o), -EINVAL);
	CHECK_STR(o.bind, "fd00::1");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN(test_usage);
	RUN(test_render);
	RUN(test_options);
	UNIT_DONE();
}
