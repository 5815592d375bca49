/* SPDX-License-Identifier: Apache-2.0 */
/* file.h - reading bounded files: small ones that may hold secrets, and the tail of a log. */
#pragma once
#include <stddef.h>

/*
 * Reads a regular file of at most max bytes, NUL-terminated. -EFBIG when larger, -EINVAL when
 * not a regular file, -EISDIR, or open()'s or read()'s -errno. The buffer is sized for max, so a
 * secret is never copied by realloc, and wiped when the read fails.
 */
int file_read_bounded(const char *path, size_t max, char **out, size_t *out_len);

/*
 * Reads the last max bytes of a regular file, NUL-terminated; *skipped: the bytes before them.
 * -EINVAL when not a regular file, -EISDIR, or open()'s or read()'s -errno.
 */
int file_read_tail(const char *path, size_t max, char **out, size_t *out_len, size_t *skipped);
