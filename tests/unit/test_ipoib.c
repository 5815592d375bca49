/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ipoib.c - IPoIB children: the RTM_NEWLINK request iflink_create_msg() builds, compared
 * with what iproute2's `ip link add ... type ipoib` sends (tests/fixtures/ipoib-nl, captured
 * with strace; see its README), P_Key parsing, the parent checks, the MTU choice, the 20-byte
 * hardware address form and the ARP announcement payload.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if_arp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "rdmanet/config.h"
#include "rdmanet/err.h"
#include "rdmanet/iflink.h"
#include "rdmanet/ipaddr.h"
#include "rdmanet/ipaddr_garp.h"
#include "unit.h"

static char nl_dir[PATH_MAX];  /* .../tests/fixtures/ipoib-nl */
static char cfg_dir[PATH_MAX]; /* .../tests/fixtures/config */

/* ---------------------------------------------------------------------------------------- */
/* A netlink request as a flat list of attributes, nests included, named by their path. */

#define REQ_ATTRS_MAX 32
#define REQ_BYTES_MAX 4096

struct req_attr {
	char path[96]; /* "IFLA_LINKINFO/IFLA_INFO_DATA/IFLA_IPOIB_PKEY" */
	const unsigned char *data;
	unsigned len; /* payload bytes */
	bool nest;
};

struct req {
	unsigned char bytes[REQ_BYTES_MAX];
	size_t len;
	struct nlmsghdr h;
	struct ifinfomsg ifi;
	struct req_attr a[REQ_ATTRS_MAX];
	size_t n;
};

enum level { LVL_TOP, LVL_LINKINFO, LVL_INFO_DATA };

static const char *attr_name(enum level lvl, unsigned type, char *buf, size_t len)
{
	static const char *const top[] = {
		[IFLA_ADDRESS] = "IFLA_ADDRESS",   [IFLA_IFNAME] = "IFLA_IFNAME",
		[IFLA_MTU] = "IFLA_MTU",           [IFLA_LINK] = "IFLA_LINK",
		[IFLA_LINKINFO] = "IFLA_LINKINFO", [IFLA_NET_NS_FD] = "IFLA_NET_NS_FD",
		[IFLA_IFALIAS] = "IFLA_IFALIAS",   [IFLA_GROUP] = "IFLA_GROUP",
	};
	static const char *const linkinfo[] = {
		[IFLA_INFO_KIND] = "IFLA_INFO_KIND",
		[IFLA_INFO_DATA] = "IFLA_INFO_DATA",
	};
	static const char *const ipoib[] = {
		[IFLA_IPOIB_PKEY] = "IFLA_IPOIB_PKEY",
		[IFLA_IPOIB_MODE] = "IFLA_IPOIB_MODE",
		[IFLA_IPOIB_UMCAST] = "IFLA_IPOIB_UMCAST",
	};
	const char *const *names = lvl == LVL_TOP ? top : lvl == LVL_LINKINFO ? linkinfo : ipoib;
	size_t n = lvl == LVL_TOP      ? sizeof(top) / sizeof(top[0]) :
		   lvl == LVL_LINKINFO ? sizeof(linkinfo) / sizeof(linkinfo[0]) :
					 sizeof(ipoib) / sizeof(ipoib[0]);

	if (type < n && names[type])
		return names[type];
	(void) snprintf(buf, len, "type-%u", type);
	return buf;
}

/* Every attribute must be whole and the list must fill the payload exactly. */
static int parse_attrs(struct req *m, const unsigned char *p, size_t len, enum level lvl,
		       const char *prefix)
{
	while (len > 0) {
		struct nlattr nla;
		unsigned type;
		char buf[32];
		struct req_attr *a;
		size_t step;

		if (len < NLA_HDRLEN)
			return -EBADMSG;
		memcpy(&nla, p, sizeof(nla));
		if (nla.nla_len < NLA_HDRLEN || nla.nla_len > len)
			return -EBADMSG;
		type = nla.nla_type & NLA_TYPE_MASK;
		if (m->n == REQ_ATTRS_MAX)
			return -E2BIG;
		a = &m->a[m->n++];
		(void) snprintf(a->path, sizeof(a->path), "%s%s%s", prefix, *prefix ? "/" : "",
				attr_name(lvl, type, buf, sizeof(buf)));
		a->data = p + NLA_HDRLEN;
		a->len = nla.nla_len - NLA_HDRLEN;
		a->nest = (lvl == LVL_TOP && type == IFLA_LINKINFO) ||
			  (lvl == LVL_LINKINFO && type == IFLA_INFO_DATA);
		for (size_t i = 0; i + 1 < m->n; i++)
			if (!strcmp(m->a[i].path, a->path))
				return -EEXIST;
		if (a->nest) {
			char sub[sizeof(a->path)];
			int r;

			memcpy(sub, a->path, sizeof(sub));
			r = parse_attrs(m, a->data, a->len, lvl + 1, sub);
			if (r < 0)
				return r;
		}
		step = NLA_ALIGN(nla.nla_len);
		if (step > len)
			step = len; /* the last attribute may go unpadded */
		p += step;
		len -= step;
	}
	return 0;
}

static int req_parse(struct req *m, const unsigned char *bytes, size_t len)
{
	int r;

	memset(m, 0, sizeof(*m));
	if (len > sizeof(m->bytes) || len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return -EBADMSG;
	memcpy(m->bytes, bytes, len);
	m->len = len;
	memcpy(&m->h, m->bytes, sizeof(m->h));
	if (m->h.nlmsg_len != len)
		return -EBADMSG;
	memcpy(&m->ifi, m->bytes + NLMSG_HDRLEN, sizeof(m->ifi));
	r = parse_attrs(m, m->bytes + NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct ifinfomsg))),
			len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct ifinfomsg))), LVL_TOP, "");
	return r;
}

