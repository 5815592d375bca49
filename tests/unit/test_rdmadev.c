/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_rdmadev.c - the RDMA netlink message builders and parsers of src/rdma/rdmadev.c against what
 * iproute2's `rdma` sent and a Debian 6.1 kernel answered (tests/fixtures/rdma-nl, see the
 * README there), against hostile replies (every truncation, wrong types, short and oversized
 * attributes), and the sysfs form of a GID.
 *
 * Every parse of a hostile message runs twice: on an exact-size malloc'd copy (AddressSanitizer
 * sees overreads by our own code) and on a copy that ends at an inaccessible page (any overread
 * past the message, including one inside the uninstrumented static libnl, faults).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <rdma/rdma_netlink.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/rdmadev.h"
#include "rdmanet/rdmadev_sysfs.h"
#include "unit.h"

#define NLDEV(cmd) RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, cmd)
#define ATTR_MAX   (RDMA_NLDEV_ATTR_MAX - 1) /* as src/rdma/rdmadev.c parses */

static char fixtures[PATH_MAX]; /* .../tests/fixtures/rdma-nl */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * One capture: a line of hex decoded into an exact-size malloc'd buffer holding one netlink
 * message (nlmsg_len == the file's byte count). A missing or malformed file fails the current
 * test loudly and returns NULL.
 */
static unsigned char *fixture(const char *name, size_t *len)
{
	char path[PATH_MAX + 64];
	unsigned char *out = NULL;
	char *text = NULL;
	size_t n = 0, cap = 0;
	FILE *f;
	int c;

	*len = 0;
	(void) snprintf(path, sizeof(path), "%s/%s", fixtures, name);
	f = fopen(path, "r");
	if (!f) {
		printf("  MISSING FIXTURE %s: %s\n", path, strerror(errno));
		unit_cur_failed = 1;
		return NULL;
	}
	while ((c = fgetc(f)) != EOF) {
		if (n + 1 >= cap) {
			char *t = realloc(text, cap = cap ? 2 * cap : 1024);

			if (!t)
				break;
			text = t;
		}
		text[n++] = (char) c;
	}
	(void) fclose(f);
	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		n--;
	if (!text || n < 2 * 16 || n % 2) {
		printf("  fixture %s: %zu hex digits, not a netlink message\n", path, n);
		goto bad;
	}
	out = malloc(n / 2);
	if (!out)
		goto bad;
	for (size_t i = 0; i < n; i += 2) {
		int hi = hexval(text[i]), lo = hexval(text[i + 1]);

		if (hi < 0 || lo < 0) {
			printf("  fixture %s: not hex at offset %zu\n", path, i);
			goto bad;
		}
		out[i / 2] = (unsigned char) (hi << 4 | lo);
	}
	if (((struct nlmsghdr *) out)->nlmsg_len != n / 2) {
		printf("  fixture %s: nlmsg_len %u but %zu bytes\n", path,
		       ((struct nlmsghdr *) out)->nlmsg_len, n / 2);
		goto bad;
	}
	free(text);
	*len = n / 2;
	return out;
bad:
	unit_cur_failed = 1;
	free(text);
	free(out);
	return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* hostile buffers */

static const char *volatile guard_case = "";

static void say(const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t w = write(STDOUT_FILENO, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t) w;
	}
}

static const char *utoa(char buf[12], unsigned v)
{
	char *p = buf + 11;

	*p = '\0';
	do
		*--p = (char) ('0' + v % 10);
	while (v /= 10);
	return p;
}

/* stdout is line-buffered (main): what was printed before the fault is out already. The last
 * line is the runner's "N passed, N failed", counting the test that faulted as failed. */
static void on_segv(int sig)
{
	char buf[12];

	(void) sig;
	if (*guard_case) {
		say("  SIGSEGV: a parser read past the end of the message in case: ");
		say((const char *) guard_case);
	} else {
		say("  SIGSEGV");
	}
	say("\nnot ok - ");
	say(unit_cur);
	say("\n");
	say(utoa(buf, (unsigned) unit_passed));
	say(" passed, ");
	say(utoa(buf, (unsigned) unit_failed + 1));
	say(" failed\n");
	_exit(2);
}

struct guard {
	unsigned char *map;
	size_t maplen;
	unsigned char *msg;
};

/* A copy of the message that ends (4-byte aligned start, at most 3 bytes of slack) right at a
 * PROT_NONE page: reading past it faults, even from code the sanitizers do not instrument
 * (libnl is linked from Debian's static archive). */
static unsigned char *guard_copy(struct guard *g, const void *src, size_t len)
{
	size_t page = (size_t) sysconf(_SC_PAGESIZE);
	size_t room = (len + 3) & ~(size_t) 3;
	size_t data = (room + page - 1) / page * page;

	if (!data)
		data = page;
	g->maplen = data + page;
	g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->map == MAP_FAILED || mprotect(g->map + data, page, PROT_NONE) < 0) {
		printf("  mmap/mprotect: %s\n", strerror(errno));
		abort();
	}
	g->msg = g->map + data - room;
	memcpy(g->msg, src, len);
	/* the slack is not zero: a read past nlmsg_len shows in the values (cf. the malloc copy) */
	memset(g->msg + len, 0xa5, room - len);
	return g->msg;
}

static void guard_free(struct guard *g)
{
	(void) munmap(g->map, g->maplen);
}

struct parsed {
	int r_sys, r_dev, r_port;
	enum rdmadev_netns_mode mode;
	struct rdmadev dev;
	struct rdmadev_port port;
};

static void parse_once(const unsigned char *msg, struct parsed *p)
{
	const struct nlmsghdr *h = (const struct nlmsghdr *) msg;

	memset(p, 0, sizeof(*p));
	p->mode = (enum rdmadev_netns_mode) 77;
	p->r_sys = rdmadev_parse_sys(h, &p->mode);
	p->r_dev = rdmadev_parse_dev(h, &p->dev);
	p->r_port = rdmadev_parse_port(h, &p->port);
}

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/*
 * Runs all three parsers on len bytes of msg whose nlmsg_len is set to len (as libnl hands a
 * message to its callbacks: nlmsg_ok() holds). Checks what must hold for any input: the return
 * codes are 0 or the documented errors, strings are terminated, both copies agree.
 */
static void parse_hostile(const char *what, const void *msg, size_t len, struct parsed *out)
{
	unsigned char *copy = malloc(len ? len : 1);
	struct parsed g;
	struct guard gb;

	if (!copy)
		abort();
	memcpy(copy, msg, len);
	if (len >= sizeof(uint32_t))
		((struct nlmsghdr *) copy)->nlmsg_len = (uint32_t) len;
	guard_case = what;
	parse_once(copy, out);
	parse_once(guard_copy(&gb, copy, len), &g);
	guard_case = "";
	guard_free(&gb);
	free(copy);

	if (out->r_sys != g.r_sys || out->r_dev != g.r_dev || out->r_port != g.r_port ||
	    out->mode != g.mode || memcmp(&out->dev, &g.dev, sizeof(g.dev)) ||
	    memcmp(&out->port, &g.port, sizeof(g.port))) {
		printf("  %s: results depend on the bytes after the message\n", what);
		unit_cur_failed = 1;
	}
	if (!(out->r_sys == 0 || out->r_sys == -EBADMSG || out->r_sys == -EOPNOTSUPP) ||
	    !(out->r_dev == 0 || out->r_dev == -EBADMSG) ||
	    !(out->r_port == 0 || out->r_port == -EBADMSG)) {
		printf("  %s: sys %d dev %d port %d\n", what, out->r_sys, out->r_dev, out->r_port);
		unit_cur_failed = 1;
	}
	if (out->r_sys == 0 && out->mode != RDMADEV_NETNS_SHARED &&
	    out->mode != RDMADEV_NETNS_EXCLUSIVE) {
		printf("  %s: mode %d\n", what, (int) out->mode);
		unit_cur_failed = 1;
	}
	if (!terminated(out->dev.name, sizeof(out->dev.name)) ||
	    !terminated(out->dev.protocol, sizeof(out->dev.protocol)) ||
	    !terminated(out->dev.fw, sizeof(out->dev.fw)) ||
	    !terminated(out->port.dev_name, sizeof(out->port.dev_name)) ||
	    !terminated(out->port.ndev_name, sizeof(out->port.ndev_name))) {
		printf("  %s: unterminated string in a result\n", what);
		unit_cur_failed = 1;
	}
}

