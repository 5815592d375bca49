/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_add.c - ADD: child link, move+rename, sysctls, up, IPAM, addresses; undone on failure. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cjson/cJSON.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/cmd.h"
#include "rdmanet/iflink.h"
#include "rdmanet/ipaddr.h"
#include "rdmanet/ipam_exec.h"
#include "rdmanet/log.h"
#include "rdmanet/netns.h"

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

static void announce(int nsfd, const struct iflink_info *link, const struct cni_result *ipam)
{
	int saved = -1, r;

	if (link->addr_len != 6 || netns_enter(nsfd, &saved) < 0)
		return;
	for (unsigned i = 0; i < ipam->n_ips; i++) {
		if (ipam->ips[i].family != AF_INET)
			continue; /* IPv6: the kernel sends the unsolicited NA (ndisc_notify) */
		r = ipaddr_garp(link->ifindex, link->addr, ipam->ips[i].addr);
		if (r < 0)
			log_warn("cannot send gratuitous ARP on '%s': %s, ignoring", link->name,
				 strerror(-r));
	}
	if (netns_restore(&saved) < 0)
		abort(); /* cannot happen with a valid saved fd; never continue in the pod netns */
}

static int apply_ipam(struct netlink *pod, int ifindex, const struct cni_result *ipam,
		      struct cni_err *err)
{
	const unsigned char *gw4 = NULL, *gw6 = NULL;
	char buf[64];
	int r;

	for (unsigned i = 0; i < ipam->n_ips; i++) {
		const struct cni_ip *ip = &ipam->ips[i];

		if (ip->has_gw && ip->family == AF_INET && !gw4)
			gw4 = ip->gw;
		if (ip->has_gw && ip->family == AF_INET6 && !gw6)
			gw6 = ip->gw;
		r = cmd_fault("addr");
		if (r >= 0)
			r = ipaddr_add(pod, ifindex, ip);
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_ADDR, netlink_errmsg(pod),
				       "cannot add address %s/%u from IPAM to the pod interface",
				       inet_ntop(ip->family, ip->addr, buf, sizeof(buf)) ? buf : "?",
				       ip->prefixlen);
	}
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

static void undo_link(struct netlink *host, struct netlink *pod, const char *tmp,
		      const char *ifname, bool moved)
{
	int r;

	r = iflink_delete_name(host, tmp);
	if (r < 0 && r != -ENOENT)
		log_warn("rollback: cannot delete '%s' in the host: %s, ignoring", tmp, strerror(-r));
	r = iflink_delete_name(pod, tmp);
	if (r < 0 && r != -ENOENT)
		log_warn("rollback: cannot delete '%s' in the pod: %s, ignoring", tmp, strerror(-r));
	if (!moved)
		return;
	r = iflink_delete_name(pod, ifname);
	if (r < 0 && r != -ENOENT)
		log_warn("rollback: cannot delete '%s' in the pod: %s, ignoring", ifname, strerror(-r));
}

int cmd_add(const struct cni_env *env, const struct config *cfg, struct cni_result *res,
	    struct cni_err *err)
{
	_cleanup_(netlink_close) struct netlink host = { 0 }, pod = { 0 };
	_cleanup_(cni_result_free) struct cni_result ipam = { 0 };
	_cleanup_close_ int nsfd = -1;
	struct iflink_info master, link;
	const struct iflink_ops *ops;
	char tmp[IF_NAMESIZE], alias[IFLINK_ALIAS_MAX];
	bool moved = false, ipam_ran = false;
	int r;

