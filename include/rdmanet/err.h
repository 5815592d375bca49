/* SPDX-License-Identifier: Apache-2.0 */
/* err.h - the error that travels beside every return code, filled once (first error wins). */
#pragma once
#include <stddef.h>

#define ERR_MSG_MAX     512
#define ERR_DETAILS_MAX 1024

/* Codes 1-11 and 50-51 are the CNI specification's; 100 and up are ours (see README). */
enum cni_code {
	CNI_ERR_INCOMPATIBLE_VERSION = 1,
	CNI_ERR_UNSUPPORTED_FIELD = 2,
	CNI_ERR_UNKNOWN_CONTAINER = 3,
	CNI_ERR_INVALID_ENV = 4,
	CNI_ERR_IO = 5,
	CNI_ERR_DECODE = 6,
	CNI_ERR_INVALID_CONFIG = 7,
	CNI_ERR_TRY_AGAIN = 11,
	CNI_ERR_NOT_AVAILABLE = 50,
	CNI_ERR_LIMITED_CONNECTIVITY = 51,
	RDMANET_ERR_MASTER = 100,        /* master netdev missing or unusable */
	RDMANET_ERR_LINK = 101,          /* kernel refused to create/move/configure the link */
	RDMANET_ERR_IFNAME_EXISTS = 102, /* CNI_IFNAME already taken in the pod netns */
	RDMANET_ERR_IPAM = 103,     /* IPAM plugin missing, failed, timed out or answered garbage */
	RDMANET_ERR_ADDR = 104,     /* addresses/routes/sysctls could not be applied */
	RDMANET_ERR_CHECK = 105,    /* CHECK found the attachment differs from prevResult */
	RDMANET_ERR_NETNS = 106,    /* the pod netns could not be entered */
	RDMANET_ERR_INTERNAL = 107, /* out of memory or another local failure */
	RDMANET_ERR_API = 108,      /* the Kubernetes API refused a request (auth, RBAC, schema) */
	RDMANET_ERR_EXHAUSTED = 109, /* no free address left in a range */
	RDMANET_ERR_RDMA = 110,      /* RDMA device missing, wrong netns mode, port down, GID table
					full, or a device that cannot change netns */
};

struct cni_err {
	int code;
	char msg[ERR_MSG_MAX];
	char details[ERR_DETAILS_MAX];
};

/*
 * Record an error unless one is already recorded. details may be NULL: then strerror(-r) is
 * used when r < 0. Returns r when it is negative, -EINVAL otherwise, so callers can write
 * `return err_set(err, r, CODE, NULL, "...")`. e may be NULL where the caller words the error.
 */
int err_set(struct cni_err *e, int r, int code, const char *details, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* A "why" buffer of a pure parser (why may be NULL, or len 0): the message, cut to len. */
void err_why(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
