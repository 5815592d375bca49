/* SPDX-License-Identifier: Apache-2.0 */
/* iflink_macvlan.c - macvlan children of Ethernet (RoCE) parents. */
#include <errno.h>
#include <net/if_arp.h>
#include <linux/if_link.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "rdmanet/iflink.h"

static int macvlan_check_master(const struct iflink_info *master, const struct config *cfg,
				struct cni_err *err)
{
	if (master->type != ARPHRD_ETHER)
		return err_set(err, -EINVAL, RDMANET_ERR_MASTER, NULL,
			       "master '%s' is not an Ethernet netdev (link type %u): macvlan "
			       "needs an Ethernet/RoCE parent%s",
			       master->name, master->type,
			       master->type == ARPHRD_INFINIBAND ?
				       "; this one is InfiniBand: use link 'ipoib'" :
				       "");
	if (cfg->pkey >= 0 || cfg->ipoib_mode >= 0 || cfg->umcast >= 0)
		return err_set(err, -EINVAL, CNI_ERR_INVALID_CONFIG, NULL,
			       "invalid network config: '%s' applies to IPoIB children only, and "
			       "master '%s' is Ethernet (link 'auto' picks macvlan): drop it, or "
			       "name an InfiniBand master",
			       cfg->pkey >= 0       ? "pkey" :
			       cfg->ipoib_mode >= 0 ? "ipoibMode" :
						      "umcast",
			       master->name);
	if (cfg->mtu > master->mtu)
		return err_set(err, 0, CNI_ERR_INVALID_CONFIG, NULL,
			       "invalid network config: 'mtu' %u is larger than the "
			       "MTU %u of master '%s'",
			       cfg->mtu, master->mtu, master->name);
	return 0;
}

static int macvlan_fill_data(struct nl_msg *msg, const struct config *cfg,
			     const struct iflink_info *master)
{
	(void) master;
	return nla_put_u32(msg, IFLA_MACVLAN_MODE, cfg->macvlan_mode) < 0 ? -EMSGSIZE : 0;
}

static unsigned macvlan_mtu(const struct config *cfg, const struct iflink_info *master)
{
	(void) master;
	return cfg->mtu; /* 0: the kernel gives a macvlan its parent's MTU */
}

static void macvlan_parse_data(struct nlattr *data, struct iflink_info *info)
{
	struct nlattr *tb[IFLA_MACVLAN_MAX + 1];

	if (nla_parse_nested(tb, IFLA_MACVLAN_MAX, data, NULL) >= 0 && tb[IFLA_MACVLAN_MODE] &&
	    nla_len(tb[IFLA_MACVLAN_MODE]) >= 4)
		info->macvlan_mode = nla_get_u32(tb[IFLA_MACVLAN_MODE]);
}

static int macvlan_check(const struct iflink_info *link, const struct config *cfg,
			 const char *ifname, struct cni_err *err)
{
	if (link->macvlan_mode != cfg->macvlan_mode)
		return err_set(err, -EINVAL, RDMANET_ERR_CHECK, NULL,
			       "'%s' is in macvlan mode '%s', the config says '%s'", ifname,
			       config_macvlan_mode_name(link->macvlan_mode),
			       config_macvlan_mode_name(cfg->macvlan_mode));
	return 0;
}

const struct iflink_ops iflink_macvlan_ops = {
	.name = "macvlan",
	.kind = "macvlan",
	.module = "macvlan",
	.check_master = macvlan_check_master,
	.fill_data = macvlan_fill_data,
	.mtu = macvlan_mtu,
	.parse_data = macvlan_parse_data,
	.check = macvlan_check,
	.find = iflink_child_find,
	.attach = iflink_child_attach,
	.detach = iflink_child_detach,
	.check_host = iflink_child_check_host,
	.remove = iflink_child_remove,
	.status = iflink_child_status,
};
