/* SPDX-License-Identifier: Apache-2.0 */
/* cni.c - CNI_* environment, CNI_ARGS, versions, result and error JSON (pure code). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "rdmanet/cidr.h"
#include "rdmanet/cleanup.h"
#include "rdmanet/cni.h"

DEFINE_CLEANUP(cJSON *, cJSON_Delete)

const char *const cni_supported_versions[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0", NULL };

static const char *const command_names[] = {
	[CNI_CMD_NONE] = "",           [CNI_CMD_ADD] = "ADD",       [CNI_CMD_DEL] = "DEL",
	[CNI_CMD_CHECK] = "CHECK",     [CNI_CMD_STATUS] = "STATUS", [CNI_CMD_GC] = "GC",
	[CNI_CMD_VERSION] = "VERSION",
};

const char *cni_command_name(enum cni_command cmd)
{
	return cmd < ARRAY_SIZE(command_names) ? command_names[cmd] : "";
}

static bool has_ctl_or_space(const char *s)
{
	for (; *s; s++)
		if (iscntrl((unsigned char) *s) || isspace((unsigned char) *s))
			return true;
	return false;
}

bool cni_ifname_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n >= IF_NAMESIZE || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	/* '%': the kernel would take "net%d" as a template and choose the name itself */
	return !strpbrk(name, "/:%") && !has_ctl_or_space(name);
}

/* ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$, bounded */
bool cni_containerid_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n > CNI_CONTAINERID_MAX || !isalnum((unsigned char) id[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char) id[i]) && !strchr("_.-", id[i]))
			return false;
	return true;
}

int cni_mac_parse(const char *s, unsigned char mac[6])
{
	unsigned v[6];
	char tail;

	if (!s || strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char) s[i * 3]) || !isxdigit((unsigned char) s[i * 3 + 1]))
			return -EINVAL;
		mac[i] = (unsigned char) v[i];
	}
	/* must be a unicast address that is not all zeroes */
	if (mac[0] & 1)
		return -EINVAL;
	if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return -EINVAL;
	return 0;
}

/* DNS-1123 label/subdomain style check for Kubernetes names; max excludes the NUL. */
static bool k8s_name_valid(const char *s, size_t max, bool dots)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || !isalnum((unsigned char) s[0]) ||
	    !isalnum((unsigned char) s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char) s[i];
		if (!(islower(c) || isdigit(c) || c == '-' || (dots && c == '.')))
			return false;
	}
	return true;
}