/* A message assembled by hand; attributes are appended at NLA_ALIGN offsets and nlmsg_len
 * ends right after the last attribute's payload (no trailing padding: stricter than the kernel). */
struct mbuf {
	unsigned char b[4096];
	size_t len;
};

static void mb_init(struct mbuf *m, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *h = (struct nlmsghdr *) m->b;

	memset(m, 0, sizeof(*m));
	h->nlmsg_len = NLMSG_HDRLEN;
	h->nlmsg_type = type;
	h->nlmsg_flags = flags;
	h->nlmsg_seq = 0x6b0ab8d7;
	m->len = NLMSG_HDRLEN;
}

/* An attribute whose nla_len says declared, with n bytes of payload actually present. */
static void mb_attr_raw(struct mbuf *m, uint16_t type, uint16_t declared, const void *data,
			size_t n)
{
	size_t off = NLA_ALIGN(m->len);
	struct nlattr *a = (struct nlattr *) (m->b + off);

	if (off + NLA_HDRLEN + n > sizeof(m->b))
		abort();
	a->nla_len = declared;
	a->nla_type = type;
	if (n)
		memcpy(m->b + off + NLA_HDRLEN, data, n);
	m->len = off + NLA_HDRLEN + n;
	((struct nlmsghdr *) m->b)->nlmsg_len = (uint32_t) m->len;
}

static void mb_attr(struct mbuf *m, uint16_t type, const void *data, size_t n)
{
	mb_attr_raw(m, type, (uint16_t) (NLA_HDRLEN + n), data, n);
}

static void mb_u32(struct mbuf *m, uint16_t type, uint32_t v)
{
	mb_attr(m, type, &v, sizeof(v));
}

static void mb_u8(struct mbuf *m, uint16_t type, uint8_t v)
{
	mb_attr(m, type, &v, sizeof(v));
}

static void mb_str(struct mbuf *m, uint16_t type, const char *s) /* with its NUL */
{
	mb_attr(m, type, s, strlen(s) + 1);
}

/* ---------------------------------------------------------------------------------------- */
/* the fixtures themselves */

static const char *const all_fixtures[] = {
	"dev_dump.req.hex",
	"dev_dump.reply.1.hex",
	"dev_dump.reply.2.hex",
	"dev_dump.reply.3.hex",
	"dev_set_netns.req.hex",
	"dev_set_netns.reply.hex",
	"dev_show.req.1.hex",
	"dev_show.req.2.hex",
	"dev_show.reply.1.hex",
	"dev_show.reply.2.hex",
	"dev_show.reply.3.hex",
	"dev_show.reply.4.hex",
	"dev_show_rxe0.req.hex",
	"dev_show_rxe0.reply.1.hex",
	"dev_show_rxe0.reply.2.hex",
	"link_show.req.1.hex",
	"link_show.req.2.hex",
	"link_show.reply.1.hex",
	"link_show.reply.2.hex",
	"link_show.reply.3.hex",
	"link_show.reply.4.hex",
	"system_set_netns_exclusive.req.hex",
	"system_set_netns_exclusive.reply.hex",
	"system_set_netns_exclusive_ebusy.req.hex",
	"system_set_netns_exclusive_ebusy.reply.hex",
	"system_show.req.hex",
	"system_show.reply.1.hex",
	"system_show.reply.2.hex",
};

/* Every reply: what the parsers are fed by the truncation and type tests. */
static const char *const all_replies[] = {
	"dev_dump.reply.1.hex",
	"dev_dump.reply.2.hex",
	"dev_dump.reply.3.hex",
	"dev_set_netns.reply.hex",
	"dev_show.reply.1.hex",
	"dev_show.reply.2.hex",
	"dev_show.reply.3.hex",
	"dev_show.reply.4.hex",
	"dev_show_rxe0.reply.1.hex",
	"dev_show_rxe0.reply.2.hex",
	"link_show.reply.1.hex",
	"link_show.reply.2.hex",
	"link_show.reply.3.hex",
	"link_show.reply.4.hex",
	"system_set_netns_exclusive.reply.hex",
	"system_set_netns_exclusive_ebusy.reply.hex",
	"system_show.reply.1.hex",
	"system_show.reply.2.hex",
};

static void test_fixtures_present(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(all_fixtures); i++) {
		size_t len;
		unsigned char *b = fixture(all_fixtures[i], &len);
		const struct nlmsghdr *h = (const struct nlmsghdr *) b;

		if (!b)
			continue;
		/* requests: REQUEST|ACK, port id 0 (README) */
		if (strstr(all_fixtures[i], ".req")) {
			CHECK((h->nlmsg_flags & (NLM_F_REQUEST | NLM_F_ACK)) ==
			      (NLM_F_REQUEST | NLM_F_ACK));
			CHECK_INT(h->nlmsg_pid, 0);
		}
		free(b);
	}
}

/* ---------------------------------------------------------------------------------------- */
/* builders vs the requests of iproute2's rdma tool */

/* What nl_send_auto() does to a message before sending it (netlink_talk uses it): pid, seq,
 * NLM_F_REQUEST, and NLM_F_ACK as the socket has auto-ACK on. */
static void complete_like_send_auto(struct nl_msg *msg)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (!sk)
		abort();
	nl_complete_msg(sk, msg);
	nl_socket_free(sk);
}

/* Attribute list of a message as "type:len=hex ..." for the failure output. */
static void print_attrs(const char *label, const struct nlmsghdr *h)
{
	const struct nlattr *a;
	int rem;

	printf("    %s type 0x%04x flags 0x%04x len %u:", label, h->nlmsg_type, h->nlmsg_flags,
	       h->nlmsg_len);
	nlmsg_for_each_attr(a, h, 0, rem) {
		printf(" %#x[%d]=", nla_type(a), nla_len(a));
		for (int i = 0; i < nla_len(a); i++)
			printf("%02x", ((const unsigned char *) nla_data(a))[i]);
	}
	printf("\n");
}

/* Same type, flags, attributes in the same order with the same bytes; seq and pid differ. */
static void check_same_request(const char *what, const struct nlmsghdr *ours,
			       const struct nlmsghdr *want)
{
	bool same = ours->nlmsg_len == want->nlmsg_len && ours->nlmsg_type == want->nlmsg_type &&
		    ours->nlmsg_flags == want->nlmsg_flags &&
		    !memcmp((const char *) ours + NLMSG_HDRLEN, (const char *) want + NLMSG_HDRLEN,
			    want->nlmsg_len - NLMSG_HDRLEN);

	if (!same) {
		printf("  %s differs from iproute2's request (seq/pid ignored):\n", what);
		print_attrs("ours", ours);
		print_attrs("rdma", want);
		unit_cur_failed = 1;
	}
}

