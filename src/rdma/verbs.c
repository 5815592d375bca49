/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verbs.c - libibverbs queries through dlopen(): port attributes, GID and P_Key tables, the
 * uverbs node. The libibverbs-dev headers give types and constants only; every call goes
 * through a pointer from dlsym(), and verbs' mixed error conventions (NULL + errno, errno as
 * the return value, -1 + maybe errno, negative errno) become -errno here and nowhere else.
 *
 * Why not link it: start-up is rdmanet's benchmark, and libibverbs pulls libnl-route-3 and
 * libnl-3 as shared objects. Measured with tests/bench/exectime.c (Debian 12, rdma-core 44,
 * PIE + BIND_NOW, 2 busy vCPUs, n=2000, interleaved): an empty main() linked with -libverbs
 * runs in 0.98 ms median against 0.63 ms unlinked (+0.35 ms; rdmanet's whole VERSION run is
 * 0.84 ms), max RSS 2280 vs 1096 KiB. Only the code paths that need verbs load it.
 */
#include <dlfcn.h>
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/rdmadev_sysfs.h"
#include "rdmanet/verbs.h"

#define LIBIBVERBS "libibverbs.so.1"

_Static_assert((int) VERBS_LINK_LAYER_INFINIBAND == (int) IBV_LINK_LAYER_INFINIBAND &&
		       (int) VERBS_LINK_LAYER_ETHERNET == (int) IBV_LINK_LAYER_ETHERNET,
	       "link layer values follow IBV_LINK_LAYER_*");

static struct {
	bool tried;
	int r;
	char why[256];
	void *handle;
	struct ibv_device **(*get_device_list)(int *num);
	void (*free_device_list)(struct ibv_device **list);
	const char *(*get_device_name)(struct ibv_device *dev);
	struct ibv_context *(*open_device)(struct ibv_device *dev);
	int (*close_device)(struct ibv_context *ctx);
	int (*query_device)(struct ibv_context *ctx, struct ibv_device_attr *attr);
	/* the exported ibv_query_port; verbs.h hides it behind a macro of the same name */
	int (*query_port)(struct ibv_context *ctx, uint8_t port, struct ibv_port_attr *attr);
	int (*query_pkey)(struct ibv_context *ctx, uint8_t port, int index, __be16 *pkey);
	int (*query_gid)(struct ibv_context *ctx, uint8_t port, int index, union ibv_gid *gid);
	/* what the inline ibv_query_gid_table() calls; rdma-core >= 32, optional */
	ssize_t (*query_gid_table)(struct ibv_context *ctx, struct ibv_gid_entry *entries,
				   size_t max, uint32_t flags, size_t entry_size);
} lib;

static const struct {
	const char *name;
	void **slot;
	bool optional;
} syms[] = {
	{ "ibv_get_device_list", (void **) &lib.get_device_list, false },
	{ "ibv_free_device_list", (void **) &lib.free_device_list, false },
	{ "ibv_get_device_name", (void **) &lib.get_device_name, false },
	{ "ibv_open_device", (void **) &lib.open_device, false },
	{ "ibv_close_device", (void **) &lib.close_device, false },
	{ "ibv_query_device", (void **) &lib.query_device, false },
	{ "ibv_query_port", (void **) &lib.query_port, false },
	{ "ibv_query_pkey", (void **) &lib.query_pkey, false },
	{ "ibv_query_gid", (void **) &lib.query_gid, false },
	{ "_ibv_query_gid_table", (void **) &lib.query_gid_table, true },
};

