/* SPDX-License-Identifier: Apache-2.0 */
/*
 * k8s_probe.c - drives the Kubernetes client for tests/integ/test_k8s_client.sh: loads a
 * kubeconfig (or in-cluster files), then sends each request on one client, so several requests
 * show whether the connection was reused.
 *
 *   k8s-probe (--kubeconfig FILE | --incluster DIR) [--timeout MS] [--type CONTENT-TYPE]
 *             METHOD PATH [BODY|@FILE] [-- METHOD PATH [BODY|@FILE]]...
 *
 * Per request i it prints
 *   request i: METHOD PATH -> status S ret R NAME connections C ms T
 *   body i: <the response, compact JSON, or "(none)">
 *   error i: <k8s_errmsg()>                      (only when R < 0)
 * then "connections N" (new connections the client opened in all). Exit status: 0 when every
 * request returned 0, 1 when one failed, 2 when the configuration or the arguments are bad.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "rdmanet/clock.h"
#include "rdmanet/k8s.h"

#define PROBE_BODY_MAX (16 * 1024 * 1024)

static int usage(void)
{
	fprintf(stderr,
		"usage: k8s-probe (--kubeconfig FILE | --incluster DIR) [--timeout MS] [--type "
		"CONTENT-TYPE]\n"
		"                 METHOD PATH [BODY|@FILE] [-- METHOD PATH [BODY|@FILE]]...\n");
	return 2;
}

static char *read_body(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = f ? malloc(PROBE_BODY_MAX + 1) : NULL;
	size_t n = 0;

	if (buf) {
		n = fread(buf, 1, PROBE_BODY_MAX, f);
		buf[n] = '\0';
	}
	if (f)
		(void) fclose(f);
	return buf;
}

/* One request; returns its result. */
static int probe(struct k8s_client *k, int i, const char *type, const char *method,
		 const char *path, const char *arg)
{
	char *file_body = NULL, *text = NULL;
	const char *body = arg;
	cJSON *resp = NULL;
	long status = -1;
	long long t0;
	int r;

	if (arg && arg[0] == '@') {
		file_body = read_body(arg + 1);
		if (!file_body) {
			fprintf(stderr, "k8s-probe: cannot read '%s'\n", arg + 1);
			return -EIO;
		}
		body = file_body;
	}
	t0 = clock_now_ms();
	r = k8s_request_type(k, method, path, type, body, &status, &resp);
	printf("request %d: %s %s -> status %ld ret %d %s connections %u ms %lld\n", i, method,
	       path, status, r, r ? strerrorname_np(-r) : "OK", k8s_client_connections(k),
	       clock_now_ms() - t0);
	text = resp ? cJSON_PrintUnformatted(resp) : NULL;
	printf("body %d: %s\n", i, text ? text : "(none)");
	if (r < 0)
		printf("error %d: %s\n", i, k8s_errmsg(k));
	(void) fflush(stdout);
	free(text);
	cJSON_Delete(resp);
	free(file_body);
	return r;
}

int main(int argc, char **argv)
{
	const char *kubeconfig = NULL, *incluster = NULL, *type = NULL;
	struct k8s_config c = { 0 };
	struct k8s_client *k = NULL;
	struct cni_err err = { 0 };
	unsigned long timeout = 10000;
	int i = 1, n = 0, failed = 0, r;

	for (; i < argc && !strncmp(argv[i], "--", 2) && argv[i][2]; i += 2) {
		if (i + 1 >= argc)
			return usage();
		if (!strcmp(argv[i], "--kubeconfig"))
			kubeconfig = argv[i + 1];
		else if (!strcmp(argv[i], "--incluster"))
			incluster = argv[i + 1];
		else if (!strcmp(argv[i], "--timeout"))
			timeout = strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--type"))
			type = argv[i + 1];
		else
			return usage();
	}
	if (!kubeconfig == !incluster || i + 2 > argc)
		return usage();
	r = kubeconfig ? k8s_kubeconfig_load(kubeconfig, &c, &err) :
			 k8s_incluster_load(incluster, &c, &err);
	if (r >= 0)
		r = k8s_client_new(&c, (unsigned) timeout, &k, &err);
	if (r < 0) {
		printf("config: ret %d %s code %d: %s%s%s\n", r, strerrorname_np(-r), err.code,
		       err.msg, err.details[0] ? ": " : "", err.details);
		k8s_config_free(&c);
		k8s_global_cleanup();
		return 2;
	}
	printf("server %s namespace '%s'%s%s%s\n", c.server, c.namespace_, c.token ? " token" : "",
	       c.cert_pem ? " client-certificate" : "", c.insecure ? " insecure" : "");
	while (i < argc) {
		const char *method = argv[i], *path = i + 1 < argc ? argv[i + 1] : NULL,
			   *body = NULL;

		if (!path || !strcmp(path, "--")) {
			failed = 1;
			(void) usage();
			break;
		}
		i += 2;
		if (i < argc && strcmp(argv[i], "--"))
			body = argv[i++];
		if (i < argc && !strcmp(argv[i], "--"))
			i++;
		if (probe(k, ++n, type, method, path, body) < 0)
			failed = 1;
	}
	printf("connections %u\n", k8s_client_connections(k));
	k8s_client_free(k);
	k8s_config_free(&c);
	k8s_global_cleanup();
	return failed;
}
