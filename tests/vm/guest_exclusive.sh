# guest_exclusive.sh - rdmanet on a real kernel RDMA stack in exclusive netns mode
# (ib_core netns_mode=0): an RDMA device lives in one netns only. Runs inside the VM.
. /vmtest/guest_lib.sh
modprobe ib_core netns_mode=0 || die "modprobe ib_core netns_mode=0"
for m in crc32_generic ib_uverbs rdma_rxe macvlan veth; do modprobe "$m" || die "modprobe $m"; done
setup_common
for n in pod1 pod2 pod3; do /usr/sbin/ip netns add $n && /usr/sbin/ip -n $n link set lo up; done
C=$(conf veth0)
snap() { echo "$(rdma_devs)|$(/usr/sbin/ip -br link | sort | tr '\n' ' ')|$(pod_links pod1)|$(allocs)|$(ls /var/lib/cni/rdmanet 2>/dev/null)"; }

check "RDMA netns mode is exclusive" eval 'rdma system show | grep -q "netns exclusive"'
out=$($P doctor 2>&1)
check "doctor reports exclusive mode" eval 'echo "$out" | grep -qi "exclusive"'
echo "$out" | sed 's/^/    doctor: /' | head -12

# ---- a child kind cannot give a pod its parent's device: refused, nothing changes
before=$(snap)
cni ADD x1 /run/netns/pod1 net1 "$C"
check "macvlan ADD is refused with 110, explaining exclusive mode and hostdev" \
	failed_with 110 "exclusive netns mode.*hostdev"
check "... nothing changed (links, devices, allocations, state)" test "$(snap)" = "$before"
cni STATUS "" "" "" "$C"
check "STATUS says the same (50)" failed_with 50 "exclusive"

# ---- hostdev with rxe: the device move comes first and rxe cannot move (EOPNOTSUPP)
cni ADD x2 /run/netns/pod1 net1 "$(conf veth0 '.link = "hostdev"')"
check "hostdev of veth0 fails with 110: driver rdma_rxe cannot change network namespace" \
	failed_with 110 "driver 'rdma_rxe' does not support"
check "... the error carries the kernel's errno" \
	eval 'echo "$OUT" | jq -r .details | grep -qi "not supported"'
check "... veth0 and rxe0 stay in the host, nothing else changed" test "$(snap)" = "$before"
testhooks || skip "forced failure at rdma-move" "a release build has no fault hooks"
testhooks && for step in rdma-move; do
	cni ADD x2f /run/netns/pod1 net1 "$(conf veth0 '.link = "hostdev"')" RDMANET_TEST_FAIL_STEP=$step
	check "forced failure at '$step': 110, veth0 and rxe0 stay in the host, nothing changed" \
		eval 'failed_with 110 "cannot move RDMA device" && test "$(snap)" = "$before"'
done

# ---- required modes that the node does not match, with the fix
cni ADD x3 /run/netns/pod1 net1 "$(conf veth0 '.rdma = {mode: "shared"}')"
check "rdma.mode shared on an exclusive node: 110 naming netns_mode" failed_with 110 "netns_mode"
check "... nothing changed" test "$(snap)" = "$before"
cni ADD x4 /run/netns/pod1 net1 "$(conf veth0 '.rdma = {mode: "exclusive"} | .link = "macvlan"')"
check "rdma.mode exclusive with link macvlan: config error 7" failed_with 7 "hostdev"
cni ADD x4 /run/netns/pod1 net1 "$(conf veth0 '.rdma = {mode: "exclusive"}')"
check "rdma.mode exclusive with link auto on an Ethernet parent: 110 pointing to hostdev" \
	failed_with 110 "hostdev"
check "... nothing changed" test "$(snap)" = "$before"

# ---- rdma.mode none: IP only, allowed
cni ADD x5 /run/netns/pod1 net1 "$(conf veth0 '.rdma = {mode: "none"}')"
check "rdma.mode none attaches a macvlan child without RDMA" succeeded
check "... its label names no RDMA device" test "$(lq pod1 net1 .ifalias)" = "rdmanet:x5:net1"
cni DEL x5 /run/netns/pod1 net1 "$(conf veth0 '.rdma = {mode: "none"}')"
check "... DEL" succeeded_quietly

# ---- hostdev of a netdev without RDMA device: moves alone (auto), back on DEL and after netns death
HC=$(conf veth1 '.link = "hostdev"')
cni ADD x6 /run/netns/pod2 net1 "$HC"
check "hostdev of veth1 (no RDMA device) in exclusive mode" succeeded
check "veth1 is net1 in pod2" eval 'has_link pod2 net1 && ! has_link "" veth1'
out=$($P doctor --netns /run/netns/pod2 2>&1)
check "doctor in the pod: no RDMA device visible, says why" \
	eval 'echo "$out" | grep -qiE "no RDMA device"'
echo "$out" | sed 's/^/    doctor: /' | head -20
# The state of an attachment whose RDMA device was moved in (no movable device here: rxe
# cannot) and that the kernel has since returned: DEL asks RDMA netlink inside the pod, finds
# no device there and goes on.
S=/var/lib/cni/rdmanet/x6-net1.json
jq -c '.rdmaMoved = true | .rdmaDevice = "rxe0" | .rdmaPort = 1' $S >$S.new && mv $S.new $S
cni DEL x6 /run/netns/pod2 net1 "$HC"
check "DEL returns veth1" eval 'succeeded_quietly && has_link "" veth1'
check "... a moved-in RDMA device no longer in the pod is taken as returned" \
	eval 'grep -q "cid=x6 ifname=net1: .*RDMA device .rxe0. is no longer in the pod" /tmp/rdmanet.log && rdma_devs | grep -qw rxe0'
cni ADD x7 /run/netns/pod3 net1 "$HC"
check "hostdev ADD (netns to be deleted)" succeeded
/usr/sbin/ip netns del pod3
cni DEL x7 /run/netns/pod3 net1 "$HC"
check "DEL after the netns is gone (a veth dies with it)" succeeded_quietly
check "... state and allocations gone" eval '[ -z "$(allocs)$(ls /var/lib/cni/rdmanet 2>/dev/null)" ]'
finish