static void test_msg_move_as_rdma_tool(void)
{
	size_t len;
	_cleanup_free_ unsigned char *want = fixture("dev_set_netns.req.hex", &len);
	struct nlattr *tb[ATTR_MAX + 1];
	struct nlmsghdr *wh = (struct nlmsghdr *) want, *h;
	struct nl_msg *msg;
	uint32_t idx, fd;

	if (!want)
		return;
	CHECK_INT(nlmsg_parse(wh, 0, tb, ATTR_MAX, NULL), 0);
	CHECK(tb[RDMA_NLDEV_ATTR_DEV_INDEX] && tb[RDMA_NLDEV_NET_NS_FD]);
	if (!tb[RDMA_NLDEV_ATTR_DEV_INDEX] || !tb[RDMA_NLDEV_NET_NS_FD])
		return;
	idx = nla_get_u32(tb[RDMA_NLDEV_ATTR_DEV_INDEX]);
	fd = nla_get_u32(tb[RDMA_NLDEV_NET_NS_FD]);
	CHECK_INT(idx, 0); /* rxe0 */
	CHECK_INT(fd, 4);  /* the fd rdma opened on /run/netns/ns1 */

	msg = rdmadev_msg_move(idx, (int) fd);
	CHECK(msg != NULL);
	if (!msg)
		return;
	h = nlmsg_hdr(msg);
	CHECK_INT(h->nlmsg_flags, 0); /* REQUEST|ACK come from nl_send_auto */
	complete_like_send_auto(msg);
	CHECK_INT(h->nlmsg_type, NLDEV(RDMA_NLDEV_CMD_SET));
	CHECK_INT(h->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	check_same_request("rdmadev_msg_move", h, wh);
	nlmsg_free(msg);

	/* other values land in the same places */
	msg = rdmadev_msg_move(7, 123);
	CHECK(msg != NULL);
	if (!msg)
		return;
	CHECK_INT(nlmsg_parse(nlmsg_hdr(msg), 0, tb, ATTR_MAX, NULL), 0);
	CHECK(tb[RDMA_NLDEV_ATTR_DEV_INDEX] && nla_len(tb[RDMA_NLDEV_ATTR_DEV_INDEX]) == 4 &&
	      nla_get_u32(tb[RDMA_NLDEV_ATTR_DEV_INDEX]) == 7);
	CHECK(tb[RDMA_NLDEV_NET_NS_FD] && nla_len(tb[RDMA_NLDEV_NET_NS_FD]) == 4 &&
	      nla_get_u32(tb[RDMA_NLDEV_NET_NS_FD]) == 123);
	CHECK_INT(nlmsg_hdr(msg)->nlmsg_len, len);
	nlmsg_free(msg);
}

static void test_msg_sys_get_as_rdma_tool(void)
{
	size_t len;
	_cleanup_free_ unsigned char *want = fixture("system_show.req.hex", &len);
	struct nl_msg *msg = rdmadev_msg_sys_get();

	CHECK(msg != NULL);
	if (want && msg) {
		CHECK_INT(nlmsg_hdr(msg)->nlmsg_flags, 0);
		complete_like_send_auto(msg);
		CHECK_INT(nlmsg_hdr(msg)->nlmsg_type, NLDEV(RDMA_NLDEV_CMD_SYS_GET));
		check_same_request("rdmadev_msg_sys_get", nlmsg_hdr(msg), (struct nlmsghdr *) want);
	}
	if (msg)
		nlmsg_free(msg);
}

static void test_msg_dev_dump_as_rdma_tool(void)
{
	size_t len;
	_cleanup_free_ unsigned char *want = fixture("dev_dump.req.hex", &len);
	struct nl_msg *msg = rdmadev_msg_dev_dump();

	CHECK(msg != NULL);
	if (want && msg) {
		CHECK_INT(nlmsg_hdr(msg)->nlmsg_flags, NLM_F_DUMP);
		complete_like_send_auto(msg);
		CHECK_INT(nlmsg_hdr(msg)->nlmsg_type, NLDEV(RDMA_NLDEV_CMD_GET));
		CHECK_INT(nlmsg_hdr(msg)->nlmsg_flags, 0x0305); /* README */
		check_same_request("rdmadev_msg_dev_dump", nlmsg_hdr(msg),
				   (struct nlmsghdr *) want);
	}
	if (msg)
		nlmsg_free(msg);
}

/*
 * `rdma link show` asks for one port at a time: PORT_GET without NLM_F_DUMP, with DEV_INDEX and
 * PORT_INDEX. We dump all ports of a device instead (PORT_GET|NLM_F_DUMP with DEV_INDEX only;
 * the kernel's dumpit requires DEV_INDEX). So: same type, same DEV_INDEX, flags differ by
 * exactly NLM_F_DUMP, no PORT_INDEX.
 */
static void test_msg_port_dump_vs_rdma_tool(void)
{
	static const char *const reqs[] = { "link_show.req.1.hex", "link_show.req.2.hex" };

	for (size_t i = 0; i < ARRAY_SIZE(reqs); i++) {
		size_t len;
		_cleanup_free_ unsigned char *want = fixture(reqs[i], &len);
		struct nlattr *tw[ATTR_MAX + 1], *to[ATTR_MAX + 1];
		struct nlmsghdr *wh = (struct nlmsghdr *) want, *h;
		const struct nlattr *a;
		struct nl_msg *msg;
		int rem, n = 0;

		if (!want)
			continue;
		CHECK_INT(nlmsg_parse(wh, 0, tw, ATTR_MAX, NULL), 0);
		if (!tw[RDMA_NLDEV_ATTR_DEV_INDEX]) {
			CHECK(0);
			continue;
		}
		CHECK_INT(nla_get_u32(tw[RDMA_NLDEV_ATTR_DEV_INDEX]), i);
		CHECK(tw[RDMA_NLDEV_ATTR_PORT_INDEX] &&
		      nla_get_u32(tw[RDMA_NLDEV_ATTR_PORT_INDEX]) == 1);

		msg = rdmadev_msg_port_dump(nla_get_u32(tw[RDMA_NLDEV_ATTR_DEV_INDEX]));
		CHECK(msg != NULL);
		if (!msg)
			continue;
		complete_like_send_auto(msg);
		h = nlmsg_hdr(msg);
		CHECK_INT(h->nlmsg_type, wh->nlmsg_type);
		CHECK_INT(h->nlmsg_type, NLDEV(RDMA_NLDEV_CMD_PORT_GET));
		/* the intended difference: a per-device dump instead of a per-port GET */
		CHECK_INT(h->nlmsg_flags, wh->nlmsg_flags | NLM_F_DUMP);
		CHECK_INT(nlmsg_parse(h, 0, to, ATTR_MAX, NULL), 0);
		CHECK(to[RDMA_NLDEV_ATTR_DEV_INDEX] && nla_len(to[RDMA_NLDEV_ATTR_DEV_INDEX]) == 4);
		if (to[RDMA_NLDEV_ATTR_DEV_INDEX])
			CHECK(!memcmp(to[RDMA_NLDEV_ATTR_DEV_INDEX], tw[RDMA_NLDEV_ATTR_DEV_INDEX],
				      NLA_HDRLEN + 4));
		nlmsg_for_each_attr(a, h, 0, rem)
			n++;
		CHECK_INT(n, 1); /* DEV_INDEX only */
		CHECK_INT(h->nlmsg_len, NLMSG_HDRLEN + NLA_HDRLEN + 4);
		nlmsg_free(msg);
	}
}

/* ---------------------------------------------------------------------------------------- */
/* parsers on the kernel's replies */

static void test_parse_sys_capture(void)
{
	size_t len;
	_cleanup_free_ unsigned char *b = fixture("system_show.reply.1.hex", &len);
	struct nlattr *tb[0x7ff + 1];
	enum rdmadev_netns_mode mode = RDMADEV_NETNS_EXCLUSIVE;

	if (!b)
		return;
	CHECK_INT(rdmadev_parse_sys((struct nlmsghdr *) b, &mode), 0);
	CHECK_INT(mode, RDMADEV_NETNS_SHARED);
	/* the capture does carry attribute 0x60, unknown to the 6.1 uapi header (README) */
	CHECK_INT(nlmsg_parse((struct nlmsghdr *) b, 0, tb, 0x7ff, NULL), 0);
	CHECK(tb[0x60] != NULL);
	CHECK(tb[RDMA_NLDEV_SYS_ATTR_COPY_ON_FORK] != NULL);
}

static void test_parse_sys_synthetic(void)
{
	enum rdmadev_netns_mode mode;
	struct parsed p;
	struct mbuf m;

	/* exclusive */
	mb_init(&m, NLDEV(RDMA_NLDEV_CMD_SYS_GET), 0);
	mb_u8(&m, RDMA_NLDEV_SYS_ATTR_NETNS_MODE, 0);
	mode = RDMADEV_NETNS_SHARED;
	CHECK_INT(rdmadev_parse_sys((struct nlmsghdr *) m.b, &mode), 0);
	CHECK_INT(mode, RDMADEV_NETNS_EXCLUSIVE);

	/* unknown attributes before and after the mode, a newer kernel's or a future one's */
	mb_init(&m, NLDEV(RDMA_NLDEV_CMD_SYS_GET), 0);
	mb_u8(&m, 0x60, 0);
	mb_u32(&m, 0x3ff, 0xdeadbeef);
	mb_str(&m, 0x1fff, "from the future");
	mb_u8(&m, RDMA_NLDEV_SYS_ATTR_NETNS_MODE, 1);
	mb_u8(&m, 0x61, 1);
	mb_attr(&m, 0x7fff, "x", 1);
	parse_hostile("sys with unknown attributes", m.b, m.len, &p);
	CHECK_INT(p.r_sys, 0);
	CHECK_INT(p.mode, RDMADEV_NETNS_SHARED);

	/* a kernel without netns modes: the attribute is missing */
	mb_init(&m, NLDEV(RDMA_NLDEV_CMD_SYS_GET), 0);
	mb_u8(&m, RDMA_NLDEV_SYS_ATTR_COPY_ON_FORK, 1);
	parse_hostile("sys without mode", m.b, m.len, &p);
	CHECK_INT(p.r_sys, -EOPNOTSUPP);
}

struct dev_want {
	const char *file;
	unsigned index;
	const char *name;
	uint64_t guid;
	const char *guid_str; /* as `rdma dev` prints it */
};

/* node GUIDs are EUI-64s of the netdevs' MACs: veth0's random 7a:70:93:0c:32:ea and qemu's
 * default 52:54:00:12:34:56 of eth0 */
static const struct dev_want devs[] = {
	{ "dev_dump.reply.1.hex", 0, "rxe0", 0x787093fffe0c32eaULL, "7870:93ff:fe0c:32ea" },
	{ "dev_dump.reply.2.hex", 1, "rxe1", 0x505400fffe123456ULL, "5054:00ff:fe12:3456" },
	{ "dev_show.reply.1.hex", 0, "rxe0", 0x787093fffe0c32eaULL, "7870:93ff:fe0c:32ea" },
	{ "dev_show.reply.3.hex", 1, "rxe1", 0x505400fffe123456ULL, "5054:00ff:fe12:3456" },
	{ "dev_show_rxe0.reply.1.hex", 0, "rxe0", 0x787093fffe0c32eaULL, "7870:93ff:fe0c:32ea" },
};

static void test_parse_dev_capture(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(devs); i++) {
		size_t len;
		_cleanup_free_ unsigned char *b = fixture(devs[i].file, &len);
		struct rdmadev d;
		char guid[32];
		int r;

		if (!b)
			continue;
		memset(&d, 0xa5, sizeof(d));
		r = rdmadev_parse_dev((struct nlmsghdr *) b, &d);
		CHECK_INT(r, 0);
		if (r < 0)
			continue;
		CHECK_INT(d.index, devs[i].index);
		CHECK_STR(d.name, devs[i].name);
		CHECK_INT(d.n_ports, 1);
		CHECK_INT(d.node_type, RDMA_NODE_IB_CA);
		CHECK_STR(d.protocol, "roce");
		CHECK_STR(d.fw, ""); /* rxe reports no firmware */
		CHECK(d.node_guid == devs[i].guid);
		(void) snprintf(guid, sizeof(guid), "%04x:%04x:%04x:%04x",
				(unsigned) (d.node_guid >> 48) & 0xffff,
				(unsigned) (d.node_guid >> 32) & 0xffff,
				(unsigned) (d.node_guid >> 16) & 0xffff,
				(unsigned) d.node_guid & 0xffff);
		CHECK_STR(guid, devs[i].guid_str);
	}
}

