/* SPDX-License-Identifier: Apache-2.0 */
/* test_pool.c - range arithmetic, exclusions, picking, offsets and IPPool names. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rdmanet/pool.h"
#include "unit.h"

#define OFF_MAX (~(pool_off_t) 0)
#define P2(n)   ((pool_off_t) 1 << (n))

/* CHECK_INT truncates to 64 bits: offsets are compared in full and printed in decimal. */
#define CHECK_OFF(a, b)                                                                    \
	do {                                                                               \
		pool_off_t _x = (a), _y = (b);                                             \
		if (_x != _y) {                                                            \
			char _sx[48], _sy[48];                                             \
			(void) pool_off_format(_x, _sx, sizeof(_sx));                      \
			(void) pool_off_format(_y, _sy, sizeof(_sy));                      \
			printf("  %s:%d: %s: %s == %s, expected %s\n", __FILE__, __LINE__, \
			       unit_cur, #a, _sx, _sy);                                    \
			unit_cur_failed = 1;                                               \
		}                                                                          \
	} while (0)

/* The why text must mention needle. */
#define CHECK_WHY(why, needle)                                                                     \
	do {                                                                                       \
		if (!strstr((why), (needle))) {                                                    \
			printf("  %s:%d: %s: why '%s' lacks '%s'\n", __FILE__, __LINE__, unit_cur, \
			       (why), (needle));                                                   \
			unit_cur_failed = 1;                                                       \
		}                                                                                  \
	} while (0)

static char why[160];

static int init(struct pool_range *r, const char *cidr, const char *start, const char *end)
{
	why[0] = '\0';
	return pool_range_init(r, cidr, start, end, why, sizeof(why));
}

/* Must succeed; the why text is printed when it does not. */
static void init_ok(struct pool_range *r, const char *cidr, const char *start, const char *end,
		    int line)
{
	if (init(r, cidr, start, end) < 0) {
		printf("  line %d: pool_range_init('%s'): %s\n", line, cidr, why);
		unit_cur_failed = 1;
	}
}
#define INIT_OK(r, cidr, start, end) init_ok(r, cidr, start, end, __LINE__)

static const char *ip_at(const struct pool_range *r, pool_off_t off)
{
	static char buf[INET6_ADDRSTRLEN];
	unsigned char a[16];

	pool_addr_at(r, off, a);
	if (!inet_ntop(r->net.family, a, buf, sizeof(buf)))
		return "?";
	return buf;
}

static pool_off_t off_of(const struct pool_range *r, const char *ip)
{
	unsigned char a[16] = { 0 };
	pool_off_t off = OFF_MAX;

	if (inet_pton(r->net.family, ip, a) != 1 || pool_offset(r, a, &off) < 0)
		printf("  off_of('%s') failed\n", ip);
	return off;
}

/* ---------------------------------------------------------------------------------------- */
/* taken() sets */

struct taken_set {
	const pool_off_t *v; /* single offsets */
	size_t n;
	pool_off_t lo, hi; /* and one inclusive block, when has_block */
	bool has_block;
	bool all;
	unsigned long calls;
};

static bool taken_fn(void *ctx, pool_off_t off)
{
	struct taken_set *t = ctx;

	t->calls++;
	if (t->all)
		return true;
	if (t->has_block && off >= t->lo && off <= t->hi)
		return true;
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i] == off)
			return true;
	return false;
}

/* ---------------------------------------------------------------------------------------- */
/* CIDR parsing */

static void test_cidr_parse(void)
{
	static const char *const bad[] = {
		"",
		"/24",
		"10.56.0.0",
		"10.56.0.0/",
		"10.56.0.0/33",
		"10.56.0.0/-1",
		"10.56.0.0/+24",
		"10.56.0.0/ 24",
		"10.56.0.0/24 ",
		" 10.56.0.0/24",
		"10.56.0.0/024",
		"010.56.0.0/24",
		"10.56.0/24",
		"10.56.0.0.0/24",
		"10.56.0.256/24",
		"10.56.0.0/2a",
		"10.56.0.0/1000",
		"fd00::/129",
		"fd00:::/64",
		"fe80::1%eth0/64",
		"fd00::/64/64",
		"10.56.0.0//24",
		"fd00::g/64",
		"10.56.0.0/4294967320",
	};
	struct pool_cidr c;

	CHECK_INT(pool_cidr_parse("10.56.0.0/16", false, &c), 0);
	CHECK_INT(c.family, AF_INET);
	CHECK_INT(c.prefixlen, 16);
	CHECK(c.addr[0] == 10 && c.addr[1] == 56 && c.addr[2] == 0 && c.addr[3] == 0);
	CHECK_INT(pool_cidr_parse("fd00::/64", false, &c), 0);
	CHECK_INT(c.family, AF_INET6);
	CHECK_INT(c.prefixlen, 64);
	CHECK_INT(pool_cidr_parse("0.0.0.0/0", false, &c), 0);
	CHECK_INT(pool_cidr_parse("::/0", false, &c), 0);
	CHECK_INT(pool_cidr_parse("10.56.0.1/32", false, &c), 0);
	CHECK_INT(pool_cidr_parse("fd00::1/128", false, &c), 0);

	/* host bits: rejected unless allowed, then cleared */
	CHECK_INT(pool_cidr_parse("10.56.0.5/16", false, &c), -EINVAL);
	CHECK_INT(pool_cidr_parse("10.56.0.5/16", true, &c), 0);
	CHECK(c.addr[0] == 10 && c.addr[1] == 56 && c.addr[2] == 0 && c.addr[3] == 0);
	CHECK_INT(c.prefixlen, 16);
	CHECK_INT(pool_cidr_parse("fd00::1:2/112", false, &c), -EINVAL);
	CHECK_INT(pool_cidr_parse("fd00::1:2/112", true, &c), 0);
	CHECK(c.addr[13] == 1 && c.addr[14] == 0 && c.addr[15] == 0);

	CHECK_INT(pool_cidr_parse(NULL, true, &c), -EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pool_cidr_parse(bad[i], true, &c) != -EINVAL) {
			printf("  '%s' was accepted\n", bad[i]);
			CHECK(0);
		}
	}
}

