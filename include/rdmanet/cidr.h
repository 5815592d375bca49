/* SPDX-License-Identifier: Apache-2.0 */
/* cidr.h - the one parser of address and "address/prefix" text, IPv4 and IPv6 (pure code). */
#pragma once
#include <stddef.h>

/*
 * A plain address, "10.1.2.3" or "fd00::1": its family (AF_INET or AF_INET6, from the text) and
 * bytes (addr zeroed first; an IPv4 address fills bytes 0-3). -EINVAL when it is none.
 */
int cidr_addr_parse(const char *s, int *family, unsigned char addr[16]);

/*
 * "10.1.2.3/24", "fd00::1/64": the address as written (host bits kept: the caller decides), its
 * family (AF_INET or AF_INET6, from the text) and prefix length (decimal, no sign, no leading
 * zeros, at most 32 or 128). addr is zeroed first; an IPv4 address fills bytes 0-3. -EINVAL,
 * and why (may be NULL) says what is wrong.
 */
int cidr_parse(const char *s, int *family, unsigned char addr[16], unsigned *prefixlen, char *why,
	       size_t whylen);
