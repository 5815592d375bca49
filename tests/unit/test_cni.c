/* SPDX-License-Identifier: Apache-2.0 */
/* test_cni.c - versions, CNI_ARGS, CNI_* environment, CIDRs, result and error JSON. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cjson/cJSON.h>

#include "rdmanet/cidr.h"
#include "rdmanet/cni.h"
#include "rdmanet/err.h"
#include "unit.h"

/* ---------------------------------------------------------------------------------------- */
/* versions */

static void test_version_cmp(void)
{
	CHECK_INT(cni_version_cmp("1.0.0", "1.0.0"), 0);
	CHECK_INT(cni_version_cmp("0.3.1", "0.4.0"), -1);
	CHECK_INT(cni_version_cmp("0.4.0", "0.3.1"), 1);
	CHECK_INT(cni_version_cmp("1.0.0", "0.4.0"), 1);
	CHECK_INT(cni_version_cmp("1.1.0", "1.0.0"), 1);
	CHECK_INT(cni_version_cmp("1.0.0", "1.0.1"), -1);
	CHECK_INT(cni_version_cmp("1.0.1", "1.0.0"), 1);
	/* numeric, not lexical */
	CHECK_INT(cni_version_cmp("1.10.0", "1.9.0"), 1);
	CHECK_INT(cni_version_cmp("0.10.0", "1.0.0"), -1);
	CHECK_INT(cni_version_cmp("10.0.0", "9.99.99"), 1);
	CHECK_INT(cni_version_cmp("1000.0.0", "999.0.0"), 1);
}

static void test_version_cmp_malformed(void)
{
	static const char *const bad[] = {
		"",
		"1",
		"1.0",
		"1.0.",
		"1..0",
		".1.0",
		"1.0.0.",
		"1.0.0.0",
		"a.b.c",
		"1.0.0-rc1",
		"v1.0.0",
		" 1.0.0",
		"1.0.0 ",
		"1.0.0\n",
		"-1.0.0",
		"+1.0.0",
		"1.-1.0",
		"1001.0.0",
		"1.0.99999999999999999999",
		"1,0,0",
		"0x1.0.0",
	};

	CHECK_INT(cni_version_cmp(NULL, "1.0.0"), -2);
	CHECK_INT(cni_version_cmp("1.0.0", NULL), -2);
	CHECK_INT(cni_version_cmp(NULL, NULL), -2);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (cni_version_cmp(bad[i], "1.0.0") != -2 ||
		    cni_version_cmp("1.0.0", bad[i]) != -2) {
			printf("  '%s' was not treated as malformed\n", bad[i]);
			CHECK(0);
		}
	}
	CHECK_INT(cni_version_cmp("garbage", "garbage"), -2);
}

