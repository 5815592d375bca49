/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config_check.c - runs a network configuration through rdmanet's own parser, for
 * tests/integ/test_manifests.sh (the spec.config of every NetworkAttachmentDefinition we ship).
 *
 *   config-check FILE|-
 *
 * The file is parsed as rdmanet's ADD would parse stdin (config_parse, with the CNI_ARGS Multus
 * sends), and, when "ipam.type" is "rdmanet-ipam", as rdmanet-ipam's ADD would (ipam_config_parse).
 * On success it prints one JSON object summing up what was understood:
 *   {"name":..,"link":..,"master":..,"rdmaMode":..,"deviceID":..,"mtu":N,"ipam":..,
 *    "routing":"table"|"main","arpIgnore":N,"arpAnnounce":N,"rpFilter":N,
 *    "pools":["10.20.0.0-16",..],"ranges":["10.20.0.0/16",..],"kubeconfig":..,"namespace":..}
 * (the last four only for rdmanet-ipam) and exits 0. On failure it prints the CNI error JSON
 * the plugin would print, prefixed by "rdmanet: " or "rdmanet-ipam: " on stderr, and exits 1.
 * Exit status 2: usage, or the file cannot be read.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cjson/cJSON.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/cni.h"
#include "rdmanet/config.h"
#include "rdmanet/ipam_config.h"
#include "rdmanet/log.h"
#include "rdmanet/pool.h"

/* What Multus puts into CNI_ARGS for a pod. */
#define MULTUS_ARGS                                                                        \
	"IgnoreUnknown=true;K8S_POD_NAMESPACE=default;K8S_POD_NAME=config-check;"          \
	"K8S_POD_INFRA_CONTAINER_ID=0123456789abcdef;K8S_POD_UID=00000000-0000-0000-0000-" \
	"000000000001"

/* The whole file (at most twice the parser's limit, so the parser reports an oversize one). */
static char *read_all(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	size_t cap = 4096, n = 0;
	char *buf = NULL, *nb;

	if (!f)
		return NULL;
	for (;;) {
		nb = realloc(buf, cap + 1);
		if (!nb) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nb;
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap || cap > 2 * CONFIG_STDIN_MAX)
			break;
		cap *= 2;
	}
	if (f != stdin)
		(void) fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

static int fail(const char *who, const struct cni_err *e, const char *version)
{
	_cleanup_free_ char *j = cni_error_format(e, version[0] ? version : CNI_VERSION_LATEST);

	(void) printf("%s\n", j ? j : "{}");
	(void) fprintf(stderr, "%s: %s%s%s\n", who, e->msg, e->details[0] ? ": " : "", e->details);
	return 1;
}

static void add_range(cJSON *cidrs, const struct pool_range *r)
{
	char ip[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN + 8];

	(void) inet_ntop(r->net.family, r->net.addr, ip, sizeof(ip));
	(void) snprintf(s, sizeof(s), "%s/%u", ip, r->net.prefixlen);
	cJSON_AddItemToArray(cidrs, cJSON_CreateString(s));
}

int main(int argc, char **argv)
{
	struct cni_err err = { 0 };
	struct cni_args args;
	struct config cfg = { 0 };
	struct ipam_config ic = { 0 };
	_cleanup_free_ char *buf = NULL, *out = NULL;
	cJSON *sum;
	size_t len = 0;
	int rc = 0;

	if (argc != 2 || !strcmp(argv[1], "--help")) {
		(void) fprintf(stderr, "usage: config-check FILE|-\n");
		return 2;
	}
	buf = read_all(argv[1], &len);
	if (!buf) {
		(void) fprintf(stderr, "config-check: cannot read '%s'\n", argv[1]);
		return 2;
	}
	log_set_context("config-check", NULL, NULL);
	log_set_level(LOG_LVL_ERROR);
	if (cni_args_parse(MULTUS_ARGS, &args, &err) < 0)
		return fail("rdmanet", &err, "");
	if (config_parse(buf, len, CNI_CMD_ADD, &args, &cfg, &err) < 0) {
		rc = fail("rdmanet", &err, cfg.cni_version);
		config_free(&cfg);
		return rc;
	}

	sum = cJSON_CreateObject();
	cJSON_AddStringToObject(sum, "name", cfg.name);
	cJSON_AddStringToObject(sum, "link", config_link_name(cfg.link));
	cJSON_AddStringToObject(sum, "master", cfg.master);
	cJSON_AddStringToObject(sum, "rdmaMode", config_rdma_mode_name(cfg.rdma_mode));
	cJSON_AddStringToObject(sum, "deviceID", cfg.device_id);
	cJSON_AddNumberToObject(sum, "mtu", cfg.mtu);
	cJSON_AddStringToObject(sum, "ipam", cfg.has_ipam ? cfg.ipam_type : "");
	cJSON_AddStringToObject(sum, "routing", config_routing_name(cfg.routing));
	cJSON_AddNumberToObject(sum, "arpIgnore", cfg.arp_ignore);
	cJSON_AddNumberToObject(sum, "arpAnnounce", cfg.arp_announce);
	cJSON_AddNumberToObject(sum, "rpFilter", cfg.rp_filter);
	if (cfg.has_ipam && !strcmp(cfg.ipam_type, "rdmanet-ipam")) {
		if (ipam_config_parse(buf, len, CNI_CMD_ADD, &ic, &err) < 0) {
			rc = fail("rdmanet-ipam", &err,
				  ic.cni_version[0] ? ic.cni_version : cfg.cni_version);
		} else {
			cJSON *pools = cJSON_AddArrayToObject(sum, "pools");
			cJSON *cidrs = cJSON_AddArrayToObject(sum, "ranges");

			for (unsigned i = 0; i < ic.n_ranges; i++) {
				char name[POOL_NAME_MAX];

				if (pool_name(&ic.ranges[i], ic.network_name, name, sizeof(name)) >=
				    0)
					cJSON_AddItemToArray(pools, cJSON_CreateString(name));
				add_range(cidrs, &ic.ranges[i]);
			}
			cJSON_AddStringToObject(sum, "kubeconfig", ic.kubeconfig);
			cJSON_AddStringToObject(sum, "namespace", ic.namespace_);
		}
		ipam_config_free(&ic);
	}
	if (!rc) {
		out = cJSON_PrintUnformatted(sum);
		(void) printf("%s\n", out ? out : "{}");
	}
	cJSON_Delete(sum);
	config_free(&cfg);
	return rc;
}
