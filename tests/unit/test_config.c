/* SPDX-License-Identifier: Apache-2.0 */
/* test_config.c - config_parse over tests/fixtures/config/{good,bad} plus hand-made inputs. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "rdmanet/cni.h"
#include "rdmanet/config.h"
#include "rdmanet/log.h"
#include "rdmanet/strv.h"
#include "unit.h"

#define MIN_GOOD_FIXTURES 15
#define MIN_BAD_FIXTURES  25

static char fixtures[PATH_MAX]; /* .../tests/fixtures/config */

/* Sorted *.json names of a fixture subdirectory; NULL-terminated, malloc'd. */
static char **list_json(const char *sub, size_t *count)
{
	char path[PATH_MAX + 16];
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	DIR *d;

	*count = 0;
	(void) snprintf(path, sizeof(path), "%s/%s", fixtures, sub);
	d = opendir(path);
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char **grown;

		if (l < 6 || strcmp(de->d_name + l - 5, ".json"))
			continue;
		grown = realloc(names, (n + 2) * sizeof(*names));
		if (!grown)
			break;
		names = grown;
		names[n++] = strdup(de->d_name);
		names[n] = NULL;
	}
	(void) closedir(d);
	if (names)
		qsort(names, n, sizeof(*names), strv_cmp);
	*count = n;
	return names;
}

