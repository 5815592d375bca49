/* SPDX-License-Identifier: Apache-2.0 */
/*
 * doctor.c - `rdmanet doctor [--netns PATH] [--json] [IFNAME...]`: what an operator asks when
 * RDMA does not work on a node or in a pod. Facts come from RDMA netlink (devices, ports, netns
 * mode), sysfs (GIDs, P_Keys, drivers), libibverbs when installed (MTU, rate) and rtnetlink.
 * They go into one cJSON report with a list of findings {severity, what, cause, fix}, handed
 * back to main() as JSON or rendered as text. Nothing here prints.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/doctor.h"
#include "rdmanet/iflink.h"
#include "rdmanet/ipaddr.h"
#include "rdmanet/ipaddr_sysctl.h"
#include "rdmanet/iprule.h"
#include "rdmanet/netns.h"
#include "rdmanet/rdmadev.h"
#include "rdmanet/rdmadev_sysfs.h"
#include "rdmanet/sysfs.h"
#include "rdmanet/verbs.h"

#define RDMA_CM "/dev/infiniband/rdma_cm"

const char doctor_usage[] =
	"usage: rdmanet doctor [--netns PATH] [--json] [IFNAME...]\n"
	"  Diagnoses RDMA on this node, or in the network namespace PATH (/run/netns/NAME,\n"
	"  /proc/PID/ns/net) seen with its own /sys. IFNAMEs are netdevs to follow to their RDMA\n"
	"  port, GIDs and MTU. Exit status: 0 no errors found, 1 errors found, 2 usage error.\n";

enum sev { SEV_ERROR, SEV_WARN, SEV_INFO };

struct doctor {
	const struct doctor_opts *o;
	struct netlink rt, rdma;	/* .sk NULL: not available */
	struct netlink host;		/* --netns: the host's rtnetlink, for the rails' parents */
	bool verbs;
	cJSON *root, *findings;
	struct rdmadev devs[64];
	struct rdmadev_port ports[256];
	size_t n_devs, n_ports;
	bool any_active;
	unsigned errors, warnings;
	/* the GID table of the port last asked about: an interface may hold many IPs */
	char gid_dev[RDMADEV_NAME_MAX];
	unsigned gid_port;
	struct rdmadev_gid *gids;
	size_t n_gids, cap_gids;
};

DEFINE_CLEANUP(cJSON *, cJSON_Delete)

int doctor_parse_args(int argc, char **argv, struct doctor_opts *o, char *msg, size_t len)
{
	memset(o, 0, sizeof(*o));
	o->ifnames = argv; /* IFNAMEs are collected in place */
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--json")) {
			o->json = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			o->help = true;
		} else if (!strcmp(a, "--netns") || !strncmp(a, "--netns=", 8)) {
			o->netns = a[7] ? a + 8 : i + 1 < argc ? argv[++i] : NULL;
			if (!o->netns || !o->netns[0]) {
				(void) snprintf(msg, len, "--netns needs a path");
				return -EINVAL;
			}
		} else if (a[0] == '-') {
			(void) snprintf(msg, len, "unknown option '%s'", a);
			return -EINVAL;
		} else if (strlen(a) >= IF_NAMESIZE || strpbrk(a, "/: \t\n") || !strcmp(a, ".") ||
			   !strcmp(a, "..")) {
			(void) snprintf(msg, len, "'%s' is not a valid interface name", a);
			return -EINVAL;
		} else {
			o->ifnames[o->n_ifnames++] = argv[i];
		}
	}
	return 0;
}

/* Adds a finding; fmt yields "what\ncause\nfix" (cause and fix may be empty). */
__attribute__((format(printf, 3, 4)))
static void finding(struct doctor *d, enum sev sev, const char *fmt, ...)
{
	static const char *const sevs[] = { "error", "warn", "info" };
	static const char *const keys[] = { "what", "cause", "fix" };
	cJSON *f = cJSON_CreateObject();
	char buf[1024], *p = buf;
	va_list ap;

	va_start(ap, fmt);
	(void) vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cJSON_AddStringToObject(f, "severity", sevs[sev]);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		char *nl = p ? strchr(p, '\n') : NULL;

		if (nl)
			*nl = '\0';
		cJSON_AddStringToObject(f, keys[i], p ? p : "");
		p = nl ? nl + 1 : NULL;
	}
	cJSON_AddItemToArray(d->findings, f);
	d->errors += sev == SEV_ERROR;
	d->warnings += sev == SEV_WARN;
}

