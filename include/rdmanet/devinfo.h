/* SPDX-License-Identifier: Apache-2.0 */
/* devinfo.h - the Device Information Specification file (NPWG) of an RDMA attachment. */
#pragma once
#include <stdbool.h>

#include "rdmanet/cmd.h"

/*
 * Writes/extends the Device Information Specification file Multus passed, if any: adds
 * "rdma-device" to the device plugin's file, or writes one of type pci naming pci (nothing when
 * pci is empty). *created: the file is new and ours (ADD's rollback removes it).
 */
int cmd_rdma_devinfo(const struct config *cfg, const struct rdma_plan *plan, const char *pci,
		     bool *created, struct cni_err *err);
