/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_add.c - ADD: child created in (or hostdev moved into) the pod, label, sysctls, IPAM,
 * addresses, up, routes, RDMA GID and device info; every step undone on failure.
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
		return err_set(err, r, RDMANET_ERR_NETNS, NULL, "cannot enter the pod network namespace");
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
				       inet_ntop(ip->family, ip->addr, buf, sizeof(buf)) ? buf : "?",
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
			       "cannot add route to %s/%u from IPAM in the pod: check the IPAM routes and gateway",
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
				       inet_ntop(ip->family, ip->addr, buf, sizeof(buf)) ? buf : "?",
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
		struct cni_route rt = { .family = f ? AF_INET6 : AF_INET, .has_gw = true,
					.mtu = -1, .advmss = -1, .priority = -1,
					.table = (int) table, .scope = -1 };

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
				       "cannot end table %u with an unreachable default route", table);
	}

	for (unsigned i = 0; i < ipam->n_ips; i++) {
		const struct cni_ip *ip = &ipam->ips[i];

		r = cmd_fault("rule");
		if (r >= 0)
			r = iprule_add(pod, ip->family, ip->addr, table);
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_ADDR, netlink_errmsg(pod),
				       "cannot add the rule 'from %s lookup %u' in the pod",
				       inet_ntop(ip->family, ip->addr, buf, sizeof(buf)) ? buf : "?",
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
		log_warn("'%s' has no carrier: its IPv6 addresses stay tentative (DAD) until it has",
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
			       "duplicate address detection failed for %s on '%s': another host on the network already uses it; fix the IPAM range or the other host",
			       buf, link->name);
	if (r == -ETIMEDOUT)
		return err_set(err, r, CNI_ERR_TRY_AGAIN, NULL,
			       "duplicate address detection for %s on '%s' did not finish within %u s",
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

/* Returns a hostdev netdev to the host: original name and MTU, our label removed. */
static void hostdev_return(struct netlink *pod, const struct iflink_info *dev, int hostfd,
			   struct netlink *host, const struct state *st)
{
	bool renamed;
	int r = iflink_move_named(pod, dev->ifindex, hostfd, host, st->host_name, st->host_mtu, "",
				  &renamed);

	if (r >= 0 && renamed)
		log_warn("rollback: '%s' is taken in the host: '%s' returned under a kernel-chosen name",
			 st->host_name, dev->name);
	if (r < 0 && r != -ENODEV)
		log_warn("rollback: cannot return '%s' to the host as '%s': %s, ignoring", dev->name,
			 st->host_name, netlink_errmsg(pod) ? netlink_errmsg(pod) : strerror(-r));
}

int cmd_add(const struct cni_env *env, const struct config *cfg, struct cni_result *res,
	    struct cni_err *err)
{
	_cleanup_(netlink_close) struct netlink host = { 0 }, pod = { 0 };
	_cleanup_(cni_result_free) struct cni_result ipam = { 0 };
	_cleanup_close_ int nsfd = -1, hostfd = -1;
	struct iflink_info master, link = { 0 };
	const struct iflink_ops *ops = NULL;
	char alias[IFLINK_ALIAS_MAX], bus_id[CONFIG_DEVICE_ID_MAX + 1] = "";
	bool hostdev = cfg->link == LINK_HOSTDEV, ipam_ran = false, devinfo_created = false;
	bool state_saved = false, rdma_moved = false, rules_added = false;
	unsigned table = 0;
	struct rdma_plan plan;
	struct state st = { .gid_index = -1 };
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
	if (hostdev) {
		r = iflink_hostdev_find(&host, cfg, &master, bus_id, sizeof(bus_id), err);
		if (r < 0)
			return r;
		hostfd = netns_open_current();
		if (hostfd < 0)
			return err_set(err, hostfd, RDMANET_ERR_NETNS, NULL,
				       "cannot open the host network namespace");
	} else {
		/* a device plugin's deviceID names the RDMA function when the netdev does not */
		(void) snprintf(bus_id, sizeof(bus_id), "%s", cfg->device_id);
		r = iflink_find(&host, cfg->master, &master);
		if (r == -ENOENT)
			return err_set(err, 0, RDMANET_ERR_MASTER, NULL,
				       "master '%s' not found in the host network namespace: check 'master' in the network config and the node's interface names",
				       cfg->master);
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_MASTER, netlink_errmsg(&host),
				       "cannot look up master '%s'", cfg->master);
		ops = iflink_ops_select(cfg, &master, err);
		if (!ops)
			return -EINVAL;
		if (!(master.flags & IFF_UP))
			log_warn("master '%s' is down: the pod's interface will have no carrier",
				 master.name);
	}
	r = cmd_rdma_plan(cfg, &master, hostdev, bus_id, &plan, err);
	if (r < 0)
		return r;

	r = cmd_netlink_in(nsfd, NETLINK_ROUTE, &pod, err);
	if (r < 0)
		return r;
	r = iflink_find(&pod, env->ifname, &link);
	if (r >= 0)
		return err_set(err, 0, RDMANET_ERR_IFNAME_EXISTS, NULL,
			       "interface '%s' already exists in CNI_NETNS '%s': pick another interface name for this network",
			       env->ifname, env->netns);
	if (r != -ENOENT)
		return err_set(err, r, RDMANET_ERR_NETNS, netlink_errmsg(&pod),
			       "cannot list interfaces in the pod network namespace");
	link.ifindex = 0;

	if (hostdev) {
		/*
		 * 1. what DEL must give back is on disk before anything moves; the RDMA device
		 * goes first (moving it re-creates its IPoIB netdevs in the default netns), then
		 * the netdev, renamed, with its MTU and our label, in one request
		 */
		(void) snprintf(st.network, sizeof(st.network), "%s", cfg->name);
		(void) snprintf(st.containerid, sizeof(st.containerid), "%s", env->containerid);
		(void) snprintf(st.ifname, sizeof(st.ifname), "%s", env->ifname);
		(void) snprintf(st.netns, sizeof(st.netns), "%s", env->netns);
		strcpy(st.kind, "hostdev");
		strcpy(st.host_name, master.name);
		st.host_ifindex = master.ifindex;
		st.host_mtu = master.mtu;
		(void) snprintf(st.bus_id, sizeof(st.bus_id), "%s", bus_id);
		if (plan.active) {
			strcpy(st.rdma_device, plan.dev.name);
			st.rdma_port = plan.port.port;
			st.rdma_moved = plan.move;
		}
		r = cmd_fault("state");
		if (r >= 0)
			r = state_save(env->containerid, env->ifname, &st);
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_INTERNAL, NULL,
				       "cannot write the attachment state under " STATE_DIR);
		state_saved = true;
		if (plan.move) {
			r = cmd_rdma_move_in(&plan, nsfd, err);
			if (r < 0)
				goto undo_link;
			rdma_moved = true;
			/* the move re-creates the device's IPoIB netdevs in the host: look again */
			r = iflink_find(&host, st.host_name, &master);
			if (r < 0) {
				r = err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(&host),
					    "'%s' vanished from the host when RDMA device '%s' moved",
					    st.host_name, plan.dev.name);
				goto undo_link;
			}
		}
		r = cmd_fault("move");
		if (r >= 0)
			r = iflink_change(&host, master.ifindex, nsfd, env->ifname, cfg->mtu, alias);
		if (r < 0) {
			r = err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(&host),
				    "cannot move '%s' into the pod as '%s'", master.name, env->ifname);
			/*
			 * the kernel moves first: a refused MTU leaves the device in the pod, a name
			 * taken there meanwhile leaves it under its host name
			 */
			if (iflink_find(&pod, env->ifname, &link) < 0 &&
			    (iflink_find(&pod, master.name, &link) < 0 || link.addr_len != master.addr_len ||
			     memcmp(link.addr, master.addr, master.addr_len)))
				link.ifindex = 0;
			goto undo_link;
		}
		r = iflink_find(&pod, env->ifname, &link);
		if (r < 0) {
			r = err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(&pod),
				    "'%s' is missing from the pod right after the move", env->ifname);
			goto undo_link;
		}
		log_info("moved '%s' (ifindex %d%s%s) into '%s' as '%s'", master.name, master.ifindex,
			 bus_id[0] ? ", device " : "", bus_id, env->netns, env->ifname);
	} else {
		/*
		 * 1. the child, created inside the pod under CNI_IFNAME with our marker group, then
		 * labelled as ours: DEL deletes an unlabelled child only when it bears the marker
		 */
		r = cmd_fault("create");
		if (r >= 0)
			r = iflink_create(&host, ops, cfg, &master, nsfd, env->ifname,
					  iflink_marker(env->containerid, env->ifname));
		if (r == -EEXIST)
			return err_set(err, r, RDMANET_ERR_IFNAME_EXISTS, netlink_errmsg(&host),
				       "interface '%s' appeared in CNI_NETNS '%s' meanwhile: another ADD for this pod and interface is running",
				       env->ifname, env->netns);
		if (r == -EOPNOTSUPP)
			return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(&host),
				       "the kernel has no '%s' link type: load its module (modprobe %s)",
				       ops->kind, ops->module);
		if (r < 0 && ops->create_error &&
		    ops->create_error(r, cfg, netlink_errmsg(&host), err) < 0)
			return r;
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(&host),
				       "cannot create %s child of master '%s' in the pod", ops->kind,
				       cfg->master);
		r = iflink_find(&pod, env->ifname, &link);
		if (r < 0) {
			r = err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(&pod),
				    "'%s' is missing from the pod right after its creation", env->ifname);
			goto undo_link;
		}
		log_info("created %s '%s' (ifindex %d) on master '%s' in '%s'", ops->kind,
			 env->ifname, link.ifindex, cfg->master, env->netns);
		r = cmd_fault("alias");
		if (r >= 0)
			r = iflink_claim(&pod, link.ifindex, alias);
		if (r < 0) {
			r = err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(&pod), "cannot label '%s'",
				    env->ifname);
			goto undo_link;
		}
	}

	/* 2. neighbours must learn the new MAC: addresses are reused across pods */
	r = cmd_fault("sysctl");
	if (r < 0)
		(void) err_set(err, r, RDMANET_ERR_ADDR, NULL, "cannot set sysctls on '%s'",
			       env->ifname);
	else
		r = set_sysctls(nsfd, env->ifname, cfg, err);
	if (r < 0)
		goto undo_link;

	/*
	 * 3. addresses while the link is down, then up: with arp_notify the kernel announces each
	 * IPv4 address at NETDEV_UP (a gratuitous ARP) and, with ndisc_notify, each IPv6 address
	 * once DAD completes; an AF_PACKET socket of our own would cost an RCU grace period (~17 ms)
	 * at close. Routes need the link up.
	 */
	if (cfg->has_ipam) {
		ipam_ran = true;
		r = cmd_fault("ipam");
		if (r < 0)
			(void) err_set(err, r, RDMANET_ERR_IPAM, NULL, "IPAM plugin '%s' failed",
				       cfg->ipam_type);
		else
			r = ipam_exec_add(cfg, env, &ipam, err);
		if (r >= 0)
			r = add_addresses(&pod, link.ifindex, &ipam, err);
		if (r < 0)
			goto undo_ipam;
	}
	r = cmd_fault("up");
	if (r >= 0)
		r = iflink_set_up(&pod, link.ifindex);
	if (r < 0) {
		r = err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(&pod), "cannot bring '%s' up",
			    env->ifname);
		goto undo_ipam;
	}
	/* 3b. routes, in the attachment's own table with its rules unless routing is 'main' */
	if (cfg->routing == ROUTING_TABLE)
		table = iprule_table(link.ifindex);
	r = add_routes(&pod, link.ifindex, &ipam, table, err);
	if (r < 0)
		goto undo_ipam;
	if (table && ipam.n_ips) {
		rules_added = true;
		r = add_rules(&pod, &ipam, table, err);
		if (r < 0)
			goto undo_rules;
	}
	r = wait_dad(&pod, &link, &ipam, err);
	if (r < 0)
		goto undo_all;
	if (ops && ops->after_up)
		ops->after_up(&pod, nsfd, link.ifindex, &ipam);

	/* 4. RDMA: the GID of the pod's IP, published in the label and the device-info file */
	if (plan.active) {
		char label[IFLINK_ALIAS_MAX];

		r = cmd_fault("gid");
		if (r < 0)
			(void) err_set(err, r, RDMANET_ERR_RDMA, NULL, "cannot find the GID");
		else
			r = cmd_rdma_gid(&plan, nsfd, &ipam, err);
		if (r >= 0 && (r = cmd_rdma_alias(&plan, alias, label)) >= 0)
			r = iflink_set_alias(&pod, link.ifindex, label);
		if (r < 0) {
			(void) err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(&pod),
				       "cannot label '%s' with its RDMA device", env->ifname);
			goto undo_all;
		}
		if (hostdev && plan.gid_index >= 0) {
			st.gid_index = plan.gid_index;
			(void) state_save(env->containerid, env->ifname, &st);
		}
		r = cmd_fault("devinfo");
		if (r < 0)
			(void) err_set(err, r, RDMANET_ERR_INTERNAL, NULL,
				       "cannot write the device-info file");
		else
			r = cmd_rdma_devinfo(cfg, &plan, plan.pci[0] ? plan.pci : bus_id,
					     &devinfo_created, err);
		if (r < 0)
			goto undo_all;
	}

	r = cmd_fault("result");
	if (r < 0)
		(void) err_set(err, r, RDMANET_ERR_INTERNAL, NULL, "cannot build the result");
	else
		r = fill_result(env, cfg, &link, &ipam, res, err);
	if (r < 0) {
		cni_result_free(res);
		goto undo_all;
	}
	/* a PCI function (DDDD:BB:DD.F) is pciID; an SF's auxiliary device name is not */
	if (hostdev && strchr(bus_id, ':') && strlen(bus_id) < sizeof(res->ifaces[0].pci_id))
		memcpy(res->ifaces[0].pci_id, bus_id, strlen(bus_id) + 1);
	if (plan.active)
		log_info("attached '%s' (%s) in '%s' with %u address(es), RDMA device '%s' port %u GID index %d",
			 env->ifname, res->ifaces[0].mac, env->netns, res->n_ips, plan.dev.name,
			 plan.port.port, plan.gid_index);
	else
		log_info("attached '%s' (%s) in '%s' with %u address(es)", env->ifname,
			 res->ifaces[0].mac, env->netns, res->n_ips);
	return 0;

