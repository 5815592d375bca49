/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kubeconfig.c - the credentials of k8s.c from a kubeconfig file (YAML, JSON included, read by
 * yamltree.c into a cJSON tree), and the checks incluster.c shares. Every size is bounded; tokens
 * and keys never reach a message and are wiped before they are freed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rdmanet/base64.h"
#include "rdmanet/cleanup.h"
#include "rdmanet/file.h"
#include "rdmanet/k8s.h"
#include "rdmanet/kubeconfig.h"
#include "rdmanet/secret.h"
#include "rdmanet/yamltree.h"

int kc_invalid(struct kc *kc, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void) vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(kc->err, -EINVAL, CNI_ERR_INVALID_CONFIG, NULL, "%s: %s", kc->where, msg);
}

static int kc_nomem(struct kc *kc)
{
	return err_set(kc->err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "%s: out of memory",
		       kc->where);
}

/* obj's string key: *out NULL when absent, null or ""; error when not a string or too long. */
static int kc_str(struct kc *kc, const cJSON *obj, const char *sect, const char *key, size_t max,
		  const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return kc_invalid(kc, "%s%s'%s' must be a string", sect, *sect ? ": " : "", key);
	if (strlen(v->valuestring) > max)
		return kc_invalid(kc, "%s%s'%s' is longer than %zu bytes", sect, *sect ? ": " : "",
				  key, max);
	if (*v->valuestring)
		*out = v->valuestring;
	return 0;
}

/* Whether obj sets key to anything but null, "", {} or []. */
static bool kc_set(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!v || cJSON_IsNull(v))
		return false;
	if (cJSON_IsString(v))
		return *v->valuestring;
	if (cJSON_IsObject(v) || cJSON_IsArray(v))
		return v->child;
	return true;
}

/*
 * The entry of list ("clusters", "contexts", "users") named name: *out is its inner mapping
 * (key: "cluster", "context", "user"), NULL when the entry has none. -ENOENT when absent.
 */
static int kc_find(struct kc *kc, const cJSON *root, const char *list, const char *key,
		   const char *name, const cJSON **out)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, list), *it;
	bool found = false;

	*out = NULL;
	if (!arr || cJSON_IsNull(arr))
		return -ENOENT;
	if (!cJSON_IsArray(arr))
		return kc_invalid(kc, "'%s' must be a list", list);
	cJSON_ArrayForEach(it, arr) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, "name");
		const cJSON *inner = cJSON_GetObjectItemCaseSensitive(it, key);

		if (!cJSON_IsObject(it) || !cJSON_IsString(n))
			return kc_invalid(kc, "every entry of '%s' needs a 'name'", list);
		if (strcmp(n->valuestring, name))
			continue;
		if (found)
			return kc_invalid(kc, "'%s' has two entries named '%s'", list, name);
		if (inner && !cJSON_IsNull(inner) && !cJSON_IsObject(inner))
			return kc_invalid(kc, "%s '%s': '%s' must be a mapping", list, name, key);
		*out = inner;
		found = true;
	}
	return found ? 0 : -ENOENT;
}

int kc_path(struct kc *kc, const char *sect, const char *key, const char *p, char out[PATH_MAX])
{
	int n;

	if (p[0] == '/' || !kc->dir || !kc->dir[0])
		n = snprintf(out, PATH_MAX, "%s", p);
	else
		n = snprintf(out, PATH_MAX, "%s/%s", kc->dir, p);
	if (n < 0 || n >= PATH_MAX)
		return kc_invalid(kc, "%s: '%s' is a path longer than %d bytes", sect, key,
				  PATH_MAX - 1);
	return 0;
}

int kc_read_fail(struct kc *kc, const char *sect, const char *key, const char *path, size_t max,
		 int r)
{
	if (r == -EFBIG)
		return kc_invalid(kc, "%s: '%s' file '%s' is larger than %zu bytes", sect, key,
				  path, max);
	if (r == -EINVAL)
		return err_set(kc->err, r, CNI_ERR_IO, NULL,
			       "%s: %s: '%s' file '%s' is not a regular file", kc->where, sect, key,
			       path);
	if (r == -ENOMEM)
		return kc_nomem(kc);
	if (r < 0)
		return err_set(kc->err, r, CNI_ERR_IO, NULL, "%s: %s: cannot read '%s' file '%s'",
			       kc->where, sect, key, path);
	return r;
}

