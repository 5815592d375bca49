#!/bin/bash
# test_concurrent.sh - 50 ADDs at once into 50 namespaces on one master with host-local: all
# succeed with 50 distinct addresses, each pod has its macvlan with its address; then 50 DELs at
# once leave nothing. Racing ADDs of one attachment: exactly one wins, the others change nothing.
. "$(dirname "$0")/lib.sh"
integ_setup "$@"

N=${RDMANET_INTEG_PODS:-50}
mk_master cc0 || die "create veth master cc0"
CC0=$(lq "" cc0 .ifindex)
for i in $(seq 1 "$N"); do ip netns add "cp$i" || die "create netns cp$i"; done
c=$(conf_hl 1.1.0 cc0 10.20.0.0/24)
host_macvlans() { ip -j -d link show | jq -r '.[] | select(.linkinfo.info_kind == "macvlan") | .ifname'; }

# run_all CMD: CMD for every pod at once; outputs in $T/CMD-i.{out,rc}
run_all() {
	local i
	for i in $(seq 1 "$N"); do
		(
			printf '%s' "$c" | env -i PATH="$PATH" CNI_COMMAND="$1" CNI_CONTAINERID="conc-$i" \
				CNI_NETNS="$(nsp cp$i)" CNI_IFNAME=net1 CNI_PATH="$CNI_PATH_ALL" "$PLUGIN" \
				>"$T/$1-$i.out" 2>"$T/$1-$i.err"
			echo $? >"$T/$1-$i.rc"
		) &
	done
	wait
}
# all_ok CMD: every run exited 0
all_ok() {
	local i bad=0 first=
	for i in $(seq 1 "$N"); do
		if [ "$(cat "$T/$1-$i.rc")" != 0 ]; then
			bad=$((bad + 1)); [ -n "$first" ] || first="pod $i: $(head -c 300 "$T/$1-$i.out")"
		fi
	done
	WHY="$bad of $N failed; $first"
	[ "$bad" = 0 ]
}

t0=$EPOCHREALTIME
run_all ADD
t1=$EPOCHREALTIME
check "$N concurrent ADDs all succeed ($(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s)" all_ok ADD
for i in $(seq 1 "$N"); do jq -r '.ips[0].address // "none"' "$T/ADD-$i.out" 2>/dev/null || echo none; done >"$T/ips"
check "$N distinct addresses" test "$(grep -c '^10\.20\.0\.' "$T/ips") $(sort -u "$T/ips" | wc -l)" = "$N $N"

# the kernel's view of every pod in one jq run: "i kind parent mode address" per pod
for i in $(seq 1 "$N"); do
	echo "{\"i\":$i}"
	ip -n "cp$i" -j -d link show net1 2>/dev/null || echo '[]'
	ip -n "cp$i" -j addr show net1 2>/dev/null || echo '[]'
done | jq -r -s '_nwise(3) | "\(.[0].i) \(.[1][0].linkinfo.info_kind) \(.[1][0].link_index) \(.[1][0].flags|any(. == "UP")) " +
	([.[2][0].addr_info[]? | select(.family == "inet") | "\(.local)/\(.prefixlen)"] | join(","))' >"$T/kernel"
paste -d' ' <(seq 1 "$N") <(yes "macvlan $CC0 true" | head -n "$N") "$T/ips" >"$T/expected"
WHY="$(diff "$T/expected" "$T/kernel" | grep '^[<>]' | head -4 | tr '\n' ' ')"
check "every pod has its up macvlan child of cc0 with its own address" cmp -s "$T/expected" "$T/kernel"
check "$N host-local allocations, one per container" test "$(allocs | wc -l)" = "$N"
bad=0
for i in $(seq 1 "$N"); do
	[ "$(alloc_for "conc-$i")/24" = "$(sed -n "${i}p" "$T/ips")" ] || bad=$((bad + 1))
done
check "each allocation belongs to the container that got the address" test "$bad" = 0
check "no link of ours and no macvlan left on the host" test -z "$(host_ours)$(host_macvlans)"
check "pod 1 reaches pod $N" ping_ok cp1 "$(sed -n "${N}p" "$T/ips" | cut -d/ -f1)"

run_all DEL
check "$N concurrent DELs all succeed" all_ok DEL
check "the DELs printed nothing" test -z "$(cat "$T"/DEL-*.out)"
left=$(for i in $(seq 1 "$N"); do pod_links "cp$i"; done)
check "no interface left in any pod" test -z "$left"
check "no allocation left" test -z "$(allocs)"
check "no link of ours and no macvlan left on the host" test -z "$(host_ours)$(host_macvlans)"

# ---- racing ADDs of the same attachment
for round in 1 2 3; do
	for k in 1 2 3; do
		(
			cni ADD race-1 "$(nsp cp1)" net1 "$c"
			printf '%s %s\n' "$RC" "$(jq -r '.code // 0' <<<"$OUT" 2>/dev/null)" >"$T/race-$k"
		) &
	done
	wait
	res=$(cat "$T"/race-* | sort | tr '\n' ' ')
	check "round $round: one of three racing ADDs wins, the others get 11, 101 or 102 ($res)" \
		eval '[[ $res =~ ^0\ 0\ (1\ 1(1|01|02)\ ){2}$ ]]'
	check "round $round: one net1 in the pod, one allocation, nothing on the host" \
		test "$(pod_links cp1) $(allocs | wc -l) $(host_ours | wc -l)" = "net1 1 0"
	cni DEL race-1 "$(nsp cp1)" net1 "$c"
	check "round $round: DEL leaves nothing" test -z "$(pod_links cp1)$(allocs)$(host_ours)"
done
finish