undo_all:
	if (devinfo_created && unlink(cfg->devinfo_file) < 0)
		log_warn("rollback: cannot remove '%s': %s, ignoring", cfg->devinfo_file,
			 strerror(errno));
undo_rules:
	if (rules_added) {
		int r2 = cmd_table_release(&pod, table);

		if (r2 < 0)
			log_warn("rollback: cannot delete the rules of table %u: %s, ignoring", table,
				 strerror(-r2));
	}
undo_ipam:
	if (ipam_ran) {
		struct cni_err ignored = { 0 };
		char *out = NULL;

		if (ipam_exec(cfg, env, CNI_CMD_DEL, &out, &ignored) < 0)
			log_warn("rollback: IPAM DEL failed: %s, ignoring", ignored.msg);
		free(out);
	}
undo_link:
	if (hostdev) {
		if (link.ifindex > 0)
			hostdev_return(&pod, &link, hostfd, &host, &st);
		if (rdma_moved) {
			int r2 = cmd_rdma_move_out(plan.dev.name, nsfd);

			if (r2 < 0)
				log_warn("rollback: cannot return RDMA device '%s' to the host: %s, ignoring",
					 plan.dev.name, strerror(-r2));
		}
		if (state_saved) {
			int r2 = state_remove(env->containerid, env->ifname);

			if (r2 < 0 && r2 != -ENOENT)
				log_warn("rollback: cannot remove the state file: %s, ignoring",
					 strerror(-r2));
		}
	} else if (link.ifindex > 0) {
		int r2 = iflink_delete(&pod, link.ifindex);

		if (r2 < 0 && r2 != -ENOENT)
			log_warn("rollback: cannot delete '%s' in the pod: %s, ignoring", env->ifname,
				 strerror(-r2));
	}
	return r;
}
