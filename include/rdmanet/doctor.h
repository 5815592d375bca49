/* SPDX-License-Identifier: Apache-2.0 */
/* doctor.h - `rdmanet doctor`: does RDMA work on this node or in this pod, and if not, why. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct doctor_opts {
	const char *netns; /* NULL: the caller's netns and /sys as they are */
	bool json;
	bool help;      /* -h, --help: print doctor_usage, nothing else */
	char **ifnames; /* netdevs to follow to their RDMA port, GIDs and MTU */
	int n_ifnames;
	const char *log_files[4]; /* --log-file: read for recent failures, besides the configs' */
	int n_log_files;
	const char *cni_conf_dir; /* --cni-conf-dir; NULL: /etc/cni/net.d */
};

/* Where rdma_ucm's device node is: the doctor reports whether it is there. */
#define DOCTOR_RDMA_CM "/dev/infiniband/rdma_cm"

extern const char doctor_usage[];

/* The arguments after "doctor"; -EINVAL with the reason in msg for a usage error. */
int doctor_parse_args(int argc, char **argv, struct doctor_opts *opts, char *msg, size_t len);
/*
 * Diagnoses (inside opts->netns with its own sysfs view, when given) and hands back the report:
 * text or one JSON object, for the caller to print. Returns the number of error findings, or
 * -errno with the reason in msg when it could not run (-ENOENT/-EINVAL: --netns is no netns).
 */
int doctor_run(const struct doctor_opts *opts, char **report, char *msg, size_t len);
