/* SPDX-License-Identifier: Apache-2.0 */
/*
 * doctor_rules.h - the doctor's rules: from the facts doctor_collect.c gathers to findings
 * {severity, what, cause, fix}. Each rule adds a finding when its facts call for one, nothing
 * otherwise; none of them reads the system except doctor_rule_enhanced_ipoib (kernel, driver).
 */
#pragma once
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "rdmanet/cni.h"
#include "rdmanet/iflink.h"
#include "rdmanet/rdmadev.h"
#include "rdmanet/verbs.h"

enum doctor_sev { DOCTOR_ERROR, DOCTOR_WARN, DOCTOR_INFO };

/* The findings of a report and how many errors and warnings they hold. */
struct doctor_findings {
	cJSON *list;
	unsigned errors, warnings;
};

/* Adds a finding; fmt yields "what\ncause\nfix" (cause and fix may be empty). */
__attribute__((format(printf, 3, 4))) void
doctor_finding(struct doctor_findings *f, enum doctor_sev sev, const char *fmt, ...);

/* One of the pod's rdmanet attachments: a link labelled "rdmanet:<cid>:<ifname>". */
struct doctor_rail {
	struct iflink_info li;
	struct cni_ip ips[8];
	unsigned n_ips;
	bool table;    /* every address has its rule to the rail's own table */
	int sysctl[3]; /* effective arp_ignore, arp_announce, rp_filter; -1 unknown */
};

/* The node: libibverbs (why: its load detail), rtnetlink and RDMA netlink (-errno). */
void doctor_rule_verbs(struct doctor_findings *f, bool loaded, const char *why);
void doctor_rule_rtnetlink(struct doctor_findings *f, int r);
void doctor_rule_rdma_netlink(struct doctor_findings *f, int r);
/* The device list: r from listing it (errmsg: why it failed), n devices in mode. */
void doctor_rule_devices(struct doctor_findings *f, int r, const char *errmsg, size_t n,
			 enum rdmadev_netns_mode mode);
void doctor_rule_rdma_cm(struct doctor_findings *f, bool present);
/* A device's uverbs node: path NULL when it has none, else whether it is present. */
void doctor_rule_uverbs(struct doctor_findings *f, const char *dev, const char *path, bool present);

/* A port: r of verbs_query_port; its state (nd: its netdev here, NULL when none). */
void doctor_rule_port_verbs(struct doctor_findings *f, const struct rdmadev_port *p, int r);
void doctor_rule_port_state(struct doctor_findings *f, const struct rdmadev_port *p, bool ib,
			    const struct iflink_info *nd, bool any_active);
void doctor_rule_gid_usage(struct doctor_findings *f, const struct rdmadev_port *p, unsigned used,
			   unsigned total);
/* mlx5 Enhanced IPoIB on kernels before 5.8 (reads uname and the device's driver). */
void doctor_rule_enhanced_ipoib(struct doctor_findings *f, const char *dev);

/* An interface given by name: absent, without RDMA (n_devs: devices visible), its port. */
void doctor_rule_no_netdev(struct doctor_findings *f, const char *name);
void doctor_rule_no_rdma(struct doctor_findings *f, const char *name, size_t n_devs);
void doctor_rule_interface_port(struct doctor_findings *f, const char *name,
				const struct rdmadev_port *p, bool any_active);
/* IPoIB (mode: its sysfs mode) and RoCE MTUs against the port's (vp zeroed when unknown). */
void doctor_rule_ipoib_mtu(struct doctor_findings *f, const struct iflink_info *li,
			   const char *mode, const struct verbs_port *vp);
void doctor_rule_roce_mtu(struct doctor_findings *f, const struct iflink_info *li,
			  const struct verbs_port *vp);
/* An address (text addr) of li with no GID on port p; flags: its IFA_F_*. */
void doctor_rule_no_gid(struct doctor_findings *f, const char *addr, const struct rdmadev_port *p,
			const struct iflink_info *li, unsigned flags);

/* A rail's MTU against its parent's in the host. */
void doctor_rule_rail_mtu(struct doctor_findings *f, const struct doctor_rail *r,
			  const struct iflink_info *parent);
/* Several rails of one pod: shared subnets without policy routing, ARP and rp_filter sysctls. */
void doctor_rule_rails(struct doctor_findings *f, const struct doctor_rail *r, unsigned n);

/* The call logs: one that cannot be read (r: -errno; source: where its path came from); the
 * failures among the calls it recorded since (its first record's time); none found in dir (r:
 * listing it). */
void doctor_rule_call_log(struct doctor_findings *f, const char *path, const char *source, int r);
void doctor_rule_call_failures(struct doctor_findings *f, const char *path, unsigned calls,
			       unsigned failures, const char *since);
void doctor_rule_no_call_log(struct doctor_findings *f, const char *dir, int r);
