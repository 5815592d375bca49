/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_add.c - ADD: the kind's attach (a child created in, or a device moved into, the pod with
 * our label), sysctls, IPAM, addresses, up, routes, rules, DAD, RDMA GID and device info; every
 * step undone on failure, in reverse.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cjson/cJSON.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/cmd.h"
#include "rdmanet/devinfo.h"
#include "rdmanet/iflink.h"
#include "rdmanet/ipaddr.h"
#include "rdmanet/ipaddr_sysctl.h"
#include "rdmanet/ipam_exec.h"
#include "rdmanet/iprule.h"
#include "rdmanet/log.h"
#include "rdmanet/netns.h"
#include "rdmanet/state.h"

/* how long ADD waits for IPv6 duplicate address detection */
#define CMD_DAD_TIMEOUT_MS 10000u

/*
 * arp_notify/ndisc_notify: neighbours learn the new MAC when an address moves between pods. With
 * several interfaces in one subnet (rails): arp_ignore, arp_announce and rp_filter, so each
 * answers ARP for its own addresses only and replies on another rail are not dropped.
 */
static int set_sysctls(int nsfd, const char *ifname, const struct config *cfg, struct cni_err *err)
{
	const struct {
		const char *key;
		int value;
	} v4[] = {
		{ "arp_notify", 1 },
		{ "arp_ignore", cfg->arp_ignore },
		{ "arp_announce", cfg->arp_announce },
		{ "rp_filter", cfg->rp_filter },
	};
	const char *failed = v4[0].key;
	int saved = -1, r = 0, r2;
	char val[16];

	r = netns_enter(nsfd, &saved);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_NETNS, NULL,
			       "cannot enter the pod network namespace");
	for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]) && r >= 0; i++) {
		(void) snprintf(val, sizeof(val), "%d", v4[i].value);
		failed = v4[i].key;
		r = ipaddr_sysctl_set("ipv4", ifname, v4[i].key, val);
	}
	if (r >= 0) {
		failed = "ndisc_notify";
		r = ipaddr_sysctl_set("ipv6", ifname, "ndisc_notify", "1");
		if (r == -ENOENT) /* IPv6 disabled in the pod */
			r = 0;
	}
	r2 = netns_restore(&saved);
	if (r2 < 0)
		return err_set(err, r2, RDMANET_ERR_NETNS, NULL,
			       "cannot return to the host network namespace");
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_ADDR, NULL, "cannot set %s on '%s' in the pod",
			       failed, ifname);
	return 0;
}

static int add_addresses(struct netlink *pod, int ifindex, const struct cni_result *ipam,
			 struct cni_err *err)
{
	char buf[INET6_ADDRSTRLEN];
	int r;

	for (unsigned i = 0; i < ipam->n_ips; i++) {
		const struct cni_ip *ip = &ipam->ips[i];

		r = cmd_fault("addr");
		if (r >= 0)
			r = ipaddr_add(pod, ifindex, ip);
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_ADDR, netlink_errmsg(pod),
				       "cannot add address %s/%u from IPAM to the pod interface",
				       inet_ntop(ip->family, ip->addr, buf, sizeof(buf)) ? buf :
											   "?",
				       ip->prefixlen);
	}
	return 0;
}

static int add_route(struct netlink *pod, int ifindex, const struct cni_route *rt,
		     const unsigned char *gw4, const unsigned char *gw6, struct cni_err *err)
{
	char buf[INET6_ADDRSTRLEN];
	int r = cmd_fault("route");

	if (r >= 0)
		r = ipaddr_route_add(pod, ifindex, rt, gw4, gw6);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_ADDR, netlink_errmsg(pod),
			       "cannot add route to %s/%u from IPAM in the pod: check the IPAM "
			       "routes and gateway",
			       inet_ntop(rt->family, rt->dst, buf, sizeof(buf)) ? buf : "?",
			       rt->dst_len);
	return 0;
}

/*
 * The IPAM's routes: into the main table, or with routing 'table' into the attachment's own
 * (table != 0), which also gets each address's connected route (with it as source) and, per
 * family with a gateway, 'default via <gateway>' unless the IPAM routes name a default already.
 */