static int do_load(void)
{
	const char *e;

	lib.handle = dlopen(LIBIBVERBS, RTLD_NOW | RTLD_LOCAL);
	if (!lib.handle) {
		e = dlerror();
		(void) snprintf(lib.why, sizeof(lib.why), "%s is not installed (%s)", LIBIBVERBS,
				e ? e : "dlopen failed");
		return -ENOENT;
	}
	for (size_t i = 0; i < ARRAY_SIZE(syms); i++) {
		*syms[i].slot = dlsym(lib.handle, syms[i].name);
		if (!*syms[i].slot && !syms[i].optional) {
			(void) snprintf(lib.why, sizeof(lib.why), "%s lacks %s", LIBIBVERBS,
					syms[i].name);
			(void) dlclose(lib.handle);
			lib.handle = NULL;
			return -ENOSYS;
		}
	}
	(void) snprintf(lib.why, sizeof(lib.why), "%s loaded", LIBIBVERBS);
	return 0;
}

int verbs_load(char *why, size_t len)
{
	if (!lib.tried) {
		lib.r = do_load();
		lib.tried = true;
	}
	if (why && len)
		(void) snprintf(why, len, "%s", lib.why);
	return lib.r;
}

/* Callers of the query functions learn "no libibverbs" as -ELIBACC, distinct from -ENOENT. */
static int need_lib(void)
{
	return verbs_load(NULL, 0) < 0 ? -ELIBACC : 0;
}

/* Verbs calls that return 0, a positive errno, or -1 (errno set or not). errno must be 0 before. */
static int verbs_ret(int r)
{
	if (r == 0)
		return 0;
	if (r > 0)
		return -r;
	return errno > 0 ? -errno : -EIO;
}

/* An open device and the list it came from. */
struct vdev {
	struct ibv_device **list;
	struct ibv_device *dev;
	struct ibv_context *ctx;
};

static void vdev_close(struct vdev *d)
{
	if (d->ctx)
		(void) lib.close_device(d->ctx);
	if (d->list)
		lib.free_device_list(d->list);
	memset(d, 0, sizeof(*d));
}

/* Finds dev in libibverbs' list (rescanned on every call); opens it when open is set. */
static int vdev_get(const char *name, bool open, struct vdev *d)
{
	char path[PATH_MAX];
	int r;

	memset(d, 0, sizeof(*d));
	r = need_lib();
	if (r < 0)
		return r;
	errno = 0;
	d->list = lib.get_device_list(NULL);
	/* ENOSYS: no /sys/class/infiniband_verbs (no ib_uverbs, no RDMA at all): nothing is seen */
	if (!d->list)
		return errno == ENOSYS ? -ENODEV : errno > 0 ? -errno : -ENOMEM;
	for (struct ibv_device **p = d->list; *p && !d->dev; p++) {
		const char *n = lib.get_device_name(*p);

		if (n && !strcmp(n, name))
			d->dev = *p;
	}
	if (!d->dev) {
		vdev_close(d);
		/* libibverbs also leaves out devices whose node is missing (try_access_device) */
		if (rdmadev_uverbs_node(name, path, sizeof(path)) >= 0 && access(path, F_OK) < 0)
			return -ENOENT;
		return -ENODEV;
	}
	if (!open)
		return 0;
	/*
	 * Without the node, libibverbs would wait up to 5 s for udev to create /dev/char/M:m
	 * (util/open_cdev.c) before failing: a pod without /dev/infiniband, or a hidden node.
	 */
	(void) snprintf(path, sizeof(path), "/dev/infiniband/%s", d->dev->dev_name);
	if (access(path, F_OK) < 0) {
		vdev_close(d);
		return -ENOENT;
	}
	errno = 0;
	d->ctx = lib.open_device(d->dev);
	if (!d->ctx) {
		r = errno > 0 ? -errno : -EIO;
		vdev_close(d);
		return r;
	}
	return 0;
}

/*
 * rdma-core >= 49 appends active_speed_ex (XDR and beyond) to struct ibv_port_attr; the
 * extended query_port of struct verbs_context fills as much as the library knows of the size we
 * pass, so this works with older and newer libraries alike. Without the extended op (very old
 * libraries), the exported ibv_query_port with a zeroed struct.
 */
struct port_attr_ex {
	struct ibv_port_attr attr;
	uint32_t active_speed_ex;
};

