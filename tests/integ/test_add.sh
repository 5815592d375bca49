#!/bin/bash
# test_add.sh - ADD with host-local and static IPAM, checked on the kernel: link kind, parent,
# mode, MTU, MAC (runtimeConfig.mac, CNI_ARGS MAC=), up, alias, sysctls, addresses and routes;
# the result's shape for every CNI version; L2-only ADD; dual stack; traffic between two pods.
. "$(dirname "$0")/lib.sh"
integ_setup "$@"

mk_master m0 || die "create veth master m0"
ip link set m0-p mtu 9000 && ip link set m0 mtu 9000 || die "set master MTU"
M0_IDX=$(lq "" m0 .ifindex)

# ---- host-local, 1.1.0 (the IPAM only speaks 1.0.0: the plugin retries with it)
mk_ns p1
c=$(conf_hl 1.1.0 m0 10.10.0.0/24 '.dns={nameservers:["10.0.0.53"],search:["example.test"]}')
cni ADD add-hl "$(nsp p1)" net1 "$c"
check "ADD host-local 1.1.0 succeeds" succeeded '.cniVersion == "1.1.0"'
R1=$OUT
ip1=$(jq -r '.ips[0].address' <<<"$R1")
mac1=$(jq -r '.interfaces[0].mac' <<<"$R1")
check "host-local: net1 is a macvlan in the pod" test "$(lq p1 net1 .linkinfo.info_kind)" = macvlan
check "host-local: net1's parent is master m0" test "$(lq p1 net1 .link_index)" = "$M0_IDX"
check "host-local: default mode is bridge" test "$(lq p1 net1 .linkinfo.info_data.mode)" = bridge
check "host-local: net1 is up with carrier" \
	test "$(lq p1 net1 '[(.flags|any(. == "UP")), .operstate] | @tsv')" = "true	UP"
check "host-local: MTU inherited from master (9000)" test "$(lq p1 net1 .mtu)" = 9000
check "host-local: alias marks the attachment" test "$(lq p1 net1 .ifalias)" = "rdmanet:add-hl:net1"
check "host-local: kernel MAC equals result MAC" test "$(lq p1 net1 .address)" = "$mac1"
check "host-local: kernel address equals result address" test "$(addrs p1 net1 inet)" = "$ip1"
check "host-local: address is from the range" eval '[[ $ip1 == 10.10.0.*/24 ]]'
check "host-local: route without gw uses the IPAM gateway" \
	test "$(route_via p1 10.250.0.0/16)" = "10.10.0.1 net1"
check "host-local: arp_notify=1 in the pod" test "$(pod_sysctl p1 ipv4/conf/net1/arp_notify)" = 1
check "host-local: ndisc_notify=1 in the pod" test "$(pod_sysctl p1 ipv6/conf/net1/ndisc_notify)" = 1
check "host-local: result 1.1.0 shape" jqt '
	(.interfaces|length) == 1 and .interfaces[0].name == "net1" and .interfaces[0].sandbox == "/run/netns/p1"
	and .interfaces[0].mtu == 9000 and (.ips|length) == 1 and .ips[0].interface == 0
	and (.ips[0]|has("version")|not) and .ips[0].gateway == "10.10.0.1"
	and .routes == [{"dst":"10.250.0.0/16","table":'"$((10000 + $(lq p1 net1 .ifindex)))"'}]' <<<"$R1"
check "host-local: dns from the config when the IPAM has none" \
	jqt '.dns == {"nameservers":["10.0.0.53"],"search":["example.test"]}' <<<"$R1"
check "host-local: allocation recorded for the container" test "$(alloc_for add-hl)" = "${ip1%/*}"
check "host-local: no link of ours left on the host" test -z "$(host_ours)"
check "host-local: logFile carries the container ID" grep -q 'cid=add-hl ifname=net1' "$T/rdmanet.log"

# ---- a second pod on the same network: traffic over the master
mk_ns p1b
cni ADD add-hl-b "$(nsp p1b)" net1 "$c"
check "second host-local pod ADD" succeeded
ip1b=$(jq -r '.ips[0].address' <<<"$OUT")
check "second pod got a different address" test "${ip1b:-x}" != "$ip1"
check "pods on the same master ping each other" ping_ok p1b "${ip1%/*}"