static void free_list(char **names)
{
	for (size_t i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
}

static int parse_fixture(const char *sub, const char *name, enum cni_command cmd,
			 const struct cni_args *args, struct config *cfg, struct cni_err *err)
{
	char path[PATH_MAX + 300];
	size_t len;
	char *buf;
	int r;

	(void) snprintf(path, sizeof(path), "%s/%s/%s", fixtures, sub, name);
	buf = unit_read_file(path, &len);
	if (!buf) {
		printf("  cannot read %s\n", path);
		unit_cur_failed = 1;
		memset(cfg, 0, sizeof(*cfg));
		return -ENOENT;
	}
	r = config_parse(buf, len, cmd, args, cfg, err);
	if (r >= 0 && (cfg->raw_len != len || memcmp(cfg->raw, buf, len))) {
		printf("  %s: raw bytes not kept\n", name);
		unit_cur_failed = 1;
	}
	free(buf);
	return r;
}

/* Parses a good fixture for cmd, which must succeed; cfg is left for the caller to check. */
static int good(const char *name, enum cni_command cmd, struct config *cfg, int line)
{
	struct cni_err err = { 0 };
	int r = parse_fixture("good", name, cmd, NULL, cfg, &err);

	if (r < 0 || err.code) {
		printf("  line %d: good/%s for %s: r=%d code=%d msg='%s'\n", line, name,
		       cni_command_name(cmd), r, err.code, err.msg);
		unit_cur_failed = 1;
	}
	return r;
}
#define GOOD(name, cmd, cfg) good(name, cmd, cfg, __LINE__)

/* ---------------------------------------------------------------------------------------- */

static void test_good_fixtures_all_parse(void)
{
	size_t n;
	char **names = list_json("good", &n);

	CHECK(names != NULL);
	if (n < MIN_GOOD_FIXTURES) {
		printf("  only %zu good fixtures in %s/good\n", n, fixtures);
		CHECK(0);
	}
	for (size_t i = 0; i < n; i++) {
		struct config cfg;

		(void) GOOD(names[i], CNI_CMD_ADD, &cfg);
		/* DEL accepts whatever ADD accepts */
		config_free(&cfg);
		(void) GOOD(names[i], CNI_CMD_DEL, &cfg);
		config_free(&cfg);
		if (unit_cur_failed)
			printf("  (%s)\n", names[i]);
	}
	free_list(names);
}

static void test_good_minimal(void)
{
	struct config cfg;

	CHECK_INT(GOOD("minimal-100.json", CNI_CMD_ADD, &cfg), 0);
	CHECK_STR(cfg.cni_version, "1.0.0");
	CHECK_STR(cfg.name, "roce-net");
	CHECK_STR(cfg.master, "ens1f0");
	CHECK_INT(cfg.link, LINK_AUTO);
	CHECK_INT(cfg.macvlan_mode, MACVLAN_MODE_BRIDGE);
	CHECK_INT(cfg.mtu, 0);
	CHECK(!cfg.has_mac);
	CHECK(!cfg.has_ipam);
	CHECK_STR(cfg.ipam_type, "");
	CHECK_INT(cfg.ipam_timeout_ms, CONFIG_IPAM_TIMEOUT_DEFAULT_MS);
	CHECK_STR(cfg.log_file, "");
	CHECK_INT(cfg.log_level, -1);
	CHECK(cfg.prev_result == NULL);
	CHECK(cfg.dns == NULL);
	CHECK(cfg.valid_attachments == NULL);
	CHECK(cJSON_IsObject(cfg.root));
	config_free(&cfg);
	CHECK(cfg.root == NULL && cfg.raw == NULL);
	config_free(&cfg); /* twice is harmless */
}

static void test_good_full(void)
{
	static const unsigned char mac[6] = { 0x02, 0x12, 0x34, 0x56, 0x78, 0x9a };
	struct config cfg;

	CHECK_INT(GOOD("full-110.json", CNI_CMD_ADD, &cfg), 0);
	CHECK_STR(cfg.cni_version, "1.1.0");
	CHECK_STR(cfg.name, "roce-net.a_1");
	CHECK_STR(cfg.master, "ens1f0np0");
	CHECK_INT(cfg.link, LINK_MACVLAN);
	CHECK_INT(cfg.macvlan_mode, MACVLAN_MODE_PRIVATE);
	CHECK_INT(cfg.mtu, 9000);
	CHECK(cfg.has_mac);
	CHECK(!memcmp(cfg.mac, mac, 6));
	CHECK(cfg.has_ipam);
	CHECK_STR(cfg.ipam_type, "whereabouts");
	CHECK_INT(cfg.ipam_timeout_ms, 5000);
	CHECK_STR(cfg.log_file, "/var/log/rdmanet.log");
	CHECK_INT(cfg.log_level, LOG_LVL_DEBUG);
	CHECK(cJSON_IsObject(cfg.dns));
	CHECK(cJSON_GetObjectItem(cfg.dns, "nameservers") != NULL);
	config_free(&cfg);
	/* the same config is good for every command of 1.1.0 */
	CHECK_INT(GOOD("full-110.json", CNI_CMD_STATUS, &cfg), 0);
	config_free(&cfg);
	CHECK_INT(GOOD("full-110.json", CNI_CMD_GC, &cfg), 0);
	config_free(&cfg);
}

static void test_good_versions_and_modes(void)
{
	struct config cfg;

	CHECK_INT(GOOD("version-030.json", CNI_CMD_ADD, &cfg), 0);
	CHECK_STR(cfg.cni_version, "0.3.0");
	CHECK_STR(cfg.master, "ib0");
	config_free(&cfg);

	CHECK_INT(GOOD("version-031-multus.json", CNI_CMD_ADD, &cfg), 0);
	CHECK_STR(cfg.cni_version, "0.3.1");
	CHECK_STR(cfg.ipam_type, "host-local");
	CHECK(cfg.has_mac && cfg.mac[0] == 0x0a && cfg.mac[5] == 0x05);
	CHECK_INT(cfg.macvlan_mode, MACVLAN_MODE_BRIDGE);
	config_free(&cfg);

	CHECK_INT(GOOD("check-040.json", CNI_CMD_ADD, &cfg), 0);
	CHECK_INT(cfg.macvlan_mode, MACVLAN_MODE_VEPA);
	config_free(&cfg);

	CHECK_INT(GOOD("check-110-prevresult.json", CNI_CMD_ADD, &cfg), 0);
	CHECK_INT(cfg.macvlan_mode, MACVLAN_MODE_PASSTHRU);
	config_free(&cfg);

	CHECK_INT(GOOD("link-auto.json", CNI_CMD_ADD, &cfg), 0);
	CHECK_INT(cfg.link, LINK_AUTO);
	CHECK_STR(config_link_name(cfg.link), "auto");
	config_free(&cfg);

	CHECK_STR(config_link_name(LINK_MACVLAN), "macvlan");
	CHECK_STR(config_link_name((enum link_kind) 42), "?");
	CHECK_STR(config_macvlan_mode_name(MACVLAN_MODE_BRIDGE), "bridge");
	CHECK_STR(config_macvlan_mode_name(MACVLAN_MODE_PRIVATE), "private");
	CHECK_STR(config_macvlan_mode_name(MACVLAN_MODE_VEPA), "vepa");
	CHECK_STR(config_macvlan_mode_name(MACVLAN_MODE_PASSTHRU), "passthru");
	CHECK_STR(config_macvlan_mode_name(MACVLAN_MODE_SOURCE), "?");
}

static void test_good_edges(void)
{
	struct config cfg;

	CHECK_INT(GOOD("mtu-zero.json", CNI_CMD_ADD, &cfg), 0);
	CHECK_INT(cfg.mtu, 0);
	config_free(&cfg);
	CHECK_INT(GOOD("mtu-min.json", CNI_CMD_ADD, &cfg), 0);
	CHECK_INT(cfg.mtu, 68);
	config_free(&cfg);
	CHECK_INT(GOOD("mtu-max.json", CNI_CMD_ADD, &cfg), 0);
	CHECK_INT(cfg.mtu, 65535);
	config_free(&cfg);

	CHECK_INT(GOOD("ipam-empty-object.json", CNI_CMD_ADD, &cfg), 0);
	CHECK(!cfg.has_ipam); /* L2 only */
	config_free(&cfg);

	CHECK_INT(GOOD("nulls.json", CNI_CMD_ADD, &cfg), 0);
	CHECK(!cfg.has_ipam && !cfg.has_mac && !cfg.prev_result && !cfg.dns);
	CHECK_INT(cfg.mtu, 0);
	CHECK_INT(cfg.link, LINK_AUTO);
	config_free(&cfg);

	CHECK_INT(GOOD("empty-strings.json", CNI_CMD_ADD, &cfg), 0);
	CHECK_STR(cfg.log_file, "");
	CHECK_INT(cfg.log_level, -1);
	config_free(&cfg);

	CHECK_INT(GOOD("unknown-fields.json", CNI_CMD_ADD, &cfg), 0);
	CHECK_STR(cfg.master, "ens1f0"); /* not "Master" */
	CHECK_INT(cfg.mtu, 0);           /* not "MTU" */
	CHECK(!cfg.has_mac);
	config_free(&cfg);

	CHECK_INT(GOOD("whitespace-around.json", CNI_CMD_ADD, &cfg), 0);
	CHECK_STR(cfg.name, "ws");
	config_free(&cfg);

	CHECK_INT(GOOD("max-lengths.json", CNI_CMD_ADD, &cfg), 0);
	CHECK_INT(strlen(cfg.name), CONFIG_NAME_MAX);
	CHECK_INT(strlen(cfg.master), IF_NAMESIZE - 1);
	CHECK_INT(strlen(cfg.ipam_type), sizeof(cfg.ipam_type) - 1);
	config_free(&cfg);

	CHECK_INT(GOOD("runtimeconfig-ips-cidr-and-bare.json", CNI_CMD_ADD, &cfg), 0);
	CHECK(cfg.has_ipam && !cfg.has_mac);
	CHECK_STR(cfg.ipam_type, "static");
	config_free(&cfg);

	CHECK_INT(GOOD("loglevels-error.json", CNI_CMD_ADD, &cfg), 0);
	CHECK_INT(cfg.log_level, LOG_LVL_ERROR);
	CHECK_STR(cfg.log_file, "/tmp/rdmanet.log");
	config_free(&cfg);

	CHECK_INT(GOOD("ipam-timeout-fraction.json", CNI_CMD_ADD, &cfg), 0);
	CHECK_INT(cfg.ipam_timeout_ms, 1500);
	config_free(&cfg);
}

static void test_good_check_prev_result(void)
{
	struct cni_result res;
	struct cni_err err = { 0 };
	struct config cfg;
	char *s;

	CHECK_INT(GOOD("check-040.json", CNI_CMD_CHECK, &cfg), 0);
	CHECK(cJSON_IsObject(cfg.prev_result));
	CHECK_INT(cni_result_parse(cfg.prev_result, "prevResult", CNI_ERR_INVALID_CONFIG, &res,
				   &err),
		  0);
	CHECK_INT(res.n_ifaces, 1);
	CHECK_STR(res.ifaces[0].sandbox, "/var/run/netns/cni-1234");
	CHECK_INT(res.n_ips, 1);
	CHECK_INT(res.n_routes, 1);
	s = cni_result_format(&res, cfg.cni_version);
	CHECK_STR(s, "{\"cniVersion\":\"0.4.0\",\"interfaces\":[{\"name\":\"net1\","
		     "\"mac\":\"02:12:34:56:78:9a\",\"sandbox\":\"/var/run/netns/cni-1234\"}],"
		     "\"ips\":[{\"version\":\"4\",\"interface\":0,\"address\":\"10.56.0.7/16\","
		     "\"gateway\":\"10.56.0.1\"}],"
		     "\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.56.0.1\"}],\"dns\":{}}");
	free(s);
	cni_result_free(&res);
	config_free(&cfg);

	CHECK_INT(GOOD("check-110-prevresult.json", CNI_CMD_CHECK, &cfg), 0);
	CHECK_INT(cni_result_parse(cfg.prev_result, "prevResult", CNI_ERR_INVALID_CONFIG, &res,
				   &err),
		  0);
	CHECK_INT(res.ifaces[0].mtu, 4200);
	CHECK_INT(res.routes[0].advmss, 3940);
	CHECK_INT(res.routes[0].table, 100);
	cni_result_free(&res);
	config_free(&cfg);
	CHECK_INT(err.code, 0);
}

static void test_good_gc(void)
{
	struct config cfg;

	CHECK_INT(GOOD("gc-110.json", CNI_CMD_GC, &cfg), 0);
	CHECK(cJSON_IsArray(cfg.valid_attachments));
	CHECK_INT(cJSON_GetArraySize(cfg.valid_attachments), 2);
	config_free(&cfg);
	CHECK_INT(GOOD("gc-110.json", CNI_CMD_STATUS, &cfg), 0);
	config_free(&cfg);
	CHECK_INT(GOOD("gc-110-empty-attachments.json", CNI_CMD_GC, &cfg), 0);
	CHECK(cJSON_IsArray(cfg.valid_attachments));
	CHECK_INT(cJSON_GetArraySize(cfg.valid_attachments), 0);
	config_free(&cfg);
}

/* ---------------------------------------------------------------------------------------- */

struct expect {
	char file[256];
	int code;
	char needle[256];
	int seen;
};

static enum cni_command command_for(const char *file)
{
	if (!strncmp(file, "check-", 6))
		return CNI_CMD_CHECK;
	if (!strncmp(file, "status-", 7))
		return CNI_CMD_STATUS;
	if (!strncmp(file, "gc-", 3))
		return CNI_CMD_GC;
	if (!strncmp(file, "del-", 4))
		return CNI_CMD_DEL;
	return CNI_CMD_ADD;
}

static size_t read_expect(struct expect *ex, size_t max)
{
	char path[PATH_MAX + 16], line[1024];
	size_t n = 0;
	FILE *f;

	(void) snprintf(path, sizeof(path), "%s/bad/EXPECT", fixtures);
	f = fopen(path, "r");
	if (!f) {
		printf("  cannot open %s\n", path);
		unit_cur_failed = 1;
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		char *nl = strchr(line, '\n'), *p, *q;

		if (nl)
			*nl = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		if (n == max) {
			printf("  EXPECT has more than %zu lines\n", max);
			unit_cur_failed = 1;
			break;
		}
		memset(&ex[n], 0, sizeof(ex[n]));
		p = strchr(line, ' ');
		q = p ? strchr(p + 1, ' ') : NULL;
		if (!p || !q || !q[1] || (size_t) (p - line) >= sizeof(ex[n].file)) {
			printf("  EXPECT: malformed line '%s'\n", line);
			unit_cur_failed = 1;
			continue;
		}
		memcpy(ex[n].file, line, (size_t) (p - line));
		ex[n].code = atoi(p + 1);
		(void) snprintf(ex[n].needle, sizeof(ex[n].needle), "%s", q + 1);
		if (ex[n].code <= 0) {
			printf("  EXPECT: bad code in '%s'\n", line);
			unit_cur_failed = 1;
			continue;
		}
		n++;
	}
	(void) fclose(f);
	return n;
}

static void test_bad_fixtures(void)
{
	static struct expect ex[512];
	size_t n_ex = read_expect(ex, sizeof(ex) / sizeof(ex[0])), n_files;
	char **names = list_json("bad", &n_files);

	if (n_ex < MIN_BAD_FIXTURES) {
		printf("  only %zu expectations in %s/bad/EXPECT\n", n_ex, fixtures);
		CHECK(0);
	}
	for (size_t i = 0; i < n_ex; i++) {
		struct cni_err err = { 0 };
		struct config cfg;
		enum cni_command cmd = command_for(ex[i].file);
		int r = parse_fixture("bad", ex[i].file, cmd, NULL, &cfg, &err);

		if (r >= 0 || err.code != ex[i].code || !strstr(err.msg, ex[i].needle)) {
			printf("  bad/%s (%s): r=%d code=%d msg='%s'; want code %d and '%s'\n",
			       ex[i].file, cni_command_name(cmd), r, err.code, err.msg, ex[i].code,
			       ex[i].needle);
			unit_cur_failed = 1;
		}
		/* every error printed by main is well-formed JSON */
		if (r < 0) {
			char *s = cni_error_format(&err, cfg.cni_version[0] ? cfg.cni_version : "");
			cJSON *j = s ? cJSON_Parse(s) : NULL;

			CHECK(j && cJSON_GetObjectItem(j, "code") &&
			      cJSON_GetObjectItem(j, "code")->valueint == ex[i].code);
			cJSON_Delete(j);
			free(s);
		}
		config_free(&cfg);
	}
	/* every fixture has an expectation and every expectation a fixture */
	for (size_t i = 0; i < n_files; i++) {
		size_t j;
		for (j = 0; j < n_ex; j++)
			if (!strcmp(ex[j].file, names[i]))
				break;
		if (j == n_ex) {
			printf("  bad/%s has no line in EXPECT\n", names[i]);
			unit_cur_failed = 1;
		} else {
			ex[j].seen++;
		}
	}
	for (size_t j = 0; j < n_ex; j++)
		if (ex[j].seen != 1) {
			printf("  EXPECT line for '%s' matches %d files\n", ex[j].file, ex[j].seen);
			unit_cur_failed = 1;
		}
	free_list(names);
}

/* ---------------------------------------------------------------------------------------- */

static int parse_str(const char *s, enum cni_command cmd, const struct cni_args *args,
		     struct config *cfg, struct cni_err *err)
{
	return config_parse(s, strlen(s), cmd, args, cfg, err);
}

static void test_master_required_per_command(void)
{
	static const char *const no_master =
		"{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"rdmanet\"}";
	static const struct {
		enum cni_command cmd;
		bool needs_master;
	} cases[] = {
		{ CNI_CMD_ADD, true },  { CNI_CMD_CHECK, true }, { CNI_CMD_STATUS, true },
		{ CNI_CMD_DEL, false }, { CNI_CMD_GC, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cni_err err = { 0 };
		struct config cfg;
		int r = parse_str(no_master, cases[i].cmd, NULL, &cfg, &err);

		if (cases[i].needs_master) {
			CHECK(r < 0);
			CHECK_INT(err.code, CNI_ERR_INVALID_CONFIG);
			CHECK(strstr(err.msg, "'master' is required") != NULL);
		} else {
			CHECK_INT(r, 0);
			CHECK_STR(cfg.master, "");
		}
		if (unit_cur_failed) {
			printf("  (%s)\n", cni_command_name(cases[i].cmd));
			unit_cur_failed = 1;
		}
		config_free(&cfg);
	}
}

static void test_version_gates(void)
{
	static const struct {
		const char *version;
		enum cni_command cmd;
		int code; /* 0: ok */
	} cases[] = {
		{ "0.3.0", CNI_CMD_ADD, 0 },    { "0.3.0", CNI_CMD_DEL, 0 },
		{ "0.3.0", CNI_CMD_CHECK, 1 },  { "0.3.1", CNI_CMD_CHECK, 1 },
		{ "0.4.0", CNI_CMD_CHECK, 0 },  { "1.0.0", CNI_CMD_CHECK, 0 },
		{ "1.1.0", CNI_CMD_CHECK, 0 },  { "0.4.0", CNI_CMD_STATUS, 1 },
		{ "1.0.0", CNI_CMD_STATUS, 1 }, { "1.1.0", CNI_CMD_STATUS, 0 },
		{ "0.3.1", CNI_CMD_GC, 1 },     { "1.0.0", CNI_CMD_GC, 1 },
		{ "1.1.0", CNI_CMD_GC, 0 },
	};
	char buf[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cni_err err = { 0 };
		struct config cfg;
		int r;

		(void) snprintf(buf, sizeof(buf),
				"{\"cniVersion\":\"%s\",\"name\":\"n\",\"type\":\"rdmanet\","
				"\"master\":\"ib0\",\"prevResult\":{}}",
				cases[i].version);
		r = parse_str(buf, cases[i].cmd, NULL, &cfg, &err);
		if (cases[i].code ? (r >= 0 || err.code != cases[i].code) : (r < 0 || err.code)) {
			printf("  %s with %s: r=%d code=%d msg='%s'\n",
			       cni_command_name(cases[i].cmd), cases[i].version, r, err.code,
			       err.msg);
			unit_cur_failed = 1;
		}
		/* the version is known even when the command refuses it */
		CHECK_STR(cfg.cni_version, cases[i].version);
		config_free(&cfg);
	}
}

static void test_version_kept_on_later_error(void)
{
	struct cni_err err = { 0 };
	struct config cfg;

	CHECK(parse_str("{\"cniVersion\":\"0.4.0\",\"name\":7}", CNI_CMD_ADD, NULL, &cfg, &err) <
	      0);
	CHECK_STR(cfg.cni_version, "0.4.0");
	CHECK_INT(err.code, CNI_ERR_INVALID_CONFIG);
	config_free(&cfg);
	memset(&err, 0, sizeof(err));
	CHECK(parse_str("{\"cniVersion\":\"9.9.9\",\"name\":\"n\"}", CNI_CMD_ADD, NULL, &cfg,
			&err) < 0);
	CHECK_STR(cfg.cni_version, ""); /* unsupported: never answer in it */
	CHECK_INT(err.code, CNI_ERR_INCOMPATIBLE_VERSION);
	config_free(&cfg);
}

static void test_mac_from_args(void)
{
	static const char *const plain =
		"{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"rdmanet\",\"master\":\"ib0\"}";
	static const char *const with_mac =
		"{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"rdmanet\",\"master\":\"ib0\","
		"\"runtimeConfig\":{\"mac\":\"02:00:00:00:00:aa\"}}";
	struct cni_err err = { 0 };
	struct cni_args args;
	struct config cfg;

	CHECK_INT(cni_args_parse("MAC=02:00:00:00:00:bb", &args, &err), 0);
	CHECK_INT(parse_str(plain, CNI_CMD_ADD, &args, &cfg, &err), 0);
	CHECK(cfg.has_mac && cfg.mac[5] == 0xbb);
	config_free(&cfg);
	/* runtimeConfig.mac wins */
	CHECK_INT(parse_str(with_mac, CNI_CMD_ADD, &args, &cfg, &err), 0);
	CHECK(cfg.has_mac && cfg.mac[5] == 0xaa);
	config_free(&cfg);
	/* no MAC in CNI_ARGS */
	CHECK_INT(cni_args_parse("K8S_POD_NAME=p", &args, &err), 0);
	CHECK_INT(parse_str(plain, CNI_CMD_ADD, &args, &cfg, &err), 0);
	CHECK(!cfg.has_mac);
	config_free(&cfg);
	CHECK_INT(err.code, 0);
}

static void test_stdin_size_limit(void)
{
	static const char head[] =
		"{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"rdmanet\",\"master\":\"ib0\","
		"\"pad\":\"";
	static const char tail[] = "\"}";
	size_t max = CONFIG_STDIN_MAX;
	char *buf = malloc(max + 2);
	struct cni_err err = { 0 };
	struct config cfg;

	CHECK(buf != NULL);
	if (!buf)
		return;
	/* exactly 1 MiB is accepted */
	memcpy(buf, head, sizeof(head) - 1);
	memset(buf + sizeof(head) - 1, 'x', max - (sizeof(head) - 1) - (sizeof(tail) - 1));
	memcpy(buf + max - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	CHECK_INT(config_parse(buf, max, CNI_CMD_ADD, NULL, &cfg, &err), 0);
	CHECK_INT(err.code, 0);
	CHECK_INT(cfg.raw_len, max);
	config_free(&cfg);
	/* one byte more is error 6, before any parsing */
	buf[max - 1] = ' ';
	buf[max] = '}';
	CHECK_INT(config_parse(buf, max + 1, CNI_CMD_ADD, NULL, &cfg, &err), -E2BIG);
	CHECK_INT(err.code, CNI_ERR_DECODE);
	CHECK(strstr(err.msg, "larger than") != NULL);
	CHECK(cfg.root == NULL && cfg.raw == NULL);
	config_free(&cfg);
	free(buf);
}

static void test_decode_errors(void)
{
	static const char nul_inside[] =
		"{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"t\",\"master\":\"ib0\"}\0x";
	struct cni_err err = { 0 };
	struct config cfg;

	CHECK(config_parse(NULL, 0, CNI_CMD_ADD, NULL, &cfg, &err) < 0);
	CHECK_INT(err.code, CNI_ERR_DECODE);
	config_free(&cfg);
	memset(&err, 0, sizeof(err));
	/* the length is honoured: a valid prefix is not enough, a NUL inside is not an end */
	CHECK(config_parse("{\"cniVersion\":\"1.0.0\"}", 10, CNI_CMD_ADD, NULL, &cfg, &err) < 0);
	CHECK_INT(err.code, CNI_ERR_DECODE);
	CHECK(strstr(err.msg, "near byte") != NULL);
	config_free(&cfg);
	memset(&err, 0, sizeof(err));
	CHECK(config_parse(nul_inside, sizeof(nul_inside) - 1, CNI_CMD_ADD, NULL, &cfg, &err) < 0);
	CHECK_INT(err.code, CNI_ERR_DECODE);
	config_free(&cfg);
}

static int peek(const char *s, char v[CNI_VERSION_MAX])
{
	return config_peek_version(s, strlen(s), v);
}

static void test_peek_version(void)
{
	char v[CNI_VERSION_MAX];

	CHECK_INT(peek("{\"cniVersion\":\"0.4.0\",\"x\":1}", v), 0);
	CHECK_STR(v, "0.4.0");
	/* unsupported versions are peeked as they are: the caller decides */
	CHECK_INT(peek("{\"cniVersion\":\"0.2.0\"}", v), 0);
	CHECK_STR(v, "0.2.0");
	CHECK_INT(peek("{\"cniVersion\":1}", v), 0);
	CHECK_STR(v, "");
	CHECK_INT(peek("{\"cniVersion\":\"0123456789abcdef\"}", v), 0);
	CHECK_STR(v, ""); /* too long for the buffer */
	CHECK_INT(peek("{", v), -EINVAL);
	CHECK_STR(v, "");
	CHECK_INT(config_peek_version(NULL, 0, v), 0);
	CHECK_STR(v, "");
	CHECK_INT(config_peek_version("{}", CONFIG_STDIN_MAX + 1, v), -E2BIG);
}

/* rdma.* and the device a device plugin hands over, where Multus puts it. */
static void test_good_rdma_and_hostdev(void)
{
	struct config cfg;

	CHECK_INT(GOOD("rdma-shared.json", CNI_CMD_ADD, &cfg), 0);
	CHECK_INT(cfg.rdma_mode, RDMA_MODE_SHARED);
	CHECK_STR(cfg.rdma_device, "mlx5_0");
	CHECK_STR(cfg.device_id, "");
	config_free(&cfg);
	CHECK_INT(GOOD("minimal-100.json", CNI_CMD_ADD, &cfg), 0);
	CHECK_INT(cfg.rdma_mode, RDMA_MODE_AUTO);
	config_free(&cfg);
	CHECK_INT(GOOD("rdma-none.json", CNI_CMD_ADD, &cfg), 0);
	CHECK_INT(cfg.rdma_mode, RDMA_MODE_NONE);
	config_free(&cfg);
	CHECK_INT(GOOD("hostdev-deviceid-runtime.json", CNI_CMD_ADD, &cfg), 0);
	CHECK_INT(cfg.link, LINK_HOSTDEV);
	CHECK_STR(cfg.master, "");
	CHECK_STR(cfg.device_id, "0000:3b:00.2");
	CHECK_STR(cfg.devinfo_file, "/var/run/k8s.cni.cncf.io/devinfo/cni/abc-net1");
	CHECK_INT(cfg.rdma_mode, RDMA_MODE_EXCLUSIVE);
	config_free(&cfg);
	CHECK_INT(GOOD("hostdev-deviceid-multus.json", CNI_CMD_ADD, &cfg), 0);
	CHECK_STR(cfg.device_id, "0000:3b:00.2");
	config_free(&cfg);
	CHECK_INT(GOOD("hostdev-sf.json", CNI_CMD_ADD, &cfg), 0);
	CHECK_STR(cfg.device_id, "mlx5_core.sf.2");
	config_free(&cfg);
	CHECK(config_device_id_valid("0000:3b:00.2"));
	CHECK(config_device_id_valid("mlx5_core.sf.2"));
	CHECK(!config_device_id_valid("../x"));
	CHECK(!config_device_id_valid("0000:3b:00.2/net"));
	CHECK(!config_device_id_valid(""));
	CHECK_STR(config_rdma_mode_name(RDMA_MODE_EXCLUSIVE), "exclusive");
}

/* runtimeConfig.deviceID (the deviceID capability) wins over the top-level one. */
/* routing and the multi-rail sysctls: defaults, every value, null keeps the default */
static void test_routing_and_sysctls(void)
{
	static const char base[] = "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"rdmanet\","
				   "\"master\":\"eth0\"";
	struct cni_err err = { 0 };
	struct config cfg;
	char buf[512];

	(void) snprintf(buf, sizeof(buf), "%s}", base);
	CHECK_INT(parse_str(buf, CNI_CMD_ADD, NULL, &cfg, &err), 0);
	CHECK(cfg.routing == ROUTING_TABLE && cfg.arp_ignore == 1 && cfg.arp_announce == 2 &&
	      cfg.rp_filter == 2);
	CHECK_STR(config_routing_name(cfg.routing), "table");
	config_free(&cfg);
	(void) snprintf(buf, sizeof(buf),
			"%s,\"routing\":\"main\",\"arpIgnore\":8,\"arpAnnounce\":0,\"rpFilter\":1}",
			base);
	CHECK_INT(parse_str(buf, CNI_CMD_ADD, NULL, &cfg, &err), 0);
	CHECK(cfg.routing == ROUTING_MAIN && cfg.arp_ignore == 8 && cfg.arp_announce == 0 &&
	      cfg.rp_filter == 1);
	CHECK_STR(config_routing_name(cfg.routing), "main");
	config_free(&cfg);
	(void) snprintf(buf, sizeof(buf), "%s,\"routing\":null,\"arpIgnore\":null,\"rpFilter\":0}",
			base);
	CHECK_INT(parse_str(buf, CNI_CMD_ADD, NULL, &cfg, &err), 0);
	CHECK(cfg.routing == ROUTING_TABLE && cfg.arp_ignore == 1 && cfg.rp_filter == 0);
	config_free(&cfg);
}

static void test_device_id_precedence(void)
{
	static const char conf[] = "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"rdmanet\","
				   "\"link\":\"hostdev\",\"deviceID\":\"0000:3b:00.2\","
				   "\"runtimeConfig\":{\"deviceID\":\"0000:3b:00.5\"}}";
	struct cni_err err = { 0 };
	struct config cfg;

	CHECK_INT(config_parse(conf, sizeof(conf) - 1, CNI_CMD_ADD, NULL, &cfg, &err), 0);
	CHECK_STR(cfg.device_id, "0000:3b:00.5");
	config_free(&cfg);
}

int main(int argc, char **argv)
{
	(void) argc;
	if (unit_fixtures(argv[0], "config", fixtures) < 0) {
		printf("cannot find tests/fixtures/config (run from the top directory or set "
		       "FIXTURES_DIR to a tests/fixtures)\n");
		printf("0 passed, 1 failed\n");
		return 1;
	}
	RUN(test_good_fixtures_all_parse);
	RUN(test_good_minimal);
	RUN(test_good_full);
	RUN(test_good_versions_and_modes);
	RUN(test_good_edges);
	RUN(test_good_check_prev_result);
	RUN(test_good_gc);
	RUN(test_bad_fixtures);
	RUN(test_good_rdma_and_hostdev);
	RUN(test_device_id_precedence);
	RUN(test_routing_and_sysctls);
	RUN(test_master_required_per_command);
	RUN(test_version_gates);
	RUN(test_version_kept_on_later_error);
	RUN(test_mac_from_args);
	RUN(test_stdin_size_limit);
	RUN(test_decode_errors);
	RUN(test_peek_version);
	UNIT_DONE();
}
