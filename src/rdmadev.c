/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rdmadev.c - RDMA devices over RDMA netlink (NETLINK_RDMA, libnl core as transport): the
 * netns mode, devices, ports and their netdevs, and the netns move that `rdma dev set DEV netns
 * NS` performs. The GID and P_Key tables, PCI parents and drivers are not in RDMA netlink: they
 * come from sysfs, which shows what the caller's mount of /sys shows.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <rdma/rdma_netlink.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/rdmadev.h"

#define ATTR_MAX (RDMA_NLDEV_ATTR_MAX - 1)
#define SYS_IB "/sys/class/infiniband"

DEFINE_CLEANUP(struct nl_msg *, nlmsg_free)
DEFINE_CLEANUP(DIR *, closedir)

int rdmadev_open(struct netlink *nl)
{
	return netlink_open_protocol(nl, NETLINK_RDMA);
}

static struct nl_msg *nldev_msg(int cmd, int flags)
{
	return nlmsg_alloc_simple(RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, cmd), flags);
}

struct nl_msg *rdmadev_msg_sys_get(void)
{
	return nldev_msg(RDMA_NLDEV_CMD_SYS_GET, 0);
}

struct nl_msg *rdmadev_msg_dev_dump(void)
{
	return nldev_msg(RDMA_NLDEV_CMD_GET, NLM_F_DUMP);
}

/* The kernel dumps ports one device at a time: DEV_INDEX is required. */
static struct nl_msg *port_dump_msg(unsigned dev_index)
{
	struct nl_msg *msg = nldev_msg(RDMA_NLDEV_CMD_PORT_GET, NLM_F_DUMP);

	if (msg && nla_put_u32(msg, RDMA_NLDEV_ATTR_DEV_INDEX, dev_index) < 0) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

struct nl_msg *rdmadev_msg_port_dump(unsigned dev_index)
{
	return port_dump_msg(dev_index);
}

struct nl_msg *rdmadev_msg_move(unsigned dev_index, int netns_fd)
{
	struct nl_msg *msg = nldev_msg(RDMA_NLDEV_CMD_SET, 0);