# ---- static, 1.1.0, default route
mk_ns p2
c=$(conf_static 1.1.0 m0 192.168.50.5/24 '.ipam.routes=[{dst:"0.0.0.0/0"}]')
cni ADD add-st "$(nsp p2)" net1 "$c"
check "ADD static succeeds" succeeded '.ips == [{"interface":0,"address":"192.168.50.5/24","gateway":"192.168.50.1"}]'
check "static: address in the kernel" test "$(addrs p2 net1 inet)" = 192.168.50.5/24
check "static: default route via the gateway" test "$(route_via p2 default)" = "192.168.50.1 net1"
check "static: macvlan child of m0" test "$(lq p2 net1 '"\(.linkinfo.info_kind) \(.link_index)"')" = "macvlan $M0_IDX"

# ---- MAC from runtimeConfig, mode private, explicit MTU
mk_ns p3
c=$(conf_l2 1.1.0 m0 '.mode="private" | .mtu=1400 | .runtimeConfig={mac:"02:11:22:33:44:55"}')
cni ADD add-mac "$(nsp p3)" net1 "$c"
check "ADD with runtimeConfig.mac succeeds" succeeded '.interfaces[0].mac == "02:11:22:33:44:55" and .interfaces[0].mtu == 1400'
check "runtimeConfig.mac: kernel MAC" test "$(lq p3 net1 .address)" = 02:11:22:33:44:55
check "mode private in the kernel" test "$(lq p3 net1 .linkinfo.info_data.mode)" = private
check "mtu 1400 in the kernel" test "$(lq p3 net1 .mtu)" = 1400

# ---- MAC from CNI_ARGS, mode vepa
mk_ns p4
cni ADD add-args "$(nsp p4)" net1 "$(conf_l2 1.0.0 m0 '.mode="vepa"')" \
	CNI_ARGS="IgnoreUnknown=true;K8S_POD_NAMESPACE=default;K8S_POD_NAME=p4;MAC=02:11:22:33:44:66"
check "ADD with CNI_ARGS MAC succeeds" succeeded '.interfaces[0].mac == "02:11:22:33:44:66"'
check "CNI_ARGS MAC: kernel MAC" test "$(lq p4 net1 .address)" = 02:11:22:33:44:66
check "mode vepa in the kernel" test "$(lq p4 net1 .linkinfo.info_data.mode)" = vepa

# ---- both: runtimeConfig.mac wins
mk_ns p5
cni ADD add-both "$(nsp p5)" net1 "$(conf_l2 1.0.0 m0 '.runtimeConfig={mac:"02:11:22:33:44:77"}')" \
	CNI_ARGS="MAC=02:11:22:33:44:88"
check "runtimeConfig.mac wins over CNI_ARGS MAC" test "$RC $(lq p5 net1 .address)" = "0 02:11:22:33:44:77"

# ---- passthru on a master of its own
mk_master m1 || die "create veth master m1"
mk_ns p6
cni ADD add-pt "$(nsp p6)" net1 "$(conf_l2 1.0.0 m1 '.mode="passthru"')"
check "ADD mode passthru succeeds" succeeded
check "mode passthru in the kernel" test "$(lq p6 net1 .linkinfo.info_data.mode)" = passthru