static int req_from_msg(struct req *m, struct nl_msg *msg)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);

	return req_parse(m, (const unsigned char *) h, h->nlmsg_len);
}

static const struct req_attr *req_find(const struct req *m, const char *path)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->a[i].path, path))
			return &m->a[i];
	return NULL;
}

#define PATH_PKEY   "IFLA_LINKINFO/IFLA_INFO_DATA/IFLA_IPOIB_PKEY"
#define PATH_MODE   "IFLA_LINKINFO/IFLA_INFO_DATA/IFLA_IPOIB_MODE"
#define PATH_UMCAST "IFLA_LINKINFO/IFLA_INFO_DATA/IFLA_IPOIB_UMCAST"
#define PATH_DATA   "IFLA_LINKINFO/IFLA_INFO_DATA"
#define PATH_KIND   "IFLA_LINKINFO/IFLA_INFO_KIND"

/* The value of a u16 (2-byte) or u32 (4-byte) attribute; -1 when absent, -2 when of another size.
 */
static long req_uint(const struct req *m, const char *path, unsigned size)
{
	const struct req_attr *a = req_find(m, path);
	uint16_t v16;
	uint32_t v32;

	if (!a)
		return -1;
	if (a->len != size)
		return -2;
	if (size == 2) {
		memcpy(&v16, a->data, 2);
		return v16;
	}
	memcpy(&v32, a->data, 4);
	return v32;
}

static void hex(const unsigned char *p, unsigned len, char *out, size_t outlen)
{
	size_t n = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < len && n + 3 < outlen; i++)
		n += (size_t) snprintf(out + n, outlen - n, "%02x", p[i]);
}

/* One line of lowercase hex, nothing else; fails the test loudly when missing or malformed. */
static int fixture_load(const char *name, struct req *m)
{
	unsigned char bytes[REQ_BYTES_MAX];
	char path[PATH_MAX + 64];
	size_t len, n;
	char *text;
	int r;

	(void) snprintf(path, sizeof(path), "%s/%s.req.hex", nl_dir, name);
	text = unit_read_file(path, &len);
	if (!text) {
		printf("  MISSING FIXTURE %s: %s (regenerate with "
		       "tests/fixtures/ipoib-nl/capture.sh)\n",
		       path, strerror(errno));
		unit_cur_failed = 1;
		return -ENOENT;
	}
	if (len && text[len - 1] == '\n')
		text[--len] = '\0';
	n = strspn(text, "0123456789abcdef");
	if (n != len || !len || len % 2 || len / 2 > sizeof(bytes)) {
		printf("  %s: not one line of lowercase hex (%zu of %zu characters)\n", path, n,
		       len);
		unit_cur_failed = 1;
		free(text);
		return -EBADMSG;
	}
	for (size_t i = 0; i < len / 2; i++) {
		unsigned v;

		(void) sscanf(text + 2 * i, "%2x", &v);
		bytes[i] = (unsigned char) v;
	}
	free(text);
	r = req_parse(m, bytes, len / 2);
	if (r < 0) {
		printf("  %s: not a well-formed netlink message (%s)\n", path, strerror(-r));
		unit_cur_failed = 1;
	}
	return r;
}

/* ---------------------------------------------------------------------------------------- */

static int parse_cfg(const char *json, struct config *cfg)
{
	struct cni_err err = { 0 };
	int r = config_parse(json, strlen(json), CNI_CMD_ADD, NULL, cfg, &err);

	if (r < 0)
		printf("  config_parse(%s): %d code %d '%s'\n", json, r, err.code, err.msg);
	return r;
}

/* A config for master 'p0' with link ipoib plus extra ("" or ",\"pkey\":...") as config_parse
 * leaves it. */
static int ipoib_cfg(const char *extra, struct config *cfg)
{
	char json[512];

	(void) snprintf(json, sizeof(json),
			"{\"cniVersion\":\"1.0.0\",\"name\":\"ib-net\",\"type\":\"rdmanet\","
			"\"master\":\"p0\",\"link\":\"ipoib\"%s}",
			extra);
	return parse_cfg(json, cfg);
}

static const struct capture {
	const char *name;       /* <name>.req.hex */
	const char *json;       /* the same options as rdmanet config */
	int pkey, mode, umcast; /* what config_parse must make of them */
	bool pkey_full_bit;     /* iproute2 sent the P_Key without 0x8000, rdmanet sends it with */
} captures[] = {
	{ "pkey8001_datagram_umcast0",
	  ",\"pkey\":\"0x8001\",\"ipoibMode\":\"datagram\",\"umcast\":false", 0x8001,
	  IPOIB_MODE_DATAGRAM, 0, false },
	{ "pkey7fff_connected_umcast1",
	  ",\"pkey\":\"0x7fff\",\"ipoibMode\":\"connected\",\"umcast\":true", 0xffff,
	  IPOIB_MODE_CONNECTED, 1, true },
	{ "no_options", "", -1, -1, -1, false },
	{ "pkey8002", ",\"pkey\":\"0x8002\"", 0x8002, -1, -1, false },
	{ "mode_connected", ",\"ipoibMode\":\"connected\"", -1, IPOIB_MODE_CONNECTED, -1, false },
	{ "umcast1", ",\"umcast\":1", -1, -1, 1, false },
	{ "pkey32771_decimal", ",\"pkey\":32771,\"ipoibMode\":\"datagram\"", 0x8003,
	  IPOIB_MODE_DATAGRAM, -1, false },
};

