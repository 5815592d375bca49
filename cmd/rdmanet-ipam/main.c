/* SPDX-License-Identifier: Apache-2.0 */
/* rdmanet-ipam - CNI IPAM plugin storing allocations in the Kubernetes API (whereabouts CRDs). */
#include <stdio.h>

#include <cjson/cJSON.h>

#include "rdmanet/cni.h"
#include "rdmanet/ipam_config.h"
#include "rdmanet/ipam_connect.h"
#include "rdmanet/ipam_k8s.h"
#include "rdmanet/ipam_reconciler.h"
#include "rdmanet/k8s.h"
#include "rdmanet/log.h"
#include "rdmanet/plugin_main.h"

/* What every command works with: the config, the API client, the owner of the allocation. */
struct ipam_call {
	struct ipam_config cfg;
	struct k8s_config kc;
	struct k8s_client *k;
	struct ipam_owner who;
	struct ipam_ctx x;
};

static int load(struct cni_call *c, struct cni_err *err)
{
	struct ipam_call *s = c->ctx;
	const struct cni_env *env = &c->env;
	int r;

	*s = (struct ipam_call){ .who = { .containerid = env->containerid,
					  .ifname = env->ifname } };
	s->x = (struct ipam_ctx){ .cfg = &s->cfg, .who = &s->who };
	r = ipam_config_parse(c->in, c->len, env->cmd, &s->cfg, err);
	if (s->cfg.cni_version[0])
		(void) snprintf(c->version, sizeof(c->version), "%s", s->cfg.cni_version);
	if (r < 0)
		return r;
	(void) snprintf(c->network, sizeof(c->network), "%s",
			cJSON_GetStringValue(cJSON_GetObjectItem(s->cfg.root, "name")) ?: "");
	cni_plugin_logging(s->cfg.log_level, s->cfg.log_file, "log_file");

	if (env->args.pod_namespace[0] && env->args.pod_name[0])
		(void) snprintf(s->who.podref, sizeof(s->who.podref), "%s/%s",
				env->args.pod_namespace, env->args.pod_name);
	else if (env->cmd == CNI_CMD_ADD)
		return err_set(err, 0, CNI_ERR_INVALID_ENV, NULL,
			       "CNI_ARGS must carry K8S_POD_NAMESPACE and K8S_POD_NAME (Multus "
			       "sends them): the allocation records its pod");
	r = ipam_connect(&s->cfg, &s->kc, &s->k, s->x.ns, err);
	if (r < 0)
		return r;
	s->x.k = s->k;
	return 0;
}

static void unload(struct cni_call *c)
{
	struct ipam_call *s = c->ctx;

	if (s->x.conflicts)
		log_info("%s: %u write conflicts retried", cni_command_name(c->env.cmd),
			 s->x.conflicts);
	k8s_client_free(s->k);
	k8s_config_free(&s->kc);
	ipam_config_free(&s->cfg);
}

/* The record's API part: round trips to the API server, their time, the slowest one. */
static void record(struct cni_call *c, char *buf, size_t len)
{
	struct ipam_call *s = c->ctx;
	struct k8s_stats st;
	char v[32];

	k8s_client_stats(s->k, &st);
	(void) snprintf(v, sizeof(v), "%u", st.requests);
	cni_record_field(buf, len, "api_calls", v);
	(void) snprintf(v, sizeof(v), "%lld.%03lld", st.us / 1000, st.us % 1000);
	cni_record_field(buf, len, "api_ms", v);
	(void) snprintf(v, sizeof(v), "%lld.%03lld", st.max_us / 1000, st.max_us % 1000);
	cni_record_field(buf, len, "api_max_ms", v);
	cni_record_field(buf, len, "api_max", st.max_req[0] ? st.max_req : "-");
	(void) snprintf(v, sizeof(v), "%u", s->x.conflicts);
	cni_record_field(buf, len, "conflicts", v);
}

static int add(struct cni_call *c, struct cni_err *err)
{
	struct ipam_call *s = c->ctx;

	return ipam_k8s_add(&s->x, &c->res, err);
}

static int del(struct cni_call *c, struct cni_err *err)
{
	struct ipam_call *s = c->ctx;

	return ipam_k8s_del(&s->x, err);
}

static int check(struct cni_call *c, struct cni_err *err)
{
	struct ipam_call *s = c->ctx;

	return ipam_k8s_check(&s->x, err);
}

static int status(struct cni_call *c, struct cni_err *err)
{
	struct ipam_call *s = c->ctx;

	return ipam_k8s_status(&s->x, err);
}

static int gc(struct cni_call *c, struct cni_err *err)
{
	struct ipam_call *s = c->ctx;

	return ipam_k8s_gc(&s->x, err);
}

static const struct cni_subcommand subcommands[] = { { "reconcile", ipam_reconciler_main },
						     { NULL } };

static const struct cni_plugin rdmanet_ipam = {
	.name = "rdmanet-ipam",
	.subcommands = subcommands,
	.load = load,
	.unload = unload,
	.record = record,
	.add = add,
	.del = del,
	.check = check,
	.status = status,
	.gc = gc,
};

int main(int argc, char **argv)
{
	struct ipam_call s;

	return cni_plugin_main(argc, argv, &rdmanet_ipam, &s);
}
