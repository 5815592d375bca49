/* SPDX-License-Identifier: Apache-2.0 */
/* secret.c - tokens, keys and the text that may hold them are wiped before they are freed. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "rdmanet/secret.h"

void secret_free_len(char *s, size_t len)
{
	if (!s)
		return;
	explicit_bzero(s, len);
	free(s);
}

void secret_free(char *s)
{
	if (s)
		secret_free_len(s, strlen(s));
}