static void test_version_supported(void)
{
	static const char *const good[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0" };
	static const char *const bad[] = { "0.1.0", "0.2.0", "0.3.2", "0.5.0", "1.0.1",  "1.2.0",
					   "2.0.0", "1.0",   "1",     "",      "1.1.0 ", "01.0.0" };
	size_t n = 0;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(cni_version_supported(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cni_version_supported(bad[i])) {
			printf("  '%s' accepted\n", bad[i]);
			CHECK(0);
		}
	CHECK(!cni_version_supported(NULL));
	while (cni_supported_versions[n])
		n++;
	CHECK_INT(n, 5);
	CHECK_STR(cni_supported_versions[n - 1], CNI_VERSION_LATEST);
}

static void test_version_format(void)
{
	static const char *const list =
		"\"supportedVersions\":[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\",\"1.1.0\"]}";
	char want[256];
	char *s;

	s = cni_version_format("0.4.0");
	(void) snprintf(want, sizeof(want), "{\"cniVersion\":\"0.4.0\",%s", list);
	CHECK_STR(s, want);
	free(s);

	s = cni_version_format("1.0.0");
	(void) snprintf(want, sizeof(want), "{\"cniVersion\":\"1.0.0\",%s", list);
	CHECK_STR(s, want);
	free(s);

	/* unsupported, empty or absent request: answer in the latest version */
	(void) snprintf(want, sizeof(want), "{\"cniVersion\":\"1.1.0\",%s", list);
	s = cni_version_format("0.2.0");
	CHECK_STR(s, want);
	free(s);
	s = cni_version_format("");
	CHECK_STR(s, want);
	free(s);
	s = cni_version_format(NULL);
	CHECK_STR(s, want);
	free(s);
	s = cni_version_format("\"injected\"");
	CHECK_STR(s, want);
	free(s);
}

static void test_command_name(void)
{
	CHECK_STR(cni_command_name(CNI_CMD_ADD), "ADD");
	CHECK_STR(cni_command_name(CNI_CMD_DEL), "DEL");
	CHECK_STR(cni_command_name(CNI_CMD_CHECK), "CHECK");
	CHECK_STR(cni_command_name(CNI_CMD_STATUS), "STATUS");
	CHECK_STR(cni_command_name(CNI_CMD_GC), "GC");
	CHECK_STR(cni_command_name(CNI_CMD_VERSION), "VERSION");
	CHECK_STR(cni_command_name(CNI_CMD_NONE), "");
	CHECK_STR(cni_command_name((enum cni_command) 99), "");
}

/* ---------------------------------------------------------------------------------------- */
/* small validators */

static void test_ifname_valid(void)
{
	CHECK(cni_ifname_valid("eth0"));
	CHECK(cni_ifname_valid("net1"));
	CHECK(cni_ifname_valid("a"));
	CHECK(cni_ifname_valid("..."));
	CHECK(cni_ifname_valid(".a"));
	CHECK(cni_ifname_valid("abcdefghijklmno"));   /* 15 */
	CHECK(!cni_ifname_valid("abcdefghijklmnop")); /* 16 */
	CHECK(!cni_ifname_valid(""));
	CHECK(!cni_ifname_valid(NULL));
	CHECK(!cni_ifname_valid("."));
	CHECK(!cni_ifname_valid(".."));
	CHECK(!cni_ifname_valid("a/b"));
	CHECK(!cni_ifname_valid("a:b"));
	CHECK(!cni_ifname_valid("a b"));
	CHECK(!cni_ifname_valid("a\tb"));
	CHECK(!cni_ifname_valid("eth0\n"));
	CHECK(!cni_ifname_valid("eth\x7f"));
	CHECK(!cni_ifname_valid(" eth0"));
}

static void test_containerid_valid(void)
{
	char id[CNI_CONTAINERID_MAX + 2];

	CHECK(cni_containerid_valid("a"));
	CHECK(cni_containerid_valid("0"));
	CHECK(cni_containerid_valid("abc123"));
	CHECK(cni_containerid_valid("A1_b.c-d"));
	CHECK(cni_containerid_valid(
		"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"));
	CHECK(!cni_containerid_valid(""));
	CHECK(!cni_containerid_valid(NULL));
	CHECK(!cni_containerid_valid("_abc"));
	CHECK(!cni_containerid_valid(".abc"));
	CHECK(!cni_containerid_valid("-abc"));
	CHECK(!cni_containerid_valid("ab/c"));
	CHECK(!cni_containerid_valid("ab c"));
	CHECK(!cni_containerid_valid("ab:c"));
	CHECK(!cni_containerid_valid("ab\nc"));
	CHECK(!cni_containerid_valid("ab\xc3\xa9"));
	memset(id, 'a', CNI_CONTAINERID_MAX);
	id[CNI_CONTAINERID_MAX] = '\0';
	CHECK(cni_containerid_valid(id));
	id[CNI_CONTAINERID_MAX] = 'a';
	id[CNI_CONTAINERID_MAX + 1] = '\0';
	CHECK(!cni_containerid_valid(id));
}

static void test_mac_parse(void)
{
	static const char *const bad[] = {
		"",
		"02:00:00:00:00",
		"02:00:00:00:00:0",
		"02:00:00:00:00:001",
		"02-00-00-00-00-01",
		"0200.0000.0001",
		"01:00:5e:00:00:01", /* multicast */
		"ff:ff:ff:ff:ff:ff", /* broadcast */
		"00:00:00:00:00:00", /* zero */
		"zz:00:00:00:00:01",
		" 2:00:00:00:00:01",
		"+2:00:00:00:00:01",
		"02:00:00:00:00:01 ",
		"02:00:00:00:00:0g",
		"02::00:00:00:00:01",
		"0x:00:00:00:00:01",
		"02:00:00:00:00:01:02",
	};
	unsigned char mac[6];

	CHECK_INT(cni_mac_parse("02:00:00:00:00:01", mac), 0);
	CHECK(mac[0] == 0x02 && mac[1] == 0 && mac[4] == 0 && mac[5] == 0x01);
	CHECK_INT(cni_mac_parse("AA:bb:Cc:dD:ee:FE", mac), 0);
	CHECK(mac[0] == 0xaa && mac[1] == 0xbb && mac[2] == 0xcc && mac[3] == 0xdd &&
	      mac[4] == 0xee && mac[5] == 0xfe);
	CHECK_INT(cni_mac_parse(NULL, mac), -EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cni_mac_parse(bad[i], mac) != -EINVAL) {
			printf("  MAC '%s' accepted\n", bad[i]);
			CHECK(0);
		}
}

/* ---------------------------------------------------------------------------------------- */
/* CNI_ARGS */

static void test_args_multus(void)
{
	struct cni_err err = { 0 };
	struct cni_args a;

	memset(&a, 0x5a, sizeof(a));
	CHECK_INT(cni_args_parse("IgnoreUnknown=true;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;"
				 "K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=0123abcd-ef01-4567-"
				 "89ab-cdef01234567",
				 &a, &err),
		  0);
	CHECK_INT(err.code, 0);
	CHECK(a.ignore_unknown);
	CHECK_STR(a.pod_namespace, "ns");
	CHECK_STR(a.pod_name, "p");
	CHECK_STR(a.infra_container_id, "abc");
	CHECK_STR(a.pod_uid, "0123abcd-ef01-4567-89ab-cdef01234567");
	CHECK(!a.has_mac);

	/* a realistic one */
	CHECK_INT(cni_args_parse("IgnoreUnknown=1;K8S_POD_NAMESPACE=kube-system;"
				 "K8S_POD_NAME=coredns-5d78c9869d-8x2vq;"
				 "K8S_POD_INFRA_CONTAINER_ID="
				 "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b;"
				 "K8S_POD_UID=3c0b1d0e-8f4b-4a4e-9f7c-1b2d3e4f5a6b",
				 &a, &err),
		  0);
	CHECK_STR(a.pod_namespace, "kube-system");
	CHECK_STR(a.pod_name, "coredns-5d78c9869d-8x2vq");
	CHECK_STR(a.pod_uid, "3c0b1d0e-8f4b-4a4e-9f7c-1b2d3e4f5a6b");
	CHECK_INT(err.code, 0);
}

static void test_args_empty(void)
{
	struct cni_err err = { 0 };
	struct cni_args a;

	memset(&a, 0x5a, sizeof(a));
	CHECK_INT(cni_args_parse(NULL, &a, &err), 0);
	CHECK(!a.ignore_unknown && !a.has_mac && !a.pod_name[0] && !a.pod_namespace[0]);
	memset(&a, 0x5a, sizeof(a));
	CHECK_INT(cni_args_parse("", &a, &err), 0);
	CHECK(!a.ignore_unknown && !a.has_mac && !a.pod_name[0] && !a.pod_uid[0]);
	/* empty pairs are skipped */
	CHECK_INT(cni_args_parse(";;K8S_POD_NAME=p;;", &a, &err), 0);
	CHECK_STR(a.pod_name, "p");
	CHECK_INT(err.code, 0);
}

static void expect_args_error(const char *raw, const char *needle, int line)
{
	struct cni_err err = { 0 };
	struct cni_args a;
	int r = cni_args_parse(raw, &a, &err);

	if (r >= 0 || err.code != CNI_ERR_INVALID_ENV || !strstr(err.msg, needle) ||
	    !strstr(err.msg, "CNI_ARGS")) {
		printf("  line %d: CNI_ARGS '%.60s': r=%d code=%d msg='%s' "
		       "(want code 4 and '%s')\n",
		       line, raw, r, err.code, err.msg, needle);
		unit_cur_failed = 1;
	}
}
#define ARGS_ERR(raw, needle) expect_args_error(raw, needle, __LINE__)

static void test_args_unknown(void)
{
	struct cni_err err = { 0 };
	struct cni_args a;

	ARGS_ERR("FOO=bar", "FOO");
	ARGS_ERR("K8S_POD_NAME=p;FOO=bar", "'FOO'");
	ARGS_ERR("FOO=1;BAR=2", "FOO"); /* the first unknown key is named */
	ARGS_ERR("IgnoreUnknown=false;FOO=bar", "FOO");
	ARGS_ERR("IgnoreUnknown=0;FOO=bar", "FOO");
	ARGS_ERR("IgnoreUnknown=true;FOO=bar;IgnoreUnknown=false", "FOO"); /* last one wins */
	ARGS_ERR("k8s_pod_name=p", "k8s_pod_name"); /* keys are case-sensitive */

	CHECK_INT(cni_args_parse("IgnoreUnknown=true;FOO=bar", &a, &err), 0);
	CHECK(a.ignore_unknown);
	CHECK_INT(cni_args_parse("IgnoreUnknown=TRUE;FOO=bar", &a, &err), 0);
	CHECK_INT(cni_args_parse("IgnoreUnknown=1;FOO=bar;BAZ=", &a, &err), 0);
	/* order does not matter */
	CHECK_INT(cni_args_parse("FOO=bar;K8S_POD_NAME=p;IgnoreUnknown=true", &a, &err), 0);
	CHECK_STR(a.pod_name, "p");
	/* IP and GATEWAY are known (read by IPAM plugins) */
	CHECK_INT(cni_args_parse("IP=10.1.2.3/24;GATEWAY=10.1.2.1", &a, &err), 0);
	CHECK(!a.ignore_unknown);
	CHECK_INT(err.code, 0);

	ARGS_ERR("IgnoreUnknown=yes;FOO=bar", "IgnoreUnknown");
	ARGS_ERR("IgnoreUnknown=", "IgnoreUnknown");
}

static void test_args_malformed(void)
{
	ARGS_ERR("FOO", "'FOO' is not a KEY=VALUE pair");
	ARGS_ERR("K8S_POD_NAME=p;garbage", "'garbage'");
	ARGS_ERR("=bar", "'=bar'");
	ARGS_ERR("IgnoreUnknown=true;=bar", "=bar");
	ARGS_ERR("A=b=c", "KEY=VALUE");
	ARGS_ERR("IgnoreUnknown=true;A=b=c", "KEY=VALUE");
	ARGS_ERR("K8S_POD_NAME", "KEY=VALUE");
	ARGS_ERR(" ", "KEY=VALUE");
}

static void test_args_length_and_ctl(void)
{
	static const char prefix[] = "IgnoreUnknown=true;X=";
	char buf[CNI_ARGS_MAX + 2];
	struct cni_err err = { 0 };
	struct cni_args a;
	size_t n = strlen(prefix);

	memcpy(buf, prefix, n);
	memset(buf + n, 'v', CNI_ARGS_MAX - n);
	buf[CNI_ARGS_MAX] = '\0';
	CHECK_INT(strlen(buf), CNI_ARGS_MAX);
	CHECK_INT(cni_args_parse(buf, &a, &err), 0); /* exactly at the limit */
	CHECK_INT(err.code, 0);
	buf[CNI_ARGS_MAX] = 'v';
	buf[CNI_ARGS_MAX + 1] = '\0';
	memset(&err, 0, sizeof(err));
	CHECK_INT(cni_args_parse(buf, &a, &err), -E2BIG);
	CHECK_INT(err.code, CNI_ERR_INVALID_ENV);
	CHECK(strstr(err.msg, "CNI_ARGS") && strstr(err.msg, "4096"));

	ARGS_ERR("K8S_POD_NAME=p\n", "control character");
	ARGS_ERR("K8S_POD_NAME=p;\tIP=1", "control character");
	ARGS_ERR("IgnoreUnknown=true;X=\x1b[31m", "control character");
	ARGS_ERR("IgnoreUnknown=true;X=\x7f", "control character");
	ARGS_ERR("\r", "control character");
}

static void test_args_mac(void)
{
	struct cni_err err = { 0 };
	struct cni_args a;

	CHECK_INT(cni_args_parse("MAC=02:11:22:33:44:55", &a, &err), 0);
	CHECK(a.has_mac);
	CHECK(a.mac[0] == 0x02 && a.mac[1] == 0x11 && a.mac[5] == 0x55);
	CHECK_INT(cni_args_parse("K8S_POD_NAME=p", &a, &err), 0);
	CHECK(!a.has_mac);
	CHECK_INT(err.code, 0);

	ARGS_ERR("MAC=01:00:5e:00:00:01", "MAC");
	ARGS_ERR("MAC=00:00:00:00:00:00", "MAC");
	ARGS_ERR("MAC=02:11:22:33:44", "MAC");
	ARGS_ERR("MAC=02-11-22-33-44-55", "MAC");
	ARGS_ERR("MAC=", "MAC");
	ARGS_ERR("IgnoreUnknown=true;MAC=nope", "'nope'");
}

static void test_args_bad_values(void)
{
	char longname[300];
	struct cni_err err = { 0 };
	struct cni_args a;

	/* namespace: DNS-1123 label, at most 63 */
	ARGS_ERR("K8S_POD_NAMESPACE=", "K8S_POD_NAMESPACE");
	ARGS_ERR("K8S_POD_NAMESPACE=Kube-System", "K8S_POD_NAMESPACE");
	ARGS_ERR("K8S_POD_NAMESPACE=-ns", "K8S_POD_NAMESPACE");
	ARGS_ERR("K8S_POD_NAMESPACE=ns-", "K8S_POD_NAMESPACE");
	ARGS_ERR("K8S_POD_NAMESPACE=my.ns", "K8S_POD_NAMESPACE");
	ARGS_ERR("K8S_POD_NAMESPACE=ns_1", "K8S_POD_NAMESPACE");
	(void) snprintf(longname, sizeof(longname), "K8S_POD_NAMESPACE=%0*d", 63, 0);
	CHECK_INT(cni_args_parse(longname, &a, &err), 0);
	CHECK_INT(strlen(a.pod_namespace), 63);
	(void) snprintf(longname, sizeof(longname), "K8S_POD_NAMESPACE=%0*d", 64, 0);
	ARGS_ERR(longname, "K8S_POD_NAMESPACE");

	/* pod name: DNS-1123 subdomain, at most 253 */
	CHECK_INT(cni_args_parse("K8S_POD_NAME=web-0.example", &a, &err), 0);
	CHECK_STR(a.pod_name, "web-0.example");
	ARGS_ERR("K8S_POD_NAME=", "K8S_POD_NAME");
	ARGS_ERR("K8S_POD_NAME=Web", "K8S_POD_NAME");
	ARGS_ERR("K8S_POD_NAME=web.", "K8S_POD_NAME");
	ARGS_ERR("K8S_POD_NAME=web/0", "K8S_POD_NAME");
	ARGS_ERR("K8S_POD_NAME=web 0", "K8S_POD_NAME");
	(void) snprintf(longname, sizeof(longname), "K8S_POD_NAME=%0*d", 253, 0);
	CHECK_INT(cni_args_parse(longname, &a, &err), 0);
	CHECK_INT(strlen(a.pod_name), 253);
	(void) snprintf(longname, sizeof(longname), "K8S_POD_NAME=%0*d", 254, 0);
	ARGS_ERR(longname, "K8S_POD_NAME");

	/* UID: hex and dashes, shorter than 64 */
	ARGS_ERR("K8S_POD_UID=", "K8S_POD_UID");
	ARGS_ERR("K8S_POD_UID=not-a-uid", "K8S_POD_UID");
	ARGS_ERR("K8S_POD_UID=3c0b1d0e 8f4b", "K8S_POD_UID");
	(void) snprintf(longname, sizeof(longname), "K8S_POD_UID=%0*d", 63, 0);
	CHECK_INT(cni_args_parse(longname, &a, &err), 0);
	(void) snprintf(longname, sizeof(longname), "K8S_POD_UID=%0*d", 64, 0);
	ARGS_ERR(longname, "K8S_POD_UID");

	/* infra container ID: same rule as CNI_CONTAINERID */
	ARGS_ERR("K8S_POD_INFRA_CONTAINER_ID=", "K8S_POD_INFRA_CONTAINER_ID");
	ARGS_ERR("K8S_POD_INFRA_CONTAINER_ID=-abc", "K8S_POD_INFRA_CONTAINER_ID");
	ARGS_ERR("K8S_POD_INFRA_CONTAINER_ID=ab/c", "K8S_POD_INFRA_CONTAINER_ID");
	ARGS_ERR("IgnoreUnknown=true;K8S_POD_INFRA_CONTAINER_ID=ab:c",
		 "K8S_POD_INFRA_CONTAINER_ID");
	CHECK_INT(err.code, 0);
}

/* ---------------------------------------------------------------------------------------- */
/* CNI_* environment */

static const char *const env_names[] = { "CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS",
					 "CNI_IFNAME",  "CNI_ARGS",        "CNI_PATH" };

static void env_set(const char *cmd)
{
	for (size_t i = 0; i < sizeof(env_names) / sizeof(env_names[0]); i++)
		(void) unsetenv(env_names[i]);
	if (!cmd)
		return;
	(void) setenv("CNI_COMMAND", cmd, 1);
	(void) setenv("CNI_CONTAINERID", "9f86d081884c", 1);
	(void) setenv("CNI_NETNS", "/var/run/netns/cni-1234", 1);
	(void) setenv("CNI_IFNAME", "net1", 1);
	(void) setenv("CNI_ARGS", "IgnoreUnknown=true;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p", 1);
	(void) setenv("CNI_PATH", "/opt/cni/bin", 1);
}

/* Parses the environment; want_ok or an error of code 4 whose msg names needle. */
static void env_expect(const char *needle, int line)
{
	struct cni_err err = { 0 };
	struct cni_env env;
	int r = cni_env_parse(&env, &err);

	if (!needle) {
		if (r < 0 || err.code) {
			printf("  line %d: cni_env_parse failed: r=%d code=%d msg='%s'\n", line, r,
			       err.code, err.msg);
			unit_cur_failed = 1;
		}
		return;
	}
	if (r >= 0 || err.code != CNI_ERR_INVALID_ENV || !strstr(err.msg, needle)) {
		printf("  line %d: r=%d code=%d msg='%s' (want code 4 naming '%s')\n", line, r,
		       err.code, err.msg, needle);
		unit_cur_failed = 1;
	}
}
#define ENV_OK()        env_expect(NULL, __LINE__)
#define ENV_ERR(needle) env_expect(needle, __LINE__)

static void test_env_add_ok(void)
{
	struct cni_err err = { 0 };
	struct cni_env env;

	env_set("ADD");
	CHECK_INT(cni_env_parse(&env, &err), 0);
	CHECK_INT(env.cmd, CNI_CMD_ADD);
	CHECK_STR(env.containerid, "9f86d081884c");
	CHECK_STR(env.netns, "/var/run/netns/cni-1234");
	CHECK_STR(env.ifname, "net1");
	CHECK_STR(env.path, "/opt/cni/bin");
	CHECK_STR(env.args_raw, "IgnoreUnknown=true;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p");
	CHECK_STR(env.args.pod_namespace, "ns");
	CHECK_STR(env.args.pod_name, "p");
	CHECK(env.args.ignore_unknown);
	CHECK_INT(err.code, 0);

	/* CNI_ARGS is optional */
	(void) unsetenv("CNI_ARGS");
	ENV_OK();
	(void) setenv("CNI_ARGS", "", 1);
	ENV_OK();
	env_set(NULL);
}

static void test_env_command(void)
{
	struct cni_err err = { 0 };
	struct cni_env env;

	env_set(NULL);
	ENV_ERR("CNI_COMMAND");
	(void) setenv("CNI_COMMAND", "", 1);
	ENV_ERR("CNI_COMMAND");
	(void) setenv("CNI_COMMAND", "add", 1);
	ENV_ERR("CNI_COMMAND");
	(void) setenv("CNI_COMMAND", "ADD ", 1);
	ENV_ERR("CNI_COMMAND");
	(void) setenv("CNI_COMMAND", "BOGUS", 1);
	ENV_ERR("'BOGUS'");
	/* VERSION needs nothing else */
	(void) setenv("CNI_COMMAND", "VERSION", 1);
	CHECK_INT(cni_env_parse(&env, &err), 0);
	CHECK_INT(env.cmd, CNI_CMD_VERSION);
	CHECK_INT(err.code, 0);
	/* ... and does not look at the rest */
	(void) setenv("CNI_IFNAME", "a/b", 1);
	(void) setenv("CNI_ARGS", "FOO=bar", 1);
	ENV_OK();
	env_set(NULL);
}

/* Every variable the command needs, unset and empty, is error 4 naming it. */
static void required_vars(const char *cmd, const char *const *vars, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		env_set(cmd);
		ENV_OK();
		(void) unsetenv(vars[i]);
		env_expect(vars[i], __LINE__);
		(void) setenv(vars[i], "", 1);
		env_expect(vars[i], __LINE__);
		if (unit_cur_failed) {
			printf("  (%s without %s)\n", cmd, vars[i]);
			break;
		}
	}
	env_set(NULL);
}

static void optional_vars(const char *cmd, const char *const *vars, size_t n)
{
	env_set(cmd);
	for (size_t i = 0; i < n; i++)
		(void) unsetenv(vars[i]);
	ENV_OK();
	for (size_t i = 0; i < n; i++)
		(void) setenv(vars[i], "", 1);
	ENV_OK();
	if (unit_cur_failed)
		printf("  (%s without its optional variables)\n", cmd);
	env_set(NULL);
}

static void test_env_required_per_command(void)
{
	static const char *const add[] = { "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME",
					   "CNI_PATH" };
	static const char *const del[] = { "CNI_CONTAINERID", "CNI_IFNAME", "CNI_PATH" };
	static const char *const del_opt[] = { "CNI_NETNS", "CNI_ARGS" };
	static const char *const status[] = { "CNI_PATH" };
	static const char *const status_opt[] = { "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME",
						  "CNI_ARGS" };

	required_vars("ADD", add, 4);
	required_vars("CHECK", add, 4);
	required_vars("DEL", del, 3);
	optional_vars("DEL", del_opt, 2);
	required_vars("STATUS", status, 1);
	optional_vars("STATUS", status_opt, 4);
	required_vars("GC", status, 1);
	optional_vars("GC", status_opt, 4);
}

static void test_env_commands_parse(void)
{
	static const struct {
		const char *name;
		enum cni_command cmd;
	} cmds[] = { { "ADD", CNI_CMD_ADD },
		     { "DEL", CNI_CMD_DEL },
		     { "CHECK", CNI_CMD_CHECK },
		     { "STATUS", CNI_CMD_STATUS },
		     { "GC", CNI_CMD_GC } };

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct cni_err err = { 0 };
		struct cni_env env;

		env_set(cmds[i].name);
		CHECK_INT(cni_env_parse(&env, &err), 0);
		CHECK_INT(env.cmd, cmds[i].cmd);
		CHECK_STR(env.args.pod_name, "p");
	}
	env_set(NULL);
}

