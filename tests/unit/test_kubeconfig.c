/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_kubeconfig.c - kubeconfig and in-cluster loading over tests/fixtures/kubeconfig/{good,bad},
 * the YAML reader on libyaml, strict base64, size bounds, and that no secret reaches a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "rdmanet/base64.h"
#include "rdmanet/k8s.h"
#include "rdmanet/yamltree.h"
#include "unit.h"

#define MIN_BAD_FIXTURES 40
#define YAML_TEST_KEYS   4096

/* the PEM the fixtures carry (fake bodies: only the framing is checked) */
#define CA  "-----BEGIN CERTIFICATE-----\nRklYVFVSRS1DQS1DRVJU\n-----END CERTIFICATE-----\n"
#define CA2 "-----BEGIN CERTIFICATE-----\nRklYVFVSRS1DQTItQ0VSVA==\n-----END CERTIFICATE-----\n"
#define CRT "-----BEGIN CERTIFICATE-----\nRklYVFVSRS1DTElFTlQtQ0VSVA==\n-----END CERTIFICATE-----\n"
#define KEY "-----BEGIN PRIVATE KEY-----\nU0VDUkVULUtFWS1NQVRFUklBTA==\n-----END PRIVATE KEY-----\n"
#define CA_B64                                                                                     \
	"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tClJrbFlWRlZTUlMxRFFTMURSVkpVCi0tLS0tRU5EIENFUlRJRklD" \
	"QVRFLS0tLS0K"

static char fixtures[PATH_MAX]; /* absolute .../tests/fixtures/kubeconfig */
static char tmp[PATH_MAX];      /* a scratch directory, removed at the end */

/* No message may carry a secret: the fixtures' tokens, passwords and keys all hold "SECRET". */
static void no_secrets(const struct cni_err *e, const char *what)
{
	if (strstr(e->msg, "SECRET") || strstr(e->details, "SECRET")) {
		printf("  %s: a secret leaked into the error: '%s' / '%s'\n", what, e->msg,
		       e->details);
		unit_cur_failed = 1;
	}
}

static int load(const char *rel, struct k8s_config *c, struct cni_err *e)
{
	char path[PATH_MAX + 64];

	memset(e, 0, sizeof(*e));
	(void) snprintf(path, sizeof(path), "%s/%s", fixtures, rel);
	return k8s_kubeconfig_load(path, c, e);
}

static void write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, text, len) == (ssize_t) len);
	(void) close(fd);
}

static void fails_with(int r, const struct cni_err *e, int want_r, int code, const char *needle)
{
	CHECK_INT(r, want_r);
	CHECK_INT(e->code, code);
	if (!strstr(e->msg, needle)) {
		printf("  msg '%s' lacks '%s'\n", e->msg, needle);
		unit_cur_failed = 1;
	}
	no_secrets(e, needle);
}

/* ------------------------------------------------------------------------------------ base64 */

static void b64_ok(const char *in, const char *want, size_t want_len)
{
	char *out = (char *) 1;
	size_t len = 99;
	int r = base64_decode(in, strlen(in), &out, &len);

	CHECK_INT(r, 0);
	if (r == 0) {
		CHECK_INT(len, want_len);
		CHECK(!memcmp(out, want, want_len));
		CHECK_INT(out[len], 0);
	}
	free(out);
}

static void b64_bad(const char *in)
{
	char *out = (char *) 1;
	size_t len = 99;
	int r = base64_decode(in, strlen(in), &out, &len);

	if (r != -EINVAL)
		printf("  base64 '%s' was accepted\n", in);
	CHECK_INT(r, -EINVAL);
	CHECK(out == NULL);
	CHECK_INT(len, 0);
}

static void test_base64_rfc4648_vectors(void)
{
	b64_ok("", "", 0);
	b64_ok("Zg==", "f", 1);
	b64_ok("Zm8=", "fo", 2);
	b64_ok("Zm9v", "foo", 3);
	b64_ok("Zm9vYg==", "foob", 4);
	b64_ok("Zm9vYmE=", "fooba", 5);
	b64_ok("Zm9vYmFy", "foobar", 6);
	b64_ok("AP8=", "\x00\xff", 2);
	b64_ok("+/+/", "\xfb\xff\xbf", 3);
}

static void test_base64_all_bytes_round_trip(void)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char raw[256];
	char enc[400], *out = NULL;
	size_t o = 0, len = 0;

	for (int i = 0; i < 256; i++)
		raw[i] = (unsigned char) (255 - i);
	for (size_t i = 0; i < sizeof(raw); i += 3) {
		unsigned w = (unsigned) raw[i] << 16 | (i + 1 < sizeof(raw) ? raw[i + 1] << 8 : 0) |
			     (i + 2 < sizeof(raw) ? raw[i + 2] : 0);

		enc[o++] = abc[w >> 18 & 63];
		enc[o++] = abc[w >> 12 & 63];
		enc[o++] = i + 1 < sizeof(raw) ? abc[w >> 6 & 63] : '=';
		enc[o++] = i + 2 < sizeof(raw) ? abc[w & 63] : '=';
	}
	enc[o] = '\0';
	CHECK_INT(base64_decode(enc, o, &out, &len), 0);
	CHECK_INT(len, 256);
	CHECK(out && !memcmp(out, raw, 256));
	free(out);
}

static void test_base64_rejects(void)
{
	b64_bad("Zg"); /* length not a multiple of 4 */
	b64_bad("Zg=");
	b64_bad("Zm9vY");
	b64_bad("Z==="); /* three pads */
	b64_bad("====");
	b64_bad("Zg=a"); /* pad in the middle */
	b64_bad("Z=g=");
	b64_bad("Zm9v===="); /* pad quad after data */
	b64_bad("Zg==Zm9v"); /* pad before the end */
	b64_bad("Zh==");     /* nonzero unused bits: 'h' = 100001 */
	b64_bad("Zm9=");     /* '9' = 111101 */
	b64_bad("Zm9v\n");   /* whitespace */
	b64_bad("Zm9v Zm9v");
	b64_bad(" Zm9v");
	b64_bad("Zm-_"); /* the URL-safe alphabet is not base64 */
	b64_bad("Zm9*");
	b64_bad("Zm\x80v");
}

/* ---------------------------------------------------------------------------------- YAML */

static void yaml_ok(const char *text, const char *want)
{
	char why[256] = "untouched";
	cJSON *j = NULL;
	char *s;
	int r = yamltree_parse(text, strlen(text), &j, why, sizeof(why));

	if (r < 0) {
		printf("  yaml '%s': %d %s\n", text, r, why);
		unit_cur_failed = 1;
		return;
	}
	CHECK_STR(why, "");
	s = cJSON_PrintUnformatted(j);
	if (!s || strcmp(s, want)) {
		printf("  yaml '%s' gave %s, want %s\n", text, s ? s : "(null)", want);
		unit_cur_failed = 1;
	}
	free(s);
	cJSON_Delete(j);
}

static void yaml_len_bad(const char *text, size_t len, const char *needle)
{
	char why[256] = "";
	cJSON *j = (cJSON *) 1;
	int r = yamltree_parse(text, len, &j, why, sizeof(why));

	if (r != -EINVAL || !strstr(why, needle)) {
		printf("  yaml '%.60s': r=%d why='%s', want '%s'\n", text, r, why, needle);
		unit_cur_failed = 1;
	}
	CHECK(j == NULL);
}

static void yaml_bad(const char *text, const char *needle)
{
	yaml_len_bad(text, strlen(text), needle);
}

