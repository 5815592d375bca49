/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kubeconfig.h - what kubeconfig.c and incluster.c share: where a message starts, where relative
 * paths resolve, and the checks of files, tokens, PEM and names. The loaders themselves are in
 * k8s.h.
 */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "rdmanet/err.h"

struct kc {
	const char *where; /* "kubeconfig '<path>'", the start of every message */
	const char *dir;   /* relative paths resolve here; NULL or "": the working directory */
	struct cni_err *err;
};

/* "<where>: <message>" as CNI error 7 (invalid config); -EINVAL. */
int kc_invalid(struct kc *kc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* p resolved against kc->dir into out; an error when longer than PATH_MAX. */
int kc_path(struct kc *kc, const char *sect, const char *key, const char *p, char out[PATH_MAX]);

/* file_read_bounded()'s error r for the file named by key of sect: unreadable is 5, too big 7. */
int kc_read_fail(struct kc *kc, const char *sect, const char *key, const char *path, size_t max,
		 int r);

/* file_read_bounded() of the file named by key of sect, its failure worded by kc_read_fail(). */
int kc_read(struct kc *kc, const char *sect, const char *key, const char *path, size_t max,
	    char **out, size_t *len);

/* A token goes into an HTTP header: visible ASCII only. Leading and trailing space dropped. */
int kc_token_take(struct kc *kc, const char *sect, const char *what, const char *buf, size_t len,
		  char **out);

/* buf (len bytes, named what in messages) looks like PEM: no NUL, a "-----BEGIN " line. */
int kc_pem_check(struct kc *kc, const char *sect, const char *what, const char *buf, size_t len);

/* RFC 1123 label, as namespace names are. */
bool kc_label_valid(const char *s);
