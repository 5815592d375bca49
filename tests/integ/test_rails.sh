#!/bin/bash
# test_rails.sh - a pod with several rdmanet attachments (rails), each on its own master: every
# rail routes, answers ARP and is checked on its own. For 2 and 8 rails, on one shared subnet and
# on a subnet per rail, IPv4 and IPv6, with and without gateways: `ip route get <peer> from
# <rail address>` names that rail, a ping sourced from each rail's address reaches that rail's
# peer (its counters move) and no other, an ARP request for rail 2's address arriving on rail 1
# gets no answer, the pod's own main-table default route (eth0) is left alone, CHECK passes per
# rail and fails once a rail's rule is gone; DEL of one rail leaves the others' rules and routes,
# DEL of all leaves no rule. routing "main" shows the failure this prevents.
. "$(dirname "$0")/lib.sh"
integ_setup "$@"

mk_ns pod || die "create the pod netns"
# DAD in about 1 s instead of 1-2 s: no random delay before the probe (interfaces created in the
# pod copy this default); ADD still waits for the probe's second
ip netns exec pod sh -c 'echo 0 >/proc/sys/net/ipv6/conf/default/router_solicitation_delay' ||
	die "pod sysctls"
# the pod's cluster interface: a default route in main that the rails must not touch
ip link add eth0 netns pod type veth peer name eth0-h && ip -n pod addr add 10.244.1.5/24 dev eth0 &&
	ip -n pod link set eth0 up && ip link set eth0-h up &&
	ip -n pod route add default via 10.244.1.1 dev eth0 || die "set up the pod's eth0"
ip netns exec pod sh -c 'echo 1 >/proc/sys/net/ipv6/conf/eth0/disable_ipv6'

# addresses of rail I: pod_addr / peer_addr LAYOUT(same|per) FAMILY(4|6) I
pod_addr() {
	case $1$2 in
	same4) echo "10.70.0.$((10 + $3))" ;; per4) echo "10.70.$3.10" ;;
	same6) echo "fd00:70::1:$3" ;; per6) echo "fd00:70:$3::10" ;;
	esac
}
peer_addr() {
	case $1$2 in
	same4) echo "10.70.0.$((200 + $3))" ;; per4) echo "10.70.$3.200" ;;
	same6) echo "fd00:70::2:$3" ;; per6) echo "fd00:70:$3::200" ;;
	esac
}
plen() { [ "$1" = 4 ] && echo 24 || echo 64; }
far() { [ "$1" = 4 ] && echo "198.18.$2.1" || echo "2001:db8:$2::1"; }
farnet() { [ "$1" = 4 ] && echo "198.18.$2.0/24" || echo "2001:db8:$2::/64"; }
world() { [ "$1" = 4 ] && echo 203.0.113.9 || echo 2001:db8:ffff::9; }

