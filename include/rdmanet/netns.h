/* SPDX-License-Identifier: Apache-2.0 */
/* netns.h - open, enter and leave network namespaces through saved fds; never exit(). */
#pragma once

/* Opens a netns path: fd >= 0, -ENOENT when it is gone, -EINVAL when it is not a netns. */
int netns_open(const char *path);
/* An fd of the calling thread's current netns (the host's, before any netns_enter), or -errno. */
int netns_open_current(void);
/* Enters target; *saved receives an fd of the current netns to come back to. */
int netns_enter(int target, int *saved);
/* Returns to saved and closes it; -errno if setns failed (the caller must not go on). */
int netns_restore(int *saved);

/* What netns_leave_view() needs to come back: the previous net and mount namespaces, cwd. */
struct netns_view {
	int net;
	int mnt;
	int cwd;
};

/*
 * Enters target with its own view of /sys, as `ip netns exec` does: RDMA and net sysfs show
 * what the netns that mounted sysfs owns, and libibverbs enumerates devices through sysfs. The
 * caller (single-threaded: unshare(CLONE_NEWNS) needs an unshared fs struct) goes into target
 * and a private mount namespace (propagation slave, nothing leaks back) with a fresh sysfs on
 * /sys. On failure nothing changed (or, if even going back failed, -errno and the caller must
 * not go on). Needs CAP_SYS_ADMIN.
 */
int netns_enter_view(int target, struct netns_view *saved);
/* Back to the saved mount namespace, cwd and netns; closes the fds. -errno if setns failed. */
int netns_leave_view(struct netns_view *saved);
