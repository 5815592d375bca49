/* SPDX-License-Identifier: Apache-2.0 */
/*
 * file.c - reading bounded files: small ones that may hold secrets (kubeconfig, service account,
 * network configs), and the tail of a log (doctor).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/file.h"
#include "rdmanet/secret.h"

/* An fd of the regular file at path (never a FIFO or device, which could block), or -errno. */
static int open_regular(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0)
		r = -errno;
	else if (S_ISDIR(st->st_mode))
		r = -EISDIR;
	else if (!S_ISREG(st->st_mode))
		r = -EINVAL;
	if (r < 0) {
		(void) close(fd);
		return r;
	}
	return fd;
}

int file_read_bounded(const char *path, size_t max, char **out, size_t *out_len)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	size_t len = 0;
	char *buf;

	*out = NULL;
	*out_len = 0;
	fd = open_regular(path, &st);
	if (fd < 0)
		return fd;
	if ((uint64_t) st.st_size > max)
		return -EFBIG;
	buf = malloc(max + 2);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, buf + len, max + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			secret_free_len(buf, len);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t) n;
		if (len > max) {
			secret_free_len(buf, len);
			return -EFBIG;
		}
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return 0;
}

int file_read_tail(const char *path, size_t max, char **out, size_t *out_len, size_t *skipped)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	off_t off;
	char *buf;
	size_t n = 0;

	*out = NULL;
	*out_len = *skipped = 0;
	fd = open_regular(path, &st);
	if (fd < 0)
		return fd;
	off = st.st_size > (off_t) max ? st.st_size - (off_t) max : 0;
	buf = malloc(max + 1);
	if (!buf)
		return -ENOMEM;
	while (n < max) {
		ssize_t r = pread(fd, buf + n, max - n, off + (off_t) n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;

			free(buf);
			return e;
		}
		if (r == 0)
			break;
		n += (size_t) r;
	}
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	*skipped = (size_t) off;
	return 0;
}