int kc_read(struct kc *kc, const char *sect, const char *key, const char *path, size_t max,
	    char **out, size_t *len)
{
	int r = file_read_bounded(path, max, out, len);

	return r < 0 ? kc_read_fail(kc, sect, key, path, max, r) : 0;
}

int kc_token_take(struct kc *kc, const char *sect, const char *what, const char *buf, size_t len,
		  char **out)
{
	size_t a = 0, b = len;

	while (a < b && (buf[a] == ' ' || buf[a] == '\t' || buf[a] == '\n' || buf[a] == '\r'))
		a++;
	while (b > a && (buf[b - 1] == ' ' || buf[b - 1] == '\t' || buf[b - 1] == '\n' ||
			 buf[b - 1] == '\r'))
		b--;
	if (a == b)
		return kc_invalid(kc, "%s: %s is empty", sect, what);
	for (size_t i = a; i < b; i++)
		if ((unsigned char) buf[i] <= 0x20 || (unsigned char) buf[i] >= 0x7f)
			return kc_invalid(kc, "%s: %s has a character an HTTP header cannot carry",
					  sect, what);
	*out = strndup(buf + a, b - a);
	return *out ? 0 : kc_nomem(kc);
}

int kc_pem_check(struct kc *kc, const char *sect, const char *what, const char *buf, size_t len)
{
	if (memchr(buf, '\0', len))
		return kc_invalid(kc, "%s: %s holds a NUL byte, not PEM", sect, what);
	if (!memmem(buf, len, "-----BEGIN ", 11))
		return kc_invalid(kc, "%s: %s is not PEM (no '-----BEGIN' line)", sect, what);
	return 0;
}

/*
 * Base64 as client-go reads it into a []byte field: line breaks ignored (a block scalar, '|',
 * keeps those of wrapped base64), anything else strict.
 */
static int b64_lines_decode(const char *in, char **out, size_t *out_len)
{
	size_t n = 0, len = strlen(in);
	char *flat;
	int r;

	if (!strpbrk(in, "\r\n"))
		return base64_decode(in, len, out, out_len);
	flat = malloc(len + 1);
	if (!flat)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++)
		if (in[i] != '\n' && in[i] != '\r')
			flat[n++] = in[i];
	r = base64_decode(flat, n, out, out_len);
	secret_free_len(flat, len + 1);
	return r;
}

/* key ("certificate-authority", "client-key", ...) as a file or as key-data (base64). */
static int kc_pem(struct kc *kc, const char *sect, const cJSON *obj, const char *key, char **out)
{
	char dkey[64], what[PATH_MAX + 96], path[PATH_MAX];
	const char *file, *data;
	size_t len;
	char *buf;
	int r;

	*out = NULL;
	(void) snprintf(dkey, sizeof(dkey), "%s-data", key);
	if ((r = kc_str(kc, obj, sect, key, PATH_MAX - 1, &file)) < 0 ||
	    (r = kc_str(kc, obj, sect, dkey, BASE64_LEN(K8S_PEM_MAX), &data)) < 0)
		return r;
	if (file && data)
		return kc_invalid(kc, "%s: both '%s' and '%s' are set; keep one", sect, key, dkey);
	if (data) {
		r = b64_lines_decode(data, &buf, &len);
		if (r == -ENOMEM)
			return kc_nomem(kc);
		if (r < 0)
			return kc_invalid(kc, "%s: '%s' is not valid base64", sect, dkey);
		if (len > K8S_PEM_MAX) {
			secret_free_len(buf, len);
			return kc_invalid(kc, "%s: '%s' is larger than %d bytes", sect, dkey,
					  K8S_PEM_MAX);
		}
		(void) snprintf(what, sizeof(what), "'%s'", dkey);
	} else if (file) {
		if ((r = kc_path(kc, sect, key, file, path)) < 0 ||
		    (r = kc_read(kc, sect, key, path, K8S_PEM_MAX, &buf, &len)) < 0)
			return r;
		(void) snprintf(what, sizeof(what), "'%s' file '%s'", key, path);
	} else
		return 0;
	if ((r = kc_pem_check(kc, sect, what, buf, len)) < 0) {
		secret_free_len(buf, len);
		return r;
	}
	*out = buf;
	return 0;
}

