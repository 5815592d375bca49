/* SPDX-License-Identifier: Apache-2.0 */
/* netlink.h - one rtnetlink socket per namespace; requests with the kernel's errno and extack. */
#pragma once
#include <linux/netlink.h>

struct nl_sock;
struct nl_msg;

struct netlink {
	struct nl_sock *sk;
	char errmsg[256]; /* "strerror: extack" of the last failed request */
};

typedef int (*netlink_reply_fn)(struct nlmsghdr *h, void *arg);

/* Opens a NETLINK_ROUTE socket in the caller's current netns. */
int netlink_open(struct netlink *nl);
/* Another netlink family (NETLINK_RDMA); -EPROTONOSUPPORT when the kernel lacks it. */
int netlink_open_protocol(struct netlink *nl, int protocol);
void netlink_close(struct netlink *nl);
/*
 * Sends msg (NLM_F_REQUEST|NLM_F_ACK are added), feeds every reply message to on_reply (may be
 * NULL) and waits for the ACK or, for dumps, NLMSG_DONE. Returns the kernel's -errno; -EINTR
 * when the kernel marked a dump interrupted (its content changed meanwhile: dump again).
 */
int netlink_talk(struct netlink *nl, struct nl_msg *msg, netlink_reply_fn on_reply, void *arg);
/* The kernel's words for the last failure, for error details. */
const char *netlink_errmsg(const struct netlink *nl);