# ---- result shape for every version (host-local)
i=0
for v in 0.3.0 0.3.1 0.4.0 1.0.0 1.1.0; do
	i=$((i + 1)); ns=pv$i
	mk_ns $ns
	c=$(conf_hl $v m0 10.11.0.0/24)
	cni ADD "ver-$v" "$(nsp $ns)" net1 "$c"
	case $v in
	0.*) shape='(.ips[0].version == "4") and (.interfaces[0]|has("mtu")|not)' ;;
	1.0.0) shape='(.ips[0]|has("version")|not) and (.interfaces[0]|has("mtu")|not)' ;;
	1.1.0) shape='(.ips[0]|has("version")|not) and .interfaces[0].mtu == 9000' ;;
	esac
	check "result shape for $v" succeeded ".cniVersion == \"$v\" and $shape and
		.interfaces[0].name == \"net1\" and .interfaces[0].sandbox == \"$(nsp $ns)\" and
		(.interfaces[0].mac|test(\"^([0-9a-f]{2}:){5}[0-9a-f]{2}\$\")) and .ips[0].interface == 0 and
		(.ips[0].address|startswith(\"10.11.0.\")) and .ips[0].gateway == \"10.11.0.1\" and
		.routes[0].dst == \"10.250.0.0/16\" and (.dns|type) == \"object\""
	a=$(jq -r '.ips[0].address' <<<"$OUT" 2>/dev/null)
	check "$v: address in the kernel" test "$(addrs $ns net1 inet)" = "$a"
	cni DEL "ver-$v" "$(nsp $ns)" net1 "$c"
	check "$v: DEL" succeeded_quietly
	check "$v: DEL removed the link and the allocation" \
		test "$(pod_links $ns | wc -l) $(alloc_for "ver-$v" | wc -l)" = "0 0"
done

# ---- L2-only
mk_ns p7
cni ADD add-l2 "$(nsp p7)" net1 "$(conf_l2 1.1.0 m0)"
check "L2-only ADD prints the interface and no ips" \
	succeeded '(.interfaces|length) == 1 and (has("ips")|not) and (has("routes")|not)'
check "L2-only: link up without an IPv4 address" \
	test "$(lq p7 net1 '.flags|any(. == "UP")') $(addrs p7 net1 inet | wc -l)" = "true 0"
mk_ns p8
cni ADD add-l2e "$(nsp p8)" net1 "$(conf_l2 1.0.0 m0 '.ipam={}')"
check "ipam {} is L2-only" succeeded '(.interfaces|length) == 1 and (has("ips")|not)'

# ---- dual stack
mk_ns p9
c=$(conf_hl 1.1.0 m0 10.12.0.0/24 '.ipam.ranges += [[{subnet:"fd00:12::/64"}]]')
cni ADD add-ds "$(nsp p9)" net1 "$c"
check "dual-stack ADD returns two addresses" succeeded '[.ips[].address] | length == 2'
a6=$(jq -r '.ips[] | select(.address|contains(":")) | .address' <<<"$OUT" 2>/dev/null)
check "dual-stack: IPv4 address in the kernel" eval '[[ $(addrs p9 net1 inet) == 10.12.0.*/24 ]]'
check "dual-stack: IPv6 address in the kernel" test "$(addrs p9 net1 inet6)" = "${a6:-none}"

# ---- a 1.1.0 IPAM: no version fallback, several addresses, 1.1.0 route fields, IPv6 default route
cat >"$T/bin/ipam-v11" <<EOF
#!/bin/sh
cat >"$T/ipam-v11.\$CNI_COMMAND.in"
case \$CNI_COMMAND in
VERSION) echo '{"cniVersion":"1.1.0","supportedVersions":["1.0.0","1.1.0"]}' ;;
ADD) echo '{"cniVersion":"1.1.0","ips":[{"address":"10.40.0.7/24","gateway":"10.40.0.1"},
	{"address":"10.41.0.7/24"},{"address":"fd00:40::7/64","gateway":"fd00:40::1"}],
	"routes":[{"dst":"10.42.0.0/16","table":100,"priority":50,"mtu":1400},{"dst":"::/0"},
	{"dst":"10.44.0.0/16","gw":"10.41.0.1","advmss":1300}],"dns":{"nameservers":["10.40.0.53"]}}' ;;
esac
EOF
chmod +x "$T/bin/ipam-v11"
mk_ns p10
c=$(conf_l2 1.1.0 m0 '.ipam={type:"ipam-v11"} | .dns={nameservers:["10.0.0.53"]}')
cni ADD add-v11 "$(nsp p10)" net1 "$c"
check "1.1.0 IPAM: ADD succeeds" succeeded '[.ips[].address] == ["10.40.0.7/24","10.41.0.7/24","fd00:40::7/64"]'
R10=$OUT
check "1.1.0 IPAM: called with cniVersion 1.1.0 (no fallback)" jqt '.cniVersion == "1.1.0"' "$T/ipam-v11.ADD.in"
T10=$((10000 + $(lq p10 net1 .ifindex)))
check "1.1.0 IPAM: route fields reported (table: the IPAM's, else the attachment's own)" \
	jqt '.routes == [{"dst":"10.42.0.0/16","mtu":1400,"priority":50,"table":100},
	{"dst":"::/0","table":'"$T10"'},{"dst":"10.44.0.0/16","gw":"10.41.0.1","advmss":1300,"table":'"$T10"'}]' <<<"$R10"
check "1.1.0 IPAM: the IPAM's dns wins over the config's" jqt '.dns == {"nameservers":["10.40.0.53"]}' <<<"$R10"
check "1.1.0 IPAM: all addresses in the kernel" \
	test "$(addrs p10 net1 | sort | tr '\n' ' ')" = "10.40.0.7/24 10.41.0.7/24 fd00:40::7/64 "
check "1.1.0 IPAM: route in table 100 with metric and mtu" test "$(ip -n p10 -j route show table 100 |
	jq -r '.[] | "\(.dst) \(.gateway) \(.metric) \(.metrics[0].mtu)"')" = "10.42.0.0/16 10.40.0.1 50 1400"
