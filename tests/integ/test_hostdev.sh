#!/bin/bash
# test_hostdev.sh - link 'hostdev': the whole netdev moves into the pod under CNI_IFNAME (with
# its MTU and our label) and comes back on DEL with its name and MTU; the state under
# /var/lib/cni/rdmanet is private and gone after DEL; every failed step gives the device back;
# its host name taken meanwhile, DEL and rollback bring it back under a kernel-chosen name;
# a device in use, a missing deviceID, or a mismatched master is a clear error. This host has no
# RDMA stack: rdma.mode auto attaches the netdev alone, a required mode fails and changes
# nothing. (The RDMA device move itself is tested on a real kernel in tests/vm.)
. "$(dirname "$0")/lib.sh"
integ_setup "$@"

STATE=/var/lib/cni/rdmanet
mk_master h0 || die "create veth h0"
ip addr add 10.16.0.1/24 dev h0-p
mk_ns p1 p2 p3 p4 || die "create namespaces"
ip link set h0 mtu 1500
mac0=$(lq "" h0 .address)
idx0=$(lq "" h0 .ifindex)
c=$(conf_hl 1.1.0 h0 10.16.0.0/24 '.link="hostdev"')

# ---- ADD moves h0 itself
cni ADD hd-1 "$(nsp p1)" net1 "$c"
check "ADD succeeds" succeeded '.interfaces[0].name == "net1" and (.ips|length) == 1'
check "the result carries h0's own MAC" test "$(jq -r '.interfaces[0].mac' <<<"$OUT")" = "$mac0"
check "h0 is no longer in the host" eval '! has_link "" h0'
check "the pod has net1 with h0's MAC, up" \
	test "$(lq p1 net1 '"\(.address) \(.flags|any(. == "UP"))"')" = "$mac0 true"
check "net1 carries the label rdmanet:hd-1:net1" test "$(lq p1 net1 .ifalias)" = "rdmanet:hd-1:net1"
check "the IPAM address is on net1" test "$(addrs p1 net1 inet)" = "$(jq -r '.ips[0].address' <<<"$OUT")"
check "the pod reaches the host end of the veth" ping_ok p1 10.16.0.1
check "the state file exists, mode 0600" test "$(stat -c %a "$STATE/hd-1-net1.json" 2>/dev/null)" = 600
check "the state directory is mode 0700" test "$(stat -c %a "$STATE" 2>/dev/null)" = 700
check "the state names h0 and its MTU" \
	jqt '.kind == "hostdev" and .hostName == "h0" and .hostMtu == 1500' "$STATE/hd-1-net1.json"
check "no RDMA stack here: the log says it attached a plain netdev" \
	grep -q "no RDMA stack" "$T/rdmanet.log"
res=$OUT

cni CHECK hd-1 "$(nsp p1)" net1 "$(with_prev "$c" "$res")"
check "CHECK succeeds" succeeded_quietly

# ---- a second pod cannot take the same device
cni ADD hd-2 "$(nsp p2)" net1 "$c"
check "a second ADD for h0 fails with 100 (in use)" failed_with 100 "not in the host network namespace"
check "... and p2 is untouched" test -z "$(pod_links p2)"