/*
 * IFLA_IFNAME and IFLA_INFO_KIND are NLA_STRING in the kernel's policies (rtnetlink.c), which
 * accept the string with or without its terminating NUL: iproute2 sends IFLA_IFNAME with it and
 * IFLA_INFO_KIND without (addattr_l(..., strlen(type))), libnl's nla_put_string() always with.
 */
static bool is_string(const char *path)
{
	return !strcmp(path, "IFLA_IFNAME") || !strcmp(path, PATH_KIND);
}

/* The string's length without one terminating NUL. */
static unsigned str_len(const struct req_attr *a)
{
	return a->len && !a->data[a->len - 1] ? a->len - 1 : a->len;
}

/*
 * Our request against iproute2's, attribute by attribute, order ignored. Returns the number of
 * unexpected differences, each printed. Besides the strings' NUL (above), two differences are
 * expected:
 * - the P_Key's full-membership bit (pkey_full_bit): `ip ... pkey 0x7fff` sends 0x7fff as typed
 *   and the kernel (ipoib_new_child_link) ORs in 0x8000 itself; config_pkey_parse already sets
 *   it, as the kernel would, so that the configured value is the one `ip -d link` reports
 *   afterwards and compares equal to the parent's. Same partition, same resulting child.
 * - IFLA_INFO_DATA when there is nothing to put in it: iproute2 omits the nest. So does
 *   rdmanet with libnl >= 3.5, whose nla_nest_end() drops an empty nest (Debian 12 has 3.7);
 *   an older libnl would send it empty, which the kernel parses into all-NULL data exactly as
 *   an absent one, so that is accepted (and noted). Nothing else may be in one request only.
 */
static int compare(const struct capture *c, const struct req *ip, const struct req *ours)
{
	char a[256], b[256];
	bool full_bit_seen = false;
	int diffs = 0;

	for (size_t i = 0; i < ip->n; i++) {
		const struct req_attr *x = &ip->a[i], *y = req_find(ours, x->path);

		if (!y) {
			hex(x->data, x->len, a, sizeof(a));
			printf("  %s: %s only in iproute2's request (%s)\n", c->name, x->path, a);
			diffs++;
			continue;
		}
		if (x->nest || y->nest) {
			if (x->nest != y->nest) {
				printf("  %s: %s is a nest in one request only\n", c->name,
				       x->path);
				diffs++;
			}
			continue; /* the children are compared on their own */
		}
		if (x->len == y->len && !memcmp(x->data, y->data, x->len))
			continue;
		if (is_string(x->path) && x->len && y->len && str_len(x) == str_len(y) &&
		    !memcmp(x->data, y->data, str_len(x))) {
			printf("  note: %s: %s '%.*s' sent with%s a NUL by iproute2, with%s by "
			       "rdmanet (NLA_STRING: the same for the kernel)\n",
			       c->name, x->path, (int) str_len(x), (const char *) x->data,
			       x->data[x->len - 1] ? "out" : "", y->data[y->len - 1] ? "out" : "");
			continue;
		}
		if (c->pkey_full_bit && !strcmp(x->path, PATH_PKEY) && x->len == 2 && y->len == 2) {
			uint16_t xv, yv;

			memcpy(&xv, x->data, 2);
			memcpy(&yv, y->data, 2);
			if (!(xv & 0x8000) && yv == (xv | 0x8000)) {
				full_bit_seen = true;
				continue;
			}
		}
		hex(x->data, x->len, a, sizeof(a));
		hex(y->data, y->len, b, sizeof(b));
		printf("  %s: %s differs: iproute2 %s, rdmanet %s\n", c->name, x->path, a, b);
		diffs++;
	}
	for (size_t i = 0; i < ours->n; i++) {
		const struct req_attr *y = &ours->a[i];

		if (req_find(ip, y->path))
			continue;
		if (!strcmp(y->path, PATH_DATA) && y->len == 0) {
			printf("  note: %s: rdmanet sends an empty IFLA_INFO_DATA, iproute2 none "
			       "(equivalent for the kernel)\n",
			       c->name);
			continue;
		}
		hex(y->data, y->len, b, sizeof(b));
		printf("  %s: %s only in rdmanet's request (%s)\n", c->name, y->path, b);
		diffs++;
	}
	if (c->pkey_full_bit && !full_bit_seen) {
		printf("  %s: expected the P_Keys to differ in exactly the "
		       "full-membership bit 0x8000\n",
		       c->name);
		diffs++;
	}
	return diffs;
}

