/* SPDX-License-Identifier: Apache-2.0 */
/* config.c - cJSON -> struct config with all validation (pure code; a fuzz target). */
#include <ctype.h>
#include <errno.h>
#include <linux/if_link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rdmanet/cidr.h"
#include "rdmanet/cleanup.h"
#include "rdmanet/config.h"
#include "rdmanet/log.h"
#include "rdmanet/strv.h"

static const struct {
	const char *name;
	uint32_t mode;
} macvlan_modes[] = {
	{ "bridge", MACVLAN_MODE_BRIDGE },
	{ "private", MACVLAN_MODE_PRIVATE },
	{ "vepa", MACVLAN_MODE_VEPA },
	{ "passthru", MACVLAN_MODE_PASSTHRU },
};

static const char *const link_names[] = {
	[LINK_AUTO] = "auto",
	[LINK_MACVLAN] = "macvlan",
	[LINK_HOSTDEV] = "hostdev",
	[LINK_IPOIB] = "ipoib",
};

const char *config_ipoib_mode_name(int mode)
{
	return mode == IPOIB_MODE_CONNECTED ? "connected" :
	       mode == IPOIB_MODE_DATAGRAM  ? "datagram" :
					      "?";
}

unsigned config_ipoib_mtu_max(int mode)
{
	return mode == IPOIB_MODE_CONNECTED ? 65520 : 4092;
}

int config_pkey_parse(const char *s, int *pkey)
{
	unsigned long v;
	char *end;

	bool hex = s && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	const char *digits = hex ? s + 2 : s;

	if (!s || !*digits || strlen(s) > 8)
		return -EINVAL;
	/* strtoul alone would take blanks and a sign after "0x" */
	for (const char *c = digits; *c; c++)
		if (hex ? !isxdigit((unsigned char) *c) : !isdigit((unsigned char) *c))
			return -EINVAL;
	errno = 0;
	v = strtoul(digits, &end, hex ? 16 : 10);
	if (errno || *end || v > 0xffff || !(v & 0x7fff))
		return -EINVAL;
	*pkey = (int) (v | 0x8000);
	return 0;
}

static const char *const rdma_mode_names[] = {
	[RDMA_MODE_AUTO] = "auto",
	[RDMA_MODE_EXCLUSIVE] = "exclusive",
	[RDMA_MODE_SHARED] = "shared",
	[RDMA_MODE_NONE] = "none",
};

const char *config_rdma_mode_name(enum rdma_mode mode)
{
	return mode < ARRAY_SIZE(rdma_mode_names) ? rdma_mode_names[mode] : "?";
}

bool config_device_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > CONFIG_DEVICE_ID_MAX || !isalnum((unsigned char) s[0]) || strstr(s, ".."))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char) *s) && !strchr(":._-", *s))
			return false;
	return true;
}

const char *config_link_name(enum link_kind kind)
{
	return kind < ARRAY_SIZE(link_names) ? link_names[kind] : "?";
}

const char *config_macvlan_mode_name(uint32_t mode)
{
	for (size_t i = 0; i < ARRAY_SIZE(macvlan_modes); i++)
		if (macvlan_modes[i].mode == mode)
			return macvlan_modes[i].name;
	return "?";
}

int config_invalid(struct cni_err *err, const char *field, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	(void) vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return err_set(err, -EINVAL, CNI_ERR_INVALID_CONFIG, NULL,
		       "invalid network config: '%s' %s", field, why);
}

int config_string(const cJSON *obj, const char *key, const char *field, size_t max,
		  const char **out, struct cni_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return config_invalid(err, field, "must be a string");
	if (strlen(v->valuestring) > max) {
		char why[64];
		(void) snprintf(why, sizeof(why), "is longer than %zu characters", max);
		return config_invalid(err, field, "%s", why);
	}
	*out = v->valuestring;
	return 0;
}

bool config_network_name_valid(const char *s)
{
	if (!isalnum((unsigned char) s[0]))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char) *s) && !strchr("_.-", *s))
			return false;
	return true;
}

