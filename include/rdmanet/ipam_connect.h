/* SPDX-License-Identifier: Apache-2.0 */
/* ipam_connect.h - rdmanet-ipam's credential policy: which credentials, which namespace. */
#pragma once
#include "rdmanet/err.h"
#include "rdmanet/ipam_config.h"
#include "rdmanet/k8s.h"

/* The service account's files when the config names no kubeconfig. */
#define IPAM_INCLUSTER_ROOT "/var/run/secrets/kubernetes.io/serviceaccount"
/* The pools' namespace when neither the config nor the kubeconfig names one. */
#define IPAM_DEFAULT_NAMESPACE "kube-system"

/*
 * Loads the credentials (cfg->kubeconfig, else in-cluster) into kc, names the namespace the
 * pools live in (cfg->namespace_, else the kubeconfig's, else kube-system) in ns and opens a
 * client with cfg->api_timeout_ms. kc and *k are the caller's to free, also on failure.
 */
int ipam_connect(const struct ipam_config *cfg, struct k8s_config *kc, struct k8s_client **k,
		 char ns[K8S_NAMESPACE_MAX + 1], struct cni_err *err);
