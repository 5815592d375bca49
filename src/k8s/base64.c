/* SPDX-License-Identifier: Apache-2.0 */
/* base64.c - strict RFC 4648 base64, for kubeconfig's *-data fields (pure code). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "rdmanet/base64.h"
#include "rdmanet/secret.h"

static int b64_value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

int base64_decode(const char *in, size_t len, char **out, size_t *out_len)
{
	size_t pad = 0, n, o = 0;
	char *buf;

	*out = NULL;
	*out_len = 0;
	if (len % 4)
		return -EINVAL;
	if (len && in[len - 1] == '=')
		pad = in[len - 2] == '=' ? 2 : 1;
	n = len / 4 * 3 - pad;
	buf = malloc(n + 1);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < len; i += 4) {
		size_t used = i + 4 == len ? 4 - pad : 4; /* characters that carry bits */
		uint32_t w = 0;

		for (size_t j = 0; j < 4; j++) {
			int v = j < used ? b64_value((unsigned char) in[i + j]) : 0;

			if (v < 0)
				goto bad;
			w = w << 6 | (uint32_t) v;
		}
		/* the bits past the last whole byte must be zero (one encoding per input) */
		if ((used == 3 && (w & 0xff)) || (used == 2 && (w & 0xffff)))
			goto bad;
		buf[o++] = (char) (w >> 16);
		if (used > 2)
			buf[o++] = (char) (w >> 8 & 0xff);
		if (used > 3)
			buf[o++] = (char) (w & 0xff);
	}
	buf[o] = '\0';
	*out = buf;
	*out_len = o;
	return 0;
bad:
	secret_free_len(buf, n + 1);
	return -EINVAL;
}