	if (msg && (nla_put_u32(msg, RDMA_NLDEV_ATTR_DEV_INDEX, dev_index) < 0 ||
		    nla_put_u32(msg, RDMA_NLDEV_NET_NS_FD, (uint32_t) netns_fd) < 0)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int parse(const struct nlmsghdr *h, int cmd, struct nlattr **tb)
{
	if (h->nlmsg_type != RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, cmd))
		return -EBADMSG;
	if (nlmsg_parse((struct nlmsghdr *) h, 0, tb, ATTR_MAX, NULL) < 0)
		return -EBADMSG;
	return 0;
}

static bool attr_ok(const struct nlattr *a, int len)
{
	return a && nla_len(a) >= len;
}

static void attr_str(const struct nlattr *a, char *out, size_t len)
{
	out[0] = '\0';
	if (a && nla_len(a) > 0)
		(void) snprintf(out, len, "%.*s", nla_len(a), (const char *) nla_data(a));
}

int rdmadev_parse_sys(const struct nlmsghdr *h, enum rdmadev_netns_mode *mode)
{
	struct nlattr *tb[ATTR_MAX + 1];
	int r = parse(h, RDMA_NLDEV_CMD_SYS_GET, tb);

	if (r < 0)
		return r;
	if (!attr_ok(tb[RDMA_NLDEV_SYS_ATTR_NETNS_MODE], 1))
		return -EOPNOTSUPP;
	*mode = nla_get_u8(tb[RDMA_NLDEV_SYS_ATTR_NETNS_MODE]) ? RDMADEV_NETNS_SHARED :
								 RDMADEV_NETNS_EXCLUSIVE;
	return 0;
}

int rdmadev_parse_dev(const struct nlmsghdr *h, struct rdmadev *dev)
{
	struct nlattr *tb[ATTR_MAX + 1];
	int r = parse(h, RDMA_NLDEV_CMD_GET, tb);

	if (r < 0)
		return r;
	memset(dev, 0, sizeof(*dev));
	if (!attr_ok(tb[RDMA_NLDEV_ATTR_DEV_INDEX], 4) || !tb[RDMA_NLDEV_ATTR_DEV_NAME])
		return -EBADMSG;
	dev->index = nla_get_u32(tb[RDMA_NLDEV_ATTR_DEV_INDEX]);
	attr_str(tb[RDMA_NLDEV_ATTR_DEV_NAME], dev->name, sizeof(dev->name));
	if (attr_ok(tb[RDMA_NLDEV_ATTR_PORT_INDEX], 4))
		dev->n_ports = nla_get_u32(tb[RDMA_NLDEV_ATTR_PORT_INDEX]);
	if (attr_ok(tb[RDMA_NLDEV_ATTR_DEV_NODE_TYPE], 1))
		dev->node_type = nla_get_u8(tb[RDMA_NLDEV_ATTR_DEV_NODE_TYPE]);
	if (attr_ok(tb[RDMA_NLDEV_ATTR_NODE_GUID], 8))
		dev->node_guid = nla_get_u64(tb[RDMA_NLDEV_ATTR_NODE_GUID]);
	attr_str(tb[RDMA_NLDEV_ATTR_DEV_PROTOCOL], dev->protocol, sizeof(dev->protocol));
	attr_str(tb[RDMA_NLDEV_ATTR_FW_VERSION], dev->fw, sizeof(dev->fw));
	return dev->name[0] ? 0 : -EBADMSG;
}

int rdmadev_parse_port(const struct nlmsghdr *h, struct rdmadev_port *port)
{
	struct nlattr *tb[ATTR_MAX + 1];
	/* a dump answers with PORT_GET, a single PORT_GET with GET (the kernel's choice) */
	int r = parse(h, RDMA_NLDEV_CMD_PORT_GET, tb);

	if (r == -EBADMSG)
		r = parse(h, RDMA_NLDEV_CMD_GET, tb);
	if (r < 0)
		return r;
	memset(port, 0, sizeof(*port));
	if (!attr_ok(tb[RDMA_NLDEV_ATTR_DEV_INDEX], 4) || !attr_ok(tb[RDMA_NLDEV_ATTR_PORT_INDEX], 4))
		return -EBADMSG;
	port->dev_index = nla_get_u32(tb[RDMA_NLDEV_ATTR_DEV_INDEX]);
	port->port = nla_get_u32(tb[RDMA_NLDEV_ATTR_PORT_INDEX]);
	attr_str(tb[RDMA_NLDEV_ATTR_DEV_NAME], port->dev_name, sizeof(port->dev_name));
	if (attr_ok(tb[RDMA_NLDEV_ATTR_NDEV_INDEX], 4)) {
		port->ndev_index = (int) nla_get_u32(tb[RDMA_NLDEV_ATTR_NDEV_INDEX]);
		port->has_ndev_attr = true;
	}
	attr_str(tb[RDMA_NLDEV_ATTR_NDEV_NAME], port->ndev_name, sizeof(port->ndev_name));
	if (attr_ok(tb[RDMA_NLDEV_ATTR_PORT_STATE], 1))
		port->state = nla_get_u8(tb[RDMA_NLDEV_ATTR_PORT_STATE]);
	if (attr_ok(tb[RDMA_NLDEV_ATTR_PORT_PHYS_STATE], 1))
		port->phys_state = nla_get_u8(tb[RDMA_NLDEV_ATTR_PORT_PHYS_STATE]);
	return 0;
}

static int on_sys(struct nlmsghdr *h, void *arg)
{
	return rdmadev_parse_sys(h, arg);
}

int rdmadev_netns_mode(struct netlink *nl, enum rdmadev_netns_mode *mode)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = rdmadev_msg_sys_get();
	int r;

	if (!msg)
		return -ENOMEM;
	r = netlink_talk(nl, msg, on_sys, mode);
	if (r == -EINVAL)
		return -EOPNOTSUPP; /* kernels before 5.2 have no SYS_GET */
	return r;
}

struct dev_list {
	struct rdmadev *devs;
	size_t n, cap;
};

static int on_dev(struct nlmsghdr *h, void *arg)
{
	struct dev_list *l = arg;
	struct rdmadev dev;

	if (rdmadev_parse_dev(h, &dev) < 0)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		struct rdmadev *d;

		if (cap > 4096)
			return -E2BIG;
		d = realloc(l->devs, cap * sizeof(*d));
		if (!d)
			return -ENOMEM;
		l->devs = d;
		l->cap = cap;
	}
	l->devs[l->n++] = dev;
	return 0;
}

/* A dump cannot nest in another on one socket: devices are collected first. */
static int dev_list(struct netlink *nl, struct dev_list *l)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = rdmadev_msg_dev_dump();

	memset(l, 0, sizeof(*l));
	if (!msg)
		return -ENOMEM;
	return netlink_talk(nl, msg, on_dev, l);
}

int rdmadev_foreach(struct netlink *nl, int (*fn)(const struct rdmadev *dev, void *arg), void *arg)
{
	struct dev_list l;
	int r = dev_list(nl, &l);

	for (size_t i = 0; r >= 0 && i < l.n; i++)
		r = fn(&l.devs[i], arg);
	free(l.devs);
	return r;
}

struct dev_match {
	const char *name;
	struct rdmadev *out;
	bool found;
};

static int match_dev(const struct rdmadev *dev, void *arg)
{
	struct dev_match *m = arg;

	if (!m->found && !strcmp(dev->name, m->name)) {
		*m->out = *dev;
		m->found = true;
	}
	return 0;
}