static void test_yaml_structure(void)
{
	yaml_ok("a: b", "{\"a\":\"b\"}");
	yaml_ok("a: b\nc: d\n", "{\"a\":\"b\",\"c\":\"d\"}");
	yaml_ok("a:\n  b:\n    c: d\n  e: f\ng: h\n",
		"{\"a\":{\"b\":{\"c\":\"d\"},\"e\":\"f\"},\"g\":\"h\"}");
	/* kubectl's sequences sit at the key's column; others indent them */
	yaml_ok("a:\n- x\n- y\nb: 1\n", "{\"a\":[\"x\",\"y\"],\"b\":\"1\"}");
	yaml_ok("a:\n  - x\n  - y\nb: 1\n", "{\"a\":[\"x\",\"y\"],\"b\":\"1\"}");
	yaml_ok("l:\n- name: a\n  v:\n    k: 1\n- name: b\n",
		"{\"l\":[{\"name\":\"a\",\"v\":{\"k\":\"1\"}},{\"name\":\"b\"}]}");
	yaml_ok("- a\n- b\n", "[\"a\",\"b\"]");
	yaml_ok("- - a\n  - b\n- c\n", "[[\"a\",\"b\"],\"c\"]");
	yaml_ok("-\n- a\n-\n", "[null,\"a\",null]");
	yaml_ok("-\n  a: 1\n", "[{\"a\":\"1\"}]");
	yaml_ok("- a:\n  - 1\n  b: 2\n", "[{\"a\":[\"1\"],\"b\":\"2\"}]");
	yaml_ok("a:\n  b\n", "{\"a\":\"b\"}");
	yaml_ok("a:\nb:\n", "{\"a\":null,\"b\":null}");
	yaml_ok("  a: 1\n  b: 2\n", "{\"a\":\"1\",\"b\":\"2\"}"); /* a top node may be indented */
	yaml_ok("just a scalar", "\"just a scalar\"");
	yaml_ok("", "null");
	yaml_ok("# only a comment\n\n   \n", "null");
}

static void test_yaml_scalars(void)
{
	yaml_ok("a: b # comment", "{\"a\":\"b\"}");
	yaml_ok("a: b#c", "{\"a\":\"b#c\"}");
	yaml_ok("a:    spaced out   ", "{\"a\":\"spaced out\"}");
	yaml_ok("server: https://10.0.0.1:6443", "{\"server\":\"https://10.0.0.1:6443\"}");
	yaml_ok("a: b:c", "{\"a\":\"b:c\"}");
	yaml_ok("a b: c d", "{\"a b\":\"c d\"}");
	yaml_ok("a: -1", "{\"a\":\"-1\"}");
	yaml_ok("a: 1.5e3",
		"{\"a\":\"1.5e3\"}");         /* numbers stay text: no kubeconfig field is one */
	yaml_ok("a: yes", "{\"a\":\"yes\"}"); /* YAML 1.2: only true/false are booleans */
	yaml_ok("a: true\nb: True\nc: TRUE\nd: false\ne: False\nf: FALSE",
		"{\"a\":true,\"b\":true,\"c\":true,\"d\":false,\"e\":false,\"f\":false}");
	yaml_ok("a: ~\nb: null\nc: Null\nd: NULL\ne:",
		"{\"a\":null,\"b\":null,\"c\":null,\"d\":null,\"e\":null}");
	yaml_ok("a: \"true\"\nb: 'null'", "{\"a\":\"true\",\"b\":\"null\"}");
	yaml_ok("a: {}\nb: []\nc: { }\nd: [ ]  # empty", "{\"a\":{},\"b\":[],\"c\":{},\"d\":[]}");
	yaml_ok("a: 'it''s'", "{\"a\":\"it's\"}");
	yaml_ok("a: ''\nb: \"\"", "{\"a\":\"\",\"b\":\"\"}");
	yaml_ok("a: \"x: y # z\"", "{\"a\":\"x: y # z\"}");
	yaml_ok("a: 'x: y # z'   # c", "{\"a\":\"x: y # z\"}");
	yaml_ok("\"a:b\": c\n'd e': f", "{\"a:b\":\"c\",\"d e\":\"f\"}");
	yaml_ok("\"k\" : v", "{\"k\":\"v\"}");
	/* every escape Go's emitter writes */
	yaml_ok("a: \"\\t\\n\\r\\\\\\\"\\/\\ \\e\\a\\b\\v\\f\"",
		"{\"a\":\"\\t\\n\\r\\\\\\\"/ \\u001b\\u0007\\b\\u000b\\f\"}");
	yaml_ok("a: \"\\x41\\u00e9\\U0001F600\\N\\_\\L\\P\"",
		"{\"a\":\"A\xc3\xa9\xf0\x9f\x98\x80\xc2\x85\xc2\xa0\xe2\x80\xa8\xe2\x80\xa9\"}");
	yaml_ok("a: \"\\L\\L\\L\\L\"",
		"{\"a\":\"\xe2\x80\xa8\xe2\x80\xa8\xe2\x80\xa8\xe2\x80\xa8\"}");
	yaml_ok("a: \"tab\there\"", "{\"a\":\"tab\\there\"}");
}

static void test_yaml_documents(void)
{
	yaml_ok("---\na: 1\n", "{\"a\":\"1\"}");
	yaml_ok("# c\n--- # c\na: 1\n", "{\"a\":\"1\"}");
	yaml_ok("\xef\xbb\xbf"
		"a: 1\n",
		"{\"a\":\"1\"}");
	yaml_ok("a: 1\r\nb:\r\n  - 2\r\n", "{\"a\":\"1\",\"b\":[\"2\"]}");
	yaml_ok("a: 1", "{\"a\":\"1\"}");                     /* no final newline */
	yaml_ok("a: 1\rb: 2\r", "{\"a\":\"1\",\"b\":\"2\"}"); /* old Mac line ends */
	yaml_ok("%YAML 1.1\n--- # c\na: 1\n...\n# after the end\n", "{\"a\":\"1\"}");
	yaml_ok("--- a\n", "\"a\"");
	/* JSON is YAML (its numbers stay text, as plain scalars do) */
	yaml_ok("  {\"a\": [1, {\"b\": null}], \"c\": true}\n",
		"{\"a\":[\"1\",{\"b\":null}],\"c\":true}");
	yaml_ok("\xef\xbb\xbf{\"a\":\"b\"}", "{\"a\":\"b\"}");
}

/* YAML that kubectl reads and the old hand-written reader refused */
static void test_yaml_flow_and_more(void)
{
	/* flow collections: the "context: {cluster: c, user: u}" */
	yaml_ok("context: {cluster: c, user: u}",
		"{\"context\":{\"cluster\":\"c\",\"user\":\"u\"}}");
	yaml_ok("clusters: [{name: a, cluster: {server: 'https://h:6443'}}]",
		"{\"clusters\":[{\"name\":\"a\",\"cluster\":{\"server\":\"https://h:6443\"}}]}");
	yaml_ok("a: [x, \"y\", 'z', [], {}, ~, true]",
		"{\"a\":[\"x\",\"y\",\"z\",[],{},null,true]}");
	yaml_ok("a: {b: [1,\n  2], c: {d: e}\n  }\n",
		"{\"a\":{\"b\":[\"1\",\"2\"],\"c\":{\"d\":\"e\"}}}");
	yaml_ok("- {a: 1}\n- [b]\n", "[{\"a\":\"1\"},[\"b\"]]");
	yaml_ok("{a: 1, b: [x]}", "{\"a\":\"1\",\"b\":[\"x\"]}"); /* '{' first, not JSON */
	/* block scalars, multi-line plain and quoted scalars */
	yaml_ok("a: |\n  x\n  y\nb: 1\n", "{\"a\":\"x\\ny\\n\",\"b\":\"1\"}");
	yaml_ok("a: |-\n  x\n", "{\"a\":\"x\"}");
	yaml_ok("a: >\n  x\n  y\n", "{\"a\":\"x y\\n\"}");
	yaml_ok("a: b\n  c\n", "{\"a\":\"b c\"}");
	yaml_ok("a: \"b\\\n  c\"\n", "{\"a\":\"bc\"}");
	/* anchors and aliases: an alias is a copy */
	yaml_ok("a: &x b\nc: *x\n", "{\"a\":\"b\",\"c\":\"b\"}");
	yaml_ok("a: &m {k: v}\nb: *m\n", "{\"a\":{\"k\":\"v\"},\"b\":{\"k\":\"v\"}}");
	yaml_ok("a: &x 1\nb: &x 2\nc: *x\n",
		"{\"a\":\"1\",\"b\":\"2\",\"c\":\"2\"}"); /* the latest */
	yaml_ok("- &s [a, &t b]\n- *s\n- *t\n", "[[\"a\",\"b\"],[\"a\",\"b\"],\"b\"]");
	/* tags: strings only */
	yaml_ok("a: !!str true\nb: ! null\nc: !!str\n",
		"{\"a\":\"true\",\"b\":\"null\",\"c\":\"\"}");
	yaml_ok("a: !!map {b: c}\nd: !!seq [e]\n", "{\"a\":{\"b\":\"c\"},\"d\":[\"e\"]}");
	/* tabs separate in flow context and inside values */
	yaml_ok("a: b\tc\n", "{\"a\":\"b\\tc\"}");
	yaml_ok("{\n\t\"a\": 1\n}\n", "{\"a\":\"1\"}");
	/* complex keys, when they are strings */
	yaml_ok("? a\n: b\n", "{\"a\":\"b\"}");
}

