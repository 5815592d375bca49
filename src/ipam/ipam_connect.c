/* SPDX-License-Identifier: Apache-2.0 */
/* ipam_connect.c - rdmanet-ipam's credential policy, for CNI commands and the reconciler alike. */
#include <stdio.h>

#include "rdmanet/ipam_connect.h"

int ipam_connect(const struct ipam_config *cfg, struct k8s_config *kc, struct k8s_client **k,
		 char ns[K8S_NAMESPACE_MAX + 1], struct cni_err *err)
{
	int r;

	if (cfg->kubeconfig[0])
		r = k8s_kubeconfig_load(cfg->kubeconfig, kc, err);
	else
		r = k8s_incluster_load(IPAM_INCLUSTER_ROOT, kc, err);
	if (r < 0)
		return r;
	(void) snprintf(ns, K8S_NAMESPACE_MAX + 1, "%s",
			cfg->namespace_[0] ? cfg->namespace_ :
			kc->namespace_[0]  ? kc->namespace_ :
					     IPAM_DEFAULT_NAMESPACE);
	return k8s_client_new(kc, cfg->api_timeout_ms, k, err);
}
