/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iflink_hostdev.c - the 'hostdev' kind: a whole VF, SF or PF netdev moves into the pod (in
 * exclusive mode after its RDMA device), and goes back on DEL or GC under its host name and MTU,
 * as the state written before the move says.
 */
#include <errno.h>
#include <limits.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/cmd.h"
#include "rdmanet/iflink.h"
#include "rdmanet/log.h"
#include "rdmanet/netns.h"
#include "rdmanet/rdmadev.h"
#include "rdmanet/rdmadev_sysfs.h"
#include "rdmanet/state.h"
#include "rdmanet/sysfs.h"

/* The PCI or auxiliary device behind a netdev of the caller's netns ("" for virtual ones). */
static void bus_id_of(const char *ifname, char *out, size_t len)
{
	char path[PATH_MAX];

	out[0] = '\0';
	if (!sysfs_name_ok(ifname))
		return;
	(void) snprintf(path, sizeof(path), "/sys/class/net/%s/device", ifname);
	if (sysfs_link_base(path, out, len) < 0) {
		out[0] = '\0';
		return;
	}
	/* a VF/PF: its PCI function; an SF: its auxiliary device; virtio-net: virtioN's PCI parent
	 */
	if (!strncmp(out, "virtio", 6) && rdmadev_netdev_pci_address(ifname, out, len) < 0)
		out[0] = '\0';
}

int iflink_hostdev_find(struct netlink *nl, const struct config *cfg, struct iflink_info *dev,
			char *bus_id, size_t bus_id_len, struct cni_err *err)
{
	char name[IF_NAMESIZE];
	int r;

	bus_id[0] = '\0';
	if (cfg->device_id[0]) {
		r = rdmadev_netdev_by_bus_id(cfg->device_id, name, sizeof(name));
		if (r == -ENOENT && !rdmadev_bus_id_exists(cfg->device_id))
			return err_set(err, r, RDMANET_ERR_MASTER, NULL,
				       "deviceID '%s' is not a PCI or auxiliary device on this "
				       "node: check the device plugin's resource and "
				       "the VF/SF configuration",
				       cfg->device_id);
		if (r == -ENOENT)
			return err_set(err, r, RDMANET_ERR_MASTER, NULL,
				       "device '%s' has no netdev in the host network namespace: "
				       "it is attached to another pod (or bound to a driver "
				       "without a netdev, such as vfio-pci)",
				       cfg->device_id);
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_MASTER, NULL,
				       "cannot read the netdev of device '%s' from sysfs",
				       cfg->device_id);
		if (cfg->master[0] && strcmp(cfg->master, name))
			return err_set(err, -EINVAL, CNI_ERR_INVALID_CONFIG, NULL,
				       "invalid network config: 'master' '%s' is not the netdev "
				       "'%s' of deviceID '%s': drop 'master' or make them agree",
				       cfg->master, name, cfg->device_id);
		(void) snprintf(bus_id, bus_id_len, "%s", cfg->device_id);
	} else {
		(void) snprintf(name, sizeof(name), "%s", cfg->master);
	}
	r = iflink_find(nl, name, dev);
	if (r == -ENOENT)
		return err_set(err, r, RDMANET_ERR_MASTER, NULL,
			       "netdev '%s' is not in the host network namespace: check 'master', "
			       "or it is attached to another pod",
			       name);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_MASTER, netlink_errmsg(nl),
			       "cannot look up netdev '%s'", name);
	/* children (an IPoIB child names its parent in IFLA_LINK) belong to their parent */
	if (dev->type == ARPHRD_LOOPBACK || !strcmp(dev->kind, "macvlan") ||
	    !strcmp(dev->kind, "bridge") ||
	    (!strcmp(dev->kind, "ipoib") && dev->link > 0 && dev->link != dev->ifindex))
		return err_set(err, -EINVAL, RDMANET_ERR_MASTER, NULL,
			       "netdev '%s' (%s) cannot be handed to a pod with link 'hostdev': "
			       "name a VF, SF or PF",
			       name, dev->kind[0] ? dev->kind : "loopback");
	if (!bus_id[0])
		bus_id_of(name, bus_id, bus_id_len);
	return 0;
}