static void test_yaml_rejects(void)
{
	char deep[8192], many[YAML_TEST_KEYS * 12 + 16];
	size_t o = 0, last = 0;

	/* libyaml's messages, with line and column */
	yaml_bad("a: b\n\tc: d\n",
		 "line 2, column 1: found a tab character that violates indentation");
	yaml_bad("a:\n  \tb: 1\n",
		 "line 2, column 3: found character that cannot start any token, while scanning "
		 "for the next token from line 2 (a tab: YAML indents and separates with spaces)");
	yaml_bad("-\ta\n", "line 1, column 2: found character that cannot start any token");
	yaml_bad("a:\n  b: 1\n   c: 2\n",
		 "line 3, column 5: mapping values are not allowed in this context");
	yaml_bad("a: b: c\n", "line 1, column 5: mapping values are not allowed");
	yaml_bad("a: \"b\n", "line 2, column 1: found unexpected end of stream, while scanning a "
			     "quoted scalar from line 1");
	yaml_bad("a: 'b\n", "found unexpected end of stream, while scanning a quoted scalar");
	yaml_bad("a: \"\\q\"\n", "line 1, column 5: found unknown escape character");
	yaml_bad(": b\n", "line 1, column 1: did not find expected key");
	yaml_bad("a: \"\\x4\"\n", "did not find expected hexdecimal number");
	yaml_bad("a: \"\\ud800\"\n", "found invalid Unicode character escape code");
	yaml_bad("a: b\n- c\n", "line 2, column 1: did not find expected key");
	yaml_bad("- a\nb: c\n", "line 2, column 1: did not find expected '-' indicator");
	yaml_bad("a: [\n", "line 2, column 1: did not find expected node content, while parsing a "
			   "flow node from line 2");
	yaml_bad("a: {b: c\n",
		 "did not find expected ',' or '}', while parsing a flow mapping from line 1");
	yaml_bad("a: {} x\n", "line 1, column 7: did not find expected key");
	yaml_bad("a: @b\n", "line 1, column 4: found character that cannot start any token");
	yaml_bad("a: |\n  x\n y\n", "line 3, column 2");
	yaml_bad("{\"a\": 1} x", "line 1, column 10: did not find expected <document start>");
	yaml_bad("%FOO bar\n---\na: 1\n", "line 1, column 5: found unknown directive name");
	yaml_bad("a: 1\x01\n", "line 1: control characters are not allowed (0x01)");
	yaml_bad("a: 1\n\x7f\n", "line 2: control characters are not allowed (0x7f)");
	yaml_len_bad("a: 1\n\0b: 2\n", 11, "line 2: control characters are not allowed (0x00)");
	yaml_bad("a: \xff\n", "line 1: invalid leading UTF-8 octet (0xff)");
	/* ours */
	yaml_bad("a: \"\\0\"\n", "line 1: NUL character in a string");
	yaml_bad("a: \"\\x00\"\n", "line 1: NUL character in a string");
	yaml_bad("\"a\\0b\": 1\n", "line 1: NUL character in a key");
	yaml_bad("a: 1\nb: 2\na: 3\n", "line 3: duplicate key 'a'");
	yaml_bad("{\"a\": 1, \"a\": 2}", "line 1: duplicate key 'a'");
	yaml_bad("a: {b: 1, c: {d: 1, d: 2}}", "line 1: duplicate key 'd'");
	yaml_bad("---\na: 1\n---\nb: 2\n", "line 3: a second document ('---') is not supported");
	yaml_bad("a: 1\n...\nb: 2\n", "line 3, column 1: did not find expected <document start>");
	yaml_bad("a: 1\n...\n---\nb: 2\n", "line 3: a second document ('---') is not supported");
	yaml_bad("a: *x\n", "line 1: alias '*x' has no anchor '&x' before it");
	yaml_bad("a: *x\nb: &x 1\n", "line 1: alias '*x' has no anchor '&x' before it");
	yaml_bad("a: &x [b, *x]\n", "line 1: alias '*x' refers to a node that contains it");
	yaml_bad("a: &x {b: {c: *x}}\n", "line 1: alias '*x' refers to a node that contains it");
	yaml_bad("&x a: b\n", "line 1: an anchor on a key is not supported");
	yaml_bad("a: &x b\n*x : c\n", "line 2: an alias as a key is not supported");
	yaml_bad("a: &x {k: v}\nb:\n  <<: *x\n", "line 3: merge keys ('<<') are not supported");
	yaml_bad("? [a]\n: b\n", "line 1: a key must be a string, not a list");
	yaml_bad("{a: 1}: b\n", "line 1: a key must be a string, not a mapping");
	yaml_bad("a: !!int 1\n", "line 1: tag 'tag:yaml.org,2002:int' is not supported");
	yaml_bad("a: !local x\n", "line 1: tag '!local' is not supported");
	yaml_bad("a: !!seq {b: c}\n", "line 1: tag 'tag:yaml.org,2002:seq' is not supported");
	yaml_bad("!!binary a: b\n", "line 1: tag 'tag:yaml.org,2002:binary' is not supported");
	/* nesting is bounded, in block and in flow style */
	for (int i = 0; i < 40; i++)
		o += (size_t) snprintf(deep + o, sizeof(deep) - o, "%*sk:\n", i * 2, "");
	(void) snprintf(deep + o, sizeof(deep) - o, "%*sv\n", 80, "");
	yaml_bad(deep, "line 33: nested deeper than 32 levels");
	o = 0;
	for (int i = 0; i < 100; i++)
		o += (size_t) snprintf(deep + o, sizeof(deep) - o, "- ");
	(void) snprintf(deep + o, sizeof(deep) - o, "x\n");
	yaml_bad(deep, "nested deeper than 32 levels");
	memset(deep, '[', 3000);
	deep[3000] = '\0';
	yaml_bad(deep, "line 1: nested deeper than 32 levels");
	memset(deep, '[', 32);
	memset(deep + 32, ']', 32);
	deep[64] = '\0';
	yaml_ok(deep,
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"); /* 32: fine */
	/* so are the keys of one mapping (duplicate detection is linear) */
	o = 0;
	for (int i = 0; i <= YAML_TEST_KEYS; i++) {
		last = o;
		o += (size_t) snprintf(many + o, sizeof(many) - o, "k%d: v\n", i);
	}
	yaml_bad(many, "line 4097: more than 4096 keys in one mapping");
	many[last] = '\0'; /* exactly 4096 keys: fine */
	{
		cJSON *j = NULL;

		CHECK_INT(yamltree_parse(many, strlen(many), &j, NULL, 0), 0);
		CHECK_INT(cJSON_GetArraySize(j), YAML_TEST_KEYS);
		cJSON_Delete(j);
	}
}

/* Aliases are copies, bounded in number of values, bytes of text and anchors ("billion laughs"). */
static void test_yaml_alias_bounds(void)
{
	static char text[64 * 1024];
	size_t o = 0;

	/* 10 levels of 10 aliases each: 10^10 values if expanded; refused early, and quickly */
	o += (size_t) snprintf(text + o, sizeof(text) - o,
			       "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (int i = 1; i < 10; i++) {
		o += (size_t) snprintf(text + o, sizeof(text) - o, "l%d: &l%d [", i, i);
		for (int j = 0; j < 10; j++)
			o += (size_t) snprintf(text + o, sizeof(text) - o, "%s*l%d", j ? ", " : "",
					       i - 1);
		o += (size_t) snprintf(text + o, sizeof(text) - o, "]\n");
	}
	yaml_bad(text, "line 5: aliases expand to more than 16384 values");
	/* few values, long text: 2000 copies of 2 KiB */
	o = (size_t) snprintf(text, sizeof(text), "s: &s ");
	memset(text + o, 'y', 2048);
	o += 2048;
	o += (size_t) snprintf(text + o, sizeof(text) - o, "\nl: &l [");
	for (int j = 0; j < 100; j++)
		o += (size_t) snprintf(text + o, sizeof(text) - o, "%s*s", j ? ", " : "");
	o += (size_t) snprintf(text + o, sizeof(text) - o, "]\nm: [");
	for (int j = 0; j < 20; j++)
		o += (size_t) snprintf(text + o, sizeof(text) - o, "%s*l", j ? ", " : "");
	(void) snprintf(text + o, sizeof(text) - o, "]\n");
	yaml_bad(text, "line 3: aliases expand to more than 1048576 bytes of text");
	/* anchors: 256 are fine, 257 are not */
	o = 0;
	for (int i = 0; i < 256; i++)
		o += (size_t) snprintf(text + o, sizeof(text) - o, "- &a%d x\n", i);
	o += (size_t) snprintf(text + o, sizeof(text) - o, "- *a255\n- &a0 y\n");
	{
		cJSON *j = NULL;

		CHECK_INT(yamltree_parse(text, strlen(text), &j, NULL, 0), 0);
		CHECK_INT(cJSON_GetArraySize(j), 258);
		cJSON_Delete(j);
	}
	(void) snprintf(text + o, sizeof(text) - o, "- &a256 z\n");
	yaml_bad(text, "line 259: more than 256 anchors");
	/* and all values, copies or not: a list and 131071 entries fit, one more does not */
	{
		size_t n = 131071, len = 2 * n + 2;
		char *big = malloc(len + 3);
		cJSON *j = NULL;

		CHECK(big != NULL);
		if (!big)
			return;
		big[0] = '[';
		for (size_t i = 0; i < n; i++)
			memcpy(big + 1 + 2 * i, "a,", 2);
		memcpy(big + len - 1, "]", 2);
		CHECK_INT(yamltree_parse(big, strlen(big), &j, NULL, 0), 0);
		CHECK_INT(cJSON_GetArraySize(j), n);
		cJSON_Delete(j);
		memcpy(big + len - 1, "a]", 3);
		yaml_bad(big, "line 1: more than 131072 values");
		free(big);
	}
}

/* ---------------------------------------------------------------------------- good fixtures */

static void test_good_kind(void)
{
	struct k8s_config c;
	struct cni_err e;

	CHECK_INT(load("good/kind.yaml", &c, &e), 0);
	CHECK_STR(c.server, "https://127.0.0.1:40123");
	CHECK_STR(c.namespace_, "");
	CHECK_STR(c.ca_pem, CA);
	CHECK_STR(c.cert_pem, CRT);
	CHECK_STR(c.key_pem, KEY);
	CHECK(c.token == NULL);
	CHECK(!c.insecure);
	CHECK_INT(e.code, 0);
	k8s_config_free(&c);
	CHECK(!c.ca_pem && !c.cert_pem && !c.key_pem && !c.token && !c.server[0]);
}

static void test_good_multi_context(void)
{
	struct k8s_config c;
	struct cni_err e;

	/* the unused context, cluster and user (an exec plugin) are never looked at */
	CHECK_INT(load("good/multi.yaml", &c, &e), 0);
	CHECK_STR(c.server, "https://api.example.test:6443/k8s/clusters/c-1");
	CHECK_STR(c.namespace_, "team-a");
	CHECK_STR(c.ca_pem, CA2);
	CHECK_STR(c.token, "SECRET-TOKEN-prod.abc_DEF-123");
	CHECK(!c.cert_pem && !c.key_pem && !c.insecure);
	k8s_config_free(&c);
}

static void test_good_relative_files(void)
{
	struct k8s_config c;
	struct cni_err e;

	CHECK_INT(load("good/files/kubeconfig", &c, &e), 0);
	CHECK_STR(c.server, "https://[fd00::10]:6443");
	CHECK_STR(c.ca_pem, CA);
	CHECK_STR(c.cert_pem, CRT);
	CHECK_STR(c.key_pem, KEY);
	CHECK_STR(c.token, "SECRET-TOKEN-from-file"); /* spaces and newline trimmed */
	CHECK_STR(c.namespace_, "");
	k8s_config_free(&c);
}

static void test_good_json(void)
{
	struct k8s_config c;
	struct cni_err e;

	CHECK_INT(load("good/json.json", &c, &e), 0);
	CHECK_STR(c.server, "https://10.0.0.1");
	CHECK_STR(c.namespace_, "kube-system");
	CHECK_STR(c.ca_pem, CA);
	CHECK_STR(c.token, "SECRET-TOKEN-json");
	CHECK(!c.cert_pem && !c.key_pem && !c.insecure);
	k8s_config_free(&c);
}

static void test_good_quoted_insecure(void)
{
	struct k8s_config c;
	struct cni_err e;

	CHECK_INT(load("good/quoted.yaml", &c, &e), 0);
	CHECK_STR(c.server, "http://127.0.0.1:8080");
	CHECK(c.insecure);
	CHECK_STR(c.namespace_, "");
	CHECK_STR(c.token, "SECRET-TOKEN-\"quoted\"!");
	CHECK(!c.ca_pem && !c.cert_pem && !c.key_pem);
	k8s_config_free(&c);
}

static void test_good_crlf_no_user(void)
{
	struct k8s_config c;
	struct cni_err e;

	CHECK_INT(load("good/crlf.yaml", &c, &e), 0);
	CHECK_STR(c.server, "https://h.example.test");
	CHECK(!c.token && !c.ca_pem && !c.cert_pem && !c.key_pem && !c.insecure);
	k8s_config_free(&c);
}

/* kubectl config view --raw: sorted keys, "- cluster:" before "name:", extensions, two of each */
static void test_good_kubectl_view(void)
{
	struct k8s_config c;
	struct cni_err e;

	CHECK_INT(load("good/kubectl-view.yaml", &c, &e), 0);
	CHECK_STR(c.server, "https://10.96.0.1:443");
	CHECK_STR(c.namespace_, "rdma-system");
	CHECK_STR(c.ca_pem, CA);
	CHECK_STR(c.token,
		  "SECRET-TOKEN-eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW0ifQ.c2ln");
	CHECK(!c.cert_pem && !c.key_pem && !c.insecure);
	k8s_config_free(&c);
}

static void test_good_kind_get(void)
{
	struct k8s_config c;
	struct cni_err e;

	CHECK_INT(load("good/kind-get.yaml", &c, &e), 0);
	CHECK_STR(c.server, "https://127.0.0.1:36539");
	CHECK_STR(c.ca_pem, CA);
	CHECK_STR(c.cert_pem, CRT);
	CHECK_STR(c.key_pem, KEY);
	CHECK(!c.token);
	k8s_config_free(&c);
}

/* a cloud cluster's ServiceAccount kubeconfig: indented sequences, everything quoted */
static void test_good_cloud_token(void)
{
	struct k8s_config c;
	struct cni_err e;

	CHECK_INT(load("good/cloud-token.yaml", &c, &e), 0);
	CHECK_STR(c.server,
		  "https://0123456789ABCDEF0123456789ABCDEF.gr7.eu-west-1.eks.example.test");
	CHECK_STR(c.namespace_, "kube-system");
	CHECK_STR(c.ca_pem, CA);
	CHECK_STR(c.token,
		  "SECRET-TOKEN-eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJrdWJlcm5ldGVzIn0.c2lnbmF0dXJl");
	k8s_config_free(&c);
}

/* the issue: flow mappings and sequences, as kubectl reads them */
static void test_good_flow(void)
{
	struct k8s_config c;
	struct cni_err e;

	CHECK_INT(load("good/flow-context.yaml", &c, &e), 0);
	CHECK_STR(c.server, "https://127.0.0.1:6443");
	CHECK_STR(c.token, "SECRET-TOKEN-bad"); /* the old fixture's name for it */
	k8s_config_free(&c);

	CHECK_INT(load("good/flow.yaml", &c, &e), 0);
	CHECK_STR(c.server, "https://b.example.test:6443");
	CHECK_STR(c.namespace_, "team-b");
	CHECK_STR(c.ca_pem, CA);
	CHECK_STR(c.token, "SECRET-TOKEN-flow");
	k8s_config_free(&c);

	CHECK_INT(load("good/flow-document.yaml", &c, &e), 0);
	CHECK_STR(c.server, "https://[fd00::1]:6443");
	CHECK(c.insecure);
	CHECK_STR(c.token, "SECRET-TOKEN-from-file"); /* good/files/token, relative */
	k8s_config_free(&c);

	CHECK_INT(load("good/crlf-flow.yaml", &c, &e), 0);
	CHECK_STR(c.server, "https://crlf.example.test");
	CHECK_STR(c.token, "SECRET-TOKEN-crlf");
	k8s_config_free(&c);
}

/* anchors, aliases, tags, a directive, document markers, comments and quoted scalars */
static void test_good_anchors(void)
{
	struct k8s_config c;
	struct cni_err e;

	CHECK_INT(load("good/anchors.yaml", &c, &e), 0);
	CHECK_STR(c.server, "https://prod.example.test:6443");
	CHECK_STR(c.namespace_, "team-a");
	CHECK_STR(c.ca_pem, CA);
	CHECK_STR(c.token, "SECRET-TOKEN-anchors");
	k8s_config_free(&c);
}

/* base64 wrapped in literal block scalars: line breaks ignored, as client-go does */
static void test_good_block_scalar(void)
{
	struct k8s_config c;
	struct cni_err e;

	CHECK_INT(load("good/block-scalar.yaml", &c, &e), 0);
	CHECK_STR(c.ca_pem, CA);
	CHECK_STR(c.cert_pem, CRT);
	CHECK_STR(c.key_pem, KEY);
	k8s_config_free(&c);
	/* but nothing else: a folded scalar's spaces are not base64 */
	{
		static const char text[] =
			"clusters:\n- name: c\n  cluster:\n    server: https://h\n"
			"    certificate-authority-data: >\n      LS0t\n      LS0t\n"
			"contexts:\n- name: x\n  context:\n    cluster: c\ncurrent-context: x\n";

		memset(&e, 0, sizeof(e));
		fails_with(k8s_kubeconfig_parse(text, strlen(text), NULL, &c, &e), &e, -EINVAL,
			   CNI_ERR_INVALID_CONFIG,
			   "'certificate-authority-data' is not valid base64");
	}
}

/* k8s_kubeconfig_parse: relative paths resolve against dir, or the working directory. */
static void test_parse_dir(void)
{
	static const char text[] =
		"clusters:\n- name: c\n  cluster:\n    server: https://h\n    "
		"certificate-authority: pki/ca.crt\n"
		"contexts:\n- name: x\n  context:\n    cluster: c\ncurrent-context: x\n";
	char dir[PATH_MAX + 32], cwd[PATH_MAX];
	struct k8s_config c;
	struct cni_err e = { 0 };

	(void) snprintf(dir, sizeof(dir), "%s/good/files", fixtures);
	CHECK_INT(k8s_kubeconfig_parse(text, strlen(text), dir, &c, &e), 0);
	CHECK_STR(c.ca_pem, CA);
	k8s_config_free(&c);

	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK_INT(chdir(dir), 0);
	CHECK_INT(k8s_kubeconfig_parse(text, strlen(text), NULL, &c, &e), 0);
	CHECK_STR(c.ca_pem, CA);
	k8s_config_free(&c);
	CHECK_INT(chdir(cwd), 0);

	CHECK_INT(k8s_kubeconfig_parse(text, strlen(text), "/nonexistent", &c, &e), -ENOENT);
	CHECK_INT(e.code, CNI_ERR_IO);
	CHECK(strstr(e.msg, "kubeconfig: cluster 'c': cannot read 'certificate-authority' file "
			    "'/nonexistent/pki/ca.crt'") != NULL);
	CHECK_STR(e.details, "No such file or directory");
	CHECK(!c.ca_pem && !c.server[0]); /* nothing half-filled */
}

/* Absolute paths are used as they are, wherever the kubeconfig lives. */
static void test_absolute_paths(void)
{
	char kc[PATH_MAX + 64], text[5 * PATH_MAX];
	struct k8s_config c;
	struct cni_err e = { 0 };

	(void) snprintf(text, sizeof(text),
			"apiVersion: v1\nclusters:\n- name: c\n  cluster:\n    "
			"server: https://h:1\n"
			"    certificate-authority: %s/good/files/pki/ca.crt\n"
			"contexts:\n- name: x\n  context:\n    cluster: c\n    user: "
			"u\ncurrent-context: x\n"
			"users:\n- name: u\n  user:\n    client-certificate: "
			"\"%s/good/files/pki/client.crt\"\n"
			"    client-key: '%s/good/files/pki/client.key'\n    tokenFile: "
			"%s/good/files/token\n",
			fixtures, fixtures, fixtures, fixtures);
	(void) snprintf(kc, sizeof(kc), "%s/abs.yaml", tmp);
	write_file(kc, text, strlen(text));
	CHECK_INT(k8s_kubeconfig_load(kc, &c, &e), 0);
	CHECK_STR(c.ca_pem, CA);
	CHECK_STR(c.cert_pem, CRT);
	CHECK_STR(c.key_pem, KEY);
	CHECK_STR(c.token, "SECRET-TOKEN-from-file");
	k8s_config_free(&c);
}

/* ----------------------------------------------------------------------------- bad fixtures */

struct expect {
	char file[64];
	int code;
	char needle[256];
};

static size_t read_expect(struct expect *ex, size_t max)
{
	char path[PATH_MAX + 16], line[512];
	size_t n = 0;
	FILE *f;

	(void) snprintf(path, sizeof(path), "%s/bad/EXPECT", fixtures);
	f = fopen(path, "r");
	if (!f) {
		printf("  cannot open %s\n", path);
		unit_cur_failed = 1;
		return 0;
	}
	while (fgets(line, sizeof(line), f) && n < max) {
		char *nl = strchr(line, '\n'), *p, *q;

		if (nl)
			*nl = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		p = strchr(line, ' ');
		q = p ? strchr(p + 1, ' ') : NULL;
		if (!p || !q || !q[1] || (size_t) (p - line) >= sizeof(ex[n].file)) {
			printf("  EXPECT: malformed line '%s'\n", line);
			unit_cur_failed = 1;
			continue;
		}
		memset(&ex[n], 0, sizeof(ex[n]));
		memcpy(ex[n].file, line, (size_t) (p - line));
		ex[n].code = atoi(p + 1);
		(void) snprintf(ex[n].needle, sizeof(ex[n].needle), "%s", q + 1);
		n++;
	}
	(void) fclose(f);
	return n;
}

static void test_bad_fixtures(void)
{
	static struct expect ex[128];
	size_t n = read_expect(ex, sizeof(ex) / sizeof(ex[0]));
	char path[PATH_MAX + 80], where[PATH_MAX + 96], dir[PATH_MAX + 16];
	struct dirent_list {
		char name[64];
	} *files = NULL;
	size_t n_files = 0;
	FILE *ls;

	if (n < MIN_BAD_FIXTURES) {
		printf("  only %zu expectations in bad/EXPECT\n", n);
		unit_cur_failed = 1;
	}
	for (size_t i = 0; i < n; i++) {
		struct k8s_config c;
		struct cni_err e = { 0 };
		int r;

		(void) snprintf(path, sizeof(path), "%s/bad/%.63s", fixtures, ex[i].file);
		(void) snprintf(where, sizeof(where), "kubeconfig '%s': ", path);
		memset(&c, 0x5a, sizeof(c)); /* garbage in: must come back zeroed */
		r = k8s_kubeconfig_load(path, &c, &e);
		if (r >= 0 || e.code != ex[i].code || !strstr(e.msg, ex[i].needle) ||
		    strncmp(e.msg, where, strlen(where))) {
			printf("  bad/%s: r=%d code=%d msg='%s'; want code %d and '%s'\n",
			       ex[i].file, r, e.code, e.msg, ex[i].code, ex[i].needle);
			unit_cur_failed = 1;
		}
		no_secrets(&e, ex[i].file);
		CHECK(!c.ca_pem && !c.cert_pem && !c.key_pem && !c.token && !c.server[0] &&
		      !c.insecure);
		k8s_config_free(&c);
	}
	/* every fixture has an expectation */
	(void) snprintf(dir, sizeof(dir), "ls -1 '%s/bad'", fixtures);
	ls = popen(dir, "r");
	CHECK(ls != NULL);
	if (!ls)
		return;
	files = calloc(256, sizeof(*files));
	while (files && n_files < 256 &&
	       fgets(files[n_files].name, sizeof(files[n_files].name), ls)) {
		char *nl = strchr(files[n_files].name, '\n');

		if (nl)
			*nl = '\0';
		if (strcmp(files[n_files].name, "EXPECT") && strcmp(files[n_files].name, "files"))
			n_files++;
	}
	(void) pclose(ls);
	for (size_t i = 0; i < n_files; i++) {
		size_t j;

		for (j = 0; j < n && strcmp(ex[j].file, files[i].name); j++)
			;
		if (j == n) {
			printf("  bad/%s has no line in EXPECT\n", files[i].name);
			unit_cur_failed = 1;
		}
	}
	CHECK_INT(n_files, n);
	free(files);
}

/* ------------------------------------------------------------------------------ size bounds */

static char *kubeconfig_text(const char *user_lines, size_t pad)
{
	static const char head[] =
		"apiVersion: v1\nclusters:\n- name: c\n  cluster:\n    server: https://h\n"
		"contexts:\n- name: x\n  context:\n    cluster: c\n    user: "
		"u\ncurrent-context: x\n"
		"users:\n- name: u\n  user:\n";
	size_t n = strlen(head) + strlen(user_lines);
	char *t = malloc(n + pad + 1);

	if (!t)
		return NULL;
	memcpy(t, head, strlen(head));
	memcpy(t + strlen(head), user_lines, strlen(user_lines));
	/* pad with a comment line up to the wanted size */
	if (pad) {
		memset(t + n, ' ', pad);
		t[n] = '#';
		t[n + pad - 1] = '\n';
	}
	t[n + pad] = '\0';
	return t;
}

static void test_kubeconfig_size_bound(void)
{
	static const char user[] = "    token: SECRET-TOKEN-big\n";
	char path[PATH_MAX + 32];
	struct k8s_config c;
	struct cni_err e = { 0 };
	size_t base;
	char *t;
	int r;

	(void) snprintf(path, sizeof(path), "%s/size.yaml", tmp);
	t = kubeconfig_text(user, 0);
	CHECK(t != NULL);
	if (!t)
		return;
	base = strlen(t);
	free(t);
	/* exactly K8S_KUBECONFIG_MAX bytes: read */
	t = kubeconfig_text(user, K8S_KUBECONFIG_MAX - base);
	CHECK_INT(strlen(t), K8S_KUBECONFIG_MAX);
	write_file(path, t, strlen(t));
	CHECK_INT(k8s_kubeconfig_load(path, &c, &e), 0);
	CHECK_STR(c.token, "SECRET-TOKEN-big");
	k8s_config_free(&c);
	free(t);
	/* one byte more: refused, by load and by parse */
	t = kubeconfig_text(user, K8S_KUBECONFIG_MAX - base + 1);
	write_file(path, t, strlen(t));
	r = k8s_kubeconfig_load(path, &c, &e);
	fails_with(r, &e, -EINVAL, CNI_ERR_INVALID_CONFIG, "is larger than 1048576 bytes");
	CHECK(strstr(e.msg, path) != NULL);
	memset(&e, 0, sizeof(e));
	r = k8s_kubeconfig_parse(t, strlen(t), NULL, &c, &e);
	fails_with(r, &e, -EINVAL, CNI_ERR_INVALID_CONFIG,
		   "kubeconfig: is larger than 1048576 bytes");
	free(t);
}

static void test_pem_and_token_bounds(void)
{
	char path[PATH_MAX + 32], pem[PATH_MAX + 32], tok[PATH_MAX + 32], lines[3 * PATH_MAX];
	size_t big = K8S_PEM_MAX + 1;
	char *buf = malloc(big + 1), *t;
	struct k8s_config c;
	struct cni_err e = { 0 };

	CHECK(buf != NULL);
	if (!buf)
		return;
	(void) snprintf(path, sizeof(path), "%s/bounds.yaml", tmp);
	(void) snprintf(pem, sizeof(pem), "%s/big.pem", tmp);
	(void) snprintf(tok, sizeof(tok), "%s/big.token", tmp);

	/* a PEM file of K8S_PEM_MAX bytes is read, one more byte is refused */
	memset(buf, 'A', big);
	memcpy(buf, "-----BEGIN PRIVATE KEY-----\n", 28);
	write_file(pem, buf, K8S_PEM_MAX);
	(void) snprintf(lines, sizeof(lines), "    client-certificate: %s\n    client-key: %s\n",
			pem, pem);
	t = kubeconfig_text(lines, 0);
	write_file(path, t, strlen(t));
	free(t);
	CHECK_INT(k8s_kubeconfig_load(path, &c, &e), 0);
	CHECK_INT(c.key_pem ? strlen(c.key_pem) : 0, K8S_PEM_MAX);
	k8s_config_free(&c);
	write_file(pem, buf, big);
	fails_with(k8s_kubeconfig_load(path, &c, &e), &e, -EINVAL, CNI_ERR_INVALID_CONFIG,
		   "user 'u': 'client-certificate' file");
	CHECK(strstr(e.msg, "is larger than 65536 bytes") != NULL);

	/* a token file of K8S_TOKEN_MAX bytes is read, one more byte is refused */
	memset(buf, 'S', K8S_TOKEN_MAX + 1);
	write_file(tok, buf, K8S_TOKEN_MAX);
	(void) snprintf(lines, sizeof(lines), "    tokenFile: %s\n", tok);
	t = kubeconfig_text(lines, 0);
	write_file(path, t, strlen(t));
	free(t);
	memset(&e, 0, sizeof(e));
	CHECK_INT(k8s_kubeconfig_load(path, &c, &e), 0);
	CHECK_INT(c.token ? strlen(c.token) : 0, K8S_TOKEN_MAX);
	k8s_config_free(&c);
	write_file(tok, buf, K8S_TOKEN_MAX + 1);
	fails_with(k8s_kubeconfig_load(path, &c, &e), &e, -EINVAL, CNI_ERR_INVALID_CONFIG,
		   "'tokenFile' file");
	CHECK(strstr(e.msg, "is larger than 16384 bytes") != NULL);

	/* -data over the bound, before decoding */
	t = malloc(200000);
	CHECK(t != NULL);
	if (t) {
		size_t o = (size_t) snprintf(t, 200000, "    client-certificate-data: ");

		memset(t + o, 'Q', 90000);
		(void) snprintf(t + o + 90000, 200000 - o - 90000, "\n    client-key-data: %s\n",
				CA_B64);
		free(buf);
		buf = kubeconfig_text(t, 0);
		memset(&e, 0, sizeof(e));
		CHECK_INT(k8s_kubeconfig_parse(buf, strlen(buf), NULL, &c, &e), -EINVAL);
		CHECK(strstr(e.msg,
			     "user 'u': 'client-certificate-data' is longer than 87384 bytes") !=
		      NULL);
		free(t);
	}
	free(buf);
}

/* ------------------------------------------------------------------------------- more edges */

static void test_load_errors(void)
{
	struct k8s_config c;
	struct cni_err e = { 0 };
	char path[PATH_MAX + 32];

	fails_with(k8s_kubeconfig_load("/nonexistent/kubeconfig", &c, &e), &e, -ENOENT, CNI_ERR_IO,
		   "cannot read kubeconfig '/nonexistent/kubeconfig'");
	CHECK_STR(e.details, "No such file or directory");
	memset(&e, 0, sizeof(e));
	fails_with(k8s_kubeconfig_load(tmp, &c, &e), &e, -EISDIR, CNI_ERR_IO,
		   "cannot read kubeconfig");
	memset(&e, 0, sizeof(e));
	fails_with(k8s_kubeconfig_load("/dev/null", &c, &e), &e, -EINVAL, CNI_ERR_IO,
		   "kubeconfig '/dev/null' is not a regular file");
	/* an empty file */
	(void) snprintf(path, sizeof(path), "%s/empty", tmp);
	write_file(path, "", 0);
	memset(&e, 0, sizeof(e));
	fails_with(k8s_kubeconfig_load(path, &c, &e), &e, -EINVAL, CNI_ERR_INVALID_CONFIG,
		   "is empty");
	/* the first error wins */
	e.code = 42;
	(void) snprintf(e.msg, sizeof(e.msg), "earlier");
	CHECK_INT(k8s_kubeconfig_load("/nonexistent/kubeconfig", &c, &e), -ENOENT);
	CHECK_INT(e.code, 42);
	CHECK_STR(e.msg, "earlier");
}

static void test_token_checks(void)
{
	static const char *const bad[] = {
		"    token: \"SECRET\\nTOKEN\"\n",
		"    token: \"SECRET\\x7fTOKEN\"\n",
		"    token: \"SECRET-\\u00e9\"\n",
		"    token: \"   \"\n",
	};
	struct k8s_config c;
	struct cni_err e;
	char *t;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = kubeconfig_text(bad[i], 0);
		memset(&e, 0, sizeof(e));
		CHECK_INT(k8s_kubeconfig_parse(t, strlen(t), NULL, &c, &e), -EINVAL);
		CHECK(strstr(e.msg, "user 'u': 'token'") != NULL);
		no_secrets(&e, bad[i]);
		free(t);
	}
	/* token wins over tokenFile (as in client-go): the missing file is never read */
	t = kubeconfig_text("    token: SECRET-TOKEN-a\n    tokenFile: /nonexistent\n", 0);
	memset(&e, 0, sizeof(e));
	CHECK_INT(k8s_kubeconfig_parse(t, strlen(t), NULL, &c, &e), 0);
	CHECK_STR(c.token, "SECRET-TOKEN-a");
	k8s_config_free(&c);
	free(t);
	/* null and empty values are unset */
	t = kubeconfig_text(
		"    token: \"\"\n    tokenFile: ~\n    exec: null\n    auth-provider: {}\n", 0);
	memset(&e, 0, sizeof(e));
	CHECK_INT(k8s_kubeconfig_parse(t, strlen(t), NULL, &c, &e), 0);
	CHECK(c.token == NULL);
	k8s_config_free(&c);
	free(t);
}