struct port_want {
	const char *file;
	unsigned dev_index;
	const char *dev_name;
	int ndev_index;
	const char *ndev_name;
};

static const struct port_want ports[] = {
	{ "link_show.reply.1.hex", 0, "rxe0", 4, "veth0" },
	{ "link_show.reply.3.hex", 1, "rxe1", 2, "eth0" },
};

static void check_port(const struct rdmadev_port *p, const struct port_want *w)
{
	CHECK_INT(p->dev_index, w->dev_index);
	CHECK_STR(p->dev_name, w->dev_name);
	CHECK_INT(p->port, 1);
	CHECK(p->has_ndev_attr);
	CHECK_INT(p->ndev_index, w->ndev_index);
	CHECK_STR(p->ndev_name, w->ndev_name);
	CHECK_INT(p->state, 4);      /* IB_PORT_ACTIVE */
	CHECK_INT(p->phys_state, 5); /* LinkUp */
}

/*
 * A single PORT_GET is answered with type ...CMD_GET (what the capture shows); a dump with
 * ...CMD_PORT_GET and NLM_F_MULTI (the kernel's nldev_port_get_dumpit), which is what we ask
 * for. The dump form is the capture with its type and flags rewritten.
 */
static void test_parse_port_capture(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(ports); i++) {
		size_t len;
		_cleanup_free_ unsigned char *b = fixture(ports[i].file, &len);
		struct nlmsghdr *h = (struct nlmsghdr *) b;
		struct rdmadev_port p;
		int r;

		if (!b)
			continue;
		CHECK_INT(h->nlmsg_type, NLDEV(RDMA_NLDEV_CMD_GET));
		memset(&p, 0xa5, sizeof(p));
		r = rdmadev_parse_port(h, &p);
		CHECK_INT(r, 0);
		if (r == 0)
			check_port(&p, &ports[i]);

		h->nlmsg_type = NLDEV(RDMA_NLDEV_CMD_PORT_GET);
		h->nlmsg_flags = NLM_F_MULTI;
		memset(&p, 0xa5, sizeof(p));
		r = rdmadev_parse_port(h, &p);
		CHECK_INT(r, 0);
		if (r == 0)
			check_port(&p, &ports[i]);
	}
}

/* The kernel leaves NDEV_* out when the netdev is in another netns than the socket. */
static void test_parse_port_without_netdev(void)
{
	size_t len;
	_cleanup_free_ unsigned char *b = fixture("link_show.reply.1.hex", &len);
	struct nlmsghdr *h = (struct nlmsghdr *) b;
	const struct nlattr *a;
	struct mbuf m;
	struct parsed p;
	int rem;

	if (!b)
		return;
	mb_init(&m, NLDEV(RDMA_NLDEV_CMD_PORT_GET), NLM_F_MULTI);
	nlmsg_for_each_attr(a, h, 0, rem) {
		if (nla_type(a) != RDMA_NLDEV_ATTR_NDEV_INDEX &&
		    nla_type(a) != RDMA_NLDEV_ATTR_NDEV_NAME)
			mb_attr(&m, (uint16_t) nla_type(a), nla_data(a), (size_t) nla_len(a));
	}
	parse_hostile("port without NDEV_*", m.b, m.len, &p);
	CHECK_INT(p.r_port, 0);
	CHECK_INT(p.port.dev_index, 0);
	CHECK_STR(p.port.dev_name, "rxe0");
	CHECK_INT(p.port.port, 1);
	CHECK(!p.port.has_ndev_attr);
	CHECK_INT(p.port.ndev_index, 0);
	CHECK_STR(p.port.ndev_name, "");
	CHECK_INT(p.port.state, 4);
	CHECK_INT(p.port.phys_state, 5);
}

/* NLMSG_ERROR decoded by hand: the kernel's answer to a netns move in shared mode etc. */
static int decode_err(const unsigned char *b, size_t len, struct nlmsgerr *e)
{
	const struct nlmsghdr *h = (const struct nlmsghdr *) b;

	if (len < NLMSG_HDRLEN + sizeof(*e) || h->nlmsg_type != NLMSG_ERROR)
		return -EBADMSG;
	memcpy(e, b + NLMSG_HDRLEN, sizeof(*e));
	return 0;
}

struct err_want {
	const char *reply, *req;
	int error;
};