static bool plugin_type_valid(const char *s)
{
	if (!*s || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char) *s) && !strchr("_.-", *s))
			return false;
	return true;
}

int config_peek_version(const char *buf, size_t len, char out[CNI_VERSION_MAX])
{
	cJSON *root, *v;

	out[0] = '\0';
	if (!buf || !len)
		return 0;
	if (len > CONFIG_STDIN_MAX)
		return -E2BIG;
	root = cJSON_ParseWithLength(buf, len);
	if (!root)
		return -EINVAL;
	v = cJSON_GetObjectItemCaseSensitive(root, "cniVersion");
	if (cJSON_IsString(v) && strlen(v->valuestring) < CNI_VERSION_MAX)
		strcpy(out, v->valuestring);
	cJSON_Delete(root);
	return 0;
}

static int parse_runtime_config(const cJSON *root, struct config *cfg, struct cni_err *err)
{
	const cJSON *rc = cJSON_GetObjectItemCaseSensitive(root, "runtimeConfig");
	const cJSON *ips, *it;
	const char *mac, *s;
	int r;

	if (!rc || cJSON_IsNull(rc))
		return 0;
	if (!cJSON_IsObject(rc))
		return config_invalid(err, "runtimeConfig", "must be an object");
	r = config_string(rc, "mac", "runtimeConfig.mac", 17, &mac, err);
	if (r < 0)
		return r;
	if (mac) {
		if (cni_mac_parse(mac, cfg->mac) < 0)
			return config_invalid(err, "runtimeConfig.mac",
					      "'%s' is not a unicast MAC address "
					      "(aa:bb:cc:dd:ee:ff)",
					      mac);
		cfg->has_mac = true;
	}
	r = config_string(rc, "deviceID", "runtimeConfig.deviceID", CONFIG_DEVICE_ID_MAX, &s, err);
	if (r < 0)
		return r;
	if (s && *s) {
		if (!config_device_id_valid(s))
			return config_invalid(err, "runtimeConfig.deviceID",
					      "'%s' is not a PCI address (0000:3b:00.2) or "
					      "auxiliary device (mlx5_core.sf.2)",
					      s);
		strcpy(cfg->device_id, s);
	}
	r = config_string(rc, "CNIDeviceInfoFile", "runtimeConfig.CNIDeviceInfoFile",
			  sizeof(cfg->devinfo_file) - 1, &s, err);
	if (r < 0)
		return r;
	if (s && *s) {
		if (s[0] != '/' || strstr(s, "/../") || strstr(s, "/./"))
			return config_invalid(err, "runtimeConfig.CNIDeviceInfoFile",
					      "'%s' must be an absolute path without "
					      "'.' or '..' components",
					      s);
		strcpy(cfg->devinfo_file, s);
	}
	ips = cJSON_GetObjectItemCaseSensitive(rc, "ips");
	if (ips && !cJSON_IsNull(ips)) {
		if (!cJSON_IsArray(ips))
			return config_invalid(err, "runtimeConfig.ips",
					      "must be an array of CIDRs");
		if (!cfg->has_ipam)
			return config_invalid(err, "runtimeConfig.ips",
					      "needs an 'ipam' section whose "
					      "plugin takes static IPs");
		cJSON_ArrayForEach(it, ips) {
			int family;
			unsigned char a[16];
			unsigned plen;

			if (!cJSON_IsString(it) ||
			    (cidr_parse(it->valuestring, &family, a, &plen, NULL, 0) < 0 &&
			     cidr_addr_parse(it->valuestring, &family, a) < 0))
				return config_invalid(err, "runtimeConfig.ips",
						      "entries must be IP addresses or CIDRs");
		}
	}
	return 0;
}