static void test_server_forms(void)
{
	static const struct {
		const char *in, *want; /* want NULL: refused, needle in the message */
		const char *needle;
	} cases[] = {
		{ "https://h", "https://h", NULL },
		{ "https://h:6443/", "https://h:6443", NULL },
		{ "https://h:6443///", "https://h:6443", NULL },
		{ "https://[::1]:6443", "https://[::1]:6443", NULL },
		{ "https://10.0.0.1/prefix/x/", "https://10.0.0.1/prefix/x", NULL },
		{ "HTTPS://h", NULL, "is not an https:// URL" },
		{ "h:6443", NULL, "is not an https:// URL" },
		{ "https://", NULL, "has no host" },
		{ "https:///x", NULL, "has no host" },
		{ "https://:6443", NULL, "has no host" },
		{ "https://h/a b", NULL,
		  "'server' must be scheme://host[:port][/path], without spaces" },
		{ "https://h\n    token: SECRET-TOKEN-folded", NULL,
		  "without spaces, line breaks" },
		{ "https://h/#x", NULL, "without '#'" },
		{ "https://h\\x", NULL, "without '\\'" },
		{ "https://u@h", NULL, "must not carry user information" },
	};
	char lines[1024], text[2048];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct k8s_config c;
		struct cni_err e = { 0 };
		int r;

		(void) snprintf(lines, sizeof(lines), "%s", cases[i].in);
		(void) snprintf(text, sizeof(text),
				"clusters:\n- name: c\n  cluster:\n    server: "
				"'%s'\ncontexts:\n- name: x\n"
				"  context:\n    cluster: c\ncurrent-context: x\n",
				lines);
		r = k8s_kubeconfig_parse(text, strlen(text), NULL, &c, &e);
		if (cases[i].want) {
			CHECK_INT(r, 0);
			CHECK_STR(c.server, cases[i].want);
		} else if (r != -EINVAL || !strstr(e.msg, cases[i].needle)) {
			printf("  server '%s': r=%d msg='%s'\n", cases[i].in, r, e.msg);
			unit_cur_failed = 1;
		}
		no_secrets(&e, cases[i].in);
		k8s_config_free(&c);
	}
	/* longer than K8S_SERVER_MAX */
	{
		char *t = malloc(8192);
		struct k8s_config c;
		struct cni_err e = { 0 };
		int o = snprintf(t, 8192, "clusters:\n- name: c\n  cluster:\n    server: https://");

		memset(t + o, 'h', K8S_SERVER_MAX);
		(void) snprintf(t + o + K8S_SERVER_MAX, 8192 - (size_t) o - K8S_SERVER_MAX,
				"\ncontexts:\n- name: x\n  context:\n    cluster: "
				"c\ncurrent-context: x\n");
		CHECK_INT(k8s_kubeconfig_parse(t, strlen(t), NULL, &c, &e), -EINVAL);
		CHECK(strstr(e.msg, "cluster 'c': 'server' is longer than 511 bytes") != NULL);
		free(t);
	}
}