/* IFA_F_* of an IPv6 address of ifname in the current netns; -1 when not listed. */
static int ipv6_flags(const char *ifname, const unsigned char addr[16])
{
	char line[256], hex[33], name[IF_NAMESIZE + 1], want[33];
	FILE *f = fopen("/proc/thread-self/net/if_inet6", "re");
	unsigned idx, plen, scope, flags;
	int r = -1;

	if (!f)
		return -1;
	for (int i = 0; i < 16; i++)
		(void) snprintf(want + 2 * i, 3, "%02x", addr[i]);
	while (r < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "%32s %x %x %x %x %16s", hex, &idx, &plen, &scope, &flags,
			   name) == 6 && !strcmp(name, ifname) && !strcmp(hex, want))
			r = (int) flags;
	(void) fclose(f);
	return r;
}

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

/* Why a port is not ACTIVE. Only a warning while another port is. */
static void port_down(struct doctor *d, const struct rdmadev_port *p, bool ib, const cJSON *nd)
{
	enum sev sev = d->any_active ? SEV_WARN : SEV_ERROR;
	const char *st = verbs_port_state_name(p->state);
	const char *ps = verbs_phys_state_name(p->phys_state);
	const char *ndev = cJSON_GetStringValue(cJSON_GetObjectItem(nd, "name"));

	if (!ib && nd && !cJSON_IsTrue(cJSON_GetObjectItem(nd, "up")))
		finding(d, sev, "%s port %u is %s: its netdev '%s' is down\n"
			"a RoCE port follows its netdev\nip link set %s up",
			p->dev_name, p->port, st, ndev, ndev);
	else if (p->phys_state != VERBS_PHYS_LINKUP)
		finding(d, sev, "%s port %u is %s (phys state %s)\nno physical link%s\n"
			"check the cable or transceiver and the switch port (ibstat, ethtool)%s",
			p->dev_name, p->port, st, ps,
			p->phys_state == VERBS_PHYS_DISABLED ? ": the port is disabled" : "",
			ib ? "" : "; ip link set NETDEV up");
	else if (ib)
		finding(d, sev, "%s port %u is %s (phys state LinkUp)\nthe link is up but no "
			"subnet manager has configured the port (LID, P_Keys)\nrun a subnet "
			"manager on the fabric: opensm on one node, or the switch's SM",
			p->dev_name, p->port, st);
	else
		finding(d, sev, "%s port %u is %s (phys state %s)\nits netdev (in another "
			"network namespace) is down or has no carrier\nip link set NETDEV up",
			p->dev_name, p->port, st, ps);
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

/* kernel "5.7.0-..." older than major.minor */
static bool kernel_older(const char *release, unsigned major, unsigned minor)
{
	unsigned a = 0, b = 0;

	if (sscanf(release, "%u.%u", &a, &b) != 2)
		return false;
	return a < major || (a == major && b < minor);
}

/*
 * mlx5 runs IPoIB in Enhanced mode (offloaded, ConnectX-4 on); before Linux 5.8 two IPoIB
 * children of one such port could not reach each other, so pods on one node could not talk.
 */
static void enhanced_ipoib(struct doctor *d, const char *dev)
{
	char drv[64];
	struct utsname u;

	if (uname(&u) < 0 || !kernel_older(u.release, 5, 8))
		return;
	if (rdmadev_driver(dev, drv, sizeof(drv)) < 0 || strncmp(drv, "mlx5", 4))
		return;
	finding(d, SEV_WARN, "%s runs Enhanced IPoIB on kernel %s, older than 5.8\nIPoIB children "
		"of one port cannot reach each other there: pods on the same node cannot talk over "
		"the IPoIB network\nupgrade the node's kernel to 5.8 or later", dev, u.release);
}

static cJSON *port_json(struct doctor *d, const struct rdmadev_port *p)
{
	cJSON *o = cJSON_CreateObject(), *nd = NULL, *g, *a;
	unsigned used = 0, total = 0;
	char ll[32] = "", s[64];
	struct verbs_port vp;
	struct iflink_info li;
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
		if (r == -ENODEV && p->port == 1)
			finding(d, SEV_ERROR, "libibverbs does not list %s\nno userspace provider "
				"for its kernel driver: applications cannot open it\ninstall "
				"ibverbs-providers (rdma-core) recent enough for the driver",
				p->dev_name);
	}
	cJSON_AddStringToObject(o, "linkLayer", ll[0] ? ll : "?");
	(void) sysfs_read_linef(s, sizeof(s), "/sys/class/infiniband/%s/ports/%u/rate", p->dev_name,
				p->port);
	cJSON_AddStringToObject(o, "rate", s);
	if (p->ndev_index > 0 && d->rt.sk && iflink_find_index(&d->rt, p->ndev_index, &li) >= 0)
		nd = add_netdev(o, &li);
	if (p->state != VERBS_PORT_ACTIVE)
		port_down(d, p, !strcmp(ll, "InfiniBand"), nd);

	g = cJSON_AddObjectToObject(o, "gids");
	if (rdmadev_gid_usage(p->dev_name, p->port, &used, &total) >= 0) {
		cJSON_AddNumberToObject(g, "used", used);
		cJSON_AddNumberToObject(g, "total", total);
	}
	if (total && used * 10 > total * 9)
		finding(d, SEV_WARN, "GID table of %s port %u is nearly full (%u of %u)\nevery "
			"IP of the port's netdev and of its macvlan/VLAN children takes a GID per "
			"RoCE version; once full, new pods get no GID, hence no RDMA\nattach fewer "
			"pods per port, or spread them over more ports, VFs or SFs",
			p->dev_name, p->port, used, total);
	(void) rdmadev_gid_foreach(p->dev_name, p->port, gid_to_json,
				   cJSON_AddArrayToObject(g, "entries"));
	if (strcmp(ll, "InfiniBand"))
		return o;
	enhanced_ipoib(d, p->dev_name);
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
	(void) sysfs_read_linef(buf, sizeof(buf), "/sys/class/infiniband/%s/device/numa_node",
				dev->name);
	cJSON_AddNumberToObject(o, "numaNode", buf[0] ? atoi(buf) : -1);

	u = cJSON_AddObjectToObject(o, "uverbs");
	if (verbs_uverbs_node(dev->name, buf, sizeof(buf)) < 0) {
		cJSON_AddNullToObject(u, "path");
		cJSON_AddFalseToObject(u, "present");
		finding(d, SEV_ERROR, "%s has no uverbs device\nib_uverbs is not loaded: without "
			"/dev/infiniband/uverbsN no process can use the device\nmodprobe ib_uverbs",
			dev->name);
	} else {
		present = access(buf, F_OK) == 0;
		cJSON_AddStringToObject(u, "path", buf);
		cJSON_AddBoolToObject(u, "present", present);
		if (!present)
			finding(d, SEV_ERROR, "%s: %s is missing from this mount namespace\n"
				"in a pod: /dev/infiniband is not mounted into the container\n"
				"request the RDMA device plugin's resource in the pod spec "
				"(resources.limits)", dev->name, buf);
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
	bool cm = access(RDMA_CM, F_OK) == 0;
	int r = rdmadev_open(&d->rdma);

	cJSON_AddBoolToObject(d->root, "rdmaStack", r >= 0);
	if (r < 0) {
		d->rdma.sk = NULL;
		cJSON_AddNullToObject(d->root, "netnsMode");
		if (r == -EPROTONOSUPPORT)
			finding(d, SEV_ERROR, "no RDMA stack (ib_core not loaded)\nthe kernel "
				"has no RDMA netlink: the RDMA core and drivers are not loaded\n"
				"modprobe ib_core ib_uverbs rdma_ucm, and the NIC's RDMA driver "
				"(mlx5_ib, irdma, bnxt_re, ...; rdma_rxe for Soft-RoCE)");
		else
			finding(d, SEV_ERROR, "cannot open RDMA netlink: %s\n\n", strerror(-r));
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
	if (r < 0)
		finding(d, SEV_ERROR, "cannot list RDMA devices: %s\n\n", netlink_errmsg(&d->rdma));
	else if (!d->n_devs && mode == RDMADEV_NETNS_EXCLUSIVE)
		finding(d, SEV_ERROR, "no RDMA device in this network namespace\nthe RDMA netns "
			"mode is exclusive: a device is seen only in the netns it was moved to, "
			"in a pod only when its attachment moved it in\nattach with link: hostdev "
			"(an SR-IOV VF or SF moved into the pod with its RDMA device)");
	else if (!d->n_devs)
		finding(d, SEV_ERROR, "no RDMA devices\nib_core is loaded, but no RDMA driver "
			"registered a device\nload the NIC's RDMA driver (mlx5_ib, irdma, bnxt_re, "
			"...) or add Soft-RoCE: rdma link add rxe0 type rxe netdev ETH");
	if (!d->n_devs)
		return;
	cJSON_AddBoolToObject(d->root, "rdmaCm", cm);
	if (!cm)
		finding(d, SEV_WARN, RDMA_CM " is missing\nrdma_ucm is not loaded or, in a pod, "
			"not mounted into the container: rdma_cm applications (UCX, MPI, "
			"perftest -R) fail\nmodprobe rdma_ucm; in a pod, the RDMA device plugin "
			"mounts it");
	for (size_t i = 0; i < d->n_devs; i++)
		device_json(d, &d->devs[i], arr);
}

struct gid_match {
	const char *ndev;		/* an entry of this netdev, or */
	const unsigned char *gid;	/* this GID (IPoIB: bytes 4-19 of the hardware address) */
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
		if (!memcmp(d->gids[i].gid, want, 16) &&
		    (!best || (strstr(d->gids[i].type, "v2") && !strstr(best->type, "v2"))))
			best = &d->gids[i];
	if (!best)
		return -ENOENT;
	*out = *best;
	return 0;
}

static void addr_json(struct doctor *d, const struct iflink_info *li,
		      const struct rdmadev_port *p, int family, const void *addr, cJSON *arr)
{
	cJSON *o = cJSON_CreateObject();
	int fl = family == AF_INET6 ? ipv6_flags(li->name, addr) : 0;
	bool up = li->flags & IFF_UP;
	char s[INET6_ADDRSTRLEN];
	struct rdmadev_gid g;

	(void) inet_ntop(family, addr, s, sizeof(s));
	cJSON_AddItemToArray(arr, o);
	cJSON_AddStringToObject(o, "address", s);
	if (gid_find(d, p, family, addr, &g) >= 0) {
		cJSON_AddNumberToObject(o, "gidIndex", g.index);
		cJSON_AddStringToObject(o, "gidType", g.type);
		return;
	}
	if (fl < 0)
		fl = 0;
	cJSON_AddNullToObject(o, "gidIndex");
	finding(d, SEV_ERROR, "%s has no GID on %s port %u: RoCE cannot use it\n%s\n%s",
		s, p->dev_name, p->port,
		!up ? "the netdev is down" :
		fl & IFA_F_DADFAILED ? "IPv6 duplicate address detection failed" :
		fl & IFA_F_TENTATIVE ? "IPv6 duplicate address detection has not finished" :
		"the kernel adds GIDs for the IPs of a port's netdev and of its children only",
		!up ? "ip link set NETDEV up" :
		fl & (IFA_F_DADFAILED | IFA_F_TENTATIVE) ? "wait for DAD, or use another address" :
		"put the address on the RDMA port's netdev or a macvlan child of it");
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
		finding(d, SEV_ERROR, "no netdev '%s' in this network namespace\n\ncheck the name "
			"(ip link); for a pod, give its interface (e.g. net1) and --netns", name);
		return;
	}
	cJSON_AddTrueToObject(o, "exists");
	(void) add_netdev(o, &li);
	via = find_port(d, &li, &p);
	if (!via) {
		cJSON_AddNullToObject(o, "rdma");
		finding(d, SEV_ERROR, "'%s' has no RDMA device behind it\nit is a plain netdev: no "
			"RDMA port's netdev, no child in a port's GID table%s\nattach pods to an "
			"RDMA-capable master; in exclusive mode, use link: hostdev",
			name, d->n_devs ? "" : " (no RDMA device is visible here)");
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
	/* the port's own finding is an error already unless another port is ACTIVE */
	if (p.state && p.state != VERBS_PORT_ACTIVE && d->any_active)
		finding(d, SEV_ERROR, "'%s': its RDMA port %s/%u is %s\nsee the finding on that "
			"port\n", name, p.dev_name, p.port, verbs_port_state_name(p.state));

	if (!strcmp(ll, "InfiniBand")) {
		(void) sysfs_read_linef(mode, sizeof(mode), "/sys/class/net/%s/mode", name);
		if (vp.active_mtu && strcmp(mode, "connected") && li.mtu > vp.active_mtu - 4)
			finding(d, SEV_WARN, "'%s' MTU %u is above the IB MTU %u - 4\nIPoIB "
				"datagram mode sends an IP packet as one IB message: larger ones "
				"are dropped\nip link set %s mtu %u (or use connected mode)", name,
				li.mtu, vp.active_mtu, name, vp.active_mtu - 4);
		return; /* IB GIDs come from port GUIDs, not from IP addresses */
	}
	if (vp.active_mtu && vp.active_mtu < vp.max_mtu)
		finding(d, SEV_INFO, "'%s' (MTU %u): RDMA path MTU is %u\nRoCE uses the largest "
			"IB MTU that fits the port's netdev MTU; RDMA works with it\nfor %u-byte "
			"RDMA MTU, raise the RoCE netdev's MTU (e.g. 4200 for 4096)", name, li.mtu,
			vp.active_mtu, vp.max_mtu);
	addrs = cJSON_AddArrayToObject(o, "addresses");
	if (getifaddrs(&ifa) < 0)
		return;
	for (struct ifaddrs *a = ifa; a; a = a->ifa_next) {
		void *sa = a->ifa_addr;

		if (!sa || strcmp(a->ifa_name, name))
			continue;
		if (a->ifa_addr->sa_family == AF_INET)
			addr_json(d, &li, &p, AF_INET, &((struct sockaddr_in *) sa)->sin_addr,
				  addrs);
		else if (a->ifa_addr->sa_family == AF_INET6)
			addr_json(d, &li, &p, AF_INET6, &((struct sockaddr_in6 *) sa)->sin6_addr,
				  addrs);
	}
	freeifaddrs(ifa);
}

/* The pod's rdmanet attachments: links labelled "rdmanet:<cid>:<ifname>". */
struct rail {
	struct iflink_info li;
	struct cni_ip ips[8];
	unsigned n_ips;
	bool table;		/* every address has its rule to the rail's own table */
	int sysctl[3];		/* effective arp_ignore, arp_announce, rp_filter; -1 unknown */
};

struct rail_set {
	struct rail r[32];
	unsigned n;
};

static int collect_rail(const struct iflink_info *li, void *arg)
{
	struct rail_set *set = arg;

	if (set->n < ARRAY_SIZE(set->r) && !strncmp(li->alias, "rdmanet:", 8))
		set->r[set->n++].li = *li;
	return 0;
}

static void rail_addrs(struct rail *r)
{
	struct ifaddrs *ifa = NULL;

	if (getifaddrs(&ifa) < 0)
		return;
	for (struct ifaddrs *a = ifa; a && r->n_ips < ARRAY_SIZE(r->ips); a = a->ifa_next) {
		struct cni_ip *ip = &r->ips[r->n_ips];
		const void *src, *mask;
		size_t n;

		if (!a->ifa_addr || !a->ifa_netmask || strcmp(a->ifa_name, r->li.name))
			continue;
		if (a->ifa_addr->sa_family == AF_INET) {
			src = &((struct sockaddr_in *) a->ifa_addr)->sin_addr;
			mask = &((struct sockaddr_in *) a->ifa_netmask)->sin_addr;
			n = 4;
		} else if (a->ifa_addr->sa_family == AF_INET6) {
			src = &((struct sockaddr_in6 *) a->ifa_addr)->sin6_addr;
			mask = &((struct sockaddr_in6 *) a->ifa_netmask)->sin6_addr;
			n = 16;
			if (((const unsigned char *) src)[0] == 0xfe &&
			    (((const unsigned char *) src)[1] & 0xc0) == 0x80)
				continue; /* link-local: every interface has one */
		} else {
			continue;
		}
		memset(ip, 0, sizeof(*ip));
		ip->family = a->ifa_addr->sa_family;
		memcpy(ip->addr, src, n);
		for (size_t i = 0; i < n; i++)
			ip->prefixlen += (unsigned) __builtin_popcount(((const unsigned char *) mask)[i]);
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

static bool same_subnet(const struct cni_ip *a, const struct cni_ip *b)
{
	unsigned char pa[16], pb[16];

	if (a->family != b->family || a->prefixlen != b->prefixlen)
		return false;
	ipaddr_prefix(a->family, a->addr, a->prefixlen, pa);
	ipaddr_prefix(b->family, b->addr, b->prefixlen, pb);
	return !memcmp(pa, pb, sizeof(pa));
}

static void rail_json(struct doctor *d, struct rail *r, cJSON *arr)
{
	static const char *const keys[] = { "arp_ignore", "arp_announce", "rp_filter" };
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
		if (r->li.mtu > parent.mtu)
			finding(d, SEV_ERROR, "'%s' MTU %u is above its parent '%s' MTU %u\nframes "
				"larger than the parent's MTU are dropped on the way out\nset 'mtu' in "
				"the network config to at most %u, or raise the parent's MTU",
				r->li.name, r->li.mtu, parent.name, parent.mtu, parent.mtu);
		else if (r->li.mtu < parent.mtu)
			finding(d, SEV_INFO, "'%s' MTU %u is below its parent '%s' MTU %u\nRDMA "
				"(RoCE) uses the largest IB MTU that fits the child's MTU\nleave "
				"'mtu' unset to inherit the parent's", r->li.name, r->li.mtu,
				parent.name, parent.mtu);
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
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
		cJSON_AddNumberToObject(sc, keys[k], r->sysctl[k]);
}

/*
 * Several rails in one pod: each must route, answer ARP and filter on its own. Findings for rails
 * that share a subnet without policy routing and for ARP/rp_filter values that let one interface
 * answer or drop for another.
 */
static void rails(struct doctor *d)
{
	static const char *const keys[] = { "arp_ignore", "arp_announce", "rp_filter" };
	_cleanup_free_ struct rail_set *set = calloc(1, sizeof(*set));
	struct rail *r = set ? set->r : NULL;
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
		for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
			r[i].sysctl[k] = effective(r[i].li.name, keys[k]);
	}
	for (unsigned i = 0; i < n; i++)
		rail_json(d, &r[i], arr);
	if (n < 2)
		return;
	for (unsigned i = 0; i < n; i++) {
		for (unsigned j = i + 1; j < n; j++) {
			for (unsigned a = 0; a < r[i].n_ips; a++) {
				for (unsigned b = 0; b < r[j].n_ips; b++) {
					char s[INET6_ADDRSTRLEN];
					unsigned char pfx[16];

					if (!same_subnet(&r[i].ips[a], &r[j].ips[b]) ||
					    (r[i].table && r[j].table))
						continue;
					ipaddr_prefix(r[i].ips[a].family, r[i].ips[a].addr,
						      r[i].ips[a].prefixlen, pfx);
					(void) inet_ntop(r[i].ips[a].family, pfx, s, sizeof(s));
					finding(d, SEV_ERROR, "rails '%s' and '%s' share %s/%u without "
						"policy routing\ntraffic from one rail's address can leave "
						"on the other, so RDMA CM resolves it to the other rail's "
						"device\nattach them with \"routing\": \"table\" (the "
						"default)", r[i].li.name, r[j].li.name, s,
						r[i].ips[a].prefixlen);
				}
			}
		}
	}
	for (unsigned i = 0; i < n; i++) {
		if (r[i].sysctl[0] == 0)
			finding(d, SEV_WARN, "'%s' answers ARP for every address of the pod "
				"(arp_ignore 0)\nwith several rails a neighbour can learn another "
				"rail's MAC for this one's address\nset \"arpIgnore\": 1 (the default)",
				r[i].li.name);
		if (r[i].sysctl[1] >= 0 && r[i].sysctl[1] < 2)
			finding(d, SEV_WARN, "'%s' may announce another rail's address in ARP "
				"(arp_announce %d)\nthe kernel picks the ARP source from any interface "
				"unless arp_announce is 2\nset \"arpAnnounce\": 2 (the default)",
				r[i].li.name, r[i].sysctl[1]);
		if (r[i].sysctl[2] == 1 && !r[i].table)
			finding(d, SEV_WARN, "'%s' drops replies that return on another rail "
				"(rp_filter 1, no policy routing)\nstrict reverse-path filtering "
				"follows the main table\nset \"rpFilter\": 2 or use \"routing\": \"table\"",
				r[i].li.name);
	}
}

static void diagnose(struct doctor *d)
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
	if (!d->verbs)
		finding(d, SEV_WARN, "libibverbs is not available: %s\nthis report then comes from "
			"sysfs and netlink only (no MTU), and RDMA applications cannot run here\n"
			"install rdma-core's libibverbs1 and ibverbs-providers", why);
	r = netlink_open(&d->rt);
	if (r < 0) {
		d->rt.sk = NULL;
		finding(d, SEV_WARN, "cannot open rtnetlink: %s\nnetdevs are not reported\n",
			strerror(-r));
	}
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
}

/* ---------------------------------------------------------------- the text report */

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, k));

	return s ? s : "";
}