static void test_create_msg_matches_iproute2(void)
{
	struct nl_sock *sk = nl_socket_alloc();

	CHECK(sk != NULL);
	for (size_t i = 0; i < sizeof(captures) / sizeof(captures[0]); i++) {
		const struct capture *c = &captures[i];
		static struct req ip, ours;
		struct iflink_info master = { 0 };
		struct config cfg;
		struct nl_msg *msg;
		int failed_before = unit_cur_failed;
		long link;

		unit_cur_failed = 0; /* to name the fixture only after its own failures */
		if (fixture_load(c->name, &ip) < 0) {
			unit_cur_failed = 1;
			continue;
		}
		/* what iproute2 sent, as the README describes it */
		CHECK_INT(ip.h.nlmsg_type, RTM_NEWLINK);
		CHECK_INT(ip.h.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL | NLM_F_CREATE);
		CHECK_STR(req_find(&ip, PATH_KIND) ? (const char *) req_find(&ip, PATH_KIND)->data :
						     NULL,
			  "ipoib");
		link = req_uint(&ip, "IFLA_LINK", 4);
		CHECK(link > 0);

		if (ipoib_cfg(c->json, &cfg) < 0) {
			unit_cur_failed = 1;
			config_free(&cfg);
			printf("  (fixture %s)\n", c->name);
			continue;
		}
		CHECK_INT(cfg.link, LINK_IPOIB);
		CHECK_INT(cfg.pkey, c->pkey);
		CHECK_INT(cfg.ipoib_mode, c->mode);
		CHECK_INT(cfg.umcast, c->umcast);
		CHECK_INT(cfg.mtu, 0);
		CHECK(!cfg.has_mac);

		master.ifindex = (int) link;
		(void) snprintf(master.name, sizeof(master.name), "p0");
		master.type = ARPHRD_INFINIBAND;
		master.has_ipoib = false;
		master.mtu = 0;
		{
			struct cni_err err = { 0 };

			CHECK_INT(iflink_ipoib_ops.check_master(&master, &cfg, &err), 0);
		}
		msg = iflink_create_msg(&iflink_ipoib_ops, &cfg, &master, -1, "c0", 0);
		CHECK(msg != NULL);
		if (!msg) {
			config_free(&cfg);
			printf("  (fixture %s)\n", c->name);
			continue;
		}
		if (req_from_msg(&ours, msg) < 0) {
			printf("  %s: rdmanet's request is not a well-formed netlink message\n",
			       c->name);
			unit_cur_failed = 1;
		} else {
			CHECK_INT(ours.h.nlmsg_type, ip.h.nlmsg_type);
			/* The create flags are ours; NLM_F_REQUEST and NLM_F_ACK are added when
			 * netlink_talk() sends it: nl_send_auto() -> nl_complete_msg() (libnl's
			 * auto-ACK is on). Check that the result is exactly iproute2's flags. */
			CHECK_INT(ours.h.nlmsg_flags, NLM_F_CREATE | NLM_F_EXCL);
			if (sk) {
				nl_complete_msg(sk, msg);
				CHECK_INT(nlmsg_hdr(msg)->nlmsg_flags, ip.h.nlmsg_flags);
			}
			/* seq and pid are per socket and per send: not compared */
			CHECK(!memcmp(&ours.ifi, &ip.ifi, sizeof(ip.ifi)));
			CHECK_INT(compare(c, &ip, &ours), 0);
			/* no MTU without one to inherit (master.mtu 0, cfg.mtu 0) */
			CHECK(req_find(&ours, "IFLA_MTU") == NULL);
			CHECK(req_find(&ours, "IFLA_NET_NS_FD") == NULL);
		}
		if (unit_cur_failed)
			printf("  (fixture %s)\n", c->name);
		unit_cur_failed |= failed_before;
		nlmsg_free(msg);
		config_free(&cfg);
	}
	nl_socket_free(sk);
}

/* Every capture in the directory is in the table above, so none goes untested. */
static void test_every_capture_compared(void)
{
	DIR *d = opendir(nl_dir);
	struct dirent *de;
	size_t seen = 0;

	CHECK(d != NULL);
	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name), i;

		if (l < 9 || strcmp(de->d_name + l - 8, ".req.hex"))
			continue;
		for (i = 0; i < sizeof(captures) / sizeof(captures[0]); i++)
			if (strlen(captures[i].name) == l - 8 &&
			    !strncmp(captures[i].name, de->d_name, l - 8))
				break;
		if (i == sizeof(captures) / sizeof(captures[0])) {
			printf("  %s/%s is not compared by test_create_msg_matches_iproute2\n",
			       nl_dir, de->d_name);
			unit_cur_failed = 1;
		}
		seen++;
	}
	(void) closedir(d);
	CHECK_INT(seen, sizeof(captures) / sizeof(captures[0]));
}

