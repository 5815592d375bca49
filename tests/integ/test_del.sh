#!/bin/bash
# test_del.sh - DEL is idempotent and never needs more than it has: DEL twice, after the netns
# was deleted, with CNI_NETNS empty or not a netns, for an attachment never added, without
# 'master', after the master vanished; it frees host-local's allocation and removes only its
# own interface: after an ADD that failed because the reference Go macvlan plugin's net1 was there,
# the runtime's DEL leaves that net1 (an unlabelled macvlan child of the same master) alone.
. "$(dirname "$0")/lib.sh"
integ_setup "$@"

mk_master d0 || die "create veth master d0"
mk_ns d1 d2 d3 d4 d5 d6 || die "create namespaces"
c=$(conf_hl 1.1.0 d0 10.14.0.0/24)
host_macvlans() { ip -j -d link show | jq -r '.[] | select(.linkinfo.info_kind == "macvlan") | .ifname'; }

# ---- DEL twice
cni ADD del-1 "$(nsp d1)" net1 "$c"
check "ADD" succeeded
ip=$(jq -r '.ips[0].address' <<<"$OUT"); ip=${ip%/*}
check "host-local allocated $ip for the container" test "$(alloc_for del-1)" = "$ip"
cni DEL del-1 "$(nsp d1)" net1 "$c"
check "DEL succeeds with no output" succeeded_quietly
check "DEL removed net1 from the pod" test -z "$(pod_links d1)"
check "DEL freed the allocation (file gone from dataDir)" test ! -e "$T/ipam/$NET/$ip"
check "DEL left no link of ours on the host" test -z "$(host_ours)"
cni DEL del-1 "$(nsp d1)" net1 "$c"
check "second DEL succeeds" succeeded_quietly

# ---- DEL after the netns was deleted
cni ADD del-2 "$(nsp d2)" net1 "$c"
check "ADD (netns to be deleted)" succeeded
ip netns del d2
cni DEL del-2 "$(nsp d2)" net1 "$c"
check "DEL after 'ip netns del' succeeds" succeeded_quietly
check "... and frees the allocation" test -z "$(alloc_for del-2)"
check "... and no macvlan or link of ours is left on the host" test -z "$(host_macvlans)$(host_ours)"
cni DEL del-2 "$(nsp d2)" net1 "$c"
check "... twice" succeeded_quietly

# ---- DEL with CNI_NETNS empty: the IPAM is released, the runtime removes the netns itself
cni ADD del-3 "$(nsp d3)" net1 "$c"
check "ADD (DEL without netns)" succeeded
cni DEL del-3 "" net1 "$c"
check "DEL with empty CNI_NETNS succeeds" succeeded_quietly
check "... and frees the allocation" test -z "$(alloc_for del-3)"
cni DEL del-3 "$(nsp d3)" net1 "$c"
check "a later DEL with the netns removes the link" eval 'succeeded_quietly && [ -z "$(pod_links d3)" ]'
cni_env "$c" CNI_COMMAND=DEL CNI_CONTAINERID=del-3 CNI_IFNAME=net1 CNI_PATH="$CNI_PATH_ALL"
check "DEL with CNI_NETNS unset succeeds" succeeded_quietly

# ---- DEL of things that never existed
cni DEL never-added "$(nsp d4)" net1 "$c"
check "DEL of an attachment never added succeeds" succeeded_quietly
cni DEL never-added /run/netns/no-such-netns net1 "$c"
check "DEL with a nonexistent netns path succeeds" succeeded_quietly
touch "$T/not-a-netns"
cni DEL never-added "$T/not-a-netns" net1 "$c"
check "DEL with a netns path that is a plain file (unmounted) succeeds" succeeded_quietly
cni DEL never-added "$(nsp d4)" net1 "$(conf_l2 1.1.0 d0)"
check "DEL with an L2-only config succeeds" succeeded_quietly

# ---- DEL only removes its own interface
cni ADD del-5 "$(nsp d5)" net1 "$c"
check "ADD net1" succeeded
c2=$(conf_hl 1.1.0 d0 10.15.0.0/24 'del(.ipam.routes)')
cni ADD del-5 "$(nsp d5)" net2 "$c2"
check "ADD net2 for the same container" succeeded
ip2=$(jq -r '.ips[0].address' <<<"$OUT")
cni DEL del-5 "$(nsp d5)" net1 "$c"
check "DEL net1" succeeded_quietly
check "net2 and its address are untouched" test "$(pod_links d5) $(addrs d5 net2 inet)" = "net2 $ip2"
check "net2's allocation is kept" test "$(alloc_for del-5 | wc -l)" = 1
cni DEL del-5 "$(nsp d5)" net2 "$c2"
check "DEL net2" eval 'succeeded_quietly && [ -z "$(pod_links d5)$(alloc_for del-5)" ]'

# ---- DEL without 'master' (the NAD changed), and after the master vanished
cni ADD del-6 "$(nsp d6)" net1 "$c"
check "ADD (DEL without master)" succeeded
cni DEL del-6 "$(nsp d6)" net1 "$(jq -c 'del(.master)' <<<"$c")"
check "DEL without 'master' in the config removes the link" eval 'succeeded_quietly && [ -z "$(pod_links d6)" ]'
mk_master d9 || die "create veth master d9"
cni ADD del-7 "$(nsp d6)" net1 "$(conf_hl 1.1.0 d9 10.14.0.0/24)"
check "ADD on master d9" succeeded
ip link del d9
check "the kernel removed the pod's macvlan with its master" test -z "$(pod_links d6)"
cni DEL del-7 "$(nsp d6)" net1 "$(conf_hl 1.1.0 d9 10.14.0.0/24)"
check "DEL after the master vanished succeeds and frees the allocation" \
	eval 'succeeded_quietly && [ -z "$(alloc_for del-7)" ]'

# ---- the IPAM cannot run at DEL: its error is returned, the link goes all the same, and the
# runtime's retry only has the IPAM left to do
cni ADD del-8 "$(nsp d5)" net1 "$(conf_l2 1.1.0 d0)"
check "ADD for the IPAM-failure DEL" succeeded
cni DEL del-8 "$(nsp d5)" net1 "$(conf_l2 1.1.0 d0 '.ipam={type:"no-such-ipam"}')"
check "DEL with a missing IPAM plugin: error 103 naming it" failed_with 103 "no-such-ipam"
check "... and the pod's link is removed anyway" test -z "$(pod_links d5)"

# ---- a pod whose net1 comes from Debian's Go macvlan plugin (another network on the same
# master); our ADD of net1 fails with 102 and the runtime then sends our DEL for it
mk_ns d7 || die "create namespace d7"
GOCONF='{"cniVersion":"1.0.0","name":"gonet","type":"macvlan","master":"d0","mode":"bridge",
 "ipam":{"type":"static","addresses":[{"address":"10.99.0.5/24"}]}}'
go_cni() {
	local cmd=$1 saved=$PLUGIN
	PLUGIN=$CNI_BIN/macvlan
	cni "$cmd" go-1 "$(nsp d7)" net1 "$GOCONF"
	PLUGIN=$saved
}
go_cni ADD
check "the Go macvlan plugin attaches net1" succeeded
go_before=$(lq d7 net1 '"\(.ifindex) \(.address) \(.linkinfo.info_kind) \(.ifalias // "")"')
cni ADD del-9 "$(nsp d7)" net1 "$c"
check "our ADD of the same ifname fails with 102" failed_with 102 "already exists"
cni DEL del-9 "$(nsp d7)" net1 "$c"
check "the runtime's DEL for the failed attachment succeeds" succeeded_quietly
check "... and leaves the Go plugin's net1 (same ifindex and MAC) and its address" \
	eval '[ "$(lq d7 net1 '"'"'"\(.ifindex) \(.address) \(.linkinfo.info_kind) \(.ifalias // "")"'"'"')" = "$go_before" ] &&
	      [ "$(addrs d7 net1 inet)" = 10.99.0.5/24 ]'
go_cni DEL
check "the Go plugin's own DEL removes its net1" eval 'succeeded_quietly && ! has_link d7 net1'

check "nothing left: no allocation, no link of ours, no macvlan on the host" \
	test -z "$(allocs)$(host_ours)$(host_macvlans)"
finish
