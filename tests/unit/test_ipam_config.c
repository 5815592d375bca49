/* SPDX-License-Identifier: Apache-2.0 */
/* test_ipam_config.c - rdmanet-ipam's config: whereabouts field names, defaults, every error. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "rdmanet/ipam_config.h"
#include "unit.h"

#define HEAD "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"rdmanet\",\"master\":\"eth1\","

static int parse(const char *json, enum cni_command cmd, struct ipam_config *c, struct cni_err *e)
{
	memset(e, 0, sizeof(*e));
	return ipam_config_parse(json, strlen(json), cmd, c, e);
}

/* Expects failure with code, and msg containing needle. */
static void fails(const char *json, enum cni_command cmd, int code, const char *needle)
{
	struct ipam_config c;
	struct cni_err e;
	int r = parse(json, cmd, &c, &e);

	CHECK(r < 0);
	CHECK_INT(e.code, code);
	if (!strstr(e.msg, needle)) {
		printf("  msg '%s' lacks '%s'\n", e.msg, needle);
		CHECK(0);
	}
	ipam_config_free(&c);
}

static void test_defaults(void)
{
	struct ipam_config c;
	struct cni_err e;
	char ip[INET6_ADDRSTRLEN];

	CHECK_INT(parse(HEAD "\"ipam\":{\"type\":\"rdmanet-ipam\",\"range\":\"10.56.0.0/16\"}}",
			CNI_CMD_ADD, &c, &e),
		  0);
	CHECK_INT(c.n_ranges, 1);
	CHECK_INT(c.ranges[0].net.family, AF_INET);
	CHECK_INT(c.ranges[0].net.prefixlen, 16);
	CHECK_STR(inet_ntop(AF_INET, c.ranges[0].net.addr, ip, sizeof(ip)), "10.56.0.0");
	CHECK(c.overlapping);
	CHECK_INT(c.api_timeout_ms, 10000);
	CHECK_INT(c.retry_budget_ms, 30000);
	CHECK_INT(c.quiet_s, 60);
	CHECK_STR(c.kubeconfig, "");
	CHECK_STR(c.namespace_, "");
	CHECK_STR(c.network_name, "");
	CHECK_INT(c.log_level, -1);
	CHECK(!c.ranges[0].has_gw);
	ipam_config_free(&c);
	/* whereabouts-only settings left empty, and those without effect here, are accepted */
	CHECK_INT(parse(HEAD "\"ipam\":{\"type\":\"rdmanet-ipam\",\"range\":\"10.56.0.0/16\","
			     "\"node_slice_size\":\"\",\"etcd_host\":null,\"leader_lease_"
			     "duration\":1500,"
			     "\"sleep_for_race\":1}}",
			CNI_CMD_ADD, &c, &e),
		  0);
	ipam_config_free(&c);
}