/* ------------------------------------------------------------------------------- in-cluster */

static void sa_files(const char *dir, const char *token, const char *ns)
{
	char p[PATH_MAX + 32];

	(void) mkdir(dir, 0700);
	(void) snprintf(p, sizeof(p), "%s/token", dir);
	if (token)
		write_file(p, token, strlen(token));
	else
		(void) unlink(p);
	(void) snprintf(p, sizeof(p), "%s/ca.crt", dir);
	write_file(p, CA, strlen(CA));
	(void) snprintf(p, sizeof(p), "%s/namespace", dir);
	if (ns)
		write_file(p, ns, strlen(ns));
	else
		(void) unlink(p);
}

static void test_incluster(void)
{
	char sa[PATH_MAX + 16];
	struct k8s_config c;
	struct cni_err e = { 0 };

	(void) snprintf(sa, sizeof(sa), "%s/sa", tmp);
	sa_files(sa, "SECRET-TOKEN-sa\n", "kube-system\n");
	CHECK_INT(setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1), 0);
	CHECK_INT(setenv("KUBERNETES_SERVICE_PORT", "443", 1), 0);
	CHECK_INT(k8s_incluster_load(sa, &c, &e), 0);
	CHECK_STR(c.server, "https://10.96.0.1:443");
	CHECK_STR(c.token, "SECRET-TOKEN-sa");
	CHECK_STR(c.ca_pem, CA);
	CHECK_STR(c.namespace_, "kube-system");
	CHECK(!c.cert_pem && !c.key_pem && !c.insecure);
	k8s_config_free(&c);

	/* IPv6 is bracketed; the token is read again on every call (it rotates) */
	CHECK_INT(setenv("KUBERNETES_SERVICE_HOST", "fd00:10:96::1", 1), 0);
	sa_files(sa, "SECRET-TOKEN-rotated", NULL);
	CHECK_INT(k8s_incluster_load(sa, &c, &e), 0);
	CHECK_STR(c.server, "https://[fd00:10:96::1]:443");
	CHECK_STR(c.token, "SECRET-TOKEN-rotated");
	CHECK_STR(c.namespace_, ""); /* no namespace file: the caller's default */
	k8s_config_free(&c);

	sa_files(sa, "SECRET-TOKEN-sa", "Bad_NS\n");
	fails_with(k8s_incluster_load(sa, &c, &e), &e, -EINVAL, CNI_ERR_INVALID_CONFIG,
		   "in-cluster config: service account: 'namespace' file");

	memset(&e, 0, sizeof(e));
	sa_files(sa, NULL, "default");
	fails_with(k8s_incluster_load(sa, &c, &e), &e, -ENOENT, CNI_ERR_IO,
		   "in-cluster config: service account: cannot read 'token' file");
	CHECK(!c.ca_pem && !c.token);

	memset(&e, 0, sizeof(e));
	sa_files(sa, "SECRET TOKEN", "default");
	fails_with(k8s_incluster_load(sa, &c, &e), &e, -EINVAL, CNI_ERR_INVALID_CONFIG,
		   "has a character an HTTP header cannot carry");

	memset(&e, 0, sizeof(e));
	sa_files(sa, "SECRET-TOKEN-sa", "default");
	CHECK_INT(setenv("KUBERNETES_SERVICE_PORT", "0", 1), 0);
	fails_with(k8s_incluster_load(sa, &c, &e), &e, -EINVAL, CNI_ERR_INVALID_CONFIG,
		   "KUBERNETES_SERVICE_PORT '0' is not a port");
	memset(&e, 0, sizeof(e));
	CHECK_INT(setenv("KUBERNETES_SERVICE_PORT", "443x", 1), 0);
	CHECK_INT(k8s_incluster_load(sa, &c, &e), -EINVAL);
	memset(&e, 0, sizeof(e));
	CHECK_INT(setenv("KUBERNETES_SERVICE_PORT", "65536", 1), 0);
	CHECK_INT(k8s_incluster_load(sa, &c, &e), -EINVAL);
	CHECK_INT(setenv("KUBERNETES_SERVICE_PORT", "6443", 1), 0);
	memset(&e, 0, sizeof(e));
	CHECK_INT(setenv("KUBERNETES_SERVICE_HOST", "h/evil", 1), 0);
	fails_with(k8s_incluster_load(sa, &c, &e), &e, -EINVAL, CNI_ERR_INVALID_CONFIG,
		   "is not a host name or address");
	memset(&e, 0, sizeof(e));
	CHECK_INT(unsetenv("KUBERNETES_SERVICE_HOST"), 0);
	fails_with(k8s_incluster_load(sa, &c, &e), &e, -EINVAL, CNI_ERR_INVALID_CONFIG,
		   "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set");
	CHECK_INT(unsetenv("KUBERNETES_SERVICE_PORT"), 0);
}

