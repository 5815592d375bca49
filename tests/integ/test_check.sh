#!/bin/bash
# test_check.sh - CHECK against ADD's own result (prevResult): passes right after ADD for 0.4.0,
# 1.0.0 and 1.1.0, then fails with 105 for each thing changed behind the plugin's back (address,
# route, link down, MAC, mode, another link kind, link gone), passes again once repaired; the
# IPAM's CHECK runs too; version and config errors.
. "$(dirname "$0")/lib.sh"
integ_setup "$@"

mk_master k0 || die "create veth master k0"
mk_ns c1 c2 c3 || die "create namespaces"

c=$(conf_hl 1.1.0 k0 10.13.0.0/24)
cni ADD chk-1 "$(nsp c1)" net1 "$c"
check "ADD for CHECK" succeeded
R=$OUT
ip=$(jq -r '.ips[0].address' <<<"$R")
mac=$(jq -r '.interfaces[0].mac' <<<"$R")
cc=$(with_prev "$c" "$R")
chk() { cni CHECK chk-1 "$(nsp c1)" net1 "${1:-$cc}"; }

chk
check "CHECK passes right after ADD (1.1.0)" succeeded_quietly
for v in 0.4.0 1.0.0; do
	ns=$([ $v = 0.4.0 ] && echo c2 || echo c3)
	cv=$(conf_hl $v k0 10.13.0.0/24)
	cni ADD "chk-$v" "$(nsp $ns)" net1 "$cv"
	rv=$OUT
	cni CHECK "chk-$v" "$(nsp $ns)" net1 "$(with_prev "$cv" "$rv")"
	check "CHECK passes right after ADD ($v)" succeeded_quietly
done

# ---- an IPAM that speaks at most 1.0.0 (Debian's static parses prevResult): the retry at
# 1.0.0 must hand it the whole request at 1.0.0, prevResult included
mk_ns c4 || die "create namespace c4"
cs=$(conf_static 1.1.0 k0 10.13.1.5/24)
cni ADD chk-st "$(nsp c4)" net1 "$cs"
check "ADD with static at 1.1.0 (retried at 1.0.0) returns a 1.1.0 result" \
	succeeded '.cniVersion == "1.1.0" and .ips[0].address == "10.13.1.5/24"'
RS=$OUT
cni CHECK chk-st "$(nsp c4)" net1 "$(with_prev "$cs" "$RS")"
check "CHECK with static at 1.1.0 succeeds (prevResult converted to 1.0.0 for it)" succeeded_quietly
check "... the log says CHECK was retried at 1.0.0" \
	grep -q "cid=chk-st .*does not speak cniVersion 1.1.0: retrying CHECK with 1.0.0" "$T/rdmanet.log"
ip -n c4 addr del 10.13.1.5/24 dev net1
cni CHECK chk-st "$(nsp c4)" net1 "$(with_prev "$cs" "$RS")"
check "... and still finds a missing address (105)" failed_with 105 'address 10\.13\.1\.5'
cni DEL chk-st "$(nsp c4)" net1 "$(with_prev "$cs" "$RS")"
check "DEL with prevResult and static at 1.1.0 succeeds" eval 'succeeded_quietly && ! has_link c4 net1'

# ---- chained after Debian's sbr plugin, which moves the interface's routes (an IPv6 gateway
# with nothing but a default route, and IPv4 the same) into a table per address (100, 101, ...)
# with a rule from each address:
# CHECK finds them there through the rule, and says which is missing when one is
mk_ns c5 || die "create namespace c5"
# (routing "main": sbr is the way to per-address tables for plugins without our own)
csb=$(conf_l2 1.0.0 k0 '.routing="main" | .ipam={type:"static",addresses:[{address:"10.13.2.5/24",gateway:"10.13.2.1"},
	{address:"fd00:13::5/64",gateway:"fd00:13::1"}],routes:[{dst:"0.0.0.0/0"},{dst:"::/0"}]}')
cni ADD chk-sbr "$(nsp c5)" net1 "$csb"
check "ADD with an IPv4 and an IPv6 gateway and default routes" succeeded
RSB=$OUT
sbr_conf=$(jq -nc --argjson r "$RSB" '{cniVersion:"1.0.0",name:"integ",type:"sbr",prevResult:$r}')
saved_plugin=$PLUGIN PLUGIN=$CNI_BIN/sbr
cni ADD chk-sbr "$(nsp c5)" net1 "$sbr_conf"
PLUGIN=$saved_plugin
t4=$(ip -n c5 rule | awk '/from 10.13.2.5 lookup/ { print $NF }')
t6=$(ip -n c5 -6 rule | awk '/from fd00:13::5 lookup/ { print $NF }')
check "Debian's sbr plugin, chained, moves them to its tables ($t4, $t6)" eval \
	'succeeded && [ -z "$(ip -n c5 route show default)$(ip -n c5 -6 route show default)" ] &&
	 [ -n "$t4" ] && [ -n "$t6" ] && [ -n "$(ip -n c5 -6 route show default table "$t6")" ] &&
	 [ -n "$(ip -n c5 route show default table "$t4")" ]'
