/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/netns.h"

int netns_open(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int type;

	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? -ENOENT : -errno;
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type < 0 || type != CLONE_NEWNET)
		return -EINVAL;
	return TAKE_FD(fd);
}

int netns_enter(int target, int *saved)
{
	_cleanup_close_ int cur = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

	if (cur < 0)
		return -errno;
	if (setns(target, CLONE_NEWNET) < 0)
		return -errno;
	*saved = TAKE_FD(cur);
	return 0;
}

int netns_restore(int *saved)
{
	int r = 0;

	if (*saved < 0)
		return 0;
	if (setns(*saved, CLONE_NEWNET) < 0)
		r = -errno;
	(void) close(*saved);
	*saved = -1;
	return r;
}