static int hostdev_find(struct iflink_attach *a, struct cni_err *err)
{
	int r = iflink_hostdev_find(a->host, a->cfg, &a->master, a->bus_id, sizeof(a->bus_id), err);

	if (r < 0)
		return r;
	a->ops = &iflink_hostdev_ops;
	a->hostfd = netns_open_current();
	if (a->hostfd < 0)
		return err_set(err, a->hostfd, RDMANET_ERR_NETNS, NULL,
			       "cannot open the host network namespace");
	return 0;
}

/*
 * What DEL must give back is on disk before anything moves; the RDMA device goes first (moving
 * it re-creates its IPoIB netdevs in the default netns), then the netdev, renamed, with its MTU
 * and our label, in one request.
 */
static int hostdev_attach(struct iflink_attach *a, struct cni_err *err)
{
	const struct cni_env *env = a->env;
	const struct rdma_plan *plan = a->plan;
	struct state *st = &a->st;
	int r;

	(void) snprintf(st->network, sizeof(st->network), "%s", a->cfg->name);
	(void) snprintf(st->containerid, sizeof(st->containerid), "%s", env->containerid);
	(void) snprintf(st->ifname, sizeof(st->ifname), "%s", env->ifname);
	(void) snprintf(st->netns, sizeof(st->netns), "%s", env->netns);
	strcpy(st->kind, iflink_hostdev_ops.name);
	strcpy(st->host_name, a->master.name);
	st->host_ifindex = a->master.ifindex;
	st->host_mtu = a->master.mtu;
	(void) snprintf(st->bus_id, sizeof(st->bus_id), "%s", a->bus_id);
	if (plan->active) {
		strcpy(st->rdma_device, plan->dev.name);
		st->rdma_port = plan->port.port;
		st->rdma_moved = plan->move;
	}
	r = cmd_fault("state");
	if (r >= 0)
		r = state_save(env->containerid, env->ifname, st);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_INTERNAL, NULL,
			       "cannot write the attachment state under " STATE_DIR);
	a->state_saved = true;
	if (plan->move) {
		r = cmd_rdma_move_in(plan, a->nsfd, err);
		if (r < 0)
			return r;
		a->rdma_moved = true;
		/* the move re-creates the device's IPoIB netdevs in the host: look again */
		r = iflink_find(a->host, st->host_name, &a->master);
		if (r < 0)
			return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(a->host),
				       "'%s' vanished from the host when RDMA device '%s' moved",
				       st->host_name, plan->dev.name);
	}
	r = cmd_fault("move");
	if (r >= 0)
		r = iflink_change(a->host, a->master.ifindex, a->nsfd, env->ifname, a->cfg->mtu,
				  a->alias);
	if (r < 0) {
		r = err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(a->host),
			    "cannot move '%s' into the pod as '%s'", a->master.name, env->ifname);
		/*
		 * the kernel moves first: a refused MTU leaves the device in the pod, a name taken
		 * there meanwhile leaves it under its host name
		 */
		if (iflink_find(a->pod, env->ifname, &a->link) < 0 &&
		    (iflink_find(a->pod, a->master.name, &a->link) < 0 ||
		     a->link.addr_len != a->master.addr_len ||
		     memcmp(a->link.addr, a->master.addr, a->master.addr_len)))
			a->link.ifindex = 0;
		return r;
	}
	r = iflink_find(a->pod, env->ifname, &a->link);
	if (r < 0) {
		a->link.ifindex = 0;
		return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(a->pod),
			       "'%s' is missing from the pod right after the move", env->ifname);
	}
	log_info("moved '%s' (ifindex %d%s%s) into '%s' as '%s'", a->master.name, a->master.ifindex,
		 a->bus_id[0] ? ", device " : "", a->bus_id, env->netns, env->ifname);
	return 0;
}

