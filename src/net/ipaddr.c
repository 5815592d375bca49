/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipaddr.c - RTM_NEWADDR/RTM_NEWROUTE and their CHECK counterparts. Sysctls are in
 * ipaddr_sysctl.c, gratuitous ARP in ipaddr_garp.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/clock.h"
#include "rdmanet/ipaddr.h"

DEFINE_CLEANUP(struct nl_msg *, nlmsg_free)

size_t ipaddr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

bool ipaddr_default_in(const struct cni_result *res, int family, unsigned table)
{
	for (unsigned i = 0; i < res->n_routes; i++) {
		const struct cni_route *rt = &res->routes[i];

		if (rt->family == family && !rt->dst_len &&
		    (rt->table < 0 || (unsigned) rt->table == (table ? table : RT_TABLE_MAIN)))
			return true;
	}
	return false;
}

void ipaddr_gateways(const struct cni_result *res, int iface, const unsigned char **gw4,
		     const unsigned char **gw6)
{
	*gw4 = *gw6 = NULL;
	for (unsigned i = 0; i < res->n_ips; i++) {
		const struct cni_ip *ip = &res->ips[i];

		if (!ip->has_gw || (iface >= 0 && ip->iface >= 0 && ip->iface != iface))
			continue;
		if (ip->family == AF_INET && !*gw4)
			*gw4 = ip->gw;
		if (ip->family == AF_INET6 && !*gw6)
			*gw6 = ip->gw;
	}
}

int ipaddr_add(struct netlink *nl, int ifindex, const struct cni_ip *ip)
{
	struct ifaddrmsg ifa = {
		.ifa_family = (unsigned char) ip->family,
		.ifa_prefixlen = (unsigned char) ip->prefixlen,
		.ifa_scope = RT_SCOPE_UNIVERSE,
		.ifa_index = (unsigned) ifindex,
	};
	_cleanup_(nlmsg_freep) struct nl_msg *msg =
		nlmsg_alloc_simple(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);

	if (!msg || nlmsg_append(msg, &ifa, sizeof(ifa), NLMSG_ALIGNTO) < 0)
		return -ENOMEM;
	if (nla_put(msg, IFA_LOCAL, (int) ipaddr_len(ip->family), ip->addr) < 0 ||
	    nla_put(msg, IFA_ADDRESS, (int) ipaddr_len(ip->family), ip->addr) < 0)
		return -EMSGSIZE;
	if (ip->family == AF_INET && ip->prefixlen < 31) {
		uint32_t a, mask = ip->prefixlen ? htonl(~0u << (32 - ip->prefixlen)) : 0;
		memcpy(&a, ip->addr, 4);
		a |= ~mask;
		if (nla_put(msg, IFA_BROADCAST, 4, &a) < 0)
			return -EMSGSIZE;
	}
	return netlink_talk(nl, msg, NULL, NULL);
}

static const unsigned char *route_gw(const struct cni_route *rt, const unsigned char *gw4,
				     const unsigned char *gw6)
{
	if (rt->has_gw)
		return rt->gw;
	return rt->family == AF_INET ? gw4 : gw6;
}