static int args_value(struct cni_args *a, const char *key, const char *val, struct cni_err *err)
{
	if (!strcmp(key, "IgnoreUnknown")) {
		if (!strcmp(val, "1") || !strcasecmp(val, "true"))
			a->ignore_unknown = true;
		else if (!strcmp(val, "0") || !strcasecmp(val, "false"))
			a->ignore_unknown = false;
		else
			return err_set(err, -EINVAL, CNI_ERR_INVALID_ENV, NULL,
				       "CNI_ARGS: IgnoreUnknown must be true, "
				       "false, 1 or 0, not '%s'",
				       val);
	} else if (!strcmp(key, "K8S_POD_NAMESPACE")) {
		if (!k8s_name_valid(val, sizeof(a->pod_namespace) - 1, false))
			return err_set(err, -EINVAL, CNI_ERR_INVALID_ENV, NULL,
				       "CNI_ARGS: K8S_POD_NAMESPACE '%.80s' is not a "
				       "valid namespace name",
				       val);
		strcpy(a->pod_namespace, val);
	} else if (!strcmp(key, "K8S_POD_NAME")) {
		if (!k8s_name_valid(val, sizeof(a->pod_name) - 1, true))
			return err_set(err, -EINVAL, CNI_ERR_INVALID_ENV, NULL,
				       "CNI_ARGS: K8S_POD_NAME '%.80s' is not a valid pod name",
				       val);
		strcpy(a->pod_name, val);
	} else if (!strcmp(key, "K8S_POD_UID")) {
		size_t n = strlen(val);
		if (n == 0 || n >= sizeof(a->pod_uid) ||
		    strspn(val, "0123456789abcdefABCDEF-") != n)
			return err_set(err, -EINVAL, CNI_ERR_INVALID_ENV, NULL,
				       "CNI_ARGS: K8S_POD_UID '%.80s' is not a UID", val);
		strcpy(a->pod_uid, val);
	} else if (!strcmp(key, "K8S_POD_INFRA_CONTAINER_ID")) {
		if (!cni_containerid_valid(val))
			return err_set(err, -EINVAL, CNI_ERR_INVALID_ENV, NULL,
				       "CNI_ARGS: K8S_POD_INFRA_CONTAINER_ID '%.80s' "
				       "is not a container ID",
				       val);
		strcpy(a->infra_container_id, val);
	} else if (!strcmp(key, "MAC")) {
		if (cni_mac_parse(val, a->mac) < 0)
			return err_set(err, -EINVAL, CNI_ERR_INVALID_ENV, NULL,
				       "CNI_ARGS: MAC '%.80s' is not a unicast MAC address "
				       "(aa:bb:cc:dd:ee:ff)",
				       val);
		a->has_mac = true;
	} else if (!strcmp(key, "IP") || !strcmp(key, "GATEWAY")) {
		/* read by IPAM plugins (static, host-local); passed through in the environment */
	} else {
		return 1; /* unknown */
	}
	return 0;
}

int cni_args_parse(const char *raw, struct cni_args *a, struct cni_err *err)
{
	_cleanup_free_ char *copy = NULL;
	char *save = NULL, *tok;
	char unknown[64] = "";
	int r;

	memset(a, 0, sizeof(*a));
	if (!raw || !*raw)
		return 0;
	if (strlen(raw) > CNI_ARGS_MAX)
		return err_set(err, -E2BIG, CNI_ERR_INVALID_ENV, NULL,
			       "CNI_ARGS is longer than %d bytes", CNI_ARGS_MAX);
	for (const char *p = raw; *p; p++)
		if (iscntrl((unsigned char) *p))
			return err_set(err, -EINVAL, CNI_ERR_INVALID_ENV, NULL,
				       "CNI_ARGS contains a control character");
	copy = strdup(raw);
	if (!copy)
		return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
	for (tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq || eq == tok || strchr(eq + 1, '='))
			return err_set(err, -EINVAL, CNI_ERR_INVALID_ENV, NULL,
				       "CNI_ARGS: '%.80s' is not a KEY=VALUE pair", tok);
		*eq = '\0';
		r = args_value(a, tok, eq + 1, err);
		if (r < 0)
			return r;
		if (r > 0 && !unknown[0])
			(void) snprintf(unknown, sizeof(unknown), "%s", tok);
	}
	if (unknown[0] && !a->ignore_unknown)
		return err_set(err, -EINVAL, CNI_ERR_INVALID_ENV, NULL,
			       "CNI_ARGS: unknown key '%s' (add IgnoreUnknown=true to allow it)",
			       unknown);
	return 0;
}

static const char *env_get(const char *name, size_t max, struct cni_err *err, int *r)
{
	const char *v = getenv(name);

	*r = 0;
	if (v && strlen(v) > max)
		*r = err_set(err, -E2BIG, CNI_ERR_INVALID_ENV, NULL, "%s is longer than %zu bytes",
			     name, max);
	return v;
}

static int command_parse(const char *s, enum cni_command *cmd)
{
	for (unsigned i = CNI_CMD_ADD; i < ARRAY_SIZE(command_names); i++)
		if (s && !strcmp(s, command_names[i])) {
			*cmd = (enum cni_command) i;
			return 0;
		}
	return -EINVAL;
}

