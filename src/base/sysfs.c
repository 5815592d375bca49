/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sysfs.c - the one reader of sysfs attributes: a line, a directory's first entry, a link's
 * last component. What rdmadev_sysfs.c, verbs.c and the doctor read from /sys goes through here.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/sysfs.h"

DEFINE_CLEANUP(DIR *, closedir)

int sysfs_read_line(const char *path, char *out, size_t len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	out[0] = '\0';
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? -ENOENT : -errno;
	n = read(fd, out, len - 1);
	if (n < 0)
		return -errno;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return (int) strlen(out);
}

int sysfs_read_linef(char *out, size_t len, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t) n >= sizeof(path)) {
		out[0] = '\0';
		return -ENAMETOOLONG;
	}
	return sysfs_read_line(path, out, len);
}

bool sysfs_name_ok(const char *s)
{
	return s && *s && strlen(s) < NAME_MAX && !strchr(s, '/') && strcmp(s, ".") &&
	       strcmp(s, "..");
}

int sysfs_first_entry(const char *dir, char *out, size_t len)
{
	_cleanup_(closedirp) DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? -ENOENT : -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (strlen(e->d_name) >= len)
			return -ENAMETOOLONG;
		strcpy(out, e->d_name);
		return 0;
	}
	return -ENOENT;
}

int sysfs_link_base(const char *path, char *out, size_t len)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	const char *b;

	if (n < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	buf[n] = '\0';
	b = strrchr(buf, '/');
	b = b ? b + 1 : buf;
	if (strlen(b) >= len)
		return -ENAMETOOLONG;
	strcpy(out, b);
	return 0;
}