static int parse_ipam(const cJSON *root, struct config *cfg, struct cni_err *err)
{
	const cJSON *ipam = cJSON_GetObjectItemCaseSensitive(root, "ipam");
	const char *type;
	int r;

	if (!ipam || cJSON_IsNull(ipam))
		return 0;
	if (!cJSON_IsObject(ipam))
		return config_invalid(err, "ipam", "must be an object");
	if (!cJSON_GetArraySize(ipam))
		return 0; /* "ipam": {} is L2-only, as with the reference plugins */
	r = config_string(ipam, "type", "ipam.type", sizeof(cfg->ipam_type) - 1, &type, err);
	if (r < 0)
		return r;
	if (!type || !*type)
		return config_invalid(err, "ipam.type", "is required when 'ipam' is set");
	if (!plugin_type_valid(type))
		return config_invalid(err, "ipam.type",
				      "'%s' is not a plugin name (letters, digits, _ . -)", type);
	strcpy(cfg->ipam_type, type);
	cfg->has_ipam = true;
	return 0;
}

static int parse_ipam_timeout(const cJSON *root, struct config *cfg, struct cni_err *err)
{
	const cJSON *tmo = cJSON_GetObjectItemCaseSensitive(root, "ipamTimeoutSeconds");

	if (!tmo || cJSON_IsNull(tmo))
		return 0;
	if (!cJSON_IsNumber(tmo) || tmo->valuedouble < 1 || tmo->valuedouble > 600)
		return config_invalid(err, "ipamTimeoutSeconds", "must be a number from 1 to 600");
	cfg->ipam_timeout_ms = (unsigned) (tmo->valuedouble * 1000);
	return 0;
}

static int parse_link(const cJSON *root, struct config *cfg, struct cni_err *err)
{
	const char *link, *mode, *master;
	const cJSON *mtu;
	int r;

	r = config_string(root, "master", "master", IF_NAMESIZE - 1, &master, err);
	if (r < 0)
		return r;
	if (master) {
		if (!cni_ifname_valid(master))
			return config_invalid(err, "master", "'%s' is not a valid interface name",
					      master);
		strcpy(cfg->master, master);
	}
	r = config_string(root, "link", "link", 32, &link, err);
	if (r < 0)
		return r;
	cfg->link = LINK_AUTO;
	if (link && !strcmp(link, "macvlan"))
		cfg->link = LINK_MACVLAN;
	else if (link && !strcmp(link, "hostdev"))
		cfg->link = LINK_HOSTDEV;
	else if (link && !strcmp(link, "ipoib"))
		cfg->link = LINK_IPOIB;
	else if (link && strcmp(link, "auto"))
		return config_invalid(err, "link",
				      "'%s' is not supported: use 'auto' (the default), 'macvlan', "
				      "'ipoib' or 'hostdev'",
				      link);

	r = config_string(root, "mode", "mode", 16, &mode, err);
	if (r < 0)
		return r;
	cfg->macvlan_mode = MACVLAN_MODE_BRIDGE;
	if (mode) {
		size_t i;
		for (i = 0; i < ARRAY_SIZE(macvlan_modes); i++)
			if (!strcmp(mode, macvlan_modes[i].name))
				break;
		if (i == ARRAY_SIZE(macvlan_modes))
			return config_invalid(err, "mode",
					      "'%s' is not a macvlan mode: use bridge, private, "
					      "vepa or passthru",
					      mode);
		cfg->macvlan_mode = macvlan_modes[i].mode;
	}

	mtu = cJSON_GetObjectItemCaseSensitive(root, "mtu");
	if (mtu && !cJSON_IsNull(mtu)) {
		/* range first: casting a double outside int's range is undefined */
		if (!cJSON_IsNumber(mtu) || mtu->valuedouble < 0 || mtu->valuedouble > 65535 ||
		    mtu->valuedouble != (double) (int) mtu->valuedouble ||
		    (mtu->valueint != 0 && mtu->valueint < 68))
			return config_invalid(err, "mtu",
					      "must be an integer from 68 to 65535 (0: "
					      "inherit from master)");
		cfg->mtu = (unsigned) mtu->valueint;
	}
	return 0;
}

