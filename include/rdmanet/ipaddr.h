/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipaddr.h - addresses and routes inside the pod netns (sysctls: ipaddr_sysctl.h, gratuitous
 * ARP: ipaddr_garp.h).
 */
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
/* The length of an address of family: 4 for AF_INET, else 16. */
size_t ipaddr_len(int family);
/*
 * Whether res's routes put a default route of family into table: a default route naming that
 * table, or naming none (it goes to the attachment's table, or to main when table is 0).
 */
bool ipaddr_default_in(const struct cni_result *res, int family, unsigned table);
int ipaddr_add(struct netlink *nl, int ifindex, const struct cni_ip *ip);
/* gw4/gw6: the IPAM's gateways, used for routes that name none (NULL: none). */
int ipaddr_route_add(struct netlink *nl, int ifindex, const struct cni_route *rt,
		     const unsigned char *gw4, const unsigned char *gw6);
/* 1 when present on ifindex, 0 when not, -errno on failure. */
int ipaddr_has(struct netlink *nl, int ifindex, const struct cni_ip *ip);
/* ipaddr_has, and the address's IFA_F_* flags in *flags (may be NULL) when present. */
int ipaddr_flags(struct netlink *nl, int ifindex, const struct cni_ip *ip, unsigned *flags);
/*
 * Waits until no IPv6 address of res (those of interface iface, or all with -1) on ifindex is
 * tentative: 0 once DAD finished for all; -EADDRINUSE when DAD failed for one (a duplicate on the
 * network), -ENOENT when one is missing, -ETIMEDOUT after timeout_ms; *which is then its index
 * in res->ips. Reads a monotonic clock.
 */
int ipaddr_wait_dad(struct netlink *nl, int ifindex, const struct cni_result *res, int iface,
		    unsigned timeout_ms, int *which);
/* The connected route of ip (its prefix, scope link; IPv4: preferred source ip) in table. */
int ipaddr_route_connected(struct netlink *nl, int ifindex, const struct cni_ip *ip,
			   unsigned table);
/*
 * 'unreachable default' in table at metric IPADDR_UNREACHABLE_METRIC: a rail's table without a
 * default route ends there, so traffic from the rail's address never falls through to the main
 * table and out of another interface. It is not tied to the interface: DEL deletes it.
 */
#define IPADDR_UNREACHABLE_METRIC                                      \
	4278198272u /* iproute2's highest "metric" example, 0xff000000 \
		     */
int ipaddr_route_unreachable(struct netlink *nl, int family, unsigned table);
/* -ENOENT when absent. */
int ipaddr_route_unreachable_delete(struct netlink *nl, int family, unsigned table);
/* 1 when table holds an 'unreachable default' of family, 0 when not. */
int ipaddr_route_unreachable_has(struct netlink *nl, int family, unsigned table);
/* addr with the bits past prefixlen cleared, in out (4 or 16 bytes used). */
void ipaddr_prefix(int family, const unsigned char *addr, unsigned prefixlen,
		   unsigned char out[16]);
/*
 * 1 when rt is on ifindex in its own table (rt->table, else main), 0 when not; then *other (when
 * given) names another table that holds it, 0 when none (a chained plugin such as sbr moves
 * routes into a table of its own).
 */
int ipaddr_route_has(struct netlink *nl, int ifindex, const struct cni_route *rt,
		     const unsigned char *gw4, const unsigned char *gw6, unsigned *other);
