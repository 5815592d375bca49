/* SPDX-License-Identifier: Apache-2.0 */
/* ipam_reconciler.h - `rdmanet-ipam reconcile`: one pass, or the reconciler Deployment's loop. */
#pragma once

/*
 * argv from "reconcile" on: [--kubeconfig FILE] [--namespace NS] [--dry-run] [--interval
 * SECONDS] [--grace SECONDS] [--help]. Without --interval one pass (its counts on stdout), with
 * it a pass every interval seconds until SIGTERM or SIGINT. Returns the exit status: 0, 1 when
 * the one pass failed, 2 for a usage error.
 */
int ipam_reconciler_main(int argc, char **argv);
