/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.h - the reconciler's Prometheus metrics (text exposition format 0.0.4): what each
 * reconcile pass read and did, the API requests it sent, build information; and the HTTP
 * endpoint that serves them (metrics_http.c, libmicrohttpd in a thread of its own).
 *
 * The reconcile loop records (metrics_pass_begin/end, metrics_api_request through
 * k8s_observe); the HTTP thread renders (metrics_render). One mutex guards what both touch.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "rdmanet/err.h"
#include "rdmanet/ipam_reconcile.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_PATH         "/metrics"

/* A pass begins: collects the pools it reads (sets o->pool_seen and o->arg). */
void metrics_pass_begin(struct ipam_reconcile_opts *o);
/*
 * A pass ended with r (< 0: failed), after seconds: counts what st says it found and did; on
 * success the pools it read replace the last pass's and the success time is noted (a failed pass
 * keeps the last good pool values).
 */
void metrics_pass_end(int r, double seconds, const struct ipam_reconcile_stats *st);
/* One API request sent (k8s_observe's callback): method, HTTP status (0: no answer). */
void metrics_api_request(const char *method, long status);
/* The exposition text (NUL-terminated, *len bytes), malloc'd; NULL when out of memory. */
char *metrics_render(size_t *len);
/* Forgets everything recorded (tests). */
void metrics_reset(void);

/* ---- the endpoint (metrics_http.c) */

#define METRICS_BIND_MAX 48 /* "[" IPv6 "]" */

struct metrics_http_opts {
	char bind[METRICS_BIND_MAX]; /* IPv4 or IPv6; "": [::] and IPv4, or 0.0.0.0 */
	unsigned port;               /* 0: no endpoint */
};

/* --metrics-bind: a numeric IPv4 or IPv6 address, IPv6 in brackets or not; -EINVAL. */
int metrics_http_parse_bind(const char *s, struct metrics_http_opts *o);
/* --metrics-port: 1..65535; -EINVAL. */
int metrics_http_parse_port(const char *s, struct metrics_http_opts *o);

struct metrics_http;

/* Serves GET/HEAD /metrics on o's address and port until metrics_http_stop. */
int metrics_http_start(const struct metrics_http_opts *o, struct metrics_http **out,
		       struct cni_err *err);
void metrics_http_stop(struct metrics_http *h);
