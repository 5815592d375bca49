#!/bin/bash
# test_ipoib.sh - link 'ipoib' where there is no InfiniBand (this host has none; the VM suite and
# the unit tests cover the request itself): an Ethernet master is refused with a clear error
# before anything is created, 'auto' on Ethernet still picks macvlan, IPoIB options on a macvlan
# network are a config error, and none of it changes anything.
. "$(dirname "$0")/lib.sh"
integ_setup "$@"

mk_master e0 || die "create veth master e0"
mk_ns p1 || die "create namespace"
c=$(conf_hl 1.1.0 e0 10.17.0.0/24)

before=$(snapshot p1)
cni ADD ib-1 "$(nsp p1)" net1 "$(jq -c '.link = "ipoib"' <<<"$c")"
check "link ipoib on an Ethernet master: 100, naming macvlan as the fix" \
	failed_with 100 "not an InfiniBand netdev.*use link 'macvlan'"
cni ADD ib-2 "$(nsp p1)" net1 "$(jq -c '.link = "ipoib" | .pkey = "0x8001" | .ipoibMode = "connected" | .umcast = true' <<<"$c")"
check "... also with pkey, ipoibMode and umcast set" failed_with 100 "not an InfiniBand netdev"
cni ADD ib-3 "$(nsp p1)" net1 "$(jq -c '.pkey = "0x8001" | .link = "macvlan"' <<<"$c")"
check "pkey on a macvlan network: 7" failed_with 7 "'pkey' applies to IPoIB children only"
cni ADD ib-4 "$(nsp p1)" net1 "$(jq -c '.link = "ipoib" | .pkey = "0x8000"' <<<"$c")"
check "P_Key 0x8000: 7" failed_with 7 "'pkey' '0x8000' is not a P_Key"
cni ADD ib-5 "$(nsp p1)" net1 "$(jq -c '.link = "ipoib" | .ipoibMode = "datagram" | .mtu = 9000' <<<"$c")"
check "datagram MTU 9000: 7 naming the 4092 limit" failed_with 7 "4092"
check "none of these changed anything" unchanged "$before" p1

cni ADD ib-6 "$(nsp p1)" net1 "$c"
check "link auto on the Ethernet master picks macvlan" \
	eval 'succeeded && [ "$(lq p1 net1 .linkinfo.info_kind)" = macvlan ]'
cni DEL ib-6 "$(nsp p1)" net1 "$c"
check "DEL" succeeded_quietly
finish