# rail_conf LAYOUT FAMILY GW I: static IPAM, the peer as gateway when GW is "gw", and a route to
# a far network of the rail's own
rail_conf() {
	local a p
	a=$(pod_addr "$1" "$2" "$4")/$(plen "$2") p=$(peer_addr "$1" "$2" "$4")
	if [ "$3" = gw ]; then
		conf_l2 1.1.0 "r$4" ".ipam={type:\"static\",addresses:[{address:\"$a\",gateway:\"$p\"}],
			routes:[{dst:\"$(farnet "$2" "$4")\"}]} | ${5:-.}"
	else
		conf_l2 1.1.0 "r$4" ".ipam={type:\"static\",addresses:[{address:\"$a\"}]} | ${5:-.}"
	fi
}

# route_dev FAMILY DST FROM: the device `ip route get DST from FROM` picks in the pod
route_dev() { ip -n pod "-$1" -j route get "$2" from "$3" 2>/dev/null | jq -r '.[0].dev // empty'; }
route_gw() { ip -n pod "-$1" -j route get "$2" from "$3" 2>/dev/null | jq -r '.[0].gateway // empty'; }
# echoes FAMILY I: the echo requests rail I's peer received (its netns has no other interface;
# interface counters would also count the pod's router solicitations and MLD reports)
echoes() {
	if [ "$1" = 4 ]; then
		ip netns exec "peer$2" awk '/^Icmp:/ { if (n++) print $10 }' /proc/net/snmp
	else
		ip netns exec "peer$2" awk '$1 == "Icmp6InEchos" { print $2 }' /proc/net/snmp6
	fi
}
ping_from() { ip netns exec pod ping "-$1" -c 1 -W 1 -q -I "$2" "$3" >/dev/null 2>&1; }

# passed_all: $ok is 1; else the reason is $why
passed_all() { [ "$ok" = 1 ] || { WHY=$why; false; }; }

# setup N LAYOUT FAMILY: masters r1..rN (veth), each peer end in its own netns peerI with its
# address (no DAD: the peers are ours)
setup() {
	local n=$1 i
	for ((i = 1; i <= n; i++)); do
		mk_master "r$i" && mk_ns "peer$i" && ip link set "r$i-p" netns "peer$i" &&
			ip -n "peer$i" addr add "$(peer_addr "$2" "$3" "$i")/$(plen "$3")" dev "r$i-p" nodad &&
			ip -n "peer$i" link set "r$i-p" up || die "set up rail $i"
	done
}
teardown() {
	local n=$1 i
	for ((i = 1; i <= n; i++)); do ip link del "r$i" 2>/dev/null; ip netns del "peer$i"; done
}

# rails N LAYOUT FAMILY GW: the whole scenario
rails() {
	local n=$1 lay=$2 fam=$3 gw=$4 i tag="$1 rails, $2 subnet, IPv$3, $([ "$4" = gw ] && echo "gateways" || echo "no gateway")"
	local res=() ok before after
	setup "$n" "$lay" "$fam"
	for ((i = 1; i <= n; i++)); do
		cni ADD rails-1 "$(nsp pod)" "net$i" "$(rail_conf "$lay" "$fam" "$gw" "$i")"
		[ "$RC" = 0 ] || { nok "$tag: ADD of net$i" "$(why_out)"; teardown "$n"; return; }
		res[i]=$OUT
	done
	ok "$tag: ADD of all $n rails"

	ok=1 why=
	for ((i = 1; i <= n; i++)); do
		[ "$(route_dev "$fam" "$(peer_addr "$lay" "$fam" "$i")" "$(pod_addr "$lay" "$fam" "$i")")" = "net$i" ] ||
			{ ok=0; why="rail $i: $(ip -n pod "-$fam" route get "$(peer_addr "$lay" "$fam" "$i")" from "$(pod_addr "$lay" "$fam" "$i")" 2>&1)"; break; }
	done
	check "$tag: 'ip route get <peer> from <rail address>' names the rail, for every rail" passed_all

	ok=1
	for ((i = 1; i <= n; i++)); do
		before=$(echoes "$fam" "$i")
		ping_from "$fam" "$(pod_addr "$lay" "$fam" "$i")" "$(peer_addr "$lay" "$fam" "$i")" ||
			{ ok=0; why="rail $i: no answer from its peer"; break; }
		after=$(echoes "$fam" "$i")
		[ "$after" -gt "$before" ] || { ok=0; why="rail $i: its peer counted no echo request"; break; }
	done
	check "$tag: a ping from each rail's address arrives on that rail's peer" passed_all
	# rail 2's address towards rail 1's peer leaves on rail 2: rail 1's peer never sees it
	before=$(echoes "$fam" 1)
	ping_from "$fam" "$(pod_addr "$lay" "$fam" 2)" "$(peer_addr "$lay" "$fam" 1)"
	after=$(echoes "$fam" 1)
	check "$tag: traffic from rail 2's address never leaves on rail 1" \
		eval '[ "$after" = "$before" ] || { WHY="rail 1 peer got $((after - before)) echo request(s)"; false; }'

	if [ "$gw" = gw ]; then
		ok=1
		for ((i = 1; i <= n; i++)); do
			[ "$(route_gw "$fam" "$(far "$fam" "$i")" "$(pod_addr "$lay" "$fam" "$i")")" = "$(peer_addr "$lay" "$fam" "$i")" ] &&
			[ "$(route_gw "$fam" "$(world "$fam")" "$(pod_addr "$lay" "$fam" "$i")")" = "$(peer_addr "$lay" "$fam" "$i")" ] ||
				{ ok=0; why="rail $i: far $(route_gw "$fam" "$(far "$fam" "$i")" "$(pod_addr "$lay" "$fam" "$i")"), default $(route_gw "$fam" "$(world "$fam")" "$(pod_addr "$lay" "$fam" "$i")")"; break; }
		done
		check "$tag: each rail's IPAM route and default route go via its own gateway" passed_all
	fi
	if [ "$fam" = 4 ]; then
		check "$tag: the pod's main default route is still eth0's" \
			test "$(ip -n pod -j route get "$(world 4)" | jq -r '.[0].dev')" = eth0
		# an ARP request for rail 2's address arriving on rail 1 (from rail 1's peer)
		ip -n peer1 route replace "$(pod_addr "$lay" 4 2)/32" dev r1-p
		ip netns exec peer1 ping -c 1 -W 1 -q "$(pod_addr "$lay" 4 2)" >/dev/null 2>&1
		check "$tag: an ARP request for rail 2's address on rail 1 gets no reply" \
			eval '[ -z "$(ip -n peer1 -j neigh show "$(pod_addr "$lay" 4 2)" | jq -r ".[0].lladdr // empty")" ] ||
			      { WHY="rail 1 peer learned $(ip -n peer1 neigh show "$(pod_addr "$lay" 4 2)")"; false; }'
	fi

	ok=1
	for ((i = 1; i <= n; i++)); do
		cni CHECK rails-1 "$(nsp pod)" "net$i" "$(with_prev "$(rail_conf "$lay" "$fam" "$gw" "$i")" "${res[i]}")"
		[ "$RC" = 0 ] || { ok=0; why="net$i: $(why_out)"; break; }
	done
	check "$tag: CHECK passes for every rail" passed_all
	local rule2
	rule2=$(rules pod | grep " from $(pod_addr "$lay" "$fam" 2)[/ ]")
	ip -n pod "-$fam" rule del from "$(pod_addr "$lay" "$fam" 2)" table "$(awk '{print $NF}' <<<"$rule2")"
	cni CHECK rails-1 "$(nsp pod)" net2 "$(with_prev "$(rail_conf "$lay" "$fam" "$gw" 2)" "${res[2]}")"
	check "$tag: CHECK of rail 2 without its rule is 105 naming it" failed_with 105 "rule 'from $(pod_addr "$lay" "$fam" 2) lookup"
	ip -n pod "-$fam" rule add from "$(pod_addr "$lay" "$fam" 2)" table "$(awk '{print $NF}' <<<"$rule2")" \
		priority 10000 protocol 114

	# DEL of rail 1: the others keep their rules and their tables
	local others_before others_after
	others_before=$(rules pod | grep -v " from $(pod_addr "$lay" "$fam" 1)[/ ]"; for ((i = 2; i <= n; i++)); do
		ip -n pod "-$fam" route show table "$((10000 + $(lq pod "net$i" .ifindex)))"; done)
	cni DEL rails-1 "$(nsp pod)" net1 "$(rail_conf "$lay" "$fam" "$gw" 1)"
	others_after=$(rules pod; for ((i = 2; i <= n; i++)); do
		ip -n pod "-$fam" route show table "$((10000 + $(lq pod "net$i" .ifindex)))"; done)
	check "$tag: DEL of rail 1 removes its rule and leaves the other rails' rules and routes" \
		eval 'succeeded_quietly && [ "$others_after" = "$others_before" ] ||
		      { WHY="$(why_out) diff: $(diff <(echo "$others_before") <(echo "$others_after") | tr "\n" " ")"; false; }'
	check "$tag: rail 2 still routes on its own after rail 1 left" \
		test "$(route_dev "$fam" "$(peer_addr "$lay" "$fam" 2)" "$(pod_addr "$lay" "$fam" 2)")" = net2
	for ((i = 2; i <= n; i++)); do
		cni DEL rails-1 "$(nsp pod)" "net$i" "$(rail_conf "$lay" "$fam" "$gw" "$i")"
	done
	check "$tag: DEL of all rails leaves no rule and no rail link" \
		eval '[ -z "$(rules pod)" ] && [ "$(pod_links pod)" = eth0 ] || { WHY="rules: $(rules pod | tr "\n" " ") links: $(pod_links pod | tr "\n" " ")"; false; }'
	teardown "$n"
}

# every value of each dimension (2/8 rails, shared/own subnet, IPv4/IPv6, with/without gateway)
# appears with both values of every other; IPv6 ADDs wait for DAD, hence not the full product
rails 2 same 4 nogw
rails 2 same 4 gw
rails 2 per 6 gw
rails 8 per 4 nogw
rails 8 same 6 gw

# ---- a table without a default ends 'unreachable': CHECK wants it, DEL removes it
setup 1 per 4
cni ADD unr-1 "$(nsp pod)" net1 "$(rail_conf per 4 nogw 1)"
R=$OUT
TBL=$((10000 + $(lq pod net1 .ifindex)))
check "no gateway: the rail's table ends with 'unreachable default'" \
	test "$(ip -n pod -j route show table "$TBL" | jq -r '.[] | select(.type == "unreachable") | .dst')" = default
check "... so traffic from the rail's address to elsewhere fails instead of leaving on eth0" \
	eval '! ip -n pod route get "$(world 4)" from "$(pod_addr per 4 1)" >/dev/null 2>&1'
ip -n pod route del unreachable default table "$TBL" metric 4278198272
cni CHECK unr-1 "$(nsp pod)" net1 "$(with_prev "$(rail_conf per 4 nogw 1)" "$R")"
check "CHECK without it is 105" failed_with 105 "does not end with 'unreachable default'"
ip -n pod route add unreachable default table "$TBL" metric 4278198272
cni DEL unr-1 "$(nsp pod)" net1 "$(rail_conf per 4 nogw 1)"
check "DEL removes it with the rules (it is not tied to the interface)" \
	eval 'succeeded_quietly && [ -z "$(ip -n pod route show table "$TBL" 2>/dev/null)" ] && [ -z "$(rules pod)" ]'
teardown 1

# ---- routing "main": what the rails above prevent (two rails on one subnet share main's routes)
setup 2 same 4
for i in 1 2; do
	cni ADD rails-main "$(nsp pod)" "net$i" "$(rail_conf same 4 nogw "$i" '.routing="main"')"
done
check "routing main: both rails attach" succeeded
check "routing main: no rule is added" test -z "$(rules pod)"
check "routing main: traffic from rail 2's address leaves on rail 1 (why 'table' is the default)" \
	test "$(route_dev 4 "$(peer_addr same 4 2)" "$(pod_addr same 4 2)")" = net1
for i in 1 2; do cni DEL rails-main "$(nsp pod)" "net$i" "$(rail_conf same 4 nogw "$i" '.routing="main"')"; done
teardown 2

# ---- the same network attached twice to one pod: two tables, no collision
setup 1 same 4
c=$(conf_hl 1.1.0 r1 10.71.0.0/24)
cni ADD twice-1 "$(nsp pod)" net1 "$c" && cni ADD twice-1 "$(nsp pod)" net2 "$c"
check "one network attached twice: two rules to two different tables" \
	test "$(rules pod | awk '{print $NF}' | sort -u | wc -l)" = 2
cni DEL twice-1 "$(nsp pod)" net1 "$c"
check "... DEL of the first leaves the second's rule" test "$(rules pod | wc -l)" = 1
cni DEL twice-1 "$(nsp pod)" net2 "$c"
check "... and DEL of the second leaves none" test -z "$(rules pod)"

# ---- a rail's interface deleted behind our back: DEL still removes its orphaned rule
cni ADD gone-1 "$(nsp pod)" net1 "$c"
ip -n pod link del net1
cni DEL gone-1 "$(nsp pod)" net1 "$c"
check "DEL after the interface was deleted removes its orphaned rule" \
	eval 'succeeded_quietly && [ -z "$(rules pod)" ]'
# a rule of someone else (no protocol of ours) is never touched
ip -n pod rule add from 10.71.0.99 table 10050 priority 10000
cni ADD gone-2 "$(nsp pod)" net1 "$c"
ip -n pod link del net1
cni DEL gone-2 "$(nsp pod)" net1 "$c"
check "... and leaves a rule that is not ours" test "$(rules pod)" = "10000 from 10.71.0.99 lookup 10050"
ip -n pod rule del from 10.71.0.99 table 10050
teardown 1

# ---- per-interface sysctls: defaults, overrides, CHECK, bad values
setup 1 same 4
cni ADD sys-1 "$(nsp pod)" net1 "$(rail_conf same 4 nogw 1)"
check "defaults: arp_ignore 1, arp_announce 2, rp_filter 2" test "$(pod_sysctl pod ipv4/conf/net1/arp_ignore) $(pod_sysctl pod ipv4/conf/net1/arp_announce) $(pod_sysctl pod ipv4/conf/net1/rp_filter)" = "1 2 2"
R=$OUT
ip netns exec pod sh -c 'echo 0 >/proc/sys/net/ipv4/conf/net1/arp_ignore'
cni CHECK sys-1 "$(nsp pod)" net1 "$(with_prev "$(rail_conf same 4 nogw 1)" "$R")"
check "CHECK with arp_ignore changed behind our back is 105 naming it" failed_with 105 'arp_ignore is 0'
cni DEL sys-1 "$(nsp pod)" net1 "$(rail_conf same 4 nogw 1)"
o='.arpIgnore=2 | .arpAnnounce=1 | .rpFilter=0'
cni ADD sys-2 "$(nsp pod)" net1 "$(rail_conf same 4 nogw 1 "$o")"
check "overrides: arp_ignore 2, arp_announce 1, rp_filter 0" test "$(pod_sysctl pod ipv4/conf/net1/arp_ignore) $(pod_sysctl pod ipv4/conf/net1/arp_announce) $(pod_sysctl pod ipv4/conf/net1/rp_filter)" = "2 1 0"
cni CHECK sys-2 "$(nsp pod)" net1 "$(with_prev "$(rail_conf same 4 nogw 1 "$o")" "$OUT")"
check "CHECK with the overrides passes" succeeded_quietly
cni DEL sys-2 "$(nsp pod)" net1 "$(rail_conf same 4 nogw 1 "$o")"
for bad in '.arpIgnore=5:arpIgnore' '.arpAnnounce=3:arpAnnounce' '.rpFilter="2":rpFilter' \
	'.routing="vrf":routing'; do
	cni ADD sys-3 "$(nsp pod)" net1 "$(rail_conf same 4 nogw 1 "${bad%%:*}")"
	check "bad ${bad#*:} ('${bad%%:*}') is error 7 naming it" failed_with 7 "'${bad#*:}'"
done
teardown 1

# ---- IPv6: usable when ADD returns (DAD done), a duplicate fails ADD with nothing left behind
setup 1 same 6
cni ADD dad-1 "$(nsp pod)" net1 "$(rail_conf same 6 nogw 1)"
check "IPv6 ADD: the address is no longer tentative when ADD returns" \
	eval 'succeeded && [ -z "$(ip -n pod -6 addr show dev net1 tentative)" ] && [ -n "$(addrs pod net1 inet6)" ]'
check "IPv6 ADD: bind() to the address works at once" \
	ip netns exec pod python3 -c "import socket; s=socket.socket(socket.AF_INET6); s.bind(('$(pod_addr same 6 1)', 0))"
cni DEL dad-1 "$(nsp pod)" net1 "$(rail_conf same 6 nogw 1)"
# the peer takes the address first (answering DAD for it)
ip -n peer1 addr add "$(pod_addr same 6 1)/64" dev r1-p nodad
before=$(snapshot pod)
cni ADD dad-2 "$(nsp pod)" net1 "$(rail_conf same 6 nogw 1)"
check "IPv6 duplicate on the network: ADD fails with 104 naming the address" \
	failed_with 104 "duplicate address detection failed for $(pod_addr same 6 1)"
check "... and leaves nothing behind (link, rules, routes)" unchanged "$before" pod
cni DEL dad-2 "$(nsp pod)" net1 "$(rail_conf same 6 nogw 1)"
teardown 1
finish
