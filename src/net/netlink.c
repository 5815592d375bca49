/* SPDX-License-Identifier: Apache-2.0 */
/* netlink.c - libnl core as transport; libnl's -NLE_* never leaves this file. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/netlink.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

DEFINE_CLEANUP(struct nl_cb *, nl_cb_put)

struct talk {
	struct netlink *nl;
	netlink_reply_fn on_reply;
	void *arg;
	int error; /* kernel errno (positive) or our callback's -errno */
	bool done;
};

/* Pulls NLMSGERR_ATTR_MSG out of an extended ACK, as rdma-core's util/rdma_nl.c does. */
static const char *extack_msg(struct nlmsgerr *e)
{
	struct nlmsghdr *h = (struct nlmsghdr *) ((char *) e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = sizeof(*e);

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (NLMSG_HDRLEN + off >= h->nlmsg_len)
		return NULL;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *) ((char *) e + off),
		      (int) (h->nlmsg_len - NLMSG_HDRLEN - off), NULL) < 0)
		return NULL;
	if (!tb[NLMSGERR_ATTR_MSG] || nla_len(tb[NLMSGERR_ATTR_MSG]) < 1)
		return NULL;
	/* make sure the string is terminated within the attribute */
	if (((char *) nla_data(tb[NLMSGERR_ATTR_MSG]))[nla_len(tb[NLMSGERR_ATTR_MSG]) - 1])
		return NULL;
	return nla_get_string(tb[NLMSGERR_ATTR_MSG]);
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct talk *t = arg;
	const char *ext = extack_msg(e);

	(void) who;
	t->error = e->error < 0 ? -e->error : e->error;
	t->done = true;
	(void) snprintf(t->nl->errmsg, sizeof(t->nl->errmsg), "%s%s%s", strerror(t->error),
			ext ? ": " : "", ext ? ext : "");
	return NL_STOP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct talk *t = arg;
	int r;

	if (!t->on_reply || t->error)
		return NL_OK;
	r = t->on_reply(nlmsg_hdr(msg), t->arg);
	if (r < 0)
		t->error = -r; /* keep draining until ACK/DONE, report ours */
	return NL_OK;
}

static int on_done(struct nl_msg *msg, void *arg)
{
	struct talk *t = arg;

	(void) msg;
	t->done = true;
	return NL_STOP;
}

int netlink_open_protocol(struct netlink *nl, int protocol)
{
	int one = 1, r;

	memset(nl, 0, sizeof(*nl));
	nl->sk = nl_socket_alloc();
	if (!nl->sk)
		return -ENOMEM;
	r = nl_connect(nl->sk, protocol);
	if (r < 0) {
		nl_socket_free(nl->sk);
		nl->sk = NULL;
		return -EPROTONOSUPPORT;
	}
	(void) setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one,
			  sizeof(one));
	(void) setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one,
			  sizeof(one));
	return 0;
}

int netlink_open(struct netlink *nl)
{
	return netlink_open_protocol(nl, NETLINK_ROUTE);
}

void netlink_close(struct netlink *nl)
{
	if (nl->sk)
		nl_socket_free(nl->sk);
	nl->sk = NULL;
}

const char *netlink_errmsg(const struct netlink *nl)
{
	return nl->errmsg[0] ? nl->errmsg : NULL;
}

int netlink_talk(struct netlink *nl, struct nl_msg *msg, netlink_reply_fn on_reply, void *arg)
{
	_cleanup_(nl_cb_putp) struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	struct talk t = { .nl = nl, .on_reply = on_reply, .arg = arg };
	int r;

	nl->errmsg[0] = '\0';
	if (!cb)
		return -ENOMEM;
	(void) nl_cb_err(cb, NL_CB_CUSTOM, on_error, &t);
	(void) nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &t);
	(void) nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_done, &t);
	(void) nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_done, &t);

	r = nl_send_auto(nl->sk, msg);
	if (r < 0) {
		(void) snprintf(nl->errmsg, sizeof(nl->errmsg), "netlink send failed: %s",
				nl_geterror(r));
		return -EIO;
	}
	while (!t.done) {
		r = nl_recvmsgs(nl->sk, cb);
		/* libnl read the dump to its end: the socket is clean, the caller may dump again */
		if (r == -NLE_DUMP_INTR && !t.error) {
			(void) snprintf(nl->errmsg, sizeof(nl->errmsg),
					"netlink dump interrupted by a concurrent change");
			return -EINTR;
		}
		if (r < 0 && !t.error) {
			(void) snprintf(nl->errmsg, sizeof(nl->errmsg),
					"netlink receive failed: %s", nl_geterror(r));
			return -EIO;
		}
		if (r < 0)
			break;
	}
	if (t.error && !nl->errmsg[0])
		(void) snprintf(nl->errmsg, sizeof(nl->errmsg), "%s", strerror(t.error));
	return -t.error;
}