/* Back to the host: the netdev (original name and MTU, no label), the RDMA device; no state. */
static void hostdev_detach(struct iflink_attach *a)
{
	const struct state *st = &a->st;
	int r;

	if (a->link.ifindex > 0) {
		bool renamed;

		r = iflink_move_named(a->pod, a->link.ifindex, a->hostfd, a->host, st->host_name,
				      st->host_mtu, "", &renamed);
		if (r >= 0 && renamed)
			log_warn("rollback: '%s' is taken in the host: '%s' returned under a "
				 "kernel-chosen name",
				 st->host_name, a->link.name);
		if (r < 0 && r != -ENODEV)
			log_warn("rollback: cannot return '%s' to the host as '%s': %s, ignoring",
				 a->link.name, st->host_name,
				 netlink_errmsg(a->pod) ? netlink_errmsg(a->pod) : strerror(-r));
	}
	if (a->rdma_moved) {
		r = cmd_rdma_move_out(a->plan->dev.name, a->nsfd);
		if (r < 0)
			log_warn("rollback: cannot return RDMA device '%s' to "
				 "the host: %s, ignoring",
				 a->plan->dev.name, strerror(-r));
	}
	if (a->state_saved) {
		r = state_remove(a->env->containerid, a->env->ifname);
		if (r < 0 && r != -ENOENT)
			log_warn("rollback: cannot remove the state file: %s, ignoring",
				 strerror(-r));
	}
}

/* The device itself is in the pod: what it was in the host is in the state. */
static int hostdev_check_host(struct netlink *host, const struct cni_env *env,
			      const struct config *cfg, struct iflink_info *master,
			      struct cni_err *err)
{
	struct state st;
	int r = state_load(env->containerid, env->ifname, &st);

	(void) host;
	(void) cfg;
	(void) master;
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_CHECK, NULL,
			       "no readable attachment state for '%s' under " STATE_DIR,
			       env->ifname);
	return 0;
}

struct alias_search {
	const char *alias;
	struct iflink_info *out;
	bool found;
};

static int match_alias(const struct iflink_info *info, void *arg)
{
	struct alias_search *s = arg;

	if (!s->found && iflink_alias_matches(info->alias, s->alias)) {
		*s->out = *info;
		s->found = true;
	}
	return 0;
}

/*
 * A hostdev netdev back in the host (its pod's netns died, or an earlier DEL moved it and
 * stopped): our label travels with it; give it its name, MTU and empty alias back.
 */
static int restore_in_host(struct netlink *host, const char *alias, const struct state *st,
			   struct cni_err *err)
{
	struct iflink_info info;
	struct alias_search s = { alias, &info, false };
	int r = iflink_foreach(host, match_alias, &s);

	if (r < 0)
		return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(host),
			       "cannot list the host's interfaces");
	if (!s.found) {
		log_info("'%s' is not in the host: a virtual device dies with its netns",
			 st->host_name);
		return 0;
	}
	if (strcmp(info.name, st->host_name) && info.flags & IFF_UP)
		(void) iflink_set_down(host, info.ifindex);
	r = iflink_change(host, info.ifindex, -1,
			  strcmp(info.name, st->host_name) ? st->host_name : NULL,
			  st->host_mtu != info.mtu ? st->host_mtu : 0, "");
	if (r == -EEXIST) {
		log_warn("cannot rename '%s' back to '%s': the name is taken, leaving it as '%s'",
			 info.name, st->host_name, info.name);
		r = iflink_change(host, info.ifindex, -1, NULL, st->host_mtu, "");
	}
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(host),
			       "cannot restore '%s' in the host as '%s'", info.name, st->host_name);
	log_info("restored '%s' in the host as '%s'", info.name, st->host_name);
	return 0;
}

/*
 * A whole device of ours in the pod whose state is lost (node storage wiped) or unreadable: it
 * is never deleted (a VF cannot be; a veth would be destroyed). It goes back to the host under
 * a name the kernel picks, unlabelled; its original name and MTU are unknown.
 */
static int hostdev_remove(struct netlink *pod, struct netlink *host, const struct iflink_info *info,
			  const struct cni_env *env, struct cni_err *err)
{
	_cleanup_close_ int hostfd = netns_open_current();
	struct iflink_info back;
	int r;

	if (hostfd < 0)
		return err_set(err, hostfd, RDMANET_ERR_NETNS, NULL,
			       "cannot open the host network namespace");
	r = iflink_change(pod, info->ifindex, hostfd, "dev%d", 0, "");
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(pod),
			       "cannot return '%s' from the pod to the host", env->ifname);
	log_warn("no attachment state for the device '%s' under " STATE_DIR
		 ": returned it to the host as '%s'; its original name and MTU are unknown",
		 env->ifname,
		 iflink_find_index(host, info->ifindex, &back) >= 0 ? back.name :
								      "a kernel-chosen devN");
	return 0;
}

