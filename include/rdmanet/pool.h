/* SPDX-License-Identifier: Apache-2.0 */
/* pool.h - IP range arithmetic for IPv4 and IPv6, whereabouts-compatible naming (pure code). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#define POOL_EXCLUDE_MAX 64
#define POOL_NAME_MAX    254 /* a Kubernetes object name (DNS subdomain) and its NUL */

/* Offsets are counted from the network address of the range's CIDR, as whereabouts does. */
typedef unsigned __int128 pool_off_t;

struct pool_cidr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned prefixlen;
};

struct pool_range {
	struct pool_cidr net;   /* the range's CIDR, host bits cleared */
	pool_off_t first, last; /* usable offsets, inclusive */
	struct pool_cidr exclude[POOL_EXCLUDE_MAX];
	unsigned n_exclude;
	bool has_gw;
	unsigned char gw[16]; /* never handed out */
};

/* "10.56.0.0/16", "fd00::/64"; host bits must be zero unless allow_host_bits. -EINVAL */
int pool_cidr_parse(const char *s, bool allow_host_bits, struct pool_cidr *c);

/*
 * Builds a range from a CIDR and optional range_start/range_end (NULL: the whole CIDR minus the
 * network address and, for IPv4 below /31, the broadcast address; /31, /32, /127 and /128 keep
 * every address). why (may be NULL) receives a message naming what is wrong.
 */
int pool_range_init(struct pool_range *r, const char *cidr, const char *range_start,
		    const char *range_end, char *why, size_t whylen);
/* Adds an exclusion; it must be of the range's family and overlap the CIDR. */
int pool_range_exclude(struct pool_range *r, const char *cidr, char *why, size_t whylen);
/* Sets the gateway, which must lie inside the CIDR. */
int pool_range_gateway(struct pool_range *r, const char *ip, char *why, size_t whylen);

/* Offset of addr in r's CIDR; -ERANGE when outside it or of the other family. */
int pool_offset(const struct pool_range *r, const unsigned char addr[16], pool_off_t *off);
void pool_addr_at(const struct pool_range *r, pool_off_t off, unsigned char out[16]);
/* in [first, last], not excluded, not the gateway */
bool pool_usable(const struct pool_range *r, pool_off_t off);
/* Number of offsets in [first, last] (excluded ones included). */
pool_off_t pool_span(const struct pool_range *r);

/*
 * First usable offset, scanning cyclically from hint, for which taken() is false: -ENOSPC when
 * none is. taken may be NULL.
 */
int pool_pick(const struct pool_range *r, pool_off_t hint, bool (*taken)(void *ctx, pool_off_t off),
	      void *ctx, pool_off_t *out);

/* Decimal text of an offset (the IPPool allocation key) and back; -EINVAL on bad text. */
int pool_off_format(pool_off_t off, char *buf, size_t len);
int pool_off_parse(const char *s, pool_off_t *off);

/* IPPool name: the CIDR with ':' and '/' as '-', prefixed "<network_name>-" when set. */
int pool_name(const struct pool_range *r, const char *network_name, char *out, size_t len);
/* OverlappingRangeIPReservation name: the IP with ':' as '-', same prefix, a trailing '-' + "0". */
int pool_reservation_name(int family, const unsigned char addr[16], const char *network_name,
			  char *out, size_t len);
