/* SPDX-License-Identifier: Apache-2.0 */
/*
 * k8s.c - the Kubernetes API client: one libcurl easy handle per client, so every request of an
 * invocation shares one connection and one TLS handshake; TLS verified against the PEM in
 * memory; bounded time and bodies. CURLcodes and HTTP statuses become -errno here, in one place
 * each, with a message in k->msg that names method, URL and status, never the token.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/clock.h"
#include "rdmanet/k8s.h"
#include "rdmanet/log.h"
#include "rdmanet/secret.h"

#if LIBCURL_VERSION_NUM < 0x075500
#error "libcurl 7.85 or later is needed (CURLOPT_PROTOCOLS_STR, TLS blobs)"
#endif

#define K8S_URL_MAX            (K8S_SERVER_MAX + K8S_PATH_MAX)
#define K8S_CONNECT_TIMEOUT_MS 5000u
#define K8S_MSG_MAX            1024
#define K8S_BODY_CHUNK         (16 * 1024)
#define K8S_USER_AGENT         "rdmanet-ipam"

struct k8s_client {
	CURL *curl;
	char server[K8S_SERVER_MAX];
	char *token; /* a copy, wiped on free */
	char *body;  /* the last response's body, NUL-terminated */
	size_t body_len, body_cap;
	bool body_too_big, body_nomem;
	unsigned connections;
	unsigned timeout_ms; /* per request */
	long long deadline;  /* CLOCK_MONOTONIC ms no request may outlive; 0: none */
	char curl_err[CURL_ERROR_SIZE];
	char msg[K8S_MSG_MAX];
	char ca_store[PATH_MAX]; /* the system CA file or directory used; "": the kubeconfig's CA */
	struct k8s_stats stats;
};

static bool curl_ready;
static void (*observer)(const char *method, long status);

DEFINE_CLEANUP(struct k8s_client *, k8s_client_free)
DEFINE_CLEANUP(cJSON *, cJSON_Delete)

/* Header lists carry the Authorization line: wiped before they are freed. */
static void headers_free(struct curl_slist *h)
{
	for (struct curl_slist *i = h; i; i = i->next)
		if (i->data)
			explicit_bzero(i->data, strlen(i->data));
	curl_slist_free_all(h);
}
DEFINE_CLEANUP(struct curl_slist *, headers_free)

void k8s_global_cleanup(void)
{
	if (!curl_ready)
		return;
	curl_global_cleanup();
	curl_ready = false;
}

/* Bodies beyond K8S_BODY_MAX abort the transfer (Content-Length is checked by curl itself). */
static size_t on_body(char *data, size_t size, size_t n, void *opaque)
{
	struct k8s_client *k = opaque;
	size_t len = size * n;

	if (len > K8S_BODY_MAX - k->body_len) {
		k->body_too_big = true;
		return 0;
	}
	if (k->body_len + len + 1 > k->body_cap) {
		size_t cap = k->body_cap ? k->body_cap : K8S_BODY_CHUNK;
		char *p;

		while (cap < k->body_len + len + 1)
			cap *= 2;
		if (cap > (size_t) K8S_BODY_MAX + 1)
			cap = (size_t) K8S_BODY_MAX + 1;
		p = realloc(k->body, cap);
		if (!p) {
			k->body_nomem = true;
			return 0;
		}
		k->body = p;
		k->body_cap = cap;
	}
	memcpy(k->body + k->body_len, data, len);
	k->body_len += len;
	k->body[k->body_len] = '\0';
	return len;
}

/*
 * The node's trusted CAs, for a kubeconfig that names no certificate-authority. libcurl is built
 * without a CA path of its own (scripts/third-party.sh), so the bundle is looked up here, on every
 * node alike: SSL_CERT_FILE or SSL_CERT_DIR (an OpenSSL hashed directory) when set, as OpenSSL
 * and Go honour them; otherwise the first of the files the distributions' CA packages generate.
 */
static const char *const system_ca_files[] = {
	"/etc/ssl/certs/ca-certificates.crt",                /* Debian, Ubuntu (ca-certificates) */
	"/etc/pki/tls/certs/ca-bundle.crt",                  /* RHEL, Fedora, CentOS, Rocky, Alma */
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", /* RHEL-family, what the above links to
							      */
	"/etc/ssl/ca-bundle.pem",                            /* SUSE, openSUSE */
	"/etc/ssl/cert.pem",                                 /* Alpine */
};