/* ---------------------------------------------------------------------------------------- */
/* IPv4 ranges */

static void test_v4_24(void)
{
	struct pool_range r;

	INIT_OK(&r, "10.56.0.0/24", NULL, NULL);
	CHECK_INT(r.net.family, AF_INET);
	CHECK_INT(r.net.prefixlen, 24);
	CHECK_OFF(r.first, 1);
	CHECK_OFF(r.last, 254);
	CHECK_OFF(pool_span(&r), 254);
	CHECK_STR(ip_at(&r, r.first), "10.56.0.1");
	CHECK_STR(ip_at(&r, r.last), "10.56.0.254");
	CHECK(!pool_usable(&r, 0));
	CHECK(pool_usable(&r, 1));
	CHECK(pool_usable(&r, 254));
	CHECK(!pool_usable(&r, 255));
	CHECK(!pool_usable(&r, 256));
	CHECK(!r.has_gw);
	CHECK_INT(r.n_exclude, 0);
	/* empty strings are "not given" */
	INIT_OK(&r, "10.56.0.0/24", "", "");
	CHECK_OFF(r.first, 1);
	CHECK_OFF(r.last, 254);
}

static void test_v4_30_31_32(void)
{
	struct taken_set all = { .all = true };
	struct pool_range r;
	pool_off_t off;

	INIT_OK(&r, "10.56.0.4/30", NULL, NULL);
	CHECK_OFF(r.first, 1);
	CHECK_OFF(r.last, 2);
	CHECK_OFF(pool_span(&r), 2);
	CHECK_STR(ip_at(&r, 1), "10.56.0.5");
	CHECK_STR(ip_at(&r, 2), "10.56.0.6");

	/* RFC 3021 point-to-point: both addresses */
	INIT_OK(&r, "10.56.0.6/31", NULL, NULL);
	CHECK_OFF(r.first, 0);
	CHECK_OFF(r.last, 1);
	CHECK_STR(ip_at(&r, 0), "10.56.0.6");
	CHECK_STR(ip_at(&r, 1), "10.56.0.7");

	INIT_OK(&r, "10.56.0.9/32", NULL, NULL);
	CHECK_OFF(r.first, 0);
	CHECK_OFF(r.last, 0);
	CHECK_OFF(pool_span(&r), 1);
	CHECK_STR(ip_at(&r, 0), "10.56.0.9");
	CHECK_INT(pool_pick(&r, 0, NULL, NULL, &off), 0);
	CHECK_OFF(off, 0);
	CHECK_INT(pool_pick(&r, 0, taken_fn, &all, &off), -ENOSPC);
	CHECK_INT(all.calls, 1);
}

static void test_v4_16_start_end(void)
{
	struct pool_range r;

	INIT_OK(&r, "10.56.0.0/16", "10.56.1.10", "10.56.2.20");
	CHECK_OFF(r.first, 256 + 10);
	CHECK_OFF(r.last, 512 + 20);
	CHECK_OFF(pool_span(&r), 512 + 20 - 266 + 1);
	CHECK_STR(ip_at(&r, r.first), "10.56.1.10");
	CHECK_STR(ip_at(&r, r.last), "10.56.2.20");
	CHECK(!pool_usable(&r, 265));
	CHECK(pool_usable(&r, 266));
	CHECK(pool_usable(&r, 532));
	CHECK(!pool_usable(&r, 533));
	/* only one end given */
	INIT_OK(&r, "10.56.0.0/16", "10.56.255.0", NULL);
	CHECK_OFF(r.first, 65280);
	CHECK_OFF(r.last, 65534);
	INIT_OK(&r, "10.56.0.0/16", NULL, "10.56.0.7");
	CHECK_OFF(r.first, 1);
	CHECK_OFF(r.last, 7);
	/* a single address */
	INIT_OK(&r, "10.56.0.0/16", "10.56.3.3", "10.56.3.3");
	CHECK_OFF(pool_span(&r), 1);
}

static void test_v4_host_bits(void)
{
	struct pool_range r;

	INIT_OK(&r, "10.56.0.5/16", NULL, NULL);
	CHECK(r.net.addr[0] == 10 && r.net.addr[1] == 56 && r.net.addr[2] == 0 &&
	      r.net.addr[3] == 0);
	CHECK_OFF(r.first, 1);
	CHECK_OFF(r.last, 65534);
	CHECK_STR(ip_at(&r, 5), "10.56.0.5");
}

/* range_start/range_end never widen: network and broadcast addresses stay out. */
static void test_v4_clamp(void)
{
	struct pool_range r;

	INIT_OK(&r, "10.56.0.0/24", "10.56.0.0", "10.56.0.255");
	CHECK_OFF(r.first, 1);
	CHECK_OFF(r.last, 254);
	CHECK_INT(init(&r, "10.56.0.0/24", "10.56.0.255", "10.56.0.255"), -EINVAL);
	CHECK_WHY(why, "10.56.0.255");
	CHECK_WHY(why, "no usable address");
	CHECK_INT(init(&r, "10.56.0.0/24", NULL, "10.56.0.0"), -EINVAL);
	CHECK_WHY(why, "range_end '10.56.0.0' leaves no usable address");
	CHECK_INT(init(&r, "fd00::/64", "fd00::", "fd00::"), -EINVAL);
	CHECK_WHY(why, "the network address is never");
	/* /31 has neither */
	INIT_OK(&r, "10.56.0.6/31", "10.56.0.6", "10.56.0.7");
	CHECK_OFF(r.first, 0);
	CHECK_OFF(r.last, 1);
}

