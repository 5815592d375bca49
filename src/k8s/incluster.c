/* SPDX-License-Identifier: Apache-2.0 */
/*
 * incluster.c - the credentials of k8s.c inside a pod: KUBERNETES_SERVICE_HOST/_PORT and the
 * service account's token, CA and namespace files, checked as a kubeconfig's are (kubeconfig.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdmanet/file.h"
#include "rdmanet/k8s.h"
#include "rdmanet/kubeconfig.h"
#include "rdmanet/secret.h"

#define HOST_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:"

int k8s_incluster_load(const char *root, struct k8s_config *c, struct cni_err *err)
{
	struct kc kc = { .where = "in-cluster config", .dir = root, .err = err };
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	struct k8s_config n = { 0 };
	char path[PATH_MAX], *buf = NULL;
	unsigned long pn;
	size_t len;
	char *end;
	int r;

	memset(c, 0, sizeof(*c));
	if (!host || !*host || !port || !*port)
		return kc_invalid(&kc, "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are "
				       "not set: not in a pod; set 'ipam.kubernetes.kubeconfig' in "
				       "the network config (the DaemonSet writes "
				       "/etc/cni/net.d/rdmanet.d/rdmanet-ipam.kubeconfig), or "
				       "reconcile's --kubeconfig");
	if (strlen(host) > 253 || strspn(host, HOST_CHARS) != strlen(host))
		return kc_invalid(&kc,
				  "KUBERNETES_SERVICE_HOST '%.64s' is not a host name or address",
				  host);
	errno = 0;
	pn = strtoul(port, &end, 10);
	if (*end || errno || pn == 0 || pn > 65535 || port[0] < '0' || port[0] > '9')
		return kc_invalid(&kc, "KUBERNETES_SERVICE_PORT '%.16s' is not a port", port);
	(void) snprintf(n.server, sizeof(n.server),
			strchr(host, ':') ? "https://[%s]:%lu" : "https://%s:%lu", host, pn);

	if ((r = kc_path(&kc, "service account", "token", "token", path)) < 0 ||
	    (r = kc_read(&kc, "service account", "token", path, K8S_TOKEN_MAX, &buf, &len)) < 0)
		goto fail;
	r = kc_token_take(&kc, "service account", "'token'", buf, len, &n.token);
	secret_free_len(buf, len);
	if (r < 0)
		goto fail;

	if ((r = kc_path(&kc, "service account", "ca.crt", "ca.crt", path)) < 0 ||
	    (r = kc_read(&kc, "service account", "ca.crt", path, K8S_PEM_MAX, &n.ca_pem, &len)) <
		    0 ||
	    (r = kc_pem_check(&kc, "service account", "'ca.crt'", n.ca_pem, len)) < 0)
		goto fail;

	if ((r = kc_path(&kc, "service account", "namespace", "namespace", path)) < 0)
		goto fail;
	r = file_read_bounded(path, 256, &buf, &len);
	if (r == -ENOENT)
		r = 0; /* optional: the caller picks a default */
	else if (r < 0) {
		r = kc_read_fail(&kc, "service account", "namespace", path, 256, r);
		goto fail;
	} else {
		while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' ' || buf[len - 1] == '\r'))
			buf[--len] = '\0';
		if (strlen(buf) != len || !kc_label_valid(buf)) {
			free(buf);
			r = kc_invalid(&kc,
				       "service account: 'namespace' file '%s' "
				       "holds no namespace name",
				       path);
			goto fail;
		}
		(void) snprintf(n.namespace_, sizeof(n.namespace_), "%s", buf);
		free(buf);
	}
	*c = n;
	return 0;
fail:
	k8s_config_free(&n);
	return r;
}
