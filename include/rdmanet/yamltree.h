/* SPDX-License-Identifier: Apache-2.0 */
/* yamltree.h - one YAML document (JSON included) read by libyaml into a cJSON tree. */
#pragma once
#include <stddef.h>

struct cJSON;

/*
 * Reads one YAML document into *out: plain scalars become null, true/false or strings (never
 * numbers), aliases become copies; nesting, keys per mapping, anchors and the size of the
 * expanded tree are bounded. No document: null. On -EINVAL why (may be NULL) says which line and
 * what; -ENOMEM.
 */
int yamltree_parse(const char *text, size_t len, struct cJSON **out, char *why, size_t why_len);
/* Wipes the tree's strings (they may be keys or tokens), then frees it; NULL is fine. */
void yamltree_free(struct cJSON *n);