static void test_env_ifname(void)
{
	static const char *const bad[] = {
		"abcdefghijklmnop", ".", "..", "a/b", "a:b", "a b", "a\tb", "net1\n", "/"
	};
	static const char *const cmds[] = { "ADD", "DEL", "CHECK" };

	for (size_t c = 0; c < 3; c++) {
		env_set(cmds[c]);
		(void) setenv("CNI_IFNAME", "abcdefghijklmno", 1); /* 15 */
		ENV_OK();
		(void) setenv("CNI_IFNAME", "...", 1);
		ENV_OK();
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			(void) setenv("CNI_IFNAME", bad[i], 1);
			ENV_ERR("CNI_IFNAME");
		}
	}
	/* STATUS and GC have no attachment: CNI_IFNAME is not looked at */
	env_set("GC");
	(void) setenv("CNI_IFNAME", "a/b", 1);
	ENV_OK();
	env_set(NULL);
}

static void test_env_containerid(void)
{
	static const char *const bad[] = { "_abc", ".abc",  "-abc", "ab/c",      "ab c",
					   "ab:c", "ab\nc", "ab;c", "ab\xc3\xa9" };
	char id[CNI_CONTAINERID_MAX + 2];

	env_set("ADD");
	(void) setenv("CNI_CONTAINERID", "A1_b.c-d", 1);
	ENV_OK();
	(void) setenv("CNI_CONTAINERID", "0", 1);
	ENV_OK();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		(void) setenv("CNI_CONTAINERID", bad[i], 1);
		ENV_ERR("CNI_CONTAINERID");
	}
	memset(id, 'f', CNI_CONTAINERID_MAX);
	id[CNI_CONTAINERID_MAX] = '\0';
	(void) setenv("CNI_CONTAINERID", id, 1);
	ENV_OK();
	id[CNI_CONTAINERID_MAX] = 'f';
	id[CNI_CONTAINERID_MAX + 1] = '\0';
	(void) setenv("CNI_CONTAINERID", id, 1);
	ENV_ERR("CNI_CONTAINERID");
	env_set("DEL");
	(void) setenv("CNI_CONTAINERID", "-abc", 1);
	ENV_ERR("CNI_CONTAINERID");
	env_set(NULL);
}