int ipaddr_route_add(struct netlink *nl, int ifindex, const struct cni_route *rt,
		     const unsigned char *gw4, const unsigned char *gw6)
{
	const unsigned char *gw = route_gw(rt, gw4, gw6);
	struct rtmsg rtm = {
		.rtm_family = (unsigned char) rt->family,
		.rtm_dst_len = (unsigned char) rt->dst_len,
		.rtm_table = RT_TABLE_MAIN,
		.rtm_protocol = RTPROT_BOOT,
		.rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK,
		.rtm_type = RTN_UNICAST,
	};
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	struct nlattr *mx;

	if (rt->scope >= 0)
		rtm.rtm_scope = (unsigned char) rt->scope;
	if (rt->table >= 0)
		rtm.rtm_table = rt->table < 256 ? (unsigned char) rt->table : RT_TABLE_UNSPEC;
	msg = nlmsg_alloc_simple(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	if (!msg || nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0)
		return -ENOMEM;
	if (rt->dst_len && nla_put(msg, RTA_DST, (int) ipaddr_len(rt->family), rt->dst) < 0)
		return -EMSGSIZE;
	if (gw && nla_put(msg, RTA_GATEWAY, (int) ipaddr_len(rt->family), gw) < 0)
		return -EMSGSIZE;
	if (nla_put_u32(msg, RTA_OIF, (uint32_t) ifindex) < 0)
		return -EMSGSIZE;
	if (rt->priority >= 0 && nla_put_u32(msg, RTA_PRIORITY, (uint32_t) rt->priority) < 0)
		return -EMSGSIZE;
	if (rt->table >= 256 && nla_put_u32(msg, RTA_TABLE, (uint32_t) rt->table) < 0)
		return -EMSGSIZE;
	if (rt->mtu > 0 || rt->advmss > 0) {
		if (!(mx = nla_nest_start(msg, RTA_METRICS)))
			return -EMSGSIZE;
		if (rt->mtu > 0 && nla_put_u32(msg, RTAX_MTU, (uint32_t) rt->mtu) < 0)
			return -EMSGSIZE;
		if (rt->advmss > 0 && nla_put_u32(msg, RTAX_ADVMSS, (uint32_t) rt->advmss) < 0)
			return -EMSGSIZE;
		(void) nla_nest_end(msg, mx);
	}
	return netlink_talk(nl, msg, NULL, NULL);
}

struct addr_match {
	int ifindex;
	const struct cni_ip *ip;
	bool found;
	unsigned flags;
};

static int on_addr(struct nlmsghdr *h, void *arg)
{
	struct addr_match *m = arg;
	struct nlattr *tb[IFA_MAX + 1];
	struct ifaddrmsg *ifa;
	struct nlattr *a;

	if (h->nlmsg_type != RTM_NEWADDR || nlmsg_parse(h, sizeof(*ifa), tb, IFA_MAX, NULL) < 0)
		return 0;
	ifa = nlmsg_data(h);
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if ((int) ifa->ifa_index == m->ifindex && ifa->ifa_family == m->ip->family &&
	    ifa->ifa_prefixlen == m->ip->prefixlen && a &&
	    nla_len(a) == (int) ipaddr_len(m->ip->family) &&
	    !memcmp(nla_data(a), m->ip->addr, ipaddr_len(m->ip->family))) {
		m->found = true;
		/* IFA_FLAGS (u32) supersedes the u8 ifa_flags when present */
		m->flags = tb[IFA_FLAGS] && nla_len(tb[IFA_FLAGS]) >= 4 ?
				   nla_get_u32(tb[IFA_FLAGS]) :
				   ifa->ifa_flags;
	}
	return 0;
}

static int addr_dump(struct netlink *nl, struct addr_match *m)
{
	struct ifaddrmsg ifa = { .ifa_family = (unsigned char) m->ip->family };
	_cleanup_(nlmsg_freep) struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETADDR, NLM_F_DUMP);

	if (!msg || nlmsg_append(msg, &ifa, sizeof(ifa), NLMSG_ALIGNTO) < 0)
		return -ENOMEM;
	return netlink_talk(nl, msg, on_addr, m);
}

int ipaddr_flags(struct netlink *nl, int ifindex, const struct cni_ip *ip, unsigned *flags)
{
	struct addr_match m;
	int r, tries = 0;

	/*
	 * A dump the kernel marks interrupted (addresses changed meanwhile: DAD finishing on this
	 * very address does) is incomplete: dump again.
	 */
	do {
		m = (struct addr_match){ ifindex, ip, false, 0 };
		r = addr_dump(nl, &m);
	} while (r == -EINTR && ++tries < 5);
	if (r >= 0 && flags)
		*flags = m.flags;
	return r < 0 ? r : m.found;
}

int ipaddr_has(struct netlink *nl, int ifindex, const struct cni_ip *ip)
{
	return ipaddr_flags(nl, ifindex, ip, NULL);
}

