/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugin_main.c - what both plugins do alike from main() on: read the environment and stdin,
 * answer VERSION, hand the command to the plugin's handler, print the result or the error JSON,
 * choose the exit status. With the subcommands' own output, the only place that writes stdout.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/clock.h"
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

void cni_record_field(char *buf, size_t len, const char *key, const char *value)
{
	size_t n = strnlen(buf, len), at;
	bool plain = *value;

	for (const char *v = value; *v && plain; v++)
		plain = isalnum((unsigned char) *v) || strchr("-_.:/@+,", *v);
	at = n +
	     (size_t) snprintf(buf + n, n < len ? len - n : 0, " %s=%s", key, plain ? value : "\"");
	for (const char *v = value; !plain && *v && at + 3 < len; v++) {
		if (*v == '"' || *v == '\\')
			buf[at++] = '\\';
		buf[at++] = *v;
	}
	if (!plain && at + 1 < len)
		buf[at++] = '"';
	if (at >= len || (!plain && at + 1 >= len)) { /* did not fit: drop the field */
		buf[n < len ? n : len - 1] = '\0';
		return;
	}
	buf[at] = '\0';
}

/* The call's record: what ran, how it ended, how long it took, the plugin's own fields. */
static void record(const struct cni_call *c, const struct cni_err *err, bool failed,
		   long long start_us, const char *extra)
{
	long long us = clock_now_us() - start_us;
	char who[512] = "", msg[512] = "";

	cni_record_field(who, sizeof(who), "network", c->network[0] ? c->network : "-");
	cni_record_field(who, sizeof(who), "container",
			 c->env.containerid && *c->env.containerid ? c->env.containerid : "-");
	cni_record_field(who, sizeof(who), "ifname",
			 c->env.ifname && *c->env.ifname ? c->env.ifname : "-");
	if (failed)
		cni_record_field(msg, sizeof(msg), "msg", err->msg);
	log_record("call cmd=%s result=%s code=%d ms=%lld.%03lld%s%s%s",
		   cni_command_name(c->env.cmd), failed ? "error" : "ok", failed ? err->code : 0,
		   us / 1000, us % 1000, who, extra, msg);
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
	long long start_us;
	char extra[512] = "";
	struct cni_err err = { 0 };
	size_t len = 0;
	int r;

	(void) signal(SIGPIPE, SIG_IGN);
	for (const struct cni_subcommand *s = p->subcommands; argc > 1 && s && s->name; s++)
		if (!strcmp(argv[1], s->name))
			return s->run(argc - 1, argv + 1);

	start_us = clock_now_us();
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
	if (p->record)
		p->record(&c, extra, sizeof(extra));
	p->unload(&c);
	cni_result_free(&c.res);
	if (r < 0)
		(void) fail(&err, c.version);
	record(&c, &err, r < 0, start_us, extra);
	log_close();
	return r < 0;
}
