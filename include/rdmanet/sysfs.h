/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sysfs.h - reading sysfs (and procfs) attributes: one line, a directory's first entry, a
 * link's target. All read the caller's view of /sys (see netns_enter_view()).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/*
 * The first line of path without its newline (at most len - 1 bytes) in out. Returns its length;
 * -ENOENT when path or a directory on the way is absent, other -errno when unreadable.
 */
int sysfs_read_line(const char *path, char *out, size_t len);
/* sysfs_read_line of a path built from fmt; out is "" when unreadable. */
__attribute__((format(printf, 3, 4))) int sysfs_read_linef(char *out, size_t len, const char *fmt,
							   ...);
/* A name we may put in a sysfs path as one component: no '/', no "." or "..". */
bool sysfs_name_ok(const char *s);
/* The first entry of a directory that is not hidden; -ENOENT when none. */
int sysfs_first_entry(const char *dir, char *out, size_t len);
/* The last component of a symlink's target ("mlx5_core" of device/driver). */
int sysfs_link_base(const char *path, char *out, size_t len);