static int add_routes(struct netlink *pod, int ifindex, const struct cni_result *ipam,
		      unsigned table, struct cni_err *err)
{
	const unsigned char *gw4, *gw6;
	char buf[INET6_ADDRSTRLEN];
	int r;

	ipaddr_gateways(ipam, -1, &gw4, &gw6);
	for (unsigned i = 0; table && i < ipam->n_ips; i++) {
		const struct cni_ip *ip = &ipam->ips[i];

		if (ip->prefixlen >= (ip->family == AF_INET ? 32u : 128u))
			continue;
		r = ipaddr_route_connected(pod, ifindex, ip, table);
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_ADDR, netlink_errmsg(pod),
				       "cannot add the connected route of %s/%u to table %u",
				       inet_ntop(ip->family, ip->addr, buf, sizeof(buf)) ? buf :
											   "?",
				       ip->prefixlen, table);
	}
	for (unsigned i = 0; i < ipam->n_routes; i++) {
		struct cni_route rt = ipam->routes[i];

		if (table && rt.table < 0)
			rt.table = (int) table;
		r = add_route(pod, ifindex, &rt, gw4, gw6, err);
		if (r < 0)
			return r;
	}
	for (int f = 0; table && f < 2; f++) {
		const unsigned char *gw = f ? gw6 : gw4;
		struct cni_route rt = { .family = f ? AF_INET6 : AF_INET,
					.has_gw = true,
					.mtu = -1,
					.advmss = -1,
					.priority = -1,
					.table = (int) table,
					.scope = -1 };

		if (!gw || ipaddr_default_in(ipam, rt.family, table))
			continue;
		memcpy(rt.gw, gw, f ? 16 : 4);
		r = add_route(pod, ifindex, &rt, gw4, gw6, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * 'from <address> lookup <table>' for each address, and an 'unreachable default' ending the
 * table for each family that has no default route in it: traffic from a rail's address leaves on
 * that rail or nowhere, never through the main table on another one. On failure the caller
 * removes it all (cmd_table_release).
 */
static int add_rules(struct netlink *pod, const struct cni_result *ipam, unsigned table,
		     struct cni_err *err)
{
	const unsigned char *gw4, *gw6;
	char buf[INET6_ADDRSTRLEN];
	int r;

	ipaddr_gateways(ipam, -1, &gw4, &gw6);
	for (int f = 0; f < 2; f++) {
		int family = f ? AF_INET6 : AF_INET;
		/* a gateway put a default route in the table (add_routes) */
		bool has_addr = false, has_default = f ? gw6 != NULL : gw4 != NULL;

		for (unsigned i = 0; i < ipam->n_ips; i++)
			has_addr |= ipam->ips[i].family == family;
		if (!has_addr || has_default || ipaddr_default_in(ipam, family, table))
			continue;
		r = ipaddr_route_unreachable(pod, family, table);
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_ADDR, netlink_errmsg(pod),
				       "cannot end table %u with an unreachable default route",
				       table);
	}

	for (unsigned i = 0; i < ipam->n_ips; i++) {
		const struct cni_ip *ip = &ipam->ips[i];

		r = cmd_fault("rule");
		if (r >= 0)
			r = iprule_add(pod, ip->family, ip->addr, table);
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_ADDR, netlink_errmsg(pod),
				       "cannot add the rule 'from %s lookup %u' in the pod",
				       inet_ntop(ip->family, ip->addr, buf, sizeof(buf)) ? buf :
											   "?",
				       table);
	}
	return 0;
}

/* IPv6 addresses usable when ADD returns: DAD done, none a duplicate. */
static int wait_dad(struct netlink *pod, const struct iflink_info *link,
		    const struct cni_result *ipam, struct cni_err *err)
{
	struct iflink_info now;
	char buf[INET6_ADDRSTRLEN] = "?";
	int r, which;

	r = iflink_find_index(pod, link->ifindex, &now);
	if (r >= 0 && !(now.flags & IFF_LOWER_UP)) {
		log_warn("'%s' has no carrier: its IPv6 addresses stay "
			 "tentative (DAD) until it has",
			 link->name);
		return 0;
	}
	r = cmd_fault("dad");
	if (r >= 0)
		r = ipaddr_wait_dad(pod, link->ifindex, ipam, -1, CMD_DAD_TIMEOUT_MS, &which);
	if (r >= 0)
		return 0;
	if (r < 0 && which >= 0)
		(void) inet_ntop(AF_INET6, ipam->ips[which].addr, buf, sizeof(buf));
	if (r == -EADDRINUSE)
		return err_set(err, r, RDMANET_ERR_ADDR, NULL,
			       "duplicate address detection failed for %s on '%s': another host on "
			       "the network already uses it; fix the IPAM range or the other host",
			       buf, link->name);
	if (r == -ETIMEDOUT)
		return err_set(err, r, CNI_ERR_TRY_AGAIN, NULL,
			       "duplicate address detection for %s on '%s' did "
			       "not finish within %u s",
			       buf, link->name, CMD_DAD_TIMEOUT_MS / 1000);
	return err_set(err, r, RDMANET_ERR_ADDR, netlink_errmsg(pod),
		       "cannot follow duplicate address detection on '%s'", link->name);
}