/* ----------------------------------------------------------- client checks without a network */

static void test_client_refuses_bad_input(void)
{
	struct k8s_config c = { .server = "http://127.0.0.1:1" };
	struct k8s_client *k = (struct k8s_client *) 1;
	struct cni_err e = { 0 };
	cJSON *resp = (cJSON *) 1;
	long status = 7;

	/* plain http without insecure, and a zero timeout */
	CHECK_INT(k8s_client_new(&c, 1000, &k, &e), -EINVAL);
	CHECK(k == NULL);
	CHECK(strstr(e.msg, "plain http") != NULL);
	c.insecure = true;
	memset(&e, 0, sizeof(e));
	CHECK_INT(k8s_client_new(&c, 0, &k, &e), -EINVAL);
	CHECK(strstr(e.msg, "timeout") != NULL);
	snprintf(c.server, sizeof(c.server), "ftp://h");
	memset(&e, 0, sizeof(e));
	CHECK_INT(k8s_client_new(&c, 1000, &k, &e), -EINVAL);

	/* requests refused before anything is sent */
	snprintf(c.server, sizeof(c.server), "http://127.0.0.1:1");
	c.token = (char *) "SECRET-TOKEN-client";
	CHECK_INT(k8s_client_new(&c, 1000, &k, &e), 0);
	if (!k)
		return;
	CHECK_INT(k8s_request(k, "OPTIONS", "/api", NULL, &status, &resp), -EINVAL);
	CHECK_INT(status, 0);
	CHECK(resp == NULL);
	CHECK(strstr(k8s_errmsg(k), "unsupported method") != NULL);
	CHECK_INT(k8s_request(k, "GET", "api", NULL, NULL, NULL), -EINVAL);
	CHECK_INT(k8s_request(k, "GET", "/a b", NULL, NULL, NULL), -EINVAL);
	CHECK_INT(k8s_request(k, "GET", "/a\r\nX: y", NULL, NULL, NULL), -EINVAL);
	CHECK_INT(k8s_request(k, "GET", "/a", "{}", NULL, NULL), -EINVAL);
	CHECK_INT(k8s_request_type(k, "PATCH", "/a", "bad\r\ntype", "{}", NULL, NULL), -EINVAL);
	CHECK(strstr(k8s_errmsg(k), "SECRET") == NULL);
	CHECK_INT(k8s_client_connections(k), 0);
	k8s_client_free(k);
	k8s_client_free(NULL);
	CHECK_STR(k8s_errmsg(NULL), "");
	k8s_global_cleanup();
}

