/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_gc.c - GC: attachments of this network with saved state (whole devices) that
 * cni.dev/valid-attachments no longer names give their devices back; then the IPAM releases what
 * the runtime no longer names.
 */
#include <errno.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rdmanet/cmd.h"
#include "rdmanet/iflink.h"
#include "rdmanet/log.h"
#include "rdmanet/state.h"

struct gc_ctx {
	const struct config *cfg;
	int released, failed;
};

static bool valid(const struct config *cfg, const struct state *st)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, cfg->valid_attachments) {
		const cJSON *cid = cJSON_GetObjectItemCaseSensitive(it, "containerID");
		const cJSON *ifn = cJSON_GetObjectItemCaseSensitive(it, "ifname");

		if (cJSON_IsString(cid) && cJSON_IsString(ifn) &&
		    !strcmp(cid->valuestring, st->containerid) &&
		    !strcmp(ifn->valuestring, st->ifname))
			return true;
	}
	return false;
}

static int collect(const struct state *st, void *arg)
{
	const struct iflink_ops *ops = iflink_ops_named(st->kind);
	struct gc_ctx *c = arg;
	struct cni_err err = { 0 };

	if (strcmp(st->network, c->cfg->name) || !ops || !ops->release || valid(c->cfg, st))
		return 0;
	if (cmd_release(st, &err) < 0) {
		log_warn("GC: cannot release %s attachment %.64s/%s: %s", ops->name,
			 st->containerid, st->ifname, err.msg);
		c->failed++;
		return 0;
	}
	log_info("GC: released %s attachment %.64s/%s ('%s')", ops->name, st->containerid,
		 st->ifname, st->host_name);
	c->released++;
	return 0;
}

/*
 * Child links live and die with the pod netns, so only an attachment that saved state (a whole
 * device) can outlive a pod (an ADD killed before the runtime learned of it). The IPAM gets
 * cni.dev/valid-attachments on stdin.
 */
int cmd_gc(const struct cni_env *env, const struct config *cfg, struct cni_err *err)
{
	struct gc_ctx c = { cfg, 0, 0 };
	int r;

	if (cfg->valid_attachments) {
		r = state_foreach(collect, &c);
		if (r < 0)
			log_warn("GC: cannot read " STATE_DIR ": %s, ignoring", strerror(-r));
	}
	r = cmd_ipam_optional(env, cfg, CNI_CMD_GC, err);
	if (r >= 0 && c.failed)
		return err_set(err, -EIO, RDMANET_ERR_LINK, NULL,
			       "GC could not release %d hostdev attachment(s): see the log",
			       c.failed);
	return r;
}