static void test_env_netns(void)
{
	char *longp = malloc(CNI_NETNS_MAX + 2);

	env_set("ADD");
	(void) setenv("CNI_NETNS", "/proc/1234/ns/net", 1);
	ENV_OK();
	(void) setenv("CNI_NETNS", "var/run/netns/x", 1);
	ENV_ERR("CNI_NETNS");
	(void) setenv("CNI_NETNS", "./x", 1);
	ENV_ERR("CNI_NETNS");
	(void) setenv("CNI_NETNS", "/var/run/netns/a b", 1);
	ENV_ERR("CNI_NETNS");
	(void) setenv("CNI_NETNS", "/var/run/netns/x\n", 1);
	ENV_ERR("CNI_NETNS");
	if (longp) {
		longp[0] = '/';
		memset(longp + 1, 'n', CNI_NETNS_MAX - 1);
		longp[CNI_NETNS_MAX] = '\0';
		(void) setenv("CNI_NETNS", longp, 1);
		ENV_OK();
		longp[CNI_NETNS_MAX] = 'n';
		longp[CNI_NETNS_MAX + 1] = '\0';
		(void) setenv("CNI_NETNS", longp, 1);
		ENV_ERR("CNI_NETNS");
	}
	/* DEL: may be empty or absent, but when given it must still be absolute */
	env_set("DEL");
	(void) setenv("CNI_NETNS", "", 1);
	ENV_OK();
	(void) setenv("CNI_NETNS", "netns", 1);
	ENV_ERR("CNI_NETNS");
	env_set("CHECK");
	(void) setenv("CNI_NETNS", "relative", 1);
	ENV_ERR("CNI_NETNS");
	free(longp);
	env_set(NULL);
}

static void test_env_path_and_args(void)
{
	char *longp = malloc(CNI_PATH_ENV_MAX + 2);

	env_set("ADD");
	(void) setenv("CNI_ARGS", "FOO=bar", 1);
	ENV_ERR("CNI_ARGS");
	(void) setenv("CNI_ARGS", "K8S_POD_NAME=Bad_Name", 1);
	ENV_ERR("K8S_POD_NAME");
	(void) setenv("CNI_ARGS", "garbage", 1);
	ENV_ERR("CNI_ARGS");
	env_set("DEL");
	(void) setenv("CNI_ARGS", "FOO=bar", 1);
	ENV_ERR("CNI_ARGS");
	env_set("ADD");
	if (longp) {
		memset(longp, 'p', CNI_PATH_ENV_MAX);
		longp[0] = '/';
		longp[CNI_PATH_ENV_MAX] = '\0';
		(void) setenv("CNI_PATH", longp, 1);
		ENV_OK();
		longp[CNI_PATH_ENV_MAX] = 'p';
		longp[CNI_PATH_ENV_MAX + 1] = '\0';
		(void) setenv("CNI_PATH", longp, 1);
		ENV_ERR("CNI_PATH");
	}
	free(longp);
	env_set(NULL);
}

/* ---------------------------------------------------------------------------------------- */
/* addresses */

static void test_cidr_parse_good(void)
{
	unsigned char a[16], want[16];
	unsigned plen = 99;
	int family = 0;

	CHECK_INT(cidr_parse("10.1.2.3/24", &family, a, &plen, NULL, 0), 0);
	CHECK_INT(family, AF_INET);
	CHECK_INT(plen, 24);
	CHECK(a[0] == 10 && a[1] == 1 && a[2] == 2 && a[3] == 3);
	CHECK_INT(cidr_parse("0.0.0.0/0", &family, a, &plen, NULL, 0), 0);
	CHECK_INT(plen, 0);
	CHECK_INT(cidr_parse("255.255.255.255/32", &family, a, &plen, NULL, 0), 0);
	CHECK_INT(plen, 32);
	CHECK_INT(cidr_parse("fd00::1/64", &family, a, &plen, NULL, 0), 0);
	CHECK_INT(family, AF_INET6);
	CHECK_INT(plen, 64);
	CHECK_INT(inet_pton(AF_INET6, "fd00::1", want), 1);
	CHECK(!memcmp(a, want, 16));
	CHECK_INT(cidr_parse("::/0", &family, a, &plen, NULL, 0), 0);
	CHECK_INT(family, AF_INET6);
	CHECK_INT(cidr_parse("::ffff:10.1.2.3/128", &family, a, &plen, NULL, 0), 0);
	CHECK_INT(family, AF_INET6);
	CHECK_INT(plen, 128);
	CHECK_INT(cidr_parse("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128", &family, a, &plen,
			     NULL, 0),
		  0);
}

static void test_cidr_parse_bad(void)
{
	static const char *const bad[] = {
		"",
		"10.1.2.3",
		"10.1.2.3/",
		"/24",
		"10.1.2.3/33",
		"fd00::1/129",
		"10.1.2.3/024",
		"10.1.2.3/00",
		"10.1.2.3/-1",
		"10.1.2.3/+8",
		"10.1.2.3/ 8",
		"10.1.2.3/8 ",
		"10.1.2.3 /8",
		"10.1.2.3/8/8",
		"10.1.2.3/0x8",
		"10.1.2/24",
		"256.1.2.3/8",
		"10.1.2.3.4/8",
		"fe80::1%eth0/64",
		"fd00:::1/64",
		"10.1.2.3/99999999999999999999",
		"10.1.2.3/4294967320", /* 2^32 + 24 */
		"fd00:0000:0000:0000:0000:0000:0000:0000:0001/64",
		"0000:0000:0000:0000:0000:0000:0000:0001/128xxxxxxxxxxxx", /* over the buffer */
		"localhost/8",
	};
	unsigned char a[16];
	unsigned plen;
	int family;

	CHECK_INT(cidr_parse(NULL, &family, a, &plen, NULL, 0), -EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cidr_parse(bad[i], &family, a, &plen, NULL, 0) != -EINVAL) {
			printf("  CIDR '%s' accepted\n", bad[i]);
			CHECK(0);
		}
}

