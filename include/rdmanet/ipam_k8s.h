/* SPDX-License-Identifier: Apache-2.0 */
/* ipam_k8s.h - allocation and release in whereabouts' IPPool/OverlappingRangeIPReservation. */
#pragma once
#include "rdmanet/cni.h"
#include "rdmanet/ipam_config.h"
#include "rdmanet/k8s.h"

#define IPAM_API_GROUP   "whereabouts.cni.cncf.io"
#define IPAM_API_VERSION "v1alpha1"
#define IPAM_PODREF_MAX  (K8S_NAMESPACE_MAX + 1 + 253)
/* + namespace + "/ippools" or "/overlappingrangeipreservations" */
#define IPAM_API_PATH "/apis/" IPAM_API_GROUP "/" IPAM_API_VERSION "/namespaces/"

/* Who an allocation belongs to. podref "namespace/name" may be "" (no K8S_POD_* in CNI_ARGS). */
struct ipam_owner {
	const char *containerid;
	const char *ifname;
	char podref[IPAM_PODREF_MAX + 1];
};

struct ipam_ctx {
	const struct ipam_config *cfg;
	struct k8s_client *k;
	char ns[K8S_NAMESPACE_MAX + 1];
	const struct ipam_owner *who;
	unsigned conflicts; /* 409s retried, for logs and the benchmark */
};

/* One address per range, recorded in the pool before it is returned; idempotent. */
int ipam_k8s_add(struct ipam_ctx *x, struct cni_result *res, struct cni_err *err);
/* Releases the owner's entries and reservations; fine when already released. */
int ipam_k8s_del(struct ipam_ctx *x, struct cni_err *err);
/* Each range holds an entry for the owner, and (overlapping) its reservation. */
int ipam_k8s_check(struct ipam_ctx *x, struct cni_err *err);
/* Releases every entry whose containerID + ifname is not in cfg->valid_attachments. */
int ipam_k8s_gc(struct ipam_ctx *x, struct cni_err *err);
/* The API answers and every pool is readable (absent is fine: created on first ADD). */
int ipam_k8s_status(struct ipam_ctx *x, struct cni_err *err);
