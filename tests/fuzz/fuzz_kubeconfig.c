/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_kubeconfig.c - libFuzzer target for the kubeconfig reader of rdmanet-ipam: the YAML reader
 * on libyaml (yamltree_parse), the strict base64 decoder and k8s_kubeconfig_parse on the same
 * bytes.
 * Relative file references resolve under a directory that does not exist. The return values
 * agree with the errors, an accepted config names an https:// server (http:// only with
 * insecure-skip-tls-verify), and no token or key ever appears in an error.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rdmanet/base64.h"
#include "rdmanet/k8s.h"
#include "rdmanet/yamltree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void invariant(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_kubeconfig: invariant failed: %s\n", what);
		abort();
	}
}

/* Whether a string of the tree other than node n's value (keys included) contains v. */
static bool elsewhere(const cJSON *t, const cJSON *n, const char *v)
{
	for (; t; t = t->next) {
		if (t->string && strstr(t->string, v))
			return true;
		if (t != n && cJSON_IsString(t) && strstr(t->valuestring, v))
			return true;
		if (elsewhere(t->child, n, v))
			return true;
	}
	return false;
}

/*
 * The value of each "token" key of the parsed tree (12 bytes or more, and in no other key or
 * value, which an error may quote) must not appear in the error. The tree, not the text, says
 * what a token is: a quoted scalar may span lines that look like "token: ..." keys.
 */
static void tokens_not_leaked(const struct cni_err *err, const cJSON *root, const cJSON *t)
{
	for (; t; t = t->next) {
		if (t->string && !strcmp(t->string, "token") && cJSON_IsString(t) &&
		    strlen(t->valuestring) >= 12 && !elsewhere(root, t, t->valuestring))
			invariant(!strstr(err->msg, t->valuestring) &&
					  !strstr(err->details, t->valuestring),
				  "a token appears in an error");
		tokens_not_leaked(err, root, t->child);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *) data;
	struct cni_err err = { 0 };
	struct k8s_config c;
	cJSON *tree = NULL;
	char why[256] = "";
	size_t out_len = 0;
	char *out = NULL;
	int r;

	r = yamltree_parse(text, size, &tree, why, sizeof(why));
	invariant(r >= 0 ? tree != NULL : tree == NULL && why[0] != '\0',
		  "yamltree_parse: return value and output disagree");
	if (tree) {
		char *printed = cJSON_PrintUnformatted(tree);

		if (printed) {
			cJSON *again = cJSON_Parse(printed);

			invariant(again != NULL, "the tree prints as invalid JSON");
			cJSON_Delete(again);
			free(printed);
		}
	}

	r = base64_decode(text, size, &out, &out_len);
	if (r >= 0) {
		invariant(out != NULL && out[out_len] == '\0', "base64: output not terminated");
		invariant(size % 4 == 0 && out_len <= size / 4 * 3 && out_len + 3 > size / 4 * 3,
			  "base64: output length");
		free(out);
	} else {
		invariant(out == NULL || r == -ENOMEM, "base64: output on failure");
	}

	r = k8s_kubeconfig_parse(text, size, "/nonexistent/rdmanet-fuzz", &c, &err);
	invariant((r < 0) == (err.code != 0),
		  "k8s_kubeconfig_parse: return value and error disagree");
	if (r >= 0) {
		size_t n = strlen(c.server);

		invariant(n < K8S_SERVER_MAX, "server too long");
		invariant(!strncmp(c.server, "https://", 8) ||
				  (c.insecure && !strncmp(c.server, "http://", 7)),
			  "accepted a server that is not https://");
		invariant(n > 0 && c.server[n - 1] != '/', "server with a trailing '/'");
		invariant(strlen(c.namespace_) <= K8S_NAMESPACE_MAX, "namespace too long");
		invariant(!c.cert_pem == !c.key_pem, "a client certificate without its key");
		k8s_config_free(&c);
	} else {
		invariant(err.msg[0] != '\0', "an error without a message");
		tokens_not_leaked(&err, tree, tree);
		k8s_config_free(&c);
	}
	cJSON_Delete(tree);
	return 0;
}
