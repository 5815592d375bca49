/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pool.c - IP range arithmetic for IPv4 and IPv6, whereabouts-compatible naming (pure code).
 *
 * An address is handled as an unsigned 128-bit integer (IPv4 in the low 32 bits; in the
 * 16-byte arrays of the API an IPv4 address fills bytes 0-3 and the rest is zero). Offsets
 * count from the network address of the range's CIDR, as whereabouts' IPPool keys do.
 *
 * Choices worth knowing:
 * - The range's CIDR may have host bits set ("10.56.0.5/16" means 10.56.0.0/16), as Go's
 *   net.ParseCIDR, and so whereabouts, reads it. Exclusions likewise.
 * - range_start and range_end only ever narrow the default first/last usable addresses: a
 *   range_start on the network address, or a range_end on the IPv4 broadcast address, is
 *   clamped rather than handed out.
 * - Names are built from the address text Go's net.IP.String() gives, which whereabouts uses:
 *   RFC 5952 (as inet_ntop), except that glibc writes "::0.1.0.0" for ::1:0 where Go writes
 *   "::1:0", and Go writes an IPv4-mapped IPv6 address as plain dotted IPv4.
 * - A name that would start with '-' (an IPv6 address or CIDR starting with "::" and no
 *   network name) gets a leading "0", as one ending with '-' gets a trailing "0": Kubernetes
 *   names must start and end with an alphanumeric character.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "rdmanet/cidr.h"
#include "rdmanet/err.h"
#include "rdmanet/pool.h"

#define POOL_OFF_DIGITS 39 /* 2^128 - 1 = 340282366920938463463374607431768211455 */

static unsigned fam_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

static size_t fam_bytes(int family)
{
	return family == AF_INET ? 4 : 16;
}

static pool_off_t addr_to_u128(int family, const unsigned char *a)
{
	pool_off_t v = 0;

	for (size_t i = 0; i < fam_bytes(family); i++)
		v = v << 8 | a[i];
	return v;
}

static void u128_to_addr(int family, pool_off_t v, unsigned char out[16])
{
	size_t n = fam_bytes(family);

	memset(out, 0, 16);
	for (size_t i = n; i-- > 0;) {
		out[i] = (unsigned char) (v & 0xff);
		v >>= 8;
	}
}

/* The largest host part of a CIDR of this family and prefix length: its size minus one. */
static pool_off_t host_max(int family, unsigned prefixlen)
{
	unsigned hostbits = fam_bits(family) - prefixlen;

	if (!hostbits)
		return 0;
	return ~(pool_off_t) 0 >> (128 - hostbits);
}

/* A range's CIDR or an exclusion: host bits cleared when allowed, else an error. */
static int net_parse(const char *s, bool allow_host_bits, struct pool_cidr *c, char *why,
		     size_t whylen)
{
	pool_off_t v, hmax;
	int r;

	memset(c, 0, sizeof(*c));
	r = cidr_parse(s, &c->family, c->addr, &c->prefixlen, why, whylen);
	if (r < 0)
		return r;
	v = addr_to_u128(c->family, c->addr);
	hmax = host_max(c->family, c->prefixlen);
	if (v & hmax) {
		if (!allow_host_bits) {
			err_why(why, whylen, "'%s' has host bits set", s);
			return -EINVAL;
		}
		u128_to_addr(c->family, v & ~hmax, c->addr);
	}
	return 0;
}

int pool_cidr_parse(const char *s, bool allow_host_bits, struct pool_cidr *c)
{
	return net_parse(s, allow_host_bits, c, NULL, 0);
}

static void cidr_format(const struct pool_cidr *c, char *out, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (!inet_ntop(c->family, c->addr, ip, sizeof(ip)))
		(void) snprintf(ip, sizeof(ip), "?");
	(void) snprintf(out, len, "%s/%u", ip, c->prefixlen);
}

int pool_offset(const struct pool_range *r, const unsigned char addr[16], pool_off_t *off)
{
	pool_off_t v = addr_to_u128(r->net.family, addr);
	pool_off_t n = addr_to_u128(r->net.family, r->net.addr);
	pool_off_t hmax = host_max(r->net.family, r->net.prefixlen);

	if (r->net.family != AF_INET && r->net.family != AF_INET6)
		return -ERANGE;
	if (r->net.family == AF_INET) {
		/* bytes 4-15 of an IPv4 address are zero: anything else is an IPv6 address */
		for (size_t i = 4; i < 16; i++)
			if (addr[i])
				return -ERANGE;
	}
	if ((v & ~hmax) != n)
		return -ERANGE;
	*off = v - n;
	return 0;
}

