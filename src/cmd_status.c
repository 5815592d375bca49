/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_status.c - STATUS (ready when master is up and the IPAM is) and GC (leaked links, IPAM). */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000 /* linux/if.h, which clashes with net/if.h */
#endif

#include <cjson/cJSON.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/cmd.h"
#include "rdmanet/iflink.h"
#include "rdmanet/ipam_exec.h"
#include "rdmanet/log.h"

/* Runs the IPAM's STATUS/GC when it speaks 1.1.0; older plugins have neither. */
static int ipam_optional(const struct cni_env *env, const struct config *cfg, enum cni_command cmd,
			 struct cni_err *err)
{
	_cleanup_free_ char *out = NULL;
	int r;

	if (!cfg->has_ipam)
		return 0;
	r = ipam_supports(cfg, env, "1.1.0", err);
	if (r < 0)
		return r;
	if (!r) {
		log_debug("IPAM plugin '%s' predates CNI 1.1.0: no %s to delegate", cfg->ipam_type,
			  cni_command_name(cmd));
		return 0;
	}
	return ipam_exec(cfg, env, cmd, &out, err);
}

int cmd_status(const struct cni_env *env, const struct config *cfg, struct cni_err *err)
{
	_cleanup_(netlink_close) struct netlink host = { 0 };
	struct iflink_info master;
	int r;

	r = netlink_open(&host);
	if (r < 0)
		return err_set(err, r, CNI_ERR_NOT_AVAILABLE, NULL, "cannot open a netlink socket");
	r = iflink_find(&host, cfg->master, &master);
	if (r == -ENOENT)
		return err_set(err, r, CNI_ERR_NOT_AVAILABLE, NULL,
			       "master '%s' does not exist on this node: check the RDMA NIC and its driver",
			       cfg->master);
	if (r < 0)
		return err_set(err, r, CNI_ERR_NOT_AVAILABLE, netlink_errmsg(&host),
			       "cannot look up master '%s'", cfg->master);
	if (!(master.flags & IFF_UP))
		return err_set(err, -ENETDOWN, CNI_ERR_LIMITED_CONNECTIVITY, NULL,
			       "master '%s' is administratively down: 'ip link set %s up'",
			       cfg->master, cfg->master);
	if (!(master.flags & IFF_LOWER_UP))
		return err_set(err, -ENETDOWN, CNI_ERR_LIMITED_CONNECTIVITY, NULL,
			       "master '%s' has no carrier: check the cable, the switch port or the subnet manager",
			       cfg->master);
	r = ipam_optional(env, cfg, CNI_CMD_STATUS, err);
	if (r < 0 && (err->code != CNI_ERR_NOT_AVAILABLE && err->code != CNI_ERR_LIMITED_CONNECTIVITY))
		err->code = CNI_ERR_NOT_AVAILABLE; /* STATUS speaks only 50/51 */
	return r;
}

struct gc_ctx {
	struct netlink *nl;
	const struct config *cfg;
	unsigned deleted;
};

static bool attachment_valid(const struct config *cfg, const char *alias)
{
	const cJSON *it;
	char want[IFLINK_ALIAS_MAX];

	cJSON_ArrayForEach(it, cfg->valid_attachments) {
		const cJSON *cid = cJSON_GetObjectItemCaseSensitive(it, "containerID");
		const cJSON *ifn = cJSON_GetObjectItemCaseSensitive(it, "ifname");

		if (iflink_alias(cid->valuestring, ifn->valuestring, want) >= 0 && !strcmp(want, alias))
			return true;
	}
	return false;
}

static int gc_one(const struct iflink_info *info, void *arg)
{
	struct gc_ctx *c = arg;
	int r;

	if (strncmp(info->name, IFLINK_TMP_PREFIX, strlen(IFLINK_TMP_PREFIX)) ||
	    strncmp(info->alias, "rdmanet:", 8) || attachment_valid(c->cfg, info->alias))
		return 0;
	r = iflink_delete(c->nl, info->ifindex);
	if (r < 0 && r != -ENOENT)
		log_warn("GC: cannot delete leaked link '%s' (%s): %s, ignoring", info->name,
			 info->alias, strerror(-r));
	else {
		log_info("GC: deleted leaked link '%s' (%s)", info->name, info->alias);
		c->deleted++;
	}
	return 0;
}

int cmd_gc(const struct cni_env *env, const struct config *cfg, struct cni_err *err)
{
	_cleanup_(netlink_close) struct netlink host = { 0 }, walk = { 0 };
	struct gc_ctx c = { &host, cfg, 0 };
	int r;

	r = netlink_open(&host);
	if (r >= 0)
		r = netlink_open(&walk);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_INTERNAL, NULL, "cannot open a netlink socket");
	/* a dump on one socket, deletions on another: requests cannot interleave with a dump */
	r = iflink_foreach(&walk, gc_one, &c);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(&walk),
			       "cannot list the host's links");
	return ipam_optional(env, cfg, CNI_CMD_GC, err);
}
