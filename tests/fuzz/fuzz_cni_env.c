/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_cni_env.c - libFuzzer target for the CNI environment: the input is split into lines, the
 * first bounded number of NAME=VALUE lines become the environment (which is cleared first) and
 * cni_env_parse reads it, as both plugins' main() do; each line is also given to
 * cni_args_parse as a CNI_ARGS string. The return value agrees with the error, and what is
 * accepted is what the runtime may pass (valid container ID, ifname, absolute netns path).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdmanet/cni.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LINES_MAX 16

static void invariant(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_cni_env: invariant failed: %s\n", what);
		abort();
	}
}

static void check_args(const char *raw)
{
	struct cni_err err = { 0 };
	struct cni_args args;
	int r = cni_args_parse(raw, &args, &err);

	invariant((r < 0) == (err.code != 0), "cni_args_parse: return value and error disagree");
	if (r >= 0) {
		invariant(memchr(args.pod_namespace, 0, sizeof(args.pod_namespace)) != NULL,
			  "K8S_POD_NAMESPACE not terminated");
		invariant(memchr(args.pod_name, 0, sizeof(args.pod_name)) != NULL,
			  "K8S_POD_NAME not terminated");
		invariant(memchr(args.pod_uid, 0, sizeof(args.pod_uid)) != NULL,
			  "K8S_POD_UID not terminated");
		invariant(memchr(args.infra_container_id, 0, sizeof(args.infra_container_id)) !=
				  NULL,
			  "K8S_POD_INFRA_CONTAINER_ID not terminated");
		invariant(!args.has_mac || !(args.mac[0] & 1), "accepted a multicast MAC");
	} else {
		invariant(err.code == CNI_ERR_INVALID_ENV || err.code == CNI_ERR_INVALID_CONFIG ||
				  err.code >= 100,
			  "cni_args_parse: unexpected error code");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *line, *save = NULL;
	struct cni_err err = { 0 };
	struct cni_env env;
	int n = 0, r;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	check_args(text);
	(void) clearenv();
	for (line = strtok_r(text, "\n", &save); line && n < LINES_MAX;
	     line = strtok_r(NULL, "\n", &save), n++) {
		char *eq = strchr(line, '=');

		check_args(line);
		if (!eq || eq == line)
			continue;
		*eq = '\0';
		(void) setenv(line, eq + 1, 1);
	}
	r = cni_env_parse(&env, &err);
	invariant((r < 0) == (err.code != 0), "cni_env_parse: return value and error disagree");
	if (r >= 0 && env.cmd != CNI_CMD_VERSION) {
		invariant(env.cmd > CNI_CMD_NONE && env.cmd <= CNI_CMD_GC, "unknown command");
		invariant(env.path && env.path[0], "accepted no CNI_PATH");
		invariant(!env.netns || !env.netns[0] || env.netns[0] == '/', "relative CNI_NETNS");
		if (env.cmd == CNI_CMD_ADD || env.cmd == CNI_CMD_DEL || env.cmd == CNI_CMD_CHECK) {
			invariant(cni_containerid_valid(env.containerid),
				  "invalid CNI_CONTAINERID");
			invariant(cni_ifname_valid(env.ifname), "invalid CNI_IFNAME");
		}
		(void) cni_command_name(env.cmd);
	}
	(void) clearenv();
	free(text);
	return 0;
}
