/* SPDX-License-Identifier: Apache-2.0 */
/*
 * doctor.c - `rdmanet doctor [--netns PATH] [--json] [IFNAME...]`: what an operator asks when
 * RDMA does not work on a node or in a pod. Facts come from RDMA netlink (devices, ports, netns
 * mode), sysfs (GIDs, P_Keys, drivers), libibverbs when installed (MTU, rate) and rtnetlink.
 * They go into one cJSON report with a list of findings {severity, what, cause, fix}, handed
 * back to main() as JSON or rendered as text. Nothing here prints.
 *
 * This file is the entry: arguments, entering the pod's netns and /sys, the report's totals.
 * doctor_collect.c gathers the facts, doctor_rules.c turns them into findings, doctor_output.c
 * renders the report.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/doctor.h"
#include "rdmanet/doctor_collect.h"
#include "rdmanet/doctor_output.h"
#include "rdmanet/netns.h"

const char doctor_usage[] =
	"usage: rdmanet doctor [--netns PATH] [--json] [--log-file PATH]... [--cni-conf-dir DIR]\n"
	"                      [IFNAME...]\n"
	"  Diagnoses RDMA on this node, or in the network namespace PATH (/run/netns/NAME,\n"
	"  /proc/PID/ns/net) seen with its own /sys. IFNAMEs are netdevs to follow to their RDMA\n"
	"  port, GIDs and MTU. The node's recent CNI failures come from the log files of the\n"
	"  rdmanet networks in DIR (default /etc/cni/net.d: logFile, ipam.log_file) and from each\n"
	"  --log-file (up to 4). Exit status: 0 no errors found, 1 errors found, 2 usage error.\n";

/* --NAME VALUE or --NAME=VALUE at argv[*i]: the value, NULL when a is not --NAME. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
	const char *a = argv[*i];
	size_t n = strlen(name);
	const char *v;

	if (strncmp(a, name, n) || (a[n] && a[n] != '='))
		return NULL;
	v = a[n] ? a + n + 1 : *i + 1 < argc ? argv[++*i] : NULL;
	*missing = !v || !v[0];
	return v ? v : "";
}

DEFINE_CLEANUP(cJSON *, cJSON_Delete)

int doctor_parse_args(int argc, char **argv, struct doctor_opts *o, char *msg, size_t len)
{
	memset(o, 0, sizeof(*o));
	o->ifnames = argv; /* IFNAMEs are collected in place */
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v;
		bool missing = false;

		if ((v = opt_value(argc, argv, &i, "--log-file", &missing))) {
			if (missing || v[0] != '/') {
				(void) snprintf(msg, len, "--log-file needs an absolute path");
				return -EINVAL;
			}
			if (o->n_log_files >= (int) ARRAY_SIZE(o->log_files)) {
				(void) snprintf(msg, len, "at most %zu --log-file options",
						ARRAY_SIZE(o->log_files));
				return -EINVAL;
			}
			o->log_files[o->n_log_files++] = v;
		} else if ((v = opt_value(argc, argv, &i, "--cni-conf-dir", &missing))) {
			if (missing) {
				(void) snprintf(msg, len, "--cni-conf-dir needs a path");
				return -EINVAL;
			}
			o->cni_conf_dir = v;
		} else if (!strcmp(a, "--json")) {
			o->json = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			o->help = true;
		} else if (!strcmp(a, "--netns") || !strncmp(a, "--netns=", 8)) {
			o->netns = a[7] ? a + 8 : i + 1 < argc ? argv[++i] : NULL;
			if (!o->netns || !o->netns[0]) {
				(void) snprintf(msg, len, "--netns needs a path");
				return -EINVAL;
			}
		} else if (a[0] == '-') {
			(void) snprintf(msg, len, "unknown option '%s'", a);
			return -EINVAL;
		} else if (strlen(a) >= IF_NAMESIZE || strpbrk(a, "/: \t\n") || !strcmp(a, ".") ||
			   !strcmp(a, "..")) {
			(void) snprintf(msg, len, "'%s' is not a valid interface name", a);
			return -EINVAL;
		} else {
			o->ifnames[o->n_ifnames++] = argv[i];
		}
	}
	return 0;
}

/* Diagnoses inside the view entered by the caller; fills d->root. */
static void run(struct doctor *d)
{
	struct doctor_findings *f = &d->findings;

	f->list = cJSON_CreateArray();
	doctor_collect(d);
	cJSON_AddItemToObject(d->root, "findings", f->list);
	cJSON_AddNumberToObject(d->root, "errors", f->errors);
	cJSON_AddNumberToObject(d->root, "warnings", f->warnings);
	cJSON_AddNumberToObject(d->root, "problems", f->errors + f->warnings);
	if (d->rt.sk)
		netlink_close(&d->rt);
	if (d->rdma.sk)
		netlink_close(&d->rdma);
	free(d->gids);
	d->gids = NULL;
}

int doctor_run(const struct doctor_opts *o, char **report, char *msg, size_t len)
{
	_cleanup_(cJSON_Deletep) cJSON *root = cJSON_CreateObject();
	_cleanup_free_ struct doctor *d = calloc(1, sizeof(*d));
	_cleanup_close_ int nsfd = -1;
	struct netns_view view;
	int r;

	*report = NULL;
	if (!root || !d)
		return -ENOMEM;
	d->o = o;
	d->root = root;
	if (!o->netns) {
		run(d);
	} else {
		nsfd = netns_open(o->netns);
		if (nsfd < 0) {
			(void) snprintf(msg, len, "--netns '%s': %s", o->netns,
					nsfd == -EINVAL ? "not a network namespace" :
							  strerror(-nsfd));
			return nsfd;
		}
		/* the rails' parents are the host's: ask before entering the pod */
		if (netlink_open(&d->host) < 0)
			d->host.sk = NULL;
		r = netns_enter_view(nsfd, &view);
		if (r < 0) {
			(void) snprintf(msg, len,
					"cannot enter network namespace '%s' "
					"with its own /sys: %s",
					o->netns, strerror(-r));
			return r;
		}
		run(d);
		if (d->host.sk)
			netlink_close(&d->host);
		r = netns_leave_view(&view);
		if (r < 0) {
			(void) snprintf(msg, len, "cannot leave '%s': %s", o->netns, strerror(-r));
			return r;
		}
	}
	r = doctor_output(root, o->json, d->findings.errors + d->findings.warnings, report);
	return r < 0 ? r : (int) d->findings.errors;
}