static void rm_tmp(void)
{
	char cmd[PATH_MAX + 16];

	if (tmp[0] && !strncmp(tmp, "/tmp/", 5)) {
		(void) snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
		(void) !system(cmd);
	}
}

int main(int argc, char **argv)
{
	(void) argc;
	if (unit_fixtures(argv[0], "kubeconfig", fixtures) < 0) {
		printf("cannot find tests/fixtures/kubeconfig (run from the top directory or set "
		       "FIXTURES_DIR to a tests/fixtures)\n");
		printf("0 passed, 1 failed\n");
		return 1;
	}
	(void) snprintf(tmp, sizeof(tmp), "/tmp/rdmanet-kc.XXXXXX");
	if (!mkdtemp(tmp)) {
		printf("cannot make a temporary directory\n0 passed, 1 failed\n");
		return 1;
	}
	RUN(test_base64_rfc4648_vectors);
	RUN(test_base64_all_bytes_round_trip);
	RUN(test_base64_rejects);
	RUN(test_yaml_structure);
	RUN(test_yaml_scalars);
	RUN(test_yaml_documents);
	RUN(test_yaml_flow_and_more);
	RUN(test_yaml_rejects);
	RUN(test_yaml_alias_bounds);
	RUN(test_good_kind);
	RUN(test_good_multi_context);
	RUN(test_good_relative_files);
	RUN(test_good_json);
	RUN(test_good_quoted_insecure);
	RUN(test_good_crlf_no_user);
	RUN(test_good_kubectl_view);
	RUN(test_good_kind_get);
	RUN(test_good_cloud_token);
	RUN(test_good_flow);
	RUN(test_good_anchors);
	RUN(test_good_block_scalar);
	RUN(test_parse_dir);
	RUN(test_absolute_paths);
	RUN(test_bad_fixtures);
	RUN(test_kubeconfig_size_bound);
	RUN(test_pem_and_token_bounds);
	RUN(test_load_errors);
	RUN(test_token_checks);
	RUN(test_server_forms);
	RUN(test_incluster);
	RUN(test_client_refuses_bad_input);
	rm_tmp();
	UNIT_DONE();
}
