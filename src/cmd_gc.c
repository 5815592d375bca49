/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_gc.c - GC: the IPAM releases what the runtime's valid attachments no longer name. */
#include "rdmanet/cmd.h"

/*
 * rdmanet itself leaves nothing to collect: links are created inside the pod netns under their
 * final name, so they go with it. The IPAM gets cni.dev/valid-attachments on stdin.
 */
int cmd_gc(const struct cni_env *env, const struct config *cfg, struct cni_err *err)
{
	return cmd_ipam_optional(env, cfg, CNI_CMD_GC, err);
}
