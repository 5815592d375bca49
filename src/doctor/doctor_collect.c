/* SPDX-License-Identifier: Apache-2.0 */
/*
 * doctor_collect.c - the facts of a doctor report: RDMA netlink (devices, ports, netns mode),
 * sysfs (GIDs, P_Keys, drivers), libibverbs when installed (MTU, rate) and rtnetlink (netdevs,
 * addresses, the pod's rails), as the caller's netns and /sys show them. Each group of facts is
 * handed to its rules (doctor_rules.c) as soon as it is known.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/doctor_calllog.h"
#include "rdmanet/doctor_collect.h"
#include "rdmanet/iflink.h"
#include "rdmanet/ipaddr.h"
#include "rdmanet/ipaddr_sysctl.h"
#include "rdmanet/iprule.h"
#include "rdmanet/sysfs.h"
#include "rdmanet/verbs.h"

static cJSON *add_netdev(cJSON *o, const struct iflink_info *li)
{
	cJSON *n = cJSON_AddObjectToObject(o, "netdev");

	cJSON_AddStringToObject(n, "name", li->name);
	cJSON_AddNumberToObject(n, "ifindex", li->ifindex);
	cJSON_AddNumberToObject(n, "mtu", li->mtu);
	cJSON_AddBoolToObject(n, "up", li->flags & IFF_UP);
	cJSON_AddBoolToObject(n, "carrier", li->flags & IFF_LOWER_UP);
	return n;
}

static int collect_dev(const struct rdmadev *dev, void *arg)
{
	struct doctor *d = arg;

	if (d->n_devs < ARRAY_SIZE(d->devs))
		d->devs[d->n_devs++] = *dev;
	return 0;
}

static int collect_port(const struct rdmadev_port *p, void *arg)
{
	struct doctor *d = arg;

	if (d->n_ports < ARRAY_SIZE(d->ports))
		d->ports[d->n_ports++] = *p;
	d->any_active |= p->state == VERBS_PORT_ACTIVE;
	return 0;
}

static int gid_to_json(const struct rdmadev_gid *g, void *arg)
{
	cJSON *e = cJSON_CreateObject();
	char s[RDMADEV_GID_STR], ip[INET6_ADDRSTRLEN];

	rdmadev_format_gid(g->gid, s);
	(void) inet_ntop(AF_INET6, g->gid, ip, sizeof(ip));
	cJSON_AddNumberToObject(e, "index", g->index);
	cJSON_AddStringToObject(e, "gid", s);
	cJSON_AddStringToObject(e, "address", ip);
	cJSON_AddStringToObject(e, "type", g->type);
	cJSON_AddStringToObject(e, "netdev", g->ndev);
	cJSON_AddItemToArray(arg, e);
	return 0;
}

static cJSON *port_json(struct doctor *d, const struct rdmadev_port *p)
{
	cJSON *o = cJSON_CreateObject(), *g, *a;
	unsigned used = 0, total = 0;
	char ll[32] = "", s[64];
	struct iflink_info li;
	bool has_nd = false;
	struct verbs_port vp;
	uint16_t pk[64];
	int r, n;

	cJSON_AddNumberToObject(o, "port", p->port);
	cJSON_AddStringToObject(o, "state", verbs_port_state_name(p->state));
	cJSON_AddStringToObject(o, "physState", verbs_phys_state_name(p->phys_state));
	r = d->verbs ? verbs_query_port(p->dev_name, p->port, &vp) : -ELIBACC;
	if (r >= 0) {
		(void) snprintf(ll, sizeof(ll), "%s", verbs_link_layer_name(vp.link_layer));
		cJSON_AddNumberToObject(o, "activeMtu", vp.active_mtu);
		cJSON_AddNumberToObject(o, "maxMtu", vp.max_mtu);
		cJSON_AddNumberToObject(o, "rateMbps", vp.rate_mbps);
	} else {
		(void) rdmadev_link_layer(p->dev_name, p->port, ll, sizeof(ll));
		doctor_rule_port_verbs(&d->findings, p, r);
	}
	cJSON_AddStringToObject(o, "linkLayer", ll[0] ? ll : "?");
	(void) rdmadev_rate(p->dev_name, p->port, s, sizeof(s));
	cJSON_AddStringToObject(o, "rate", s);
	if (p->ndev_index > 0 && d->rt.sk && iflink_find_index(&d->rt, p->ndev_index, &li) >= 0) {
		(void) add_netdev(o, &li);
		has_nd = true;
	}
	doctor_rule_port_state(&d->findings, p, !strcmp(ll, "InfiniBand"), has_nd ? &li : NULL,
			       d->any_active);

	g = cJSON_AddObjectToObject(o, "gids");
	if (rdmadev_gid_usage(p->dev_name, p->port, &used, &total) >= 0) {
		cJSON_AddNumberToObject(g, "used", used);
		cJSON_AddNumberToObject(g, "total", total);
	}
	doctor_rule_gid_usage(&d->findings, p, used, total);
	(void) rdmadev_gid_foreach(p->dev_name, p->port, gid_to_json,
				   cJSON_AddArrayToObject(g, "entries"));
	if (strcmp(ll, "InfiniBand"))
		return o;
	doctor_rule_enhanced_ipoib(&d->findings, p->dev_name);
	a = cJSON_AddArrayToObject(o, "pkeys");
	n = rdmadev_pkeys(p->dev_name, p->port, pk, ARRAY_SIZE(pk));
	for (int i = 0; i < n; i++) {
		(void) snprintf(s, sizeof(s), "0x%04x", pk[i]);
		cJSON_AddItemToArray(a, cJSON_CreateString(s));
	}
	return o;
}

static void device_json(struct doctor *d, const struct rdmadev *dev, cJSON *arr)
{
	cJSON *o = cJSON_CreateObject(), *ports, *u;
	uint64_t guid = dev->node_guid;
	char buf[128];
	bool present;

	cJSON_AddItemToArray(arr, o);
	cJSON_AddStringToObject(o, "name", dev->name);
	if (rdmadev_driver(dev->name, buf, sizeof(buf)) < 0)
		buf[0] = '\0';
	cJSON_AddStringToObject(o, "driver", buf);
	if (rdmadev_pci_address(dev->name, buf, sizeof(buf)) < 0)
		buf[0] = '\0';
	cJSON_AddStringToObject(o, "pci", buf);
	(void) snprintf(buf, sizeof(buf), "%04" PRIx64 ":%04" PRIx64 ":%04" PRIx64 ":%04" PRIx64,
			guid >> 48, (guid >> 32) & 0xffff, (guid >> 16) & 0xffff, guid & 0xffff);
	cJSON_AddStringToObject(o, "nodeGuid", buf);
	cJSON_AddStringToObject(o, "fw", dev->fw);
	cJSON_AddStringToObject(o, "protocol", dev->protocol);
	/* GPU/NIC affinity: the NUMA node of the device's PCI function (-1: none or unknown) */
	cJSON_AddNumberToObject(o, "numaNode", rdmadev_numa_node(dev->name));

	u = cJSON_AddObjectToObject(o, "uverbs");
	if (verbs_uverbs_node(dev->name, buf, sizeof(buf)) < 0) {
		cJSON_AddNullToObject(u, "path");
		cJSON_AddFalseToObject(u, "present");
		doctor_rule_uverbs(&d->findings, dev->name, NULL, false);
	} else {
		present = access(buf, F_OK) == 0;
		cJSON_AddStringToObject(u, "path", buf);
		cJSON_AddBoolToObject(u, "present", present);
		doctor_rule_uverbs(&d->findings, dev->name, buf, present);
	}
	ports = cJSON_AddArrayToObject(o, "ports");
	for (size_t i = 0; i < d->n_ports; i++)
		if (d->ports[i].dev_index == dev->index)
			cJSON_AddItemToArray(ports, port_json(d, &d->ports[i]));
}