/* The kernel's GET takes an index only: names are matched in a dump, as the rdma tool does. */
int rdmadev_find(struct netlink *nl, const char *name, struct rdmadev *dev)
{
	struct dev_match m = { name, dev, false };
	int r;

	if (!name || !*name || strlen(name) >= RDMADEV_NAME_MAX)
		return -ENOENT;
	memset(dev, 0, sizeof(*dev));
	r = rdmadev_foreach(nl, match_dev, &m);
	if (r < 0)
		return r;
	return m.found ? 0 : -ENOENT;
}

struct port_walk {
	int (*fn)(const struct rdmadev_port *port, void *arg);
	void *arg;
};

static int on_port(struct nlmsghdr *h, void *arg)
{
	struct port_walk *w = arg;
	struct rdmadev_port port;

	if (rdmadev_parse_port(h, &port) < 0)
		return 0;
	return w->fn(&port, w->arg);
}

static int dev_ports(struct netlink *nl, const struct rdmadev *dev, struct port_walk *w)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = port_dump_msg(dev->index);
	int r;

	if (!msg)
		return -ENOMEM;
	r = netlink_talk(nl, msg, on_port, w);
	return r == -ENODEV ? 0 : r; /* the device went away meanwhile */
}

int rdmadev_foreach_port(struct netlink *nl,
			 int (*fn)(const struct rdmadev_port *port, void *arg), void *arg)
{
	struct port_walk w = { fn, arg };
	struct dev_list l;
	int r = dev_list(nl, &l);

	for (size_t i = 0; r >= 0 && i < l.n; i++)
		r = dev_ports(nl, &l.devs[i], &w);
	free(l.devs);
	return r;
}

struct port_match {
	int ifindex;
	const char *dev;
	unsigned port;
	bool saw_ndev_attr;
	bool found;
	struct rdmadev_port *out;
};

static int match_port(const struct rdmadev_port *p, void *arg)
{
	struct port_match *m = arg;

	if (p->has_ndev_attr)
		m->saw_ndev_attr = true;
	if (m->found)
		return 0;
	if ((m->ifindex > 0 && p->ndev_index == m->ifindex) ||
	    (m->dev && !strcmp(p->dev_name, m->dev) && (!m->port || p->port == m->port))) {
		*m->out = *p;
		m->found = true;
	}
	return 0;
}

static int read_line(const char *path, char *out, size_t len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? -ENOENT : -errno;
	n = read(fd, out, len - 1);
	if (n < 0)
		return -errno;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return (int) strlen(out);
}

/* A sysfs name component we may put in a path: no '/', no "." or "..". */
static bool name_ok(const char *s)
{
	return s && *s && strlen(s) < NAME_MAX && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

/* First entry of a sysfs directory. */
static int first_entry(const char *dir, char *out, size_t len)
{
	_cleanup_(closedirp) DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? -ENOENT : -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (strlen(e->d_name) >= len)
			return -ENAMETOOLONG;
		strcpy(out, e->d_name);
		return 0;
	}
	return -ENOENT;
}

/* sysfs: the device whose port's first GID entry belongs to ifname (PCI parents first). */
static int port_by_sysfs(const char *ifname, struct rdmadev_port *port)
{
	_cleanup_(closedirp) DIR *d = NULL;
	char path[PATH_MAX], dev[RDMADEV_NAME_MAX], nd[IF_NAMESIZE];
	struct dirent *e;

	if (!name_ok(ifname))
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

			(void) snprintf(path, sizeof(path), SYS_IB "/%s/ports/%u/gid_attrs/ndevs/0", dev, p);
			if (read_line(path, nd, sizeof(nd)) < 0 || strcmp(nd, ifname))
				continue;
			memset(port, 0, sizeof(*port));
			strcpy(port->dev_name, dev);
			port->port = p;
			strcpy(port->ndev_name, ifname);
			(void) snprintf(path, sizeof(path), SYS_IB "/%s/ports/%u/state", dev, p);
			if (read_line(path, state, sizeof(state)) > 0)
				port->state = (unsigned) strtoul(state, NULL, 10);
			(void) snprintf(path, sizeof(path), SYS_IB "/%s/ports/%u/phys_state", dev, p);
			if (read_line(path, state, sizeof(state)) > 0)
				port->phys_state = (unsigned) strtoul(state, NULL, 10);
			return 0;
		}
	}
	return -ENOENT;
}

int rdmadev_find_by_netdev(struct netlink *nl, int ifindex, const char *ifname,
			   struct rdmadev_port *port)
{
	struct port_match m = { .ifindex = ifindex, .out = port };
	int r = -EPROTONOSUPPORT;

