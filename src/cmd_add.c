/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_add.c - ADD: child created in (or hostdev moved into) the pod, label, sysctls, IPAM,
 * addresses, up, routes, RDMA GID and device info; every step undone on failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/cmd.h"
#include "rdmanet/iflink.h"
#include "rdmanet/ipaddr.h"
#include "rdmanet/ipam_exec.h"
#include "rdmanet/log.h"
#include "rdmanet/netns.h"
#include "rdmanet/state.h"

/* arp_notify/ndisc_notify: neighbours learn the new MAC when an address moves between pods. */
static int set_sysctls(int nsfd, const char *ifname, struct cni_err *err)
{
	int saved = -1, r, r2;

	r = netns_enter(nsfd, &saved);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_NETNS, NULL, "cannot enter the pod network namespace");
	r = ipaddr_sysctl_set("ipv4", ifname, "arp_notify", "1");
	if (r >= 0) {
		r = ipaddr_sysctl_set("ipv6", ifname, "ndisc_notify", "1");
		if (r == -ENOENT) /* IPv6 disabled in the pod */
			r = 0;
	}
	r2 = netns_restore(&saved);
	if (r2 < 0)
		return err_set(err, r2, RDMANET_ERR_NETNS, NULL,
			       "cannot return to the host network namespace");
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_ADDR, NULL,
			       "cannot set arp_notify/ndisc_notify on '%s' in the pod", ifname);
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

static int add_routes(struct netlink *pod, int ifindex, const struct cni_result *ipam,
		      struct cni_err *err)
{
	const unsigned char *gw4, *gw6;
	char buf[INET6_ADDRSTRLEN];
	int r;

	ipaddr_gateways(ipam, -1, &gw4, &gw6);
	for (unsigned i = 0; i < ipam->n_routes; i++) {
		const struct cni_route *rt = &ipam->routes[i];

		r = cmd_fault("route");
		if (r >= 0)
			r = ipaddr_route_add(pod, ifindex, rt, gw4, gw6);
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_ADDR, netlink_errmsg(pod),
				       "cannot add route to %s/%u from IPAM in the pod: check the IPAM routes and gateway",
				       inet_ntop(rt->family, rt->dst, buf, sizeof(buf)) ? buf : "?",
				       rt->dst_len);
	}
	return 0;
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

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000 /* linux/if.h, which clashes with net/if.h */
#endif
#define CARRIER_WAIT_MS 2000

/*
 * IPoIB: the kernel's arp_notify announcement goes out at NETDEV_UP, before the child has
 * joined the broadcast group and has carrier, and is lost; announce again once it is there.
 * Best effort: the attachment works without it, neighbours just learn the new address later.
 */
static void announce_ipoib(struct netlink *pod, int nsfd, int ifindex, const struct cni_result *ipam)
{
	struct timespec t = { 0, 10 * 1000 * 1000 };
	struct iflink_info link;
	int saved = -1, r = -EAGAIN, sent = 0;

	for (int waited = 0; waited <= CARRIER_WAIT_MS; waited += 10) {
		r = iflink_find_index(pod, ifindex, &link);
		if (r < 0 || link.flags & IFF_LOWER_UP)
			break;
		(void) nanosleep(&t, NULL);
	}
	if (r < 0 || !(link.flags & IFF_LOWER_UP)) {
		log_warn("'%s' has no carrier after %d ms (broadcast group not joined: check the P_Key and the subnet manager): no gratuitous ARP sent",
			 link.name, CARRIER_WAIT_MS);
		return;
	}
	if (netns_enter(nsfd, &saved) < 0)
		return;
	for (unsigned i = 0; i < ipam->n_ips; i++) {
		if (ipam->ips[i].family != AF_INET)
			continue;
		r = ipaddr_garp(ifindex, ARPHRD_INFINIBAND, link.addr, link.addr_len, link.broadcast,
				link.broadcast_len, ipam->ips[i].addr);
		if (r < 0)
			log_warn("cannot send a gratuitous ARP on '%s': %s, ignoring", link.name,
				 strerror(-r));
		else
			sent++;
	}
	if (netns_restore(&saved) < 0)
		log_error("cannot return to the host network namespace after the gratuitous ARP");
	log_debug("sent %d gratuitous ARP(s) on '%s'", sent, link.name);
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
	bool state_saved = false, rdma_moved = false;
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
		hostfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (hostfd < 0)
			return err_set(err, -errno, RDMANET_ERR_NETNS, NULL,
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
				       ops->kind, ops == &iflink_ipoib_ops ? "ib_ipoib" : ops->kind);
		if (r == -ENODEV && ops == &iflink_ipoib_ops)
			return err_set(err, r, RDMANET_ERR_MASTER, netlink_errmsg(&host),
				       "the kernel refused an IPoIB child of '%s' (ENODEV): it is not an IPoIB netdev of an InfiniBand port, or its port is gone",
				       cfg->master);
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
		r = set_sysctls(nsfd, env->ifname, err);
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
	r = add_routes(&pod, link.ifindex, &ipam, err);
	if (r < 0)
		goto undo_ipam;
	if (ops == &iflink_ipoib_ops)
		announce_ipoib(&pod, nsfd, link.ifindex, &ipam);

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
			goto undo_ipam;
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
			goto undo_ipam;
	}

	r = cmd_fault("result");
	if (r < 0)
		(void) err_set(err, r, RDMANET_ERR_INTERNAL, NULL, "cannot build the result");
	else
		r = fill_result(env, cfg, &link, &ipam, res, err);
	if (r < 0) {
		cni_result_free(res);
		goto undo_ipam;
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

undo_ipam:
	if (devinfo_created && unlink(cfg->devinfo_file) < 0)
		log_warn("rollback: cannot remove '%s': %s, ignoring", cfg->devinfo_file,
			 strerror(errno));
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
