#!/bin/bash
# test_status_gc.sh - STATUS follows the master (up 0, down or no carrier 51, missing 50) and
# the IPAM; GC hands cni.dev/valid-attachments to a 1.1.0 IPAM and changes nothing in the kernel;
# an unlabelled leftover of a killed ADD (it bears ADD's marker group) is removed by DEL; foreign
# links, unlabelled children of our master among them, are left alone.
. "$(dirname "$0")/lib.sh"
integ_setup "$@"

mk_master s0 || die "create veth master s0"
mk_ns sp sq || die "create namespaces"
L2=$(conf_l2 1.1.0 s0)

# a fake IPAM that speaks 1.1.0: STATUS fails while $T/ipam-down exists, GC records its input
cat >"$T/bin/ipam-v11" <<EOF
#!/bin/sh
in=\$(cat)
case \$CNI_COMMAND in
VERSION) echo '{"cniVersion":"1.1.0","supportedVersions":["0.4.0","1.0.0","1.1.0"]}' ;;
STATUS) [ -e "$T/ipam-down" ] || exit 0
	echo '{"cniVersion":"1.1.0","code":50,"msg":"address pool unreachable"}'; exit 1 ;;
GC) printf '%s' "\$in" >"$T/ipam-gc.json" ;;
ADD) echo '{"cniVersion":"1.1.0","ips":[{"address":"10.19.0.7/24"}]}' ;;
esac
EOF
chmod +x "$T/bin/ipam-v11"

# status CONF: STATUS with only what a runtime passes for it
status() { cni_env "$1" CNI_COMMAND=STATUS CNI_PATH="$CNI_PATH_ALL"; }
gc() { cni_env "$1" CNI_COMMAND=GC CNI_PATH="$CNI_PATH_ALL"; }

# ---- STATUS
status "$L2"
check "STATUS with the master up and carrier: 0" succeeded_quietly
status "$(conf_hl 1.1.0 s0 10.19.0.0/24)"
check "STATUS with host-local (no STATUS before 1.1.0): 0" succeeded_quietly
status "$(conf_l2 1.1.0 s0 '.ipam={type:"ipam-v11"}')"
check "STATUS with a 1.1.0 IPAM that is ready: 0" succeeded_quietly
touch "$T/ipam-down"
status "$(conf_l2 1.1.0 s0 '.ipam={type:"ipam-v11"}')"
check "STATUS with a 1.1.0 IPAM that is not ready: 50" failed_with 50 "address pool unreachable"
rm -f "$T/ipam-down"
status "$(conf_l2 1.1.0 s0 '.ipam={type:"no-such-ipam"}')"
check "STATUS with the IPAM plugin missing: 50" failed_with 50 "no-such-ipam"
ip link set s0-p down
status "$L2"
check "STATUS with the master up but no carrier: 51" failed_with 51 "carrier"
ip link set s0 down
status "$L2"
check "STATUS with the master down: 51" failed_with 51 "down"
ip link set s0 up && ip link set s0-p up
wait_for 3 eval '[ "$(lq "" s0 .operstate)" = UP ]'
status "$L2"
check "STATUS once the master is back: 0" succeeded_quietly
status "$(conf_l2 1.1.0 nope0)"
check "STATUS with the master missing: 50" failed_with 50 "nope0"
status "$(conf_l2 1.0.0 s0)"
check "STATUS with cniVersion 1.0.0: error 1" failed_with 1 "STATUS needs cniVersion 1.1.0"

# ---- GC: rdmanet leaves nothing on the host to collect (links are created inside the pod), so
# GC is the IPAM's: it must get the valid attachments, and the kernel's state must not change.
ip link add rdn000000000001 link s0 type macvlan mode bridge && ip link set rdn000000000001 alias rdmanet:gone-1:net1 ||
	die "create a host link that looks like ours"
cni ADD live-1 "$(nsp sp)" net1 "$L2"
check "a live attachment in a pod" succeeded
VA='[{"containerID":"keep-1","ifname":"net1"},{"containerID":"gone-2","ifname":"net1"}]'
GCCONF=$(jq -c --argjson va "$VA" '.["cni.dev/valid-attachments"]=$va' <<<"$L2")
before=$(snapshot sp)
gc "$GCCONF"
check "GC succeeds" succeeded_quietly
check "GC changed nothing in the kernel (pod attachment, host links, master)" \
	eval '[ "$(snapshot sp)" = "$before" ] && has_link sp net1 && has_link "" rdn000000000001'