	if (nl && nl->sk) {
		r = rdmadev_foreach_port(nl, match_port, &m);
		if (r >= 0 && m.found) {
			if (!port->ndev_name[0] && ifname)
				(void) snprintf(port->ndev_name, sizeof(port->ndev_name), "%s", ifname);
			return 0;
		}
		/* kernels before 4.20 carry no port netdev: only then does sysfs decide */
		if (r >= 0 && m.saw_ndev_attr)
			return -ENOENT;
	}
	if (ifname && port_by_sysfs(ifname, port) >= 0) {
		port->ndev_index = ifindex;
		return 0;
	}
	return r < 0 && r != -EPROTONOSUPPORT ? r : -ENOENT;
}

int rdmadev_find_port(struct netlink *nl, const char *name, unsigned port_num,
		      struct rdmadev_port *port)
{
	struct port_match m = { .dev = name, .port = port_num, .out = port };
	int r = rdmadev_foreach_port(nl, match_port, &m);

	if (r < 0)
		return r;
	return m.found ? 0 : -ENOENT;
}

int rdmadev_move_to_netns(struct netlink *nl, unsigned dev_index, int netns_fd)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = rdmadev_msg_move(dev_index, netns_fd);

	if (!msg)
		return -ENOMEM;
	return netlink_talk(nl, msg, NULL, NULL);
}

/* The last path component of a sysfs link target. */
static int link_base(const char *path, char *out, size_t len)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	const char *b;

	if (n < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	buf[n] = '\0';
	b = strrchr(buf, '/');
	b = b ? b + 1 : buf;
	if (strlen(b) >= len)
		return -ENAMETOOLONG;
	strcpy(out, b);
	return 0;
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

	if (!name_ok(dev))
		return -ENOENT;
	(void) snprintf(path, sizeof(path), SYS_IB "/%s/device", dev);
	return rdmadev_sysfs_pci(path, out, len);
}

int rdmadev_netdev_pci_address(const char *ifname, char *out, size_t len)
{
	char path[PATH_MAX];

	if (!name_ok(ifname))
		return -ENOENT;
	(void) snprintf(path, sizeof(path), "/sys/class/net/%s/device", ifname);
	return rdmadev_sysfs_pci(path, out, len);
}

int rdmadev_driver(const char *dev, char *out, size_t len)
{
	char path[PATH_MAX], type[32];
	int r;

	if (!name_ok(dev))
		return -ENOENT;
	(void) snprintf(path, sizeof(path), SYS_IB "/%s/device/driver", dev);
	r = link_base(path, out, len);
	if (r != -ENOENT)
		return r;
	/* software devices have no parent device: rxe is a CA, siw an RNIC */
	(void) snprintf(path, sizeof(path), SYS_IB "/%s/node_type", dev);
	r = read_line(path, type, sizeof(type));
	if (r < 0)
		return r;
	(void) snprintf(out, len, "%s", strtoul(type, NULL, 10) == RDMA_NODE_RNIC ? "siw" : "rdma_rxe");
	return 0;
}

static bool bus_id_ok(const char *id)
{
	if (!name_ok(id) || strlen(id) > 64)
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
		if (first_entry(path, out, len) >= 0)
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
		r = first_entry(path, out, len);
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

	if (!name_ok(dev))
		return -ENOENT;
	(void) snprintf(path, sizeof(path), SYS_IB "/%s/ports/%u/link_layer", dev, port);
	return read_line(path, out, len) < 0 ? -ENOENT : 0;
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
	r = read_line(path, buf, sizeof(buf));
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
	if (read_line(path, g->type, sizeof(g->type)) < 0)
		g->type[0] = '\0';
	(void) snprintf(path, sizeof(path), SYS_IB "/%s/ports/%u/gid_attrs/ndevs/%u", dev, port,
			g->index);
	if (read_line(path, g->ndev, sizeof(g->ndev)) < 0)
		g->ndev[0] = '\0';
}

int rdmadev_gid_foreach(const char *dev, unsigned port,
			int (*fn)(const struct rdmadev_gid *gid, void *arg), void *arg)
{
	struct rdmadev_gid g;
	int r;

	if (!name_ok(dev))
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
	/* RoCE v2 is routable and what NCCL and rdma_cm pick: prefer it over v1 */
	if (!s->found || (strstr(g->type, "v2") && !strstr(s->best.type, "v2")))
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
	if (!name_ok(dev))
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

	if (!name_ok(dev))
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

	if (!name_ok(dev))
		return -ENOENT;
	for (unsigned i = 0; n < max; i++) {
		unsigned long v;

		(void) snprintf(path, sizeof(path), SYS_IB "/%s/ports/%u/pkeys/%u", dev, port, i);
		if (read_line(path, buf, sizeof(buf)) < 0)
			break;
		v = strtoul(buf, NULL, 16);
		if (v & 0x7fff)
			pkeys[n++] = (uint16_t) v;
	}
	return (int) n;
}