	nsfd = cmd_open_netns(env, err);
	if (nsfd < 0)
		return nsfd;
	r = netlink_open(&host);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_INTERNAL, NULL, "cannot open a netlink socket");
	r = iflink_find(&host, cfg->master, &master);
	if (r == -ENOENT)
		return err_set(err, r, RDMANET_ERR_MASTER, NULL,
			       "master '%s' not found in the host network namespace: check 'master' in the network config and the node's interface names",
			       cfg->master);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_MASTER, netlink_errmsg(&host),
			       "cannot look up master '%s'", cfg->master);
	ops = iflink_ops_select(cfg, &master, err);
	if (!ops)
		return -EINVAL;
	if (cfg->mtu > master.mtu)
		return err_set(err, -EINVAL, CNI_ERR_INVALID_CONFIG, NULL,
			       "invalid network config: 'mtu' %u is larger than the MTU %u of master '%s'",
			       cfg->mtu, master.mtu, master.name);
	if (!(master.flags & IFF_UP))
		log_warn("master '%s' is down: the pod's interface will have no carrier", master.name);

	r = cmd_netlink_in(nsfd, &pod, err);
	if (r < 0)
		return r;
	r = iflink_find(&pod, env->ifname, &link);
	if (r >= 0)
		return err_set(err, -EEXIST, RDMANET_ERR_IFNAME_EXISTS, NULL,
			       "interface '%s' already exists in CNI_NETNS '%s': pick another interface name for this network",
			       env->ifname, env->netns);
	if (r != -ENOENT)
		return err_set(err, r, RDMANET_ERR_NETNS, netlink_errmsg(&pod),
			       "cannot list interfaces in the pod network namespace");

	iflink_tmpname(env->containerid, env->ifname, tmp);
	r = iflink_alias(env->containerid, env->ifname, alias);
	if (r < 0)
		return err_set(err, r, CNI_ERR_INVALID_ENV, NULL, "CNI_CONTAINERID is too long");

	/* 1. create the child in the host netns under a temporary name */
	r = cmd_fault("create");
	if (r >= 0)
		r = iflink_create(&host, ops, cfg, master.ifindex, tmp, alias);
	if (r == -EEXIST) {
		r = err_set(err, r, CNI_ERR_TRY_AGAIN, netlink_errmsg(&host),
			    "temporary link '%s' already exists on the host: another ADD for this container and interface is running, or one was interrupted and DEL will remove it",
			    tmp);
		goto undo_none;
	}
	if (r < 0) {
		r = err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(&host),
			    "cannot create %s child of master '%s'", ops->kind, cfg->master);
		goto undo_link;
	}
	log_info("created %s '%s' on master '%s'", ops->kind, tmp, cfg->master);

	/* 2. move it into the pod and rename it to CNI_IFNAME in one request */
	r = iflink_find(&host, tmp, &link);
	if (r >= 0)
		r = cmd_fault("move");
	if (r >= 0)
		r = iflink_move(&host, link.ifindex, nsfd, env->ifname);
	if (r < 0) {
		r = err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(&host),
			    "cannot move '%s' into CNI_NETNS '%s' as '%s'", tmp, env->netns,
			    env->ifname);
		goto undo_link;
	}
	moved = true;
	r = iflink_find(&pod, env->ifname, &link);
	if (r < 0) {
		r = err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(&pod),
			    "'%s' vanished from the pod right after the move", env->ifname);
		goto undo_link;
	}

	/* 3. announce address moves, then bring the link up */
	r = cmd_fault("sysctl");
	if (r < 0)
		(void) err_set(err, r, RDMANET_ERR_ADDR, NULL, "cannot set sysctls on '%s'", env->ifname);
	else
		r = set_sysctls(nsfd, env->ifname, err);
	if (r < 0)
		goto undo_link;
	r = cmd_fault("up");
	if (r >= 0)
		r = iflink_set_up(&pod, link.ifindex);
	if (r < 0) {
		r = err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(&pod), "cannot bring '%s' up",
			    env->ifname);
		goto undo_link;
	}

	/* 4. addresses from the IPAM plugin */
	if (cfg->has_ipam) {
		ipam_ran = true;
		r = cmd_fault("ipam");
		if (r < 0)
			(void) err_set(err, r, RDMANET_ERR_IPAM, NULL, "IPAM plugin '%s' failed", cfg->ipam_type);
		else
			r = ipam_exec_add(cfg, env, &ipam, err);
		if (r < 0)
			goto undo_ipam;
		r = apply_ipam(&pod, link.ifindex, &ipam, err);
		if (r < 0)
			goto undo_ipam;
		announce(nsfd, &link, &ipam);
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
	log_info("attached '%s' (%s) in '%s' with %u address(es)", env->ifname, res->ifaces[0].mac,
		 env->netns, res->n_ips);
	return 0;

undo_ipam:
	if (ipam_ran) {
		struct cni_err ignored = { 0 };
		char *out = NULL;

		if (ipam_exec(cfg, env, CNI_CMD_DEL, &out, &ignored) < 0)
			log_warn("rollback: IPAM DEL failed: %s, ignoring", ignored.msg);
		free(out);
	}
undo_link:
	undo_link(&host, &pod, tmp, env->ifname, moved);
undo_none:
	return r;
}
