/* SPDX-License-Identifier: Apache-2.0 */
/* strv.h - arrays of C strings. */
#pragma once

/* qsort()/bsearch() comparator of two elements of a char * array: strcmp() of the strings. */
int strv_cmp(const void *a, const void *b);
