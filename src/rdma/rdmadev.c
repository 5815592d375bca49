/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rdmadev.c - RDMA devices over RDMA netlink (NETLINK_RDMA, libnl core as transport): the
 * netns mode, devices, ports and their netdevs, and the netns move that `rdma dev set DEV netns
 * NS` performs. What RDMA netlink does not carry comes from sysfs (rdmadev_sysfs.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <rdma/rdma_netlink.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/rdmadev.h"
#include "rdmanet/rdmadev_sysfs.h"

#define ATTR_MAX (RDMA_NLDEV_ATTR_MAX - 1)

DEFINE_CLEANUP(struct nl_msg *, nlmsg_free)

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
	if (!attr_ok(tb[RDMA_NLDEV_ATTR_DEV_INDEX], 4) ||
	    !attr_ok(tb[RDMA_NLDEV_ATTR_PORT_INDEX], 4))
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

int rdmadev_foreach_port(struct netlink *nl, int (*fn)(const struct rdmadev_port *port, void *arg),
			 void *arg)
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

int rdmadev_find_by_netdev(struct netlink *nl, int ifindex, const char *ifname,
			   struct rdmadev_port *port)
{
	struct port_match m = { .ifindex = ifindex, .out = port };
	int r = -EPROTONOSUPPORT;

	if (nl && nl->sk) {
		r = rdmadev_foreach_port(nl, match_port, &m);
		if (r >= 0 && m.found) {
			if (!port->ndev_name[0] && ifname)
				(void) snprintf(port->ndev_name, sizeof(port->ndev_name), "%s",
						ifname);
			return 0;
		}
		/* kernels before 4.20 carry no port netdev: only then does sysfs decide */
		if (r >= 0 && m.saw_ndev_attr)
			return -ENOENT;
	}
	if (ifname && rdmadev_sysfs_port_by_netdev(ifname, port) >= 0) {
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