static int fill_result(const struct cni_env *env, const struct config *cfg,
		       const struct iflink_info *link, struct cni_result *ipam,
		       struct cni_result *res, struct cni_err *err)
{
	struct cni_iface *f = &res->ifaces[0];

	memset(res, 0, sizeof(*res));
	res->n_ifaces = 1;
	strcpy(f->name, env->ifname);
	iflink_format_hwaddr(link->addr, link->addr_len, f->mac, sizeof(f->mac));
	f->mtu = link->mtu;
	f->sandbox = strdup(env->netns);
	if (!f->sandbox)
		return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
	memcpy(res->ips, ipam->ips, sizeof(ipam->ips[0]) * ipam->n_ips);
	res->n_ips = ipam->n_ips;
	for (unsigned i = 0; i < res->n_ips; i++)
		res->ips[i].iface = 0;
	memcpy(res->routes, ipam->routes, sizeof(ipam->routes[0]) * ipam->n_routes);
	res->n_routes = ipam->n_routes;
	/* where the routes are: a 1.1.0 result says so ("table"), and CHECK reads it back */
	for (unsigned i = 0; cfg->routing == ROUTING_TABLE && i < res->n_routes; i++)
		if (res->routes[i].table < 0)
			res->routes[i].table = (int) iprule_table(link->ifindex);
	if (ipam->dns && cJSON_GetArraySize(ipam->dns))
		res->dns = TAKE_PTR(ipam->dns);
	else if (cfg->dns && !(res->dns = cJSON_Duplicate(cfg->dns, true)))
		return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
	return 0;
}

/* The pod's netlink socket; CNI_IFNAME must be free there. */
static int open_pod(struct netlink *pod, int nsfd, const struct cni_env *env, struct cni_err *err)
{
	struct iflink_info link;
	int r = cmd_netlink_in(nsfd, NETLINK_ROUTE, pod, err);

	if (r < 0)
		return r;
	r = iflink_find(pod, env->ifname, &link);
	if (r >= 0)
		return err_set(err, 0, RDMANET_ERR_IFNAME_EXISTS, NULL,
			       "interface '%s' already exists in CNI_NETNS '%s': pick another "
			       "interface name for this network",
			       env->ifname, env->netns);
	if (r != -ENOENT)
		return err_set(err, r, RDMANET_ERR_NETNS, netlink_errmsg(pod),
			       "cannot list interfaces in the pod network namespace");
	return 0;
}

/* Neighbours must learn the new MAC: addresses are reused across pods. */
static int step_sysctl(int nsfd, const struct cni_env *env, const struct config *cfg,
		       struct cni_err *err)
{
	int r = cmd_fault("sysctl");

	if (r < 0)
		return err_set(err, r, RDMANET_ERR_ADDR, NULL, "cannot set sysctls on '%s'",
			       env->ifname);
	return set_sysctls(nsfd, env->ifname, cfg, err);
}

/*
 * The IPAM's addresses, while the link is down: with arp_notify the kernel announces each IPv4
 * address at NETDEV_UP (a gratuitous ARP) and, with ndisc_notify, each IPv6 address once DAD
 * completes; an AF_PACKET socket of our own would cost an RCU grace period (~17 ms) at close.
 * Undone by ipam_undo() from the moment the IPAM runs.
 */
