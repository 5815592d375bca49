/* SPDX-License-Identifier: Apache-2.0 */
/* test_plugin_main.c - the entry both plugins share: subcommands, VERSION, hooks and handlers in
 * order, the result or error JSON on stdout, the exit status. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "rdmanet/cidr.h"
#include "rdmanet/cni.h"
#include "rdmanet/err.h"
#include "rdmanet/plugin_main.h"
#include "unit.h"

/* What the fake plugin was asked to do and did, one letter per hook or handler. */
struct fake {
	char trace[16];
	int load_r, handler_r;
	int sub_argc;
	char sub_argv0[16];
};

static void trace(struct fake *f, char c)
{
	size_t n = strlen(f->trace);

	if (n + 1 < sizeof(f->trace))
		f->trace[n] = c;
}

static int fake_load(struct cni_call *c, struct cni_err *err)
{
	struct fake *f = c->ctx;

	trace(f, 'L');
	(void) snprintf(c->version, sizeof(c->version), "%s", "0.4.0");
	if (f->load_r < 0)
		return err_set(err, f->load_r, CNI_ERR_INVALID_CONFIG, NULL, "load failed");
	return 0;
}

static void fake_unload(struct cni_call *c)
{
	trace(c->ctx, 'U');
}

static int fake_add(struct cni_call *c, struct cni_err *err)
{
	struct fake *f = c->ctx;

	trace(f, 'A');
	if (f->handler_r < 0)
		return err_set(err, f->handler_r, CNI_ERR_TRY_AGAIN, "why", "add failed");
	(void) cidr_parse("10.1.2.3/24", &c->res.ips[0].family, c->res.ips[0].addr,
			  &c->res.ips[0].prefixlen, NULL, 0);
	c->res.ips[0].iface = -1;
	c->res.n_ips = 1;
	return 0;
}

static int fake_del(struct cni_call *c, struct cni_err *err)
{
	struct fake *f = c->ctx;

	trace(f, 'D');
	if (f->handler_r < 0)
		return err_set(err, f->handler_r, RDMANET_ERR_LINK, NULL, "del failed");
	return 0;
}

/* the only way to the fake's state from a subcommand, which takes no ctx */
static struct fake *sub_fake;

static int fake_sub(int argc, char **argv)
{
	sub_fake->sub_argc = argc;
	(void) snprintf(sub_fake->sub_argv0, sizeof(sub_fake->sub_argv0), "%s", argv[0]);
	trace(sub_fake, 'S');
	return 7;
}

static const struct cni_subcommand fake_subcommands[] = { { "sub", fake_sub }, { NULL } };

/* No check, status or gc: those are "unsupported CNI_COMMAND". */
static const struct cni_plugin fake_plugin = {
	.name = "fake",
	.subcommands = fake_subcommands,
	.load = fake_load,
	.unload = fake_unload,
	.add = fake_add,
	.del = fake_del,
};

static void env_for(const char *cmd)
{
	if (cmd)
		(void) setenv("CNI_COMMAND", cmd, 1);
	else
		(void) unsetenv("CNI_COMMAND");
	(void) setenv("CNI_CONTAINERID", "c1", 1);
	(void) setenv("CNI_NETNS", "/run/netns/none", 1);
	(void) setenv("CNI_IFNAME", "net1", 1);
	(void) setenv("CNI_PATH", "/opt/cni/bin", 1);
	(void) unsetenv("CNI_ARGS");
}

static char *slurp(FILE *f)
{
	long n = ftell(f);
	char *s = calloc(1, n + 1);

	rewind(f);
	if (!s || fread(s, 1, n, f) != (size_t) n)
		abort();
	(void) fclose(f);
	return s;
}

/* What the last invoke() logged on stderr. */
static char *logged;

