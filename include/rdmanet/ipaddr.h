/* SPDX-License-Identifier: Apache-2.0 */
/* ipaddr.h - addresses, routes, sysctls and announcements inside the pod netns. */
#pragma once
#include <stdbool.h>

#include "rdmanet/cni.h"
#include "rdmanet/netlink.h"

/*
 * Gateways for routes that name none: the first of each family among res's ips (those of
 * interface iface, or all with -1), as the reference plugins do. NULL when there is none.
 */
void ipaddr_gateways(const struct cni_result *res, int iface, const unsigned char **gw4,
		     const unsigned char **gw6);
int ipaddr_add(struct netlink *nl, int ifindex, const struct cni_ip *ip);
/* gw4/gw6: the IPAM's gateways, used for routes that name none (NULL: none). */
int ipaddr_route_add(struct netlink *nl, int ifindex, const struct cni_route *rt,
		     const unsigned char *gw4, const unsigned char *gw6);
/* 1 when present on ifindex, 0 when not, -errno on failure. */
int ipaddr_has(struct netlink *nl, int ifindex, const struct cni_ip *ip);
/*
 * 1 when rt is on ifindex in its own table (rt->table, else main), 0 when not; then *other (when
 * given) names another table that holds it, 0 when none (a chained plugin such as sbr moves
 * routes into a table of its own).
 */
int ipaddr_route_has(struct netlink *nl, int ifindex, const struct cni_route *rt,
		     const unsigned char *gw4, const unsigned char *gw6, unsigned *other);
/* 1 when a policy rule sends traffic from src (family's address) to table, 0 when none. */
int ipaddr_rule_to_table(struct netlink *nl, int family, const unsigned char *src, unsigned table);
/*
 * Writes /proc/sys/net/<ipv4|ipv6>/conf/<ifname>/<key>; must run inside the target netns.
 * -ENOENT when the tree is absent (IPv6 disabled).
 */
int ipaddr_sysctl_set(const char *family, const char *ifname, const char *key, const char *value);
/*
 * Gratuitous ARP (RFC 5227 announcement) from addr on ifindex to the link's broadcast address;
 * must run inside the netns. hwtype ARPHRD_ETHER (6-byte addresses) or ARPHRD_INFINIBAND
 * (IPoIB: 20-byte addresses and broadcast).
 */
int ipaddr_garp(int ifindex, unsigned short hwtype, const unsigned char *hw, unsigned hwlen,
		const unsigned char *bcast, unsigned blen, const unsigned char addr[4]);
/* The ARP payload ipaddr_garp sends; returns its length. */
int ipaddr_garp_packet(unsigned short hwtype, const unsigned char *hw, unsigned hwlen,
		       const unsigned char addr[4], unsigned char *out, size_t outlen);
