/* SPDX-License-Identifier: Apache-2.0 */
/* rdmanet-ipam - CNI IPAM plugin storing allocations in the Kubernetes API (whereabouts CRDs). */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/clock.h"
#include "rdmanet/cni.h"
#include "rdmanet/config.h"
#include "rdmanet/ipam_config.h"
#include "rdmanet/ipam_k8s.h"
#include "rdmanet/ipam_reconcile.h"
#include "rdmanet/k8s.h"
#include "rdmanet/log.h"
#include "rdmanet/metrics.h"

#include "../main_common.h"

#define INCLUSTER_ROOT "/var/run/secrets/kubernetes.io/serviceaccount"
#define DEFAULT_NAMESPACE "kube-system"

/* Credentials and the namespace the pools live in: config, else kubeconfig's, else kube-system. */
static int connect_api(const struct ipam_config *cfg, struct k8s_config *kc, struct k8s_client **k,
		       char ns[K8S_NAMESPACE_MAX + 1], struct cni_err *err)
{
	int r;

	if (cfg->kubeconfig[0])
		r = k8s_kubeconfig_load(cfg->kubeconfig, kc, err);
	else
		r = k8s_incluster_load(INCLUSTER_ROOT, kc, err);
	if (r < 0)
		return r;
	(void) snprintf(ns, K8S_NAMESPACE_MAX + 1, "%s",
			cfg->namespace_[0] ? cfg->namespace_ :
			kc->namespace_[0] ? kc->namespace_ : DEFAULT_NAMESPACE);
	return k8s_client_new(kc, cfg->api_timeout_ms, k, err);
}

static int dispatch(const struct cni_env *env, const struct ipam_config *cfg, struct cni_err *err)
{
	_cleanup_(cni_result_free) struct cni_result res = { 0 };
	struct k8s_config kc = { 0 };
	struct k8s_client *k = NULL;
	struct ipam_owner who = { .containerid = env->containerid, .ifname = env->ifname };
	struct ipam_ctx x = { .cfg = cfg, .who = &who };
	int r;

	if (env->args.pod_namespace[0] && env->args.pod_name[0])
		(void) snprintf(who.podref, sizeof(who.podref), "%s/%s", env->args.pod_namespace,
				env->args.pod_name);
	else if (env->cmd == CNI_CMD_ADD)
		return err_set(err, 0, CNI_ERR_INVALID_ENV, NULL,
			       "CNI_ARGS must carry K8S_POD_NAMESPACE and K8S_POD_NAME (Multus sends them): the allocation records its pod");
	r = connect_api(cfg, &kc, &k, x.ns, err);
	if (r >= 0) {
		x.k = k;
		switch (env->cmd) {
		case CNI_CMD_ADD:
			r = ipam_k8s_add(&x, &res, err);
			if (r >= 0 && print_owned(cni_result_format(&res, cfg->cni_version)) < 0)
				r = err_set(err, -EIO, RDMANET_ERR_INTERNAL, NULL, "cannot print the result");
			break;
		case CNI_CMD_DEL:
			r = ipam_k8s_del(&x, err);
			break;
		case CNI_CMD_CHECK:
			r = ipam_k8s_check(&x, err);
			break;
		case CNI_CMD_GC:
			r = ipam_k8s_gc(&x, err);
			break;
		case CNI_CMD_STATUS:
			r = ipam_k8s_status(&x, err);
			break;
		default:
			r = err_set(err, -EINVAL, CNI_ERR_INVALID_ENV, NULL, "unsupported CNI_COMMAND");
		}
		if (x.conflicts)
			log_info("%s: %u write conflicts retried", cni_command_name(env->cmd), x.conflicts);
	}
	k8s_client_free(k);
	k8s_config_free(&kc);
	return r;
}

/* ---- rdmanet-ipam reconcile */

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void) sig;
	stop_requested = 1;
}

static int usage(FILE *f)
{
	(void) fputs("usage: rdmanet-ipam reconcile [--kubeconfig FILE] [--namespace NS] [--dry-run]\n"
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
	r = connect_api(cfg, &kc, &k, ns, &err);
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
		      "unowned-reservations=%u kept=%u dry-run=%s\n", st.pools, st.allocations,
		      st.released, st.orphans, st.unowned, st.kept, dry_run ? "yes" : "no");
	return fflush(stdout) == 0 ? 0 : -EIO;
}

static int reconcile_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kubeconfig", required_argument, NULL, 'k' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "dry-run", no_argument, NULL, 'd' },
		{ "interval", required_argument, NULL, 'i' },
		{ "grace", required_argument, NULL, 'g' },
		{ "metrics-port", required_argument, NULL, 'P' },
		{ "metrics-bind", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
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
				(void) fprintf(stderr, "rdmanet-ipam reconcile: --interval wants 1..86400 seconds\n");
				return 2;
			}
			break;
		case 'g':
			if (parse_seconds(optarg, &grace) < 0) {
				(void) fprintf(stderr, "rdmanet-ipam reconcile: --grace wants 0..86400 seconds\n");
				return 2;
			}
			break;
		case 'P':
			if (metrics_http_parse_port(optarg, &mo) < 0) {
				(void) fprintf(stderr, "rdmanet-ipam reconcile: --metrics-port wants 1..65535\n");
				return 2;
			}
			break;
		case 'B':
			if (metrics_http_parse_bind(optarg, &mo) < 0) {
				(void) fprintf(stderr, "rdmanet-ipam reconcile: --metrics-bind wants an IPv4 or IPv6 address\n");
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
		(void) fprintf(stderr, "rdmanet-ipam reconcile: --metrics-bind needs --metrics-port, "
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

int main(int argc, char **argv)
{
	_cleanup_free_ char *in = NULL;
	struct cni_err err = { 0 };
	char version[CNI_VERSION_MAX] = "";
	struct ipam_config cfg;
	struct cni_env env;
	size_t len = 0;
	int r;

	(void) signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && !strcmp(argv[1], "reconcile")) {
		r = reconcile_main(argc - 1, argv + 1);
		k8s_global_cleanup();
		return r;
	}
	r = cni_start("rdmanet-ipam", &in, &len, version, &env, &err);
	if (r >= 0)
		return r;

	r = ipam_config_parse(in, len, env.cmd, &cfg, &err);
	if (r >= 0) {
		apply_logging(cfg.log_level, cfg.log_file, "log_file");
		r = dispatch(&env, &cfg, &err);
	}
	if (r < 0)
		r = fail(&err, cfg.cni_version[0] ? cfg.cni_version : version);
	ipam_config_free(&cfg);
	log_close();
	return r;
}