static void test_ip_parse(void)
{
	static const char *const bad[] = { "",         "10.1.2.3/24", " 10.1.2.3", "10.1.2.3 ",
					   "10.1.2",   "1.2.3.256",   "fd00:::1",  "fe80::1%eth0",
					   "hostname", "0x0a.1.2.3",  "10.01.2.3" };
	unsigned char a[16];
	char longs[80];
	int family = 0;

	CHECK_INT(cidr_addr_parse("10.1.2.3", &family, a), 0);
	CHECK_INT(family, AF_INET);
	CHECK(a[0] == 10 && a[3] == 3);
	CHECK_INT(cidr_addr_parse("::1", &family, a), 0);
	CHECK_INT(family, AF_INET6);
	CHECK(a[15] == 1 && a[0] == 0);
	CHECK_INT(cidr_addr_parse(NULL, &family, a), -EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cidr_addr_parse(bad[i], &family, a) != -EINVAL) {
			printf("  IP '%s' accepted\n", bad[i]);
			CHECK(0);
		}
	memset(longs, '0', sizeof(longs));
	longs[sizeof(longs) - 1] = '\0';
	CHECK_INT(cidr_addr_parse(longs, &family, a), -EINVAL);
}

/* ---------------------------------------------------------------------------------------- */
/* results */

static int parse_str(const char *json, int code, struct cni_result *res, struct cni_err *err)
{
	cJSON *j = cJSON_Parse(json);
	int r;

	if (!j) {
		printf("  test bug: cannot parse test JSON: %s\n", json);
		unit_cur_failed = 1;
		memset(res, 0, sizeof(*res));
		return -EINVAL;
	}
	r = cni_result_parse(j, "IPAM result", code, res, err);
	cJSON_Delete(j);
	return r;
}

static void test_result_parse_031(void)
{
	static const char *const json =
		"{\"cniVersion\":\"0.3.1\","
		"\"interfaces\":[{\"name\":\"net1\",\"mac\":\"02:00:00:00:00:01\","
		"\"sandbox\":\"/var/run/netns/pod\"}],"
		"\"ips\":[{\"version\":\"4\",\"address\":\"10.1.2.3/24\",\"gateway\":\"10.1.2.1\","
		"\"interface\":0}],"
		"\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.1.2.1\"},{\"dst\":\"10.2.0.0/"
		"16\"}],"
		"\"dns\":{\"nameservers\":[\"10.0.0.10\"],\"domain\":\"cluster.local\"}}";
	struct cni_err err = { 0 };
	struct cni_result res;
	unsigned char gw[4] = { 10, 1, 2, 1 };

	CHECK_INT(parse_str(json, RDMANET_ERR_IPAM, &res, &err), 0);
	CHECK_INT(err.code, 0);
	CHECK_INT(res.n_ifaces, 1);
	CHECK_STR(res.ifaces[0].name, "net1");
	CHECK_STR(res.ifaces[0].mac, "02:00:00:00:00:01");
	CHECK_STR(res.ifaces[0].sandbox, "/var/run/netns/pod");
	CHECK_INT(res.ifaces[0].mtu, 0);
	CHECK_INT(res.n_ips, 1);
	CHECK_INT(res.ips[0].family, AF_INET);
	CHECK_INT(res.ips[0].prefixlen, 24);
	CHECK(res.ips[0].has_gw);
	CHECK(!memcmp(res.ips[0].gw, gw, 4));
	CHECK_INT(res.ips[0].iface, 0);
	CHECK_INT(res.n_routes, 2);
	CHECK_INT(res.routes[0].dst_len, 0);
	CHECK(res.routes[0].has_gw);
	CHECK(!res.routes[1].has_gw);
	CHECK_INT(res.routes[1].dst_len, 16);
	CHECK_INT(res.routes[0].mtu, -1);
	CHECK_INT(res.routes[0].table, -1);
	CHECK_INT(res.routes[0].scope, -1);
	CHECK(cJSON_IsObject(res.dns));
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(res.dns, "domain")), "cluster.local");
	cni_result_free(&res);
	CHECK(res.dns == NULL);
	CHECK(res.ifaces[0].sandbox == NULL);
}

static void test_result_parse_040_dual_stack(void)
{
	static const char *const json =
		"{\"cniVersion\":\"0.4.0\","
		"\"ips\":[{\"version\":\"4\",\"address\":\"10.1.2.3/24\",\"gateway\":null},"
		"{\"version\":\"6\",\"address\":\"fd00::3/64\",\"gateway\":\"fd00::1\"}],"
		"\"routes\":[{\"dst\":\"::/0\",\"gw\":\"fd00::1\"}]}";
	struct cni_err err = { 0 };
	struct cni_result res;

	CHECK_INT(parse_str(json, RDMANET_ERR_IPAM, &res, &err), 0);
	CHECK_INT(res.n_ifaces, 0);
	CHECK_INT(res.n_ips, 2);
	CHECK(!res.ips[0].has_gw);
	CHECK_INT(res.ips[0].iface, -1); /* absent, as IPAM plugins answer */
	CHECK_INT(res.ips[1].family, AF_INET6);
	CHECK(res.ips[1].has_gw);
	CHECK_INT(res.routes[0].family, AF_INET6);
	CHECK(res.dns == NULL);
	cni_result_free(&res);
}

static void test_result_parse_100(void)
{
	static const char *const json = "{\"cniVersion\":\"1.0.0\","
					"\"interfaces\":[{\"name\":\"eth0\"},{\"name\":\"net1\","
					"\"sandbox\":\"/run/netns/x\"}],"
					"\"ips\":[{\"address\":\"fd00::3/64\",\"interface\":1}],"
					"\"dns\":{}}";
	struct cni_err err = { 0 };
	struct cni_result res;

	CHECK_INT(parse_str(json, RDMANET_ERR_IPAM, &res, &err), 0);
	CHECK_INT(res.n_ifaces, 2);
	CHECK(res.ifaces[0].sandbox == NULL);
	CHECK_STR(res.ifaces[1].sandbox, "/run/netns/x");
	CHECK(!res.ifaces[0].mac[0]);
	CHECK_INT(res.n_ips, 1);
	CHECK_INT(res.ips[0].iface, 1);
	CHECK(!res.ips[0].has_gw);
	CHECK(cJSON_IsObject(res.dns));
	cni_result_free(&res);
}

static void test_result_parse_110(void)
{
	static const char *const json =
		"{\"cniVersion\":\"1.1.0\","
		"\"interfaces\":[{\"name\":\"net1\",\"mac\":\"02:00:00:00:00:01\",\"mtu\":9000,"
		"\"sandbox\":\"/var/run/netns/pod\",\"socketPath\":\"/"
		"x\",\"pciID\":\"0000:3b:00.2\"}],"
		"\"ips\":[{\"address\":\"10.1.2.3/24\",\"gateway\":\"10.1.2.1\",\"interface\":0}],"
		"\"routes\":[{\"dst\":\"0.0.0.0/"
		"0\",\"gw\":\"10.1.2.1\",\"mtu\":1500,\"advmss\":1460,"
		"\"priority\":100,\"table\":200,\"scope\":0},"
		"{\"dst\":\"10.9.0.0/16\",\"scope\":253,\"table\":2147483647,\"priority\":0}]}";
	struct cni_err err = { 0 };
	struct cni_result res;

	CHECK_INT(parse_str(json, RDMANET_ERR_IPAM, &res, &err), 0);
	CHECK_INT(err.code, 0);
	CHECK_INT(res.ifaces[0].mtu, 9000);
	CHECK_INT(res.n_routes, 2);
	CHECK_INT(res.routes[0].mtu, 1500);
	CHECK_INT(res.routes[0].advmss, 1460);
	CHECK_INT(res.routes[0].priority, 100);
	CHECK_INT(res.routes[0].table, 200);
	CHECK_INT(res.routes[0].scope, 0);
	CHECK_INT(res.routes[1].mtu, -1);
	CHECK_INT(res.routes[1].advmss, -1);
	CHECK_INT(res.routes[1].scope, 253);
	CHECK_INT(res.routes[1].table, 2147483647);
	CHECK_INT(res.routes[1].priority, 0);
	cni_result_free(&res);
}

static void test_result_parse_empty(void)
{
	struct cni_err err = { 0 };
	struct cni_result res;

	CHECK_INT(parse_str("{\"cniVersion\":\"1.0.0\"}", 7, &res, &err), 0);
	CHECK(res.n_ifaces == 0 && res.n_ips == 0 && res.n_routes == 0 && !res.dns);
	cni_result_free(&res);
	/* empty arrays are fine too */
	CHECK_INT(parse_str("{\"interfaces\":[],\"ips\":[],\"routes\":[]}", 7, &res, &err), 0);
	cni_result_free(&res);
	CHECK_INT(err.code, 0);
}

