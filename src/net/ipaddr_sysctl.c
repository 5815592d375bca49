/* SPDX-License-Identifier: Apache-2.0 */
/* ipaddr_sysctl.c - the per-interface IPv4/IPv6 sysctls (/proc/sys/net/<family>/conf/<if>/). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/ipaddr_sysctl.h"
#include "rdmanet/sysfs.h"

int ipaddr_sysctl_set(const char *family, const char *ifname, const char *key, const char *value)
{
	char path[128];
	_cleanup_close_ int fd = -1;
	size_t n = strlen(value);

	if (snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", family, ifname, key) >=
	    (int) sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, value, n) != (ssize_t) n)
		return -errno;
	return 0;
}

int ipaddr_sysctl_get(const char *family, const char *ifname, const char *key, int *value)
{
	char path[128], buf[32];
	char *end;
	long v;
	int r;

	if (snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", family, ifname, key) >=
	    (int) sizeof(path))
		return -ENAMETOOLONG;
	r = sysfs_read_line(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || *end || v < INT32_MIN || v > INT32_MAX)
		return -EBADMSG;
	*value = (int) v;
	return 0;
}
