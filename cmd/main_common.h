/* SPDX-License-Identifier: Apache-2.0 */
/* main_common.h - what both plugins' main() do alike: print on stdout, fail, set up logging.
 * Kept under cmd/ because only the entry points print to stdout and choose the exit code. */
#pragma once
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdmanet/cni.h"
#include "rdmanet/config.h"
#include "rdmanet/err.h"
#include "rdmanet/log.h"

/* Prints and frees s (NULL: allocation failed upstream). */
static int print_owned(char *s)
{
	if (!s)
		return -ENOMEM;
	(void) fputs(s, stdout);
	(void) fputc('\n', stdout);
	free(s);
	return fflush(stdout) == 0 ? 0 : -EIO;
}

/* The error JSON on stdout, the same words in the log; the exit status. */
static int fail(const struct cni_err *e, const char *version)
{
	log_error("%s%s%s", e->msg, e->details[0] ? ": " : "", e->details);
	(void) print_owned(cni_error_format(e, version));
	return 1;
}

/* level < 0: keep the default; file "": stderr only. field names the config key for messages. */
static void apply_logging(int level, const char *file, const char *field)
{
	int r;

	if (level >= 0)
		log_set_level((enum log_level) level);
	if (file[0]) {
		r = log_open_file(file);
		if (r == -EINVAL)
			log_warn("%s '%s' is not a regular file, logging to stderr only", field, file);
		else if (r < 0)
			log_warn("cannot open %s '%s': %s, logging to stderr only", field, file,
				 strerror(-r));
	}
}

/*
 * The start every CNI invocation shares: log context, stdin, the requested version (for error
 * JSON), the CNI_* environment, VERSION answered. Returns -1 to go on with a command, else the
 * exit status (the error or VERSION already printed).
 */
static int cni_start(const char *prog, char **in, size_t *len, char version[CNI_VERSION_MAX],
		     struct cni_env *env, struct cni_err *err)
{
	int r;

	log_set_context(prog, getenv("CNI_CONTAINERID"), getenv("CNI_IFNAME"));
	r = cni_read_stdin(in, len);
	if (r == -E2BIG)
		(void) err_set(err, r, CNI_ERR_DECODE, CNI_STDIN_TOO_BIG_DETAILS, CNI_STDIN_TOO_BIG_MSG,
			       CNI_STDIN_MAX);
	else if (r < 0)
		(void) err_set(err, r, CNI_ERR_IO, NULL, "cannot read the network configuration from stdin");
	if (r < 0)
		return fail(err, version);
	(void) config_peek_version(*in, *len, version);
	if (cni_env_parse(env, err) < 0)
		return fail(err, version);
	if (env->cmd == CNI_CMD_VERSION)
		return print_owned(cni_version_format(version)) < 0;
	return -1;
}