static void test_full(void)
{
	struct ipam_config c;
	struct cni_err e;
	char ip[INET6_ADDRSTRLEN];
	const char *json = HEAD
		"\"ipam\":{\"type\":\"rdmanet-ipam\",\"range\":\"10.56.0.0/24\","
		"\"range_start\":\"10.56.0.10\",\"range_end\":\"10.56.0.20\",\"exclude\":[\"10.56."
		"0.12/31\"],"
		"\"gateway\":\"10.56.0.1\",\"ipRanges\":[{\"range\":\"fd00:56::/"
		"64\",\"exclude\":[\"fd00:56::/120\"]}],"
		"\"routes\":[{\"dst\":\"10.0.0.0/8\"}],\"dns\":{\"nameservers\":[\"10.0.0.53\"]},"
		"\"network_name\":\"rdma-a\",\"enable_overlapping_ranges\":false,"
		"\"kubernetes\":{\"kubeconfig\":\"/etc/cni/net.d/rdmanet.d/"
		"kubeconfig\"},\"namespace\":\"rdma\","
		"\"api_timeout_seconds\":3,\"retry_budget_seconds\":12,\"release_quiet_seconds\":0,"
		"\"log_file\":\"/var/log/rdmanet-ipam.log\",\"log_level\":\"debug\"}}";

	CHECK_INT(parse(json, CNI_CMD_ADD, &c, &e), 0);
	CHECK_INT(c.n_ranges, 2);
	CHECK(c.ranges[0].has_gw);
	CHECK_STR(inet_ntop(AF_INET, c.ranges[0].gw, ip, sizeof(ip)), "10.56.0.1");
	CHECK_INT(c.ranges[0].first, 10);
	CHECK_INT(c.ranges[0].last, 20);
	CHECK_INT(c.ranges[0].n_exclude, 1);
	CHECK(!pool_usable(&c.ranges[0], 12) && !pool_usable(&c.ranges[0], 13) &&
	      pool_usable(&c.ranges[0], 14));
	CHECK_INT(c.ranges[1].net.family, AF_INET6);
	CHECK(!pool_usable(&c.ranges[1], 200) && pool_usable(&c.ranges[1], 300));
	CHECK_INT(c.extra.n_routes, 1);
	CHECK(c.extra.dns != NULL);
	CHECK_STR(c.network_name, "rdma-a");
	CHECK(!c.overlapping);
	CHECK_STR(c.kubeconfig, "/etc/cni/net.d/rdmanet.d/kubeconfig");
	CHECK_STR(c.namespace_, "rdma");
	CHECK_INT(c.api_timeout_ms, 3000);
	CHECK_INT(c.retry_budget_ms, 12000);
	CHECK_INT(c.quiet_s, 0);
	CHECK_STR(c.log_file, "/var/log/rdmanet-ipam.log");
	CHECK_INT(c.log_level, 3);
	ipam_config_free(&c);
}