/* 0 with *file set (CAINFO) or not (CAPATH) and out filled; -ENOENT when the node has none */
static int system_ca(char *out, size_t n, bool *file, struct cni_err *err)
{
	const char *env[] = { "SSL_CERT_FILE", "SSL_CERT_DIR" };
	struct stat st;

	for (size_t i = 0; i < ARRAY_SIZE(env); i++) {
		const char *v = getenv(env[i]);

		if (!v || !*v)
			continue;
		if (v[0] != '/' || strlen(v) >= n)
			return err_set(err, -EINVAL, CNI_ERR_INVALID_CONFIG, NULL,
				       "%s must be an absolute path shorter than %zu bytes", env[i],
				       n);
		if (stat(v, &st) < 0 || (i == 0 ? !S_ISREG(st.st_mode) : !S_ISDIR(st.st_mode)))
			return err_set(err, -ENOENT, CNI_ERR_INVALID_CONFIG, NULL,
				       "%s='%s' is not a readable %s", env[i], v,
				       i ? "directory" : "file");
		(void) snprintf(out, n, "%s", v);
		*file = i == 0;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(system_ca_files); i++)
		if (stat(system_ca_files[i], &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
			(void) snprintf(out, n, "%s", system_ca_files[i]);
			*file = true;
			return 0;
		}
	return err_set(err, -ENOENT, CNI_ERR_INVALID_CONFIG, NULL,
		       "the kubeconfig names no certificate-authority and this node has no system "
		       "CA bundle (looked for %s, %s, %s, %s, %s): add certificate-authority-data "
		       "to the kubeconfig, or set SSL_CERT_FILE",
		       system_ca_files[0], system_ca_files[1], system_ca_files[2],
		       system_ca_files[3], system_ca_files[4]);
}

static int set_blob(CURL *c, CURLoption opt, const char *pem)
{
	struct curl_blob b = { .data = (void *) pem, .len = strlen(pem), .flags = CURL_BLOB_COPY };

	return curl_easy_setopt(c, opt, &b) == CURLE_OK ? 0 : -ENOTSUP;
}

int k8s_client_new(const struct k8s_config *c, unsigned timeout_ms, struct k8s_client **out,
		   struct cni_err *err)
{
	_cleanup_(k8s_client_freep) struct k8s_client *k = NULL;
	bool http = !strncmp(c->server, "http://", 7);
	CURLcode cc = CURLE_OK;
	bool ca_file = false;
	CURL *h;
	int r;

	*out = NULL;
	if (!http && strncmp(c->server, "https://", 8))
		return err_set(err, -EINVAL, CNI_ERR_INVALID_CONFIG, NULL,
			       "Kubernetes API server '%s' is not an https:// URL", c->server);
	if (http && !c->insecure)
		return err_set(err, -EINVAL, CNI_ERR_INVALID_CONFIG, NULL,
			       "Kubernetes API server '%s' is plain http: allowed only with "
			       "insecure-skip-tls-verify (tests only)",
			       c->server);
	if (!timeout_ms)
		return err_set(err, -EINVAL, CNI_ERR_INVALID_CONFIG, NULL,
			       "Kubernetes API: the timeout must be at least 1 ms");
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL,
				       "Kubernetes API: libcurl's initialisation failed");
		curl_ready = true;
	}
	k = calloc(1, sizeof(*k));
	if (!k || !(k->curl = curl_easy_init()) || (c->token && !(k->token = strdup(c->token))))
		return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
	(void) snprintf(k->server, sizeof(k->server), "%s", c->server);
	k->timeout_ms = timeout_ms;
	h = k->curl;

