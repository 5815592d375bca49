# guest_shared.sh - rdmanet on a real kernel RDMA stack, shared netns mode (the kernel default):
# rxe0 on veth0, rxe1 on the VM's PCI NIC. Runs inside the VM (busybox sh).
. /vmtest/guest_lib.sh
for m in crc32_generic ib_core ib_uverbs rdma_rxe macvlan veth ib_ipoib; do modprobe "$m" || die "modprobe $m"; done
setup_common
for n in pod1 pod2 pod3 pod4 pod5; do /usr/sbin/ip netns add $n && /usr/sbin/ip -n $n link set lo up; done
C=$(conf veth0)

# ---- the node: mode, lookup of the device behind the parent
check "RDMA netns mode is shared" eval 'rdma system show | grep -q "netns shared"'
cni STATUS "" "" "" "$C"
check "STATUS: veth0 has an ACTIVE RDMA port" succeeded_quietly
out=$($P doctor veth0 2>&1); rc=$?
check "doctor veth0 finds rxe0 behind it, exit 0" eval 'echo "$out" | grep -q rxe0 && [ $rc = 0 ]'
echo "$out" | sed 's/^/    doctor: /' | head -40
out=$($P doctor --json 2>/dev/null)
check "doctor --json reports shared mode and both devices" \
	eval 'echo "$out" | jq -e "(tostring|test(\"shared\")) and (tostring|test(\"rxe0\")) and (tostring|test(\"rxe1\"))" >/dev/null'

