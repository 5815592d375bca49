/* SPDX-License-Identifier: Apache-2.0 */
/* iprule.c - policy rules (RTM_NEWRULE/RTM_DELRULE) for an attachment's own routing table. */
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/ipaddr.h"
#include "rdmanet/iprule.h"

DEFINE_CLEANUP(struct nl_msg *, nlmsg_free)

/* bound on the rules one dump collects for deletion */
#define RULE_MAX_RULES 4096

unsigned iprule_table(int ifindex)
{
	return IPRULE_TABLE_BASE + (unsigned) ifindex;
}

int iprule_ifindex(unsigned table)
{
	if (table <= IPRULE_TABLE_BASE || table - IPRULE_TABLE_BASE > INT32_MAX)
		return -1;
	return (int) (table - IPRULE_TABLE_BASE);
}

static struct nl_msg *rule_msg(int type, int flags, int family, unsigned src_len)
{
	struct fib_rule_hdr frh = {
		.family = (unsigned char) family,
		.src_len = (unsigned char) src_len,
		.action = FR_ACT_TO_TBL,
	};
	struct nl_msg *msg = nlmsg_alloc_simple(type, flags);

	if (msg && nlmsg_append(msg, &frh, sizeof(frh), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int iprule_add(struct netlink *nl, int family, const unsigned char *src, unsigned table)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg =
		rule_msg(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, family,
			 8 * (unsigned) ipaddr_len(family));

	if (!msg)
		return -ENOMEM;
	if (nla_put(msg, FRA_SRC, (int) ipaddr_len(family), src) < 0 ||
	    nla_put_u32(msg, FRA_TABLE, table) < 0 ||
	    nla_put_u32(msg, FRA_PRIORITY, IPRULE_PRIORITY) < 0 ||
	    nla_put_u8(msg, FRA_PROTOCOL, IPRULE_PROTO) < 0)
		return -EMSGSIZE;
	return netlink_talk(nl, msg, NULL, NULL);
}

/* One rule as the kernel reports it. */
struct rule {
	int family;
	unsigned table, priority, src_len;
	unsigned char src[16];
	bool has_src, ours, to_table, invert;
};

static int parse_rule(struct nlmsghdr *h, struct rule *out)
{
	struct nlattr *tb[FRA_MAX + 1];
	struct fib_rule_hdr *frh;

	if (h->nlmsg_type != RTM_NEWRULE || nlmsg_parse(h, sizeof(*frh), tb, FRA_MAX, NULL) < 0)
		return -EBADMSG;
	frh = nlmsg_data(h);
	memset(out, 0, sizeof(*out));
	out->family = frh->family;
	out->table = tb[FRA_TABLE] && nla_len(tb[FRA_TABLE]) >= 4 ? nla_get_u32(tb[FRA_TABLE]) :
								    frh->table;
	out->priority = tb[FRA_PRIORITY] && nla_len(tb[FRA_PRIORITY]) >= 4 ?
				nla_get_u32(tb[FRA_PRIORITY]) :
				0;
	out->src_len = frh->src_len;
	if (tb[FRA_SRC] && nla_len(tb[FRA_SRC]) == (int) ipaddr_len(frh->family) &&
	    frh->src_len <= 8 * ipaddr_len(frh->family)) {
		memcpy(out->src, nla_data(tb[FRA_SRC]), ipaddr_len(frh->family));
		out->has_src = true;
	}
	out->ours = tb[FRA_PROTOCOL] && nla_len(tb[FRA_PROTOCOL]) >= 1 &&
		    nla_get_u8(tb[FRA_PROTOCOL]) == IPRULE_PROTO;
	out->to_table = frh->action == FR_ACT_TO_TBL;
	out->invert = frh->flags & FIB_RULE_INVERT;
	return 0;
}

/* Does the prefix pfx/len hold addr? */
static bool prefix_holds(const unsigned char *pfx, unsigned len, const unsigned char *addr)
{
	unsigned bytes = len / 8, bits = len % 8;

	if (memcmp(pfx, addr, bytes))
		return false;
	return !bits || !((pfx[bytes] ^ addr[bytes]) & (0xff00 >> bits));
}

struct rule_match {
	int family;
	const unsigned char *src;
	unsigned table;
	bool ours_only, found;
};

static int on_rule(struct nlmsghdr *h, void *arg)
{
	struct rule_match *m = arg;
	struct rule r;

	if (parse_rule(h, &r) < 0 || r.family != m->family || !r.to_table || r.invert ||
	    r.table != m->table || (m->ours_only && !r.ours))
		return 0;
	/* a rule for some sources, such as sbr's and ours: 'from all' (main, default) is no sign */
	if (!r.src_len || !r.has_src || !prefix_holds(r.src, r.src_len, m->src))
		return 0;
	m->found = true;
	return 0;
}

int iprule_has(struct netlink *nl, int family, const unsigned char *src, unsigned table,
	       bool ours_only)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = rule_msg(RTM_GETRULE, NLM_F_DUMP, family, 0);
	struct rule_match m = { family, src, table, ours_only, false };
	int r;

	if (!msg)
		return -ENOMEM;
	r = netlink_talk(nl, msg, on_rule, &m);
	return r < 0 ? r : m.found;
}

struct rule_list {
	struct rule rules[RULE_MAX_RULES];
	unsigned n;
};

static int on_collect(struct nlmsghdr *h, void *arg)
{
	struct rule_list *l = arg;
	struct rule r;

	if (parse_rule(h, &r) < 0 || !r.ours || !r.to_table || l->n == RULE_MAX_RULES)
		return 0;
	l->rules[l->n++] = r;
	return 0;
}

static int rule_delete(struct netlink *nl, const struct rule *r)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = rule_msg(RTM_DELRULE, 0, r->family, r->src_len);

	if (!msg)
		return -ENOMEM;
	if ((r->has_src && nla_put(msg, FRA_SRC, (int) ipaddr_len(r->family), r->src) < 0) ||
	    nla_put_u32(msg, FRA_TABLE, r->table) < 0 ||
	    nla_put_u32(msg, FRA_PRIORITY, r->priority) < 0 ||
	    nla_put_u8(msg, FRA_PROTOCOL, IPRULE_PROTO) < 0)
		return -EMSGSIZE;
	return netlink_talk(nl, msg, NULL, NULL);
}

int iprule_delete(struct netlink *nl, bool (*pick)(unsigned table, void *arg), void *arg)
{
	static const int families[] = { AF_INET, AF_INET6 };
	int deleted = 0;

	for (unsigned f = 0; f < 2; f++) {
		_cleanup_(nlmsg_freep) struct nl_msg *msg =
			rule_msg(RTM_GETRULE, NLM_F_DUMP, families[f], 0);
		_cleanup_free_ struct rule_list *l = calloc(1, sizeof(*l));
		int r;

		if (!msg || !l)
			return -ENOMEM;
		/* collect first: another request while the dump runs would disturb it */
		r = netlink_talk(nl, msg, on_collect, l);
		if (r == -EAFNOSUPPORT) /* IPv6 disabled in the kernel */
			continue;
		if (r < 0)
			return r;
		for (unsigned i = 0; i < l->n; i++) {
			if (pick && !pick(l->rules[i].table, arg))
				continue;
			r = rule_delete(nl, &l->rules[i]);
			if (r < 0 && r != -ENOENT)
				return r;
			if (r >= 0)
				deleted++;
		}
	}
	return deleted;
}

static bool same_table(unsigned table, void *arg)
{
	return table == *(unsigned *) arg;
}

int iprule_delete_table(struct netlink *nl, unsigned table)
{
	return iprule_delete(nl, same_table, &table);
}
