/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_check.c - CHECK: the pod's interface still matches prevResult; then IPAM CHECK. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/cmd.h"
#include "rdmanet/iflink.h"
#include "rdmanet/ipaddr.h"
#include "rdmanet/ipam_exec.h"
#include "rdmanet/log.h"

static int find_iface(const struct cni_result *prev, const struct cni_env *env)
{
	for (unsigned i = 0; i < prev->n_ifaces; i++)
		if (!strcmp(prev->ifaces[i].name, env->ifname) &&
		    (!prev->ifaces[i].sandbox || !strcmp(prev->ifaces[i].sandbox, env->netns)))
			return (int) i;
	return -ENOENT;
}

static int check_link(const struct cni_env *env, const struct config *cfg,
		      const struct iflink_info *link, const struct cni_iface *want,
		      struct cni_err *err)
{
	char alias[IFLINK_ALIAS_MAX], mac[64];

	if (strcmp(link->kind, "macvlan"))
		return err_set(err, -EINVAL, RDMANET_ERR_CHECK, NULL,
			       "'%s' in the pod is a '%s' link, not the macvlan rdmanet created",
			       env->ifname, link->kind[0] ? link->kind : "physical");
	if (iflink_alias(env->containerid, env->ifname, alias) < 0 || strcmp(alias, link->alias))
		return err_set(err, -EINVAL, RDMANET_ERR_CHECK, NULL,
			       "'%s' in the pod was not created by rdmanet for container '%.64s' (alias '%s')",
			       env->ifname, env->containerid, link->alias);
	iflink_format_hwaddr(link->addr, link->addr_len, mac, sizeof(mac));
	if (want->mac[0] && strcasecmp(want->mac, mac))
		return err_set(err, -EINVAL, RDMANET_ERR_CHECK, NULL,
			       "'%s' has MAC %s, prevResult says %s", env->ifname, mac, want->mac);
	if (!(link->flags & IFF_UP))
		return err_set(err, -EINVAL, RDMANET_ERR_CHECK, NULL, "'%s' is down", env->ifname);
	if (cfg->link == LINK_MACVLAN || cfg->link == LINK_AUTO) {
		if (link->macvlan_mode != cfg->macvlan_mode)
			return err_set(err, -EINVAL, RDMANET_ERR_CHECK, NULL,
				       "'%s' is in macvlan mode '%s', the config says '%s'", env->ifname,
				       config_macvlan_mode_name(link->macvlan_mode),
				       config_macvlan_mode_name(cfg->macvlan_mode));
	}
	return 0;
}

static int check_addrs(struct netlink *pod, const struct cni_env *env, int ifindex, int idx,
		       const struct cni_result *prev, struct cni_err *err)
{
	const unsigned char *gw4, *gw6;
	char buf[INET6_ADDRSTRLEN];
	int r;

	for (unsigned i = 0; i < prev->n_ips; i++) {
		const struct cni_ip *ip = &prev->ips[i];

		if (ip->iface >= 0 && ip->iface != idx)
			continue;
		r = ipaddr_has(pod, ifindex, ip);
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_CHECK, netlink_errmsg(pod),
				       "cannot list the addresses of '%s'", env->ifname);
		if (!r)
			return err_set(err, 0, RDMANET_ERR_CHECK, NULL,
				       "address %s/%u from prevResult is missing on '%s'",
				       inet_ntop(ip->family, ip->addr, buf, sizeof(buf)) ? buf : "?",
				       ip->prefixlen, env->ifname);
	}
	ipaddr_gateways(prev, idx, &gw4, &gw6);
	for (unsigned i = 0; i < prev->n_routes; i++) {
		const struct cni_route *rt = &prev->routes[i];

		r = ipaddr_route_has(pod, ifindex, rt, gw4, gw6);
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_CHECK, netlink_errmsg(pod),
				       "cannot list the routes of the pod");
		if (!r)
			return err_set(err, 0, RDMANET_ERR_CHECK, NULL,
				       "route to %s/%u from prevResult is missing on '%s'",
				       inet_ntop(rt->family, rt->dst, buf, sizeof(buf)) ? buf : "?",
				       rt->dst_len, env->ifname);
	}
	return 0;
}

int cmd_check(const struct cni_env *env, const struct config *cfg, struct cni_err *err)
{
	_cleanup_(netlink_close) struct netlink host = { 0 }, pod = { 0 };
	_cleanup_(cni_result_free) struct cni_result prev = { 0 };
	_cleanup_close_ int nsfd = -1;
	struct iflink_info link, master;
	int r, idx;

	r = cni_result_parse(cfg->prev_result, "prevResult", CNI_ERR_INVALID_CONFIG, &prev, err);
	if (r < 0)
		return r;
	idx = find_iface(&prev, env);
	if (idx < 0)
		return err_set(err, 0, RDMANET_ERR_CHECK, NULL,
			       "prevResult lists no interface '%s' in sandbox '%s'", env->ifname,
			       env->netns);

	r = netlink_open(&host);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_INTERNAL, NULL, "cannot open a netlink socket");
	r = iflink_find(&host, cfg->master, &master);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_MASTER, netlink_errmsg(&host),
			       "master '%s' not found in the host network namespace", cfg->master);

	nsfd = cmd_open_netns(env, err);
	if (nsfd < 0)
		return nsfd;
	r = cmd_netlink_in(nsfd, &pod, err);
	if (r < 0)
		return r;
	r = iflink_find(&pod, env->ifname, &link);
	if (r == -ENOENT)
		return err_set(err, 0, RDMANET_ERR_CHECK, NULL,
			       "interface '%s' is missing from CNI_NETNS '%s'", env->ifname, env->netns);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_CHECK, netlink_errmsg(&pod),
			       "cannot look up '%s' in the pod", env->ifname);
	r = check_link(env, cfg, &link, &prev.ifaces[idx], err);
	if (r >= 0)
		r = check_addrs(&pod, env, link.ifindex, idx, &prev, err);
	if (r < 0)
		return r;

	if (cfg->has_ipam) {
		_cleanup_free_ char *out = NULL;

		r = ipam_exec(cfg, env, CNI_CMD_CHECK, &out, err);
		if (r < 0)
			return r;
	}
	return 0;
}