/* Runs cni_plugin_main with in on stdin; what it printed is returned in out (malloc'd). */
static int invoke(const char *in, int argc, char **argv, struct fake *f, char **out)
{
	FILE *fin = tmpfile(), *fout = tmpfile(), *ferr = tmpfile();
	int saved_in = dup(STDIN_FILENO), saved_out = dup(STDOUT_FILENO);
	int saved_err = dup(STDERR_FILENO);
	int r;

	if (!fin || !fout || !ferr || saved_in < 0 || saved_out < 0 || saved_err < 0)
		abort();
	(void) fputs(in, fin);
	(void) fflush(fin);
	rewind(fin);
	(void) fflush(stdout);
	if (dup2(fileno(fin), STDIN_FILENO) < 0 || dup2(fileno(fout), STDOUT_FILENO) < 0 ||
	    dup2(fileno(ferr), STDERR_FILENO) < 0)
		abort();
	sub_fake = f;
	r = cni_plugin_main(argc, argv, &fake_plugin, f);
	(void) fflush(stdout);
	(void) dup2(saved_in, STDIN_FILENO);
	(void) dup2(saved_out, STDOUT_FILENO);
	(void) dup2(saved_err, STDERR_FILENO);
	(void) close(saved_in);
	(void) close(saved_out);
	(void) close(saved_err);
	(void) fclose(fin);
	*out = slurp(fout);
	free(logged);
	logged = slurp(ferr);
	return r;
}

static char *argv_plain[] = { "fake", NULL };

/* The printed JSON's field key: a number as text, a string as it is; "" when absent. */
static const char *json_field(const char *out, const char *key)
{
	static char buf[256];
	cJSON *j = cJSON_Parse(out), *v = cJSON_GetObjectItemCaseSensitive(j, key);

	buf[0] = '\0';
	if (cJSON_IsNumber(v))
		(void) snprintf(buf, sizeof(buf), "%d", v->valueint);
	else if (cJSON_IsString(v))
		(void) snprintf(buf, sizeof(buf), "%s", v->valuestring);
	cJSON_Delete(j);
	return buf;
}

static void test_subcommand(void)
{
	char *argv[] = { "fake", "sub", "--x", NULL };
	struct fake f = { 0 };
	char *out;

	env_for("ADD");
	CHECK_INT(invoke("", 3, argv, &f, &out), 7);
	CHECK_STR(f.trace, "S");
	CHECK_INT(f.sub_argc, 2);
	CHECK_STR(f.sub_argv0, "sub");
	CHECK_STR(out, "");
	CHECK_STR(logged, "");
	free(out);
}

static void test_not_a_subcommand(void)
{
	char *argv[] = { "fake", "other", NULL };
	struct fake f = { 0 };
	char *out;

	/* any other word is no subcommand: the CNI command runs as usual */
	env_for("DEL");
	CHECK_INT(invoke("{}", 2, argv, &f, &out), 0);
	CHECK_STR(f.trace, "LDU");
	free(out);
}

static void test_version(void)
{
	struct fake f = { 0 };
	char *out;

	env_for("VERSION");
	CHECK_INT(invoke("{\"cniVersion\":\"1.0.0\"}", 1, argv_plain, &f, &out), 0);
	CHECK_STR(f.trace, "");
	CHECK_STR(json_field(out, "cniVersion"), "1.0.0");
	CHECK(strstr(out, "\"supportedVersions\""));
	free(out);
}

static void test_add_prints_result(void)
{
	struct fake f = { 0 };
	char *out;

	env_for("ADD");
	CHECK_INT(invoke("{\"cniVersion\":\"1.0.0\"}", 1, argv_plain, &f, &out), 0);
	CHECK_STR(f.trace, "LAU");
	/* in the version load settled on, not stdin's */
	CHECK_STR(json_field(out, "cniVersion"), "0.4.0");
	CHECK(strstr(out, "10.1.2.3/24"));
	free(out);
}

static void test_del_prints_nothing(void)
{
	struct fake f = { 0 };
	char *out;

	env_for("DEL");
	CHECK_INT(invoke("{\"cniVersion\":\"1.0.0\"}", 1, argv_plain, &f, &out), 0);
	CHECK_STR(f.trace, "LDU");
	CHECK_STR(out, "");
	free(out);
}

