/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_config.c - libFuzzer target for everything that reads untrusted bytes in the plugin:
 * config_parse for every command, prevResult through cni_result_parse/format (which must round
 * trip), CNI_ARGS, CIDRs and versions. Built with clang by `make fuzz`; tests/fuzz/replay.c
 * runs the corpus through it in the normal test run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rdmanet/cidr.h"
#include "rdmanet/cni.h"
#include "rdmanet/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum cni_command commands[] = { CNI_CMD_ADD, CNI_CMD_DEL, CNI_CMD_CHECK,
					     CNI_CMD_STATUS, CNI_CMD_GC };

/* An invariant of the code under test broke: abort so libFuzzer keeps the input. */
static void invariant(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_config: invariant failed: %s\n", what);
		abort();
	}
}

/* The result printed for each version parses back and prints the same. */
static void result_round_trip(const struct cni_result *res)
{
	for (int i = 0; cni_supported_versions[i]; i++) {
		char *out = cni_result_format(res, cni_supported_versions[i]), *again;
		struct cni_err err = { 0 };
		struct cni_result back;
		cJSON *j;

		if (!out)
			continue; /* out of memory only */
		j = cJSON_Parse(out);
		invariant(j != NULL, "cni_result_format printed invalid JSON");
		invariant(cni_result_parse(j, "result", 7, &back, &err) == 0,
			  "cni_result_parse rejected what cni_result_format printed");
		again = cni_result_format(&back, cni_supported_versions[i]);
		invariant(again && !strcmp(out, again), "result format/parse/format differs");
		free(again);
		cni_result_free(&back);
		cJSON_Delete(j);
		free(out);
	}
}

static void one_command(const char *buf, size_t size, enum cni_command cmd,
			const struct cni_args *args)
{
	struct cni_err err = { 0 };
	struct config cfg;
	char *s;
	int r;

	r = config_parse(buf, size, cmd, args, &cfg, &err);
	invariant((r < 0) == (err.code != 0), "config_parse: return value and error disagree");
	if (r >= 0) {
		invariant(cni_version_supported(cfg.cni_version),
			  "accepted an unsupported version");
		invariant(cmd == CNI_CMD_DEL || cmd == CNI_CMD_GC || cni_ifname_valid(cfg.master) ||
				  (cfg.link == LINK_HOSTDEV && !cfg.master[0] &&
				   config_device_id_valid(cfg.device_id)),
			  "accepted an invalid master");
		invariant(!cfg.device_id[0] || config_device_id_valid(cfg.device_id),
			  "accepted an invalid deviceID");
		invariant(!cfg.devinfo_file[0] || cfg.devinfo_file[0] == '/',
			  "accepted a relative CNIDeviceInfoFile");
		invariant(cfg.mtu == 0 || (cfg.mtu >= 68 && cfg.mtu <= 65535), "mtu out of range");
		invariant(cfg.raw_len == size && !memcmp(cfg.raw, buf, size), "raw bytes differ");
		if (cfg.prev_result) {
			struct cni_result res;

			if (cni_result_parse(cfg.prev_result, "prevResult", 7, &res, &err) >= 0)
				result_round_trip(&res);
			cni_result_free(&res);
		}
	}
	s = cni_error_format(&err, cfg.cni_version);
	free(s);
	config_free(&cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *str = malloc(size + 1);
	char version[CNI_VERSION_MAX];
	struct cni_err err = { 0 };
	struct cni_args args;
	int family, args_ok;
	unsigned char addr[16];
	unsigned plen;

	if (!str)
		return 0;
	memcpy(str, data, size);
	str[size] = '\0';

	args_ok = cni_args_parse(str, &args, &err) >= 0;
	invariant(args_ok == (err.code == 0), "cni_args_parse: return value and error disagree");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		one_command((const char *) data, size, commands[i], args_ok ? &args : NULL);
	(void) config_peek_version((const char *) data, size, version);

	/* the small parsers on the same bytes */
	(void) cidr_parse(str, &family, addr, &plen, NULL, 0);
	(void) cidr_addr_parse(str, &family, addr);
	(void) cni_version_cmp(str, "1.0.0");
	(void) cni_version_supported(str);
	(void) cni_ifname_valid(str);
	(void) cni_containerid_valid(str);
	(void) cni_mac_parse(str, addr);
	free(str);
	return 0;
}