/* Netdev back first (reverse of ADD), then the RDMA device, then forget the state. */
static int hostdev_release(const struct cni_env *env, const struct state *st, int nsfd,
			   const char *alias, struct cni_err *err)
{
	_cleanup_(netlink_close) struct netlink host = { 0 }, pod = { 0 };
	_cleanup_close_ int hostfd = netns_open_current();
	struct iflink_info info;
	int r;

	if (hostfd < 0)
		return err_set(err, hostfd, RDMANET_ERR_NETNS, NULL,
			       "cannot open the host network namespace");
	r = netlink_open(&host);
	if (r < 0)
		return err_set(err, r, RDMANET_ERR_INTERNAL, NULL, "cannot open a netlink socket");
	if (nsfd >= 0) {
		r = cmd_netlink_in(nsfd, NETLINK_ROUTE, &pod, err);
		if (r < 0)
			return r;
		r = iflink_find(&pod, env->ifname, &info);
		if (r >= 0 && iflink_alias_matches(info.alias, alias)) {
			bool renamed;

			r = cmd_rules_delete(&pod, env, info.ifindex, err);
			if (r < 0)
				return r;

			r = iflink_move_named(&pod, info.ifindex, hostfd, &host, st->host_name,
					      st->host_mtu, "", &renamed);
			if (renamed)
				log_warn("'%s' is taken in the host: '%s' returns under a "
					 "kernel-chosen name",
					 st->host_name, env->ifname);
			if (r < 0)
				return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(&pod),
					       "cannot return '%s' from the "
					       "pod to the host as '%s'",
					       env->ifname, st->host_name);
			log_info("returned '%s' to the host as '%s'", env->ifname, st->host_name);
		} else if (r >= 0) {
			log_warn("'%s' in the pod is not ours (alias '%s'), leaving it",
				 env->ifname, info.alias);
		} else if (r == -ENOENT) {
			r = restore_in_host(&host, alias, st, err);
			if (r < 0)
				return r;
		} else {
			return err_set(err, r, RDMANET_ERR_LINK, netlink_errmsg(&pod),
				       "cannot look up '%s' in the pod", env->ifname);
		}
		if (st->rdma_moved && st->rdma_device[0]) {
			r = cmd_rdma_move_out(st->rdma_device, nsfd);
			if (r == -ENOENT)
				log_info("RDMA device '%s' is no longer in the pod: already "
					 "returned to the host",
					 st->rdma_device);
			else if (r < 0)
				return err_set(err, r, RDMANET_ERR_RDMA, NULL,
					       "cannot return RDMA device '%s' "
					       "from the pod to the host",
					       st->rdma_device);
		}
	} else {
		/* the kernel returned physical devices and RDMA devices to the host itself */
		r = restore_in_host(&host, alias, st, err);
		if (r < 0)
			return r;
	}
	r = state_remove(env->containerid, env->ifname);
	if (r < 0 && r != -ENOENT)
		return err_set(err, r, RDMANET_ERR_INTERNAL, NULL,
			       "cannot remove the attachment state under " STATE_DIR);
	return 0;
}

/* Each pod brings its own device: the node is ready when the RDMA side is. */
static int hostdev_status(struct netlink *host, const struct config *cfg,
			  struct iflink_info *master, char *bus_id, size_t bus_id_len,
			  struct cni_err *err)
{
	int r;

	memset(master, 0, sizeof(*master));
	if (!cfg->master[0] && !cfg->device_id[0])
		return 0;
	r = iflink_hostdev_find(host, cfg, master, bus_id, bus_id_len, err);
	if (r < 0)
		err->code = CNI_ERR_NOT_AVAILABLE;
	return r;
}

const struct iflink_ops iflink_hostdev_ops = {
	.name = "hostdev",
	.device = true,
	.find = hostdev_find,
	.attach = hostdev_attach,
	.detach = hostdev_detach,
	.check_host = hostdev_check_host,
	.remove = hostdev_remove,
	.release = hostdev_release,
	.status = hostdev_status,
};