/* rdma: {"device": "mlx5_0", "mode": "auto|exclusive|shared|none"}; deviceID from Multus. */
static int parse_rdma(const cJSON *root, struct config *cfg, struct cni_err *err)
{
	const cJSON *rdma = cJSON_GetObjectItemCaseSensitive(root, "rdma"), *it;
	const char *s;
	int r;

	/* Multus puts the device plugin's device at the top level for NADs with a resourceName */
	for (size_t i = 0; i < 2 && !cfg->device_id[0]; i++) {
		const char *key = i ? "pciBusID" : "deviceID";

		r = config_string(root, key, key, CONFIG_DEVICE_ID_MAX, &s, err);
		if (r < 0)
			return r;
		if (!s || !*s)
			continue;
		if (!config_device_id_valid(s))
			return config_invalid(err, key,
					      "'%s' is not a PCI address (0000:3b:00.2) or "
					      "auxiliary device (mlx5_core.sf.2)",
					      s);
		strcpy(cfg->device_id, s);
	}
	cfg->rdma_mode = RDMA_MODE_AUTO;
	if (!rdma || cJSON_IsNull(rdma))
		return 0;
	if (!cJSON_IsObject(rdma))
		return config_invalid(err, "rdma",
				      "must be an object such as {\"mode\": \"auto\"}");
	cJSON_ArrayForEach(it, rdma)
		if (strcmp(it->string, "device") && strcmp(it->string, "mode"))
			return config_invalid(err, "rdma",
					      "has unknown key '%.32s': use 'device' and 'mode'",
					      it->string);
	r = config_string(rdma, "device", "rdma.device", CONFIG_RDMADEV_MAX, &s, err);
	if (r < 0)
		return r;
	if (s && *s) {
		for (const char *c = s; *c; c++)
			if (!isalnum((unsigned char) *c) && !strchr("_.-", *c))
				return config_invalid(err, "rdma.device",
						      "'%s' is not an RDMA device name "
						      "(letters, digits, _ . -)",
						      s);
		if (s[0] == '.')
			return config_invalid(err, "rdma.device", "'%s' is not an RDMA device name",
					      s);
		strcpy(cfg->rdma_device, s);
	}
	r = config_string(rdma, "mode", "rdma.mode", 16, &s, err);
	if (r < 0)
		return r;
	if (s && *s) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(rdma_mode_names); i++)
			if (!strcmp(s, rdma_mode_names[i]))
				break;
		if (i == ARRAY_SIZE(rdma_mode_names))
			return config_invalid(err, "rdma.mode",
					      "'%s' is not one of auto, exclusive, shared, none",
					      s);
		cfg->rdma_mode = (enum rdma_mode) i;
	}
	if (cfg->rdma_mode == RDMA_MODE_NONE && cfg->rdma_device[0])
		return config_invalid(err, "rdma.device", "makes no sense with rdma.mode 'none'");
	if (cfg->rdma_mode == RDMA_MODE_EXCLUSIVE &&
	    (cfg->link == LINK_MACVLAN || cfg->link == LINK_IPOIB))
		return config_invalid(err, "rdma.mode",
				      "'exclusive' needs link 'hostdev': in exclusive mode an RDMA "
				      "device lives in one netns, so a macvlan child cannot share "
				      "its parent's device (use 'shared' or 'auto')");
	return 0;
}

