/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipam_events.h - Kubernetes Events (core/v1) on IPPools: pool exhaustion seen by ADD, leaks
 * released by the reconciler. Best effort: a failure is logged and never changes the caller's
 * result; each call sends at most two requests, within IPAM_EVENT_TIMEOUT_MS, never retried.
 */
#pragma once
#include <stdbool.h>
#include <time.h>

struct k8s_client;

#define IPAM_EVENT_TIMEOUT_MS  2000 /* all requests of one call, at most */
#define IPAM_EVENT_INTERVAL_S  10   /* a node sends one pool's repeated Event at most this often */
#define IPAM_EVENT_SERIES_S    600  /* after this (client-go's aggregation window) a new Event */
#define IPAM_EVENT_MESSAGE_MAX 1024

#define IPAM_EVENT_EXHAUSTED "PoolExhausted"
#define IPAM_EVENT_RELEASED  "LeaksReleased"

/* An Event about IPPool pool (uid may be NULL or "": unknown) in namespace ns. */
struct ipam_event {
	const char *ns, *pool, *uid;
	bool warning; /* type Warning, else Normal */
	const char *reason, *message;
	long long deadline; /* CLOCK_MONOTONIC ms the caller's budget ends (0: none): no later */
};

/* POSTs a new Event <pool>.<hex of the time in ns> with count 1. 0 or -errno (logged). */
int ipam_event_post(struct k8s_client *k, const struct ipam_event *ev);

/*
 * The same Event repeated, aggregated as client-go's recorder does, in a state file per node,
 * pool and reason (<dir>/<pool>.<reason>.event, flock'ed; NULL dir: /run/rdmanet-ipam): the
 * first occurrence POSTs <pool>.<hex>; later ones within IPAM_EVENT_SERIES_S only count, and
 * at most every IPAM_EVENT_INTERVAL_S merge-patch count, lastTimestamp and message into it (a
 * 404 starts a new one). A run that finds the file locked by another counts nothing and sends
 * nothing. 0 when sent or counted, -errno (logged).
 */
int ipam_event_repeat(struct k8s_client *k, const char *dir, const struct ipam_event *ev);

/* This node's name as Events give it (source.host): the host name. */
const char *ipam_event_host(void);

/* For tests and the state file: the Event name for pool at unix time t (ns), in out. */
void ipam_event_name(const char *pool, unsigned long long t_ns, char *out, size_t len);
