/* SPDX-License-Identifier: Apache-2.0 */
/* k8s.h - a minimal Kubernetes API client on libcurl: kubeconfig or in-cluster credentials,
 * verified TLS, timeouts, bounded bodies, one reused connection per invocation. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "rdmanet/err.h"

struct cJSON;

#define K8S_SERVER_MAX     512
#define K8S_PATH_MAX       1024
#define K8S_NAMESPACE_MAX  63
#define K8S_BODY_MAX       (8 * 1024 * 1024) /* largest response accepted */
#define K8S_KUBECONFIG_MAX (1024 * 1024)
#define K8S_PEM_MAX        (64 * 1024) /* a certificate, key or CA bundle */
#define K8S_TOKEN_MAX      (16 * 1024) /* a bearer token */

/* Content types of request bodies: k8s_request() sends K8S_JSON, PATCH picks one of the others. */
#define K8S_JSON                  "application/json"
#define K8S_MERGE_PATCH           "application/merge-patch+json"
#define K8S_JSON_PATCH            "application/json-patch+json"
#define K8S_STRATEGIC_MERGE_PATCH "application/strategic-merge-patch+json"

struct k8s_config {
	char server[K8S_SERVER_MAX];            /* https://host:port, no trailing '/' */
	char namespace_[K8S_NAMESPACE_MAX + 1]; /* of the current context, "" when unset */
	char *ca_pem;             /* certificate authority, PEM (from -data or file) */
	char *cert_pem, *key_pem; /* client certificate and key, PEM */
	char *token;              /* bearer token (from token or tokenFile) */
	bool insecure;            /* insecure-skip-tls-verify: tests only */
};

/*
 * Loads a kubeconfig (YAML or JSON, as kubectl reads it): the current context's cluster and
 * user; certificate-authority(-data), client-certificate(-data), client-key(-data), token,
 * tokenFile; relative file paths resolve against the kubeconfig's directory.
 */
int k8s_kubeconfig_load(const char *path, struct k8s_config *c, struct cni_err *err);
/* Parses kubeconfig text (for tests and fuzzing); dir resolves relative paths. */
int k8s_kubeconfig_parse(const char *text, size_t len, const char *dir, struct k8s_config *c,
			 struct cni_err *err);
/*
 * In-cluster: KUBERNETES_SERVICE_HOST/_PORT, the service account's token, CA and namespace
 * under root (normally /var/run/secrets/kubernetes.io/serviceaccount); the token is re-read on
 * every call because it rotates.
 */
int k8s_incluster_load(const char *root, struct k8s_config *c, struct cni_err *err);
void k8s_config_free(struct k8s_config *c);

struct k8s_client;

int k8s_client_new(const struct k8s_config *c, unsigned timeout_ms, struct k8s_client **out,
		   struct cni_err *err);
void k8s_client_free(struct k8s_client *k);
/*
 * No request runs past deadline (clock_now_ms(); 0 for none): each one's timeout is cut to
 * what is left, and one asked for after it fails at once with -ETIMEDOUT, unsent.
 */
void k8s_deadline_set(struct k8s_client *k, long long deadline);

/*
 * One request (method GET/POST/PUT/DELETE/PATCH; path starts with '/'; body JSON or NULL).
 * *resp receives the parsed response body (NULL when empty), also for errors (a Status).
 * Returns 0 for 2xx; -ENOENT 404; -EEXIST 409 AlreadyExists; -ESTALE 409 Conflict; -EACCES
 * 401/403; -EINVAL 400/422; -EAGAIN 429/5xx; -ETIMEDOUT, -ECONNREFUSED, -EPROTO (TLS), -EMSGSIZE
 * (body over K8S_BODY_MAX), -EBADMSG (not JSON) for transport failures. k8s_errmsg() then says
 * what happened, naming the URL and status, never the token.
 * Also: -ECONNRESET (connection closed or reset mid-request), -EHOSTUNREACH (name not resolved),
 * another -errno of connect(); 408 -ETIMEDOUT, 410 -ESTALE, 413 -E2BIG, other 4xx -EINVAL,
 * 1xx/3xx (redirects are not followed) -EPROTO. A 409 without a reason is -EEXIST for POST and
 * -ESTALE otherwise.
 */
int k8s_request(struct k8s_client *k, const char *method, const char *path, const char *body,
		long *status, struct cJSON **resp);
/* k8s_request() with the body's content type (NULL: K8S_JSON), e.g. K8S_MERGE_PATCH. */
int k8s_request_type(struct k8s_client *k, const char *method, const char *path,
		     const char *content_type, const char *body, long *status, struct cJSON **resp);
const char *k8s_errmsg(const struct k8s_client *k);
/* fn (NULL: none) sees every request sent, with its method and HTTP status (0: no answer);
 * process-wide, for the reconciler's metrics. Set it before any client runs. */
void k8s_observe(void (*fn)(const char *method, long status));
/* New connections (TCP + TLS handshakes) the client has opened so far; 1 when all its requests
 * shared one. */
unsigned k8s_client_connections(const struct k8s_client *k);
/* The requests a client has sent so far and their times as libcurl measured them (connect, TLS,
 * transfer): for the end-of-call record. */
struct k8s_stats {
	unsigned requests;    /* sent, answered or not */
	long long us, max_us; /* all of them summed; the slowest */
	char max_req[160];    /* the slowest: "METHOD /path" (cut) */
};
/* k NULL: all zero. */
void k8s_client_stats(const struct k8s_client *k, struct k8s_stats *out);
/* Releases libcurl's global state once no client is left (at exit; optional). */
void k8s_global_cleanup(void);

/*
 * GET a list path (no query, or one without limit/continue) page by page (limit items each, 0:
 * 500), following metadata.continue; *items receives all items as one cJSON array. Errors as
 * k8s_request (a continue token outliving compaction is -ESTALE: start over).
 */
int k8s_list(struct k8s_client *k, const char *path, unsigned limit, struct cJSON **items);

/*
 * For the fuzz targets (and k8s_request/k8s_list themselves): what a request makes of the
 * response with HTTP status code and body (len bytes) to method url, with k8s_errmsg() set as
 * after a real request; and what k8s_list makes of one page: its items moved to the array all,
 * metadata.continue escaped into cont. k8s_list_page returns 1 when a continue token follows, 0
 * at the last page, -EBADMSG, -E2BIG or -ENAMETOOLONG.
 */
int k8s_response(struct k8s_client *k, const char *method, const char *url, long code,
		 const char *body, size_t len, struct cJSON **resp);
int k8s_list_page(struct k8s_client *k, const char *path, struct cJSON *page, struct cJSON *all,
		  char *cont, size_t cont_len);