/* A physical IPoIB parent reports its P_Key and mode: unset options inherit them, and its MTU. */
static void test_create_msg_inherits_from_parent(void)
{
	static struct req m;
	struct iflink_info master = {
		.ifindex = 7,
		.name = "ib0",
		.type = ARPHRD_INFINIBAND,
		.mtu = 65520,
		.link = 7,
		.has_ipoib = true,
		.ipoib_pkey = 0x8003,
		.ipoib_mode = IPOIB_MODE_CONNECTED,
		.ipoib_umcast = 1,
	};
	struct cni_err err = { 0 };
	struct config cfg;
	struct nl_msg *msg;

	CHECK_INT(ipoib_cfg("", &cfg), 0);
	CHECK(cfg.pkey == -1 && cfg.ipoib_mode == -1 && cfg.umcast == -1);
	CHECK_INT(iflink_ipoib_ops.check_master(&master, &cfg, &err), 0);
	msg = iflink_create_msg(&iflink_ipoib_ops, &cfg, &master, -1, "c0", 0);
	CHECK(msg != NULL);
	if (msg && req_from_msg(&m, msg) == 0) {
		CHECK_INT(req_uint(&m, "IFLA_LINK", 4), 7);
		CHECK_INT(req_uint(&m, PATH_PKEY, 2), 0x8003);
		CHECK_INT(req_uint(&m, PATH_MODE, 2), IPOIB_MODE_CONNECTED);
		CHECK_INT(req_uint(&m, "IFLA_MTU", 4), 65520);
		/* umcast is not inherited: the kernel's default (off) unless configured */
		CHECK(req_find(&m, PATH_UMCAST) == NULL);
		CHECK(req_find(&m, "IFLA_ADDRESS") == NULL);
	} else {
		CHECK(0);
	}
	nlmsg_free(msg);

	/* configured values win over the parent's */
	config_free(&cfg);
	CHECK_INT(ipoib_cfg(",\"pkey\":\"0x8004\",\"ipoibMode\":\"connected\",\"umcast\":false,"
			    "\"mtu\":9000",
			    &cfg),
		  0);
	msg = iflink_create_msg(&iflink_ipoib_ops, &cfg, &master, 5, "net1",
				iflink_marker("cid-1", "net1"));
	CHECK(msg != NULL);
	if (msg && req_from_msg(&m, msg) == 0) {
		CHECK_INT(req_uint(&m, PATH_PKEY, 2), 0x8004);
		CHECK_INT(req_uint(&m, PATH_MODE, 2), IPOIB_MODE_CONNECTED);
		CHECK_INT(req_uint(&m, PATH_UMCAST, 2), 0);
		CHECK_INT(req_uint(&m, "IFLA_MTU", 4), 9000);
		CHECK_INT(req_uint(&m, "IFLA_NET_NS_FD", 4), 5);
		/* the creation marker DEL recognises an unlabelled child of ours by */
		CHECK_INT(req_uint(&m, "IFLA_GROUP", 4), iflink_marker("cid-1", "net1"));
		CHECK((iflink_marker("cid-1", "net1") & 0xc0000000u) == 0x40000000u);
		CHECK(iflink_marker("cid-1", "net1") != iflink_marker("cid-1", "net2"));
		CHECK_STR(req_find(&m, "IFLA_IFNAME") ?
				  (const char *) req_find(&m, "IFLA_IFNAME")->data :
				  NULL,
			  "net1");
	} else {
		CHECK(0);
	}
	nlmsg_free(msg);
	config_free(&cfg);
}

/* The MTU asked for: configured, else the parent's in its own mode, else what the mode allows. */
static void test_mtu_choice(void)
{
	struct iflink_info dgram = { .ifindex = 3,
				     .name = "ib0",
				     .type = ARPHRD_INFINIBAND,
				     .mtu = 2044,
				     .has_ipoib = true,
				     .ipoib_pkey = 0xffff,
				     .ipoib_mode = IPOIB_MODE_DATAGRAM };
	struct iflink_info cm = dgram;
	struct config cfg;

	cm.mtu = 65520;
	cm.ipoib_mode = IPOIB_MODE_CONNECTED;
	CHECK_INT(ipoib_cfg("", &cfg), 0);
	CHECK_INT(iflink_ipoib_ops.mtu(&cfg, &dgram), 2044); /* not a fixed 2044: the parent's */
	CHECK_INT(iflink_ipoib_ops.mtu(&cfg, &cm), 65520);
	config_free(&cfg);
	CHECK_INT(ipoib_cfg(",\"ipoibMode\":\"datagram\"", &cfg), 0);
	CHECK_INT(iflink_ipoib_ops.mtu(&cfg, &cm), 4092);
	config_free(&cfg);
	CHECK_INT(ipoib_cfg(",\"ipoibMode\":\"connected\"", &cfg), 0);
	CHECK_INT(iflink_ipoib_ops.mtu(&cfg, &dgram), 0); /* the kernel's default */
	config_free(&cfg);
	CHECK_INT(ipoib_cfg(",\"mtu\":1500", &cfg), 0);
	CHECK_INT(iflink_ipoib_ops.mtu(&cfg, &cm), 1500);
	config_free(&cfg);
}

/* ---------------------------------------------------------------------------------------- */

static void test_pkey_parse(void)
{
	static const struct {
		const char *s;
		int pkey;
	} good[] = {
		{ "0x8001", 0x8001 }, { "1", 0x8001 },      { "32769", 0x8001 },
		{ "0x7fff", 0xffff }, { "0xffff", 0xffff }, { "0x0001", 0x8001 },
		{ "0X8002", 0x8002 }, { "65535", 0xffff },  { "0x008001", 0x8001 },
	};
	static const char *const bad[] = {
		"0",       "0x8000",   "0x0",
		"0x10000", "-1",       "0x",
		"abc",     "0x8001x",  " 1",
		"",        "32768",    "65536",
		"0x-1",    "+1",       "1 ",
		"0x8001 ", "0xg",      "0x000008001",
		"1.0",     "0x8001\n", "99999999999999999999",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int pkey = -7;

		if (config_pkey_parse(good[i].s, &pkey) != 0 || pkey != good[i].pkey) {
			printf("  config_pkey_parse('%s') refused it or gave %#x, expected %#x\n",
			       good[i].s, pkey, good[i].pkey);
			unit_cur_failed = 1;
		}
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int pkey = -7;

		if (config_pkey_parse(bad[i], &pkey) != -EINVAL || pkey != -7) {
			printf("  config_pkey_parse('%s') accepted it (pkey %#x) or changed pkey\n",
			       bad[i], pkey);
			unit_cur_failed = 1;
		}
	}
	CHECK_INT(config_pkey_parse(NULL, &(int){ 0 }), -EINVAL);
}

/*
 * A space, tab or sign after "0x" is accepted: strtoul() skips leading white space and takes a
 * sign, and only the first character of the whole string is checked. " 1" and "+1" are refused,
 * so "0x 8001" and "0x+8001" should be too (ipoib: a P_Key "0x 8001" is almost certainly a typo).
 */
