/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_kubeconfig.c - libFuzzer target for the kubeconfig reader of rdmanet-ipam: the YAML reader
 * on libyaml (k8s_yaml_parse), the strict base64 decoder and k8s_kubeconfig_parse on the same
 * bytes.
 * Relative file references resolve under a directory that does not exist. The return values
 * agree with the errors, an accepted config names an https:// server (http:// only with
 * insecure-skip-tls-verify), and no token or key ever appears in an error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rdmanet/k8s.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void invariant(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_kubeconfig: invariant failed: %s\n", what);
		abort();
	}
}

/* p starts a key: only blanks (and a "- " entry) since the line's start, or a JSON key's quote. */
static bool key_start(const char *text, const char *p)
{
	if (p > text && p[-1] == '"')
		return true;
	while (p > text && (p[-1] == ' ' || p[-1] == '-'))
		p--;
	return p == text || p[-1] == '\n';
}

/*
 * The value of each token key (12 bytes or more, found once in the input, so that it cannot be
 * quoted as some other field) must not appear in the error.
 */
static void tokens_not_leaked(const struct cni_err *err, const char *text, size_t size)
{
	static const char *const keys[] = { "token:", "token\":" };
	const char *end = text + size;

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		const char *p = text;

		while ((p = memmem(p, (size_t) (end - p), keys[k], strlen(keys[k])))) {
			char value[256];
			const char *v = p + strlen(keys[k]), *e;
			bool key = key_start(text, p);
			size_t n;

			while (v < end && (*v == ' ' || *v == '"' || *v == '\''))
				v++;
			for (e = v; e < end && *e != '\n' && *e != '"' && *e != '\'' && *e != ' ' && *e;
			     e++)
				;
			n = (size_t) (e - v);
			p = v;
			if (!key || n < 12 || n >= sizeof(value))
				continue;
			memcpy(value, v, n);
			value[n] = '\0';
			if (memmem(v + 1, (size_t) (end - v - 1), value, n) ||
			    memmem(text, (size_t) (v - text), value, n))
				continue;
			invariant(!strstr(err->msg, value) && !strstr(err->details, value),
				  "a token appears in an error");
		}
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

	r = k8s_yaml_parse(text, size, &tree, why, sizeof(why));
	invariant(r >= 0 ? tree != NULL : tree == NULL && why[0] != '\0',
		  "k8s_yaml_parse: return value and output disagree");
	if (tree) {
		char *printed = cJSON_PrintUnformatted(tree);

		if (printed) {
			cJSON *again = cJSON_Parse(printed);

			invariant(again != NULL, "the tree prints as invalid JSON");
			cJSON_Delete(again);
			free(printed);
		}
		cJSON_Delete(tree);
	}

	r = k8s_base64_decode(text, size, &out, &out_len);
	if (r >= 0) {
		invariant(out != NULL && out[out_len] == '\0', "base64: output not terminated");
		invariant(size % 4 == 0 && out_len <= size / 4 * 3 && out_len + 3 > size / 4 * 3,
			  "base64: output length");
		free(out);
	} else {
		invariant(out == NULL || r == -ENOMEM, "base64: output on failure");
	}

	r = k8s_kubeconfig_parse(text, size, "/nonexistent/rdmanet-fuzz", &c, &err);
	invariant((r < 0) == (err.code != 0), "k8s_kubeconfig_parse: return value and error disagree");
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
		tokens_not_leaked(&err, text, size);
		k8s_config_free(&c);
	}
	return 0;
}