static int step_ipam(struct netlink *pod, int ifindex, const struct cni_env *env,
		     const struct config *cfg, struct cni_result *ipam, struct cni_err *err)
{
	int r = cmd_fault("ipam");

	if (r < 0)
		return err_set(err, r, RDMANET_ERR_IPAM, NULL, "IPAM plugin '%s' failed",
			       cfg->ipam_type);
	r = ipam_exec_add(cfg, env, ipam, err);
	if (r < 0)
		return r;
	return add_addresses(pod, ifindex, ipam, err);
}

static void ipam_undo(const struct cni_env *env, const struct config *cfg)
{
	struct cni_err ignored = { 0 };
	_cleanup_free_ char *out = NULL;

	if (ipam_exec(cfg, env, CNI_CMD_DEL, &out, &ignored) < 0)
		log_warn("rollback: IPAM DEL failed: %s, ignoring", ignored.msg);
}

/* Up: routes need it. */
static int step_up(struct netlink *pod, int ifindex, const struct cni_env *env, struct cni_err *err)
{
	int r = cmd_fault("up");

	if (r >= 0)
		r = iflink_set_up(pod, ifindex);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(pod),
			       "cannot bring '%s' up", env->ifname);
	return 0;
}

/* The rules, and the table's 'unreachable' ends, of add_rules(); its routes go with the link. */
static void rules_undo(struct netlink *pod, unsigned table)
{
	int r = cmd_table_release(pod, table);

	if (r < 0)
		log_warn("rollback: cannot delete the rules of table %u: %s, ignoring", table,
			 strerror(-r));
}

/*
 * RDMA: the GID of the pod's IP, published in the label (and in the state of an attachment that
 * keeps one, for DEL); nothing to undo, the label goes with the link.
 */
static int step_gid(struct iflink_attach *a, struct rdma_plan *plan, const struct cni_result *ipam,
		    struct cni_err *err)
{
	char label[IFLINK_ALIAS_MAX];
	int r = cmd_fault("gid");

	if (r < 0)
		(void) err_set(err, r, RDMANET_ERR_RDMA, NULL, "cannot find the GID");
	else
		r = cmd_rdma_gid(plan, a->nsfd, ipam, err);
	if (r >= 0 && (r = cmd_rdma_alias(plan, a->alias, label)) >= 0)
		r = iflink_set_alias(a->pod, a->link.ifindex, label);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(a->pod),
			       "cannot label '%s' with its RDMA device", a->env->ifname);
	if (a->state_saved && plan->gid_index >= 0) {
		a->st.gid_index = plan->gid_index;
		(void) state_save(a->env->containerid, a->env->ifname, &a->st);
	}
	return 0;
}

/* The device-info file Multus asked for; *created tells devinfo_undo() to remove it. */
static int step_devinfo(const struct config *cfg, const struct rdma_plan *plan, const char *bus_id,
			bool *created, struct cni_err *err)
{
	int r = cmd_fault("devinfo");

	if (r < 0)
		return err_set(err, r, RDMANET_ERR_INTERNAL, NULL,
			       "cannot write the device-info file");
	return cmd_rdma_devinfo(cfg, plan, plan->pci[0] ? plan->pci : bus_id, created, err);
}

static void devinfo_undo(const struct config *cfg, bool created)
{
	if (created && unlink(cfg->devinfo_file) < 0)
		log_warn("rollback: cannot remove '%s': %s, ignoring", cfg->devinfo_file,
			 strerror(errno));
}

static int step_result(const struct cni_env *env, const struct iflink_attach *a,
		       struct cni_result *ipam, struct cni_result *res, struct cni_err *err)
{
	int r = cmd_fault("result");

	if (r < 0)
		return err_set(err, r, RDMANET_ERR_INTERNAL, NULL, "cannot build the result");
	r = fill_result(env, a->cfg, &a->link, ipam, res, err);
	if (r < 0) {
		cni_result_free(res);
		return r;
	}
	/* a whole device's PCI function (DDDD:BB:DD.F) is pciID; an SF's auxiliary name is not */
	if (a->ops->device && strchr(a->bus_id, ':') &&
	    strlen(a->bus_id) < sizeof(res->ifaces[0].pci_id))
		memcpy(res->ifaces[0].pci_id, a->bus_id, strlen(a->bus_id) + 1);
	return 0;
}

static void attach_done(struct iflink_attach *a)
{
	closep(&a->hostfd);
}

