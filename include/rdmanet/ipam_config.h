/* SPDX-License-Identifier: Apache-2.0 */
/* ipam_config.h - the "ipam" section of rdmanet-ipam, with whereabouts' field names. */
#pragma once
#include <stdbool.h>

#include "rdmanet/cni.h"
#include "rdmanet/config.h"
#include "rdmanet/k8s.h"
#include "rdmanet/pool.h"

#define IPAM_RANGES_MAX       8
#define IPAM_NETWORK_NAME_MAX 63

struct ipam_config {
	char cni_version[CNI_VERSION_MAX];
	char network_name[IPAM_NETWORK_NAME_MAX + 1]; /* whereabouts network_name, may be "" */
	struct pool_range ranges[IPAM_RANGES_MAX];    /* "range" or "ipRanges" */
	unsigned n_ranges;
	struct cni_result extra;                /* "routes" and "dns" of the ipam section */
	bool overlapping;                       /* enable_overlapping_ranges (default true) */
	char kubeconfig[CONFIG_PATH_MAX];       /* kubernetes.kubeconfig; "" = in-cluster */
	char namespace_[K8S_NAMESPACE_MAX + 1]; /* "" = the kubeconfig's, else kube-system */
	unsigned api_timeout_ms;  /* one API request (api_timeout_seconds, default 10) */
	unsigned retry_budget_ms; /* all retries of one allocation (retry_budget_seconds, 30) */
	unsigned quiet_s;         /* a released IP rests this long (release_quiet_seconds, 60) */
	char log_file[CONFIG_PATH_MAX];
	int log_level;                         /* enum log_level, -1 when unset */
	const struct cJSON *valid_attachments; /* GC */
	const struct cJSON *prev_result; /* DEL: "prevResult" as given, unchecked; may be NULL */
	struct cJSON *root;              /* owned */
};

/* A network_name: a label of Kubernetes object names, which IPPool and reservation names
 * start with (lower-case letters, digits, '-' and '.', alphanumeric at both ends). */
bool ipam_network_name_valid(const char *s);
/* Parses stdin for cmd: the document checks of config_document, then the "ipam" section. */
int ipam_config_parse(const char *buf, size_t len, enum cni_command cmd, struct ipam_config *c,
		      struct cni_err *err);
void ipam_config_free(struct ipam_config *c);
