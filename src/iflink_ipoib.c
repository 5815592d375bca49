/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iflink_ipoib.c - IPoIB children of InfiniBand parents. libnl has no IPoIB link module: the
 * IFLA_INFO_DATA attributes are built with its message API, as iproute2's iplink_ipoib.c sends
 * them (u16 P_Key, mode and umcast). Unset values are inherited from the parent, whose own
 * IFLA_INFO_DATA reports them: a P_Key other than the parent's leaves the child LOWERLAYERDOWN
 * on fabrics where the node is not a member, and ipoib-cni's fixed 2044 MTU was a long-standing
 * complaint.
 */
#include <errno.h>
#include <net/if_arp.h>
#include <linux/if_link.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "rdmanet/iflink.h"

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
			       "master '%s' is not an InfiniBand netdev (link type %u): IPoIB children need an IPoIB parent such as 'ib0'%s",
			       master->name, master->type,
			       master->type == ARPHRD_ETHER ? "; for this Ethernet (RoCE) parent use link 'macvlan'" : "");
	if (master->link > 0 && master->link != master->ifindex)
		return err_set(err, -EINVAL, RDMANET_ERR_MASTER, NULL,
			       "master '%s' is itself an IPoIB child (of ifindex %d): name the physical IPoIB netdev",
			       master->name, master->link);
	if (cfg->mtu > config_ipoib_mtu_max(mode))
		return err_set(err, -EINVAL, CNI_ERR_INVALID_CONFIG, NULL,
			       "invalid network config: 'mtu' %u is above %u, the largest MTU of an IPoIB child in %s mode",
			       cfg->mtu, config_ipoib_mtu_max(mode), config_ipoib_mode_name(mode));
	/* in datagram mode the parent's MTU is the fabric's IB MTU minus the 4-byte header */
	if (mode == IPOIB_MODE_DATAGRAM && master->has_ipoib &&
	    master->ipoib_mode == IPOIB_MODE_DATAGRAM && cfg->mtu > master->mtu)
		return err_set(err, -EINVAL, CNI_ERR_INVALID_CONFIG, NULL,
			       "invalid network config: 'mtu' %u is above the MTU %u of datagram-mode parent '%s' (its IB MTU minus the 4-byte IPoIB header): use at most %u, or connected mode",
			       cfg->mtu, master->mtu, master->name, master->mtu);
	return 0;
}

static int ipoib_fill_data(struct nl_msg *msg, const struct config *cfg,
			   const struct iflink_info *master)
{
	int pkey = cfg->pkey >= 0 ? cfg->pkey : master->has_ipoib ? (int) master->ipoib_pkey : -1;
	int mode = cfg->ipoib_mode >= 0 ? cfg->ipoib_mode :
		   master->has_ipoib	? (int) master->ipoib_mode : -1;

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

const struct iflink_ops iflink_ipoib_ops = {
	.kind = "ipoib",
	.check_master = ipoib_check_master,
	.fill_data = ipoib_fill_data,
	.mtu = ipoib_mtu,
};