gc "$(jq -c '.cniVersion="1.0.0"' <<<"$GCCONF")"
check "GC with cniVersion 1.0.0: error 1" failed_with 1 "GC needs cniVersion 1.1.0"
gc "$(jq -c '.["cni.dev/valid-attachments"]=[{"containerID":5}]' <<<"$L2")"
check "GC with malformed valid-attachments: error 7" failed_with 7 "valid-attachments"
gc "$(jq -c '.ipam={type:"host-local",ranges:[[{subnet:"10.19.0.0/24"}]],dataDir:"'"$T/ipam"'"}' <<<"$GCCONF")"
check "GC with host-local (no GC before 1.1.0): 0" succeeded_quietly
gc "$(jq -c '.ipam={type:"ipam-v11"}' <<<"$GCCONF")"
check "GC with a 1.1.0 IPAM succeeds" succeeded_quietly
check "... and hands it the valid attachments" jqt --argjson va "$VA" '.["cni.dev/valid-attachments"] == $va' "$T/ipam-gc.json"
ip link del rdn000000000001
cni DEL live-1 "$(nsp sp)" net1 "$L2"

# ---- an ADD killed between creating the link in the pod and labelling it: the child bears the
# marker group ADD puts in its create request (FNV-1a of the alias in bits 0-29, bit 30 set)
marker() {
	local s="rdmanet:$1:$2" h=2166136261 i c
	for ((i = 0; i < ${#s}; i++)); do
		printf -v c '%d' "'${s:i:1}"
		h=$(( ((h ^ c) * 16777619) & 0xffffffff ))
	done
	echo $(( (h & 0x3fffffff) | 0x40000000 ))
}
ip link add net1 link s0 netns sq group "$(marker stale-2 net1)" type macvlan mode bridge ||
	die "create an unlabelled child with the marker"
before=$(snapshot sq)
cni ADD stale-2 "$(nsp sq)" net1 "$L2"
check "ADD over an unlabelled leftover: error 102, nothing changed" \
	eval 'failed_with 102 "already exists" && [ "$(snapshot sq)" = "$before" ]'
cni DEL stale-2 "$(nsp sq)" net1 "$L2"
check "DEL removes an unlabelled macvlan child bearing its marker (killed before labelling)" \
	eval 'succeeded_quietly && ! has_link sq net1'
cni ADD stale-2 "$(nsp sq)" net1 "$L2"
check "ADD succeeds after that DEL" eval 'succeeded && has_link sq net1'
check "... the labelled child is back in the default group (the marker is only for the window)" \
	test "$(lq sq net1 .group)" = default
cni DEL stale-2 "$(nsp sq)" net1 "$L2"

# an unlabelled child of our own master without the marker: another plugin's (Go macvlan makes
# exactly this) or another container's killed ADD; never ours to delete
ip link add net1 link s0 netns sq type macvlan mode bridge || die "create an unmarked child"
cni DEL stale-2 "$(nsp sq)" net1 "$L2"
check "DEL leaves an unlabelled macvlan child of our master without the marker" \
	eval 'succeeded_quietly && has_link sq net1'
ip -n sq link set net1 group "$(marker stale-9 net1)"
cni DEL stale-2 "$(nsp sq)" net1 "$L2"
check "DEL leaves an unlabelled child bearing another attachment's marker" \
	eval 'succeeded_quietly && has_link sq net1'
ip -n sq link del net1

mk_master s9 || die "create veth master s9"
ip link add net1 link s9 netns sq type macvlan mode bridge || die "create a foreign unlabelled child"
cni DEL stale-3 "$(nsp sq)" net1 "$L2"
check "DEL leaves an unlabelled macvlan of another master" eval 'succeeded_quietly && has_link sq net1'
ip -n sq link set net1 alias rdmanet:other:net1
cni DEL stale-3 "$(nsp sq)" net1 "$(conf_l2 1.1.0 s9)"
check "DEL leaves a link that carries another attachment's alias" eval 'succeeded_quietly && has_link sq net1'
ip -n sq link del net1
check "nothing left" test -z "$(host_ours)$(pod_links sp)$(pod_links sq)"
finish