/* The result must be rejected with code `code` and a msg naming what and the field. */
static void result_bad(const char *json, const char *field, int line)
{
	struct cni_err err = { 0 };
	struct cni_result res;
	int r = parse_str(json, 103, &res, &err);

	if (r >= 0 || err.code != 103 || !strstr(err.msg, "IPAM result") ||
	    !strstr(err.msg, field)) {
		printf("  line %d: r=%d code=%d msg='%s' (want 103 naming '%s')\n", line, r,
		       err.code, err.msg, field);
		unit_cur_failed = 1;
	}
	cni_result_free(&res); /* after a failure too: no leak (valgrind/ASan) */
}
#define RESULT_BAD(json, field) result_bad(json, field, __LINE__)

static void test_result_parse_wrong_types(void)
{
	struct cni_err err = { 0 };
	struct cni_result res;
	cJSON *j = cJSON_Parse("[1]");

	CHECK_INT(cni_result_parse(j, "prevResult", CNI_ERR_INVALID_CONFIG, &res, &err), -EINVAL);
	CHECK_INT(err.code, CNI_ERR_INVALID_CONFIG);
	CHECK(strstr(err.msg, "prevResult") && strstr(err.msg, "not a JSON object"));
	cJSON_Delete(j);
	cni_result_free(&res);
	memset(&err, 0, sizeof(err));
	CHECK_INT(cni_result_parse(NULL, "prevResult", CNI_ERR_INVALID_CONFIG, &res, &err),
		  -EINVAL);
	CHECK_INT(err.code, CNI_ERR_INVALID_CONFIG);

	RESULT_BAD("{\"interfaces\":{}}", "'interfaces'");
	RESULT_BAD("{\"interfaces\":[\"net1\"]}", "'interfaces[].name'");
	RESULT_BAD("{\"interfaces\":[{}]}", "'interfaces[].name'");
	RESULT_BAD("{\"interfaces\":[{\"name\":1}]}", "'interfaces[].name'");
	RESULT_BAD("{\"interfaces\":[{\"name\":\"abcdefghijklmnop\"}]}", "'interfaces[].name'");
	RESULT_BAD("{\"interfaces\":[{\"name\":\"a/b\"}]}", "'interfaces[].name'");
	RESULT_BAD("{\"interfaces\":[{\"name\":\"net1\",\"mac\":2}]}", "'interfaces[].mac'");
	RESULT_BAD("{\"interfaces\":[{\"name\":\"net1\",\"mac\":"
		   "\"0123456789012345678901234567890123456789012345678901234567890123\"}]}",
		   "'interfaces[].mac'");
	RESULT_BAD("{\"interfaces\":[{\"name\":\"net1\",\"sandbox\":[]}]}",
		   "'interfaces[].sandbox'");
	RESULT_BAD("{\"interfaces\":[{\"name\":\"net1\",\"mtu\":\"9000\"}]}", "'interfaces[].mtu'");
	RESULT_BAD("{\"interfaces\":[{\"name\":\"net1\",\"mtu\":-1}]}", "'interfaces[].mtu'");
	RESULT_BAD("{\"interfaces\":[{\"name\":\"net1\",\"mtu\":65536}]}", "'interfaces[].mtu'");
	RESULT_BAD("{\"interfaces\":[{\"name\":\"net1\",\"mtu\":1500.5}]}", "'interfaces[].mtu'");
	RESULT_BAD("{\"interfaces\":[{\"name\":\"net1\",\"mtu\":1e300}]}", "'interfaces[].mtu'");

	RESULT_BAD("{\"ips\":{\"address\":\"10.1.2.3/24\"}}", "'ips'");
	RESULT_BAD("{\"ips\":[\"10.1.2.3/24\"]}", "'ips[].address'");
	RESULT_BAD("{\"ips\":[{}]}", "'ips[].address'");
	RESULT_BAD("{\"ips\":[{\"address\":10}]}", "'ips[].address'");
	RESULT_BAD("{\"ips\":[{\"address\":\"10.1.2.3\"}]}", "'ips[].address'");
	RESULT_BAD("{\"ips\":[{\"address\":\"10.1.2.3/33\"}]}", "'ips[].address'");
	RESULT_BAD("{\"ips\":[{\"address\":\"10.1.2.3/24\",\"gateway\":1}]}", "'ips[].gateway'");
	RESULT_BAD("{\"ips\":[{\"address\":\"10.1.2.3/24\",\"gateway\":\"fd00::1\"}]}",
		   "'ips[].gateway'");
	RESULT_BAD("{\"ips\":[{\"address\":\"10.1.2.3/24\",\"gateway\":\"10.1.2.1/24\"}]}",
		   "'ips[].gateway'");
	RESULT_BAD("{\"ips\":[{\"address\":\"10.1.2.3/24\",\"interface\":\"0\"}]}",
		   "'ips[].interface'");
	RESULT_BAD("{\"ips\":[{\"address\":\"10.1.2.3/24\",\"interface\":-1}]}",
		   "'ips[].interface'");
	RESULT_BAD("{\"ips\":[{\"address\":\"10.1.2.3/24\",\"interface\":0.5}]}",
		   "'ips[].interface'");

	RESULT_BAD("{\"routes\":\"0.0.0.0/0\"}", "'routes'");
	RESULT_BAD("{\"routes\":[7]}", "'routes[].dst'");
	RESULT_BAD("{\"routes\":[{\"gw\":\"10.1.2.1\"}]}", "'routes[].dst'");
	RESULT_BAD("{\"routes\":[{\"dst\":\"default\"}]}", "'routes[].dst'");
	RESULT_BAD("{\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"fd00::1\"}]}", "'routes[].gw'");
	RESULT_BAD("{\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":true}]}", "'routes[].gw'");
	RESULT_BAD("{\"routes\":[{\"dst\":\"0.0.0.0/0\",\"mtu\":65536}]}", "'routes[]'");
	RESULT_BAD("{\"routes\":[{\"dst\":\"0.0.0.0/0\",\"advmss\":\"1460\"}]}", "'routes[]'");
	RESULT_BAD("{\"routes\":[{\"dst\":\"0.0.0.0/0\",\"priority\":-1}]}", "'routes[]'");
	RESULT_BAD("{\"routes\":[{\"dst\":\"0.0.0.0/0\",\"table\":1.5}]}", "'routes[]'");
	RESULT_BAD("{\"routes\":[{\"dst\":\"0.0.0.0/0\",\"table\":2147483648}]}", "'routes[]'");
	RESULT_BAD("{\"routes\":[{\"dst\":\"0.0.0.0/0\",\"scope\":256}]}", "'routes[]'");

	RESULT_BAD("{\"dns\":\"10.0.0.10\"}", "'dns'");
	RESULT_BAD("{\"dns\":[]}", "'dns'");
}

static void test_result_parse_version_mismatch(void)
{
	RESULT_BAD("{\"ips\":[{\"version\":\"6\",\"address\":\"10.1.2.3/24\"}]}",
		   "'ips[].version'");
	RESULT_BAD("{\"ips\":[{\"version\":\"4\",\"address\":\"fd00::3/64\"}]}", "'ips[].version'");
	RESULT_BAD("{\"ips\":[{\"version\":4,\"address\":\"10.1.2.3/24\"}]}", "'ips[].version'");
	RESULT_BAD("{\"ips\":[{\"version\":\"ipv4\",\"address\":\"10.1.2.3/24\"}]}",
		   "'ips[].version'");
	/* the gateway must be of the address' family */
	RESULT_BAD("{\"ips\":[{\"version\":\"6\",\"address\":\"fd00::3/"
		   "64\",\"gateway\":\"10.1.2.1\"}]}",
		   "'ips[].gateway'");
}

static void test_result_parse_iface_range(void)
{
	struct cni_err err = { 0 };
	struct cni_result res;

	RESULT_BAD("{\"interfaces\":[{\"name\":\"net1\"}],"
		   "\"ips\":[{\"address\":\"10.1.2.3/24\",\"interface\":1}]}",
		   "points past 'interfaces'");
	RESULT_BAD("{\"interfaces\":[{\"name\":\"eth0\"},{\"name\":\"net1\"}],"
		   "\"ips\":[{\"address\":\"10.1.2.3/24\",\"interface\":0},"
		   "{\"address\":\"10.1.2.4/24\",\"interface\":2}]}",
		   "'ips[].interface'");
	RESULT_BAD("{\"ips\":[{\"address\":\"10.1.2.3/24\",\"interface\":8}]}",
		   "'ips[].interface'");
	/* in range */
	CHECK_INT(parse_str("{\"interfaces\":[{\"name\":\"eth0\"},{\"name\":\"net1\"}],"
			    "\"ips\":[{\"address\":\"10.1.2.3/24\",\"interface\":1}]}",
			    103, &res, &err),
		  0);
	cni_result_free(&res);
	CHECK_INT(err.code, 0);
}

/* {"<key>":[<item> x n]} */
static char *repeat_json(const char *key, const char *item, unsigned n)
{
	size_t len = strlen(key) + 8 + n * (strlen(item) + 1);
	char *s = malloc(len), *p = s;

	if (!s)
		return NULL;
	p += sprintf(p, "{\"%s\":[", key);
	for (unsigned i = 0; i < n; i++)
		p += sprintf(p, "%s%s", i ? "," : "", item);
	strcpy(p, "]}");
	return s;
}