static void test_pkey_parse_no_space_or_sign_after_0x(void)
{
	static const char *const bad[] = { "0x 8001", "0x\t8001", "0x+8001", "0x 1" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int pkey = -7;

		if (config_pkey_parse(bad[i], &pkey) != -EINVAL || pkey != -7) {
			printf("  config_pkey_parse('%s') accepted it (pkey %#x)\n", bad[i], pkey);
			unit_cur_failed = 1;
		}
	}
}

static void test_ipoib_mtu_max_and_names(void)
{
	CHECK_INT(config_ipoib_mtu_max(IPOIB_MODE_DATAGRAM), 4092);
	CHECK_INT(config_ipoib_mtu_max(IPOIB_MODE_CONNECTED), 65520);
	CHECK_STR(config_ipoib_mode_name(IPOIB_MODE_DATAGRAM), "datagram");
	CHECK_STR(config_ipoib_mode_name(IPOIB_MODE_CONNECTED), "connected");
	CHECK_STR(config_ipoib_mode_name(-1), "?");
	CHECK_STR(iflink_ipoib_ops.kind, "ipoib");
	CHECK_STR(config_link_name(LINK_IPOIB), "ipoib");
}

/* The good/ipoib-* config fixtures, with their values. */
static void test_config_fixtures(void)
{
	static const struct {
		const char *file;
		enum link_kind link;
		int pkey, mode, umcast;
		unsigned mtu;
	} cases[] = {
		{ "ipoib-pkey-hex.json", LINK_IPOIB, 0x8001, -1, -1, 0 },
		{ "ipoib-pkey-decimal.json", LINK_IPOIB, 0x8002, -1, -1, 0 },
		{ "ipoib-pkey-7fff-full-member.json", LINK_IPOIB, 0xffff, -1, -1, 0 },
		{ "ipoib-connected-mtu-65520.json", LINK_IPOIB, -1, IPOIB_MODE_CONNECTED, -1,
		  65520 },
		{ "ipoib-umcast-true.json", LINK_IPOIB, -1, -1, 1, 0 },
		{ "ipoib-datagram-mtu-4092.json", LINK_IPOIB, 0x8001, IPOIB_MODE_DATAGRAM, 0,
		  4092 },
		{ "ipoib-auto-pkey.json", LINK_AUTO, 0x8005, -1, -1, 0 },
		{ "ipoib-nulls.json", LINK_IPOIB, -1, -1, -1, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[PATH_MAX + 64];
		struct cni_err err = { 0 };
		struct config cfg;
		int failed_before = unit_cur_failed;
		size_t len;
		char *buf;

		unit_cur_failed = 0;
		(void) snprintf(path, sizeof(path), "%s/good/%s", cfg_dir, cases[i].file);
		buf = unit_read_file(path, &len);
		if (!buf) {
			printf("  MISSING FIXTURE %s\n", path);
			unit_cur_failed = 1;
			continue;
		}
		CHECK_INT(config_parse(buf, len, CNI_CMD_ADD, NULL, &cfg, &err), 0);
		CHECK_INT(cfg.link, cases[i].link);
		CHECK_INT(cfg.pkey, cases[i].pkey);
		CHECK_INT(cfg.ipoib_mode, cases[i].mode);
		CHECK_INT(cfg.umcast, cases[i].umcast);
		CHECK_INT(cfg.mtu, cases[i].mtu);
		if (unit_cur_failed)
			printf("  (%s: '%s')\n", cases[i].file, err.msg);
		unit_cur_failed |= failed_before;
		config_free(&cfg);
		free(buf);
	}
}

/* ---------------------------------------------------------------------------------------- */

static int check(const struct iflink_info *master, const char *extra, struct cni_err *err)
{
	struct config cfg;
	int r;

	memset(err, 0, sizeof(*err));
	if (ipoib_cfg(extra, &cfg) < 0) {
		config_free(&cfg);
		unit_cur_failed = 1;
		return -999;
	}
	r = iflink_ipoib_ops.check_master(master, &cfg, err);
	config_free(&cfg);
	return r;
}

static void test_check_master(void)
{
	struct iflink_info eth = {
		.ifindex = 2, .name = "ens1f0", .type = ARPHRD_ETHER, .mtu = 1500
	};
	struct iflink_info ib = { .ifindex = 3,
				  .name = "ib0",
				  .type = ARPHRD_INFINIBAND,
				  .mtu = 2044,
				  .link = 3,
				  .has_ipoib = true,
				  .ipoib_pkey = 0xffff,
				  .ipoib_mode = IPOIB_MODE_DATAGRAM };
	struct iflink_info child = ib, cm = ib, bare = ib, other = ib;
	struct cni_err err;

	/* an Ethernet parent: code 100, pointing at macvlan */
	CHECK(check(&eth, "", &err) < 0);
	CHECK_INT(err.code, RDMANET_ERR_MASTER);
	CHECK(strstr(err.msg, "'macvlan'") != NULL);
	CHECK(strstr(err.msg, "'ens1f0'") != NULL);
	/* another link type: code 100, no macvlan hint */
	other.type = ARPHRD_LOOPBACK;
	CHECK(check(&other, "", &err) < 0);
	CHECK_INT(err.code, RDMANET_ERR_MASTER);
	CHECK(strstr(err.msg, "macvlan") == NULL);

	/* physical parents: IFLA_LINK equal to its own index, or absent */
	CHECK_INT(check(&ib, "", &err), 0);
	CHECK_INT(err.code, 0);
	bare.link = 0;
	bare.has_ipoib = false;
	CHECK_INT(check(&bare, "", &err), 0);

	/* an IPoIB child (ib0.8001: IFLA_LINK names ib0) as parent */
	child.ifindex = 9;
	(void) snprintf(child.name, sizeof(child.name), "ib0.8001");
	child.link = 3;
	CHECK(check(&child, "", &err) < 0);
	CHECK_INT(err.code, RDMANET_ERR_MASTER);
	CHECK(strstr(err.msg, "'ib0.8001'") != NULL);

	/* above the mode's largest MTU: code 7 */
	cm.mtu = 65520;
	cm.ipoib_mode = IPOIB_MODE_CONNECTED;
	CHECK(check(&cm, ",\"mtu\":65521", &err) < 0); /* mode inherited: connected */
	CHECK_INT(err.code, CNI_ERR_INVALID_CONFIG);
	CHECK(strstr(err.msg, "65520") != NULL);
	CHECK_INT(check(&cm, ",\"mtu\":65520", &err), 0);
	CHECK(check(&bare, ",\"mtu\":4093", &err) < 0); /* no parent mode: datagram */
	CHECK_INT(err.code, CNI_ERR_INVALID_CONFIG);
	CHECK(strstr(err.msg, "4092") != NULL);
	CHECK(check(&cm, ",\"ipoibMode\":\"datagram\",\"mtu\":4092", &err) == 0);

	/* datagram child above its datagram parent's MTU (IB MTU 2048 - 4): code 7 */
	CHECK(check(&ib, ",\"mtu\":4092", &err) < 0);
	CHECK_INT(err.code, CNI_ERR_INVALID_CONFIG);
	CHECK(strstr(err.msg, "2044") != NULL);
	CHECK(check(&ib, ",\"ipoibMode\":\"datagram\",\"mtu\":2045", &err) < 0);
	CHECK_INT(err.code, CNI_ERR_INVALID_CONFIG);
	CHECK_INT(check(&ib, ",\"mtu\":2044", &err), 0);
	/* connected mode is not bound by the datagram parent's MTU */
	CHECK_INT(check(&ib, ",\"ipoibMode\":\"connected\",\"mtu\":4092", &err), 0);
	/* nor is a datagram child of a connected parent below the datagram maximum */
	CHECK_INT(check(&cm, ",\"ipoibMode\":\"datagram\",\"mtu\":4000", &err), 0);
}

/*
 * link 'auto' picks macvlan for an Ethernet parent, but then IPoIB options that config_parse
 * refuses with link 'macvlan' are dropped without a word: a NAD with a P_Key deployed on a RoCE
 * node would give pods an unpartitioned macvlan. Expected: refused (code 7 or 100, naming the
 * option).
 */
static void test_auto_ethernet_refuses_ipoib_options(void)
{
	struct iflink_info eth = {
		.ifindex = 2, .name = "ens1f0", .type = ARPHRD_ETHER, .mtu = 1500
	};
	static const char *const opts[] = { "\"pkey\":\"0x8001\"", "\"ipoibMode\":\"connected\"",
					    "\"umcast\":true" };

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		char json[256];
		struct cni_err err = { 0 };
		const struct iflink_ops *ops;
		struct config cfg;

		(void) snprintf(json, sizeof(json),
				"{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"rdmanet\","
				"\"master\":\"ens1f0\",%s}",
				opts[i]);
		CHECK_INT(parse_cfg(json, &cfg), 0);
		CHECK_INT(cfg.link, LINK_AUTO);
		ops = iflink_ops_select(&cfg, &eth, &err);
		if (ops) {
			printf("  link auto, Ethernet parent, %s: ops '%s' "
			       "chosen, option ignored\n",
			       opts[i], ops->kind);
			unit_cur_failed = 1;
		} else {
			CHECK(err.code == CNI_ERR_INVALID_CONFIG || err.code == RDMANET_ERR_MASTER);
		}
		config_free(&cfg);
	}
}

