/* SPDX-License-Identifier: Apache-2.0 */
/*
 * doctor_rules.c - what the doctor concludes from the facts it collected: each rule turns the
 * facts of one kind (the RDMA stack, a device, a port, an interface, the pod's rails) into
 * findings {severity, what, cause, fix} for an operator to act on.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/doctor.h"
#include "rdmanet/doctor_rules.h"
#include "rdmanet/ipaddr.h"
#include "rdmanet/rdmadev_sysfs.h"

void doctor_finding(struct doctor_findings *f, enum doctor_sev sev, const char *fmt, ...)
{
	static const char *const sevs[] = { "error", "warn", "info" };
	static const char *const keys[] = { "what", "cause", "fix" };
	cJSON *o = cJSON_CreateObject();
	char buf[1024], *p = buf;
	va_list ap;

	va_start(ap, fmt);
	(void) vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cJSON_AddStringToObject(o, "severity", sevs[sev]);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		char *nl = p ? strchr(p, '\n') : NULL;

		if (nl)
			*nl = '\0';
		cJSON_AddStringToObject(o, keys[i], p ? p : "");
		p = nl ? nl + 1 : NULL;
	}
	cJSON_AddItemToArray(f->list, o);
	f->errors += sev == DOCTOR_ERROR;
	f->warnings += sev == DOCTOR_WARN;
}

void doctor_rule_verbs(struct doctor_findings *f, bool loaded, const char *why)
{
	if (!loaded)
		doctor_finding(f, DOCTOR_WARN,
			       "libibverbs is not available: %s\nthis report then "
			       "comes from sysfs and netlink only (no MTU), and RDMA applications "
			       "cannot run here\ninstall rdma-core's libibverbs1 and "
			       "ibverbs-providers",
			       why);
}

void doctor_rule_rtnetlink(struct doctor_findings *f, int r)
{
	if (r < 0)
		doctor_finding(f, DOCTOR_WARN,
			       "cannot open rtnetlink: "
			       "%s\nnetdevs are not reported\n",
			       strerror(-r));
}

void doctor_rule_rdma_netlink(struct doctor_findings *f, int r)
{
	if (r == -EPROTONOSUPPORT)
		doctor_finding(f, DOCTOR_ERROR,
			       "no RDMA stack (ib_core not loaded)\nthe kernel "
			       "has no RDMA netlink: the RDMA core and drivers are not loaded\n"
			       "modprobe ib_core ib_uverbs rdma_ucm, and the NIC's RDMA driver "
			       "(mlx5_ib, irdma, bnxt_re, ...; rdma_rxe for Soft-RoCE)");
	else if (r < 0)
		doctor_finding(f, DOCTOR_ERROR, "cannot open RDMA netlink: %s\n\n", strerror(-r));
}

void doctor_rule_devices(struct doctor_findings *f, int r, const char *errmsg, size_t n,
			 enum rdmadev_netns_mode mode)
{
	if (r < 0)
		doctor_finding(f, DOCTOR_ERROR, "cannot list RDMA devices: %s\n\n", errmsg);
	else if (!n && mode == RDMADEV_NETNS_EXCLUSIVE)
		doctor_finding(f, DOCTOR_ERROR,
			       "no RDMA device in this network namespace\nthe "
			       "RDMA netns mode is exclusive: a device is seen only in the netns "
			       "it was moved to, in a pod only when its attachment moved it "
			       "in\nattach with link: hostdev (an SR-IOV VF or SF moved into the "
			       "pod with its RDMA device)");
	else if (!n)
		doctor_finding(f, DOCTOR_ERROR,
			       "no RDMA devices\nib_core is loaded, but no RDMA "
			       "driver registered a device\nload the NIC's RDMA driver (mlx5_ib, "
			       "irdma, bnxt_re, ...) or add Soft-RoCE: rdma link add "
			       "rxe0 type rxe netdev ETH");
}

void doctor_rule_rdma_cm(struct doctor_findings *f, bool present)
{
	if (!present)
		doctor_finding(f, DOCTOR_WARN,
			       DOCTOR_RDMA_CM
			       " is missing\nrdma_ucm is not "
			       "loaded or, in a pod, not mounted into the container: rdma_cm "
			       "applications (UCX, MPI, perftest -R) fail\nmodprobe rdma_ucm; in "
			       "a pod, the RDMA device plugin mounts it");
}

void doctor_rule_uverbs(struct doctor_findings *f, const char *dev, const char *path, bool present)
{
	if (!path)
		doctor_finding(f, DOCTOR_ERROR,
			       "%s has no uverbs device\nib_uverbs is not loaded: "
			       "without /dev/infiniband/uverbsN no process can use the device\n"
			       "modprobe ib_uverbs",
			       dev);
	else if (!present)
		doctor_finding(f, DOCTOR_ERROR,
			       "%s: %s is missing from this mount namespace\n"
			       "in a pod: /dev/infiniband is not mounted into the container\n"
			       "request the RDMA device plugin's resource in the pod spec "
			       "(resources.limits)",
			       dev, path);
}

void doctor_rule_port_verbs(struct doctor_findings *f, const struct rdmadev_port *p, int r)
{
	if (r == -ENODEV && p->port == 1)
		doctor_finding(f, DOCTOR_ERROR,
			       "libibverbs does not list %s\nno userspace "
			       "provider for its kernel driver: applications cannot open it\n"
			       "install ibverbs-providers (rdma-core) recent enough for the driver",
			       p->dev_name);
}

/* Why a port is not ACTIVE. Only a warning while another port is. */
void doctor_rule_port_state(struct doctor_findings *f, const struct rdmadev_port *p, bool ib,
			    const struct iflink_info *nd, bool any_active)
{
	enum doctor_sev sev = any_active ? DOCTOR_WARN : DOCTOR_ERROR;
	const char *st = verbs_port_state_name(p->state);
	const char *ps = verbs_phys_state_name(p->phys_state);

	if (p->state == VERBS_PORT_ACTIVE)
		return;
	if (!ib && nd && !(nd->flags & IFF_UP))
		doctor_finding(f, sev,
			       "%s port %u is %s: its netdev '%s' is down\n"
			       "a RoCE port follows its netdev\nip link set %s up",
			       p->dev_name, p->port, st, nd->name, nd->name);
	else if (p->phys_state != VERBS_PHYS_LINKUP)
		doctor_finding(f, sev,
			       "%s port %u is %s (phys state %s)\nno physical link%s\n"
			       "check the cable or transceiver and the switch "
			       "port (ibstat, ethtool)%s",
			       p->dev_name, p->port, st, ps,
			       p->phys_state == VERBS_PHYS_DISABLED ? ": the port is disabled" : "",
			       ib ? "" : "; ip link set NETDEV up");
	else if (ib)
		doctor_finding(f, sev,
			       "%s port %u is %s (phys state LinkUp)\nthe link is up but "
			       "no subnet manager has configured the port (LID, P_Keys)\nrun a "
			       "subnet manager on the fabric: opensm on one "
			       "node, or the switch's SM",
			       p->dev_name, p->port, st);
	else
		doctor_finding(f, sev,
			       "%s port %u is %s (phys state %s)\nits netdev (in another "
			       "network namespace) is down or has no "
			       "carrier\nip link set NETDEV up",
			       p->dev_name, p->port, st, ps);
}