static double num(const cJSON *o, const char *k)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItem(o, k));
}

static bool flag(const cJSON *o, const char *k)
{
	return cJSON_IsTrue(cJSON_GetObjectItem(o, k));
}

static void text_netdev(FILE *f, const cJSON *n)
{
	(void) fprintf(f, "%s (ifindex %.0f), MTU %.0f, %s%s", str(n, "name"), num(n, "ifindex"),
		       num(n, "mtu"), flag(n, "up") ? "up" : "DOWN",
		       flag(n, "up") && !flag(n, "carrier") ? ", NO CARRIER" : "");
}

static void text_port(FILE *f, const cJSON *p)
{
	const cJSON *x, *g = cJSON_GetObjectItem(p, "gids");

	(void) fprintf(f, "  port %.0f: %s, %s, %s", num(p, "port"), str(p, "state"),
		       str(p, "physState"), str(p, "linkLayer"));
	if (*str(p, "rate"))
		(void) fprintf(f, ", %s", str(p, "rate"));
	if (cJSON_GetObjectItem(p, "activeMtu"))
		(void) fprintf(f, ", IB MTU %.0f (max %.0f)", num(p, "activeMtu"),
			       num(p, "maxMtu"));
	(void) fputs("\n    netdev: ", f);
	if ((x = cJSON_GetObjectItem(p, "netdev")))
		text_netdev(f, x);
	else
		(void) fputs("none in this network namespace", f);
	(void) fprintf(f, "\n    GIDs: %.0f of %.0f used\n", num(g, "used"), num(g, "total"));
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(g, "entries"))
		(void) fprintf(f, "      %3.0f %-39s %-10s %s\n", num(x, "index"),
			       str(x, "address"), str(x, "type"), str(x, "netdev"));
	if ((g = cJSON_GetObjectItem(p, "pkeys"))) {
		(void) fputs("    P_Keys:", f);
		cJSON_ArrayForEach(x, g)
			(void) fprintf(f, " %s", cJSON_GetStringValue(x));
		(void) fputc('\n', f);
	}
}

