/* SPDX-License-Identifier: Apache-2.0 */
/* base64.h - strict RFC 4648 base64 (pure code). */
#pragma once
#include <stddef.h>

/* Length of the base64 text of n bytes, padding included. */
#define BASE64_LEN(n) (((n) + 2) / 3 * 4)

/*
 * Decodes len characters of in: padding required, no whitespace, unused bits zero (one encoding
 * per input). *out is NUL-terminated and owned by the caller; -EINVAL or -ENOMEM. A partly
 * decoded buffer is wiped: the input may be a key.
 */
int base64_decode(const char *in, size_t len, char **out, size_t *out_len);
