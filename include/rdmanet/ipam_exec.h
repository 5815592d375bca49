/* SPDX-License-Identifier: Apache-2.0 */
/* ipam_exec.h - delegate to an IPAM plugin on CNI_PATH by the CNI exec protocol. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "rdmanet/cni.h"
#include "rdmanet/config.h"

#define IPAM_OUTPUT_MAX (1024 * 1024)

/*
 * Runs the configured IPAM plugin for cmd with cfg->raw on stdin. On success the plugin's
 * stdout is returned in *out (malloc'd, NUL-terminated; may be NULL). A plugin error is
 * reported with the plugin's own code and message. When the plugin rejects a 1.x cniVersion
 * it does not speak (code 1), the call is repeated once with the highest 1.x version both
 * sides support: 1.0.0 and 1.1.0 results have the same shape.
 */
int ipam_exec(const struct config *cfg, const struct cni_env *env, enum cni_command cmd, char **out,
	      struct cni_err *err);
/* ADD: runs the plugin and parses its result. */
int ipam_exec_add(const struct config *cfg, const struct cni_env *env, struct cni_result *res,
		  struct cni_err *err);
/* 1 when the plugin's VERSION lists version, 0 when not, -errno when it cannot be asked. */
int ipam_supports(const struct config *cfg, const struct cni_env *env, const char *version,
		  struct cni_err *err);

/* The IPAM plugin runs of this process so far (VERSION queries included): how many, how long. */
struct ipam_exec_stats {
	unsigned runs;
	long long us; /* wall time from spawning each to reaping it, summed */
};
void ipam_exec_stats_get(struct ipam_exec_stats *out);