static void text_interface(FILE *f, const cJSON *i)
{
	static const char *const vias[][2] = { { "netdev", "the port's netdev" },
					       { "gid", "its IPs are in the port's GID table" },
					       { "ipoib", "IPoIB on the port" } };
	const cJSON *x, *u = cJSON_GetObjectItem(i, "rdma");

	(void) fprintf(f, "\ninterface %s: ", str(i, "name"));
	if (!flag(i, "exists")) {
		(void) fputs("does not exist\n", f);
		return;
	}
	text_netdev(f, cJSON_GetObjectItem(i, "netdev"));
	if (!cJSON_IsObject(u)) {
		(void) fputs("\n  RDMA: none\n", f);
		return;
	}
	(void) fprintf(f, "\n  RDMA: %s port %.0f", str(u, "device"), num(u, "port"));
	for (size_t k = 0; k < ARRAY_SIZE(vias); k++)
		if (!strcmp(str(u, "via"), vias[k][0]))
			(void) fprintf(f, " (%s)", vias[k][1]);
	(void) fputc('\n', f);
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(i, "addresses")) {
		if (cJSON_IsNumber(cJSON_GetObjectItem(x, "gidIndex")))
			(void) fprintf(f, "  %s: GID %.0f (%s)\n", str(x, "address"),
				       num(x, "gidIndex"), str(x, "gidType"));
		else
			(void) fprintf(f, "  %s: NO GID\n", str(x, "address"));
	}
}