static void test_errors(void)
{
	fails(HEAD "\"ipam\":{\"type\":\"rdmanet-ipam\"}}", CNI_CMD_ADD, 7,
	      "'ipam.range' is required");
	fails(HEAD "\"ipam\":5}", CNI_CMD_ADD, 7, "'ipam'");
	fails("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"x\"}", CNI_CMD_ADD, 7, "'ipam'");
	fails(HEAD "\"ipam\":{\"range\":\"10.56.0.0/33\"}}", CNI_CMD_ADD, 7, "'ipam.range'");
	fails(HEAD "\"ipam\":{\"range\":5}}", CNI_CMD_ADD, 7, "'ipam.range'");
	fails(HEAD "\"ipam\":{\"range\":\"10.56.0.0/24\",\"range_start\":\"10.57.0.1\"}}",
	      CNI_CMD_ADD, 7, "'ipam.range'");
	fails(HEAD "\"ipam\":{\"range\":\"10.56.0.0/24\",\"exclude\":[\"10.99.0.0/24\"]}}",
	      CNI_CMD_ADD, 7, "'ipam.exclude'");
	fails(HEAD "\"ipam\":{\"range\":\"10.56.0.0/24\",\"exclude\":[\"fd00::/64\"]}}",
	      CNI_CMD_ADD, 7, "'ipam.exclude'");
	fails(HEAD "\"ipam\":{\"range\":\"10.56.0.0/24\",\"exclude\":\"10.56.0.0/30\"}}",
	      CNI_CMD_ADD, 7, "'ipam.exclude'");
	fails(HEAD "\"ipam\":{\"range\":\"10.56.0.0/24\",\"gateway\":\"10.57.0.1\"}}", CNI_CMD_ADD,
	      7, "'ipam.gateway'");
	fails(HEAD "\"ipam\":{\"range\":\"10.56.0.0/24\",\"network_name\":\"Net_A\"}}", CNI_CMD_ADD,
	      7, "'ipam.network_name'");
	fails(HEAD
	      "\"ipam\":{\"range\":\"10.56.0.0/24\",\"kubernetes\":{\"kubeconfig\":\"rel/k\"}}}",
	      CNI_CMD_ADD, 7, "'ipam.kubernetes.kubeconfig'");
	fails(HEAD "\"ipam\":{\"range\":\"10.56.0.0/24\",\"kubernetes\":[]}}", CNI_CMD_ADD, 7,
	      "'ipam.kubernetes'");
	fails(HEAD "\"ipam\":{\"range\":\"10.56.0.0/24\",\"namespace\":\"a.b\"}}", CNI_CMD_ADD, 7,
	      "'ipam.namespace'");
	fails(HEAD "\"ipam\":{\"range\":\"10.56.0.0/24\",\"api_timeout_seconds\":0}}", CNI_CMD_ADD,
	      7, "'ipam.api_timeout_seconds'");
	fails(HEAD "\"ipam\":{\"range\":\"10.56.0.0/24\",\"retry_budget_seconds\":\"9\"}}",
	      CNI_CMD_ADD, 7, "'ipam.retry_budget_seconds'");
	fails(HEAD "\"ipam\":{\"range\":\"10.56.0.0/24\",\"enable_overlapping_ranges\":\"yes\"}}",
	      CNI_CMD_ADD, 7, "'ipam.enable_overlapping_ranges'");
	fails(HEAD "\"ipam\":{\"range\":\"10.56.0.0/24\",\"routes\":[{\"dst\":\"x\"}]}}",
	      CNI_CMD_ADD, 7, "routes");
	fails(HEAD "\"ipam\":{\"range\":\"10.56.0.0/24\",\"log_level\":\"loud\"}}", CNI_CMD_ADD, 7,
	      "'ipam.log_level'");
	fails(HEAD "\"ipam\":{\"range\":\"10.56.0.0/24\",\"log_file\":\"x.log\"}}", CNI_CMD_ADD, 7,
	      "'ipam.log_file'");
	fails(HEAD "\"ipam\":{\"ipRanges\":[{\"range\":\"10.56.0.0/24\"},{\"range\":\"10.56.0.0/"
		   "24\"}]}}",
	      CNI_CMD_ADD, 7, "same CIDR twice");
	fails(HEAD "\"ipam\":{\"ipRanges\":{}}}", CNI_CMD_ADD, 7, "'ipam.ipRanges'");
	fails(HEAD "\"ipam\":{\"range\":\"10.56.0.0/24\",\"node_slice_size\":\"/22\"}}",
	      CNI_CMD_ADD, 7, "'ipam.node_slice_size' is whereabouts' Fast IPAM");
	fails(HEAD "\"ipam\":{\"range\":\"10.56.0.0/24\",\"etcd_host\":\"10.0.0.1:2379\"}}",
	      CNI_CMD_ADD, 7, "'ipam.etcd_host'");
	fails(HEAD "\"ipam\":{\"range\":\"10.56.0.0/24\"}}", CNI_CMD_GC, 7, "valid-attachments");
	fails(HEAD "\"ipam\":{\"range\":\"10.56.0.0/24\"},\"ipam\":{}}", CNI_CMD_ADD, 6, "twice");
	fails("{\"cniVersion\":\"0.2.0\",\"name\":\"n\",\"ipam\":{\"range\":\"10.56.0.0/24\"}}",
	      CNI_CMD_ADD, 1, "incompatible");
}

