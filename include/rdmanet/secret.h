/* SPDX-License-Identifier: Apache-2.0 */
/* secret.h - tokens, keys and the text that may hold them are wiped before they are freed. */
#pragma once
#include <stddef.h>

/* Wipes len bytes of s, then frees it; NULL is fine. */
void secret_free_len(char *s, size_t len);
/* The same for a NUL-terminated string: its strlen() bytes. */
void secret_free(char *s);