static void test_result_parse_too_many(void)
{
	static const struct {
		const char *key, *item;
		unsigned max;
	} cases[] = {
		{ "interfaces", "{\"name\":\"net1\",\"sandbox\":\"/run/netns/x\"}",
		  CNI_MAX_IFACES },
		{ "ips", "{\"address\":\"10.1.2.3/24\"}", CNI_MAX_IPS },
		{ "routes", "{\"dst\":\"10.0.0.0/8\"}", CNI_MAX_ROUTES },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cni_err err = { 0 };
		struct cni_result res;
		char *ok = repeat_json(cases[i].key, cases[i].item, cases[i].max);
		char *over = repeat_json(cases[i].key, cases[i].item, cases[i].max + 1);

		if (!ok || !over) {
			CHECK(0);
		} else {
			CHECK_INT(parse_str(ok, 103, &res, &err), 0);
			cni_result_free(&res);
			CHECK_INT(err.code, 0);
			RESULT_BAD(over, "has too many entries");
		}
		free(ok);
		free(over);
	}
}

/* A result with everything the struct can carry, for the format tests. */
static void full_result(struct cni_result *res)
{
	memset(res, 0, sizeof(*res));
	res->n_ifaces = 1;
	strcpy(res->ifaces[0].name, "net1");
	strcpy(res->ifaces[0].mac, "02:00:00:00:00:01");
	res->ifaces[0].sandbox = strdup("/var/run/netns/pod");
	res->ifaces[0].mtu = 9000;

	res->n_ips = 2;
	res->ips[0].family = AF_INET;
	(void) inet_pton(AF_INET, "10.1.2.3", res->ips[0].addr);
	res->ips[0].prefixlen = 24;
	res->ips[0].has_gw = true;
	(void) inet_pton(AF_INET, "10.1.2.1", res->ips[0].gw);
	res->ips[0].iface = 0;
	res->ips[1].family = AF_INET6;
	(void) inet_pton(AF_INET6, "fd00::3", res->ips[1].addr);
	res->ips[1].prefixlen = 64;
	res->ips[1].iface = -1;

	res->n_routes = 2;
	res->routes[0].family = AF_INET;
	res->routes[0].dst_len = 0;
	res->routes[0].has_gw = true;
	(void) inet_pton(AF_INET, "10.1.2.1", res->routes[0].gw);
	res->routes[0].mtu = 1500;
	res->routes[0].advmss = 1460;
	res->routes[0].priority = 100;
	res->routes[0].table = 200;
	res->routes[0].scope = 0;
	res->routes[1].family = AF_INET6;
	(void) inet_pton(AF_INET6, "fd00:1::", res->routes[1].dst);
	res->routes[1].dst_len = 48;
	res->routes[1].mtu = res->routes[1].advmss = res->routes[1].priority = -1;
	res->routes[1].table = res->routes[1].scope = -1;

	res->dns =
		cJSON_Parse("{\"nameservers\":[\"10.0.0.10\"],\"search\":[\"svc.cluster.local\"]}");
}

#define IFACE_OLD \
	"{\"name\":\"net1\",\"mac\":\"02:00:00:00:00:01\",\"sandbox\":\"/var/run/netns/pod\"}"
#define IFACE_110                                                        \
	"{\"name\":\"net1\",\"mac\":\"02:00:00:00:00:01\",\"mtu\":9000," \
	"\"sandbox\":\"/var/run/netns/pod\"}"
#define IPS_OLD                                                       \
	"[{\"version\":\"4\",\"interface\":0,\"address\":\"10.1.2.3/" \
	"24\",\"gateway\":\"10.1.2.1\"},"                             \
	"{\"version\":\"6\",\"address\":\"fd00::3/64\"}]"
#define IPS_1                                                                      \
	"[{\"interface\":0,\"address\":\"10.1.2.3/24\",\"gateway\":\"10.1.2.1\"}," \
	"{\"address\":\"fd00::3/64\"}]"
#define ROUTES_OLD "[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.1.2.1\"},{\"dst\":\"fd00:1::/48\"}]"
#define ROUTES_110                                                                  \
	"[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.1.2.1\",\"mtu\":1500,\"advmss\":1460," \
	"\"priority\":100,\"table\":200,\"scope\":0},{\"dst\":\"fd00:1::/48\"}]"
#define DNS "{\"nameservers\":[\"10.0.0.10\"],\"search\":[\"svc.cluster.local\"]}"

static const struct {
	const char *version, *json;
} format_want[] = {
	{ "0.3.0", "{\"cniVersion\":\"0.3.0\",\"interfaces\":[" IFACE_OLD "],\"ips\":" IPS_OLD
		   ",\"routes\":" ROUTES_OLD ",\"dns\":" DNS "}" },
	{ "0.3.1", "{\"cniVersion\":\"0.3.1\",\"interfaces\":[" IFACE_OLD "],\"ips\":" IPS_OLD
		   ",\"routes\":" ROUTES_OLD ",\"dns\":" DNS "}" },
	{ "0.4.0", "{\"cniVersion\":\"0.4.0\",\"interfaces\":[" IFACE_OLD "],\"ips\":" IPS_OLD
		   ",\"routes\":" ROUTES_OLD ",\"dns\":" DNS "}" },
	{ "1.0.0", "{\"cniVersion\":\"1.0.0\",\"interfaces\":[" IFACE_OLD "],\"ips\":" IPS_1
		   ",\"routes\":" ROUTES_OLD ",\"dns\":" DNS "}" },
	{ "1.1.0", "{\"cniVersion\":\"1.1.0\",\"interfaces\":[" IFACE_110 "],\"ips\":" IPS_1
		   ",\"routes\":" ROUTES_110 ",\"dns\":" DNS "}" },
};

static void test_result_format_every_version(void)
{
	struct cni_result res;
	size_t n = 0;

	full_result(&res);
	for (size_t i = 0; i < sizeof(format_want) / sizeof(format_want[0]); i++) {
		char *s = cni_result_format(&res, format_want[i].version);

		CHECK_STR(s, format_want[i].json);
		free(s);
	}
	/* every supported version has an expectation above */
	for (; cni_supported_versions[n]; n++) {
		size_t i;
		for (i = 0; i < sizeof(format_want) / sizeof(format_want[0]); i++)
			if (!strcmp(format_want[i].version, cni_supported_versions[n]))
				break;
		CHECK(i < sizeof(format_want) / sizeof(format_want[0]));
	}
	CHECK_INT(n, sizeof(format_want) / sizeof(format_want[0]));
	cni_result_free(&res);
}

static void test_result_format_empty(void)
{
	struct cni_result res;
	char *s;

	memset(&res, 0, sizeof(res));
	s = cni_result_format(&res, "1.0.0");
	CHECK_STR(s, "{\"cniVersion\":\"1.0.0\",\"dns\":{}}");
	free(s);
	s = cni_result_format(&res, "0.3.1");
	CHECK_STR(s, "{\"cniVersion\":\"0.3.1\",\"dns\":{}}");
	free(s);
	/* the interface MTU is only printed when known */
	res.n_ifaces = 1;
	strcpy(res.ifaces[0].name, "net1");
	s = cni_result_format(&res, "1.1.0");
	CHECK_STR(s, "{\"cniVersion\":\"1.1.0\",\"interfaces\":[{\"name\":\"net1\"}],\"dns\":{}}");
	free(s);
	cni_result_free(&res);
}

static void test_result_round_trip(void)
{
	struct cni_result res;

	full_result(&res);
	for (size_t i = 0; i < sizeof(format_want) / sizeof(format_want[0]); i++) {
		const char *v = format_want[i].version;
		char *first = cni_result_format(&res, v), *second = NULL;
		struct cni_result back;
		struct cni_err err = { 0 };

		CHECK(first != NULL);
		if (!first)
			continue;
		CHECK_INT(parse_str(first, 7, &back, &err), 0);
		CHECK_INT(err.code, 0);
		second = cni_result_format(&back, v);
		CHECK_STR(second, first);
		CHECK_STR(second, format_want[i].json);
		/* what survives: the 1.1.0 fields only through 1.1.0 */
		CHECK_INT(back.n_ifaces, 1);
		CHECK_INT(back.n_ips, 2);
		CHECK_INT(back.n_routes, 2);
		CHECK_INT(back.ifaces[0].mtu, strcmp(v, "1.1.0") ? 0 : 9000);
		CHECK_INT(back.routes[0].table, strcmp(v, "1.1.0") ? -1 : 200);
		CHECK_INT(back.ips[1].iface, -1);
		CHECK(!memcmp(back.ips[1].addr, res.ips[1].addr, 16));
		free(first);
		free(second);
		cni_result_free(&back);
	}
	cni_result_free(&res);
}