/* pkey, ipoibMode, umcast: IPoIB children only, each inherited from the parent when unset. */
static int parse_ipoib(const cJSON *root, struct config *cfg, struct cni_err *err)
{
	const cJSON *pk = cJSON_GetObjectItemCaseSensitive(root, "pkey");
	const cJSON *um = cJSON_GetObjectItemCaseSensitive(root, "umcast");
	const char *mode;
	int r;

	cfg->pkey = cfg->ipoib_mode = cfg->umcast = -1;
	if (pk && !cJSON_IsNull(pk)) {
		char buf[32];

		if (cJSON_IsNumber(pk)) {
			if (pk->valuedouble < 0 || pk->valuedouble > 0xffff ||
			    pk->valuedouble != (double) (int) pk->valuedouble)
				return config_invalid(err, "pkey",
						      "must be a P_Key from 0x0001 to 0xffff");
			(void) snprintf(buf, sizeof(buf), "%d", pk->valueint);
		} else if (cJSON_IsString(pk) && strlen(pk->valuestring) < sizeof(buf)) {
			strcpy(buf, pk->valuestring);
		} else {
			return config_invalid(err, "pkey",
					      "must be a P_Key such as \"0x8001\" or 32769");
		}
		if (config_pkey_parse(buf, &cfg->pkey) < 0)
			return config_invalid(err, "pkey",
					      "'%.16s' is not a P_Key: hex (0x8001) or decimal "
					      "from 1 to 0xffff; 0 and 0x8000 name no partition",
					      buf);
	}
	r = config_string(root, "ipoibMode", "ipoibMode", 16, &mode, err);
	if (r < 0)
		return r;
	if (mode && *mode) {
		if (!strcmp(mode, "datagram"))
			cfg->ipoib_mode = IPOIB_MODE_DATAGRAM;
		else if (!strcmp(mode, "connected"))
			cfg->ipoib_mode = IPOIB_MODE_CONNECTED;
		else
			return config_invalid(err, "ipoibMode",
					      "'%s' is not 'datagram' or 'connected'", mode);
	}
	if (um && !cJSON_IsNull(um)) {
		if (cJSON_IsBool(um))
			cfg->umcast = cJSON_IsTrue(um);
		else if (cJSON_IsNumber(um) && (um->valuedouble == 0 || um->valuedouble == 1))
			cfg->umcast = um->valueint;
		else
			return config_invalid(err, "umcast", "must be true or false");
	}
	if ((cfg->pkey >= 0 || cfg->ipoib_mode >= 0 || cfg->umcast >= 0) &&
	    (cfg->link == LINK_MACVLAN || cfg->link == LINK_HOSTDEV))
		return config_invalid(err,
				      cfg->pkey >= 0       ? "pkey" :
				      cfg->ipoib_mode >= 0 ? "ipoibMode" :
							     "umcast",
				      "applies to IPoIB children only, not link '%s'",
				      config_link_name(cfg->link));
	if (cfg->ipoib_mode >= 0 && cfg->mtu > config_ipoib_mtu_max(cfg->ipoib_mode))
		return config_invalid(
			err, "mtu",
			"%u is above %u, the largest MTU of an IPoIB child in %s mode%s", cfg->mtu,
			config_ipoib_mtu_max(cfg->ipoib_mode),
			config_ipoib_mode_name(cfg->ipoib_mode),
			cfg->ipoib_mode == IPOIB_MODE_DATAGRAM ?
				" (the 4096-byte IB MTU minus the 4-byte IPoIB header)" :
				"");
	return 0;
}

int config_logging(const cJSON *obj, const char *fkey, const char *ffield, const char *lkey,
		   const char *lfield, char file[CONFIG_PATH_MAX], int *level, struct cni_err *err)
{
	const char *f, *l;
	int r;

	file[0] = '\0';
	*level = -1;
	r = config_string(obj, fkey, ffield, CONFIG_PATH_MAX - 1, &f, err);
	if (r < 0)
		return r;
	if (f && *f) {
		if (f[0] != '/')
			return config_invalid(err, ffield, "'%s' must be an absolute path", f);
		strcpy(file, f);
	}
	r = config_string(obj, lkey, lfield, 16, &l, err);
	if (r < 0)
		return r;
	if (l && *l) {
		*level = log_level_parse(l);
		if (*level < 0)
			return config_invalid(err, lfield,
					      "'%s' is not one of error, warn, info, debug", l);
	}
	return 0;
}

const char *config_routing_name(enum routing routing)
{
	return routing == ROUTING_MAIN ? "main" : "table";
}

/* An integer field from lo to hi; absent or null keeps *out. */
static int int_field(const cJSON *root, const char *key, int lo, int hi, int *out,
		     struct cni_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);

	if (!v || cJSON_IsNull(v))
		return 0;
	/* range first: casting a double outside int's range is undefined */
	if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi ||
	    v->valuedouble != (double) (int) v->valuedouble)
		return config_invalid(err, key, "must be an integer from %d to %d", lo, hi);
	*out = v->valueint;
	return 0;
}