# ---- DEL gives it back
cni DEL hd-1 "$(nsp p1)" net1 "$c"
check "DEL succeeds" succeeded_quietly
check "h0 is back in the host under its name" has_link "" h0
check "... with its MAC, MTU 1500 and no label" \
	test "$(lq "" h0 '"\(.address) \(.mtu) \(.ifalias // "")"')" = "$mac0 1500 "
check "the pod has no net1" test -z "$(pod_links p1)"
check "the state file is gone" test ! -e "$STATE/hd-1-net1.json"
check "the allocation is freed" test -z "$(alloc_for hd-1)"
cni DEL hd-1 "$(nsp p1)" net1 "$c"
check "DEL twice" succeeded_quietly

# ---- MTU set in the pod, restored on the way back
cni ADD hd-3 "$(nsp p1)" net1 "$(jq -c '.mtu = 1400' <<<"$c")"
check "ADD with mtu 1400" succeeded '.interfaces[0].mtu == 1400'
check "net1 has MTU 1400 in the pod" test "$(lq p1 net1 .mtu)" = 1400
cni DEL hd-3 "$(nsp p1)" net1 "$c"
check "DEL" succeeded_quietly
check "h0 is back with MTU 1500" test "$(lq "" h0 .mtu)" = 1500

# name_of_mac0: the host's name for h0's device now (h0 itself is a veth, its MAC unique here)
name_of_mac0() { ip -j link show | jq -r --arg m "$mac0" '.[] | select(.address == $m) | .ifname'; }

# ---- h0's name taken in the host meanwhile: DEL returns it under a kernel-chosen name, with
# its MAC and MTU, and says so; the name's new owner is left alone
cni ADD hd-n "$(nsp p1)" net1 "$c"
check "ADD (its host name to be taken)" succeeded
ip link add h0 type veth peer name h0-other
cni DEL hd-n "$(nsp p1)" net1 "$c"
check "DEL with 'h0' taken in the host succeeds" succeeded_quietly
back=$(name_of_mac0)
check "... the device is back in the host as '$back' (kernel-chosen), MTU 1500, unlabelled" \
	eval '[[ "$back" == dev* ]] && test "$(lq "" "$back" '"'"'"\(.mtu) \(.ifalias // "")"'"'"')" = "1500 "'
check "... the log says why" grep -q "'h0' is taken in the host: 'net1' returns under a kernel-chosen name" "$T/rdmanet.log"
check "... the other h0 is untouched" test "$(lq "" h0 .linkinfo.info_kind)" = veth
ip link del h0 && ip link set "$back" name h0 && ip link set h0 up || die "restore h0"

# ---- the same on an ADD's rollback: the IPAM (run in the host's netns) takes the name 'h0',
# then fails; the device comes back under a kernel-chosen name
cat >"$T/bin/ipam-takes-h0" <<'PEOF'
#!/bin/sh
cat >/dev/null
[ "$CNI_COMMAND" = ADD ] || exit 0
ip link add h0 type veth peer name h0-taker >/dev/null 2>&1
echo '{"cniVersion":"1.0.0","code":11,"msg":"try again later"}'
exit 1
PEOF
chmod +x "$T/bin/ipam-takes-h0"
cni ADD hd-r "$(nsp p1)" net1 "$(conf_l2 1.1.0 h0 '.link="hostdev" | .ipam={type:"ipam-takes-h0"}')"
check "ADD failing after the move while 'h0' was taken: the IPAM's error" failed_with 11 "try again later"
back=$(name_of_mac0)
check "... the device is back in the host as '$back' (kernel-chosen), MTU 1500, unlabelled" \
	eval '[[ "$back" == dev* ]] && test "$(lq "" "$back" '"'"'"\(.mtu) \(.ifalias // "")"'"'"')" = "1500 " && [ -z "$(pod_links p1)" ]'
check "... the log says why" grep -q "rollback: 'h0' is taken in the host: 'net1' returned under a kernel-chosen name" "$T/rdmanet.log"
ip link del h0 && ip link set "$back" name h0 && ip link set h0 up || die "restore h0"

# ---- the state lost (node storage wiped) or corrupt: DEL never deletes the device (a VF cannot
# be deleted, a veth would be destroyed); it goes back to the host under a kernel-chosen name
for how in lost corrupt; do
	cni ADD hd-s "$(nsp p1)" net1 "$c"
	check "ADD (state to be $how)" succeeded
	if [ $how = lost ]; then rm -f "$STATE/hd-s-net1.json"; else echo '{"kind":' >"$STATE/hd-s-net1.json"; fi
	cni DEL hd-s "$(nsp p1)" net1 "$c"
	back=$(name_of_mac0)
	check "state $how: DEL succeeds, the device is back in the host as '$back', unlabelled, net1 gone from the pod" \
		eval 'succeeded_quietly && [[ "$back" == dev* ]] && [ -z "$(lq "" "$back" ".ifalias // empty")" ] && [ -z "$(pod_links p1)" ]'
	check "... the log says what is unknown" grep -q "no attachment state for the device 'net1'.*returned it to the host as '$back'" "$T/rdmanet.log"
	rm -f "$STATE/hd-s-net1.json"
	ip link set "$back" name h0 && ip link set h0 up && ip link set h0 mtu 1500 || die "restore h0"
done

# ---- STATUS of a hostdev network: each pod brings its own device; a named one must exist
cni STATUS "" "" "" "$c"
check "STATUS of a hostdev network whose master exists: ready" succeeded_quietly
cni STATUS "" "" "" "$(jq -c '.master = "nosuch0"' <<<"$c")"
check "STATUS of a hostdev network whose master is missing: 50" failed_with 50 "nosuch0"
cni STATUS "" "" "" "$(jq -c 'del(.master) | .deviceID = "0000:ff:1f.7"' <<<"$c")"
check "STATUS with a deviceID that is no device here: 50" failed_with 50 "0000:ff:1f.7"

# ---- DEL after the pod's netns is gone: a veth dies with it, the state and allocation go
cni ADD hd-4 "$(nsp p3)" net1 "$c"
check "ADD (netns to be deleted)" succeeded
ip netns del p3
cni DEL hd-4 "$(nsp p3)" net1 "$c"
check "DEL after 'ip netns del' succeeds" succeeded_quietly
check "... removes the state" test ! -e "$STATE/hd-4-net1.json"
check "... frees the allocation" test -z "$(alloc_for hd-4)"
check "... and leaves no labelled link on the host" test -z "$(host_ours)"
mk_master h0 && ip addr add 10.16.0.1/24 dev h0-p || die "re-create veth h0"
mac0=$(lq "" h0 .address)

# ---- a physical device comes back to the host by itself when its netns dies: a DEL then
# finds it by its label (simulated: the device is moved back by hand, label and name kept)
cni ADD hd-5 "$(nsp p4)" net1 "$c"
check "ADD (device returned by the kernel)" succeeded
ip -n p4 link set net1 down
ip -n p4 link set net1 netns "$$"	# this test's own netns (never PID 1's)
check "net1 is back in the host, still labelled" test "$(lq "" net1 .ifalias)" = "rdmanet:hd-5:net1"
cni DEL hd-5 "$(nsp p4)" net1 "$c"
check "DEL succeeds" succeeded_quietly
check "the device is renamed back to h0 and unlabelled" \
	test "$(lq "" h0 '"\(.address) \(.ifalias // "")"')" = "$mac0 "
check "no net1 left in the host" eval '! has_link "" net1'
check "the state is gone" test ! -e "$STATE/hd-5-net1.json"

# ---- GC: a hostdev attachment the runtime no longer names (an ADD killed before it answered)
# gives its device back; one it still names is kept
if testhooks; then
	cni ADD hd-g1 "$(nsp p2)" net1 "$c" RDMANET_TEST_KILL_STEP=route
	check "ADD killed at 'route' (SIGKILL)" test "$RC" = 137
	check "... h0 is in p2 and its state is on disk" eval 'has_link p2 net1 && test -e "$STATE/hd-g1-net1.json"'
	gc=$(jq -c '. + {"cni.dev/valid-attachments": [{containerID: "hd-g1", ifname: "net1"}]}' <<<"$c")
	cni_env "$gc" CNI_COMMAND=GC CNI_PATH="$CNI_PATH_ALL"
	check "GC naming the attachment as valid keeps it" \
		eval 'succeeded_quietly && has_link p2 net1 && test -e "$STATE/hd-g1-net1.json"'
	gc=$(jq -c '. + {"cni.dev/valid-attachments": []}' <<<"$c")
	cni_env "$gc" CNI_COMMAND=GC CNI_PATH="$CNI_PATH_ALL"
	check "GC without it succeeds" succeeded_quietly
	check "... h0 is back in the host with MTU 1500, unlabelled" \
		test "$(lq "" h0 '"\(.mtu) \(.ifalias // "")"')" = "1500 "
	check "... p2 is empty and the state is gone" eval '[ -z "$(pod_links p2)" ] && test ! -e "$STATE/hd-g1-net1.json"'
	check "... and host-local's allocation for it is released by DEL, which still succeeds" \
		eval 'cni DEL hd-g1 "$(nsp p2)" net1 "$c"; succeeded_quietly && [ -z "$(alloc_for hd-g1)" ]'
else
	skip "GC of a killed hostdev ADD (6 checks)" "$NOHOOKS"
fi

# ---- every failing step gives h0 back and leaves nothing
if testhooks; then
	for step in state move sysctl ipam addr up route result; do
		before=$(snapshot p1)
		cni ADD "hd-f-$step" "$(nsp p1)" net1 "$c" RDMANET_TEST_FAIL_STEP=$step
		check "forced failure at '$step': ADD fails" eval 'test "$RC" = 1'
		check "... h0 is back in the host with MTU 1500, unlabelled" \
			test "$(lq "" h0 '"\(.mtu) \(.ifalias // "")"')" = "1500 "
		check "... nothing else changed, no allocation" unchanged "$before" p1
		check "... no state file" test ! -e "$STATE/hd-f-$step-net1.json"
	done
else
	skip "forced failure at each hostdev ADD step (32 checks)" "$NOHOOKS"
fi

# ---- configuration and lookup errors change nothing
before=$(snapshot p1)
cni ADD hd-e1 "$(nsp p1)" net1 "$(jq -c 'del(.master)' <<<"$c")"
check "hostdev without master or deviceID: 7" failed_with 7 "deviceID"
cni ADD hd-e2 "$(nsp p1)" net1 "$(jq -c 'del(.master) | .deviceID = "0000:ff:1f.7"' <<<"$c")"
check "a deviceID that is no device on this node: 100" failed_with 100 "not a PCI or auxiliary device"
cni ADD hd-e3 "$(nsp p1)" net1 "$(jq -c 'del(.master) | .runtimeConfig.deviceID = "../../etc"' <<<"$c")"
check "a deviceID with a path in it: 7" failed_with 7 "runtimeConfig.deviceID"
cni ADD hd-e4 "$(nsp p1)" net1 "$(jq -c '.rdma = {mode: "shared"}' <<<"$c")"
check "rdma.mode shared without an RDMA stack: 110 saying what to load" failed_with 110 "RDMA stack"
cni ADD hd-e5 "$(nsp p1)" net1 "$(jq -c '.rdma = {mode: "exclusive", devcie: "x"}' <<<"$c")"
check "an unknown key in 'rdma': 7" failed_with 7 "devcie"
ip link add mv0 link h0 type macvlan
cni ADD hd-e6 "$(nsp p1)" net1 "$(jq -c '.master = "mv0"' <<<"$c")"
check "a macvlan as hostdev: 100" failed_with 100 "VF, SF or PF"
ip link del mv0
check "none of these changed anything" unchanged "$before" p1
pcinet=$(for d in /sys/bus/pci/devices/*/net/*; do [ -e "$d" ] && echo "$d"; done | head -1)
if [ -n "$pcinet" ]; then
	# the node's own NIC, seen in sysfs but not in this test's netns: "in use elsewhere"
	bdf=$(basename "$(dirname "$(dirname "$pcinet")")")
	cni ADD hd-e7 "$(nsp p1)" net1 "$(jq -c --arg d "$bdf" 'del(.master) | .deviceID = $d' <<<"$c")"
	check "a PCI device whose netdev is in another netns: 100 naming the netdev" \
		failed_with 100 "$(basename "$pcinet")"
fi
finish