static void text_rail(FILE *f, const cJSON *x)
{
	const cJSON *p = cJSON_GetObjectItem(x, "parent"), *a, *sc = cJSON_GetObjectItem(x, "sysctls");

	(void) fprintf(f, "\nrail %s (%s): MTU %.0f", str(x, "name"), str(x, "kind"), num(x, "mtu"));
	if (cJSON_IsObject(p))
		(void) fprintf(f, ", parent %s MTU %.0f", str(p, "name"), num(p, "mtu"));
	(void) fprintf(f, "\n  routing: %s (table %.0f)\n", flag(x, "policyRouting") ?
		       "own table, rules from its addresses" : "MAIN TABLE ONLY", num(x, "table"));
	(void) fputs("  addresses:", f);
	cJSON_ArrayForEach(a, cJSON_GetObjectItem(x, "addresses"))
		(void) fprintf(f, " %s", cJSON_GetStringValue(a));
	(void) fprintf(f, "\n  arp_ignore %.0f, arp_announce %.0f, rp_filter %.0f\n",
		       num(sc, "arp_ignore"), num(sc, "arp_announce"), num(sc, "rp_filter"));
	if (*str(x, "rdma"))
		(void) fprintf(f, "  label: %s\n", str(x, "rdma"));
}

static void text(FILE *f, const cJSON *r, unsigned problems)
{
	const char *mode = cJSON_GetStringValue(cJSON_GetObjectItem(r, "netnsMode"));
	const cJSON *x, *y, *u;

	(void) fprintf(f, "network namespace: %s\n", *str(r, "netns") ? str(r, "netns") :
			  "current (as this process sees it)");
	(void) fprintf(f, "libibverbs: %s\n", str(cJSON_GetObjectItem(r, "libibverbs"), "detail"));
	(void) fprintf(f, "RDMA stack: %s\n", flag(r, "rdmaStack") ? "loaded" : "NOT LOADED");
	if (flag(r, "rdmaStack"))
		(void) fprintf(f, "RDMA netns mode: %s\n", mode ? mode : "unknown (kernel < 5.2)");
	if (cJSON_GetObjectItem(r, "rdmaCm"))
		(void) fprintf(f, "rdma_cm: " RDMA_CM " %s\n",
			       flag(r, "rdmaCm") ? "present" : "MISSING");
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "devices")) {
		u = cJSON_GetObjectItem(x, "uverbs");
		(void) fprintf(f, "\n%s: driver %s, PCI %s, protocol %s, node GUID %s%s%s\n",
			       str(x, "name"), *str(x, "driver") ? str(x, "driver") : "?",
			       *str(x, "pci") ? str(x, "pci") : "none", str(x, "protocol"),
			       str(x, "nodeGuid"), *str(x, "fw") ? ", fw " : "", str(x, "fw"));
		(void) fprintf(f, "  uverbs: %s %s\n", *str(u, "path") ? str(u, "path") : "none",
			       flag(u, "present") ? "present" : "MISSING");
		if (num(x, "numaNode") >= 0)
			(void) fprintf(f, "  NUMA node: %.0f\n", num(x, "numaNode"));
		else
			(void) fputs("  NUMA node: none reported\n", f);
		cJSON_ArrayForEach(y, cJSON_GetObjectItem(x, "ports"))
			text_port(f, y);
	}
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "rails"))
		text_rail(f, x);
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "interfaces"))
		text_interface(f, x);
	(void) fputs("\nfindings:\n", f);
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "findings")) {
		(void) fprintf(f, "  %-5s  %s\n", str(x, "severity"), str(x, "what"));
		if (*str(x, "cause"))
			(void) fprintf(f, "         cause: %s\n", str(x, "cause"));
		if (*str(x, "fix"))
			(void) fprintf(f, "         fix:   %s\n", str(x, "fix"));
	}
	if (!cJSON_GetArraySize(cJSON_GetObjectItem(r, "findings")))
		(void) fputs("  none\n", f);
	(void) fprintf(f, "\n%u problem%s found\n", problems, problems == 1 ? "" : "s");
}