static void test_result_format_downgrade(void)
{
	/* a 1.1.0 IPAM result printed for a 0.4.0 config loses the 1.1.0 fields, gains "version" */
	struct cni_err err = { 0 };
	struct cni_result res;
	char *s;

	CHECK_INT(parse_str(format_want[4].json, 7, &res, &err), 0);
	s = cni_result_format(&res, "0.4.0");
	CHECK_STR(s, format_want[2].json);
	free(s);
	s = cni_result_format(&res, "1.0.0");
	CHECK_STR(s, format_want[3].json);
	free(s);
	cni_result_free(&res);
	/* and a 0.3.1 result printed for 1.1.0 */
	CHECK_INT(parse_str(format_want[1].json, 7, &res, &err), 0);
	s = cni_result_format(&res, "1.1.0");
	CHECK(s && !strstr(s, "\"version\"") && !strstr(s, "\"mtu\""));
	free(s);
	cni_result_free(&res);
}

/* ---------------------------------------------------------------------------------------- */
/* errors */

static void test_error_format(void)
{
	struct cni_err e = { 0 };
	char *s;

	e.code = 7;
	strcpy(e.msg, "invalid network config: 'mtu' must be an integer");
	s = cni_error_format(&e, "1.0.0");
	CHECK_STR(s, "{\"cniVersion\":\"1.0.0\",\"code\":7,"
		     "\"msg\":\"invalid network config: 'mtu' must be an integer\"}");
	free(s);

	strcpy(e.details, "Operation not permitted");
	e.code = 101;
	s = cni_error_format(&e, "0.4.0");
	CHECK_STR(s, "{\"cniVersion\":\"0.4.0\",\"code\":101,"
		     "\"msg\":\"invalid network config: 'mtu' must be an integer\","
		     "\"details\":\"Operation not permitted\"}");
	free(s);

	/* no code, no msg, unsupported or absent version */
	memset(&e, 0, sizeof(e));
	s = cni_error_format(&e, "0.2.0");
	CHECK_STR(s, "{\"cniVersion\":\"1.1.0\",\"code\":107,\"msg\":\"unknown error\"}");
	free(s);
	s = cni_error_format(&e, NULL);
	CHECK_STR(s, "{\"cniVersion\":\"1.1.0\",\"code\":107,\"msg\":\"unknown error\"}");
	free(s);

	/* user strings are escaped */
	e.code = 4;
	strcpy(e.msg, "CNI_IFNAME 'a\"b\\c\nd' is invalid");
	s = cni_error_format(&e, "1.1.0");
	CHECK_STR(s, "{\"cniVersion\":\"1.1.0\",\"code\":4,"
		     "\"msg\":\"CNI_IFNAME 'a\\\"b\\\\c\\nd' is invalid\"}");
	free(s);
}

static void test_err_set_first_wins(void)
{
	struct cni_err e = { 0 };

	CHECK_INT(err_set(&e, -ENOENT, 100, NULL, "master '%s' not found", "ib0"), -ENOENT);
	CHECK_INT(err_set(&e, -EPERM, 101, "later", "second"), -EPERM);
	CHECK_INT(e.code, 100);
	CHECK_STR(e.msg, "master 'ib0' not found");
	CHECK_STR(e.details, strerror(ENOENT));
	CHECK_INT(err_set(NULL, 5, 7, NULL, "x"), -EINVAL);
	memset(&e, 0, sizeof(e));
	CHECK_INT(err_set(&e, -EINVAL, 7, NULL, "own validation"), -EINVAL);
	CHECK_STR(e.details, ""); /* EINVAL: the msg says it all */
	memset(&e, 0, sizeof(e));
	CHECK_INT(err_set(&e, -EIO, 5, "kernel says no", "x"), -EIO);
	CHECK_STR(e.details, "kernel says no");
}

/* ---------------------------------------------------------------------------------------- */
/* allocation failures inside cJSON: no crash, no leak (ASan/valgrind), NULL or whole JSON */

static int oom_countdown = -1; /* allocations left before failing; -1: never, -2: failed once */
static bool oom_oneshot;       /* fail one allocation only, or every one from then on */

static void *oom_malloc(size_t n)
{
	if (oom_countdown == 0 || oom_countdown == -3) {
		oom_countdown = oom_oneshot ? -2 : -3;
		return NULL;
	}
	if (oom_countdown > 0)
		oom_countdown--;
	return malloc(n);
}

static void oom_on(int n, bool oneshot)
{
	static cJSON_Hooks hooks = { oom_malloc, free };

	oom_countdown = n;
	oom_oneshot = oneshot;
	cJSON_InitHooks(&hooks);
}

/* Returns whether an allocation failed since oom_on. */
static bool oom_off(void)
{
	bool failed = oom_countdown <= -2;

	oom_countdown = -1;
	cJSON_InitHooks(NULL);
	return failed;
}

/* A transient or lasting allocation failure gives NULL or the whole document, never a part. */
static void test_oom_result_format(void)
{
	struct cni_result res;
	int clean_runs = 0, null_runs = 0;

	full_result(&res);
	for (int oneshot = 0; oneshot < 2; oneshot++) {
		for (size_t v = 0; v < sizeof(format_want) / sizeof(format_want[0]); v++) {
			for (int n = 0; n < 2000; n++) {
				char *s;
				bool failed;

				oom_on(n, oneshot);
				s = cni_result_format(&res, format_want[v].version);
				failed = oom_off();
				if (s)
					CHECK_STR(s, format_want[v].json);
				else
					null_runs++;
				CHECK(s || failed);
				free(s);
				if (!failed) {
					clean_runs++;
					break;
				}
			}
		}
	}
	CHECK_INT(clean_runs, 2 * sizeof(format_want) / sizeof(format_want[0]));
	CHECK(null_runs > 100);
	cni_result_free(&res);
}

static void test_oom_result_parse(void)
{
	cJSON *j = cJSON_Parse(format_want[4].json);
	bool done = false;

	for (int n = 0; j && n < 2000 && !done; n++) {
		struct cni_err err = { 0 };
		struct cni_result res;
		int r;

		oom_on(n, false);
		r = cni_result_parse(j, "prevResult", 7, &res, &err);
		done = !oom_off();
		if (done) {
			CHECK_INT(r, 0);
			CHECK(res.dns != NULL);
		} else {
			CHECK(r < 0);
			CHECK_INT(err.code, RDMANET_ERR_INTERNAL);
		}
		cni_result_free(&res);
	}
	CHECK(done);
	cJSON_Delete(j);
}

static void test_oom_version_and_error_format(void)
{
	struct cni_err e = { .code = 7, .msg = "m", .details = "d" };
	static const char *const want[2] = {
		"{\"cniVersion\":\"1.0.0\",\"supportedVersions\":"
		"[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\",\"1.1.0\"]}",
		"{\"cniVersion\":\"1.0.0\",\"code\":7,\"msg\":\"m\",\"details\":\"d\"}",
	};

	for (int which = 0; which < 2; which++) {
		for (int oneshot = 0; oneshot < 2; oneshot++) {
			bool done = false;

			for (int n = 0; n < 200 && !done; n++) {
				char *s;

				oom_on(n, oneshot);
				s = which ? cni_error_format(&e, "1.0.0") :
					    cni_version_format("1.0.0");
				done = !oom_off();
				if (s)
					CHECK_STR(s, want[which]);
				CHECK(s || !done);
				free(s);
			}
			CHECK(done);
		}
	}
}

int main(void)
{
	RUN(test_version_cmp);
	RUN(test_version_cmp_malformed);
	RUN(test_version_supported);
	RUN(test_version_format);
	RUN(test_command_name);
	RUN(test_ifname_valid);
	RUN(test_containerid_valid);
	RUN(test_mac_parse);
	RUN(test_args_multus);
	RUN(test_args_empty);
	RUN(test_args_unknown);
	RUN(test_args_malformed);
	RUN(test_args_length_and_ctl);
	RUN(test_args_mac);
	RUN(test_args_bad_values);
	RUN(test_env_add_ok);
	RUN(test_env_command);
	RUN(test_env_required_per_command);
	RUN(test_env_commands_parse);
	RUN(test_env_ifname);
	RUN(test_env_containerid);
	RUN(test_env_netns);
	RUN(test_env_path_and_args);
	RUN(test_cidr_parse_good);
	RUN(test_cidr_parse_bad);
	RUN(test_ip_parse);
	RUN(test_result_parse_031);
	RUN(test_result_parse_040_dual_stack);
	RUN(test_result_parse_100);
	RUN(test_result_parse_110);
	RUN(test_result_parse_empty);
	RUN(test_result_parse_wrong_types);
	RUN(test_result_parse_version_mismatch);
	RUN(test_result_parse_iface_range);
	RUN(test_result_parse_too_many);
	RUN(test_result_format_every_version);
	RUN(test_result_format_empty);
	RUN(test_result_round_trip);
	RUN(test_result_format_downgrade);
	RUN(test_error_format);
	RUN(test_err_set_first_wins);
	RUN(test_oom_result_format);
	RUN(test_oom_result_parse);
	RUN(test_oom_version_and_error_format);
	UNIT_DONE();
}