/*
 * The steps of ADD in order, each undone on a later step's failure by the labels below, in
 * reverse: nothing changes before attach; a test failing step N (cmd_fault) sees nothing left.
 */
int cmd_add(const struct cni_env *env, const struct config *cfg, struct cni_result *res,
	    struct cni_err *err)
{
	_cleanup_(netlink_close) struct netlink host = { 0 }, pod = { 0 };
	_cleanup_(cni_result_free) struct cni_result ipam = { 0 };
	_cleanup_close_ int nsfd = -1;
	_cleanup_(attach_done) struct iflink_attach a = {
		.env = env,
		.cfg = cfg,
		.host = &host,
		.pod = &pod,
		.nsfd = -1,
		.hostfd = -1,
		.st = { .gid_index = -1 },
	};
	char alias[IFLINK_ALIAS_MAX];
	bool devinfo_created = false;
	unsigned table = 0;
	struct rdma_plan plan;
	int r;

	r = iflink_alias(env->containerid, env->ifname, alias);
	if (r < 0)
		return err_set(err, r, CNI_ERR_INVALID_ENV, NULL, "CNI_CONTAINERID is too long");
	nsfd = cmd_open_netns(env, err);
	if (nsfd < 0)
		return nsfd;
	r = netlink_open(&host);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_INTERNAL, NULL, "cannot open a netlink socket");
	a.nsfd = nsfd;
	a.alias = alias;
	a.plan = &plan;

	/* find and plan: the parent (or the device), the kind, the RDMA side; nothing changes */
	r = iflink_ops_config(cfg)->find(&a, err);
	if (r < 0)
		return r;
	r = cmd_rdma_plan(cfg, &a.master, a.ops->device, a.bus_id, &plan, err);
	if (r < 0)
		return r;
	r = open_pod(&pod, nsfd, env, err);
	if (r < 0)
		return r;

	/* attach: the child created in, or the device moved into, the pod under CNI_IFNAME */
	r = a.ops->attach(&a, err);
	if (r < 0)
		goto undo_link;
	r = step_sysctl(nsfd, env, cfg, err);
	if (r < 0)
		goto undo_link;
	if (cfg->has_ipam) {
		r = step_ipam(&pod, a.link.ifindex, env, cfg, &ipam, err);
		if (r < 0)
			goto undo_ipam;
	}
	r = step_up(&pod, a.link.ifindex, env, err);
	if (r < 0)
		goto undo_ipam;
	/* routes, in the attachment's own table with its rules unless routing is 'main' */
	if (cfg->routing == ROUTING_TABLE)
		table = iprule_table(a.link.ifindex);
	r = add_routes(&pod, a.link.ifindex, &ipam, table, err);
	if (r < 0)
		goto undo_ipam;
	if (table && ipam.n_ips) {
		r = add_rules(&pod, &ipam, table, err);
		if (r < 0)
			goto undo_rules;
	}
	r = wait_dad(&pod, &a.link, &ipam, err);
	if (r < 0)
		goto undo_rules;
	if (a.ops->after_up)
		a.ops->after_up(&pod, nsfd, a.link.ifindex, &ipam);
	if (plan.active) {
		r = step_gid(&a, &plan, &ipam, err);
		if (r < 0)
			goto undo_rules;
		r = step_devinfo(cfg, &plan, a.bus_id, &devinfo_created, err);
		if (r < 0)
			goto undo_devinfo;
	}
	r = step_result(env, &a, &ipam, res, err);
	if (r < 0)
		goto undo_devinfo;

	if (plan.active)
		log_info("attached '%s' (%s) in '%s' with %u address(es), RDMA device '%s' "
			 "port %u GID index %d",
			 env->ifname, res->ifaces[0].mac, env->netns, res->n_ips, plan.dev.name,
			 plan.port.port, plan.gid_index);
	else
		log_info("attached '%s' (%s) in '%s' with %u address(es)", env->ifname,
			 res->ifaces[0].mac, env->netns, res->n_ips);
	return 0;

undo_devinfo:
	devinfo_undo(cfg, devinfo_created);
undo_rules:
	if (table && ipam.n_ips)
		rules_undo(&pod, table);
undo_ipam:
	if (cfg->has_ipam)
		ipam_undo(env, cfg);
undo_link:
	a.ops->detach(&a);
	return r;
}
