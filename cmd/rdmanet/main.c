/* SPDX-License-Identifier: Apache-2.0 */
/* rdmanet - CNI plugin: read env + stdin, dispatch, print the result or error JSON. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/cmd.h"
#include "rdmanet/cni.h"
#include "rdmanet/config.h"
#include "rdmanet/doctor.h"
#include "rdmanet/log.h"

#include "../main_common.h"

static int dispatch(const struct cni_env *env, const struct config *cfg, struct cni_err *err)
{
	_cleanup_(cni_result_free) struct cni_result res = { 0 };
	int r;

	switch (env->cmd) {
	case CNI_CMD_ADD:
		r = cmd_add(env, cfg, &res, err);
		if (r < 0)
			return r;
		r = print_owned(cni_result_format(&res, cfg->cni_version));
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_INTERNAL, NULL, "cannot print the result");
		return 0;
	case CNI_CMD_DEL:
		return cmd_del(env, cfg, err);
	case CNI_CMD_CHECK:
		return cmd_check(env, cfg, err);
	case CNI_CMD_STATUS:
		return cmd_status(env, cfg, err);
	case CNI_CMD_GC:
		return cmd_gc(env, cfg, err);
	default:
		return err_set(err, -EINVAL, CNI_ERR_INVALID_ENV, NULL, "unsupported CNI_COMMAND");
	}
}

/* `rdmanet doctor ...`: the report on stdout; 0 no errors found, 1 errors found, 2 usage. */
static int doctor(int argc, char **argv)
{
	_cleanup_free_ char *report = NULL;
	struct doctor_opts opts;
	char msg[512];
	int r;

	log_set_context("rdmanet doctor", NULL, NULL);
	r = doctor_parse_args(argc, argv, &opts, msg, sizeof(msg));
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

int main(int argc, char **argv)
{
	_cleanup_free_ char *in = NULL;
	struct cni_err err = { 0 };
	char version[CNI_VERSION_MAX] = "";
	struct cni_env env;
	struct config cfg;
	size_t len = 0;
	int r;

	(void) signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && !strcmp(argv[1], "doctor"))
		return doctor(argc - 2, argv + 2);
	r = cni_start("rdmanet", &in, &len, version, &env, &err);
	if (r >= 0)
		return r;

	r = config_parse(in, len, env.cmd, &env.args, &cfg, &err);
	if (r >= 0) {
		apply_logging(cfg.log_level, cfg.log_file, "logFile");
		log_debug("%s network '%s' master '%s'", cni_command_name(env.cmd), cfg.name,
			  cfg.master);
		r = dispatch(&env, &cfg, &err);
	}
	if (r < 0) {
		r = fail(&err, cfg.cni_version[0] ? cfg.cni_version : version);
		config_free(&cfg);
		log_close();
		return r;
	}
	config_free(&cfg);
	log_close();
	return 0;
}
