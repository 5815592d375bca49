/* SPDX-License-Identifier: Apache-2.0 */
/* config.h - the network configuration on stdin, validated into struct config. */
#pragma once
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rdmanet/cni.h"
#include "rdmanet/err.h"

struct cJSON;

#define CONFIG_STDIN_MAX               CNI_STDIN_MAX
#define CONFIG_NAME_MAX                253
#define CONFIG_PATH_MAX                1024
#define CONFIG_IPAM_TIMEOUT_DEFAULT_MS 60000u

enum link_kind {
	LINK_AUTO,
	LINK_MACVLAN,
	LINK_HOSTDEV, /* the whole netdev (VF, SF, PF) and its RDMA device move into the pod */
	LINK_IPOIB,   /* an IPoIB child of an InfiniBand parent */
};

/* rdma.mode: what the operator requires of the node's RDMA netns mode. */
enum rdma_mode {
	RDMA_MODE_AUTO,      /* follow the node; a parent without RDMA device is a plain netdev */
	RDMA_MODE_EXCLUSIVE, /* require exclusive mode (hostdev only) */
	RDMA_MODE_SHARED,    /* require shared mode */
	RDMA_MODE_NONE,      /* IP only: do not look for or touch RDMA devices */
};

/* routing: where an attachment's routes go. */
enum routing {
	ROUTING_TABLE, /* a table of its own, used through 'from <address>' rules (default) */
	ROUTING_MAIN,  /* the pod's main table, as single-NIC plugins do */
};

#define CONFIG_RDMADEV_MAX   63
#define CONFIG_DEVICE_ID_MAX 64

struct config {
	char cni_version[CNI_VERSION_MAX];
	char name[CONFIG_NAME_MAX + 1];
	char master[IF_NAMESIZE];
	enum link_kind link;
	uint32_t macvlan_mode; /* MACVLAN_MODE_* from linux/if_link.h */
	/* IPoIB children; each -1 when unset: inherited from the parent */
	int pkey;       /* 0x0001-0xffff with the full-membership bit 0x8000 set */
	int ipoib_mode; /* IPOIB_MODE_DATAGRAM or IPOIB_MODE_CONNECTED */
	int umcast;     /* 0 or 1 */
	unsigned mtu;   /* 0: inherit from master */
	bool has_mac;
	unsigned char mac[6];
	char rdma_device[CONFIG_RDMADEV_MAX + 1]; /* rdma.device, "" to look it up */
	enum rdma_mode rdma_mode;
	/* runtimeConfig.deviceID, else deviceID/pciBusID (Multus injects these): PCI or aux id */
	char device_id[CONFIG_DEVICE_ID_MAX + 1];
	char devinfo_file[CONFIG_PATH_MAX]; /* runtimeConfig.CNIDeviceInfoFile */
	enum routing routing;
	/* per-interface IPv4 sysctls for multi-NIC pods: arp_ignore, arp_announce, rp_filter */
	int arp_ignore, arp_announce, rp_filter;
	bool has_ipam;
	char ipam_type[64];
	unsigned ipam_timeout_ms;
	char log_file[CONFIG_PATH_MAX];
	int log_level; /* enum log_level, -1 when unset */

	struct cJSON *root;                    /* the whole document (owned) */
	const struct cJSON *prev_result;       /* borrowed from root */
	const struct cJSON *dns;               /* borrowed from root */
	const struct cJSON *valid_attachments; /* GC: cni.dev/valid-attachments */
	char *raw; /* the exact stdin bytes (owned), passed to the IPAM */
	size_t raw_len;
};

/*
 * Parses and validates stdin for cmd. args may be NULL; a MAC from CNI_ARGS is used when the
 * config carries no runtimeConfig.mac. cfg->cni_version is filled as early as possible so even
 * a failed parse can report errors in the caller's version.
 */
int config_parse(const char *buf, size_t len, enum cni_command cmd, const struct cni_args *args,
		 struct config *cfg, struct cni_err *err);
void config_free(struct config *cfg);
const char *config_link_name(enum link_kind kind);
const char *config_macvlan_mode_name(uint32_t mode);
const char *config_rdma_mode_name(enum rdma_mode mode);
const char *config_ipoib_mode_name(int mode);
const char *config_routing_name(enum routing routing);
/*
 * A P_Key as text ("0x8001", "32769") or number: 1-0xffff, neither 0 nor 0x8000 (no partition);
 * returned with the full-membership bit set, as the kernel sets it. -EINVAL otherwise.
 */
int config_pkey_parse(const char *s, int *pkey);
/* The largest MTU of an IPoIB child: datagram 4092 (4096-byte IB MTU - 4-byte header), connected
 * 65520. */
unsigned config_ipoib_mtu_max(int mode);
/* A PCI address (0000:3b:00.2) or an auxiliary device name (mlx5_core.sf.2). */
bool config_device_id_valid(const char *s);
/*
 * The document-level checks every plugin of ours applies to stdin: size, bytes Go would read
 * differently, one JSON object, no duplicate keys, a supported cniVersion (copied to version,
 * as early as possible so errors can be reported in it). *root is owned by the caller.
 */
int config_document(const char *buf, size_t len, struct cJSON **root, char version[CNI_VERSION_MAX],
		    struct cni_err *err);
/* Error 7 "invalid network config: '<field>' <why>". Returns -EINVAL. */
int config_invalid(struct cni_err *err, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A string field: absent or null is fine (*out NULL), wrong type or over max is error 7. */
int config_string(const struct cJSON *obj, const char *key, const char *field, size_t max,
		  const char **out, struct cni_err *err);
/*
 * A log file and level of obj under the keys fkey and lkey (named ffield and lfield in errors):
 * the file an absolute path copied to file ("" when unset), the level an enum log_level in
 * *level (-1 when unset).
 */
int config_logging(const struct cJSON *obj, const char *fkey, const char *ffield, const char *lkey,
		   const char *lfield, char file[CONFIG_PATH_MAX], int *level, struct cni_err *err);
/* ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$ */
bool config_network_name_valid(const char *s);
/* Only cniVersion, for VERSION; "" when absent. */
int config_peek_version(const char *buf, size_t len, char out[CNI_VERSION_MAX]);
