/* SPDX-License-Identifier: Apache-2.0 */
/* cmd.h - the CNI commands of the rdmanet plugin: orchestration and rollback. */
#pragma once
#include "rdmanet/cni.h"
#include "rdmanet/config.h"
#include "rdmanet/netlink.h"

/* On success *res holds the attachment to print. */
int cmd_add(const struct cni_env *env, const struct config *cfg, struct cni_result *res,
	    struct cni_err *err);
int cmd_del(const struct cni_env *env, const struct config *cfg, struct cni_err *err);
int cmd_check(const struct cni_env *env, const struct config *cfg, struct cni_err *err);
int cmd_status(const struct cni_env *env, const struct config *cfg, struct cni_err *err);
int cmd_gc(const struct cni_env *env, const struct config *cfg, struct cni_err *err);

/*
 * Test hook: when RDMANET_TEST_FAIL_STEP names step, the step fails as if the kernel had
 * refused it, so the tests can prove each rollback leaves nothing behind.
 */
int cmd_fault(const char *step);

/* Runs the IPAM's STATUS or GC when it speaks CNI 1.1.0 (older plugins have neither). */
int cmd_ipam_optional(const struct cni_env *env, const struct config *cfg, enum cni_command cmd,
		      struct cni_err *err);

/* Opens the pod netns for ADD/CHECK, mapping failures to CNI codes 3 and 4. */
int cmd_open_netns(const struct cni_env *env, struct cni_err *err);
/* Opens a netlink socket inside the netns behind fd. */
int cmd_netlink_in(int fd, struct netlink *nl, struct cni_err *err);