static void test_ops_select(void)
{
	struct iflink_info ib = {
		.ifindex = 3, .name = "ib0", .type = ARPHRD_INFINIBAND, .mtu = 2044
	};
	struct iflink_info eth = {
		.ifindex = 2, .name = "ens1f0", .type = ARPHRD_ETHER, .mtu = 1500
	};
	struct cni_err err = { 0 };
	struct config cfg;

	CHECK_INT(parse_cfg("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"rdmanet\","
			    "\"master\":\"ib0\"}",
			    &cfg),
		  0);
	CHECK(iflink_ops_select(&cfg, &ib, &err) == &iflink_ipoib_ops);
	CHECK(iflink_ops_select(&cfg, &eth, &err) == &iflink_macvlan_ops);
	CHECK_INT(err.code, 0);
	config_free(&cfg);
	CHECK_INT(ipoib_cfg("", &cfg), 0);
	CHECK(iflink_ops_select(&cfg, &ib, &err) == &iflink_ipoib_ops);
	CHECK(iflink_ops_select(&cfg, &eth, &err) == NULL);
	CHECK_INT(err.code, RDMANET_ERR_MASTER);
	config_free(&cfg);
}

/* ---------------------------------------------------------------------------------------- */

static void test_format_hwaddr_ipoib(void)
{
	/* QPN 0x000048 with flags 0x80, then the port GID fe80::2:c903:f:e211 */
	static const unsigned char addr[20] = { 0x80, 0x00, 0x00, 0x48, 0xfe, 0x80, 0x00,
						0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xc9,
						0x03, 0x00, 0x00, 0x0f, 0xe2, 0x11 };
	static const unsigned char eth[6] = { 0x02, 0x12, 0x34, 0x56, 0x78, 0x9a };
	char out[IFLINK_HWADDR_MAX * 3];

	iflink_format_hwaddr(addr, sizeof(addr), out, sizeof(out));
	CHECK_STR(out, "80:00:00:48:fe:80:00:00:00:00:00:00:02:c9:03:00:00:0f:e2:11");
	/* exactly large enough: 20 * 3 - 1 characters and the NUL */
	{
		char exact[60];

		iflink_format_hwaddr(addr, sizeof(addr), exact, sizeof(exact));
		CHECK_STR(exact, out);
	}
	iflink_format_hwaddr(eth, sizeof(eth), out, sizeof(out));
	CHECK_STR(out, "02:12:34:56:78:9a");
	iflink_format_hwaddr(addr, 0, out, sizeof(out));
	CHECK_STR(out, "");
}