static void devices(struct doctor *d)
{
	enum rdmadev_netns_mode mode = RDMADEV_NETNS_SHARED;
	cJSON *arr = cJSON_AddArrayToObject(d->root, "devices");
	bool cm = access(DOCTOR_RDMA_CM, F_OK) == 0;
	int r = rdmadev_open(&d->rdma);

	cJSON_AddBoolToObject(d->root, "rdmaStack", r >= 0);
	if (r < 0) {
		d->rdma.sk = NULL;
		cJSON_AddNullToObject(d->root, "netnsMode");
		doctor_rule_rdma_netlink(&d->findings, r);
		return;
	}
	/* kernels before 5.2 have no modes: every device is in every netns, as when shared */
	if (rdmadev_netns_mode(&d->rdma, &mode) < 0)
		cJSON_AddNullToObject(d->root, "netnsMode");
	else
		cJSON_AddStringToObject(d->root, "netnsMode",
					mode == RDMADEV_NETNS_SHARED ? "shared" : "exclusive");
	r = rdmadev_foreach(&d->rdma, collect_dev, d);
	if (r >= 0)
		r = rdmadev_foreach_port(&d->rdma, collect_port, d);
	doctor_rule_devices(&d->findings, r, netlink_errmsg(&d->rdma), d->n_devs, mode);
	if (!d->n_devs)
		return;
	cJSON_AddBoolToObject(d->root, "rdmaCm", cm);
	doctor_rule_rdma_cm(&d->findings, cm);
	for (size_t i = 0; i < d->n_devs; i++)
		device_json(d, &d->devs[i], arr);
}

