/* SPDX-License-Identifier: Apache-2.0 */
/* rdmanet-ipam - CNI IPAM plugin storing allocations in the Kubernetes API (whereabouts CRDs). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/cni.h"
#include "rdmanet/config.h"
#include "rdmanet/ipam_config.h"
#include "rdmanet/ipam_connect.h"
#include "rdmanet/ipam_k8s.h"
#include "rdmanet/ipam_reconciler.h"
#include "rdmanet/k8s.h"
#include "rdmanet/log.h"

#include "../main_common.h"

static int dispatch(const struct cni_env *env, const struct ipam_config *cfg, struct cni_err *err)
{
	_cleanup_(cni_result_free) struct cni_result res = { 0 };
	struct k8s_config kc = { 0 };
	struct k8s_client *k = NULL;
	struct ipam_owner who = { .containerid = env->containerid, .ifname = env->ifname };
	struct ipam_ctx x = { .cfg = cfg, .who = &who };
	int r;

	if (env->args.pod_namespace[0] && env->args.pod_name[0])
		(void) snprintf(who.podref, sizeof(who.podref), "%s/%s", env->args.pod_namespace,
				env->args.pod_name);
	else if (env->cmd == CNI_CMD_ADD)
		return err_set(err, 0, CNI_ERR_INVALID_ENV, NULL,
			       "CNI_ARGS must carry K8S_POD_NAMESPACE and K8S_POD_NAME (Multus sends them): the allocation records its pod");
	r = ipam_connect(cfg, &kc, &k, x.ns, err);
	if (r >= 0) {
		x.k = k;
		switch (env->cmd) {
		case CNI_CMD_ADD:
			r = ipam_k8s_add(&x, &res, err);
			if (r >= 0 && print_owned(cni_result_format(&res, cfg->cni_version)) < 0)
				r = err_set(err, -EIO, RDMANET_ERR_INTERNAL, NULL, "cannot print the result");
			break;
		case CNI_CMD_DEL:
			r = ipam_k8s_del(&x, err);
			break;
		case CNI_CMD_CHECK:
			r = ipam_k8s_check(&x, err);
			break;
		case CNI_CMD_GC:
			r = ipam_k8s_gc(&x, err);
			break;
		case CNI_CMD_STATUS:
			r = ipam_k8s_status(&x, err);
			break;
		default:
			r = err_set(err, -EINVAL, CNI_ERR_INVALID_ENV, NULL, "unsupported CNI_COMMAND");
		}
		if (x.conflicts)
			log_info("%s: %u write conflicts retried", cni_command_name(env->cmd), x.conflicts);
	}
	k8s_client_free(k);
	k8s_config_free(&kc);
	return r;
}

int main(int argc, char **argv)
{
	_cleanup_free_ char *in = NULL;
	struct cni_err err = { 0 };
	char version[CNI_VERSION_MAX] = "";
	struct ipam_config cfg;
	struct cni_env env;
	size_t len = 0;
	int r;

	(void) signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && !strcmp(argv[1], "reconcile")) {
		return ipam_reconciler_main(argc - 1, argv + 1);
	}
	r = cni_start("rdmanet-ipam", &in, &len, version, &env, &err);
	if (r >= 0)
		return r;

	r = ipam_config_parse(in, len, env.cmd, &cfg, &err);
	if (r >= 0) {
		apply_logging(cfg.log_level, cfg.log_file, "log_file");
		r = dispatch(&env, &cfg, &err);
	}
	if (r < 0)
		r = fail(&err, cfg.cni_version[0] ? cfg.cni_version : version);
	ipam_config_free(&cfg);
	log_close();
	return r;
}