/* off is reduced modulo the size of the CIDR: the result is always inside it. */
void pool_addr_at(const struct pool_range *r, pool_off_t off, unsigned char out[16])
{
	pool_off_t n = addr_to_u128(r->net.family, r->net.addr);

	u128_to_addr(r->net.family, n | (off & host_max(r->net.family, r->net.prefixlen)), out);
}

/* An IP given as text, which must be of the range's family and inside its CIDR. */
static int range_ip(const struct pool_range *r, const char *what, const char *s,
		    unsigned char addr[16], pool_off_t *off, char *why, size_t whylen)
{
	char cidr[INET6_ADDRSTRLEN + 8];
	int family;

	cidr_format(&r->net, cidr, sizeof(cidr));
	if (cidr_addr_parse(s, &family, addr) < 0) {
		err_why(why, whylen, "%s '%s' is not an IP address", what, s);
		return -EINVAL;
	}
	if (family != r->net.family) {
		err_why(why, whylen, "%s '%s' is not an %s address like %s", what, s,
			r->net.family == AF_INET ? "IPv4" : "IPv6", cidr);
		return -EINVAL;
	}
	if (pool_offset(r, addr, off) < 0) {
		err_why(why, whylen, "%s '%s' is outside %s", what, s, cidr);
		return -EINVAL;
	}
	return 0;
}

int pool_range_init(struct pool_range *r, const char *cidr, const char *range_start,
		    const char *range_end, char *why, size_t whylen)
{
	unsigned char a[16];
	pool_off_t hmax, start = 0, end = 0;
	bool has_start = range_start && *range_start, has_end = range_end && *range_end;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = net_parse(cidr, true, &r->net, why, whylen);
	if (ret < 0)
		return ret;
	hmax = host_max(r->net.family, r->net.prefixlen);
	r->first = 0;
	r->last = hmax;
	if (r->net.family == AF_INET && r->net.prefixlen < 31) {
		r->first = 1;       /* the network address */
		r->last = hmax - 1; /* the broadcast address */
	} else if (r->net.family == AF_INET6 && r->net.prefixlen < 127) {
		r->first = 1; /* the subnet-router anycast address */
	}

	if (has_start) {
		ret = range_ip(r, "range_start", range_start, a, &start, why, whylen);
		if (ret < 0)
			goto fail;
	}
	if (has_end) {
		ret = range_ip(r, "range_end", range_end, a, &end, why, whylen);
		if (ret < 0)
			goto fail;
	}
	if (has_start && has_end && start > end) {
		err_why(why, whylen, "range_start '%s' is after range_end '%s'", range_start,
			range_end);
		ret = -EINVAL;
		goto fail;
	}
	/* narrow only: the network and broadcast addresses stay out */
	if (has_start && start > r->first)
		r->first = start;
	if (has_end && end < r->last)
		r->last = end;
	if (r->first > r->last) {
		const char *never = r->net.family == AF_INET ?
					    "the network and broadcast addresses are" :
					    "the network address is";

		if (has_start && has_end)
			err_why(why, whylen,
				"range_start '%s' to range_end '%s' holds no usable "
				"address (%s never handed out)",
				range_start, range_end, never);
		else
			err_why(why, whylen,
				"%s '%s' leaves no usable address (%s never handed out)",
				has_start ? "range_start" : "range_end",
				has_start ? range_start : range_end, never);
		ret = -EINVAL;
		goto fail;
	}
	return 0;
fail:
	memset(r, 0, sizeof(*r));
	return ret;
}

/* The offsets of exclusion x in r's CIDR, which x overlaps. */
static void excl_bounds(const struct pool_range *r, const struct pool_cidr *x, pool_off_t *lo,
			pool_off_t *hi)
{
	if (x->prefixlen <= r->net.prefixlen) {
		*lo = 0;
		*hi = host_max(r->net.family, r->net.prefixlen);
		return;
	}
	*lo = addr_to_u128(x->family, x->addr) - addr_to_u128(r->net.family, r->net.addr);
	*hi = *lo + host_max(x->family, x->prefixlen);
}