void doctor_rule_gid_usage(struct doctor_findings *f, const struct rdmadev_port *p, unsigned used,
			   unsigned total)
{
	if (total && used * 10 > total * 9)
		doctor_finding(f, DOCTOR_WARN,
			       "GID table of %s port %u is nearly full (%u of "
			       "%u)\nevery IP of the port's netdev and of its macvlan/VLAN "
			       "children takes a GID per RoCE version; once full, new pods get no "
			       "GID, hence no RDMA\nattach fewer pods per port, or spread them "
			       "over more ports, VFs or SFs",
			       p->dev_name, p->port, used, total);
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
void doctor_rule_enhanced_ipoib(struct doctor_findings *f, const char *dev)
{
	char drv[64];
	struct utsname u;

	if (uname(&u) < 0 || !kernel_older(u.release, 5, 8))
		return;
	if (rdmadev_driver(dev, drv, sizeof(drv)) < 0 || strncmp(drv, "mlx5", 4))
		return;
	doctor_finding(f, DOCTOR_WARN,
		       "%s runs Enhanced IPoIB on kernel %s, older than "
		       "5.8\nIPoIB children of one port cannot reach each other there: pods on "
		       "the same node cannot talk over the IPoIB network\nupgrade the node's "
		       "kernel to 5.8 or later",
		       dev, u.release);
}

void doctor_rule_no_netdev(struct doctor_findings *f, const char *name)
{
	doctor_finding(f, DOCTOR_ERROR,
		       "no netdev '%s' in this network namespace\n\ncheck the "
		       "name (ip link); for a pod, give its interface (e.g. net1) and --netns",
		       name);
}

void doctor_rule_no_rdma(struct doctor_findings *f, const char *name, size_t n_devs)
{
	doctor_finding(f, DOCTOR_ERROR,
		       "'%s' has no RDMA device behind it\nit is a plain netdev: "
		       "no RDMA port's netdev, no child in a port's GID table%s\nattach pods to an "
		       "RDMA-capable master; in exclusive mode, use link: hostdev",
		       name, n_devs ? "" : " (no RDMA device is visible here)");
}

/* The port's own finding is an error already unless another port is ACTIVE. */
void doctor_rule_interface_port(struct doctor_findings *f, const char *name,
				const struct rdmadev_port *p, bool any_active)
{
	if (p->state && p->state != VERBS_PORT_ACTIVE && any_active)
		doctor_finding(f, DOCTOR_ERROR,
			       "'%s': its RDMA port %s/%u is %s\nsee the "
			       "finding on that port\n",
			       name, p->dev_name, p->port, verbs_port_state_name(p->state));
}

void doctor_rule_ipoib_mtu(struct doctor_findings *f, const struct iflink_info *li,
			   const char *mode, const struct verbs_port *vp)
{
	if (vp->active_mtu && strcmp(mode, "connected") && li->mtu > vp->active_mtu - 4)
		doctor_finding(f, DOCTOR_WARN,
			       "'%s' MTU %u is above the IB MTU %u - 4\nIPoIB "
			       "datagram mode sends an IP packet as one IB message: larger ones "
			       "are dropped\nip link set %s mtu %u (or use connected mode)",
			       li->name, li->mtu, vp->active_mtu, li->name, vp->active_mtu - 4);
}

void doctor_rule_roce_mtu(struct doctor_findings *f, const struct iflink_info *li,
			  const struct verbs_port *vp)
{
	if (vp->active_mtu && vp->active_mtu < vp->max_mtu)
		doctor_finding(f, DOCTOR_INFO,
			       "'%s' (MTU %u): RDMA path MTU is %u\nRoCE uses the "
			       "largest IB MTU that fits the port's netdev MTU; RDMA works with "
			       "it\nfor %u-byte RDMA MTU, raise the RoCE netdev's MTU "
			       "(e.g. 4200 for 4096)",
			       li->name, li->mtu, vp->active_mtu, vp->max_mtu);
}

void doctor_rule_no_gid(struct doctor_findings *f, const char *addr, const struct rdmadev_port *p,
			const struct iflink_info *li, unsigned flags)
{
	bool up = li->flags & IFF_UP;
	bool dad = flags & (IFA_F_DADFAILED | IFA_F_TENTATIVE);
	const char *cause = !up ? "the netdev is down" :
			    flags & IFA_F_DADFAILED ?
				  "IPv6 duplicate address detection failed" :
			    flags & IFA_F_TENTATIVE ?
				  "IPv6 duplicate address detection has not finished" :
				  "the kernel adds GIDs for the IPs of a port's netdev and of "
				  "its children only";
	const char *fix = !up ? "ip link set NETDEV up" :
			  dad ? "wait for DAD, or use another address" :
				"put the address on the RDMA port's netdev or "
				"a macvlan child of it";

	doctor_finding(f, DOCTOR_ERROR, "%s has no GID on %s port %u: RoCE cannot use it\n%s\n%s",
		       addr, p->dev_name, p->port, cause, fix);
}

void doctor_rule_rail_mtu(struct doctor_findings *f, const struct doctor_rail *r,
			  const struct iflink_info *parent)
{
	if (r->li.mtu > parent->mtu)
		doctor_finding(f, DOCTOR_ERROR,
			       "'%s' MTU %u is above its parent '%s' MTU "
			       "%u\nframes larger than the parent's MTU are dropped on the way "
			       "out\nset 'mtu' in the network config to at most %u, or "
			       "raise the parent's MTU",
			       r->li.name, r->li.mtu, parent->name, parent->mtu, parent->mtu);
	else if (r->li.mtu < parent->mtu)
		doctor_finding(f, DOCTOR_INFO,
			       "'%s' MTU %u is below its parent '%s' MTU %u\nRDMA "
			       "(RoCE) uses the largest IB MTU that fits the child's MTU\nleave "
			       "'mtu' unset to inherit the parent's",
			       r->li.name, r->li.mtu, parent->name, parent->mtu);
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

/* Two rails on one subnet: unless both route by their own table, one answers for the other. */
static void shared_subnet(struct doctor_findings *f, const struct doctor_rail *a,
			  const struct doctor_rail *b)
{
	for (unsigned i = 0; i < a->n_ips; i++) {
		for (unsigned j = 0; j < b->n_ips; j++) {
			char s[INET6_ADDRSTRLEN];
			unsigned char pfx[16];

			if (!same_subnet(&a->ips[i], &b->ips[j]) || (a->table && b->table))
				continue;
			ipaddr_prefix(a->ips[i].family, a->ips[i].addr, a->ips[i].prefixlen, pfx);
			(void) inet_ntop(a->ips[i].family, pfx, s, sizeof(s));
			doctor_finding(f, DOCTOR_ERROR,
				       "rails '%s' and '%s' share %s/%u without "
				       "policy routing\ntraffic from one rail's address can leave "
				       "on the other, so RDMA CM resolves it to the other rail's "
				       "device\nattach them with \"routing\": \"table\" (the "
				       "default)",
				       a->li.name, b->li.name, s, a->ips[i].prefixlen);
		}
	}
}

/*
 * Several rails in one pod: each must route, answer ARP and filter on its own. Findings for rails
 * that share a subnet without policy routing and for ARP/rp_filter values that let one interface
 * answer or drop for another.
 */
void doctor_rule_rails(struct doctor_findings *f, const struct doctor_rail *r, unsigned n)
{
	if (n < 2)
		return;
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = i + 1; j < n; j++)
			shared_subnet(f, &r[i], &r[j]);
	for (unsigned i = 0; i < n; i++) {
		if (r[i].sysctl[0] == 0)
			doctor_finding(f, DOCTOR_WARN,
				       "'%s' answers ARP for every address of the "
				       "pod (arp_ignore 0)\nwith several rails a neighbour can "
				       "learn another rail's MAC for this one's address\nset "
				       "\"arpIgnore\": 1 (the default)",
				       r[i].li.name);
		if (r[i].sysctl[1] >= 0 && r[i].sysctl[1] < 2)
			doctor_finding(f, DOCTOR_WARN,
				       "'%s' may announce another rail's address "
				       "in ARP (arp_announce %d)\nthe kernel picks the ARP source "
				       "from any interface unless arp_announce is 2\nset "
				       "\"arpAnnounce\": 2 (the default)",
				       r[i].li.name, r[i].sysctl[1]);
		if (r[i].sysctl[2] == 1 && !r[i].table)
			doctor_finding(f, DOCTOR_WARN,
				       "'%s' drops replies that return on another "
				       "rail (rp_filter 1, no policy routing)\nstrict "
				       "reverse-path filtering follows the main table\nset "
				       "\"rpFilter\": 2 or use \"routing\": \"table\"",
				       r[i].li.name);
	}
}

void doctor_rule_call_log(struct doctor_findings *f, const char *path, const char *source, int r)
{
	if (r == -ENOENT)
		doctor_finding(f, DOCTOR_INFO,
			       "log file '%s' (%s) does not exist yet\nno CNI call of that network "
			       "has run on this node since it was configured\n",
			       path, source);
	else
		doctor_finding(f, DOCTOR_WARN,
			       "cannot read log file '%s' (%s): %s\nthe node's recent CNI failures "
			       "in it are not shown\nrun the doctor as root, or fix the path in "
			       "the "
			       "network's config",
			       path, source, strerror(-r));
}

void doctor_rule_call_failures(struct doctor_findings *f, const char *path, unsigned calls,
			       unsigned failures, const char *since)
{
	if (failures)
		doctor_finding(f, DOCTOR_WARN,
			       "%u of %u CNI calls logged in '%s' since %s failed\nthe recent "
			       "failures above (--json: callLogs) give each call's code and "
			       "message\n"
			       "look each code up in the troubleshooting table; the log has the "
			       "lines before each failure",
			       failures, calls, path, since);
}

void doctor_rule_no_call_log(struct doctor_findings *f, const char *dir, int r)
{
	doctor_finding(f, DOCTOR_INFO,
		       "no rdmanet log file to read recent failures from\nno rdmanet network in "
		       "%s%s%s%s sets logFile or ipam.log_file, and no --log-file was given\nset "
		       "logFile in the network's config, or pass --log-file PATH",
		       dir, r < 0 ? " (" : "", r < 0 ? strerror(-r) : "", r < 0 ? ")" : "");
}