bool kc_label_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > K8S_NAMESPACE_MAX || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

/* https://host[:port][/prefix]: no user info, query, fragment, space; the trailing '/' goes. */
static int kc_server(struct kc *kc, const char *sect, const char *s, bool insecure, char *out)
{
	size_t n = strlen(s), scheme;
	const char *host;

	if (strchr(s, '@')) /* user info may hold a password: never echoed */
		return kc_invalid(kc, "%s: 'server' must not carry user information ('@')", sect);
	/* nor is text with spaces, which may be the next lines, folded into an unclosed quote */
	for (const char *p = s; *p; p++)
		if ((unsigned char) *p <= 0x20 || (unsigned char) *p >= 0x7f)
			return kc_invalid(kc,
					  "%s: 'server' must be scheme://host[:port][/path], "
					  "without spaces, line breaks or other characters than "
					  "printable ASCII",
					  sect);
	if (!strncmp(s, "https://", 8))
		scheme = 8;
	else if (!strncmp(s, "http://", 7)) {
		if (!insecure)
			return kc_invalid(kc,
					  "%s: 'server' '%s' is plain http: only https:// is "
					  "allowed, unless the cluster sets "
					  "'insecure-skip-tls-verify: true' (for tests only)",
					  sect, s);
		scheme = 7;
	} else
		return kc_invalid(kc, "%s: 'server' '%s' is not an https:// URL", sect, s);
	while (n > scheme && s[n - 1] == '/')
		n--;
	host = s + scheme;
	if (n == scheme || *host == '/' || *host == ':')
		return kc_invalid(kc, "%s: 'server' '%s' has no host", sect, s);
	if (n >= K8S_SERVER_MAX)
		return kc_invalid(kc, "%s: 'server' is longer than %d bytes", sect,
				  K8S_SERVER_MAX - 1);
	for (size_t i = scheme; i < n; i++)
		if (strchr("?#\\", s[i]))
			return kc_invalid(kc,
					  "%s: 'server' '%s' must be "
					  "scheme://host[:port][/path], without '%c'",
					  sect, s, s[i]);
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static int kc_cluster(struct kc *kc, const char *name, const cJSON *cl, struct k8s_config *c)
{
	const cJSON *ins = cJSON_GetObjectItemCaseSensitive(cl, "insecure-skip-tls-verify");
	const char *server;
	char sect[320];
	int r;

	(void) snprintf(sect, sizeof(sect), "cluster '%s'", name);
	if ((r = kc_str(kc, cl, sect, "server", 4096, &server)) < 0)
		return r;
	if (!server)
		return kc_invalid(kc, "%s: 'server' is not set", sect);
	if (ins && !cJSON_IsNull(ins) && !cJSON_IsBool(ins))
		return kc_invalid(kc, "%s: 'insecure-skip-tls-verify' must be true or false", sect);
	c->insecure = cJSON_IsTrue(ins);
	if (kc_set(cl, "proxy-url"))
		return kc_invalid(kc, "%s: 'proxy-url' is not supported", sect);
	if (kc_set(cl, "tls-server-name"))
		return kc_invalid(kc, "%s: 'tls-server-name' is not supported", sect);
	if ((r = kc_server(kc, sect, server, c->insecure, c->server)) < 0 ||
	    (r = kc_pem(kc, sect, cl, "certificate-authority", &c->ca_pem)) < 0)
		return r;
	if (c->insecure && c->ca_pem)
		return kc_invalid(kc,
				  "%s: 'insecure-skip-tls-verify' and a certificate authority are "
				  "both set; keep one",
				  sect);
	return 0;
}

/*
 * An exec credential plugin (aws, gke-gcloud-auth-plugin, kubelogin) or a legacy auth-provider
 * (gcp, azure, oidc): rdmanet-ipam runs no helper programs, so the error names the plugin and
 * what works instead.
 */
static int kc_plugin(struct kc *kc, const char *sect, const cJSON *u)
{
	static const char instead[] =
		"use a ServiceAccount token ('token' or 'tokenFile') or a client certificate "
		"('client-certificate' and 'client-key', or their -data forms)";
	const cJSON *exec = cJSON_GetObjectItemCaseSensitive(u, "exec");
	const cJSON *ap = cJSON_GetObjectItemCaseSensitive(u, "auth-provider");
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(exec, "command");
	const cJSON *apn = cJSON_GetObjectItemCaseSensitive(ap, "name");

	if (kc_set(u, "exec")) {
		if (cJSON_IsString(cmd) && *cmd->valuestring)
			return kc_invalid(kc,
					  "%s: 'exec' credential plugins (here '%.64s') "
					  "are not supported: %s",
					  sect, cmd->valuestring, instead);
		return kc_invalid(kc, "%s: 'exec' credential plugins are not supported: %s", sect,
				  instead);
	}
	if (cJSON_IsString(apn) && *apn->valuestring)
		return kc_invalid(kc,
				  "%s: 'auth-provider' plugins (here '%.64s') "
				  "are not supported: %s",
				  sect, apn->valuestring, instead);
	return kc_invalid(kc, "%s: 'auth-provider' plugins are not supported: %s", sect, instead);
}

static int kc_user(struct kc *kc, const char *name, const cJSON *u, struct k8s_config *c)
{
	static const char *const imp[] = { "as", "as-uid", "as-groups", "as-user-extra" };
	const char *token, *file;
	char sect[320], path[PATH_MAX];
	int r;

	(void) snprintf(sect, sizeof(sect), "user '%s'", name);
	if (kc_set(u, "exec") || kc_set(u, "auth-provider"))
		return kc_plugin(kc, sect, u);
	if (kc_set(u, "username") || kc_set(u, "password"))
		return kc_invalid(kc,
				  "%s: basic authentication ('username', "
				  "'password') is not supported",
				  sect);
	for (size_t i = 0; i < ARRAY_SIZE(imp); i++)
		if (kc_set(u, imp[i]))
			return kc_invalid(kc, "%s: impersonation ('%s') is not supported", sect,
					  imp[i]);
	if ((r = kc_str(kc, u, sect, "token", K8S_TOKEN_MAX, &token)) < 0 ||
	    (r = kc_str(kc, u, sect, "tokenFile", PATH_MAX - 1, &file)) < 0)
		return r;
	if (token) { /* as client-go: the token wins over tokenFile */
		if ((r = kc_token_take(kc, sect, "'token'", token, strlen(token), &c->token)) < 0)
			return r;
	} else if (file) {
		char what[PATH_MAX + 32], *buf;
		size_t len;

		if ((r = kc_path(kc, sect, "tokenFile", file, path)) < 0 ||
		    (r = kc_read(kc, sect, "tokenFile", path, K8S_TOKEN_MAX, &buf, &len)) < 0)
			return r;
		(void) snprintf(what, sizeof(what), "'tokenFile' '%s'", path);
		r = kc_token_take(kc, sect, what, buf, len, &c->token);
		secret_free_len(buf, len);
		if (r < 0)
			return r;
	}
	if ((r = kc_pem(kc, sect, u, "client-certificate", &c->cert_pem)) < 0 ||
	    (r = kc_pem(kc, sect, u, "client-key", &c->key_pem)) < 0)
		return r;
	if (c->cert_pem && !c->key_pem)
		return kc_invalid(kc, "%s: 'client-certificate' is set without 'client-key'", sect);
	if (c->key_pem && !c->cert_pem)
		return kc_invalid(kc, "%s: 'client-key' is set without 'client-certificate'", sect);
	return 0;
}

static int kc_build(struct kc *kc, const cJSON *root, struct k8s_config *c)
{
	const cJSON *ctx, *cl, *u = NULL;
	const char *cur, *cname, *uname, *ns;
	char sect[320];
	int r;

	if (cJSON_IsNull(root))
		return kc_invalid(kc, "is empty");
	if (!cJSON_IsObject(root))
		return kc_invalid(kc, "is not a mapping of kubeconfig keys");
	if ((r = kc_str(kc, root, "", "current-context", 4096, &cur)) < 0)
		return r;
	if (!cur)
		return kc_invalid(kc, "'current-context' is not set");
	r = kc_find(kc, root, "contexts", "context", cur, &ctx);
	if (r == -ENOENT)
		return kc_invalid(kc, "context '%s' (the current-context) is not in 'contexts'",
				  cur);
	if (r < 0)
		return r;
	(void) snprintf(sect, sizeof(sect), "context '%s'", cur);
	if ((r = kc_str(kc, ctx, sect, "cluster", 4096, &cname)) < 0 ||
	    (r = kc_str(kc, ctx, sect, "user", 4096, &uname)) < 0 ||
	    (r = kc_str(kc, ctx, sect, "namespace", 4096, &ns)) < 0)
		return r;
	if (!cname)
		return kc_invalid(kc, "%s: 'cluster' is not set", sect);
	if (ns && !kc_label_valid(ns))
		return kc_invalid(kc, "%s: 'namespace' '%s' is not a valid namespace name", sect,
				  ns);
	r = kc_find(kc, root, "clusters", "cluster", cname, &cl);
	if (r == -ENOENT)
		return kc_invalid(kc, "%s: cluster '%s' is not in 'clusters'", sect, cname);
	if (r < 0)
		return r;
	if (uname) {
		r = kc_find(kc, root, "users", "user", uname, &u);
		if (r == -ENOENT)
			return kc_invalid(kc, "%s: user '%s' is not in 'users'", sect, uname);
		if (r < 0)
			return r;
	}
	(void) snprintf(c->namespace_, sizeof(c->namespace_), "%s", ns ? ns : "");
	if ((r = kc_cluster(kc, cname, cl, c)) < 0)
		return r;
	return uname ? kc_user(kc, uname, u, c) : 0;
}

static int kc_parse(struct kc *kc, const char *text, size_t len, struct k8s_config *c)
{
	struct k8s_config n = { 0 };
	char why[256];
	cJSON *root;
	int r;

	memset(c, 0, sizeof(*c));
	if (len > K8S_KUBECONFIG_MAX)
		return kc_invalid(kc, "is larger than %d bytes", K8S_KUBECONFIG_MAX);
	r = yamltree_parse(text, len, &root, why, sizeof(why));
	if (r == -ENOMEM)
		return kc_nomem(kc);
	if (r < 0)
		return kc_invalid(kc, "%s", why);
	r = kc_build(kc, root, &n);
	yamltree_free(root);
	if (r < 0) {
		k8s_config_free(&n);
		return r;
	}
	*c = n;
	return 0;
}

int k8s_kubeconfig_parse(const char *text, size_t len, const char *dir, struct k8s_config *c,
			 struct cni_err *err)
{
	struct kc kc = { .where = "kubeconfig", .dir = dir, .err = err };

	return kc_parse(&kc, text, len, c);
}

int k8s_kubeconfig_load(const char *path, struct k8s_config *c, struct cni_err *err)
{
	char where[PATH_MAX + 16], dir[PATH_MAX];
	struct kc kc = { .where = where, .dir = dir, .err = err };
	const char *slash = strrchr(path, '/');
	char *text;
	size_t len;
	int r;

	memset(c, 0, sizeof(*c));
	(void) snprintf(where, sizeof(where), "kubeconfig '%s'", path);
	if (!slash)
		(void) snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		(void) snprintf(dir, sizeof(dir), "/");
	else
		(void) snprintf(dir, sizeof(dir), "%.*s", (int) (slash - path), path);
	r = file_read_bounded(path, K8S_KUBECONFIG_MAX, &text, &len);
	if (r == -EFBIG)
		return kc_invalid(&kc, "is larger than %d bytes", K8S_KUBECONFIG_MAX);
	if (r == -EINVAL)
		return err_set(err, r, CNI_ERR_IO, NULL, "%s is not a regular file", where);
	if (r == -ENOMEM)
		return kc_nomem(&kc);
	if (r < 0)
		return err_set(err, r, CNI_ERR_IO, NULL, "cannot read %s", where);
	r = kc_parse(&kc, text, len, c);
	secret_free_len(text, len);
	return r;
}

void k8s_config_free(struct k8s_config *c)
{
	if (!c)
		return;
	free(c->ca_pem);
	free(c->cert_pem);
	secret_free(c->key_pem);
	secret_free(c->token);
	memset(c, 0, sizeof(*c));
}
