/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rdmadev_sysfs.c - what RDMA netlink does not carry, from /sys/class/infiniband and the bus
 * directories: GID and P_Key tables, link layer and rate of a port, PCI parent, driver, the
 * uverbs node, and the port of a netdev on kernels whose netlink lacks it. Everything shows
 * what the caller's mount of /sys shows.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <rdma/rdma_netlink.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/rdmadev_sysfs.h"
#include "rdmanet/sysfs.h"

#define SYS_IB     "/sys/class/infiniband"
#define SYS_UVERBS "/sys/class/infiniband_verbs"

DEFINE_CLEANUP(DIR *, closedir)

/* The device whose port's first GID entry belongs to ifname (PCI parents first). */
int rdmadev_sysfs_port_by_netdev(const char *ifname, struct rdmadev_port *port)
{
	_cleanup_(closedirp) DIR *d = NULL;
	char path[PATH_MAX], dev[RDMADEV_NAME_MAX], nd[IF_NAMESIZE];
	struct dirent *e;

	if (!sysfs_name_ok(ifname))
		return -ENOENT;
	d = opendir(SYS_IB);
	if (!d)
		return -ENOENT;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof(dev))
			continue;
		strcpy(dev, e->d_name);
		for (unsigned p = 1; p <= 8; p++) {
			char state[32];

			(void) snprintf(path, sizeof(path), SYS_IB "/%s/ports/%u/gid_attrs/ndevs/0",
					dev, p);
			if (sysfs_read_line(path, nd, sizeof(nd)) < 0 || strcmp(nd, ifname))
				continue;
			memset(port, 0, sizeof(*port));
			strcpy(port->dev_name, dev);
			port->port = p;
			strcpy(port->ndev_name, ifname);
			(void) snprintf(path, sizeof(path), SYS_IB "/%s/ports/%u/state", dev, p);
			if (sysfs_read_line(path, state, sizeof(state)) > 0)
				port->state = (unsigned) strtoul(state, NULL, 10);
			(void) snprintf(path, sizeof(path), SYS_IB "/%s/ports/%u/phys_state", dev,
					p);
			if (sysfs_read_line(path, state, sizeof(state)) > 0)
				port->phys_state = (unsigned) strtoul(state, NULL, 10);
			return 0;
		}
	}
	return -ENOENT;
}

/* dddd:bb:dd.f */
static bool is_pci_bdf(const char *s, size_t n)
{
	static const char pat[] = "xxxx:xx:xx.x";

	if (n != sizeof(pat) - 1)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (pat[i] == 'x' ? !isxdigit((unsigned char) s[i]) : s[i] != pat[i])
			return false;
	}
	return true;
}

int rdmadev_sysfs_pci(const char *syspath, char *out, size_t len)
{
	char real[PATH_MAX];
	const char *best = NULL, *c;

	if (!realpath(syspath, real))
		return -ENOENT;
	/* an SF sits on the auxiliary bus below its PCI function, virtio-net below virtioN */
	for (c = real; (c = strchr(c, '/')); c++) {
		size_t n = strcspn(c + 1, "/");

		if (is_pci_bdf(c + 1, n))
			best = c + 1;
	}
	if (!best)
		return -ENOENT;
	if (len < 13)
		return -ENAMETOOLONG;
	memcpy(out, best, 12);
	out[12] = '\0';
	return 0;
}

int rdmadev_pci_address(const char *dev, char *out, size_t len)
{
	char path[PATH_MAX];

	if (!sysfs_name_ok(dev))
		return -ENOENT;
	(void) snprintf(path, sizeof(path), SYS_IB "/%s/device", dev);
	return rdmadev_sysfs_pci(path, out, len);
}

int rdmadev_netdev_pci_address(const char *ifname, char *out, size_t len)
{
	char path[PATH_MAX];

	if (!sysfs_name_ok(ifname))
		return -ENOENT;
	(void) snprintf(path, sizeof(path), "/sys/class/net/%s/device", ifname);
	return rdmadev_sysfs_pci(path, out, len);
}

