/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipam_reconciler.c - `rdmanet-ipam reconcile`: its options, then one pass of ipam_reconcile()
 * (a CronJob, or by hand) or, with --interval, a pass every interval seconds until SIGTERM (the
 * reconciler Deployment). A failed pass in the loop is logged and the loop goes on. With
 * --metrics-port, the loop's passes are served as Prometheus metrics (src/metrics/).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rdmanet/clock.h"
#include "rdmanet/err.h"
#include "rdmanet/ipam_config.h"
#include "rdmanet/ipam_connect.h"
#include "rdmanet/ipam_reconcile.h"
#include "rdmanet/ipam_reconciler.h"
#include "rdmanet/k8s.h"
#include "rdmanet/log.h"
#include "rdmanet/metrics.h"

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void) sig;
	stop_requested = 1;
}

static int usage(FILE *f)
{
	(void) fputs(
		"usage: rdmanet-ipam reconcile [--kubeconfig FILE] [--namespace NS] [--dry-run]\n"
		"                             [--interval SECONDS] [--grace SECONDS]\n"
		"                             [--metrics-port PORT [--metrics-bind ADDRESS]]\n"
		"Releases IPPool allocations of pods that are gone and deletes reservations no\n"
		"pool entry holds (whereabouts' own, which name no container: whose pod is gone).\n"
		"Without --kubeconfig, the in-cluster service account is used. With --interval,\n"
		"--metrics-port serves Prometheus metrics at http://ADDRESS:PORT/metrics\n"
		"(ADDRESS: [::] and 0.0.0.0 by default).\n",
		f);
	return 2;
}

/* "0".."86400" */
static int parse_seconds(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || s[0] == '-' || v > 86400)
		return -EINVAL;
	*out = (unsigned) v;
	return 0;
}

static int reconcile_once(const struct ipam_config *cfg, const char *ns_opt, unsigned grace_s,
			  bool dry_run)
{
	struct cni_err err = { 0 };
	struct k8s_config kc = { 0 };
	struct k8s_client *k = NULL;
	struct ipam_reconcile_stats st = { 0 };
	struct ipam_reconcile_opts o = { .grace_s = grace_s, .dry_run = dry_run };
	char ns[K8S_NAMESPACE_MAX + 1];
	long long t0 = clock_now_ms();
	int r;

	metrics_pass_begin(&o);
	r = ipam_connect(cfg, &kc, &k, ns, &err);
	if (r >= 0) {
		o.ns = ns_opt ? ns_opt : ns;
		r = ipam_reconcile(k, &o, &st, &err);
	}
	k8s_client_free(k);
	k8s_config_free(&kc);
	metrics_pass_end(r, (double) (clock_now_ms() - t0) / 1000, &st);
	if (r < 0) {
		log_error("reconcile: %s%s%s", err.msg, err.details[0] ? ": " : "", err.details);
		return r;
	}
	(void) printf("reconcile: pools=%u allocations=%u released=%u orphan-reservations=%u "
		      "unowned-reservations=%u kept=%u dry-run=%s\n",
		      st.pools, st.allocations, st.released, st.orphans, st.unowned, st.kept,
		      dry_run ? "yes" : "no");
	return fflush(stdout) == 0 ? 0 : -EIO;
}

static int reconciler(int argc, char **argv)
{
	static const struct option opts[] = { { "kubeconfig", required_argument, NULL, 'k' },
					      { "namespace", required_argument, NULL, 'n' },
					      { "dry-run", no_argument, NULL, 'd' },
					      { "interval", required_argument, NULL, 'i' },
					      { "grace", required_argument, NULL, 'g' },
					      { "metrics-port", required_argument, NULL, 'P' },
					      { "metrics-bind", required_argument, NULL, 'B' },
					      { "help", no_argument, NULL, 'h' },
					      { 0 } };
	struct ipam_config cfg = { .api_timeout_ms = 10000, .log_level = -1 };
	const char *ns = NULL;
	unsigned interval = 0, grace = 60;
	bool dry_run = false;
	struct sigaction sa = { .sa_handler = on_stop };
	struct metrics_http_opts mo = { 0 };
	struct metrics_http *mh = NULL;
	struct cni_err err = { 0 };
	int c, r;

	log_set_context("rdmanet-ipam", NULL, NULL);
	log_set_level(LOG_LVL_INFO);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (strlen(optarg) >= sizeof(cfg.kubeconfig) || !optarg[0])
				return usage(stderr);
			(void) snprintf(cfg.kubeconfig, sizeof(cfg.kubeconfig), "%s", optarg);
			break;
		case 'n':
			if (!optarg[0] || strlen(optarg) > K8S_NAMESPACE_MAX)
				return usage(stderr);
			ns = optarg;
			break;
		case 'd':
			dry_run = true;
			break;
		case 'i':
			if (parse_seconds(optarg, &interval) < 0 || !interval) {
				(void) fprintf(stderr, "rdmanet-ipam reconcile: --interval wants "
						       "1..86400 seconds\n");
				return 2;
			}
			break;
		case 'g':
			if (parse_seconds(optarg, &grace) < 0) {
				(void) fprintf(stderr, "rdmanet-ipam reconcile: --grace wants "
						       "0..86400 seconds\n");
				return 2;
			}
			break;
		case 'P':
			if (metrics_http_parse_port(optarg, &mo) < 0) {
				(void) fprintf(stderr, "rdmanet-ipam reconcile: "
						       "--metrics-port wants 1..65535\n");
				return 2;
			}
			break;
		case 'B':
			if (metrics_http_parse_bind(optarg, &mo) < 0) {
				(void) fprintf(stderr,
					       "rdmanet-ipam reconcile: --metrics-bind wants an "
					       "IPv4 or IPv6 address\n");
				return 2;
			}
			break;
		case 'h':
			(void) usage(stdout);
			return 0;
		default:
			return usage(stderr);
		}
	}
	if (optind != argc)
		return usage(stderr);
	if ((mo.bind[0] && !mo.port) || (mo.port && !interval)) {
		(void) fprintf(stderr,
			       "rdmanet-ipam reconcile: --metrics-bind needs --metrics-port, "
			       "and --metrics-port --interval\n");
		return 2;
	}
	if (!interval)
		return reconcile_once(&cfg, ns, grace, dry_run) < 0 ? 1 : 0;
	k8s_observe(metrics_api_request);
	if (mo.port && metrics_http_start(&mo, &mh, &err) < 0) {
		log_error("reconcile: %s%s%s", err.msg, err.details[0] ? ": " : "", err.details);
		return 1;
	}
	/* a Deployment: every interval seconds until SIGTERM, errors included */
	(void) sigemptyset(&sa.sa_mask);
	(void) sigaction(SIGTERM, &sa, NULL);
	(void) sigaction(SIGINT, &sa, NULL);
	log_info("reconcile: every %u s in namespace '%s'%s", interval, ns ? ns : "(kubeconfig's)",
		 dry_run ? ", dry run" : "");
	while (!stop_requested) {
		struct timespec left = { .tv_sec = interval };

		r = reconcile_once(&cfg, ns, grace, dry_run);
		if (r < 0)
			log_warn("reconcile: pass failed, next one in %u s", interval);
		while (!stop_requested && nanosleep(&left, &left) < 0 && errno == EINTR)
			;
	}
	log_info("reconcile: stopping on signal");
	metrics_http_stop(mh);
	return 0;
}

int ipam_reconciler_main(int argc, char **argv)
{
	int r = reconciler(argc, argv);

	k8s_global_cleanup();
	return r;
}
