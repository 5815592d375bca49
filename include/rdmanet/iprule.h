/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iprule.h - an attachment's own routing table and the policy rules that use it, so that in a
 * pod with several rails traffic from a rail's address leaves on that rail.
 */
#pragma once
#include <stdbool.h>

#include "rdmanet/netlink.h"

/*
 * The table of the pod interface ifindex: IPRULE_TABLE_BASE + ifindex. ifindexes are unique in
 * a netns, so the attachments of one pod (the same network twice included) never share a table,
 * and DEL and CHECK find it from the interface alone, without state.
 */
#define IPRULE_TABLE_BASE 10000u
/* Our rules' priority: after 'local' (0), before sbr's (32765) and 'main' (32766). */
#define IPRULE_PRIORITY 10000u
/*
 * The protocol (FRA_PROTOCOL, rtm_protocol) that marks rules and routes as rdmanet's: DEL
 * removes only rules bearing it. Unassigned in iproute2's rt_protos.
 */
#define IPRULE_PROTO 114

unsigned iprule_table(int ifindex);
/* Inverse of iprule_table: the ifindex, or -1 when table is not one of ours. */
int iprule_ifindex(unsigned table);
/* 'from <src>/<full length> lookup <table>' at IPRULE_PRIORITY, marked IPRULE_PROTO. */
int iprule_add(struct netlink *nl, int family, const unsigned char *src, unsigned table);
/*
 * 1 when a rule for sources holding src (family's address; a host or a covering prefix, not
 * 'from all') sends traffic to table, 0 when none; ours_only: only rules marked IPRULE_PROTO.
 */
int iprule_has(struct netlink *nl, int family, const unsigned char *src, unsigned table,
	       bool ours_only);
/*
 * Deletes our rules (IPRULE_PROTO, both families) whose table satisfies pick; returns how many.
 * pick(table, arg) may be NULL: every rule of ours. pick runs after the dump, so it may talk to
 * the kernel on nl itself.
 */
int iprule_delete(struct netlink *nl, bool (*pick)(unsigned table, void *arg), void *arg);
/* Deletes our rules of one table. */
int iprule_delete_table(struct netlink *nl, unsigned table);