cni CHECK chk-sbr "$(nsp c5)" net1 "$(with_prev "$csb" "$RSB")"
check "CHECK after sbr finds the routes in sbr's tables through its rules" succeeded_quietly
ip -n c5 -6 rule del from fd00:13::5 lookup "$t6"
cni CHECK chk-sbr "$(nsp c5)" net1 "$(with_prev "$csb" "$RSB")"
check "CHECK with sbr's IPv6 rule gone is 105 naming table and address" \
	failed_with 105 "route to ::/0 .*not in the main table but in table $t6.*no rule sends traffic from fd00:13::5"
ip -n c5 -6 rule add from fd00:13::5 lookup "$t6"
ip -n c5 route del default table "$t4"
cni CHECK chk-sbr "$(nsp c5)" net1 "$(with_prev "$csb" "$RSB")"
check "CHECK with the IPv4 default gone from every table is 105" \
	failed_with 105 'route to 0\.0\.0\.0/0 .*missing .*every routing table'
cni DEL chk-sbr "$(nsp c5)" net1 "$csb"
check "DEL after sbr" eval 'succeeded_quietly && ! has_link c5 net1'

cni CHECK chk-1 "$(nsp c1)" net1 "$(with_prev "$(conf_hl 0.3.1 k0 10.13.0.0/24)" "$R")"
check "CHECK with cniVersion 0.3.1 is error 1" failed_with 1 'CHECK'
cni CHECK chk-1 "$(nsp c1)" net1 "$c"
check "CHECK without prevResult is error 7 naming it" failed_with 7 'prevResult'
cni CHECK chk-1 "$(nsp c1)" net2 "$cc"
check "CHECK of an ifname prevResult does not list is 105" failed_with 105 'net2'

ip -n c1 addr del "$ip" dev net1
chk
check "CHECK after 'ip addr del' is 105 naming the address" failed_with 105 "address ${ip%/*}.*missing"
# the address's deletion took the routes that used it as source: its table's connected route
T1=$((10000 + $(lq c1 net1 .ifindex)))
restore_routes() {
	ip -n c1 route replace 10.13.0.0/24 dev net1 src "${ip%/*}" table "$T1" &&
		ip -n c1 route replace 10.250.0.0/16 via 10.13.0.1 dev net1 table "$T1" &&
		ip -n c1 route replace default via 10.13.0.1 dev net1 table "$T1"
}
ip -n c1 addr add "$ip" dev net1 && restore_routes
chk
check "CHECK passes again once the address and route are back" succeeded_quietly

ip -n c1 route del 10.250.0.0/16 table "$T1"
chk
check "CHECK after the route was deleted is 105" failed_with 105 'route to 10\.250\.0\.0/16'
ip -n c1 route add 10.250.0.0/16 via 10.13.0.1 dev net1 table "$T1"

ip -n c1 link set net1 down
chk
check "CHECK with the link down is 105" failed_with 105 'down'
ip -n c1 link set net1 up && restore_routes

ip -n c1 link set net1 address 02:99:99:99:99:99
chk
check "CHECK with another MAC is 105" failed_with 105 'MAC'
ip -n c1 link set net1 address "$mac"

chk "$(jq -c '.mode="private"' <<<"$cc")"
check "CHECK with another mode in the config is 105" failed_with 105 'mode'
chk
check "CHECK passes after the repairs" succeeded_quietly

f=$T/ipam/$NET/${ip%/*}
mv "$f" "$T/alloc.saved"
chk
check "CHECK runs the IPAM's CHECK (allocation gone: host-local fails)" failed_with 999 'host-local'
mv "$T/alloc.saved" "$f"

alias=$(lq c1 net1 .ifalias)
ip -n c1 link set net1 alias "rdmanet:other-container:net1"
chk
check "CHECK of a net1 labelled for another container is 105 naming the alias" \
	failed_with 105 "not created by rdmanet for container 'chk-1'.*other-container"
ip -n c1 link set net1 alias "$alias"
chk
check "CHECK passes with its own label back" succeeded_quietly

ip -n c1 link del net1 && ip -n c1 link add net1 type veth peer name net1-p && ip -n c1 link set net1 up
chk
check "CHECK with a veth named net1 is 105" failed_with 105 "'veth' link"
ip -n c1 link del net1
chk
check "CHECK after the link was deleted is 105" failed_with 105 'missing'
check "CHECK changed nothing (no link of ours on the host)" test -z "$(host_ours)"

ip netns del c1
chk
check "CHECK after the netns is gone is error 3" failed_with 3

for a in "chk-1 c1 1.1.0" "chk-0.4.0 c2 0.4.0" "chk-1.0.0 c3 1.0.0"; do
	set -- $a
	cni DEL "$1" "$(nsp $2)" net1 "$(conf_hl $3 k0 10.13.0.0/24)"
	check "DEL $1" succeeded_quietly
done
check "nothing left after DEL" test -z "$(allocs)$(host_ours)$(pod_links c2)$(pod_links c3)"
finish