struct gid_match {
	const char *ndev;         /* an entry of this netdev, or */
	const unsigned char *gid; /* this GID (IPoIB: bytes 4-19 of the hardware address) */
	bool found;
};

static int gid_match(const struct rdmadev_gid *g, void *arg)
{
	struct gid_match *m = arg;

	m->found |= m->ndev ? !strcmp(g->ndev, m->ndev) : !memcmp(g->gid, m->gid, 16);
	return 0;
}

/*
 * The RDMA port of a netdev, and how it was found: the port's own netdev (RDMA netlink, sysfs),
 * a child (macvlan, VLAN) whose IPs the kernel lists in its parent port's GID table, or an
 * IPoIB interface (P_Key children too) whose hardware address carries the port GID.
 */
static const char *find_port(struct doctor *d, const struct iflink_info *li,
			     struct rdmadev_port *out)
{
	bool ipoib = li->type == ARPHRD_INFINIBAND && li->addr_len == 20;
	struct gid_match m = { ipoib ? NULL : li->name, li->addr + 4, false };

	if (rdmadev_find_by_netdev(&d->rdma, li->ifindex, li->name, out) >= 0)
		return "netdev";
	for (size_t i = 0; i < d->n_ports && !m.found; i++) {
		(void) rdmadev_gid_foreach(d->ports[i].dev_name, d->ports[i].port, gid_match, &m);
		if (m.found)
			*out = d->ports[i];
	}
	return !m.found ? NULL : ipoib ? "ipoib" : "gid";
}