int rdmadev_driver(const char *dev, char *out, size_t len)
{
	char path[PATH_MAX], type[32];
	int r;

	if (!sysfs_name_ok(dev))
		return -ENOENT;
	(void) snprintf(path, sizeof(path), SYS_IB "/%s/device/driver", dev);
	r = sysfs_link_base(path, out, len);
	if (r != -ENOENT)
		return r;
	/* software devices have no parent device: rxe is a CA, siw an RNIC */
	(void) snprintf(path, sizeof(path), SYS_IB "/%s/node_type", dev);
	r = sysfs_read_line(path, type, sizeof(type));
	if (r < 0)
		return r;
	(void) snprintf(out, len, "%s",
			strtoul(type, NULL, 10) == RDMA_NODE_RNIC ? "siw" : "rdma_rxe");
	return 0;
}

static bool bus_id_ok(const char *id)
{
	if (!sysfs_name_ok(id) || strlen(id) > 64)
		return false;
	for (const char *c = id; *c; c++)
		if (!isalnum((unsigned char) *c) && !strchr(":._-", *c))
			return false;
	return true;
}

/* virtio-net hangs its netdev below virtioN, not below the PCI function: one level deeper. */
static int child_entry(const char *bus, const char *bus_id, const char *sub, char *out, size_t len)
{
	_cleanup_(closedirp) DIR *d = NULL;
	char path[PATH_MAX];
	struct dirent *e;

	(void) snprintf(path, sizeof(path), "%s/%s", bus, bus_id);
	d = opendir(path);
	if (!d)
		return -ENOENT;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "virtio", 6))
			continue;
		(void) snprintf(path, sizeof(path), "%s/%s/%s/%s", bus, bus_id, e->d_name, sub);
		if (sysfs_first_entry(path, out, len) >= 0)
			return 0;
	}
	return -ENOENT;
}

static int bus_entry(const char *bus_id, const char *sub, char *out, size_t len)
{
	static const char *const buses[] = { "/sys/bus/pci/devices", "/sys/bus/auxiliary/devices" };
	char path[PATH_MAX];

	if (!bus_id_ok(bus_id))
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(buses); i++) {
		int r;

		(void) snprintf(path, sizeof(path), "%s/%s/%s", buses[i], bus_id, sub);
		r = sysfs_first_entry(path, out, len);
		if (r != -ENOENT)
			return r;
		r = child_entry(buses[i], bus_id, sub, out, len);
		if (r != -ENOENT)
			return r;
	}
	return -ENOENT;
}

int rdmadev_name_by_bus_id(const char *bus_id, char *out, size_t len)
{
	return bus_entry(bus_id, "infiniband", out, len);
}

int rdmadev_netdev_by_bus_id(const char *bus_id, char *out, size_t len)
{
	return bus_entry(bus_id, "net", out, len);
}

bool rdmadev_bus_id_exists(const char *bus_id)
{
	char path[PATH_MAX];

	if (!bus_id_ok(bus_id))
		return false;
	(void) snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bus_id);
	if (access(path, F_OK) == 0)
		return true;
	(void) snprintf(path, sizeof(path), "/sys/bus/auxiliary/devices/%s", bus_id);
	return access(path, F_OK) == 0;
}

int rdmadev_link_layer(const char *dev, unsigned port, char *out, size_t len)
{
	char path[PATH_MAX];

	if (!sysfs_name_ok(dev))
		return -ENOENT;
	(void) snprintf(path, sizeof(path), SYS_IB "/%s/ports/%u/link_layer", dev, port);
	return sysfs_read_line(path, out, len) < 0 ? -ENOENT : 0;
}