int ipaddr_wait_dad(struct netlink *nl, int ifindex, const struct cni_result *res, int iface,
		    unsigned timeout_ms, int *which)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	long long deadline = clock_now_ms() + timeout_ms;

	*which = -1;
	for (;;) {
		bool tentative = false;

		for (unsigned i = 0; i < res->n_ips; i++) {
			const struct cni_ip *ip = &res->ips[i];
			unsigned flags;
			int r;

			if (ip->family != AF_INET6 ||
			    (iface >= 0 && ip->iface >= 0 && ip->iface != iface))
				continue;
			r = ipaddr_flags(nl, ifindex, ip, &flags);
			if (r < 0)
				return r;
			if (!r) {
				*which = (int) i;
				return -ENOENT;
			}
			if (flags & IFA_F_DADFAILED) {
				*which = (int) i;
				return -EADDRINUSE;
			}
			if (flags & IFA_F_TENTATIVE) {
				*which = (int) i;
				tentative = true;
			}
		}
		if (!tentative) {
			*which = -1;
			return 0;
		}
		if (clock_now_ms() >= deadline)
			return -ETIMEDOUT;
		(void) nanosleep(&tick, NULL);
	}
}

int ipaddr_route_connected(struct netlink *nl, int ifindex, const struct cni_ip *ip, unsigned table)
{
	struct rtmsg rtm = {
		.rtm_family = (unsigned char) ip->family,
		.rtm_dst_len = (unsigned char) ip->prefixlen,
		.rtm_table = RT_TABLE_UNSPEC,
		.rtm_protocol = RTPROT_BOOT,
		.rtm_scope = RT_SCOPE_LINK,
		.rtm_type = RTN_UNICAST,
	};
	_cleanup_(nlmsg_freep) struct nl_msg *msg =
		nlmsg_alloc_simple(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	unsigned char dst[16];

	ipaddr_prefix(ip->family, ip->addr, ip->prefixlen, dst);
	if (!msg || nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0)
		return -ENOMEM;
	/* IPv6 takes no tentative address as preferred source; its source selection needs none */
	if ((ip->prefixlen && nla_put(msg, RTA_DST, (int) ipaddr_len(ip->family), dst) < 0) ||
	    (ip->family == AF_INET && nla_put(msg, RTA_PREFSRC, 4, ip->addr) < 0) ||
	    nla_put_u32(msg, RTA_OIF, (uint32_t) ifindex) < 0 ||
	    nla_put_u32(msg, RTA_TABLE, table) < 0)
		return -EMSGSIZE;
	return netlink_talk(nl, msg, NULL, NULL);
}

/* 'unreachable default' at the bottom of a table: what no other route matches goes nowhere */
static struct nl_msg *unreachable_msg(int type, int flags, int family, unsigned table)
{
	struct rtmsg rtm = {
		.rtm_family = (unsigned char) family,
		.rtm_table = RT_TABLE_UNSPEC,
		.rtm_protocol = RTPROT_BOOT,
		.rtm_scope = RT_SCOPE_UNIVERSE,
		.rtm_type = RTN_UNREACHABLE,
	};
	struct nl_msg *msg = nlmsg_alloc_simple(type, flags);

	if (!msg)
		return NULL;
	if (nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(msg, RTA_TABLE, table) < 0 ||
	    nla_put_u32(msg, RTA_PRIORITY, IPADDR_UNREACHABLE_METRIC) < 0) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int ipaddr_route_unreachable(struct netlink *nl, int family, unsigned table)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg =
		unreachable_msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, family, table);

	if (!msg)
		return -ENOMEM;
	return netlink_talk(nl, msg, NULL, NULL);
}

int ipaddr_route_unreachable_delete(struct netlink *nl, int family, unsigned table)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = unreachable_msg(RTM_DELROUTE, 0, family, table);
	int r;

	if (!msg)
		return -ENOMEM;
	r = netlink_talk(nl, msg, NULL, NULL);
	return r == -ESRCH ? -ENOENT : r;
}

struct unreachable_match {
	unsigned table;
	bool found;
};