int cni_env_parse(struct cni_env *env, struct cni_err *err)
{
	const char *cmd;
	bool per_attachment, needs_netns, needs_path;
	int r;

	memset(env, 0, sizeof(*env));
	cmd = getenv("CNI_COMMAND");
	if (!cmd || !*cmd)
		return err_set(err, -EINVAL, CNI_ERR_INVALID_ENV, NULL,
			       "CNI_COMMAND is not set (expected ADD, DEL, CHECK, "
			       "STATUS, GC or VERSION)");
	if (command_parse(cmd, &env->cmd) < 0)
		return err_set(err, -EINVAL, CNI_ERR_INVALID_ENV, NULL,
			       "CNI_COMMAND '%.32s' is not one of ADD, DEL, "
			       "CHECK, STATUS, GC, VERSION",
			       cmd);
	if (env->cmd == CNI_CMD_VERSION)
		return 0;

	per_attachment =
		env->cmd == CNI_CMD_ADD || env->cmd == CNI_CMD_DEL || env->cmd == CNI_CMD_CHECK;
	needs_netns = env->cmd == CNI_CMD_ADD || env->cmd == CNI_CMD_CHECK;
	needs_path = true;

	env->containerid = env_get("CNI_CONTAINERID", CNI_CONTAINERID_MAX, err, &r);
	if (r < 0)
		return r;
	env->netns = env_get("CNI_NETNS", CNI_NETNS_MAX, err, &r);
	if (r < 0)
		return r;
	env->ifname = getenv("CNI_IFNAME");
	env->args_raw = getenv("CNI_ARGS");
	env->path = env_get("CNI_PATH", CNI_PATH_ENV_MAX, err, &r);
	if (r < 0)
		return r;

	if (per_attachment) {
		if (!env->containerid || !*env->containerid)
			return err_set(err, -EINVAL, CNI_ERR_INVALID_ENV, NULL,
				       "CNI_CONTAINERID is not set");
		if (!cni_containerid_valid(env->containerid))
			return err_set(err, -EINVAL, CNI_ERR_INVALID_ENV, NULL,
				       "CNI_CONTAINERID '%.80s' is invalid: it must match "
				       "^[a-zA-Z0-9][a-zA-Z0-9_.-]*$ and be at most %d characters",
				       env->containerid, CNI_CONTAINERID_MAX);
		if (!env->ifname || !*env->ifname)
			return err_set(err, -EINVAL, CNI_ERR_INVALID_ENV, NULL,
				       "CNI_IFNAME is not set");
		if (!cni_ifname_valid(env->ifname))
			return err_set(err, -EINVAL, CNI_ERR_INVALID_ENV, NULL,
				       "CNI_IFNAME '%.40s' is invalid: at most 15 characters, not "
				       "'.' or '..', without '/', ':', '%%' or whitespace",
				       env->ifname);
	}
	if (needs_netns && (!env->netns || !*env->netns))
		return err_set(err, -EINVAL, CNI_ERR_INVALID_ENV, NULL, "CNI_NETNS is not set");
	if (env->netns && *env->netns && (env->netns[0] != '/' || has_ctl_or_space(env->netns)))
		return err_set(err, -EINVAL, CNI_ERR_INVALID_ENV, NULL,
			       "CNI_NETNS '%.80s' must be an absolute path to a network namespace",
			       env->netns);
	if (needs_path && (!env->path || !*env->path))
		return err_set(err, -EINVAL, CNI_ERR_INVALID_ENV, NULL, "CNI_PATH is not set");
	return cni_args_parse(env->args_raw, &env->args, err);
}

static int version_split(const char *v, unsigned out[3])
{
	const char *p = v;

	if (!v)
		return -EINVAL;
	for (int i = 0; i < 3; i++) {
		unsigned long n = 0;
		int digits = 0;

		for (; *p >= '0' && *p <= '9'; p++, digits++) {
			n = n * 10 + (unsigned long) (*p - '0');
			if (n > 1000)
				return -EINVAL;
		}
		if (!digits || (i < 2 && *p++ != '.'))
			return -EINVAL;
		out[i] = (unsigned) n;
	}
	return *p ? -EINVAL : 0;
}