static int query_port(struct ibv_context *ctx, unsigned port, struct port_attr_ex *a)
{
	struct verbs_context *vctx = verbs_get_ctx_op(ctx, query_port);

	memset(a, 0, sizeof(*a));
	if (port < 1 || port > UINT8_MAX)
		return -EINVAL;
	errno = 0;
	if (vctx)
		return verbs_ret(vctx->query_port(ctx, (uint8_t) port, &a->attr, sizeof(*a)));
	return verbs_ret(lib.query_port(ctx, (uint8_t) port, &a->attr));
}

unsigned verbs_mtu_bytes(unsigned ibv_mtu)
{
	return ibv_mtu >= IBV_MTU_256 && ibv_mtu <= IBV_MTU_4096 ? 128u << ibv_mtu : 0;
}

unsigned verbs_rate_mbps(unsigned active_width, unsigned active_speed)
{
	static const struct {
		unsigned code, val;
	} widths[] = { { 1, 1 }, { 2, 4 }, { 4, 8 }, { 8, 12 }, { 16, 2 } },
	  /* per-lane rates as the kernel's rate_show(): SDR .. XDR */
		speeds[] = { { 1, 2500 },   { 2, 5000 },     { 4, 10000 },
			     { 8, 10000 },  { 16, 14000 },   { 32, 25000 },
			     { 64, 50000 }, { 128, 100000 }, { 256, 200000 } };
	unsigned w = 0, s = 0;

	for (size_t i = 0; i < ARRAY_SIZE(widths); i++)
		if (widths[i].code == active_width)
			w = widths[i].val;
	for (size_t i = 0; i < ARRAY_SIZE(speeds); i++)
		if (speeds[i].code == active_speed)
			s = speeds[i].val;
	return w * s;
}

int verbs_query_port(const char *dev, unsigned port, struct verbs_port *out)
{
	struct port_attr_ex a;
	struct vdev d;
	int r;

	memset(out, 0, sizeof(*out));
	r = vdev_get(dev, true, &d);
	if (r < 0)
		return r;
	r = query_port(d.ctx, port, &a);
	vdev_close(&d);
	if (r < 0)
		return r;
	out->state = a.attr.state;
	out->phys_state = a.attr.phys_state;
	/* drivers that predate the field leave it unspecified: those are InfiniBand */
	out->link_layer = a.attr.link_layer ? a.attr.link_layer : VERBS_LINK_LAYER_INFINIBAND;
	out->active_mtu = verbs_mtu_bytes(a.attr.active_mtu);
	out->max_mtu = verbs_mtu_bytes(a.attr.max_mtu);
	out->gid_tbl_len = a.attr.gid_tbl_len > 0 ? (unsigned) a.attr.gid_tbl_len : 0;
	out->pkey_tbl_len = a.attr.pkey_tbl_len;
	out->active_width = a.attr.active_width;
	out->active_speed = a.active_speed_ex ? a.active_speed_ex : a.attr.active_speed;
	out->port_cap_flags = a.attr.port_cap_flags;
	out->lid = a.attr.lid;
	out->sm_lid = a.attr.sm_lid;
	out->rate_mbps = verbs_rate_mbps(out->active_width, out->active_speed);
	if (!out->rate_mbps)
		out->rate_mbps = rdmadev_rate_mbps(dev, port);
	return 0;
}

int verbs_query_pkey(const char *dev, unsigned port, unsigned index, unsigned *pkey)
{
	struct vdev d;
	__be16 v = 0;
	int r;

	if (port < 1 || port > UINT8_MAX || index > INT_MAX)
		return -EINVAL;
	r = vdev_get(dev, true, &d);
	if (r < 0)
		return r;
	errno = 0;
	r = verbs_ret(lib.query_pkey(d.ctx, (uint8_t) port, (int) index, &v));
	vdev_close(&d);
	if (r < 0)
		return r;
	*pkey = be16toh(v);
	return 0;
}

