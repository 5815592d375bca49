/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugin_main.c - what both plugins do alike from main() on: read the environment and stdin,
 * answer VERSION, hand the command to the plugin's handler, print the result or the error JSON,
 * choose the exit status. With the subcommands' own output, the only place that writes stdout.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/cni.h"
#include "rdmanet/config.h"
#include "rdmanet/err.h"
#include "rdmanet/log.h"
#include "rdmanet/plugin_main.h"

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

void cni_plugin_logging(int level, const char *file, const char *field)
{
	int r;

	if (level >= 0)
		log_set_level((enum log_level) level);
	if (file[0]) {
		r = log_open_file(file);
		if (r == -EINVAL)
			log_warn("%s '%s' is not a regular file, logging to stderr only", field,
				 file);
		else if (r < 0)
			log_warn("cannot open %s '%s': %s, logging to stderr only", field, file,
				 strerror(-r));
	}
}

/* The command's handler; ADD's result printed in the config's version. */
static int dispatch(const struct cni_plugin *p, struct cni_call *c, struct cni_err *err)
{
	int (*handler)(struct cni_call * c, struct cni_err * err) = NULL;
	int r;

	switch (c->env.cmd) {
	case CNI_CMD_ADD:
		handler = p->add;
		break;
	case CNI_CMD_DEL:
		handler = p->del;
		break;
	case CNI_CMD_CHECK:
		handler = p->check;
		break;
	case CNI_CMD_STATUS:
		handler = p->status;
		break;
	case CNI_CMD_GC:
		handler = p->gc;
		break;
	default:
		break;
	}
	if (!handler)
		return err_set(err, -EINVAL, CNI_ERR_INVALID_ENV, NULL, "unsupported CNI_COMMAND");
	r = handler(c, err);
	if (r < 0 || c->env.cmd != CNI_CMD_ADD)
		return r;
	r = print_owned(cni_result_format(&c->res, c->version));
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_INTERNAL, NULL, "cannot print the result");
	return 0;
}

int cni_plugin_main(int argc, char **argv, const struct cni_plugin *p, void *ctx)
{
	_cleanup_free_ char *in = NULL;
	struct cni_call c = { .ctx = ctx };
	struct cni_err err = { 0 };
	size_t len = 0;
	int r;

	(void) signal(SIGPIPE, SIG_IGN);
	for (const struct cni_subcommand *s = p->subcommands; argc > 1 && s && s->name; s++)
		if (!strcmp(argv[1], s->name))
			return s->run(argc - 1, argv + 1);

	log_set_context(p->name, getenv("CNI_CONTAINERID"), getenv("CNI_IFNAME"));
	r = cni_read_stdin(&in, &len);
	if (r == -E2BIG)
		(void) err_set(&err, r, CNI_ERR_DECODE, CNI_STDIN_TOO_BIG_DETAILS,
			       CNI_STDIN_TOO_BIG_MSG, CNI_STDIN_MAX);
	else if (r < 0)
		(void) err_set(&err, r, CNI_ERR_IO, NULL,
			       "cannot read the network configuration from stdin");
	if (r < 0)
		return fail(&err, c.version);
	(void) config_peek_version(in, len, c.version);
	if (cni_env_parse(&c.env, &err) < 0)
		return fail(&err, c.version);
	if (c.env.cmd == CNI_CMD_VERSION)
		return print_owned(cni_version_format(c.version)) < 0;

	c.in = in;
	c.len = len;
	r = p->load(&c, &err);
	if (r >= 0)
		r = dispatch(p, &c, &err);
	p->unload(&c);
	cni_result_free(&c.res);
	if (r < 0)
		r = fail(&err, c.version);
	else
		r = 0;
	log_close();
	return r;
}
