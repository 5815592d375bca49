/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iflink_ipoib.c - IPoIB children of InfiniBand parents. libnl has no IPoIB link module: the
 * IFLA_INFO_DATA attributes are built with its message API, as iproute2's iplink_ipoib.c sends
 * them (u16 P_Key, mode and umcast). Unset values are inherited from the parent, whose own
 * IFLA_INFO_DATA reports them: a P_Key other than the parent's leaves the child LOWERLAYERDOWN
 * on fabrics where the node is not a member, and ipoib-cni's fixed 2044 MTU was a long-standing
 * complaint. Also the child's part of CHECK (P_Key, mode) and of ADD (a gratuitous ARP once it
 * has carrier).
 */
#include <errno.h>
#include <net/if.h>
#include <linux/if.h> /* IFF_LOWER_UP; after <net/if.h>, as libc-compat.h allows */
#include <net/if_arp.h>
#include <linux/if_link.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "rdmanet/clock.h"
#include "rdmanet/iflink.h"
#include "rdmanet/ipaddr.h"
#include "rdmanet/ipaddr_garp.h"
#include "rdmanet/log.h"
#include "rdmanet/netns.h"

static int mode_of(const struct config *cfg, const struct iflink_info *master)
{
	if (cfg->ipoib_mode >= 0)
		return cfg->ipoib_mode;
	return master->has_ipoib ? (int) master->ipoib_mode : IPOIB_MODE_DATAGRAM;
}

static int ipoib_check_master(const struct iflink_info *master, const struct config *cfg,
			      struct cni_err *err)
{
	int mode = mode_of(cfg, master);

	if (master->type != ARPHRD_INFINIBAND)
		return err_set(err, -EINVAL, RDMANET_ERR_MASTER, NULL,
			       "master '%s' is not an InfiniBand netdev (link type %u): IPoIB "
			       "children need an IPoIB parent such as 'ib0'%s",
			       master->name, master->type,
			       master->type == ARPHRD_ETHER ?
				       "; for this Ethernet (RoCE) parent use link 'macvlan'" :
				       "");
	if (master->link > 0 && master->link != master->ifindex)
		return err_set(err, -EINVAL, RDMANET_ERR_MASTER, NULL,
			       "master '%s' is itself an IPoIB child (of ifindex %d): name the "
			       "physical IPoIB netdev",
			       master->name, master->link);
	if (cfg->mtu > config_ipoib_mtu_max(mode))
		return err_set(err, -EINVAL, CNI_ERR_INVALID_CONFIG, NULL,
			       "invalid network config: 'mtu' %u is above %u, the largest MTU of "
			       "an IPoIB child in %s mode",
			       cfg->mtu, config_ipoib_mtu_max(mode), config_ipoib_mode_name(mode));
	/* in datagram mode the parent's MTU is the fabric's IB MTU minus the 4-byte header */
	if (mode == IPOIB_MODE_DATAGRAM && master->has_ipoib &&
	    master->ipoib_mode == IPOIB_MODE_DATAGRAM && cfg->mtu > master->mtu)
		return err_set(err, -EINVAL, CNI_ERR_INVALID_CONFIG, NULL,
			       "invalid network config: 'mtu' %u is above the MTU %u of "
			       "datagram-mode parent '%s' (its IB MTU minus the 4-byte IPoIB "
			       "header): use at most %u, or connected mode",
			       cfg->mtu, master->mtu, master->name, master->mtu);
	return 0;
}

static int ipoib_fill_data(struct nl_msg *msg, const struct config *cfg,
			   const struct iflink_info *master)
{
	int pkey = cfg->pkey >= 0 ? cfg->pkey : master->has_ipoib ? (int) master->ipoib_pkey : -1;
	int mode = cfg->ipoib_mode >= 0 ? cfg->ipoib_mode :
		   master->has_ipoib    ? (int) master->ipoib_mode :
					  -1;

	if (pkey >= 0 && nla_put_u16(msg, IFLA_IPOIB_PKEY, (uint16_t) pkey) < 0)
		return -EMSGSIZE;
	if (mode >= 0 && nla_put_u16(msg, IFLA_IPOIB_MODE, (uint16_t) mode) < 0)
		return -EMSGSIZE;
	if (cfg->umcast >= 0 && nla_put_u16(msg, IFLA_IPOIB_UMCAST, (uint16_t) cfg->umcast) < 0)
		return -EMSGSIZE;
	return 0;
}

static unsigned ipoib_mtu(const struct config *cfg, const struct iflink_info *master)
{
	int mode = mode_of(cfg, master);

	if (cfg->mtu)
		return cfg->mtu;
	if (!master->has_ipoib || mode == (int) master->ipoib_mode)
		return master->mtu; /* the parent's, not a fixed 2044 */
	/* another mode than the parent's: the kernel clamps a datagram MTU to the fabric's */
	return mode == IPOIB_MODE_DATAGRAM ? config_ipoib_mtu_max(mode) : 0;
}