static const struct err_want errs[] = {
	/* `rdma dev set rxe0 netns ns1` while the RDMA netns mode is shared */
	{ "dev_set_netns.reply.hex", "dev_set_netns.req.hex", -EOPNOTSUPP },
	/* `rdma system set netns exclusive` while a netns (ns1) exists */
	{ "system_set_netns_exclusive_ebusy.reply.hex", "system_set_netns_exclusive_ebusy.req.hex",
	  -EBUSY },
	/* the same with no other netns: a plain ACK */
	{ "system_set_netns_exclusive.reply.hex", "system_set_netns_exclusive.req.hex", 0 },
	{ "dev_show_rxe0.reply.2.hex", "dev_show_rxe0.req.hex", 0 },
	{ "link_show.reply.2.hex", "link_show.req.1.hex", 0 },
	{ "link_show.reply.4.hex", "link_show.req.2.hex", 0 },
	{ "system_show.reply.2.hex", "system_show.req.hex", 0 },
};

static void test_error_replies(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(errs); i++) {
		size_t len, qlen;
		_cleanup_free_ unsigned char *b = fixture(errs[i].reply, &len);
		_cleanup_free_ unsigned char *q = fixture(errs[i].req, &qlen);
		const struct nlmsghdr *h = (const struct nlmsghdr *) b;
		struct nlmsgerr e;
		struct parsed p;

		if (!b || !q)
			continue;
		CHECK_INT(decode_err(b, len, &e), 0);
		CHECK_INT(e.error, errs[i].error);
		/* 36 bytes: NLM_F_CAPPED (NETLINK_CAP_ACK), the request's header only, no extack */
		CHECK_INT(len, NLMSG_HDRLEN + sizeof(e));
		CHECK_INT(h->nlmsg_flags, NLM_F_CAPPED);
		CHECK(!(h->nlmsg_flags & NLM_F_ACK_TLVS));
		CHECK_INT(h->nlmsg_seq, ((const struct nlmsghdr *) q)->nlmsg_seq);
		CHECK_INT(e.msg.nlmsg_type, ((const struct nlmsghdr *) q)->nlmsg_type);
		CHECK_INT(e.msg.nlmsg_flags, ((const struct nlmsghdr *) q)->nlmsg_flags);
		CHECK_INT(e.msg.nlmsg_len, ((const struct nlmsghdr *) q)->nlmsg_len);
		CHECK_INT(e.msg.nlmsg_seq, ((const struct nlmsghdr *) q)->nlmsg_seq);
		/* none of the parsers takes an error for data */
		parse_hostile(errs[i].reply, b, len, &p);
		CHECK_INT(p.r_sys, -EBADMSG);
		CHECK_INT(p.r_dev, -EBADMSG);
		CHECK_INT(p.r_port, -EBADMSG);
	}
}

static void test_done_reply(void)
{
	size_t len;
	_cleanup_free_ unsigned char *b = fixture("dev_dump.reply.3.hex", &len);
	struct parsed p;

	if (!b)
		return;
	CHECK_INT(((struct nlmsghdr *) b)->nlmsg_type, NLMSG_DONE);
	CHECK_INT(len, 20);
	parse_hostile("NLMSG_DONE", b, len, &p);
	CHECK_INT(p.r_sys, -EBADMSG);
	CHECK_INT(p.r_dev, -EBADMSG);
	CHECK_INT(p.r_port, -EBADMSG);
}

/* ---------------------------------------------------------------------------------------- */
/* robustness */

/* Where an attribute of the full message ends (offset + nla_len); 0 when absent. */
static size_t attr_end(const unsigned char *b, int type)
{
	const struct nlmsghdr *h = (const struct nlmsghdr *) b;
	const struct nlattr *a;
	int rem;

	nlmsg_for_each_attr(a, h, 0, rem) {
		if (nla_type(a) == type)
			return (size_t) ((const unsigned char *) a - b) + a->nla_len;
	}
	return 0;
}

static bool has(const unsigned char *b, size_t cut, int type)
{
	size_t e = attr_end(b, type);

	return e && cut >= e;
}

#define KEEP(attr, field)                                                        \
	do {                                                                     \
		if (has(b, cut, attr))                                           \
			memcpy(&want->field, &full->field, sizeof(want->field)); \
	} while (0)

/*
 * What the parsers must report for the first cut bytes of message b, given what they report
 * for all of it: the values of the attributes the prefix holds entirely, nothing of the others
 * (the fields of a successful parse are zero unless set: parse_once and the parsers memset).
 */
static void expect_cut(const unsigned char *b, size_t cut, const struct parsed *full,
		       struct parsed *want)
{
	uint16_t type = ((const struct nlmsghdr *) b)->nlmsg_type;

	memset(want, 0, sizeof(*want));
	want->r_sys = want->r_dev = want->r_port = -EBADMSG;
	if (type == NLDEV(RDMA_NLDEV_CMD_SYS_GET)) {
		want->r_sys = has(b, cut, RDMA_NLDEV_SYS_ATTR_NETNS_MODE) ? 0 : -EOPNOTSUPP;
		want->mode = full->mode;
	}
	if (type != NLDEV(RDMA_NLDEV_CMD_GET))
		return;
	/* device replies and single-port replies share this type: both parsers may take it */
	if (has(b, cut, RDMA_NLDEV_ATTR_DEV_INDEX) && has(b, cut, RDMA_NLDEV_ATTR_DEV_NAME)) {
		want->r_dev = 0;
		want->dev.index = full->dev.index;
		memcpy(want->dev.name, full->dev.name, sizeof(want->dev.name));
		KEEP(RDMA_NLDEV_ATTR_PORT_INDEX, dev.n_ports);
		KEEP(RDMA_NLDEV_ATTR_DEV_NODE_TYPE, dev.node_type);
		KEEP(RDMA_NLDEV_ATTR_DEV_PROTOCOL, dev.protocol);
		KEEP(RDMA_NLDEV_ATTR_FW_VERSION, dev.fw);
		KEEP(RDMA_NLDEV_ATTR_NODE_GUID, dev.node_guid);
	}
	if (has(b, cut, RDMA_NLDEV_ATTR_DEV_INDEX) && has(b, cut, RDMA_NLDEV_ATTR_PORT_INDEX)) {
		want->r_port = 0;
		want->port.dev_index = full->port.dev_index;
		want->port.port = full->port.port;
		KEEP(RDMA_NLDEV_ATTR_DEV_NAME, port.dev_name);
		KEEP(RDMA_NLDEV_ATTR_NDEV_INDEX, port.ndev_index);
		KEEP(RDMA_NLDEV_ATTR_NDEV_INDEX, port.has_ndev_attr);
		KEEP(RDMA_NLDEV_ATTR_NDEV_NAME, port.ndev_name);
		KEEP(RDMA_NLDEV_ATTR_PORT_STATE, port.state);
		KEEP(RDMA_NLDEV_ATTR_PORT_PHYS_STATE, port.phys_state);
	}
}
#undef KEEP

/*
 * Every prefix of every reply, with nlmsg_len saying the prefix length (libnl only hands over
 * messages whose nlmsg_len fits the datagram). An attribute is there exactly when the prefix
 * holds all of it; the parsers must report what is there and nothing else.
 */