void rdmadev_format_gid(const unsigned char gid[16], char out[RDMADEV_GID_STR])
{
	size_t n = 0;

	for (unsigned i = 0; i < 16; i += 2)
		n += (size_t) snprintf(out + n, RDMADEV_GID_STR - n, i ? ":%02x%02x" : "%02x%02x",
				       gid[i], gid[i + 1]);
}

/* Reads GID entry i: 1 when set, 0 when empty, -ENOENT past the end of the table. */
static int gid_read(const char *dev, unsigned port, unsigned i, struct rdmadev_gid *g)
{
	char path[PATH_MAX], buf[64];
	struct in6_addr a;
	int r;

	(void) snprintf(path, sizeof(path), SYS_IB "/%s/ports/%u/gids/%u", dev, port, i);
	r = sysfs_read_line(path, buf, sizeof(buf));
	if (r < 0)
		return r == -ENOENT ? -ENOENT : 0;
	/* the sysfs form is 8 groups of 4 hex digits: inet_pton reads it as IPv6 */
	if (inet_pton(AF_INET6, buf, &a) != 1)
		return 0;
	memset(g, 0, sizeof(*g));
	g->index = i;
	memcpy(g->gid, &a, 16);
	return !IN6_IS_ADDR_UNSPECIFIED(&a);
}

static void gid_attrs(const char *dev, unsigned port, struct rdmadev_gid *g)
{
	char path[PATH_MAX];

	(void) snprintf(path, sizeof(path), SYS_IB "/%s/ports/%u/gid_attrs/types/%u", dev, port,
			g->index);
	if (sysfs_read_line(path, g->type, sizeof(g->type)) < 0)
		g->type[0] = '\0';
	(void) snprintf(path, sizeof(path), SYS_IB "/%s/ports/%u/gid_attrs/ndevs/%u", dev, port,
			g->index);
	if (sysfs_read_line(path, g->ndev, sizeof(g->ndev)) < 0)
		g->ndev[0] = '\0';
}

int rdmadev_gid_foreach(const char *dev, unsigned port,
			int (*fn)(const struct rdmadev_gid *gid, void *arg), void *arg)
{
	struct rdmadev_gid g;
	int r;

	if (!sysfs_name_ok(dev))
		return -ENOENT;
	for (unsigned i = 0;; i++) {
		r = gid_read(dev, port, i, &g);
		if (r == -ENOENT)
			return i ? 0 : -ENOENT;
		if (r <= 0)
			continue;
		gid_attrs(dev, port, &g);
		r = fn(&g, arg);
		if (r < 0)
			return r;
	}
}

bool rdmadev_gid_better(const struct rdmadev_gid *g, const struct rdmadev_gid *best)
{
	/* RoCE v2 is routable and what NCCL and rdma_cm pick: prefer it over v1 */
	return !best || (strstr(g->type, "v2") && !strstr(best->type, "v2"));
}

struct gid_search {
	unsigned char want[16];
	struct rdmadev_gid best;
	bool found;
};

static int gid_match(const struct rdmadev_gid *g, void *arg)
{
	struct gid_search *s = arg;

	if (memcmp(g->gid, s->want, 16))
		return 0;
	if (rdmadev_gid_better(g, s->found ? &s->best : NULL))
		s->best = *g;
	s->found = true;
	return 0;
}

int rdmadev_ip_gid(int family, const void *addr, unsigned char gid[16])
{
	memset(gid, 0, 16);
	if (family == AF_INET) {
		gid[10] = gid[11] = 0xff;
		memcpy(gid + 12, addr, 4);
	} else if (family == AF_INET6) {
		memcpy(gid, addr, 16);
	} else {
		return -EAFNOSUPPORT;
	}
	return 0;
}

int rdmadev_gid_find(const char *dev, unsigned port, int family, const void *addr,
		     struct rdmadev_gid *out)
{
	struct gid_search s = { { 0 } };
	int r = rdmadev_ip_gid(family, addr, s.want);