/*
 * routing: "table" (default) or "main"; arpIgnore (0-3 or 8), arpAnnounce (0-2), rpFilter (0-2),
 * defaults 1, 2, 2: with several interfaces in one subnet each answers ARP for its own addresses
 * only, announces from the address the packet leaves with, and accepts replies that return on
 * another rail.
 */
static int parse_routing(const cJSON *root, struct config *cfg, struct cni_err *err)
{
	const char *routing;
	int r;

	r = config_string(root, "routing", "routing", 16, &routing, err);
	if (r < 0)
		return r;
	cfg->routing = ROUTING_TABLE;
	if (routing && !strcmp(routing, "main"))
		cfg->routing = ROUTING_MAIN;
	else if (routing && strcmp(routing, "table"))
		return config_invalid(err, "routing",
				      "'%s' is not supported: use 'table' (the default: the "
				      "attachment's own routing table, used for traffic from its "
				      "addresses) or 'main'",
				      routing);
	cfg->arp_ignore = 1;
	cfg->arp_announce = 2;
	cfg->rp_filter = 2;
	if ((r = int_field(root, "arpIgnore", 0, 8, &cfg->arp_ignore, err)) < 0 ||
	    (r = int_field(root, "arpAnnounce", 0, 2, &cfg->arp_announce, err)) < 0 ||
	    (r = int_field(root, "rpFilter", 0, 2, &cfg->rp_filter, err)) < 0)
		return r;
	if (cfg->arp_ignore > 3 && cfg->arp_ignore != 8)
		return config_invalid(err, "arpIgnore",
				      "must be 0, 1, 2, 3 or 8 (see the kernel's "
				      "ip-sysctl documentation)");
	return 0;
}

static int parse_gc(const cJSON *root, struct config *cfg, struct cni_err *err)
{
	const cJSON *va = cJSON_GetObjectItemCaseSensitive(root, "cni.dev/valid-attachments");
	const cJSON *it;

	if (!va || cJSON_IsNull(va))
		return 0;
	if (!cJSON_IsArray(va))
		return config_invalid(err, "cni.dev/valid-attachments", "must be an array");
	cJSON_ArrayForEach(it, va) {
		const cJSON *cid = cJSON_GetObjectItemCaseSensitive(it, "containerID");
		const cJSON *ifn = cJSON_GetObjectItemCaseSensitive(it, "ifname");

		if (!cJSON_IsObject(it) || !cJSON_IsString(cid) || !cJSON_IsString(ifn))
			return config_invalid(err, "cni.dev/valid-attachments",
					      "entries must be objects with string "
					      "'containerID' and 'ifname'");
	}
	cfg->valid_attachments = va;
	return 0;
}

/*
 * Bytes cJSON accepts but Go's encoding/json (runtimes, IPAM plugins) would not read the same:
 * raw control characters, and "\u0000", which cJSON's C strings silently cut at. What we
 * validate must be what the IPAM plugin reads.
 */
static int check_bytes(const char *buf, size_t len, struct cni_err *err)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char) buf[i];
		size_t bs = 0;

		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			return err_set(err, 0, CNI_ERR_DECODE, NULL,
				       "network configuration contains a control "
				       "character at byte %zu",
				       i);
		if (c != '\\' || len - i < 6 || memcmp(buf + i + 1, "u0000", 5))
			continue;
		for (size_t j = i; j > 0 && buf[j - 1] == '\\'; j--)
			bs++;
		if (bs % 2 == 0)
			return err_set(err, 0, CNI_ERR_DECODE, NULL,
				       "network configuration contains \"\\u0000\" at byte %zu: "
				       "NUL is not allowed in strings",
				       i);
	}
	return 0;
}

/*
 * cJSON keeps every duplicate and finds the first, Go's decoder keeps the last: with two "ipam"
 * keys we would check one and the IPAM read the other. Sorted keys per object: O(n log n).
 */
