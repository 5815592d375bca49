/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics_http.c - the reconciler's /metrics endpoint on libmicrohttpd, in the library's own
 * polling thread (one thread, event-driven), so that no client, however slow, delays a reconcile
 * pass or another scrape. Hostile clients meet bounds: an idle connection is closed after
 * TIMEOUT_S, at most CONNS connections at once (PER_IP from one address), and a request's line
 * and headers must fit in MEMORY bytes (libmicrohttpd answers 431 or 414 past that). Only GET
 * and HEAD of /metrics are served: 404 for other paths, 405 for other methods.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "rdmanet/cidr.h"
#include "rdmanet/log.h"
#include "rdmanet/metrics.h"

#if MHD_VERSION < 0x00097100
#error "libmicrohttpd 0.9.71 or later is needed (enum MHD_Result)"
#endif

#define TIMEOUT_S 5u /* idle connection: closed */
#define CONNS     32u
#define PER_IP    8u
#define MEMORY    ((size_t) 16 * 1024) /* per connection: request line and headers, and ours */
#define BACKLOG   16u

struct metrics_http {
	struct MHD_Daemon *d;
};

/* the last message of libmicrohttpd, for the error when it does not start */
static char start_msg[256];

static void on_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];
	size_t n;

	(void) cls;
	(void) vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = 0;
	memcpy(start_msg, line, sizeof(start_msg));
	/* what clients make it say (bad requests, timeouts) is theirs, not ours: debug only */
	log_debug("metrics: %s", line);
}

int metrics_http_parse_bind(const char *s, struct metrics_http_opts *o)
{
	char text[METRICS_BIND_MAX];
	unsigned char a[16];
	size_t n = strlen(s);
	int family;

	if (n >= sizeof(text) || !n)
		return -EINVAL;
	if (s[0] == '[') {
		if (n < 3 || s[n - 1] != ']')
			return -EINVAL;
		(void) snprintf(text, sizeof(text), "%.*s", (int) (n - 2), s + 1);
	} else {
		(void) snprintf(text, sizeof(text), "%s", s);
	}
	if (cidr_addr_parse(text, &family, a) < 0 || (s[0] == '[' && family != AF_INET6))
		return -EINVAL;
	(void) snprintf(o->bind, sizeof(o->bind), "%s", text);
	return 0;
}

int metrics_http_parse_port(const char *s, struct metrics_http_opts *o)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 5)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long) (*p - '0');
	}
	if (v < 1 || v > 65535)
		return -EINVAL;
	o->port = (unsigned) v;
	return 0;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned code, const char *text, bool allow)
{
	struct MHD_Response *resp;
	enum MHD_Result ok;

	resp = MHD_create_response_from_buffer(strlen(text), (void *) text, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				    "text/plain; charset=utf-8") != MHD_YES ||
	    (allow &&
	     MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") != MHD_YES)) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ok = MHD_queue_response(c, code, resp);
	MHD_destroy_response(resp);
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct MHD_Response *resp;
	enum MHD_Result ok;
	size_t len;
	char *text;

	(void) cls;
	(void) version;
	(void) upload_data;
	(void) upload_data_size;
	(void) req_cls;
	/* answered at the first call, when the headers are in: a body is never read */
	if (strcmp(url, METRICS_PATH))
		return answer(c, MHD_HTTP_NOT_FOUND,
			      "not found: the metrics are at " METRICS_PATH "\n", false);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed: GET or HEAD\n",
			      true);
	text = metrics_render(&len);
	if (!text)
		return answer(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", false);
	resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, METRICS_CONTENT_TYPE) !=
	    MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ok = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ok;
}

/* One daemon on sa; its thread starts with every signal blocked, so SIGTERM always reaches the
 * reconcile loop (whose sleep it interrupts). */
static struct MHD_Daemon *daemon_start(const struct sockaddr *sa, unsigned port, unsigned flags)
{
	struct MHD_Daemon *d;
	sigset_t all, old;

	(void) sigfillset(&all);
	(void) pthread_sigmask(SIG_BLOCK, &all, &old);
	start_msg[0] = 0;
	d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | flags,
			     (uint16_t) port, NULL, NULL, on_request, NULL,
			     MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL, MHD_OPTION_SOCK_ADDR, sa,
			     MHD_OPTION_CONNECTION_TIMEOUT, TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT,
			     CONNS, MHD_OPTION_PER_IP_CONNECTION_LIMIT, PER_IP,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, MEMORY,
			     MHD_OPTION_LISTEN_BACKLOG_SIZE, BACKLOG, MHD_OPTION_END);
	(void) pthread_sigmask(SIG_SETMASK, &old, NULL);
	return d;
}

int metrics_http_start(const struct metrics_http_opts *o, struct metrics_http **out,
		       struct cni_err *err)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons((uint16_t) o->port) };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6,
				    .sin6_port = htons((uint16_t) o->port) };
	struct metrics_http *h;
	const char *shown = o->bind;
	bool v6 = strchr(o->bind, ':') != NULL;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
	if (!o->bind[0]) {
		/* a pod: IPv6 and IPv4 where the pod has IPv6, else IPv4 alone */
		in6.sin6_addr = in6addr_any;
		h->d = daemon_start((struct sockaddr *) &in6, o->port, MHD_USE_DUAL_STACK);
		shown = "::";
		v6 = true;
		if (!h->d) {
			log_debug("metrics: no IPv6 listener (%s), IPv4 only", start_msg);
			in.sin_addr.s_addr = htonl(INADDR_ANY);
			h->d = daemon_start((struct sockaddr *) &in, o->port, 0);
			shown = "0.0.0.0";
			v6 = false;
		}
	} else if (v6) {
		if (inet_pton(AF_INET6, o->bind, &in6.sin6_addr) == 1)
			h->d = daemon_start((struct sockaddr *) &in6, o->port, MHD_USE_IPv6);
	} else if (inet_pton(AF_INET, o->bind, &in.sin_addr) == 1) {
		h->d = daemon_start((struct sockaddr *) &in, o->port, 0);
	}
	if (!h->d) {
		free(h);
		return err_set(err, -EADDRNOTAVAIL, RDMANET_ERR_INTERNAL, start_msg,
			       "cannot serve metrics on %s%s%s:%u", v6 ? "[" : "", shown,
			       v6 ? "]" : "", o->port);
	}
	log_info("metrics: serving http://%s%s%s:%u" METRICS_PATH, v6 ? "[" : "", shown,
		 v6 ? "]" : "", o->port);
	*out = h;
	return 0;
}

void metrics_http_stop(struct metrics_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
