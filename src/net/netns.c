/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
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

int netns_open_current(void)
{
	int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int netns_enter(int target, int *saved)
{
	_cleanup_close_ int cur = netns_open_current();

	if (cur < 0)
		return cur;
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

/* The mount and net namespaces (and cwd: setns() of a mount namespace moves to its root). */
static int restore_view(const struct netns_view *v)
{
	int r = 0;

	if (v->mnt >= 0 && setns(v->mnt, CLONE_NEWNS) < 0)
		r = -errno;
	if (v->cwd >= 0 && fchdir(v->cwd) < 0 && !r)
		r = -errno;
	if (v->net >= 0 && setns(v->net, CLONE_NEWNET) < 0 && !r)
		r = -errno;
	return r;
}

static void close_view(struct netns_view *v)
{
	closep(&v->net);
	closep(&v->mnt);
	closep(&v->cwd);
	v->net = v->mnt = v->cwd = -1;
}

int netns_enter_view(int target, struct netns_view *saved)
{
	struct netns_view v = { -1, -1, -1 };
	unsigned long flags = 0;
	struct statvfs st;
	int r, r2;

	saved->net = saved->mnt = saved->cwd = -1;
	v.net = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	v.mnt = open("/proc/thread-self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (v.net < 0 || v.mnt < 0) {
		r = -errno;
		close_view(&v);
		return r;
	}
	/* a deleted cwd cannot be reopened: then there is nothing to return to either */
	v.cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (setns(target, CLONE_NEWNET) < 0) {
		r = -errno;
		close_view(&v);
		return r;
	}
	if (unshare(CLONE_NEWNS) < 0) {
		r = -errno;
		goto undo;
	}
	/* nothing we mount may propagate back to the namespace we came from */
	if (mount("none", "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
		r = -errno;
		goto undo;
	}
	/* as `ip netns exec`: no sysfs on /sys (EINVAL) is fine; a read-only one stays read-only */
	if (umount2("/sys", MNT_DETACH) < 0 && statvfs("/sys", &st) == 0 && (st.f_flag & ST_RDONLY))
		flags = MS_RDONLY;
	if (mount("sysfs", "/sys", "sysfs", flags, NULL) < 0) {
		r = -errno;
		goto undo;
	}
	*saved = v;
	return 0;
undo:
	r2 = restore_view(&v);
	close_view(&v);
	return r2 < 0 ? r2 : r;
}

int netns_leave_view(struct netns_view *saved)
{
	int r = restore_view(saved);

	close_view(saved);
	return r;
}