static int check_duplicates(const cJSON *node, struct cni_err *err)
{
	const cJSON *c;
	size_t n = 0, i = 0;

	cJSON_ArrayForEach(c, node) {
		int r = check_duplicates(c, err);
		if (r < 0)
			return r;
		n++;
	}
	if (!cJSON_IsObject(node) || n < 2)
		return 0;
	_cleanup_free_ const char **keys = malloc(n * sizeof(*keys));
	if (!keys)
		return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
	cJSON_ArrayForEach(c, node)
		keys[i++] = c->string;
	qsort(keys, n, sizeof(*keys), strv_cmp);
	for (i = 1; i < n; i++)
		if (!strcmp(keys[i - 1], keys[i]))
			return err_set(err, 0, CNI_ERR_DECODE, NULL,
				       "network configuration has the key "
				       "'%.64s' twice in one object",
				       keys[i]);
	return 0;
}

int config_document(const char *buf, size_t len, cJSON **root, char version[CNI_VERSION_MAX],
		    struct cni_err *err)
{
	const char *end = NULL;
	const cJSON *v;
	int r;

	*root = NULL;
	version[0] = '\0';
	if (!buf || !len)
		return err_set(err, -EINVAL, CNI_ERR_DECODE, NULL,
			       "no network configuration on stdin");
	if (len > CONFIG_STDIN_MAX)
		return err_set(err, -E2BIG, CNI_ERR_DECODE, CNI_STDIN_TOO_BIG_DETAILS,
			       CNI_STDIN_TOO_BIG_MSG, CONFIG_STDIN_MAX);
	r = check_bytes(buf, len, err);
	if (r < 0)
		return r;
	*root = cJSON_ParseWithLengthOpts(buf, len, &end, false);
	if (!*root)
		return err_set(err, -EINVAL, CNI_ERR_DECODE, NULL,
			       "network configuration on stdin is not valid JSON (near byte %td)",
			       cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() - buf : (ptrdiff_t) 0);
	/* one document only: cJSON stops after the first value, a runtime or IPAM would not */
	while (end < buf + len && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
		end++;
	if (end != buf + len)
		return err_set(err, -EINVAL, CNI_ERR_DECODE, NULL,
			       "network configuration on stdin is not valid JSON (near byte %td): "
			       "data after the object",
			       end - buf);
	if (!cJSON_IsObject(*root))
		return err_set(err, -EINVAL, CNI_ERR_DECODE, NULL,
			       "network configuration on stdin is not a JSON object");
	r = check_duplicates(*root, err);
	if (r < 0)
		return r;
	v = cJSON_GetObjectItemCaseSensitive(*root, "cniVersion");
	if (!v)
		return config_invalid(err, "cniVersion", "is required");
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= CNI_VERSION_MAX)
		return config_invalid(err, "cniVersion",
				      "must be a version string such as \"1.0.0\"");
	if (!cni_version_supported(v->valuestring))
		return err_set(err, -EINVAL, CNI_ERR_INCOMPATIBLE_VERSION, NULL,
			       "incompatible CNI version '%s': rdmanet supports 0.3.0, 0.3.1, "
			       "0.4.0, 1.0.0, 1.1.0",
			       v->valuestring);
	strcpy(version, v->valuestring);
	return 0;
}

int config_parse(const char *buf, size_t len, enum cni_command cmd, const struct cni_args *args,
		 struct config *cfg, struct cni_err *err)
{
	const cJSON *pr, *dns;
	const char *s;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	cfg->log_level = -1;
	cfg->ipam_timeout_ms = CONFIG_IPAM_TIMEOUT_DEFAULT_MS;
	r = config_document(buf, len, &cfg->root, cfg->cni_version, err);
	if (r < 0)
		return r;
	cfg->raw = malloc(len);
	if (!cfg->raw)
		return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
	memcpy(cfg->raw, buf, len);
	cfg->raw_len = len;