static void test_range_errors(void)
{
	struct pool_range r;

	CHECK_INT(init(&r, "10.56.0.0/33", NULL, NULL), -EINVAL);
	CHECK_WHY(why, "10.56.0.0/33");
	CHECK_INT(init(&r, "nonsense", NULL, NULL), -EINVAL);
	CHECK_WHY(why, "'nonsense'");
	CHECK_INT(init(&r, NULL, NULL, NULL), -EINVAL);
	CHECK(why[0] != '\0');
	CHECK_INT(init(&r, "10.56.0.0/24", "10.57.0.1", NULL), -EINVAL);
	CHECK_WHY(why, "range_start '10.57.0.1'");
	CHECK_WHY(why, "outside 10.56.0.0/24");
	CHECK_INT(init(&r, "10.56.0.0/24", NULL, "10.55.255.255"), -EINVAL);
	CHECK_WHY(why, "range_end '10.55.255.255'");
	CHECK_INT(init(&r, "10.56.0.0/24", "fd00::1", NULL), -EINVAL);
	CHECK_WHY(why, "'fd00::1'");
	CHECK_WHY(why, "IPv4");
	CHECK_INT(init(&r, "fd00::/64", NULL, "10.56.0.1"), -EINVAL);
	CHECK_WHY(why, "IPv6");
	CHECK_INT(init(&r, "10.56.0.0/24", "10.56.0.20", "10.56.0.10"), -EINVAL);
	CHECK_WHY(why, "'10.56.0.20' is after range_end '10.56.0.10'");
	CHECK_INT(init(&r, "10.56.0.0/24", "10.56.0.010", NULL), -EINVAL);
	CHECK_WHY(why, "'10.56.0.010' is not an IP address");
	CHECK_INT(init(&r, "10.56.0.0/24", "10.56.0.1/24", NULL), -EINVAL);
	CHECK_INT(init(&r, "10.56.0.0/24", " 10.56.0.1", NULL), -EINVAL);
	/* no why buffer at all is fine */
	CHECK_INT(pool_range_init(&r, "10.56.0.0/33", NULL, NULL, NULL, 0), -EINVAL);
	/* a failed init leaves nothing usable behind */
	CHECK(!pool_usable(&r, 1));
}

/* ---------------------------------------------------------------------------------------- */
/* IPv6 ranges */

static void test_v6_64(void)
{
	struct pool_range r;

	INIT_OK(&r, "fd00:56::/64", NULL, NULL);
	CHECK_INT(r.net.family, AF_INET6);
	CHECK_OFF(r.first, 1);
	CHECK_OFF(r.last, P2(64) - 1);
	CHECK_OFF(pool_span(&r), P2(64) - 1);
	CHECK_STR(ip_at(&r, 1), "fd00:56::1");
	CHECK_STR(ip_at(&r, r.last), "fd00:56::ffff:ffff:ffff:ffff");
	CHECK(!pool_usable(&r, 0));
	CHECK(pool_usable(&r, P2(64) - 1));
	CHECK(!pool_usable(&r, P2(64)));
	CHECK_OFF(off_of(&r, "fd00:56::1:2:3:4"), (P2(48) | P2(32) * 2 | P2(16) * 3 | 4));
	/* the network address is clamped away even when named */
	INIT_OK(&r, "fd00:56::/64", "fd00:56::", "fd00:56::ff");
	CHECK_OFF(r.first, 1);
	CHECK_OFF(r.last, 255);
}

static void test_v6_120_127_128(void)
{
	struct pool_range r;

	INIT_OK(&r, "fd00::100/120", NULL, NULL);
	CHECK_OFF(r.first, 1);
	CHECK_OFF(r.last, 255); /* no broadcast in IPv6 */
	CHECK_STR(ip_at(&r, 255), "fd00::1ff");

	INIT_OK(&r, "fd00::2/127", NULL, NULL);
	CHECK_OFF(r.first, 0);
	CHECK_OFF(r.last, 1);
	CHECK_STR(ip_at(&r, 0), "fd00::2");
	CHECK_STR(ip_at(&r, 1), "fd00::3");

	INIT_OK(&r, "fd00::7/128", NULL, NULL);
	CHECK_OFF(r.first, 0);
	CHECK_OFF(r.last, 0);
	CHECK_OFF(pool_span(&r), 1);
	CHECK_STR(ip_at(&r, 0), "fd00::7");
}