static void test_truncated_replies(void)
{
	unsigned n_cases = 0;

	for (size_t i = 0; i < ARRAY_SIZE(all_replies); i++) {
		size_t len;
		_cleanup_free_ unsigned char *b = fixture(all_replies[i], &len);
		const struct nlmsghdr *h = (const struct nlmsghdr *) b;
		struct parsed full;
		char what[128];

		if (!b)
			continue;
		parse_once(b, &full);
		if (h->nlmsg_type == NLDEV(RDMA_NLDEV_CMD_GET) && (full.r_dev || full.r_port))
			CHECK(0); /* the whole message must parse for the prefixes to mean anything
				   */
		/* a header whose nlmsg_len is shorter than a header */
		for (size_t cut = 0; cut < NLMSG_HDRLEN; cut++) {
			unsigned char hdr[NLMSG_HDRLEN];
			struct parsed p;

			memcpy(hdr, b, sizeof(hdr));
			((struct nlmsghdr *) hdr)->nlmsg_len = (uint32_t) cut;
			(void) snprintf(what, sizeof(what), "%s nlmsg_len %zu", all_replies[i],
					cut);
			guard_case = what;
			parse_once(hdr, &p);
			guard_case = "";
			if (p.r_sys != -EBADMSG || p.r_dev != -EBADMSG || p.r_port != -EBADMSG) {
				printf("  %s: sys %d dev %d port %d\n", what, p.r_sys, p.r_dev,
				       p.r_port);
				unit_cur_failed = 1;
			}
			n_cases++;
		}
		for (size_t cut = NLMSG_HDRLEN; cut <= len; cut++) {
			struct parsed p, want;

			(void) snprintf(what, sizeof(what), "%s cut to %zu", all_replies[i], cut);
			parse_hostile(what, b, cut, &p);
			expect_cut(b, cut, &full, &want);
			n_cases++;
			if (p.r_sys != want.r_sys || p.r_dev != want.r_dev ||
			    p.r_port != want.r_port || (!p.r_sys && p.mode != want.mode) ||
			    (!p.r_dev && memcmp(&p.dev, &want.dev, sizeof(p.dev))) ||
			    (!p.r_port && memcmp(&p.port, &want.port, sizeof(p.port)))) {
				printf("  %s: sys %d dev %d ('%s' ports %u type %u "
				       "guid %llx proto '%s') "
				       "port %d (%u/%u '%s' ndev %d/%d '%s' state %u/%u)\n",
				       what, p.r_sys, p.r_dev, p.dev.name, p.dev.n_ports,
				       p.dev.node_type, (unsigned long long) p.dev.node_guid,
				       p.dev.protocol, p.r_port, p.port.dev_index, p.port.port,
				       p.port.dev_name, p.port.has_ndev_attr, p.port.ndev_index,
				       p.port.ndev_name, p.port.state, p.port.phys_state);
				unit_cur_failed = 1;
			}
		}
	}
	CHECK(n_cases > 1000);
}

/* Every nlmsg_type but the ones a parser is meant for: -EBADMSG. */
static void test_wrong_type(void)
{
	static const char *const files[] = { "system_show.reply.1.hex", "dev_dump.reply.1.hex",
					     "link_show.reply.1.hex" };
	unsigned bad = 0;

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		size_t len;
		_cleanup_free_ unsigned char *b = fixture(files[i], &len);
		struct nlmsghdr *h = (struct nlmsghdr *) b;

		if (!b)
			continue;
		for (unsigned t = 0; t <= 0xffff; t++) {
			struct parsed p;
			int sys_want = t == NLDEV(RDMA_NLDEV_CMD_SYS_GET) ? 0 : -EBADMSG;
			int dev_want = -EBADMSG, port_want = -EBADMSG;

			h->nlmsg_type = (uint16_t) t;
			parse_once(b, &p);
			if (sys_want == 0 && strcmp(files[i], "system_show.reply.1.hex"))
				sys_want = -EOPNOTSUPP; /* the right type, but no mode in it */
			if (t == NLDEV(RDMA_NLDEV_CMD_GET) &&
			    strcmp(files[i], "system_show.reply.1.hex"))
				dev_want = port_want = 0;
			/* a device message has DEV_INDEX and PORT_INDEX too */
			if (t == NLDEV(RDMA_NLDEV_CMD_PORT_GET) &&
			    strcmp(files[i], "system_show.reply.1.hex"))
				port_want = 0;
			if (p.r_sys != sys_want || p.r_dev != dev_want || p.r_port != port_want) {
				if (bad++ < 10)
					printf("  %s as type 0x%04x: sys %d dev %d port %d\n",
					       files[i], t, p.r_sys, p.r_dev, p.r_port);
				unit_cur_failed = 1;
			}
		}
	}
	if (bad)
		printf("  %u wrong-type cases misparsed\n", bad);
}

/* Fixed-size attributes shorter than their type, each placed last so a full-width read would
 * run past the end of the message. Required ones fail the message, optional ones read as 0. */
