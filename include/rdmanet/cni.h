/* SPDX-License-Identifier: Apache-2.0 */
/* cni.h - the CNI protocol: CNI_* environment, CNI_ARGS, versions, result and error JSON. */
#pragma once
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "rdmanet/err.h"

struct cJSON;

#define CNI_VERSION_LATEST  "1.1.0"
#define CNI_VERSION_MAX     16
#define CNI_NETNS_MAX       4095
#define CNI_CONTAINERID_MAX 200 /* keeps "rdmanet:<id>:<ifname>" within IFALIASZ */
#define CNI_ARGS_MAX        4096
#define CNI_PATH_ENV_MAX    4096
#define CNI_MAX_IFACES      8
#define CNI_MAX_IPS         32
#define CNI_MAX_ROUTES      128
#define CNI_STDIN_MAX       (1024 * 1024)
/* The error for stdin past CNI_STDIN_MAX, in both places that see it (reading, parsing). */
#define CNI_STDIN_TOO_BIG_MSG "network configuration is larger than %d bytes"
#define CNI_STDIN_TOO_BIG_DETAILS \
	"a network configuration is a few KiB: check what the runtime or Multus passes on stdin"

enum cni_command {
	CNI_CMD_NONE,
	CNI_CMD_ADD,
	CNI_CMD_DEL,
	CNI_CMD_CHECK,
	CNI_CMD_STATUS,
	CNI_CMD_GC,
	CNI_CMD_VERSION,
};

struct cni_args {
	bool ignore_unknown;
	char pod_namespace[64];
	char pod_name[254];
	char pod_uid[64];
	char infra_container_id[CNI_CONTAINERID_MAX + 1];
	bool has_mac;
	unsigned char mac[6];
};

/* Borrowed pointers into the process environment. */
struct cni_env {
	enum cni_command cmd;
	const char *containerid;
	const char *netns; /* may be NULL/empty for DEL */
	const char *ifname;
	const char *args_raw;
	const char *path;
	struct cni_args args;
};

extern const char *const cni_supported_versions[];

const char *cni_command_name(enum cni_command cmd);
/* Reads and validates CNI_* from the environment for the command named by CNI_COMMAND. */
int cni_env_parse(struct cni_env *env, struct cni_err *err);
int cni_args_parse(const char *raw, struct cni_args *args, struct cni_err *err);
bool cni_ifname_valid(const char *name);
bool cni_containerid_valid(const char *id);
int cni_mac_parse(const char *s, unsigned char mac[6]);

/* Semantic-version compare of "x.y.z"; -2 when either side is malformed. */
int cni_version_cmp(const char *a, const char *b);
bool cni_version_supported(const char *v);
/* {"cniVersion":..,"supportedVersions":[..]} for VERSION; malloc'd. */
char *cni_version_format(const char *requested);

struct cni_iface {
	char name[IF_NAMESIZE];
	char mac[64];    /* colon form; up to 20-byte hardware addresses */
	char *sandbox;   /* owned */
	unsigned mtu;    /* 0: unknown */
	char pci_id[16]; /* 1.1 "pciID" of a hostdev attachment, "" when none */
};

struct cni_ip {
	int family; /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned prefixlen;
	bool has_gw;
	unsigned char gw[16];
	int iface; /* index into interfaces, -1 when absent */
};

struct cni_route {
	int family;
	unsigned char dst[16];
	unsigned dst_len;
	bool has_gw;
	unsigned char gw[16];
	int mtu, advmss, priority, table, scope; /* 1.1.0 fields, -1 when absent */
};

struct cni_result {
	struct cni_iface ifaces[CNI_MAX_IFACES];
	unsigned n_ifaces;
	struct cni_ip ips[CNI_MAX_IPS];
	unsigned n_ips;
	struct cni_route routes[CNI_MAX_ROUTES];
	unsigned n_routes;
	struct cJSON *dns; /* owned copy, may be NULL */
};

/*
 * Parses a result of any supported version (0.3.x/0.4.0 "version" fields or 1.x). what names
 * the source in messages ("IPAM result", "prevResult"); code is the CNI code for a bad one.
 */
int cni_result_parse(const struct cJSON *j, const char *what, int code, struct cni_result *res,
		     struct cni_err *err);
/* Formats a result for the requested version; malloc'd, NULL on allocation failure. */
char *cni_result_format(const struct cni_result *res, const char *version);
char *cni_error_format(const struct cni_err *e, const char *version);
void cni_result_free(struct cni_result *res);

/*
 * Reads all of stdin (NULL/0 on a terminal), NUL-terminated; -E2BIG past CNI_STDIN_MAX (+ one
 * buffer, so the caller's size check reports it).
 */
int cni_read_stdin(char **buf, size_t *len);