/* whereabouts' "START-END/PREFIX": the CIDR of END/PREFIX from START to END, nothing else */
static void test_range_shorthand(void)
{
	struct ipam_config c;
	struct cni_err e;
	char ip[INET6_ADDRSTRLEN];

	CHECK_INT(parse(HEAD "\"ipam\":{\"range\":\"10.1.1.10-10.1.1.50/24\"}}", CNI_CMD_ADD, &c,
			&e),
		  0);
	CHECK_INT(c.n_ranges, 1);
	CHECK_STR(inet_ntop(AF_INET, c.ranges[0].net.addr, ip, sizeof(ip)), "10.1.1.0");
	CHECK_INT(c.ranges[0].net.prefixlen, 24);
	CHECK_INT(c.ranges[0].first, 10);
	CHECK_INT(c.ranges[0].last, 50);
	ipam_config_free(&c);
	/* the same in ipRanges, and IPv6 */
	CHECK_INT(parse(HEAD "\"ipam\":{\"ipRanges\":[{\"range\":\"10.1.1.10-10.1.1.50/24\"},"
			     "{\"range\":\"fd00:1::10-fd00:1::1:0/64\"}]}}",
			CNI_CMD_ADD, &c, &e),
		  0);
	CHECK_INT(c.n_ranges, 2);
	CHECK_INT(c.ranges[1].net.family, AF_INET6);
	CHECK_STR(inet_ntop(AF_INET6, c.ranges[1].net.addr, ip, sizeof(ip)), "fd00:1::");
	CHECK_INT(c.ranges[1].first, 0x10);
	CHECK_INT(c.ranges[1].last, 0x10000);
	ipam_config_free(&c);
	/* START at the network address: it stays out, as with range_start */
	CHECK_INT(parse(HEAD "\"ipam\":{\"range\":\"10.1.1.0-10.1.1.50/24\"}}", CNI_CMD_ADD, &c,
			&e),
		  0);
	CHECK_INT(c.ranges[0].first, 1);
	CHECK_INT(c.ranges[0].last, 50);
	ipam_config_free(&c);
	/* a single address */
	CHECK_INT(parse(HEAD "\"ipam\":{\"range\":\"10.1.1.7-10.1.1.7/24\"}}", CNI_CMD_ADD, &c, &e),
		  0);
	CHECK_INT(c.ranges[0].first, 7);
	CHECK_INT(c.ranges[0].last, 7);
	ipam_config_free(&c);

	fails(HEAD "\"ipam\":{\"range\":\"10.1.1.10-10.1.1.50/24\",\"range_start\":\"10.1.1.20\"}}",
	      CNI_CMD_ADD, 7, "drop range_start and range_end");
	fails(HEAD "\"ipam\":{\"range\":\"10.1.1.10-10.1.1.50/24\",\"range_end\":\"10.1.1.20\"}}",
	      CNI_CMD_ADD, 7, "drop range_start and range_end");
	fails(HEAD "\"ipam\":{\"range\":\"10.1.2.10-10.1.1.50/24\"}}", CNI_CMD_ADD, 7, "10.1.2.10");
	fails(HEAD "\"ipam\":{\"range\":\"10.1.1.60-10.1.1.50/24\"}}", CNI_CMD_ADD, 7, "after");
	fails(HEAD "\"ipam\":{\"range\":\"10.1.1.10-10.1.1.50\"}}", CNI_CMD_ADD, 7,
	      "START-END/PREFIX");
	fails(HEAD "\"ipam\":{\"range\":\"-10.1.1.50/24\"}}", CNI_CMD_ADD, 7, "START-END/PREFIX");
	fails(HEAD "\"ipam\":{\"range\":\"10.1.1.10-/24\"}}", CNI_CMD_ADD, 7, "START-END/PREFIX");
	fails(HEAD "\"ipam\":{\"range\":\"10.1.1.10--10.1.1.50/24\"}}", CNI_CMD_ADD, 7,
	      "'ipam.range'");
	fails(HEAD "\"ipam\":{\"range\":\"fd00::10-10.1.1.50/24\"}}", CNI_CMD_ADD, 7,
	      "'ipam.range'");
}

static void test_gc_attachments(void)
{
	struct ipam_config c;
	struct cni_err e;

	CHECK_INT(parse(HEAD "\"ipam\":{\"range\":\"10.56.0.0/24\"},\"cni.dev/valid-attachments\":"
			     "[{\"containerID\":\"a\",\"ifname\":\"net1\"}]}",
			CNI_CMD_GC, &c, &e),
		  0);
	CHECK(c.valid_attachments != NULL);
	ipam_config_free(&c);
	fails(HEAD "\"ipam\":{\"range\":\"10.56.0.0/24\"},\"cni.dev/valid-attachments\":"
		   "[{\"containerID\":1}]}",
	      CNI_CMD_GC, 7, "valid-attachments");
}

int main(void)
{
	RUN(test_defaults);
	RUN(test_full);
	RUN(test_errors);
	RUN(test_range_shorthand);
	RUN(test_gc_attachments);
	UNIT_DONE();
}