#define SET(opt, val)                                       \
	do {                                                \
		if (cc == CURLE_OK)                         \
			cc = curl_easy_setopt(h, opt, val); \
	} while (0)
	SET(CURLOPT_ERRORBUFFER, k->curl_err);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, http ? "http" : "https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, http ? "http" : "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_PROXY, ""); /* the API server is reached directly, never via *_proxy */
	SET(CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_1_1);
	SET(CURLOPT_TIMEOUT_MS, (long) timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS,
	    (long) (timeout_ms < K8S_CONNECT_TIMEOUT_MS ? timeout_ms : K8S_CONNECT_TIMEOUT_MS));
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) K8S_BODY_MAX);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, k);
	SET(CURLOPT_USERAGENT, K8S_USER_AGENT);
	SET(CURLOPT_ACCEPT_ENCODING, ""); /* gzip for large pools; the bound applies decoded */
	SET(CURLOPT_SSLVERSION, (long) CURL_SSLVERSION_TLSv1_2);
	SET(CURLOPT_SSL_VERIFYPEER, c->insecure ? 0L : 1L);
	SET(CURLOPT_SSL_VERIFYHOST, c->insecure ? 0L : 2L);
	/* only the kubeconfig's CA when it names one (a blob, below), else the node's */
	SET(CURLOPT_CAINFO, NULL);
	SET(CURLOPT_CAPATH, NULL);
	if (!c->ca_pem && !c->insecure && !http) {
		if ((r = system_ca(k->ca_store, sizeof(k->ca_store), &ca_file, err)) < 0)
			return r;
		SET(ca_file ? CURLOPT_CAINFO : CURLOPT_CAPATH, k->ca_store);
	}