static int on_unreachable(struct nlmsghdr *h, void *arg)
{
	struct unreachable_match *m = arg;
	struct nlattr *tb[RTA_MAX + 1];
	struct rtmsg *rtm;
	uint32_t table;

	if (h->nlmsg_type != RTM_NEWROUTE || nlmsg_parse(h, sizeof(*rtm), tb, RTA_MAX, NULL) < 0)
		return 0;
	rtm = nlmsg_data(h);
	table = tb[RTA_TABLE] && nla_len(tb[RTA_TABLE]) >= 4 ? nla_get_u32(tb[RTA_TABLE]) :
							       rtm->rtm_table;
	if (table == m->table && rtm->rtm_type == RTN_UNREACHABLE && !rtm->rtm_dst_len)
		m->found = true;
	return 0;
}

int ipaddr_route_unreachable_has(struct netlink *nl, int family, unsigned table)
{
	struct rtmsg rtm = { .rtm_family = (unsigned char) family };
	_cleanup_(nlmsg_freep) struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_DUMP);
	struct unreachable_match m = { table, false };
	int r;

	if (!msg || nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0)
		return -ENOMEM;
	r = netlink_talk(nl, msg, on_unreachable, &m);
	return r < 0 ? r : m.found;
}

void ipaddr_prefix(int family, const unsigned char *addr, unsigned prefixlen, unsigned char out[16])
{
	size_t n = ipaddr_len(family);

	memset(out, 0, 16);
	for (size_t i = 0; i < n; i++) {
		unsigned bits = prefixlen > 8 * i ? prefixlen - 8 * (unsigned) i : 0;

		out[i] = addr[i] & (unsigned char) (bits >= 8 ? 0xff : (0xff00 >> bits) & 0xff);
	}
}

struct route_match {
	int ifindex;
	const struct cni_route *rt;
	const unsigned char *gw;
	bool found;
	uint32_t other; /* another table holding the route, 0 when none */
};

static int on_route(struct nlmsghdr *h, void *arg)
{
	struct route_match *m = arg;
	struct nlattr *tb[RTA_MAX + 1];
	size_t n = ipaddr_len(m->rt->family);
	struct rtmsg *rtm;
	uint32_t table;

	if (h->nlmsg_type != RTM_NEWROUTE || nlmsg_parse(h, sizeof(*rtm), tb, RTA_MAX, NULL) < 0)
		return 0;
	rtm = nlmsg_data(h);
	table = tb[RTA_TABLE] && nla_len(tb[RTA_TABLE]) >= 4 ? nla_get_u32(tb[RTA_TABLE]) :
							       rtm->rtm_table;
	if (rtm->rtm_family != m->rt->family || rtm->rtm_dst_len != m->rt->dst_len)
		return 0;
	if (!tb[RTA_OIF] || (int) nla_get_u32(tb[RTA_OIF]) != m->ifindex)
		return 0;
	if (m->rt->dst_len && (!tb[RTA_DST] || nla_len(tb[RTA_DST]) != (int) n ||
			       memcmp(nla_data(tb[RTA_DST]), m->rt->dst, n)))
		return 0;
	if (m->gw && (!tb[RTA_GATEWAY] || nla_len(tb[RTA_GATEWAY]) != (int) n ||
		      memcmp(nla_data(tb[RTA_GATEWAY]), m->gw, n)))
		return 0;
	if (table == (m->rt->table >= 0 ? (uint32_t) m->rt->table : RT_TABLE_MAIN))
		m->found = true;
	else if (!m->other && table != RT_TABLE_LOCAL)
		m->other = table;
	return 0;
}

int ipaddr_route_has(struct netlink *nl, int ifindex, const struct cni_route *rt,
		     const unsigned char *gw4, const unsigned char *gw6, unsigned *other)
{
	struct rtmsg rtm = { .rtm_family = (unsigned char) rt->family };
	_cleanup_(nlmsg_freep) struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_DUMP);
	struct route_match m = { ifindex, rt, route_gw(rt, gw4, gw6), false, 0 };
	int r;

	if (other)
		*other = 0;
	if (!msg || nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0)
		return -ENOMEM;
	/* a dump without a table filter walks every table */
	r = netlink_talk(nl, msg, on_route, &m);
	if (r >= 0 && other)
		*other = m.other;
	return r < 0 ? r : m.found;
}