/* ::/0 is the largest range there is: offsets reach 2^128 - 1 without overflowing. */
static void test_v6_whole_space(void)
{
	struct pool_range r;
	struct taken_set t = { .has_block = true, .lo = OFF_MAX - 2, .hi = OFF_MAX };
	pool_off_t off = 0;

	INIT_OK(&r, "::/0", NULL, NULL);
	CHECK_OFF(r.first, 1);
	CHECK_OFF(r.last, OFF_MAX);
	CHECK_OFF(pool_span(&r), OFF_MAX);
	CHECK_STR(ip_at(&r, OFF_MAX), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	CHECK_OFF(off_of(&r, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), OFF_MAX);
	/* the last three taken: wraps round to the first */
	CHECK_INT(pool_pick(&r, OFF_MAX - 2, taken_fn, &t, &off), 0);
	CHECK_OFF(off, 1);
	CHECK_INT(t.calls, 4);

	INIT_OK(&r, "0.0.0.0/0", NULL, NULL);
	CHECK_OFF(r.first, 1);
	CHECK_OFF(r.last, P2(32) - 2);
	CHECK_STR(ip_at(&r, P2(32) - 2), "255.255.255.254");
}

/* ---------------------------------------------------------------------------------------- */
/* offsets of addresses */

static void test_offset(void)
{
	struct pool_range r;
	unsigned char a[16] = { 0 };
	pool_off_t off = 7;

	INIT_OK(&r, "10.56.0.0/16", NULL, NULL);
	CHECK_OFF(off_of(&r, "10.56.1.2"), 258);
	CHECK(inet_pton(AF_INET, "10.57.0.1", a) == 1);
	CHECK_INT(pool_offset(&r, a, &off), -ERANGE);
	CHECK_OFF(off, 7);
	/* an IPv4 address has nothing after its four bytes */
	CHECK(inet_pton(AF_INET, "10.56.0.1", a) == 1);
	a[4] = 1;
	CHECK_INT(pool_offset(&r, a, &off), -ERANGE);
	/* pool_addr_at stays inside the CIDR */
	CHECK_STR(ip_at(&r, P2(16) + 3), "10.56.0.3");
	pool_addr_at(&r, 1, a);
	for (int i = 4; i < 16; i++)
		CHECK_INT(a[i], 0);

	INIT_OK(&r, "fd00::/64", NULL, NULL);
	CHECK(inet_pton(AF_INET6, "fd00:0:0:1::1", a) == 1);
	CHECK_INT(pool_offset(&r, a, &off), -ERANGE);
	for (pool_off_t o = 0; o < 300; o += 37) {
		pool_addr_at(&r, o, a);
		CHECK_INT(pool_offset(&r, a, &off), 0);
		CHECK_OFF(off, o);
	}
}

/* ---------------------------------------------------------------------------------------- */
/* exclusions and the gateway */

static int excl(struct pool_range *r, const char *cidr)
{
	why[0] = '\0';
	return pool_range_exclude(r, cidr, why, sizeof(why));
}

static void test_exclude_inside(void)
{
	struct pool_range r;

	INIT_OK(&r, "10.56.0.0/24", NULL, NULL);
	CHECK_INT(excl(&r, "10.56.0.12/31"), 0);
	CHECK_INT(r.n_exclude, 1);
	CHECK(pool_usable(&r, 11));
	CHECK(!pool_usable(&r, 12));
	CHECK(!pool_usable(&r, 13));
	CHECK(pool_usable(&r, 14));
	CHECK_INT(excl(&r, "10.56.0.100/32"), 0);
	CHECK(!pool_usable(&r, 100));
	CHECK(pool_usable(&r, 99) && pool_usable(&r, 101));
	/* host bits are cleared, as Go's net.ParseCIDR does */
	CHECK_INT(excl(&r, "10.56.0.201/30"), 0);
	CHECK(pool_usable(&r, 199));
	CHECK(!pool_usable(&r, 200) && !pool_usable(&r, 203));
	CHECK(pool_usable(&r, 204));
	/* span counts excluded offsets */
	CHECK_OFF(pool_span(&r), 254);
}

/* An exclusion that covers the CIDR's edge, or all of it. */
static void test_exclude_edges(void)
{
	struct pool_range r;
	pool_off_t off;

	INIT_OK(&r, "10.56.0.0/24", NULL, NULL);
	CHECK_INT(excl(&r, "10.56.0.0/30"), 0);
	CHECK_INT(excl(&r, "10.56.0.248/29"), 0);
	CHECK(!pool_usable(&r, 1) && !pool_usable(&r, 3));
	CHECK(pool_usable(&r, 4) && pool_usable(&r, 247));
	CHECK(!pool_usable(&r, 248) && !pool_usable(&r, 254));
	CHECK_INT(pool_pick(&r, 250, NULL, NULL, &off), 0);
	CHECK_OFF(off, 4);

	/* a larger block holding the whole CIDR */
	INIT_OK(&r, "10.56.4.0/24", NULL, NULL);
	CHECK_INT(excl(&r, "10.56.0.0/16"), 0);
	for (pool_off_t o = 0; o < 256; o++)
		CHECK(!pool_usable(&r, o));
	CHECK_INT(pool_pick(&r, 1, NULL, NULL, &off), -ENOSPC);

	INIT_OK(&r, "fd00::/64", NULL, NULL);
	CHECK_INT(excl(&r, "fd00::/16"), 0);
	CHECK_INT(pool_pick(&r, 77, NULL, NULL, &off), -ENOSPC);
}

static void test_exclude_errors(void)
{
	struct pool_range r;

	INIT_OK(&r, "10.56.0.0/24", NULL, NULL);
	CHECK_INT(excl(&r, "10.99.0.0/24"), -EINVAL);
	CHECK_WHY(why, "'10.99.0.0/24'");
	CHECK_WHY(why, "does not overlap");
	CHECK_INT(excl(&r, "10.56.1.0/24"), -EINVAL);
	CHECK_INT(excl(&r, "10.57.0.0/16"), -EINVAL);
	CHECK_INT(excl(&r, "fd00::/64"), -EINVAL);
	CHECK_WHY(why, "'fd00::/64'");
	CHECK_WHY(why, "IPv4");
	CHECK_INT(excl(&r, "10.56.0.0/33"), -EINVAL);
	CHECK_WHY(why, "10.56.0.0/33");
	CHECK_INT(excl(&r, "10.56.0.7"), -EINVAL);
	CHECK_WHY(why, "'10.56.0.7'");
	CHECK_INT(excl(&r, NULL), -EINVAL);
	CHECK_INT(r.n_exclude, 0);

	INIT_OK(&r, "fd00::/64", NULL, NULL);
	CHECK_INT(excl(&r, "10.56.0.0/24"), -EINVAL);
	CHECK_WHY(why, "IPv6");
	CHECK_INT(excl(&r, "fd00:0:0:1::/64"), -EINVAL);
	CHECK_INT(r.n_exclude, 0);

	/* at most POOL_EXCLUDE_MAX */
	INIT_OK(&r, "10.56.0.0/24", NULL, NULL);
	for (int i = 0; i < POOL_EXCLUDE_MAX; i++) {
		char c[32];

		(void) snprintf(c, sizeof(c), "10.56.0.%d/32", i + 1);
		CHECK_INT(excl(&r, c), 0);
	}
	CHECK_INT(excl(&r, "10.56.0.200/32"), -E2BIG);
	CHECK_WHY(why, "10.56.0.200/32");
	CHECK_INT(r.n_exclude, POOL_EXCLUDE_MAX);
	CHECK(pool_usable(&r, 200));
}

static int gw(struct pool_range *r, const char *ip)
{
	why[0] = '\0';
	return pool_range_gateway(r, ip, why, sizeof(why));
}

static void test_gateway(void)
{
	struct pool_range r;
	char buf[INET6_ADDRSTRLEN];
	pool_off_t off;

	INIT_OK(&r, "10.56.0.0/29", NULL, NULL);
	CHECK_INT(gw(&r, "10.56.0.9"), -EINVAL);
	CHECK_WHY(why, "gateway '10.56.0.9'");
	CHECK_WHY(why, "outside 10.56.0.0/29");
	CHECK(!r.has_gw);
	CHECK_INT(gw(&r, "fd00::1"), -EINVAL);
	CHECK(!r.has_gw);
	CHECK_INT(gw(&r, "10.56.0.1/29"), -EINVAL);
	CHECK(!r.has_gw);
	CHECK_INT(gw(&r, "10.56.0.1"), 0);
	CHECK(r.has_gw);
	CHECK_STR(inet_ntop(AF_INET, r.gw, buf, sizeof(buf)), "10.56.0.1");
	CHECK(!pool_usable(&r, 1));
	CHECK(pool_usable(&r, 2));
	CHECK_INT(pool_pick(&r, 1, NULL, NULL, &off), 0);
	CHECK_OFF(off, 2);

	/* the gateway right after an exclusion: both are jumped */
	CHECK_INT(excl(&r, "10.56.0.2/31"), 0);
	CHECK_INT(gw(&r, "10.56.0.4"), 0);
	CHECK(pool_usable(&r, 1));
	CHECK_INT(pool_pick(&r, 2, NULL, NULL, &off), 0);
	CHECK_OFF(off, 5);

	/* a gateway outside range_start..range_end is fine, and still never handed out */
	INIT_OK(&r, "fd00::/120", "fd00::10", "fd00::20");
	CHECK_INT(gw(&r, "fd00::1"), 0);
	CHECK(!pool_usable(&r, 1));
	CHECK_INT(gw(&r, "fd00::10"), 0);
	CHECK(!pool_usable(&r, 16));
	CHECK(pool_usable(&r, 17));
}

/* ---------------------------------------------------------------------------------------- */
/* picking */

static void test_pick_basic(void)
{
	struct pool_range r;
	struct taken_set t = { 0 };
	pool_off_t off;

	INIT_OK(&r, "10.56.0.0/24", NULL, NULL);
	CHECK_INT(pool_pick(&r, 1, NULL, NULL, &off), 0);
	CHECK_OFF(off, 1);
	CHECK_INT(pool_pick(&r, 100, taken_fn, &t, &off), 0);
	CHECK_OFF(off, 100);
	CHECK_INT(t.calls, 1);
	/* hints outside [first, last] are clamped */
	CHECK_INT(pool_pick(&r, 0, NULL, NULL, &off), 0);
	CHECK_OFF(off, 1);
	CHECK_INT(pool_pick(&r, 255, NULL, NULL, &off), 0);
	CHECK_OFF(off, 254);
	CHECK_INT(pool_pick(&r, OFF_MAX, NULL, NULL, &off), 0);
	CHECK_OFF(off, 254);
}

static void test_pick_full(void)
{
	struct pool_range r;
	struct taken_set all = { .all = true };
	pool_off_t off = 12345;

	INIT_OK(&r, "10.56.0.0/24", NULL, NULL);
	CHECK_INT(pool_pick(&r, 77, taken_fn, &all, &off), -ENOSPC);
	CHECK_INT(all.calls, 254); /* each usable offset asked once */
	CHECK_OFF(off, 12345);

	/* full but for the excluded ones: those are not even asked about */
	CHECK_INT(excl(&r, "10.56.0.0/25"), 0);
	CHECK_INT(gw(&r, "10.56.0.254"), 0);
	all.calls = 0;
	CHECK_INT(pool_pick(&r, 200, taken_fn, &all, &off), -ENOSPC);
	CHECK_INT(all.calls, 126); /* 128..253 */
}

static void test_pick_wraparound(void)
{
	static const pool_off_t busy[] = { 4, 5, 6 };
	struct pool_range r;
	struct taken_set t = { busy, 3 };
	pool_off_t off;

	INIT_OK(&r, "10.56.0.0/29", NULL, NULL); /* 1..6 */
	CHECK_INT(pool_pick(&r, 4, taken_fn, &t, &off), 0);
	CHECK_OFF(off, 1);
	CHECK_INT(pool_pick(&r, 2, taken_fn, &t, &off), 0);
	CHECK_OFF(off, 2);
	t.has_block = true;
	t.lo = 1;
	t.hi = 2;
	CHECK_INT(pool_pick(&r, 5, taken_fn, &t, &off), 0);
	CHECK_OFF(off, 3);
	t.hi = 3;
	CHECK_INT(pool_pick(&r, 5, taken_fn, &t, &off), -ENOSPC);
	/* wrapping past an exclusion at the start */
	t.hi = 0;
	t.has_block = false;
	CHECK_INT(excl(&r, "10.56.0.0/31"), 0);
	CHECK_INT(pool_pick(&r, 6, taken_fn, &t, &off), 0);
	CHECK_OFF(off, 2);
}

/* Huge ranges: nothing may walk the address space one offset at a time. */
static void test_pick_huge_v6(void)
{
	struct pool_range r;
	struct taken_set t = { 0 };
	pool_off_t off;

	INIT_OK(&r, "fd00::/64", NULL, NULL);
	CHECK_INT(pool_pick(&r, P2(63), taken_fn, &t, &off), 0);
	CHECK_OFF(off, P2(63));
	CHECK_INT(t.calls, 1);

	/* a thousand taken after the hint */
	t.calls = 0;
	t.has_block = true;
	t.lo = P2(40);
	t.hi = P2(40) + 999;
	CHECK_INT(pool_pick(&r, P2(40), taken_fn, &t, &off), 0);
	CHECK_OFF(off, P2(40) + 1000);
	CHECK_INT(t.calls, 1001);

	/* the top of the range taken: wraps to the first */
	t.calls = 0;
	t.lo = P2(64) - 5;
	t.hi = P2(64) - 1;
	CHECK_INT(pool_pick(&r, P2(64) - 5, taken_fn, &t, &off), 0);
	CHECK_OFF(off, 1);
	CHECK_INT(t.calls, 6);
}

static void test_pick_jumps_exclusions(void)
{
	struct pool_range r;
	struct taken_set t = { 0 };
	pool_off_t off;

	/* 2^56 excluded addresses at the start of a /64 */
	INIT_OK(&r, "fd00::/64", NULL, NULL);
	CHECK_INT(excl(&r, "fd00::/72"), 0);
	CHECK_INT(pool_pick(&r, 1, taken_fn, &t, &off), 0);
	CHECK_OFF(off, P2(56));
	CHECK_INT(t.calls, 1);
	CHECK_STR(ip_at(&r, off), "fd00::100:0:0:0");

	/* a hint inside an exclusion in the middle, with a taken address right after it */
	CHECK_INT(excl(&r, "fd00::8000:0:0:0/65"), 0);
	t.calls = 0;
	t.has_block = true;
	t.lo = t.hi = P2(56);
	CHECK_INT(pool_pick(&r, P2(63) + 12345, taken_fn, &t, &off), 0);
	CHECK_OFF(off, P2(56) + 1); /* jumped to the end, wrapped, skipped the taken one */
	CHECK_INT(t.calls, 2);

	/* overlapping and adjacent exclusions, jumped in turn */
	INIT_OK(&r, "fd00::/64", NULL, NULL);
	CHECK_INT(excl(&r, "fd00::/96"), 0);
	CHECK_INT(excl(&r, "fd00::/100"), 0);
	CHECK_INT(excl(&r, "fd00::1:0:0/96"), 0);
	CHECK_INT(excl(&r, "fd00::2:0:0/95"), 0);
	CHECK_INT(gw(&r, "fd00::4:0:0"), 0);
	t.calls = 0;
	t.has_block = false;
	CHECK_INT(pool_pick(&r, 5, taken_fn, &t, &off), 0);
	CHECK_OFF(off, P2(34) + 1);
	CHECK_INT(t.calls, 1);

	/* everything excluded: -ENOSPC without asking taken() at all */
	INIT_OK(&r, "fd00::/64", NULL, NULL);
	CHECK_INT(excl(&r, "fd00::/65"), 0);
	CHECK_INT(excl(&r, "fd00::8000:0:0:0/65"), 0);
	t.calls = 0;
	CHECK_INT(pool_pick(&r, P2(62), taken_fn, &t, &off), -ENOSPC);
	CHECK_INT(t.calls, 0);

	/* the whole address space but one /1 */
	INIT_OK(&r, "::/0", NULL, NULL);
	CHECK_INT(excl(&r, "::/1"), 0);
	CHECK_INT(pool_pick(&r, 3, NULL, NULL, &off), 0);
	CHECK_OFF(off, P2(127));
}

/* ---------------------------------------------------------------------------------------- */
/* offsets as text */

static void test_off_format(void)
{
	char buf[48];

	CHECK_INT(pool_off_format(0, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "0");
	CHECK_INT(pool_off_format(255, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "255");
	CHECK_INT(pool_off_format(P2(64), buf, sizeof(buf)), 0);
	CHECK_STR(buf, "18446744073709551616");
	CHECK_INT(pool_off_format(OFF_MAX, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "340282366920938463463374607431768211455");
	/* the buffer: 39 digits and the NUL */
	CHECK_INT(pool_off_format(OFF_MAX, buf, 40), 0);
	CHECK_INT(pool_off_format(OFF_MAX, buf, 39), -ENOBUFS);
	CHECK_INT(pool_off_format(10, buf, 3), 0);
	CHECK_STR(buf, "10");
	CHECK_INT(pool_off_format(100, buf, 3), -ENOBUFS);
	CHECK_INT(pool_off_format(0, buf, 0), -ENOBUFS);
}

static void test_off_parse(void)
{
	static const char *const bad[] = {
		"",
		"-1",
		"+1",
		" 1",
		"1 ",
		"01",
		"00",
		"1a",
		"0x10",
		"1.0",
		"1e3",
		"١",
		"340282366920938463463374607431768211456", /* 2^128 */
		"340282366920938463463374607431768211460",
		"999999999999999999999999999999999999999",
		"1000000000000000000000000000000000000000", /* 40 digits */
		"\t1",
		"1\n",
	};
	pool_off_t off = 0;

	CHECK_INT(pool_off_parse("0", &off), 0);
	CHECK_OFF(off, 0);
	CHECK_INT(pool_off_parse("10", &off), 0);
	CHECK_OFF(off, 10);
	CHECK_INT(pool_off_parse("18446744073709551616", &off), 0);
	CHECK_OFF(off, P2(64));
	CHECK_INT(pool_off_parse("340282366920938463463374607431768211455", &off), 0);
	CHECK_OFF(off, OFF_MAX);
	CHECK_INT(pool_off_parse("340282366920938463463374607431768211454", &off), 0);
	CHECK_OFF(off, OFF_MAX - 1);
	CHECK_INT(pool_off_parse(NULL, &off), -EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		off = 42;
		if (pool_off_parse(bad[i], &off) != -EINVAL || off != 42) {
			printf("  '%s' was accepted\n", bad[i]);
			CHECK(0);
		}
	}
}

static void test_off_round_trip(void)
{
	pool_off_t v = 1, back;
	char buf[48];

	/* every power of two, its neighbours, and a multiplicative walk */
	for (int i = 0; i < 128; i++) {
		pool_off_t cases[3] = { P2(i) - 1, P2(i), P2(i) + 1 };

		for (int j = 0; j < 3; j++) {
			back = ~cases[j];
			if (pool_off_format(cases[j], buf, sizeof(buf)) < 0 ||
			    pool_off_parse(buf, &back) < 0 || back != cases[j]) {
				printf("  2^%d case %d: '%s'\n", i, j, buf);
				CHECK(0);
			}
		}
	}
	for (int i = 0; i < 1000; i++) {
		v = v * 6364136223846793005ULL + 1442695040888963407ULL;
		v ^= v << 64;
		CHECK(pool_off_format(v, buf, sizeof(buf)) == 0 &&
		      pool_off_parse(buf, &back) == 0 && back == v);
	}
	CHECK(pool_off_format(OFF_MAX, buf, sizeof(buf)) == 0 && pool_off_parse(buf, &back) == 0);
	CHECK_OFF(back, OFF_MAX);
}

/* ---------------------------------------------------------------------------------------- */
/* names */

static const char *pname(const char *cidr, const char *network)
{
	static char out[POOL_NAME_MAX];
	struct pool_range r;

	if (init(&r, cidr, NULL, NULL) < 0 || pool_name(&r, network, out, sizeof(out)) < 0)
		return "(failed)";
	return out;
}

static const char *rname(const char *ip, const char *network)
{
	static char out[POOL_NAME_MAX];
	int family = strchr(ip, ':') ? AF_INET6 : AF_INET;
	unsigned char a[16] = { 0 };

	if (inet_pton(family, ip, a) != 1 ||
	    pool_reservation_name(family, a, network, out, sizeof(out)) < 0)
		return "(failed)";
	return out;
}

static void test_pool_name(void)
{
	CHECK_STR(pname("10.56.0.0/16", NULL), "10.56.0.0-16");
	CHECK_STR(pname("10.56.0.0/16", ""), "10.56.0.0-16");
	CHECK_STR(pname("10.56.0.0/16", "mynet"), "mynet-10.56.0.0-16");
	CHECK_STR(pname("10.56.0.5/16", NULL), "10.56.0.0-16");
	CHECK_STR(pname("fd00::1:0/112", NULL), "fd00--1-0-112");
	CHECK_STR(pname("fd00::/64", NULL), "fd00---64");
	CHECK_STR(pname("fd00::/64", "rdma-a"), "rdma-a-fd00---64");
	/* canonical text whatever the input's spelling */
	CHECK_STR(pname("FD00:0:0:0:0:0:0:0/64", NULL), "fd00---64");
	CHECK_STR(pname("2001:db8:0:0:1:0:0:0/80", NULL), "2001-db8-0-0-1---80");
	/* Kubernetes names start alphanumeric */
	CHECK_STR(pname("::/0", NULL), "0---0");
	CHECK_STR(pname("::1:0/112", NULL), "0--1-0-112");
	CHECK_STR(pname("::1:0/112", "n"), "n---1-0-112");
}

static void test_reservation_name(void)
{
	CHECK_STR(rname("10.56.0.1", NULL), "10.56.0.1");
	CHECK_STR(rname("10.56.0.1", "mynet"), "mynet-10.56.0.1");
	CHECK_STR(rname("fd00::1", NULL), "fd00--1");
	CHECK_STR(rname("fd00::1", "mynet"), "mynet-fd00--1");
	CHECK_STR(rname("fd00:56::1:2", NULL), "fd00-56--1-2");
	/* a trailing '-' gets a "0" */
	CHECK_STR(rname("fd00::", NULL), "fd00--0");
	CHECK_STR(rname("fd00:1::", "mynet"), "mynet-fd00-1--0");
	/* and a leading one, without a network name */
	CHECK_STR(rname("::1", NULL), "0--1");
	CHECK_STR(rname("::1", "n"), "n---1");
	CHECK_STR(rname("::", NULL), "0--0");
	/* Go's text, not glibc's: no "::a.b.c.d"; IPv4-mapped as plain IPv4 */
	CHECK_STR(rname("::a00:1", NULL), "0--a00-1");
	CHECK_STR(rname("::1:0", "n"), "n---1-0");
	CHECK_STR(rname("::ffff:10.56.0.1", NULL), "10.56.0.1");
	/* RFC 5952: one zero group stays, the first of equal runs is compressed */
	CHECK_STR(rname("fd00:0:1:2:3:4:5:6", NULL), "fd00-0-1-2-3-4-5-6");
	CHECK_STR(rname("fd00:0:0:1:0:0:2:3", NULL), "fd00--1-0-0-2-3");
	CHECK_STR(rname("fd00:0:0:1:0:0:0:3", NULL), "fd00-0-0-1--3");
	CHECK_STR(rname("fd00:abcd:ef01::", NULL), "fd00-abcd-ef01--0");
}

/* Wherever glibc writes no dotted quad, the names follow inet_ntop's text exactly. */
static void test_name_matches_inet_ntop(void)
{
	unsigned long long x = 88172645463325252ULL;
	char text[INET6_ADDRSTRLEN], want[POOL_NAME_MAX], out[POOL_NAME_MAX];
	unsigned char a[16];
	int compared = 0;

	for (int n = 0; n < 20000; n++) {
		for (int i = 0; i < 8; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* mostly zero groups, so that every run shape turns up */
			unsigned w = (x & 3) ? 0 : (unsigned) (x >> 16) & ((x & 4) ? 0xf : 0xffff);

			a[2 * i] = (unsigned char) (w >> 8);
			a[2 * i + 1] = (unsigned char) w;
		}
		if (!inet_ntop(AF_INET6, a, text, sizeof(text)) || strchr(text, '.'))
			continue;
		size_t k = 0, m = strlen(text);

		if (text[0] == ':')
			want[k++] = '0';
		for (size_t i = 0; i < m; i++)
			want[k++] = text[i] == ':' ? '-' : text[i];
		if (text[m - 1] == ':')
			want[k++] = '0';
		want[k] = '\0';
		if (pool_reservation_name(AF_INET6, a, NULL, out, sizeof(out)) < 0 ||
		    strcmp(out, want)) {
			printf("  %s: '%s' != '%s'\n", text, out, want);
			CHECK(0);
			break;
		}
		compared++;
	}
	CHECK(compared > 10000);
}

static void test_name_limits(void)
{
	char net[300], out[POOL_NAME_MAX + 8];
	unsigned char a[16] = { 10, 56, 0, 1 }; /* "10.56.0.1": 9 characters */
	struct pool_range r;

	/* 243 + '-' + 9 = 253 characters: the most there may be */
	memset(net, 'a', 243);
	net[243] = '\0';
	CHECK_INT(pool_reservation_name(AF_INET, a, net, out, sizeof(out)), 0);
	CHECK_INT(strlen(out), 253);
	CHECK_INT(pool_reservation_name(AF_INET, a, net, out, 254), 0);
	CHECK_INT(pool_reservation_name(AF_INET, a, net, out, 253), -ENOBUFS);
	net[243] = 'a';
	net[244] = '\0';
	CHECK_INT(pool_reservation_name(AF_INET, a, net, out, sizeof(out)), -ENAMETOOLONG);
	CHECK_INT(pool_reservation_name(AF_INET, a, NULL, out, 9), -ENOBUFS);
	CHECK_INT(pool_reservation_name(AF_INET, a, NULL, out, 10), 0);
	CHECK_STR(out, "10.56.0.1");
	CHECK_INT(pool_reservation_name(AF_UNIX, a, NULL, out, sizeof(out)), -EINVAL);

	INIT_OK(&r, "10.56.0.0/16", NULL, NULL); /* "10.56.0.0-16": 12 characters */
	net[240] = '\0';
	CHECK_INT(pool_name(&r, net, out, sizeof(out)), 0);
	CHECK_INT(strlen(out), 253);
	net[240] = 'a';
	net[241] = '\0';
	CHECK_INT(pool_name(&r, net, out, sizeof(out)), -ENAMETOOLONG);
}

/* Names of addresses picked from a range, as ipam_k8s builds them. */
static void test_names_of_picks(void)
{
	struct pool_range r;
	char out[POOL_NAME_MAX];
	unsigned char a[16];
	pool_off_t off;

	INIT_OK(&r, "fd00:56::/64", NULL, NULL);
	CHECK_INT(excl(&r, "fd00:56::/120"), 0);
	CHECK_INT(pool_pick(&r, 1, NULL, NULL, &off), 0);
	CHECK_OFF(off, 256);
	pool_addr_at(&r, off, a);
	CHECK_INT(pool_reservation_name(r.net.family, a, "rdma-a", out, sizeof(out)), 0);
	CHECK_STR(out, "rdma-a-fd00-56--100");
	CHECK_INT(pool_name(&r, "rdma-a", out, sizeof(out)), 0);
	CHECK_STR(out, "rdma-a-fd00-56---64");
	CHECK_INT(pool_off_format(off, out, sizeof(out)), 0);
	CHECK_STR(out, "256");
}

/* A scan that walks a huge range one address at a time fails here rather than hangs. */
static void timed_out(int sig)
{
	static const char msg[] = "not ok - timed out in ";

	(void) sig;
	(void) !write(STDOUT_FILENO, msg, sizeof(msg) - 1);
	(void) !write(STDOUT_FILENO, unit_cur, strlen(unit_cur));
	(void) !write(STDOUT_FILENO, "\n", 1);
	_exit(1);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, timed_out);
	alarm(60);
	RUN(test_cidr_parse);
	RUN(test_v4_24);
	RUN(test_v4_30_31_32);
	RUN(test_v4_16_start_end);
	RUN(test_v4_host_bits);
	RUN(test_v4_clamp);
	RUN(test_range_errors);
	RUN(test_v6_64);
	RUN(test_v6_120_127_128);
	RUN(test_v6_whole_space);
	RUN(test_offset);
	RUN(test_exclude_inside);
	RUN(test_exclude_edges);
	RUN(test_exclude_errors);
	RUN(test_gateway);
	RUN(test_pick_basic);
	RUN(test_pick_full);
	RUN(test_pick_wraparound);
	RUN(test_pick_huge_v6);
	RUN(test_pick_jumps_exclusions);
	RUN(test_off_format);
	RUN(test_off_parse);
	RUN(test_off_round_trip);
	RUN(test_pool_name);
	RUN(test_reservation_name);
	RUN(test_name_matches_inet_ntop);
	RUN(test_name_limits);
	RUN(test_names_of_picks);
	UNIT_DONE();
}