static void test_garp_packet(void)
{
	static const unsigned char ib[20] = { 0x80, 0x00, 0x00, 0x48, 0xfe, 0x80, 0x00,
					      0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xc9,
					      0x03, 0x00, 0x00, 0x0f, 0xe2, 0x11 };
	static const unsigned char eth[6] = { 0x02, 0x12, 0x34, 0x56, 0x78, 0x9a };
	static const unsigned char ip[4] = { 10, 56, 0, 7 }, zero[20] = { 0 }, big[33] = { 0 };
	unsigned char pkt[128];
	struct arphdr h;
	int n;

	memset(pkt, 0xaa, sizeof(pkt));
	n = ipaddr_garp_packet(ARPHRD_INFINIBAND, ib, sizeof(ib), ip, pkt, sizeof(pkt));
	CHECK_INT(n, 8 + 2 * (20 + 4));
	CHECK_INT(n, 56);
	memcpy(&h, pkt, sizeof(h));
	CHECK_INT(ntohs(h.ar_hrd), ARPHRD_INFINIBAND);
	CHECK_INT(ntohs(h.ar_hrd), 32);
	CHECK_INT(ntohs(h.ar_pro), 0x0800);
	CHECK_INT(h.ar_hln, 20);
	CHECK_INT(h.ar_pln, 4);
	CHECK_INT(ntohs(h.ar_op), ARPOP_REQUEST);
	CHECK(!memcmp(pkt + 8, ib, 20));    /* sender hardware address */
	CHECK(!memcmp(pkt + 28, ip, 4));    /* sender IP */
	CHECK(!memcmp(pkt + 32, zero, 20)); /* target hardware address: zero */
	CHECK(!memcmp(pkt + 52, ip, 4));    /* target IP = sender IP */
	CHECK_INT(pkt[56], 0xaa);           /* nothing written past the packet */

	memset(pkt, 0xaa, sizeof(pkt));
	n = ipaddr_garp_packet(ARPHRD_ETHER, eth, sizeof(eth), ip, pkt, sizeof(pkt));
	CHECK_INT(n, 28);
	memcpy(&h, pkt, sizeof(h));
	CHECK_INT(ntohs(h.ar_hrd), ARPHRD_ETHER);
	CHECK_INT(h.ar_hln, 6);
	CHECK_INT(h.ar_pln, 4);
	CHECK_INT(ntohs(h.ar_op), ARPOP_REQUEST);
	CHECK(!memcmp(pkt + 8, eth, 6));
	CHECK(!memcmp(pkt + 14, ip, 4));
	CHECK(!memcmp(pkt + 18, zero, 6));
	CHECK(!memcmp(pkt + 24, ip, 4));
	CHECK_INT(pkt[28], 0xaa);

	/* refused: no address, one too long, a buffer one byte short */
	CHECK_INT(ipaddr_garp_packet(ARPHRD_ETHER, eth, 0, ip, pkt, sizeof(pkt)), -EINVAL);
	CHECK_INT(ipaddr_garp_packet(ARPHRD_INFINIBAND, big, sizeof(big), ip, pkt, sizeof(pkt)),
		  -EINVAL);
	CHECK_INT(ipaddr_garp_packet(ARPHRD_INFINIBAND, ib, 20, ip, pkt, 55), -EINVAL);
	CHECK_INT(ipaddr_garp_packet(ARPHRD_INFINIBAND, ib, 20, ip, pkt, 56), 56);
}

int main(int argc, char **argv)
{
	(void) argc;
	if (unit_fixtures(argv[0], "ipoib-nl", nl_dir) < 0 ||
	    unit_fixtures(argv[0], "config", cfg_dir) < 0) {
		printf("cannot find tests/fixtures/ipoib-nl and tests/fixtures/config (run from "
		       "the top directory or set FIXTURES_DIR to a tests/fixtures)\n");
		printf("0 passed, 1 failed\n");
		return 1;
	}
	RUN(test_create_msg_matches_iproute2);
	RUN(test_every_capture_compared);
	RUN(test_create_msg_inherits_from_parent);
	RUN(test_mtu_choice);
	RUN(test_pkey_parse);
	RUN(test_pkey_parse_no_space_or_sign_after_0x);
	RUN(test_ipoib_mtu_max_and_names);
	RUN(test_config_fixtures);
	RUN(test_check_master);
	RUN(test_auto_ethernet_refuses_ipoib_options);
	RUN(test_ops_select);
	RUN(test_format_hwaddr_ipoib);
	RUN(test_garp_packet);
	UNIT_DONE();
}
