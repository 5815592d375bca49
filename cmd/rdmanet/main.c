/* SPDX-License-Identifier: Apache-2.0 */
/* rdmanet - CNI plugin: its config, a handler per CNI command, and `rdmanet doctor`. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/cmd.h"
#include "rdmanet/cni.h"
#include "rdmanet/config.h"
#include "rdmanet/doctor.h"
#include "rdmanet/ipam_exec.h"
#include "rdmanet/log.h"
#include "rdmanet/plugin_main.h"

static int load(struct cni_call *c, struct cni_err *err)
{
	struct config *cfg = c->ctx;
	int r;

	r = config_parse(c->in, c->len, c->env.cmd, &c->env.args, cfg, err);
	if (cfg->cni_version[0])
		(void) snprintf(c->version, sizeof(c->version), "%s", cfg->cni_version);
	if (r < 0)
		return r;
	(void) snprintf(c->network, sizeof(c->network), "%s", cfg->name);
	cni_plugin_logging(cfg->log_level, cfg->log_file, "logFile");
	log_debug("%s network '%s' master '%s'", cni_command_name(c->env.cmd), cfg->name,
		  cfg->master);
	return 0;
}

static void unload(struct cni_call *c)
{
	config_free(c->ctx);
}

/* The record's IPAM part: the delegated plugin's runs (a rollback's DEL included), their time. */
static void record(struct cni_call *c, char *buf, size_t len)
{
	struct ipam_exec_stats st;
	char v[32];

	(void) c;
	ipam_exec_stats_get(&st);
	(void) snprintf(v, sizeof(v), "%lld.%03lld", st.us / 1000, st.us % 1000);
	cni_record_field(buf, len, "ipam_ms", v);
	(void) snprintf(v, sizeof(v), "%u", st.runs);
	cni_record_field(buf, len, "ipam_runs", v);
}

static int add(struct cni_call *c, struct cni_err *err)
{
	return cmd_add(&c->env, c->ctx, &c->res, err);
}

static int del(struct cni_call *c, struct cni_err *err)
{
	return cmd_del(&c->env, c->ctx, err);
}

static int check(struct cni_call *c, struct cni_err *err)
{
	return cmd_check(&c->env, c->ctx, err);
}

static int status(struct cni_call *c, struct cni_err *err)
{
	return cmd_status(&c->env, c->ctx, err);
}

static int gc(struct cni_call *c, struct cni_err *err)
{
	return cmd_gc(&c->env, c->ctx, err);
}

/* `rdmanet doctor ...`: the report on stdout; 0 no errors found, 1 errors found, 2 usage. */
static int doctor(int argc, char **argv)
{
	_cleanup_free_ char *report = NULL;
	struct doctor_opts opts;
	char msg[512];
	int r;

	log_set_context("rdmanet doctor", NULL, NULL);
	r = doctor_parse_args(argc - 1, argv + 1, &opts, msg, sizeof(msg));
	if (r < 0) {
		(void) fprintf(stderr, "rdmanet doctor: %s\n%s", msg, doctor_usage);
		return 2;
	}
	if (opts.help)
		return fputs(doctor_usage, stdout) == EOF || fflush(stdout) ? 2 : 0;
	r = doctor_run(&opts, &report, msg, sizeof(msg));
	if (r < 0) {
		/* -ENOENT, -EINVAL: --netns names no netns, a usage error like the others */
		(void) fprintf(stderr, "rdmanet doctor: %s\n%s",
			       r == -ENOMEM ? strerror(ENOMEM) : msg,
			       r == -ENOENT || r == -EINVAL ? doctor_usage : "");
		return 2;
	}
	if (fputs(report, stdout) == EOF || (opts.json && fputc('\n', stdout) == EOF) ||
	    fflush(stdout) != 0)
		return 2;
	return r > 0;
}

static const struct cni_subcommand subcommands[] = { { "doctor", doctor }, { NULL } };

static const struct cni_plugin rdmanet = {
	.name = "rdmanet",
	.subcommands = subcommands,
	.load = load,
	.unload = unload,
	.record = record,
	.add = add,
	.del = del,
	.check = check,
	.status = status,
	.gc = gc,
};

int main(int argc, char **argv)
{
	struct config cfg;

	return cni_plugin_main(argc, argv, &rdmanet, &cfg);
}