/* The whole table in one ioctl: only valid entries come back, of every port. */
static int gid_table_find(struct ibv_context *ctx, unsigned port, const unsigned char gid[16],
			  unsigned *index)
{
	_cleanup_free_ struct ibv_gid_entry *e = NULL;
	struct ibv_device_attr da;
	struct port_attr_ex a;
	size_t max = 0;
	ssize_t n;
	int r;

	errno = 0;
	r = verbs_ret(lib.query_device(ctx, &da));
	if (r < 0)
		return r;
	for (unsigned p = 1; p <= da.phys_port_cnt; p++)
		if (query_port(ctx, p, &a) >= 0 && a.attr.gid_tbl_len > 0)
			max += (size_t) a.attr.gid_tbl_len;
	if (!max)
		return -ENOENT;
	e = calloc(max, sizeof(*e));
	if (!e)
		return -ENOMEM;
	n = lib.query_gid_table(ctx, e, max, 0, sizeof(*e));
	if (n < 0)
		return (int) n;
	r = -ENOENT;
	for (ssize_t i = 0; i < n; i++) {
		if (e[i].port_num != port || memcmp(e[i].gid.raw, gid, 16))
			continue;
		if (r < 0 || e[i].gid_index < *index)
			*index = e[i].gid_index;
		r = 0;
	}
	return r;
}

int verbs_gid_find(const char *dev, unsigned port, const unsigned char gid[16], unsigned *index)
{
	struct port_attr_ex a;
	struct vdev d;
	int r;

	r = vdev_get(dev, true, &d);
	if (r < 0)
		return r;
	r = query_port(d.ctx, port, &a);
	if (r >= 0 && lib.query_gid_table) {
		r = gid_table_find(d.ctx, port, gid, index);
		/* kernels before 5.9 have no QUERY_GID_TABLE method: one entry at a time */
		if (r != -EOPNOTSUPP && r != -EPROTONOSUPPORT)
			goto out;
		r = 0;
	}
	for (int i = 0; r >= 0 && i < a.attr.gid_tbl_len; i++) {
		union ibv_gid g;

		errno = 0;
		if (verbs_ret(lib.query_gid(d.ctx, (uint8_t) port, i, &g)) < 0)
			continue;
		if (!memcmp(g.raw, gid, 16)) {
			*index = (unsigned) i;
			goto out;
		}
	}
	if (r >= 0)
		r = -ENOENT;
out:
	vdev_close(&d);
	return r;
}

int verbs_uverbs_node(const char *dev, char *out, size_t len)
{
	struct vdev d;
	int r;

	if (vdev_get(dev, false, &d) < 0 || !d.dev->dev_name[0])
		return rdmadev_uverbs_node(dev, out, len);
	r = snprintf(out, len, "/dev/infiniband/%s", d.dev->dev_name) < (int) len ? 0 :
										    -ENAMETOOLONG;
	vdev_close(&d);
	return r;
}

const char *verbs_port_state_name(unsigned state)
{
	static const char *const names[] = { "NOP",   "DOWN",   "INIT",
					     "ARMED", "ACTIVE", "ACTIVE_DEFER" };

	return state < ARRAY_SIZE(names) ? names[state] : "unknown";
}

const char *verbs_phys_state_name(unsigned phys_state)
{
	static const char *const names[] = { "unknown",
					     "Sleep",
					     "Polling",
					     "Disabled",
					     "PortConfigurationTraining",
					     "LinkUp",
					     "LinkErrorRecovery",
					     "PhyTest" };

	return phys_state < ARRAY_SIZE(names) ? names[phys_state] : "unknown";
}

const char *verbs_link_layer_name(unsigned link_layer)
{
	switch (link_layer) {
	case VERBS_LINK_LAYER_INFINIBAND:
		return "InfiniBand";
	case VERBS_LINK_LAYER_ETHERNET:
		return "Ethernet";
	default:
		return "?";
	}
}