static void test_handler_fails(void)
{
	struct fake f = { .handler_r = -EAGAIN };
	char *out;

	env_for("ADD");
	CHECK_INT(invoke("{\"cniVersion\":\"1.0.0\"}", 1, argv_plain, &f, &out), 1);
	CHECK_STR(f.trace, "LAU");
	CHECK_STR(json_field(out, "cniVersion"), "0.4.0");
	CHECK_STR(json_field(out, "code"), "11");
	CHECK_STR(json_field(out, "msg"), "add failed");
	CHECK_STR(json_field(out, "details"), "why");
	CHECK(!strstr(out, "10.1.2.3"));
	/* the same words in the log */
	CHECK(strstr(logged, "error cid=c1 ifname=net1: add failed: why"));
	free(out);
}

static void test_load_fails(void)
{
	struct fake f = { .load_r = -EINVAL };
	char *out;

	/* no handler, but unload all the same */
	env_for("ADD");
	CHECK_INT(invoke("{\"cniVersion\":\"1.0.0\"}", 1, argv_plain, &f, &out), 1);
	CHECK_STR(f.trace, "LU");
	CHECK_STR(json_field(out, "code"), "7");
	CHECK_STR(json_field(out, "msg"), "load failed");
	free(out);
}

static void test_no_handler(void)
{
	struct fake f = { 0 };
	char *out;

	env_for("CHECK");
	CHECK_INT(invoke("{\"cniVersion\":\"1.0.0\"}", 1, argv_plain, &f, &out), 1);
	CHECK_STR(f.trace, "LU");
	CHECK_STR(json_field(out, "code"), "4");
	CHECK_STR(json_field(out, "msg"), "unsupported CNI_COMMAND");
	free(out);
}

static void test_bad_env(void)
{
	struct fake f = { 0 };
	char *out;

	/* before the plugin is asked anything; the error in stdin's version */
	env_for(NULL);
	CHECK_INT(invoke("{\"cniVersion\":\"0.3.1\"}", 1, argv_plain, &f, &out), 1);
	CHECK_STR(f.trace, "");
	CHECK_STR(json_field(out, "cniVersion"), "0.3.1");
	CHECK_STR(json_field(out, "code"), "4");
	CHECK(strstr(json_field(out, "msg"), "CNI_COMMAND is not set"));
	free(out);
}

static void test_record_field(void)
{
	char buf[64] = "", small[16] = "";

	/* plain words bare; spaces, quotes, backslashes and "" quoted and escaped */
	cni_record_field(buf, sizeof(buf), "a", "x-1_2.3:4/5");
	CHECK_STR(buf, " a=x-1_2.3:4/5");
	buf[0] = '\0';
	cni_record_field(buf, sizeof(buf), "msg", "say \"hi\" \\o/");
	CHECK_STR(buf, " msg=\"say \\\"hi\\\" \\\\o/\"");
	buf[0] = '\0';
	cni_record_field(buf, sizeof(buf), "e", "");
	CHECK_STR(buf, " e=\"\"");
	/* a bare value that does not fit is dropped, a quoted one cut and still closed */
	cni_record_field(small, sizeof(small), "k", "0123456789abcdef");
	CHECK_STR(small, "");
	cni_record_field(small, sizeof(small), "m", "a b c d e f g h i");
	CHECK_STR(small, " m=\"a b c d e\"");
}

int main(void)
{
	RUN(test_subcommand);
	RUN(test_not_a_subcommand);
	RUN(test_version);
	RUN(test_add_prints_result);
	RUN(test_del_prints_nothing);
	RUN(test_handler_fails);
	RUN(test_load_fails);
	RUN(test_no_handler);
	RUN(test_bad_env);
	RUN(test_record_field);
	free(logged);
	UNIT_DONE();
}
