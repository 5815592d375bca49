/* SPDX-License-Identifier: Apache-2.0 */
/* ipam_k8s.h - allocation and release in whereabouts' IPPool/OverlappingRangeIPReservation. */
#pragma once
#include "rdmanet/cni.h"
#include "rdmanet/ipam_config.h"
#include "rdmanet/k8s.h"

#define IPAM_API_GROUP "whereabouts.cni.cncf.io"
#define IPAM_API_VERSION "v1alpha1"
#define IPAM_PODREF_MAX (K8S_NAMESPACE_MAX + 1 + 253)
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
	unsigned conflicts;	/* 409s retried, for logs and the benchmark */
};

/*
 * A failed API request r as the error "Kubernetes API: cannot <what>", k8s_errmsg() as its
 * details: a transient one (429/5xx, timeout, connection) is CNI 11, so that the runtime tries
 * again; the rest RDMANET_ERR_API. Returns r.
 */
int ipam_api_fail(struct k8s_client *k, int r, struct cni_err *err, const char *what);

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

/*
 * For `reconcile`, the path DEL takes: rereads the pool of rg (named after cfg->network_name),
 * removes the entries drop(arg, entry) selects (entry->string is the offset key), notes their
 * release, then deletes their reservations if still theirs. Fine when the pool is gone. At most
 * IPAM_RELEASE_MAX entries per call: call again for more.
 */
#define IPAM_RELEASE_MAX 256
int ipam_k8s_release(struct ipam_ctx *x, const struct pool_range *rg,
		     bool (*drop)(void *arg, const struct cJSON *entry), void *arg,
		     struct cni_err *err);
/* Deletes reservation name under a uid precondition: fine when gone or re-created meanwhile. */
int ipam_k8s_unreserve_uid(struct ipam_ctx *x, const char *name, const char *uid,
			   struct cni_err *err);
