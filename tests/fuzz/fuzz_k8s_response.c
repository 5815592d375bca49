/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_k8s_response.c - libFuzzer target for what the Kubernetes client makes of a response:
 * k8s_response (HTTP status + body: JSON or not, error Status with reason and message, -errno)
 * and k8s_list_page (items, metadata.continue) as k8s_request and k8s_list use them. The input
 * is an optional first line "<status> <method>" (e.g. "409 POST") and the body; without it,
 * "200 GET" and the whole input is the body. The client is never connected.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rdmanet/k8s.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TOKEN "rdmanet-fuzz-token-0123456789"

static struct k8s_client *client;

static void invariant(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_k8s_response: invariant failed: %s\n", what);
		abort();
	}
}

static void msg_clean(const char *m)
{
	invariant(strlen(m) < 1024, "message too long");
	invariant(!strstr(m, TOKEN), "the token appears in a message");
	for (; *m; m++)
		invariant((unsigned char) *m >= 0x20 && *m != 0x7f,
			  "control character in a message");
}

static void free_client(void)
{
	k8s_client_free(client);
	k8s_global_cleanup();
}

static struct k8s_client *get_client(void)
{
	struct k8s_config c = { .server = "https://fuzz.invalid:6443", .token = (char *) TOKEN };
	struct cni_err err = { 0 };

	if (!client) {
		invariant(k8s_client_new(&c, 1000, &client, &err) == 0, "k8s_client_new failed");
		(void) atexit(free_client);
	}
	return client;
}

/* "<status> <method>\n": 1 and the body after it, or 0. */
static int first_line(const char *s, size_t size, long *code, char method[8], size_t *skip)
{
	const char *nl = memchr(s, '\n', size < 32 ? size : 32);
	char line[33];
	int used = 0;

	if (!nl)
		return 0;
	memcpy(line, s, (size_t) (nl - s));
	line[nl - s] = '\0';
	if (sscanf(line, "%3ld %7[A-Z]%n", code, method, &used) != 2 || line[used])
		return 0;
	*skip = (size_t) (nl - s) + 1;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct k8s_client *k = get_client();
	const char *body = (const char *) data;
	char method[8] = "GET", cont[K8S_PATH_MAX / 2];
	cJSON *json = NULL, *all;
	size_t skip = 0;
	long code = 200;
	bool blank = true;
	int r;

	if (!first_line(body, size, &code, method, &skip)) {
		code = 200;
		(void) strcpy(method, "GET");
	}
	body += skip;
	size -= skip;
	for (size_t i = 0; i < size && blank; i++)
		blank = body[i] && strchr(" \t\r\n", body[i]);

	r = k8s_response(k, method, "https://fuzz.invalid:6443/api/v1/pods", code, body, size,
			 &json);
	invariant(r <= 0, "k8s_response: positive return");
	invariant(r < 0 || (code >= 200 && code < 300), "success for a non-2xx status");
	invariant(r != 0 || json || blank, "success for a body that is not JSON");
	invariant(r == 0 || k8s_errmsg(k)[0], "an error without a message");
	invariant(r == 0 || r == -EBADMSG || !(code >= 200 && code < 300), "2xx failed otherwise");
	msg_clean(k8s_errmsg(k));

	all = cJSON_CreateArray();
	if (json && all) {
		int before = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(json, "items"));

		memset(cont, 'x', sizeof(cont));
		r = k8s_list_page(k, "/api/v1/pods", json, all, cont, sizeof(cont));
		invariant(r == 0 || r == 1 || r == -EBADMSG || r == -E2BIG || r == -ENAMETOOLONG,
			  "k8s_list_page: unexpected return");
		if (r >= 0 && cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(json, "items")))
			invariant(cJSON_GetArraySize(all) == before, "items lost or added");
		if (r == 1) {
			size_t n = strnlen(cont, sizeof(cont));

			invariant(n > 0 && n < sizeof(cont),
				  "continue token empty or not terminated");
			invariant(!strpbrk(cont, "=+/&"), "continue token not escaped");
		}
		if (r < 0)
			msg_clean(k8s_errmsg(k));
	}
	cJSON_Delete(all);
	cJSON_Delete(json);
	return 0;
}