int cni_version_cmp(const char *a, const char *b)
{
	unsigned x[3], y[3];

	if (version_split(a, x) < 0 || version_split(b, y) < 0)
		return -2;
	for (int i = 0; i < 3; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

bool cni_version_supported(const char *v)
{
	for (int i = 0; cni_supported_versions[i]; i++)
		if (v && !strcmp(v, cni_supported_versions[i]))
			return true;
	return false;
}

/* ok: every member was added; a document missing one is never printed */
static char *print_json(cJSON *root, bool ok)
{
	char *s = root && ok ? cJSON_PrintUnformatted(root) : NULL;

	cJSON_Delete(root);
	return s;
}

char *cni_version_format(const char *requested)
{
	cJSON *root = cJSON_CreateObject(), *arr;
	bool ok;

	if (!root)
		return NULL;
	ok = cJSON_AddStringToObject(root, "cniVersion",
				     cni_version_supported(requested) ? requested :
									CNI_VERSION_LATEST);
	arr = cJSON_AddArrayToObject(root, "supportedVersions");
	ok = ok && arr;
	for (int i = 0; ok && cni_supported_versions[i]; i++)
		ok = cJSON_AddItemToArray(arr, cJSON_CreateString(cni_supported_versions[i]));
	return print_json(root, ok);
}

char *cni_error_format(const struct cni_err *e, const char *version)
{
	cJSON *root = cJSON_CreateObject();
	bool ok;

	if (!root)
		return NULL;
	ok = cJSON_AddStringToObject(root, "cniVersion",
				     cni_version_supported(version) ? version :
								      CNI_VERSION_LATEST) &&
	     cJSON_AddNumberToObject(root, "code", e->code ? e->code : RDMANET_ERR_INTERNAL) &&
	     cJSON_AddStringToObject(root, "msg", e->msg[0] ? e->msg : "unknown error") &&
	     (!e->details[0] || cJSON_AddStringToObject(root, "details", e->details));
	return print_json(root, ok);
}

static int bad(struct cni_err *err, int code, const char *what, const char *field, const char *why)
{
	return err_set(err, -EINVAL, code, NULL, "%s: %s %s", what, field, why);
}

static int opt_int(const cJSON *o, const char *key, int lo, int hi, int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*out = -1;
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi ||
	    v->valuedouble != (double) (int) v->valuedouble)
		return -EINVAL;
	*out = (int) v->valuedouble;
	return 0;
}

/* An optional gateway: absent or null is fine, else an address of the given family. */
static int opt_gw(const cJSON *gw, int family, unsigned char out[16], bool *has)
{
	int f;

	*has = false;
	if (!gw || cJSON_IsNull(gw))
		return 0;
	if (!cJSON_IsString(gw) || cidr_addr_parse(gw->valuestring, &f, out) < 0 || f != family)
		return -EINVAL;
	*has = true;
	return 0;
}

static int parse_ifaces(const cJSON *arr, const char *what, int code, struct cni_result *res,
			struct cni_err *err)
{
	const cJSON *it;

	if (!arr)
		return 0;
	if (!cJSON_IsArray(arr))
		return bad(err, code, what, "'interfaces'", "must be an array");
	cJSON_ArrayForEach(it, arr) {
		struct cni_iface *f;
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
		const cJSON *mac = cJSON_GetObjectItemCaseSensitive(it, "mac");
		const cJSON *sb = cJSON_GetObjectItemCaseSensitive(it, "sandbox");
		const cJSON *pci = cJSON_GetObjectItemCaseSensitive(it, "pciID");
		int mtu;

		if (res->n_ifaces >= CNI_MAX_IFACES)
			return bad(err, code, what, "'interfaces'", "has too many entries");
		if (!cJSON_IsObject(it) || !cJSON_IsString(name) ||
		    !cni_ifname_valid(name->valuestring))
			return bad(err, code, what, "'interfaces[].name'",
				   "must be a valid interface name");
		if (mac && (!cJSON_IsString(mac) || strlen(mac->valuestring) >= sizeof(f->mac)))
			return bad(err, code, what, "'interfaces[].mac'", "must be a string");
		if (sb && (!cJSON_IsString(sb) || strlen(sb->valuestring) > CNI_NETNS_MAX))
			return bad(err, code, what, "'interfaces[].sandbox'", "must be a path");
		if (opt_int(it, "mtu", 0, 65535, &mtu) < 0)
			return bad(err, code, what, "'interfaces[].mtu'", "must be 0-65535");
		if (pci && (!cJSON_IsString(pci) || strlen(pci->valuestring) >= sizeof(f->pci_id)))
			return bad(err, code, what, "'interfaces[].pciID'",
				   "must be a PCI address");
		f = &res->ifaces[res->n_ifaces++];
		if (pci)
			strcpy(f->pci_id, pci->valuestring);
		strcpy(f->name, name->valuestring);
		if (mac)
			strcpy(f->mac, mac->valuestring);
		if (sb && !(f->sandbox = strdup(sb->valuestring)))
			return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
		f->mtu = mtu > 0 ? (unsigned) mtu : 0;
	}
	return 0;
}

static int parse_ips(const cJSON *arr, const char *what, int code, struct cni_result *res,
		     struct cni_err *err)
{
	const cJSON *it;

	if (!arr)
		return 0;
	if (!cJSON_IsArray(arr))
		return bad(err, code, what, "'ips'", "must be an array");
	cJSON_ArrayForEach(it, arr) {
		const cJSON *addr = cJSON_GetObjectItemCaseSensitive(it, "address");
		const cJSON *gw = cJSON_GetObjectItemCaseSensitive(it, "gateway");
		const cJSON *ver = cJSON_GetObjectItemCaseSensitive(it, "version");
		struct cni_ip *ip;

		if (res->n_ips >= CNI_MAX_IPS)
			return bad(err, code, what, "'ips'", "has too many entries");
		ip = &res->ips[res->n_ips];
		if (!cJSON_IsObject(it) || !cJSON_IsString(addr) ||
		    cidr_parse(addr->valuestring, &ip->family, ip->addr, &ip->prefixlen, NULL, 0) <
			    0)
			return bad(err, code, what, "'ips[].address'",
				   "must be an IP address in CIDR form");
		if (opt_gw(gw, ip->family, ip->gw, &ip->has_gw) < 0)
			return bad(err, code, what, "'ips[].gateway'",
				   "must be an IP address of the same family as the address");
		if (ver && (!cJSON_IsString(ver) ||
			    strcmp(ver->valuestring, ip->family == AF_INET ? "4" : "6")))
			return bad(err, code, what, "'ips[].version'",
				   "does not match the address family");
		if (opt_int(it, "interface", 0, CNI_MAX_IFACES - 1, &ip->iface) < 0)
			return bad(err, code, what, "'ips[].interface'",
				   "must be a small interface index");
		res->n_ips++;
	}
	return 0;
}

static int parse_routes(const cJSON *arr, const char *what, int code, struct cni_result *res,
			struct cni_err *err)
{
	const cJSON *it;

	if (!arr)
		return 0;
	if (!cJSON_IsArray(arr))
		return bad(err, code, what, "'routes'", "must be an array");
	cJSON_ArrayForEach(it, arr) {
		const cJSON *dst = cJSON_GetObjectItemCaseSensitive(it, "dst");
		const cJSON *gw = cJSON_GetObjectItemCaseSensitive(it, "gw");
		struct cni_route *rt;

		if (res->n_routes >= CNI_MAX_ROUTES)
			return bad(err, code, what, "'routes'", "has too many entries");
		rt = &res->routes[res->n_routes];
		if (!cJSON_IsObject(it) || !cJSON_IsString(dst) ||
		    cidr_parse(dst->valuestring, &rt->family, rt->dst, &rt->dst_len, NULL, 0) < 0)
			return bad(err, code, what, "'routes[].dst'", "must be a CIDR");
		if (opt_gw(gw, rt->family, rt->gw, &rt->has_gw) < 0)
			return bad(err, code, what, "'routes[].gw'",
				   "must be an IP address of the destination's family");
		if (opt_int(it, "mtu", 0, 65535, &rt->mtu) < 0 ||
		    opt_int(it, "advmss", 0, 65535, &rt->advmss) < 0 ||
		    opt_int(it, "priority", 0, 0x7fffffff, &rt->priority) < 0 ||
		    opt_int(it, "table", 0, 0x7fffffff, &rt->table) < 0 ||
		    opt_int(it, "scope", 0, 255, &rt->scope) < 0)
			return bad(err, code, what, "'routes[]'",
				   "has an out-of-range mtu, advmss, priority, table or scope");
		res->n_routes++;
	}
	return 0;
}

int cni_result_parse(const cJSON *j, const char *what, int code, struct cni_result *res,
		     struct cni_err *err)
{
	const cJSON *dns;
	int r;

	memset(res, 0, sizeof(*res));
	if (!cJSON_IsObject(j))
		return bad(err, code, what, "", "is not a JSON object");
	r = parse_ifaces(cJSON_GetObjectItemCaseSensitive(j, "interfaces"), what, code, res, err);
	if (r >= 0)
		r = parse_ips(cJSON_GetObjectItemCaseSensitive(j, "ips"), what, code, res, err);
	if (r >= 0)
		r = parse_routes(cJSON_GetObjectItemCaseSensitive(j, "routes"), what, code, res,
				 err);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < res->n_ips; i++)
		if (res->ips[i].iface >= (int) res->n_ifaces && res->n_ifaces)
			return bad(err, code, what, "'ips[].interface'",
				   "points past 'interfaces'");
	dns = cJSON_GetObjectItemCaseSensitive(j, "dns");
	if (dns) {
		if (!cJSON_IsObject(dns))
			return bad(err, code, what, "'dns'", "must be an object");
		res->dns = cJSON_Duplicate(dns, true);
		if (!res->dns)
			return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
	}
	return 0;
}