# ---- shared-mode ADD: the macvlan child's IP lands in rxe0's GID table; its index is published
cni ADD c1 /run/netns/pod1 net1 "$C"
check "ADD of a macvlan child of veth0" succeeded '.interfaces[0].name == "net1" and (.ips|length) == 1'
res1=$OUT
ip1=$(echo "$OUT" | jq -r '.ips[0].address' | cut -d/ -f1)
label=$(lq pod1 net1 .ifalias)
gid1=${label##*gid=}
check "the label names the device, port and GID index" \
	eval 'echo "$label" | grep -qE "^rdmanet:c1:net1 rdma=rxe0 port=1 gid=[0-9]+$"'
check "GID index $gid1 of rxe0 holds $ip1 (sysfs)" test "$(gid_at rxe0 "$gid1")" = "$(gid_v4 "$ip1")"
check "... and belongs to the pod's net1" \
	test "$(cat /sys/class/infiniband/rxe0/ports/1/gid_attrs/ndevs/"$gid1" 2>/dev/null)" = net1
check "... a RoCE v2 entry" \
	test "$(cat /sys/class/infiniband/rxe0/ports/1/gid_attrs/types/"$gid1" 2>/dev/null)" = "RoCE v2"
check "the pod reads the label in its own sysfs" \
	test "$(/usr/sbin/ip netns exec pod1 jq -Rr . /sys/class/net/net1/ifalias)" = "$label"
check "the log names the GID index" grep -q "GID index $gid1" /tmp/rdmanet.log

# what a workload in the pod sees through libibverbs: the device, its port, the GID at that index.
# (Traffic itself cannot be tested here: rxe routes in the initial netns only, so RC traffic from
# a pod's GID fails with "local QP operation error"; RoCE NICs do this in hardware.)
/usr/sbin/ip netns exec pod1 ibv_devinfo -v -d rxe0 >/tmp/devinfo.log 2>&1
check "ibv_devinfo in the pod: rxe0 port 1 ACTIVE, GID[$gid1] is $ip1" \
	eval 'grep -q "PORT_ACTIVE" /tmp/devinfo.log && grep -qE "GID\[ *$gid1\]:.*$ip1" /tmp/devinfo.log'
timeout 60 ibv_rc_pingpong -d rxe0 -g 1 -n 20 >/tmp/srv.log 2>&1 &
srv=$!
crc=1
for try in 1 2 3 4 5 6 7 8 9 10; do	# the server needs a moment to listen under TCG
	sleep 1
	timeout 40 ibv_rc_pingpong -d rxe0 -g 1 -n 20 127.0.0.1 >/tmp/cli.log 2>&1 && { crc=0; break; }
	grep -q "Couldn't connect" /tmp/cli.log || break
done
wait $srv
check "RC ping-pong over rxe0 in the host still works next to the pod" \
	eval '[ $crc = 0 ] && grep -q "iters in" /tmp/cli.log'

cni CHECK c1 /run/netns/pod1 net1 "$(with_prev "$C" "$res1")"
check "CHECK (libibverbs inside the pod: device, port ACTIVE, Ethernet, GID)" succeeded_quietly
out=$($P doctor --netns /run/netns/pod1 net1 2>&1); rc=$?
check "doctor --netns pod1 net1 finds the GID of $ip1, exit 0" \
	eval 'echo "$out" | grep -q "$ip1" && [ $rc = 0 ]'
echo "$out" | sed 's/^/    doctor: /' | head -30

# CHECK notices a lost GID (the address removed behind our back)
/usr/sbin/ip -n pod1 addr del "$ip1/24" dev net1
cni CHECK c1 /run/netns/pod1 net1 "$(with_prev "$C" "$res1")"
check "CHECK fails once the address (and so its GID) is gone" failed_with 105
/usr/sbin/ip -n pod1 addr add "$ip1/24" dev net1

# ---- device info for Multus: the PCI NIC carries rxe1
C2=$(conf "$NIC" '.runtimeConfig = {CNIDeviceInfoFile: "/run/k8s.cni.cncf.io/devinfo/cni/c2-net1"}')
cni ADD c2 /run/netns/pod2 net1 "$C2"
check "ADD on the PCI NIC $NIC ($BDF)" succeeded
check "the device-info file names $BDF and rxe1" \
	quiet jq -e --arg b "$BDF" '.type == "pci" and .version == "1.1.0" and .pci["pci-address"] == $b and .pci["rdma-device"] == "rxe1"' \
	/run/k8s.cni.cncf.io/devinfo/cni/c2-net1
cni DEL c2 /run/netns/pod2 net1 "$C2"
check "DEL c2" succeeded_quietly

# ---- DEL: link, GID and allocation go; twice; after the netns is gone
cni DEL c1 /run/netns/pod1 net1 "$C"
check "DEL c1" succeeded_quietly
check "the pod has no net1" test -z "$(pod_links pod1)"
check "the GID of $ip1 left rxe0's table" wait_for 30 test -z "$(gid_index rxe0 "$(gid_v4 "$ip1")")"
cni DEL c1 /run/netns/pod1 net1 "$C"
check "DEL c1 twice" succeeded_quietly
cni ADD c3 /run/netns/pod3 net1 "$C"
check "ADD c3 (netns to be deleted)" succeeded
ip3=$(echo "$OUT" | jq -r '.ips[0].address' | cut -d/ -f1)
/usr/sbin/ip netns del pod3
cni DEL c3 /run/netns/pod3 net1 "$C"
check "DEL after the netns is gone" succeeded_quietly
check "... frees every allocation" test -z "$(allocs)"
check "... and the GID of $ip3 is gone" wait_for 30 test -z "$(gid_index rxe0 "$(gid_v4 "$ip3")")"

# ---- a failure after the GID step leaves nothing behind
before=$(rdma_devs)$(/usr/sbin/ip -br link | sort | tr '\n' ' ')
testhooks || skip "forced failures at gid, devinfo, result" "a release build has no fault hooks"
testhooks && for step in gid devinfo result; do
	cni ADD "cf-$step" /run/netns/pod1 net1 "$C" RDMANET_TEST_FAIL_STEP=$step
	check "forced failure at '$step': ADD fails" eval '[ "$RC" = 1 ]'
	check "... no link, no allocation, devices as before" \
		eval '[ -z "$(pod_links pod1)$(allocs)" ] && [ "$(rdma_devs)$(/usr/sbin/ip -br link | sort | tr "\n" " ")" = "$before" ]'
done

# ---- GID table capacity: each pod IP takes an entry (rxe: RoCE v2 only; NICs with v1 too take
# two); 1100 addresses on veth0 fill rxe0's 1024 entries, then ADD refuses before creating anything
n=0
: >/tmp/batch
while [ $n -lt 1100 ]; do echo "addr add 10.99.$((n / 200)).$((n % 200 + 1))/32 dev veth0" >>/tmp/batch; n=$((n + 1)); done
/usr/sbin/ip -batch /tmp/batch >/dev/null 2>&1
wait_for 50 test "$(gid_at rxe0 1023)" != "0000:0000:0000:0000:0000:0000:0000:0000"
check "rxe0's GID table is full (its last entry, 1023, is taken)" \
	test "$(gid_at rxe0 1023)" != "0000:0000:0000:0000:0000:0000:0000:0000"
before=$(rdma_devs)$(/usr/sbin/ip -br link | sort | tr '\n' ' ')
cni ADD g1 /run/netns/pod1 net1 "$C"
check "ADD on a full GID table fails with 110 saying so" failed_with 110 "GID table of RDMA device 'rxe0' port 1 is full \(1024 of 1024"
check "... nothing created, nothing allocated" \
	eval '[ -z "$(pod_links pod1)$(allocs)" ] && [ "$(rdma_devs)$(/usr/sbin/ip -br link | sort | tr "\n" " ")" = "$before" ]'
out=$($P doctor veth0 2>&1)
check "doctor shows the usage and flags the full table" eval 'echo "$out" | grep -q "1024 of 1024" && echo "$out" | grep -qi "full"'
/usr/sbin/ip addr flush dev veth0
/usr/sbin/ip addr add 192.168.10.1/24 dev veth0
cni ADD g2 /run/netns/pod1 net1 "$C"
check "with entries free again ADD succeeds" succeeded
cni DEL g2 /run/netns/pod1 net1 "$C"
check "... DEL" succeeded_quietly

# ---- IPoIB children need an InfiniBand parent (rxe ports are Ethernet; ib_ipoib is loaded)
before=$(rdma_devs)$(/usr/sbin/ip -br link | sort | tr '\n' ' ')
cni ADD i1 /run/netns/pod1 net1 "$(conf veth0 '.link = "ipoib" | .pkey = "0x8001"')"
check "link ipoib on Ethernet veth0: 100, pointing to macvlan" failed_with 100 "not an InfiniBand netdev.*macvlan"
check "... nothing created, nothing allocated" \
	eval '[ -z "$(pod_links pod1)$(allocs)" ] && [ "$(rdma_devs)$(/usr/sbin/ip -br link | sort | tr "\n" " ")" = "$before" ]'
check "... the kernel agrees: it refuses an IPoIB child of veth0 (ENODEV)" \
	eval '! /usr/sbin/ip link add link veth0 name ib0.8001 type ipoib pkey 0x8001 2>/tmp/ipoib.err && grep -qi "no such device" /tmp/ipoib.err'
cni ADD i2 /run/netns/pod1 net1 "$C"
check "link auto on veth0 picks macvlan" eval 'succeeded && [ "$(lq pod1 net1 .linkinfo.info_kind)" = macvlan ]'
cni DEL i2 /run/netns/pod1 net1 "$C"
check "... DEL" succeeded_quietly

# ---- hostdev in shared mode. A software RDMA device dies with its netdev's move: refused.
HC=$(conf "" 'del(.master) | .link = "hostdev" | .runtimeConfig.deviceID = "'"$BDF"'"')
mac=$(lq "" "$NIC" .address)
cni ADD h0 /run/netns/pod4 net1 "$HC"
check "hostdev of $NIC carrying software rxe1 is refused (110), naming the driver" \
	failed_with 110 "software device \(rdma_rxe\)"
check "... $NIC and rxe1 stay in the host, pod4 is empty" \
	eval 'has_link "" "$NIC" && rdma_devs | grep -q rxe1 && [ -z "$(pod_links pod4)$(allocs)" ]'
check "... no state file" test ! -e /var/lib/cni/rdmanet/h0-net1.json

# without an RDMA device the PCI NIC moves by deviceID as a plain netdev (rdma.mode auto)
rdma link del rxe1
cni ADD h1 /run/netns/pod4 net1 "$HC"
check "hostdev ADD by deviceID $BDF" succeeded '.interfaces[0].pciID == "'"$BDF"'"'
check "$NIC is in the pod as net1 with its MAC" test "$(lq pod4 net1 .address)" = "$mac"
check "$NIC left the host" eval '! has_link "" "$NIC"'
check "the label carries no RDMA device" test "$(lq pod4 net1 .ifalias)" = "rdmanet:h1:net1"
check "the log warns that the pod gets no RDMA device" grep -q "no RDMA device is bound to '$NIC'" /tmp/rdmanet.log
check "the state file names $NIC and $BDF" \
	quiet jq -e --arg n "$NIC" --arg b "$BDF" '.hostName == $n and .busID == $b and .rdmaDevice == ""' /var/lib/cni/rdmanet/h1-net1.json
hres=$OUT
cni CHECK h1 /run/netns/pod4 net1 "$(with_prev "$HC" "$hres")"
check "hostdev CHECK" succeeded_quietly
cni DEL h1 /run/netns/pod4 net1 "$HC"
check "hostdev DEL" succeeded_quietly
check "$NIC is back under its name with its MAC, unlabelled" \
	test "$(lq "" "$NIC" '"\(.address) \(.ifalias // "")"')" = "$mac "
check "the state file is gone" test ! -e /var/lib/cni/rdmanet/h1-net1.json

# the pod's netns dies: the kernel returns the PCI NIC to the host, DEL renames it back
cni ADD h2 /run/netns/pod5 net1 "$HC"
check "hostdev ADD (netns to be deleted)" succeeded
/usr/sbin/ip netns del pod5
wait_for 50 has_link "" net1
check "the kernel returned the NIC to the host as net1, still labelled" \
	eval 'lq "" net1 .ifalias | grep -q "^rdmanet:h2:net1"'
cni DEL h2 /run/netns/pod5 net1 "$HC"
check "DEL after the netns is gone" succeeded_quietly
check "$NIC has its name back, unlabelled" test "$(lq "" "$NIC" '"\(.address) \(.ifalias // "")"')" = "$mac "
check "no allocation left" test -z "$(allocs)"

# ---- hostdev of veth0 (rxe0 on it) in shared mode: refused the same way
cni ADD h3 /run/netns/pod4 net1 "$(conf veth0 '.link = "hostdev"')"
check "hostdev of veth0 carrying rxe0 is refused (110)" failed_with 110 "rdma_rxe"
check "... veth0 and rxe0 stay" eval 'has_link "" veth0 && rdma_devs | grep -q rxe0'
finish
