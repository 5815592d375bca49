/* SPDX-License-Identifier: Apache-2.0 */
/* strv.c - arrays of C strings (pure code). */
#include <string.h>

#include "rdmanet/strv.h"

int strv_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}