static void test_short_attributes(void)
{
	static const unsigned char junk[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
	struct parsed p;
	struct mbuf m;
	char what[96];

	for (size_t n = 0; n < 4; n++) {
		(void) snprintf(what, sizeof(what), "dev DEV_INDEX of %zu bytes", n);
		mb_init(&m, NLDEV(RDMA_NLDEV_CMD_GET), 0);
		mb_str(&m, RDMA_NLDEV_ATTR_DEV_NAME, "rxe0");
		mb_attr(&m, RDMA_NLDEV_ATTR_DEV_INDEX, junk, n);
		parse_hostile(what, m.b, m.len, &p);
		CHECK_INT(p.r_dev, -EBADMSG);

		(void) snprintf(what, sizeof(what), "port DEV_INDEX of %zu bytes", n);
		mb_init(&m, NLDEV(RDMA_NLDEV_CMD_PORT_GET), NLM_F_MULTI);
		mb_u32(&m, RDMA_NLDEV_ATTR_PORT_INDEX, 1);
		mb_attr(&m, RDMA_NLDEV_ATTR_DEV_INDEX, junk, n);
		parse_hostile(what, m.b, m.len, &p);
		CHECK_INT(p.r_port, -EBADMSG);

		(void) snprintf(what, sizeof(what), "port PORT_INDEX of %zu bytes", n);
		mb_init(&m, NLDEV(RDMA_NLDEV_CMD_PORT_GET), NLM_F_MULTI);
		mb_u32(&m, RDMA_NLDEV_ATTR_DEV_INDEX, 0);
		mb_attr(&m, RDMA_NLDEV_ATTR_PORT_INDEX, junk, n);
		parse_hostile(what, m.b, m.len, &p);
		CHECK_INT(p.r_port, -EBADMSG);

		(void) snprintf(what, sizeof(what), "dev PORT_INDEX of %zu bytes", n);
		mb_init(&m, NLDEV(RDMA_NLDEV_CMD_GET), 0);
		mb_u32(&m, RDMA_NLDEV_ATTR_DEV_INDEX, 3);
		mb_str(&m, RDMA_NLDEV_ATTR_DEV_NAME, "rxe3");
		mb_attr(&m, RDMA_NLDEV_ATTR_PORT_INDEX, junk, n);
		parse_hostile(what, m.b, m.len, &p);
		CHECK_INT(p.r_dev, 0);
		CHECK_INT(p.dev.index, 3);
		CHECK_STR(p.dev.name, "rxe3");
		CHECK_INT(p.dev.n_ports, 0);

		(void) snprintf(what, sizeof(what), "port NDEV_INDEX of %zu bytes", n);
		mb_init(&m, NLDEV(RDMA_NLDEV_CMD_PORT_GET), NLM_F_MULTI);
		mb_u32(&m, RDMA_NLDEV_ATTR_DEV_INDEX, 0);
		mb_u32(&m, RDMA_NLDEV_ATTR_PORT_INDEX, 1);
		mb_attr(&m, RDMA_NLDEV_ATTR_NDEV_INDEX, junk, n);
		parse_hostile(what, m.b, m.len, &p);
		CHECK_INT(p.r_port, 0);
		CHECK(!p.port.has_ndev_attr);
		CHECK_INT(p.port.ndev_index, 0);
	}
	for (size_t n = 0; n < 8; n++) {
		(void) snprintf(what, sizeof(what), "dev NODE_GUID of %zu bytes", n);
		mb_init(&m, NLDEV(RDMA_NLDEV_CMD_GET), 0);
		mb_u32(&m, RDMA_NLDEV_ATTR_DEV_INDEX, 0);
		mb_str(&m, RDMA_NLDEV_ATTR_DEV_NAME, "rxe0");
		mb_attr(&m, RDMA_NLDEV_ATTR_NODE_GUID, junk, n);
		parse_hostile(what, m.b, m.len, &p);
		CHECK_INT(p.r_dev, 0);
		CHECK(p.dev.node_guid == 0);
	}
	/* u8 attributes with no payload */
	mb_init(&m, NLDEV(RDMA_NLDEV_CMD_GET), 0);
	mb_u32(&m, RDMA_NLDEV_ATTR_DEV_INDEX, 0);
	mb_str(&m, RDMA_NLDEV_ATTR_DEV_NAME, "rxe0");
	mb_attr(&m, RDMA_NLDEV_ATTR_DEV_NODE_TYPE, junk, 0);
	parse_hostile("dev NODE_TYPE of 0 bytes", m.b, m.len, &p);
	CHECK_INT(p.r_dev, 0);
	CHECK_INT(p.dev.node_type, 0);

	mb_init(&m, NLDEV(RDMA_NLDEV_CMD_PORT_GET), NLM_F_MULTI);
	mb_u32(&m, RDMA_NLDEV_ATTR_DEV_INDEX, 0);
	mb_u32(&m, RDMA_NLDEV_ATTR_PORT_INDEX, 1);
	mb_attr(&m, RDMA_NLDEV_ATTR_PORT_PHYS_STATE, junk, 0);
	mb_attr(&m, RDMA_NLDEV_ATTR_PORT_STATE, junk, 0);
	parse_hostile("port STATE of 0 bytes", m.b, m.len, &p);
	CHECK_INT(p.r_port, 0);
	CHECK_INT(p.port.state, 0);
	CHECK_INT(p.port.phys_state, 0);

	mb_init(&m, NLDEV(RDMA_NLDEV_CMD_SYS_GET), 0);
	mb_attr(&m, RDMA_NLDEV_SYS_ATTR_NETNS_MODE, junk, 0);
	parse_hostile("sys NETNS_MODE of 0 bytes", m.b, m.len, &p);
	CHECK_INT(p.r_sys, -EOPNOTSUPP);

	/* empty strings */
	mb_init(&m, NLDEV(RDMA_NLDEV_CMD_GET), 0);
	mb_u32(&m, RDMA_NLDEV_ATTR_DEV_INDEX, 0);
	mb_attr(&m, RDMA_NLDEV_ATTR_DEV_NAME, "", 0);
	parse_hostile("dev DEV_NAME of 0 bytes", m.b, m.len, &p);
	CHECK_INT(p.r_dev, -EBADMSG);
	mb_init(&m, NLDEV(RDMA_NLDEV_CMD_GET), 0);
	mb_u32(&m, RDMA_NLDEV_ATTR_DEV_INDEX, 0);
	mb_str(&m, RDMA_NLDEV_ATTR_DEV_NAME, "");
	parse_hostile("dev DEV_NAME \"\"", m.b, m.len, &p);
	CHECK_INT(p.r_dev, -EBADMSG);
	mb_init(&m, NLDEV(RDMA_NLDEV_CMD_GET), 0);
	mb_u32(&m, RDMA_NLDEV_ATTR_DEV_INDEX, 0);
	parse_hostile("dev without DEV_NAME", m.b, m.len, &p);
	CHECK_INT(p.r_dev, -EBADMSG);
}

/* Strings without their NUL, placed last: read up to the attribute's end, not past it. */
static void test_unterminated_names(void)
{
	static const char *const names[] = { "r", "rx", "rxe", "rxe9", "mlx5_0", "irdma-e810" };
	struct parsed p;
	struct mbuf m;
	char what[96];

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		size_t n = strlen(names[i]);

		(void) snprintf(what, sizeof(what), "DEV_NAME '%s' without NUL", names[i]);
		mb_init(&m, NLDEV(RDMA_NLDEV_CMD_GET), 0);
		mb_u32(&m, RDMA_NLDEV_ATTR_DEV_INDEX, 5);
		mb_attr(&m, RDMA_NLDEV_ATTR_DEV_NAME, names[i], n);
		parse_hostile(what, m.b, m.len, &p);
		CHECK_INT(p.r_dev, 0);
		CHECK_STR(p.dev.name, names[i]);
		CHECK_INT(p.r_port, -EBADMSG); /* no PORT_INDEX */

		(void) snprintf(what, sizeof(what), "PROTOCOL '%s' without NUL", names[i]);
		mb_init(&m, NLDEV(RDMA_NLDEV_CMD_GET), 0);
		mb_u32(&m, RDMA_NLDEV_ATTR_DEV_INDEX, 5);
		mb_str(&m, RDMA_NLDEV_ATTR_DEV_NAME, "rxe5");
		mb_attr(&m, RDMA_NLDEV_ATTR_DEV_PROTOCOL, names[i], n);
		parse_hostile(what, m.b, m.len, &p);
		CHECK_INT(p.r_dev, 0);
		CHECK_STR(p.dev.protocol, names[i]);

		(void) snprintf(what, sizeof(what), "port names '%s' without NUL", names[i]);
		mb_init(&m, NLDEV(RDMA_NLDEV_CMD_PORT_GET), NLM_F_MULTI);
		mb_u32(&m, RDMA_NLDEV_ATTR_DEV_INDEX, 5);
		mb_u32(&m, RDMA_NLDEV_ATTR_PORT_INDEX, 2);
		mb_attr(&m, RDMA_NLDEV_ATTR_DEV_NAME, names[i], n);
		mb_u32(&m, RDMA_NLDEV_ATTR_NDEV_INDEX, 9);
		mb_attr(&m, RDMA_NLDEV_ATTR_NDEV_NAME, names[i], n);
		parse_hostile(what, m.b, m.len, &p);
		CHECK_INT(p.r_port, 0);
		CHECK_STR(p.port.dev_name, names[i]);
		CHECK_STR(p.port.ndev_name, names[i]);
		CHECK_INT(p.port.ndev_index, 9);
	}
	/* an embedded NUL ends the string */
	mb_init(&m, NLDEV(RDMA_NLDEV_CMD_GET), 0);
	mb_u32(&m, RDMA_NLDEV_ATTR_DEV_INDEX, 0);
	mb_attr(&m, RDMA_NLDEV_ATTR_DEV_NAME, "rx\0e0", 5);
	parse_hostile("DEV_NAME with an embedded NUL", m.b, m.len, &p);
	CHECK_INT(p.r_dev, 0);
	CHECK_STR(p.dev.name, "rx");
}

/* ok: -EBADMSG, or a terminated prefix of what was sent that fits the field. */
static void check_long(const char *what, int r, const char *got, size_t size, const char *sent)
{
	size_t n = strnlen(got, size);

	if (r == -EBADMSG)
		return;
	if (r != 0 || n >= size || strncmp(got, sent, n)) {
		printf("  %s: r=%d, '%.*s'\n", what, r, (int) n, got);
		unit_cur_failed = 1;
	}
}

/* Names as long as or longer than their fields (the kernel never sends these). */
static void test_oversized_names(void)
{
	static const size_t lens[] = { 15, 16, 17, 63, 64, 65, 200, 1000 };
	struct parsed p;
	struct mbuf m;
	char what[96], s[1001];

	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		size_t n = lens[i];

		for (size_t k = 0; k < n; k++)
			s[k] = (char) ('a' + k % 26);
		s[n] = '\0';
		for (int nul = 0; nul < 2; nul++) {
			(void) snprintf(what, sizeof(what), "dev names of %zu chars%s", n,
					nul ? " + NUL" : "");
			mb_init(&m, NLDEV(RDMA_NLDEV_CMD_GET), 0);
			mb_u32(&m, RDMA_NLDEV_ATTR_DEV_INDEX, 0);
			mb_attr(&m, RDMA_NLDEV_ATTR_FW_VERSION, s, n + (size_t) nul);
			mb_attr(&m, RDMA_NLDEV_ATTR_DEV_PROTOCOL, s, n + (size_t) nul);
			mb_attr(&m, RDMA_NLDEV_ATTR_DEV_NAME, s, n + (size_t) nul);
			parse_hostile(what, m.b, m.len, &p);
			if (n < RDMADEV_NAME_MAX) {
				CHECK_INT(p.r_dev, 0);
				CHECK_STR(p.dev.name, s); /* up to 63 characters fit */
			}
			check_long(what, p.r_dev, p.dev.name, sizeof(p.dev.name), s);
			check_long(what, p.r_dev, p.dev.protocol, sizeof(p.dev.protocol), s);
			check_long(what, p.r_dev, p.dev.fw, sizeof(p.dev.fw), s);

			(void) snprintf(what, sizeof(what), "port names of %zu chars%s", n,
					nul ? " + NUL" : "");
			mb_init(&m, NLDEV(RDMA_NLDEV_CMD_PORT_GET), NLM_F_MULTI);
			mb_u32(&m, RDMA_NLDEV_ATTR_DEV_INDEX, 0);
			mb_u32(&m, RDMA_NLDEV_ATTR_PORT_INDEX, 1);
			mb_attr(&m, RDMA_NLDEV_ATTR_DEV_NAME, s, n + (size_t) nul);
			mb_attr(&m, RDMA_NLDEV_ATTR_NDEV_NAME, s, n + (size_t) nul);
			parse_hostile(what, m.b, m.len, &p);
			if (n < IF_NAMESIZE) {
				CHECK_INT(p.r_port, 0);
				CHECK_STR(p.port.ndev_name, s);
			}
			check_long(what, p.r_port, p.port.dev_name, sizeof(p.port.dev_name), s);
			check_long(what, p.r_port, p.port.ndev_name, sizeof(p.port.ndev_name), s);
		}
	}
}