int pool_range_exclude(struct pool_range *r, const char *cidr, char *why, size_t whylen)
{
	char net[INET6_ADDRSTRLEN + 8];
	struct pool_cidr x;
	unsigned p;
	pool_off_t mask;
	int ret;

	cidr_format(&r->net, net, sizeof(net));
	ret = net_parse(cidr, true, &x, why, whylen);
	if (ret < 0)
		return ret;
	if (x.family != r->net.family) {
		err_why(why, whylen, "'%s' is not an %s CIDR like %s", cidr,
			r->net.family == AF_INET ? "IPv4" : "IPv6", net);
		return -EINVAL;
	}
	/* two CIDRs overlap when the shorter prefix of the two covers both */
	p = x.prefixlen < r->net.prefixlen ? x.prefixlen : r->net.prefixlen;
	mask = ~host_max(x.family, p);
	if ((addr_to_u128(x.family, x.addr) ^ addr_to_u128(x.family, r->net.addr)) & mask) {
		err_why(why, whylen, "'%s' does not overlap the range %s", cidr, net);
		return -EINVAL;
	}
	if (r->n_exclude >= POOL_EXCLUDE_MAX) {
		err_why(why, whylen, "'%s' is one exclusion too many (at most %d)", cidr,
			POOL_EXCLUDE_MAX);
		return -E2BIG;
	}
	r->exclude[r->n_exclude++] = x;
	return 0;
}

int pool_range_gateway(struct pool_range *r, const char *ip, char *why, size_t whylen)
{
	unsigned char a[16];
	pool_off_t off;
	int ret;

	ret = range_ip(r, "gateway", ip, a, &off, why, whylen);
	if (ret < 0)
		return ret;
	r->has_gw = true;
	memcpy(r->gw, a, sizeof(r->gw));
	return 0;
}

/*
 * Whether off is excluded or the gateway; *end then receives the last offset of the longest
 * blocked run that starts at or before off and holds it, so a scan can jump past it.
 */
static bool blocked(const struct pool_range *r, pool_off_t off, pool_off_t *end)
{
	pool_off_t lo, hi, g;
	bool hit = false;

	for (unsigned i = 0; i < r->n_exclude && i < POOL_EXCLUDE_MAX; i++) {
		excl_bounds(r, &r->exclude[i], &lo, &hi);
		if (off >= lo && off <= hi && (!hit || hi > *end)) {
			*end = hi;
			hit = true;
		}
	}
	if (r->has_gw && pool_offset(r, r->gw, &g) >= 0 && g == off && !hit) {
		*end = off;
		hit = true;
	}
	return hit;
}

bool pool_usable(const struct pool_range *r, pool_off_t off)
{
	pool_off_t end;

	return off >= r->first && off <= r->last && !blocked(r, off, &end);
}

pool_off_t pool_span(const struct pool_range *r)
{
	if (r->first > r->last)
		return 0;
	/* never 2^128: first >= 1 whenever last == 2^128 - 1 */
	return r->last - r->first + 1;
}

/* First usable offset in [lo, hi] that taken() does not claim, jumping over exclusions. */
static int scan(const struct pool_range *r, pool_off_t lo, pool_off_t hi,
		bool (*taken)(void *ctx, pool_off_t off), void *ctx, pool_off_t *out)
{
	pool_off_t p = lo, end;

	for (;;) {
		/* each jump passes the end of one more exclusion: at most n_exclude + 1 rounds */
		while (blocked(r, p, &end)) {
			if (end >= hi)
				return -ENOSPC;
			p = end + 1;
		}
		if (!taken || !taken(ctx, p)) {
			*out = p;
			return 0;
		}
		if (p >= hi)
			return -ENOSPC;
		p++;
	}
}

int pool_pick(const struct pool_range *r, pool_off_t hint, bool (*taken)(void *ctx, pool_off_t off),
	      void *ctx, pool_off_t *out)
{
	int ret;

	if (r->first > r->last)
		return -ENOSPC;
	if (hint < r->first)
		hint = r->first;
	if (hint > r->last)
		hint = r->last;
	ret = scan(r, hint, r->last, taken, ctx, out);
	if (ret == -ENOSPC && hint > r->first)
		ret = scan(r, r->first, hint - 1, taken, ctx, out);
	return ret;
}

