/* SPDX-License-Identifier: Apache-2.0 */
/* netns.h - open, enter and leave network namespaces through saved fds; never exit(). */
#pragma once

/* Opens a netns path: fd >= 0, -ENOENT when it is gone, -EINVAL when it is not a netns. */
int netns_open(const char *path);
/* Enters target; *saved receives an fd of the current netns to come back to. */
int netns_enter(int target, int *saved);
/* Returns to saved and closes it; -errno if setns failed (the caller must not go on). */
int netns_restore(int *saved);
