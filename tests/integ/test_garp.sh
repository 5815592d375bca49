#!/bin/bash
# test_garp.sh - the gratuitous ARP after ADD reaches neighbours: a peer learns pod1's MAC by
# pinging it; pod1 goes, pod2 comes with the same IP and another MAC, and the peer's neighbour
# entry switches to pod2's MAC while the peer itself sends nothing.
. "$(dirname "$0")/lib.sh"
integ_setup "$@"

IP=192.168.60.10
MAC1=02:00:00:00:60:01
MAC2=02:00:00:00:60:02
mk_master g0 || die "create veth master g0"
mk_ns peer pod1 pod2 || die "create namespaces"
# the peer: its own bridge-mode macvlan on the same master, IPv6 off so it stays silent
ip link add peer0 link g0 type macvlan mode bridge && ip link set peer0 netns peer &&
	ip netns exec peer sh -c 'echo 1 >/proc/sys/net/ipv6/conf/peer0/disable_ipv6' &&
	ip -n peer addr add 192.168.60.100/24 dev peer0 && ip -n peer link set peer0 up ||
	die "set up the peer"

neigh_mac() { ip -n peer -j neigh show "$IP" dev peer0 | jq -r '.[0].lladdr // empty'; }
neigh_is() { WHY="peer's entry: '$(ip -n peer neigh show "$IP" dev peer0)'"; [ "$(neigh_mac)" = "$1" ]; }
peer_tx() { ip -n peer -s -j link show peer0 | jq '.[0].stats64.tx.packets'; }

c1=$(conf_static 1.1.0 g0 $IP/24 ".runtimeConfig={mac:\"$MAC1\"}")
c2=$(conf_static 1.1.0 g0 $IP/24 ".runtimeConfig={mac:\"$MAC2\"}")

cni ADD garp-1 "$(nsp pod1)" net1 "$c1"
check "pod1 ADD with $IP and $MAC1" succeeded ".interfaces[0].mac == \"$MAC1\""
check "peer pings pod1" ping_ok peer $IP
check "peer's neighbour entry has pod1's MAC" neigh_is $MAC1

cni DEL garp-1 "$(nsp pod1)" net1 "$c1"
check "pod1 DEL" succeeded_quietly
check "pod1's interface is gone" test -z "$(pod_links pod1)"
check "peer still has the old entry (it sent nothing since)" neigh_is $MAC1

tx0=$(peer_tx)
cni ADD garp-2 "$(nsp pod2)" net1 "$c2"
check "pod2 ADD with the same IP and $MAC2" succeeded ".interfaces[0].mac == \"$MAC2\""
check "pod2 has $IP in the kernel" test "$(addrs pod2 net1 inet)" = $IP/24
check "peer's neighbour entry switched to pod2's MAC" wait_for 3 neigh_is $MAC2
tx1=$(peer_tx)
check "the peer sent nothing meanwhile (tx $tx0 -> $tx1)" test "$tx0" = "$tx1"
check "peer pings pod2" ping_ok peer $IP

cni DEL garp-2 "$(nsp pod2)" net1 "$c2"
check "pod2 DEL" succeeded_quietly
check "nothing left: no link of ours, no pod link" test -z "$(host_ours)$(pod_links pod2)"
finish
