/* SPDX-License-Identifier: Apache-2.0 */
/* ipaddr_garp.h - gratuitous ARP announcements inside the pod netns. */
#pragma once
#include <stddef.h>

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