/* Diagnoses inside the view entered by the caller; fills d->root. */
static void run(struct doctor *d)
{
	d->findings = cJSON_CreateArray();
	diagnose(d);
	cJSON_AddItemToObject(d->root, "findings", d->findings);
	cJSON_AddNumberToObject(d->root, "errors", d->errors);
	cJSON_AddNumberToObject(d->root, "warnings", d->warnings);
	cJSON_AddNumberToObject(d->root, "problems", d->errors + d->warnings);
	if (d->rt.sk)
		netlink_close(&d->rt);
	if (d->rdma.sk)
		netlink_close(&d->rdma);
	free(d->gids);
	d->gids = NULL;
}

int doctor_run(const struct doctor_opts *o, char **report, char *msg, size_t len)
{
	_cleanup_(cJSON_Deletep) cJSON *root = cJSON_CreateObject();
	_cleanup_free_ struct doctor *d = calloc(1, sizeof(*d));
	_cleanup_close_ int nsfd = -1;
	struct netns_view view;
	size_t size = 0;
	FILE *f;
	int r;

	*report = NULL;
	if (!root || !d)
		return -ENOMEM;
	d->o = o;
	d->root = root;
	if (!o->netns) {
		run(d);
	} else {
		nsfd = netns_open(o->netns);
		if (nsfd < 0) {
			(void) snprintf(msg, len, "--netns '%s': %s", o->netns, nsfd == -EINVAL ?
					"not a network namespace" : strerror(-nsfd));
			return nsfd;
		}
		/* the rails' parents are the host's: ask before entering the pod */
		if (netlink_open(&d->host) < 0)
			d->host.sk = NULL;
		r = netns_enter_view(nsfd, &view);
		if (r < 0) {
			(void) snprintf(msg, len, "cannot enter network namespace '%s' with its "
					"own /sys: %s", o->netns, strerror(-r));
			return r;
		}
		run(d);
		if (d->host.sk)
			netlink_close(&d->host);
		r = netns_leave_view(&view);
		if (r < 0) {
			(void) snprintf(msg, len, "cannot leave '%s': %s", o->netns, strerror(-r));
			return r;
		}
	}
	if (o->json) {
		*report = cJSON_Print(root);
		return *report ? (int) d->errors : -ENOMEM;
	}
	f = open_memstream(report, &size);
	if (!f)
		return -ENOMEM;
	text(f, root, d->errors + d->warnings);
	if (fclose(f) != 0) {
		free(*report);
		*report = NULL;
		return -ENOMEM;
	}
	return (int) d->errors;
}
