/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_gc.c - GC: temporary links of attachments the runtime no longer knows, then IPAM GC. */
#include <errno.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/cmd.h"
#include "rdmanet/iflink.h"
#include "rdmanet/log.h"

#define GC_BATCH_MAX 256 /* more are left for the next GC */

struct gc_ctx {
	const struct config *cfg;
	struct {
		int ifindex;
		char alias[IFLINK_ALIAS_MAX];
	} stale[GC_BATCH_MAX];
	unsigned n;
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

/* Collects during the dump: a request on the same socket cannot interleave with it. */
static int gc_collect(const struct iflink_info *info, void *arg)
{
	struct gc_ctx *c = arg;

	if (strncmp(info->name, IFLINK_TMP_PREFIX, strlen(IFLINK_TMP_PREFIX)) ||
	    strncmp(info->alias, "rdmanet:", 8) || attachment_valid(c->cfg, info->alias))
		return 0;
	if (c->n < GC_BATCH_MAX) {
		c->stale[c->n].ifindex = info->ifindex;
		strcpy(c->stale[c->n++].alias, info->alias);
	}
	return 0;
}

int cmd_gc(const struct cni_env *env, const struct config *cfg, struct cni_err *err)
{
	_cleanup_(netlink_close) struct netlink host = { 0 };
	static struct gc_ctx c; /* 66 KiB: off the stack */
	int r;

	c.cfg = cfg;
	c.n = 0;

	r = netlink_open(&host);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_INTERNAL, NULL, "cannot open a netlink socket");
	r = iflink_foreach(&host, gc_collect, &c);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(&host),
			       "cannot list the host's links");
	for (unsigned i = 0; i < c.n; i++) {
		r = iflink_delete(&host, c.stale[i].ifindex);
		if (r < 0 && r != -ENOENT)
			log_warn("GC: cannot delete leaked link '%s': %s, ignoring", c.stale[i].alias,
				 netlink_errmsg(&host));
		else
			log_info("GC: deleted leaked temporary link of '%s'", c.stale[i].alias);
	}
	return cmd_ipam_optional(env, cfg, CNI_CMD_GC, err);
}