static int cache_gid(const struct rdmadev_gid *g, void *arg)
{
	struct doctor *d = arg;

	if (d->n_gids == d->cap_gids) {
		size_t cap = d->cap_gids ? 2 * d->cap_gids : 64;
		struct rdmadev_gid *n = cap > 65536 ? NULL : realloc(d->gids, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		d->gids = n;
		d->cap_gids = cap;
	}
	d->gids[d->n_gids++] = *g;
	return 0;
}

/* rdmadev_gid_find over a table read once per port (sysfs reads are slow on big tables). */
static int gid_find(struct doctor *d, const struct rdmadev_port *p, int family, const void *addr,
		    struct rdmadev_gid *out)
{
	unsigned char want[16];
	const struct rdmadev_gid *best = NULL;

	if (strcmp(d->gid_dev, p->dev_name) || d->gid_port != p->port) {
		d->n_gids = 0;
		(void) snprintf(d->gid_dev, sizeof(d->gid_dev), "%s", p->dev_name);
		d->gid_port = p->port;
		if (rdmadev_gid_foreach(p->dev_name, p->port, cache_gid, d) < 0)
			d->gid_dev[0] = '\0';
	}
	if (rdmadev_ip_gid(family, addr, want) < 0)
		return -ENOENT;
	for (size_t i = 0; i < d->n_gids; i++)
		if (!memcmp(d->gids[i].gid, want, 16) && rdmadev_gid_better(&d->gids[i], best))
			best = &d->gids[i];
	if (!best)
		return -ENOENT;
	*out = *best;
	return 0;
}

/* The prefix length of a netmask of n bytes. */
static unsigned mask_len(const void *mask, size_t n)
{
	unsigned len = 0;

	for (size_t i = 0; i < n; i++)
		len += (unsigned) __builtin_popcount(((const unsigned char *) mask)[i]);
	return len;
}

/* ip from an address of getifaddrs(); false for other families. */
static bool ifaddr_ip(const struct ifaddrs *a, struct cni_ip *ip)
{
	const void *src, *mask;
	size_t n;

	if (a->ifa_addr->sa_family == AF_INET) {
		src = &((struct sockaddr_in *) a->ifa_addr)->sin_addr;
		mask = a->ifa_netmask ? &((struct sockaddr_in *) a->ifa_netmask)->sin_addr : NULL;
		n = 4;
	} else if (a->ifa_addr->sa_family == AF_INET6) {
		src = &((struct sockaddr_in6 *) a->ifa_addr)->sin6_addr;
		mask = a->ifa_netmask ? &((struct sockaddr_in6 *) a->ifa_netmask)->sin6_addr : NULL;
		n = 16;
	} else {
		return false;
	}
	memset(ip, 0, sizeof(*ip));
	ip->family = a->ifa_addr->sa_family;
	memcpy(ip->addr, src, n);
	ip->prefixlen = mask ? mask_len(mask, n) : 0;
	return true;
}

static void addr_json(struct doctor *d, const struct iflink_info *li, const struct rdmadev_port *p,
		      const struct cni_ip *ip, cJSON *arr)
{
	cJSON *o = cJSON_CreateObject();
	char s[INET6_ADDRSTRLEN];
	struct rdmadev_gid g;
	unsigned fl = 0;

	(void) inet_ntop(ip->family, ip->addr, s, sizeof(s));
	cJSON_AddItemToArray(arr, o);
	cJSON_AddStringToObject(o, "address", s);
	if (gid_find(d, p, ip->family, ip->addr, &g) >= 0) {
		cJSON_AddNumberToObject(o, "gidIndex", g.index);
		cJSON_AddStringToObject(o, "gidType", g.type);
		return;
	}
	/* DAD state: only IPv6 has it */
	if (ip->family != AF_INET6 || ipaddr_flags(&d->rt, li->ifindex, ip, &fl) <= 0)
		fl = 0;
	cJSON_AddNullToObject(o, "gidIndex");
	doctor_rule_no_gid(&d->findings, s, p, li, fl);
}

static void interface(struct doctor *d, const char *name, cJSON *arr)
{
	cJSON *o = cJSON_CreateObject(), *addrs, *rd;
	struct verbs_port vp = { 0 };
	struct ifaddrs *ifa = NULL;
	struct rdmadev_port p;
	struct iflink_info li;
	char ll[32] = "", mode[32];
	const char *via;

	cJSON_AddItemToArray(arr, o);
	cJSON_AddStringToObject(o, "name", name);
	if (!d->rt.sk || iflink_find(&d->rt, name, &li) < 0) {
		cJSON_AddFalseToObject(o, "exists");
		doctor_rule_no_netdev(&d->findings, name);
		return;
	}
	cJSON_AddTrueToObject(o, "exists");
	(void) add_netdev(o, &li);
	via = find_port(d, &li, &p);
	if (!via) {
		cJSON_AddNullToObject(o, "rdma");
		doctor_rule_no_rdma(&d->findings, name, d->n_devs);
		return;
	}
	rd = cJSON_AddObjectToObject(o, "rdma");
	cJSON_AddStringToObject(rd, "device", p.dev_name);
	cJSON_AddNumberToObject(rd, "port", p.port);
	cJSON_AddStringToObject(rd, "via", via);
	if (d->verbs && verbs_query_port(p.dev_name, p.port, &vp) >= 0)
		(void) snprintf(ll, sizeof(ll), "%s", verbs_link_layer_name(vp.link_layer));
	else
		(void) rdmadev_link_layer(p.dev_name, p.port, ll, sizeof(ll));
	doctor_rule_interface_port(&d->findings, name, &p, d->any_active);

	if (!strcmp(ll, "InfiniBand")) {
		(void) sysfs_read_linef(mode, sizeof(mode), "/sys/class/net/%s/mode", name);
		doctor_rule_ipoib_mtu(&d->findings, &li, mode, &vp);
		return; /* IB GIDs come from port GUIDs, not from IP addresses */
	}
	doctor_rule_roce_mtu(&d->findings, &li, &vp);
	addrs = cJSON_AddArrayToObject(o, "addresses");
	if (getifaddrs(&ifa) < 0)
		return;
	for (struct ifaddrs *a = ifa; a; a = a->ifa_next) {
		struct cni_ip ip;

		if (!a->ifa_addr || strcmp(a->ifa_name, name) || !ifaddr_ip(a, &ip))
			continue;
		addr_json(d, &li, &p, &ip, addrs);
	}
	freeifaddrs(ifa);
}

/* The sysctls of doctor_rail.sysctl, in its order. */
static const char *const rail_sysctls[] = { "arp_ignore", "arp_announce", "rp_filter" };

struct rail_set {
	struct doctor_rail r[32];
	unsigned n;
};

static int collect_rail(const struct iflink_info *li, void *arg)
{
	struct rail_set *set = arg;

	if (set->n < ARRAY_SIZE(set->r) && !strncmp(li->alias, "rdmanet:", 8))
		set->r[set->n++].li = *li;
	return 0;
}

static void rail_addrs(struct doctor_rail *r)
{
	struct ifaddrs *ifa = NULL;

	if (getifaddrs(&ifa) < 0)
		return;
	for (struct ifaddrs *a = ifa; a && r->n_ips < ARRAY_SIZE(r->ips); a = a->ifa_next) {
		struct cni_ip *ip = &r->ips[r->n_ips];

		if (!a->ifa_addr || !a->ifa_netmask || strcmp(a->ifa_name, r->li.name) ||
		    !ifaddr_ip(a, ip))
			continue;
		if (ip->family == AF_INET6 && ip->addr[0] == 0xfe && (ip->addr[1] & 0xc0) == 0x80)
			continue; /* link-local: every interface has one */
		r->n_ips++;
	}
	freeifaddrs(ifa);
}

/* The kernel uses the larger of conf/all and conf/<if> for all three. */
static int effective(const char *ifname, const char *key)
{
	int all, one;

	if (ipaddr_sysctl_get("ipv4", "all", key, &all) < 0 ||
	    ipaddr_sysctl_get("ipv4", ifname, key, &one) < 0)
		return -1;
	return all > one ? all : one;
}

static void rail_json(struct doctor *d, const struct doctor_rail *r, cJSON *arr)
{
	cJSON *o = cJSON_CreateObject(), *a, *sc;
	const char *rdma = strstr(r->li.alias, " rdma=");
	struct iflink_info parent;
	char buf[INET6_ADDRSTRLEN + 8];

	cJSON_AddItemToArray(arr, o);
	cJSON_AddStringToObject(o, "name", r->li.name);
	cJSON_AddStringToObject(o, "kind", r->li.kind[0] ? r->li.kind : "device");
	cJSON_AddStringToObject(o, "label", r->li.alias);
	cJSON_AddStringToObject(o, "rdma", rdma ? rdma + 1 : "");
	cJSON_AddNumberToObject(o, "mtu", r->li.mtu);
	/* the parent lives in the host: IFLA_LINK is its ifindex there */
	if (d->host.sk && r->li.link > 0 && iflink_find_index(&d->host, r->li.link, &parent) >= 0) {
		cJSON *p = cJSON_AddObjectToObject(o, "parent");

		cJSON_AddStringToObject(p, "name", parent.name);
		cJSON_AddNumberToObject(p, "mtu", parent.mtu);
		doctor_rule_rail_mtu(&d->findings, r, &parent);
	} else {
		cJSON_AddNullToObject(o, "parent");
	}
	cJSON_AddNumberToObject(o, "table", iprule_table(r->li.ifindex));
	cJSON_AddBoolToObject(o, "policyRouting", r->table);
	a = cJSON_AddArrayToObject(o, "addresses");
	for (unsigned i = 0; i < r->n_ips; i++) {
		(void) inet_ntop(r->ips[i].family, r->ips[i].addr, buf, INET6_ADDRSTRLEN);
		(void) snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "/%u",
				r->ips[i].prefixlen);
		cJSON_AddItemToArray(a, cJSON_CreateString(buf));
	}
	sc = cJSON_AddObjectToObject(o, "sysctls");
	for (size_t k = 0; k < ARRAY_SIZE(rail_sysctls); k++)
		cJSON_AddNumberToObject(sc, rail_sysctls[k], r->sysctl[k]);
}