int pool_off_format(pool_off_t off, char *buf, size_t len)
{
	char tmp[POOL_OFF_DIGITS + 1];
	size_t n = 0;

	do {
		tmp[n++] = (char) ('0' + (unsigned) (off % 10));
		off /= 10;
	} while (off);
	if (!buf || len < n + 1)
		return -ENOBUFS;
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return 0;
}

int pool_off_parse(const char *s, pool_off_t *off)
{
	const pool_off_t max = ~(pool_off_t) 0;
	pool_off_t v = 0;
	size_t n;

	if (!s)
		return -EINVAL;
	n = strlen(s);
	/* digits only: no sign, no spaces, no leading zeros but "0" itself */
	if (n == 0 || n > POOL_OFF_DIGITS || (s[0] == '0' && n > 1) || strspn(s, "0123456789") != n)
		return -EINVAL;
	for (; *s; s++) {
		unsigned d = (unsigned) (*s - '0');

		if (v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*off = v;
	return 0;
}

/*
 * An address as Go's net.IP.String() writes it: lower-case RFC 5952 hex, the first longest run
 * of two or more zero groups as "::", and IPv4-mapped addresses as dotted IPv4. Unlike glibc's
 * inet_ntop, never "::a.b.c.d" for other addresses whose first 96 bits are zero.
 */
static int ip_text(int family, const unsigned char *a, char *out, size_t len)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	int best = -1, best_len = 1;
	unsigned w[8];
	size_t n = 0;

	if (family == AF_INET || (family == AF_INET6 && !memcmp(a, mapped, sizeof(mapped)))) {
		const unsigned char *v4 = family == AF_INET ? a : a + 12;

		(void) snprintf(out, len, "%u.%u.%u.%u", v4[0], v4[1], v4[2], v4[3]);
		return 0;
	}
	if (family != AF_INET6 || len < INET6_ADDRSTRLEN)
		return -EINVAL;
	for (int i = 0; i < 8; i++)
		w[i] = (unsigned) a[2 * i] << 8 | a[2 * i + 1];
	for (int i = 0; i < 8;) {
		int j = i;

		while (j < 8 && !w[j])
			j++;
		if (j - i > best_len) {
			best = i;
			best_len = j - i;
		}
		i = j > i ? j : i + 1;
	}
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			out[n++] = ':';
			if (i == 0)
				out[n++] = ':';
			i += best_len - 1;
			continue;
		}
		n += (size_t) snprintf(out + n, len - n, "%x%s", w[i], i < 7 ? ":" : "");
	}
	out[n] = '\0';
	return 0;
}

/*
 * "<network_name>-<text>", ':' and '/' of text as '-'; a "0" before a leading '-' and after a
 * trailing one. -ENAMETOOLONG over POOL_NAME_MAX - 1 characters, -ENOBUFS when out is short.
 */
static int name_build(const char *network_name, const char *text, char *out, size_t len)
{
	bool prefixed = network_name && *network_name;
	char body[INET6_ADDRSTRLEN + 8];
	size_t nb = strlen(text), total;
	bool lead, trail;

	if (nb >= sizeof(body))
		return -EINVAL;
	for (size_t i = 0; i <= nb; i++)
		body[i] = (text[i] == ':' || text[i] == '/') ? '-' : text[i];
	lead = !prefixed && body[0] == '-';
	trail = nb && body[nb - 1] == '-';
	total = (prefixed ? strlen(network_name) + 1 : 0) + lead + nb + trail;
	if (total > POOL_NAME_MAX - 1)
		return -ENAMETOOLONG;
	if (!out || len < total + 1)
		return -ENOBUFS;
	(void) snprintf(out, len, "%s%s%s%s%s", prefixed ? network_name : "", prefixed ? "-" : "",
			lead ? "0" : "", body, trail ? "0" : "");
	return 0;
}

int pool_name(const struct pool_range *r, const char *network_name, char *out, size_t len)
{
	char ip[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN + 8];

	if (ip_text(r->net.family, r->net.addr, ip, sizeof(ip)) < 0)
		return -EINVAL;
	(void) snprintf(text, sizeof(text), "%s/%u", ip, r->net.prefixlen);
	return name_build(network_name, text, out, len);
}

int pool_reservation_name(int family, const unsigned char addr[16], const char *network_name,
			  char *out, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (ip_text(family, addr, ip, sizeof(ip)) < 0)
		return -EINVAL;
	return name_build(network_name, ip, out, len);
}