	r = config_string(cfg->root, "name", "name", CONFIG_NAME_MAX, &s, err);
	if (r < 0)
		return r;
	if (!s || !*s)
		return config_invalid(err, "name", "is required");
	if (!config_network_name_valid(s))
		return config_invalid(err, "name", "'%s' must match ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$",
				      s);
	strcpy(cfg->name, s);
	r = config_string(cfg->root, "type", "type", 64, &s, err);
	if (r < 0)
		return r;
	if (!s || !*s)
		return config_invalid(err, "type", "is required");

	r = config_logging(cfg->root, "logFile", "logFile", "logLevel", "logLevel", cfg->log_file,
			   &cfg->log_level, err);
	if (r < 0)
		return r;
	if ((r = parse_ipam(cfg->root, cfg, err)) < 0 ||
	    (r = parse_ipam_timeout(cfg->root, cfg, err)) < 0 ||
	    (r = parse_link(cfg->root, cfg, err)) < 0 ||
	    (r = parse_runtime_config(cfg->root, cfg, err)) < 0 ||
	    (r = parse_rdma(cfg->root, cfg, err)) < 0 ||
	    (r = parse_ipoib(cfg->root, cfg, err)) < 0 || (r = parse_gc(cfg->root, cfg, err)) < 0 ||
	    (r = parse_routing(cfg->root, cfg, err)) < 0)
		return r;
	if (!cfg->has_mac && args && args->has_mac) {
		memcpy(cfg->mac, args->mac, sizeof(cfg->mac));
		cfg->has_mac = true;
	}

	dns = cJSON_GetObjectItemCaseSensitive(cfg->root, "dns");
	if (dns && !cJSON_IsNull(dns)) {
		if (!cJSON_IsObject(dns))
			return config_invalid(err, "dns", "must be an object");
		cfg->dns = dns;
	}
	pr = cJSON_GetObjectItemCaseSensitive(cfg->root, "prevResult");
	if (pr && !cJSON_IsNull(pr)) {
		if (!cJSON_IsObject(pr))
			return config_invalid(err, "prevResult", "must be an object");
		cfg->prev_result = pr;
	}

	if (cfg->link == LINK_HOSTDEV && cfg->has_mac)
		return config_invalid(err, "runtimeConfig.mac",
				      "cannot be set with link 'hostdev': the device "
				      "keeps its own address");
	if ((cmd == CNI_CMD_ADD || cmd == CNI_CMD_CHECK || cmd == CNI_CMD_STATUS) &&
	    !cfg->master[0] && !(cfg->link == LINK_HOSTDEV && cfg->device_id[0]))
		return config_invalid(err, "master",
				      cfg->link == LINK_HOSTDEV ?
					      "or 'deviceID' is required with link 'hostdev': name "
					      "the netdev or the PCI address of the VF/SF/PF to "
					      "move into the pod" :
					      "is required: name the RDMA parent netdev (e.g. "
					      "'ib0' or 'ens1f0')");
	if (cmd == CNI_CMD_CHECK && cni_version_cmp(cfg->cni_version, "0.4.0") < 0)
		return err_set(err, -EINVAL, CNI_ERR_INCOMPATIBLE_VERSION, NULL,
			       "CHECK needs cniVersion 0.4.0 or later, the config has '%s'",
			       cfg->cni_version);
	if ((cmd == CNI_CMD_STATUS || cmd == CNI_CMD_GC) &&
	    cni_version_cmp(cfg->cni_version, "1.1.0") < 0)
		return err_set(err, -EINVAL, CNI_ERR_INCOMPATIBLE_VERSION, NULL,
			       "%s needs cniVersion 1.1.0 or later, the config has '%s'",
			       cni_command_name(cmd), cfg->cni_version);
	if (cmd == CNI_CMD_CHECK && !cfg->prev_result)
		return config_invalid(err, "prevResult", "is required for CHECK");
	return 0;
}

void config_free(struct config *cfg)
{
	cJSON_Delete(cfg->root);
	free(cfg->raw);
	cfg->root = NULL;
	cfg->raw = NULL;
}