/* nla_len that lies: below a header, past the message, zero. */
static void test_bad_attribute_lengths(void)
{
	static const uint16_t lies[] = { 0, 1, 2, 3, 6, 9, 12, 100, 0xffff };
	struct parsed p;
	struct mbuf m;
	char what[96];

	for (size_t i = 0; i < ARRAY_SIZE(lies); i++) {
		/* the lie comes first: nothing after it can be trusted */
		(void) snprintf(what, sizeof(what), "dev, first nla_len %u", lies[i]);
		mb_init(&m, NLDEV(RDMA_NLDEV_CMD_GET), 0);
		mb_attr_raw(&m, RDMA_NLDEV_ATTR_FW_VERSION, lies[i], "12345678", 4);
		mb_u32(&m, RDMA_NLDEV_ATTR_DEV_INDEX, 0);
		mb_str(&m, RDMA_NLDEV_ATTR_DEV_NAME, "rxe0");
		parse_hostile(what, m.b, m.len, &p);
		/* 6 happens to land the next attribute right (at NLA_ALIGN(6) == 8) */
		CHECK_INT(p.r_dev, lies[i] == 6 ? 0 : -EBADMSG);

		/* the name claims more than there is */
		(void) snprintf(what, sizeof(what), "dev, DEV_NAME nla_len %u", lies[i]);
		mb_init(&m, NLDEV(RDMA_NLDEV_CMD_GET), 0);
		mb_u32(&m, RDMA_NLDEV_ATTR_DEV_INDEX, 0);
		mb_attr_raw(&m, RDMA_NLDEV_ATTR_DEV_NAME, lies[i], "rxe0", 4);
		parse_hostile(what, m.b, m.len, &p);
		CHECK_INT(p.r_dev,
			  lies[i] > NLA_HDRLEN && lies[i] <= NLA_HDRLEN + 4 ? 0 : -EBADMSG);

		/* an optional attribute lies at the end: the required ones before it count */
		(void) snprintf(what, sizeof(what), "port, NDEV_NAME nla_len %u", lies[i]);
		mb_init(&m, NLDEV(RDMA_NLDEV_CMD_PORT_GET), NLM_F_MULTI);
		mb_u32(&m, RDMA_NLDEV_ATTR_DEV_INDEX, 0);
		mb_u32(&m, RDMA_NLDEV_ATTR_PORT_INDEX, 1);
		mb_attr_raw(&m, RDMA_NLDEV_ATTR_NDEV_NAME, lies[i], "veth0", 5);
		parse_hostile(what, m.b, m.len, &p);
		CHECK_INT(p.r_port, 0);
		CHECK_INT(p.port.port, 1);
	}
	/* trailing bytes too short for an attribute header */
	mb_init(&m, NLDEV(RDMA_NLDEV_CMD_GET), 0);
	mb_u32(&m, RDMA_NLDEV_ATTR_DEV_INDEX, 0);
	mb_str(&m, RDMA_NLDEV_ATTR_DEV_NAME, "rxe0");
	m.len = NLA_ALIGN(m.len) + 3;
	parse_hostile("dev with 3 trailing bytes", m.b, m.len, &p);
	CHECK_INT(p.r_dev, 0);
	CHECK_STR(p.dev.name, "rxe0");
}

/* ---------------------------------------------------------------------------------------- */
/* GIDs */

static void check_gid(const unsigned char gid[16], const char *want)
{
	char *out = malloc(RDMADEV_GID_STR); /* exactly the documented size */
	unsigned char back[16];

	if (!out)
		abort();
	memset(out, 'X', RDMADEV_GID_STR);
	rdmadev_format_gid(gid, out);
	CHECK(out[RDMADEV_GID_STR - 1] == '\0');
	out[RDMADEV_GID_STR - 1] = '\0';
	CHECK_STR(out, want);
	/* what gid_read() relies on: inet_pton reads the sysfs form back */
	CHECK_INT(inet_pton(AF_INET6, out, back), 1);
	CHECK(!memcmp(back, gid, 16));
	free(out);
}

static void test_format_gid(void)
{
	static const unsigned char v4[16] = { [10] = 0xff, [11] = 0xff, 192, 168, 10, 5 };
	static const unsigned char zero[16];
	static const unsigned char ll[16] = { 0xfe, 0x80, [8] = 0x78, 0x70, 0x93,
					      0xff, 0xfe, 0x0c,       0x32, 0xea };
	static const unsigned char doc[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	unsigned char ones[16], rnd[16];
	uint32_t x = 12345;

	/* RoCE v2 GID of 192.168.10.5, as /sys/class/infiniband/rxe0/ports/1/gids/N shows it */
	check_gid(v4, "0000:0000:0000:0000:0000:ffff:c0a8:0a05");
	check_gid(zero, "0000:0000:0000:0000:0000:0000:0000:0000");
	/* rxe0's link-local GID: fe80:: + the node GUID of the capture */
	check_gid(ll, "fe80:0000:0000:0000:7870:93ff:fe0c:32ea");
	check_gid(doc, "2001:0db8:0000:0000:0000:0000:0000:0001");
	memset(ones, 0xff, sizeof(ones));
	check_gid(ones, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");

	for (int i = 0; i < 200; i++) {
		char want[RDMADEV_GID_STR];
		size_t n = 0;

		for (int k = 0; k < 16; k++) {
			x = x * 1103515245u + 12345u;
			rnd[k] = (unsigned char) (x >> 16);
		}
		for (int k = 0; k < 16; k += 2)
			n += (size_t) snprintf(want + n, sizeof(want) - n, "%s%02x%02x",
					       k ? ":" : "", rnd[k], rnd[k + 1]);
		check_gid(rnd, want);
	}
}

int main(int argc, char **argv)
{
	(void) argc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	(void) signal(SIGSEGV, on_segv);
	(void) signal(SIGBUS, on_segv);
	if (unit_fixtures(argv[0], "rdma-nl", fixtures) < 0) {
		printf("cannot find tests/fixtures/rdma-nl (run from the top directory or set "
		       "FIXTURES_DIR to a tests/fixtures)\n");
		printf("0 passed, 1 failed\n");
		return 1;
	}
	RUN(test_fixtures_present);
	RUN(test_msg_move_as_rdma_tool);
	RUN(test_msg_sys_get_as_rdma_tool);
	RUN(test_msg_dev_dump_as_rdma_tool);
	RUN(test_msg_port_dump_vs_rdma_tool);
	RUN(test_parse_sys_capture);
	RUN(test_parse_sys_synthetic);
	RUN(test_parse_dev_capture);
	RUN(test_parse_port_capture);
	RUN(test_parse_port_without_netdev);
	RUN(test_error_replies);
	RUN(test_done_reply);
	RUN(test_truncated_replies);
	RUN(test_wrong_type);
	RUN(test_short_attributes);
	RUN(test_unterminated_names);
	RUN(test_oversized_names);
	RUN(test_bad_attribute_lengths);
	RUN(test_format_gid);
	UNIT_DONE();
}
