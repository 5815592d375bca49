/* SPDX-License-Identifier: Apache-2.0 */
/* file.c - reading small files that may hold secrets (kubeconfig, service account). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/file.h"
#include "rdmanet/secret.h"

int file_read_bounded(const char *path, size_t max, char **out, size_t *out_len)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	size_t len = 0;
	char *buf;

	*out = NULL;
	*out_len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
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