#undef SET
	if (cc != CURLE_OK)
		return err_set(err, -ENOTSUP, RDMANET_ERR_INTERNAL, curl_easy_strerror(cc),
			       "Kubernetes API: libcurl lacks an option this client needs");
	if ((c->ca_pem && set_blob(h, CURLOPT_CAINFO_BLOB, c->ca_pem) < 0) ||
	    (c->cert_pem && (set_blob(h, CURLOPT_SSLCERT_BLOB, c->cert_pem) < 0 ||
			     curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM") != CURLE_OK)) ||
	    (c->key_pem && (set_blob(h, CURLOPT_SSLKEY_BLOB, c->key_pem) < 0 ||
			    curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM") != CURLE_OK)))
		return err_set(err, -ENOTSUP, RDMANET_ERR_INTERNAL, NULL,
			       "Kubernetes API: libcurl cannot take certificates from memory (its "
			       "TLS backend lacks blob support)");
	*out = TAKE_PTR(k);
	return 0;
}

void k8s_client_free(struct k8s_client *k)
{
	if (!k)
		return;
	if (k->curl)
		curl_easy_cleanup(k->curl);
	secret_free(k->token);
	free(k->body);
	free(k);
}

void k8s_deadline_set(struct k8s_client *k, long long deadline)
{
	k->deadline = deadline;
}

/* The per-request timeout, cut to what is left before the deadline: -ETIMEDOUT when nothing. */
static int timeout_left(struct k8s_client *k, long *ms)
{
	long long left = k->deadline ? k->deadline - clock_now_ms() : (long long) k->timeout_ms;

	if (left <= 0)
		return -ETIMEDOUT;
	*ms = (long) (left < (long long) k->timeout_ms ? left : (long long) k->timeout_ms);
	return 0;
}

const char *k8s_errmsg(const struct k8s_client *k)
{
	return k ? k->msg : "";
}

void k8s_client_stats(const struct k8s_client *k, struct k8s_stats *out)
{
	if (k)
		*out = k->stats;
	else
		*out = (struct k8s_stats){ 0 };
}

unsigned k8s_client_connections(const struct k8s_client *k)
{
	return k ? k->connections : 0;
}

/* Control characters out, and the token (should a server ever echo it) redacted. */
static void msg_clean(struct k8s_client *k)
{
	static const char red[] = "[redacted]";
	size_t tl = k->token ? strlen(k->token) : 0;
	char *p, *at = k->msg;

	for (p = k->msg; *p; p++)
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
			*p = ' ';
	/* tokens are at least 1 byte: the redaction never grows the message */
	while (tl && (p = strstr(at, k->token))) {
		if (tl >= sizeof(red) - 1) {
			memcpy(p, red, sizeof(red) - 1);
			memmove(p + sizeof(red) - 1, p + tl, strlen(p + tl) + 1);
			at = p + sizeof(red) - 1;
		} else {
			memset(p, '*', tl);
			at = p + tl;
		}
	}
}

static int fail(struct k8s_client *k, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct k8s_client *k, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void) vsnprintf(k->msg, sizeof(k->msg), fmt, ap);
	va_end(ap);
	msg_clean(k);
	return r;
}

static int curl_errno(struct k8s_client *k, CURLcode cc)
{
	long os = 0;

	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		(void) curl_easy_getinfo(k->curl, CURLINFO_OS_ERRNO, &os);
		return os > 0 ? (int) -os : -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
		return -EHOSTUNREACH;
	case CURLE_WRITE_ERROR:
		return k->body_too_big ? -EMSGSIZE : k->body_nomem ? -ENOMEM : -EIO;
	case CURLE_FILESIZE_EXCEEDED:
		return -EMSGSIZE;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		/* a TLS alert (the server refused our certificate) is no reset */
		if (strstr(k->curl_err, "alert"))
			return -EPROTO;
		(void) curl_easy_getinfo(k->curl, CURLINFO_OS_ERRNO, &os);
		return os > 0 ? (int) -os : -ECONNRESET;
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return -ECONNRESET;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_CLIENTCERT:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return -EPROTO;
	case CURLE_BAD_CONTENT_ENCODING:
		return -EBADMSG;
	case CURLE_URL_MALFORMAT:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/* HTTP status to -errno, as k8s.h documents; 409 tells AlreadyExists from Conflict by reason. */
static int status_errno(long code, const char *method, const char *reason)
{
	if (code >= 200 && code < 300)
		return 0;
	switch (code) {
	case 400:
	case 422:
		return -EINVAL;
	case 401:
	case 403:
		return -EACCES;
	case 404:
		return -ENOENT;
	case 408:
		return -ETIMEDOUT;
	case 409:
		if (reason && !strcmp(reason, "AlreadyExists"))
			return -EEXIST;
		if (reason && !strcmp(reason, "Conflict"))
			return -ESTALE;
		return strcmp(method, "POST") ? -ESTALE : -EEXIST;
	case 410:
		return -ESTALE; /* Gone: the resourceVersion is too old */
	case 413:
		return -E2BIG;
	case 429:
		return -EAGAIN;
	}
	if (code >= 500 && code < 600)
		return -EAGAIN;
	if (code >= 400 && code < 500)
		return -EINVAL;
	return -EPROTO; /* 1xx, 3xx (redirects are not followed), nonsense */
}

static const char *status_field(const cJSON *st, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(st, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* One JSON document and nothing after it but whitespace (cJSON stops at the document's end). */
static cJSON *body_parse(const char *s, size_t len)
{
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(s, len, &end, false);

	while (j && end < s + len && *end && strchr(" \t\r\n", *end))
		end++;
	if (j && end != s + len) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

static bool method_valid(const char *m)
{
	static const char *const ok[] = { "GET", "POST", "PUT", "DELETE", "PATCH" };

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (!strcmp(m, ok[i]))
			return true;
	return false;
}

/* An absolute path (with an optional query) of visible ASCII: nothing to smuggle into the URL. */
static bool path_valid(const char *p)
{
	size_t n = strlen(p);

	if (n == 0 || n >= K8S_PATH_MAX || p[0] != '/')
		return false;
	for (; *p; p++)
		if ((unsigned char) *p <= 0x20 || (unsigned char) *p >= 0x7f || *p == '#' ||
		    *p == '\\')
			return false;
	return true;
}

static int headers_build(struct k8s_client *k, const char *type, bool body, struct curl_slist **out)
{
	struct curl_slist *h = NULL, *n;
	char ct[128];

	*out = NULL;
	h = curl_slist_append(h, "Accept: application/json");
	if (!h)
		return -ENOMEM;
	*out = h;
	if (!(n = curl_slist_append(h, "Expect:"))) /* no 100-continue round trip */
		return -ENOMEM;
	if (body) {
		(void) snprintf(ct, sizeof(ct), "Content-Type: %s", type);
		if (!(n = curl_slist_append(h, ct)))
			return -ENOMEM;
	}
	if (k->token) {
		size_t len = strlen(k->token) + sizeof("Authorization: Bearer ");
		char *line = malloc(len);

		if (!line)
			return -ENOMEM;
		(void) snprintf(line, len, "Authorization: Bearer %s", k->token);
		n = curl_slist_append(h, line);
		explicit_bzero(line, len);
		free(line);
		if (!n)
			return -ENOMEM;
	}
	return 0;
}

static bool content_type_valid(const char *t)
{
	if (!*t || strlen(t) > 100)
		return false;
	for (; *t; t++)
		if ((unsigned char) *t < 0x20 || (unsigned char) *t >= 0x7f)
			return false;
	return true;
}

int k8s_request_type(struct k8s_client *k, const char *method, const char *path,
		     const char *content_type, const char *body, long *status, cJSON **resp)
{
	_cleanup_(headers_freep) struct curl_slist *hdrs = NULL;
	bool get = !strcmp(method, "GET");
	bool with_body = body || !(get || !strcmp(method, "DELETE"));
	char url[K8S_URL_MAX];
	long code = 0, conns = 0;
	curl_off_t us = 0;
	CURLcode cc;
	CURL *h = k->curl;
	long tmo;
	int r;

	if (status)
		*status = 0;
	if (resp)
		*resp = NULL;
	k->msg[0] = k->curl_err[0] = '\0';
	k->body_len = 0;
	k->body_too_big = k->body_nomem = false;
	if (!content_type)
		content_type = K8S_JSON;
	if (!method_valid(method))
		return fail(k, -EINVAL, "unsupported method '%.16s'", method);
	if (!path || !path_valid(path))
		return fail(k, -EINVAL, "%s: invalid API path", method);
	if (get && body)
		return fail(k, -EINVAL, "GET %s: a GET carries no body", path);
	if (!content_type_valid(content_type))
		return fail(k, -EINVAL, "%s %s: invalid content type", method, path);
	(void) snprintf(url, sizeof(url), "%s%s", k->server, path);
	if (timeout_left(k, &tmo) < 0)
		return fail(k, -ETIMEDOUT, "%s %s: not sent, the retry budget is spent", method,
			    url);
	if ((r = headers_build(k, content_type, with_body, &hdrs)) < 0)
		return fail(k, r, "%s %s: out of memory", method, url);

	cc = curl_easy_setopt(h, CURLOPT_URL, url);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, tmo);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (cc == CURLE_OK) /* GET and POST are curl's own; the rest replace the verb */
		cc = curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST,
				      get || !strcmp(method, "POST") ? NULL : method);
	if (cc == CURLE_OK && with_body) {
		cc = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				      (curl_off_t) (body ? strlen(body) : 0));
		if (cc == CURLE_OK)
			cc = curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
	} else if (cc == CURLE_OK) {
		cc = curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}
	if (cc == CURLE_OK)
		cc = curl_easy_perform(h);
	else
		(void) snprintf(k->curl_err, sizeof(k->curl_err), "%s", curl_easy_strerror(cc));
	(void) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &conns) == CURLE_OK && conns > 0)
		k->connections += (unsigned) conns;
	(void) curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &us);
	k->stats.requests++;
	k->stats.us += (long long) us;
	if ((long long) us >= k->stats.max_us) {
		k->stats.max_us = (long long) us;
		(void) snprintf(k->stats.max_req, sizeof(k->stats.max_req), "%s %s", method, path);
	}
	if (observer)
		observer(method, code);
	/* the path only: the server is in the kubeconfig, credentials never reach a log */
	if (cc == CURLE_OK)
		log_debug("%s %s: HTTP %ld, %zu bytes, %ld ms%s", method, path, code, k->body_len,
			  (long) (us / 1000), conns > 0 ? ", new connection" : "");
	else
		log_debug("%s %s: no answer after %ld ms (%s)", method, path, (long) (us / 1000),
			  curl_easy_strerror(cc));
	/* nothing of this request may outlive it in the handle */
	(void) curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	(void) curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
	if (status)
		*status = code;

	if (cc != CURLE_OK) {
		r = curl_errno(k, cc);
		if (r == -EMSGSIZE)
			return fail(k, r, "%s %s: the response is larger than %d bytes", method,
				    url, K8S_BODY_MAX);
		return fail(k, r, "%s %s: %s%s%s%s", method, url,
			    k->curl_err[0] ? k->curl_err : curl_easy_strerror(cc),
			    r == -EPROTO && k->ca_store[0] ? " (trusted CAs: the node's " : "",
			    r == -EPROTO ? k->ca_store : "",
			    r == -EPROTO && k->ca_store[0] ?
				    "; the kubeconfig names no certificate-authority)" :
				    "");
	}
	return k8s_response(k, method, url, code, k->body, k->body_len, resp);
}

int k8s_response(struct k8s_client *k, const char *method, const char *url, long code,
		 const char *body, size_t len, cJSON **resp)
{
	_cleanup_(cJSON_Deletep) cJSON *json = NULL;
	const char *reason = NULL, *smsg = NULL, *kind;
	bool blank;
	int r;

	if (resp)
		*resp = NULL;
	k->msg[0] = '\0';
	blank = true;
	for (size_t i = 0; i < len && blank; i++)
		blank = strchr(" \t\r\n", body[i]) && body[i];
	if (!blank) {
		json = body_parse(body, len);
		kind = status_field(json, "kind");
		if (kind && !strcmp(kind, "Status")) {
			reason = status_field(json, "reason");
			smsg = status_field(json, "message");
		}
	}
	r = status_errno(code, method, reason);
	if (r == 0 && !blank && !json)
		return fail(k, -EBADMSG, "%s %s: HTTP %ld, but the body is not JSON", method, url,
			    code);
	if (r < 0)
		(void) fail(k, r, "%s %s: HTTP %ld%s%s%s%s%s", method, url, code, reason ? " " : "",
			    reason ? reason : "", smsg ? ": " : "", smsg ? smsg : "",
			    json || blank ? "" : " (not a Kubernetes Status)");
	if (resp)
		*resp = TAKE_PTR(json);
	return r;
}

void k8s_observe(void (*fn)(const char *method, long status))
{
	observer = fn;
}

int k8s_request(struct k8s_client *k, const char *method, const char *path, const char *body,
		long *status, cJSON **resp)
{
	return k8s_request_type(k, method, path, K8S_JSON, body, status, resp);
}

int k8s_list(struct k8s_client *k, const char *path, unsigned limit, cJSON **items)
{
	_cleanup_(cJSON_Deletep) cJSON *all = cJSON_CreateArray();
	char url[K8S_PATH_MAX], cont[K8S_PATH_MAX / 2] = "";
	long status;
	int r;

	*items = NULL;
	if (!all)
		return fail(k, -ENOMEM, "out of memory");
	for (unsigned pages = 0;; pages++) {
		_cleanup_(cJSON_Deletep) cJSON *page = NULL;
		size_t n;

		n = (size_t) snprintf(url, sizeof(url), "%s%climit=%u%s%s", path,
				      strchr(path, '?') ? '&' : '?', limit ? limit : 500,
				      cont[0] ? "&continue=" : "", cont);
		if (n >= sizeof(url))
			return fail(k, -ENAMETOOLONG, "GET %s: continue token too long", path);
		r = k8s_request(k, "GET", url, NULL, &status, &page);
		if (r < 0)
			return r;
		if (pages > 100000)
			return fail(k, -E2BIG, "GET %s: too many items", path);
		r = k8s_list_page(k, path, page, all, cont, sizeof(cont));
		if (r < 0)
			return r;
		if (r == 0)
			break;
	}
	*items = TAKE_PTR(all);
	return 0;
}

int k8s_list_page(struct k8s_client *k, const char *path, cJSON *page, cJSON *all, char *cont,
		  size_t cont_len)
{
	cJSON *got, *it;
	const cJSON *c;
	size_t n;

	got = cJSON_GetObjectItemCaseSensitive(page, "items");
	if (got && !cJSON_IsNull(got) && !cJSON_IsArray(got))
		return fail(k, -EBADMSG, "GET %s: items is not an array", path);
	while (got && cJSON_IsArray(got) && (it = cJSON_DetachItemFromArray(got, 0)))
		cJSON_AddItemToArray(all, it);
	if (cJSON_GetArraySize(all) > 1000000)
		return fail(k, -E2BIG, "GET %s: too many items", path);
	c = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(page, "metadata"),
					     "continue");
	if (!cJSON_IsString(c) || !c->valuestring[0])
		return 0;
	/* base64url: only '=' needs escaping in a query */
	n = 0;
	for (const char *s = c->valuestring; *s; s++) {
		if (n + 4 >= cont_len)
			return fail(k, -ENAMETOOLONG, "GET %s: continue token too long", path);
		if (*s == '=' || *s == '+' || *s == '/' || *s == '&' || *s == '%')
			n += (size_t) snprintf(cont + n, cont_len - n, "%%%02X",
					       (unsigned char) *s);
		else
			cont[n++] = *s;
	}
	cont[n] = 0;
	return 1;
}