	if (r < 0)
		return r;
	r = rdmadev_gid_foreach(dev, port, gid_match, &s);
	if (r < 0)
		return r;
	if (!s.found)
		return -ENOENT;
	*out = s.best;
	return 0;
}

int rdmadev_gid_usage(const char *dev, unsigned port, unsigned *used, unsigned *total)
{
	struct rdmadev_gid g;
	unsigned n = 0;
	int r;

	*used = *total = 0;
	if (!sysfs_name_ok(dev))
		return -ENOENT;
	for (unsigned i = 0;; i++) {
		r = gid_read(dev, port, i, &g);
		if (r == -ENOENT)
			break;
		if (r > 0)
			n++;
		*total = i + 1;
	}
	if (!*total)
		return -ENOENT;
	*used = n;
	return 0;
}

bool rdmadev_gid_has_free(const char *dev, unsigned port, unsigned need)
{
	_cleanup_(closedirp) DIR *d = NULL;
	char path[PATH_MAX];
	struct rdmadev_gid g;
	struct dirent *e;
	unsigned total = 0, free_ = 0;

	if (!sysfs_name_ok(dev))
		return false;
	(void) snprintf(path, sizeof(path), SYS_IB "/%s/ports/%u/gids", dev, port);
	d = opendir(path);
	if (!d)
		return false;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			total++;
	for (unsigned i = total; i-- > 0 && free_ < need;)
		if (gid_read(dev, port, i, &g) == 0)
			free_++;
	return free_ >= need;
}

int rdmadev_pkeys(const char *dev, unsigned port, uint16_t *pkeys, unsigned max)
{
	char path[PATH_MAX], buf[16];
	unsigned n = 0;

	if (!sysfs_name_ok(dev))
		return -ENOENT;
	for (unsigned i = 0; n < max; i++) {
		unsigned long v;

		(void) snprintf(path, sizeof(path), SYS_IB "/%s/ports/%u/pkeys/%u", dev, port, i);
		if (sysfs_read_line(path, buf, sizeof(buf)) < 0)
			break;
		v = strtoul(buf, NULL, 16);
		if (v & 0x7fff)
			pkeys[n++] = (uint16_t) v;
	}
	return (int) n;
}

int rdmadev_rate(const char *dev, unsigned port, char *out, size_t len)
{
	char path[PATH_MAX];

	(void) snprintf(path, sizeof(path), SYS_IB "/%s/ports/%u/rate", dev, port);
	return sysfs_read_line(path, out, len);
}

unsigned rdmadev_rate_mbps(const char *dev, unsigned port)
{
	char buf[64];

	if (rdmadev_rate(dev, port, buf, sizeof(buf)) <= 0)
		return 0;
	return (unsigned) (strtod(buf, NULL) * 1000.0);
}

int rdmadev_numa_node(const char *dev)
{
	char path[PATH_MAX], buf[16];

	(void) snprintf(path, sizeof(path), SYS_IB "/%s/device/numa_node", dev);
	return sysfs_read_line(path, buf, sizeof(buf)) > 0 ? atoi(buf) : -1;
}

int rdmadev_uverbs_node(const char *dev, char *out, size_t len)
{
	_cleanup_(closedirp) DIR *dir = opendir(SYS_UVERBS);
	struct dirent *e;

	if (!dir)
		return -ENOENT;
	while ((e = readdir(dir))) {
		char path[PATH_MAX], name[128];

		if (strncmp(e->d_name, "uverbs", 6))
			continue;
		(void) snprintf(path, sizeof(path), SYS_UVERBS "/%s/ibdev", e->d_name);
		if (sysfs_read_line(path, name, sizeof(name)) <= 0 || strcmp(name, dev))
			continue;
		return snprintf(out, len, "/dev/infiniband/%s", e->d_name) < (int) len ?
			       0 :
			       -ENAMETOOLONG;
	}
	return -ENOENT;
}