check "1.1.0 IPAM: route with its own gw and advmss" test "$(ip -n p10 -j route show table "$T10" 10.44.0.0/16 |
	jq -r '.[] | "\(.gateway) \(.metrics[0].advmss)"')" = "10.41.0.1 1300"
check "1.1.0 IPAM: IPv6 default route via the IPAM's IPv6 gateway" \
	test "$(ip -n p10 -6 -j route show table "$T10" default | jq -r '.[0].gateway')" = fd00:40::1
cni CHECK add-v11 "$(nsp p10)" net1 "$(with_prev "$c" "$R10")"
check "1.1.0 IPAM: CHECK passes (tables, gateways, IPv6)" succeeded_quietly
check "host-local (1.0.0 only) got a retry with 1.0.0" \
	grep -q "cid=add-hl .*does not speak cniVersion 1.1.0: retrying ADD with 1.0.0" "$T/rdmanet.log"

# ---- CNI_IFNAME may be a name the host uses: the link is created inside the pod
mk_ns p11
cni ADD add-name "$(nsp p11)" m0 "$(conf_l2 1.1.0 m0)"
check "CNI_IFNAME equal to the master's name works" \
	eval 'succeeded && [ "$(lq p11 m0 .linkinfo.info_kind) $(lq "" m0 .ifindex)" = "macvlan $M0_IDX" ]'
cni DEL add-name "$(nsp p11)" m0 "$(conf_l2 1.1.0 m0)"
check "... and DEL removes only the pod's one" eval 'succeeded_quietly && [ -z "$(pod_links p11)" ] && has_link "" m0'

# ---- master down: the attachment is made, without carrier, and the plugin warns
mk_master m2 || die "create veth master m2"
ip link set m2 down
mk_ns p12
cni ADD add-down "$(nsp p12)" net1 "$(conf_static 1.1.0 m2 192.168.52.5/24)"
check "ADD with the master down succeeds with a warning" eval 'succeeded && grep -q "master .m2. is down" <<<"$ERRLOG"'
# Administratively up, no carrier. The kernel reports LOWERLAYERDOWN, or DOWN when the pod-side
# ifindex happens to equal the master's host-side one (default_operstate compares the numbers).
lower_down() {
	WHY="flags $(lq p12 net1 '.flags|join(",")') operstate $(lq p12 net1 .operstate)"
	lq p12 net1 '.flags' | jq -e 'index("UP") != null and index("LOWER_UP") == null' >/dev/null &&
		[[ "$(lq p12 net1 .operstate)" =~ ^(LOWERLAYERDOWN|DOWN)$ ]]
}
check "... the link is up without carrier" lower_down
ip link set m2 up
check "... and gets carrier once the master is up" wait_for 3 eval '[ "$(lq p12 net1 .operstate)" = UP ]'
cni DEL add-down "$(nsp p12)" net1 "$(conf_static 1.1.0 m2 192.168.52.5/24)"
check "... DEL" eval 'succeeded_quietly && [ -z "$(pod_links p12)" ]'

# ---- DEL everything: nothing left
for a in "add-hl p1 hl" "add-hl-b p1b hl" "add-st p2 st" "add-mac p3 l2" "add-args p4 l2" \
	"add-both p5 l2" "add-pt p6 l2" "add-l2 p7 l2" "add-l2e p8 l2" "add-ds p9 ds" "add-v11 p10 v11"; do
	set -- $a
	case $3 in
	hl) c=$(conf_hl 1.1.0 m0 10.10.0.0/24) ;;
	st) c=$(conf_static 1.1.0 m0 192.168.50.5/24) ;;
	ds) c=$(conf_hl 1.1.0 m0 10.12.0.0/24 '.ipam.ranges += [[{subnet:"fd00:12::/64"}]]') ;;
	v11) c=$(conf_l2 1.1.0 m0 '.ipam={type:"ipam-v11"}') ;;
	*) c=$(conf_l2 1.1.0 m0) ;;
	esac
	cni DEL "$1" "$(nsp $2)" net1 "$c"
	check "DEL $1 removes its link" eval 'succeeded_quietly && [ -z "$(pod_links $2)" ]'
done
check "after DEL: no links left in any pod" test -z "$(for n in p1 p1b p2 p3 p4 p5 p6 p7 p8 p9 p10; do pod_links $n; done)"
check "after DEL: no host-local allocation left" test -z "$(allocs)"
check "after DEL: no link of ours on the host" test -z "$(host_ours)"
finish
