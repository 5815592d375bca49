/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iflink_child.c - the parts of ADD, CHECK, DEL and STATUS that the child kinds (macvlan, ipoib)
 * share: the parent is found by name in the host, the child is created in the pod under its final
 * name and dies with it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rdmanet/cmd.h"
#include "rdmanet/iflink.h"
#include "rdmanet/log.h"

int iflink_child_find(struct iflink_attach *a, struct cni_err *err)
{
	const struct config *cfg = a->cfg;
	int r;

	/* a device plugin's deviceID names the RDMA function when the netdev does not */
	(void) snprintf(a->bus_id, sizeof(a->bus_id), "%s", cfg->device_id);
	r = iflink_find(a->host, cfg->master, &a->master);
	if (r == -ENOENT)
		return err_set(err, 0, RDMANET_ERR_MASTER, NULL,
			       "master '%s' not found in the host network namespace: check "
			       "'master' in the network config and the node's interface names",
			       cfg->master);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_MASTER, netlink_errmsg(a->host),
			       "cannot look up master '%s'", cfg->master);
	a->ops = iflink_ops_select(cfg, &a->master, err);
	if (!a->ops)
		return -EINVAL;
	if (!(a->master.flags & IFF_UP))
		log_warn("master '%s' is down: the pod's interface will have no carrier",
			 a->master.name);
	return 0;
}

/*
 * The child, created inside the pod under CNI_IFNAME with our marker group, then labelled as
 * ours: DEL deletes an unlabelled child only when it bears the marker.
 */
int iflink_child_attach(struct iflink_attach *a, struct cni_err *err)
{
	const struct iflink_ops *ops = a->ops;
	const struct cni_env *env = a->env;
	int r;

	r = cmd_fault("create");
	if (r >= 0)
		r = iflink_create(a->host, ops, a->cfg, &a->master, a->nsfd, env->ifname,
				  iflink_marker(env->containerid, env->ifname));
	if (r == -EEXIST)
		return err_set(err, r, RDMANET_ERR_IFNAME_EXISTS, netlink_errmsg(a->host),
			       "interface '%s' appeared in CNI_NETNS '%s' meanwhile: another ADD "
			       "for this pod and interface is running",
			       env->ifname, env->netns);
	if (r == -EOPNOTSUPP)
		return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(a->host),
			       "the kernel has no '%s' link type: load its module (modprobe %s)",
			       ops->kind, ops->module);
	if (r < 0 && ops->create_error &&
	    ops->create_error(r, a->cfg, netlink_errmsg(a->host), err) < 0)
		return r;
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(a->host),
			       "cannot create %s child of master '%s' in the pod", ops->kind,
			       a->cfg->master);
	r = iflink_find(a->pod, env->ifname, &a->link);
	if (r < 0) {
		a->link.ifindex = 0;
		return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(a->pod),
			       "'%s' is missing from the pod right after its creation",
			       env->ifname);
	}
	log_info("created %s '%s' (ifindex %d) on master '%s' in '%s'", ops->kind, env->ifname,
		 a->link.ifindex, a->cfg->master, env->netns);
	r = cmd_fault("alias");
	if (r >= 0)
		r = iflink_claim(a->pod, a->link.ifindex, a->alias);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(a->pod),
			       "cannot label '%s'", env->ifname);
	return 0;
}

void iflink_child_detach(struct iflink_attach *a)
{
	int r;

	if (a->link.ifindex <= 0)
		return;
	r = iflink_delete(a->pod, a->link.ifindex);
	if (r < 0 && r != -ENOENT)
		log_warn("rollback: cannot delete '%s' in the pod: %s, ignoring", a->env->ifname,
			 strerror(-r));
}

int iflink_child_check_host(struct netlink *host, const struct cni_env *env,
			    const struct config *cfg, struct iflink_info *master,
			    struct cni_err *err)
{
	int r = iflink_find(host, cfg->master, master);

	(void) env;
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_MASTER, netlink_errmsg(host),
			       "master '%s' not found in the host network namespace", cfg->master);
	return 0;
}

/* A child dies with its netns; deleted now, the pod sees it go at once. */
int iflink_child_remove(struct netlink *pod, struct netlink *host, const struct iflink_info *link,
			const struct cni_env *env, struct cni_err *err)
{
	int r = iflink_delete(pod, link->ifindex);

	(void) host;
	if (r < 0 && r != -ENOENT)
		return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(pod),
			       "cannot delete '%s' in the pod", env->ifname);
	log_info("deleted '%s' in '%s'", env->ifname, env->netns);
	return 0;
}

/* Ready when the parent is up with carrier. */
int iflink_child_status(struct netlink *host, const struct config *cfg, struct iflink_info *master,
			char *bus_id, size_t bus_id_len, struct cni_err *err)
{
	int r = iflink_find(host, cfg->master, master);

	(void) bus_id;
	(void) bus_id_len;
	if (r == -ENOENT)
		return err_set(err, r, CNI_ERR_NOT_AVAILABLE, NULL,
			       "master '%s' does not exist on this node: check the "
			       "RDMA NIC and its driver",
			       cfg->master);
	if (r < 0)
		return err_set(err, r, CNI_ERR_NOT_AVAILABLE, netlink_errmsg(host),
			       "cannot look up master '%s'", cfg->master);
	if (!(master->flags & IFF_UP))
		return err_set(err, -ENETDOWN, CNI_ERR_LIMITED_CONNECTIVITY, NULL,
			       "master '%s' is administratively down: 'ip link set %s up'",
			       cfg->master, cfg->master);
	if (!(master->flags & IFF_LOWER_UP))
		return err_set(err, -ENETDOWN, CNI_ERR_LIMITED_CONNECTIVITY, NULL,
			       "master '%s' has no carrier: check the cable, the switch port or "
			       "the subnet manager",
			       cfg->master);
	return 0;
}
