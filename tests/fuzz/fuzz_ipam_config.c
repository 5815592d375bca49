/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_ipam_config.c - libFuzzer target for rdmanet-ipam's network config parser,
 * ipam_config_parse, for every command: the return value agrees with the error, and what it
 * accepts is within the bounds the allocator relies on (ranges, exclusions, names, timeouts).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rdmanet/cni.h"
#include "rdmanet/ipam_config.h"
#include "rdmanet/pool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum cni_command commands[] = { CNI_CMD_ADD, CNI_CMD_DEL, CNI_CMD_CHECK,
					     CNI_CMD_STATUS, CNI_CMD_GC };

static void invariant(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_ipam_config: invariant failed: %s\n", what);
		abort();
	}
}

static void check_range(const struct pool_range *r)
{
	char name[POOL_NAME_MAX];
	unsigned char a[16];
	pool_off_t off;
	unsigned max;

	invariant(r->net.family == AF_INET || r->net.family == AF_INET6, "range of no family");
	max = r->net.family == AF_INET ? 32 : 128;
	invariant(r->net.prefixlen <= max, "prefix length out of range");
	invariant(r->first <= r->last, "range first > last");
	invariant(max - r->net.prefixlen == 128 ||
			  r->last < ((pool_off_t) 1 << (max - r->net.prefixlen)),
		  "range end past its CIDR");
	invariant(r->n_exclude <= POOL_EXCLUDE_MAX, "too many exclusions");
	for (unsigned i = 0; i < r->n_exclude; i++)
		invariant(r->exclude[i].family == r->net.family, "exclusion of the other family");
	/* the offsets at the ends map back to themselves */
	pool_addr_at(r, r->first, a);
	invariant(pool_offset(r, a, &off) == 0 && off == r->first,
		  "first offset does not round trip");
	pool_addr_at(r, r->last, a);
	invariant(pool_offset(r, a, &off) == 0 && off == r->last,
		  "last offset does not round trip");
	if (pool_pick(r, r->first, NULL, NULL, &off) == 0)
		invariant(pool_usable(r, off), "pool_pick returned an unusable offset");
	(void) pool_name(r, "", name, sizeof(name));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		struct cni_err err = { 0 };
		struct ipam_config c;
		int r;

		r = ipam_config_parse((const char *) data, size, commands[i], &c, &err);
		invariant((r < 0) == (err.code != 0), "return value and error disagree");
		if (r >= 0) {
			invariant(cni_version_supported(c.cni_version),
				  "accepted an unsupported version");
			invariant(c.n_ranges >= 1 && c.n_ranges <= IPAM_RANGES_MAX, "range count");
			invariant(strlen(c.network_name) <= IPAM_NETWORK_NAME_MAX,
				  "network_name length");
			invariant(c.api_timeout_ms >= 1000 && c.api_timeout_ms <= 120000,
				  "api timeout");
			invariant(c.retry_budget_ms >= 1000 && c.retry_budget_ms <= 600000,
				  "retry budget");
			invariant(c.quiet_s <= 86400, "quiet period");
			invariant(c.log_level >= -1, "log level");
			invariant(commands[i] != CNI_CMD_GC || c.valid_attachments,
				  "GC without attachments");
			for (unsigned j = 0; j < c.n_ranges; j++)
				check_range(&c.ranges[j]);
		} else {
			invariant(err.msg[0] != '\0', "an error without a message");
		}
		free(cni_error_format(&err, CNI_VERSION_LATEST));
		ipam_config_free(&c);
	}
	return 0;
}