void cni_result_free(struct cni_result *res)
{
	for (unsigned i = 0; i < res->n_ifaces; i++) {
		free(res->ifaces[i].sandbox);
		res->ifaces[i].sandbox = NULL;
	}
	cJSON_Delete(res->dns);
	res->dns = NULL;
}

static bool add_addr(cJSON *o, const char *key, int family, const unsigned char *a, int prefixlen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	size_t n;

	if (!inet_ntop(family, a, buf, INET6_ADDRSTRLEN))
		return false;
	n = strlen(buf);
	if (prefixlen >= 0)
		(void) snprintf(buf + n, sizeof(buf) - n, "/%d", prefixlen);
	return cJSON_AddStringToObject(o, key, buf);
}

static bool add_opt_int(cJSON *o, const char *key, int v)
{
	return v < 0 || cJSON_AddNumberToObject(o, key, v);
}

char *cni_result_format(const struct cni_result *res, const char *version)
{
	_cleanup_(cJSON_Deletep) cJSON *root = cJSON_CreateObject();
	bool v1 = cni_version_cmp(version, "1.0.0") >= 0;
	bool v11 = cni_version_cmp(version, "1.1.0") >= 0;
	bool ok = true; /* every member added: print nothing rather than a partial result */
	cJSON *arr, *o;

	if (!root || !cJSON_AddStringToObject(root, "cniVersion", version))
		return NULL;
	if (res->n_ifaces) {
		if (!(arr = cJSON_AddArrayToObject(root, "interfaces")))
			return NULL;
		for (unsigned i = 0; i < res->n_ifaces; i++) {
			const struct cni_iface *f = &res->ifaces[i];

			if (!(o = cJSON_CreateObject()) || !cJSON_AddItemToArray(arr, o))
				return NULL;
			ok &= cJSON_AddStringToObject(o, "name", f->name) != NULL;
			if (f->mac[0])
				ok &= cJSON_AddStringToObject(o, "mac", f->mac) != NULL;
			if (v11 && f->mtu)
				ok &= cJSON_AddNumberToObject(o, "mtu", f->mtu) != NULL;
			if (f->sandbox)
				ok &= cJSON_AddStringToObject(o, "sandbox", f->sandbox) != NULL;
			if (v11 && f->pci_id[0])
				ok &= cJSON_AddStringToObject(o, "pciID", f->pci_id) != NULL;
		}
	}
	if (res->n_ips) {
		if (!(arr = cJSON_AddArrayToObject(root, "ips")))
			return NULL;
		for (unsigned i = 0; i < res->n_ips; i++) {
			const struct cni_ip *ip = &res->ips[i];

			if (!(o = cJSON_CreateObject()) || !cJSON_AddItemToArray(arr, o))
				return NULL;
			if (!v1)
				ok &= cJSON_AddStringToObject(o, "version",
							      ip->family == AF_INET ? "4" : "6") !=
				      NULL;
			if (ip->iface >= 0)
				ok &= cJSON_AddNumberToObject(o, "interface", ip->iface) != NULL;
			ok &= add_addr(o, "address", ip->family, ip->addr, (int) ip->prefixlen);
			if (ip->has_gw)
				ok &= add_addr(o, "gateway", ip->family, ip->gw, -1);
		}
	}
	if (res->n_routes) {
		if (!(arr = cJSON_AddArrayToObject(root, "routes")))
			return NULL;
		for (unsigned i = 0; i < res->n_routes; i++) {
			const struct cni_route *rt = &res->routes[i];

			if (!(o = cJSON_CreateObject()) || !cJSON_AddItemToArray(arr, o))
				return NULL;
			ok &= add_addr(o, "dst", rt->family, rt->dst, (int) rt->dst_len);
			if (rt->has_gw)
				ok &= add_addr(o, "gw", rt->family, rt->gw, -1);
			if (v11)
				ok &= add_opt_int(o, "mtu", rt->mtu) &&
				      add_opt_int(o, "advmss", rt->advmss) &&
				      add_opt_int(o, "priority", rt->priority) &&
				      add_opt_int(o, "table", rt->table) &&
				      add_opt_int(o, "scope", rt->scope);
		}
	}
	o = res->dns ? cJSON_Duplicate(res->dns, true) : cJSON_CreateObject();
	if (!o || !cJSON_AddItemToObject(root, "dns", o)) {
		cJSON_Delete(o);
		return NULL;
	}
	return ok ? cJSON_PrintUnformatted(root) : NULL;
}

int cni_read_stdin(char **buf, size_t *len)
{
	size_t cap = 0, n = 0;
	char *p = NULL;

	if (isatty(STDIN_FILENO)) {
		*buf = NULL;
		*len = 0;
		return 0;
	}
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *grown;

			if (cap > CNI_STDIN_MAX) {
				free(p);
				return -E2BIG;
			}
			cap = cap ? cap * 2 : 16384;
			grown = realloc(p, cap + 1);
			if (!grown) {
				free(p);
				return -ENOMEM;
			}
			p = grown;
		}
		r = read(STDIN_FILENO, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(p);
			return -errno;
		}
		if (r == 0)
			break;
		n += (size_t) r;
	}
	if (p)
		p[n] = '\0';
	*buf = p;
	*len = n;
	return 0;
}