static void ipoib_parse_data(struct nlattr *data, struct iflink_info *info)
{
	struct nlattr *ib[IFLA_IPOIB_MAX + 1];

	if (nla_parse_nested(ib, IFLA_IPOIB_MAX, data, NULL) < 0)
		return;
	if (ib[IFLA_IPOIB_PKEY] && nla_len(ib[IFLA_IPOIB_PKEY]) >= 2) {
		info->ipoib_pkey = nla_get_u16(ib[IFLA_IPOIB_PKEY]);
		info->has_ipoib = true;
	}
	if (ib[IFLA_IPOIB_MODE] && nla_len(ib[IFLA_IPOIB_MODE]) >= 2)
		info->ipoib_mode = nla_get_u16(ib[IFLA_IPOIB_MODE]);
	if (ib[IFLA_IPOIB_UMCAST] && nla_len(ib[IFLA_IPOIB_UMCAST]) >= 2)
		info->ipoib_umcast = nla_get_u16(ib[IFLA_IPOIB_UMCAST]);
}

static int ipoib_create_error(int r, const struct config *cfg, const char *nlerr,
			      struct cni_err *err)
{
	if (r == -ENODEV)
		return err_set(err, r, RDMANET_ERR_MASTER, nlerr,
			       "the kernel refused an IPoIB child of '%s' (ENODEV): it is not an "
			       "IPoIB netdev of an InfiniBand port, or its port is gone",
			       cfg->master);
	return 0;
}

static int ipoib_check(const struct iflink_info *link, const struct config *cfg, const char *ifname,
		       struct cni_err *err)
{
	if (cfg->pkey >= 0 && (link->ipoib_pkey | 0x8000) != (unsigned) cfg->pkey)
		return err_set(err, -EINVAL, RDMANET_ERR_CHECK, NULL,
			       "'%s' has P_Key 0x%04x, the config says 0x%04x", ifname,
			       link->ipoib_pkey, (unsigned) cfg->pkey);
	if (cfg->ipoib_mode >= 0 && link->ipoib_mode != (unsigned) cfg->ipoib_mode)
		return err_set(err, -EINVAL, RDMANET_ERR_CHECK, NULL,
			       "'%s' is in IPoIB mode '%s', the config says '%s'", ifname,
			       config_ipoib_mode_name((int) link->ipoib_mode),
			       config_ipoib_mode_name(cfg->ipoib_mode));
	return 0;
}

#define CARRIER_WAIT_MS 2000

/*
 * IPoIB: the kernel's arp_notify announcement goes out at NETDEV_UP, before the child has
 * joined the broadcast group and has carrier, and is lost; announce again once it is there.
 * Best effort: the attachment works without it, neighbours just learn the new address later.
 */
static void ipoib_after_up(struct netlink *pod, int nsfd, int ifindex,
			   const struct cni_result *ipam)
{
	struct timespec t = { 0, 10 * 1000 * 1000 };
	long long deadline = clock_now_ms() + CARRIER_WAIT_MS;
	struct iflink_info link;
	int saved = -1, r, sent = 0;

	/* a deadline, not a count of naps: each lookup and each nanosleep takes its own time */
	for (;;) {
		r = iflink_find_index(pod, ifindex, &link);
		if (r < 0 || link.flags & IFF_LOWER_UP || clock_now_ms() >= deadline)
			break;
		(void) nanosleep(&t, NULL);
	}
	if (r < 0 || !(link.flags & IFF_LOWER_UP)) {
		log_warn("'%s' has no carrier after %d ms (broadcast group not joined: check the "
			 "P_Key and the subnet manager): no gratuitous ARP sent",
			 link.name, CARRIER_WAIT_MS);
		return;
	}
	if (netns_enter(nsfd, &saved) < 0)
		return;
	for (unsigned i = 0; i < ipam->n_ips; i++) {
		if (ipam->ips[i].family != AF_INET)
			continue;
		r = ipaddr_garp(ifindex, ARPHRD_INFINIBAND, link.addr, link.addr_len,
				link.broadcast, link.broadcast_len, ipam->ips[i].addr);
		if (r < 0)
			log_warn("cannot send a gratuitous ARP on '%s': %s, ignoring", link.name,
				 strerror(-r));
		else
			sent++;
	}
	if (netns_restore(&saved) < 0)
		log_error("cannot return to the host network namespace after the gratuitous ARP");
	log_debug("sent %d gratuitous ARP(s) on '%s'", sent, link.name);
}

const struct iflink_ops iflink_ipoib_ops = {
	.name = "ipoib",
	.kind = "ipoib",
	.module = "ib_ipoib",
	.check_master = ipoib_check_master,
	.fill_data = ipoib_fill_data,
	.mtu = ipoib_mtu,
	.parse_data = ipoib_parse_data,
	.create_error = ipoib_create_error,
	.check = ipoib_check,
	.after_up = ipoib_after_up,
	.find = iflink_child_find,
	.attach = iflink_child_attach,
	.detach = iflink_child_detach,
	.check_host = iflink_child_check_host,
	.remove = iflink_child_remove,
	.status = iflink_child_status,
};