/* The pod's rdmanet attachments, their routing and sysctls. */
static void rails(struct doctor *d)
{
	_cleanup_free_ struct rail_set *set = calloc(1, sizeof(*set));
	struct doctor_rail *r = set ? set->r : NULL;
	unsigned n;
	cJSON *arr;

	if (!set || !d->rt.sk || iflink_foreach(&d->rt, collect_rail, set) < 0)
		return;
	n = set->n;
	arr = cJSON_AddArrayToObject(d->root, "rails");
	for (unsigned i = 0; i < n; i++) {
		rail_addrs(&r[i]);
		r[i].table = r[i].n_ips > 0;
		for (unsigned k = 0; k < r[i].n_ips; k++)
			if (iprule_has(&d->rt, r[i].ips[k].family, r[i].ips[k].addr,
				       iprule_table(r[i].li.ifindex), false) <= 0)
				r[i].table = false;
		for (size_t k = 0; k < ARRAY_SIZE(rail_sysctls); k++)
			r[i].sysctl[k] = effective(r[i].li.name, rail_sysctls[k]);
	}
	for (unsigned i = 0; i < n; i++)
		rail_json(d, &r[i], arr);
	doctor_rule_rails(&d->findings, r, n);
}

void doctor_collect(struct doctor *d)
{
	cJSON *v, *ifs;
	char why[256];
	int r;

	if (d->o->netns)
		cJSON_AddStringToObject(d->root, "netns", d->o->netns);
	else
		cJSON_AddNullToObject(d->root, "netns");
	d->verbs = verbs_load(why, sizeof(why)) >= 0;
	v = cJSON_AddObjectToObject(d->root, "libibverbs");
	cJSON_AddBoolToObject(v, "loaded", d->verbs);
	cJSON_AddStringToObject(v, "detail", why);
	doctor_rule_verbs(&d->findings, d->verbs, why);
	r = netlink_open(&d->rt);
	if (r < 0)
		d->rt.sk = NULL;
	doctor_rule_rtnetlink(&d->findings, r);
	devices(d);
	rails(d);
	ifs = cJSON_AddArrayToObject(d->root, "interfaces");
	for (int i = 0; i < d->o->n_ifnames; i++)
		interface(d, d->o->ifnames[i], ifs);
	/* in a pod without IFNAMEs: follow every rail to its RDMA port and GIDs */
	if (!d->o->n_ifnames && d->o->netns) {
		const cJSON *x;

		cJSON_ArrayForEach(x, cJSON_GetObjectItem(d->root, "rails"))
			interface(d, cJSON_GetStringValue(cJSON_GetObjectItem(x, "name")), ifs);
	}
	doctor_calllog(d->o, d->root, &d->findings);
}
