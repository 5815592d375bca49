#!/bin/bash
# test_doctor.sh - `rdmanet doctor` on a host without an RDMA stack: the missing ib_core is an
# error with its fix (exit 1), --json is one valid JSON object with the findings, --netns enters
# the namespace (its links, not the host's), bad paths and options are usage errors (exit 2,
# nothing on stdout), a missing IFNAME or one without RDMA is a finding, a missing libibverbs is a
# warning and the rest is still reported, and the CNI entry point is unchanged. Real devices
# are covered in tests/vm.
. "$(dirname "$0")/lib.sh"
integ_setup "$@"
# doctor also reads the call logs of the node's rdmanet networks (/etc/cni/net.d): an empty one
# here (this mount namespace only), so that what this machine has configured changes nothing
if [ -d /etc/cni/net.d ]; then
	mount -t tmpfs doctor-confs /etc/cni/net.d || die "setup" "cannot mount /etc/cni/net.d"
fi

# doc ARG...: runs `rdmanet doctor ARG...`; OUT (stdout), RC, ERRLOG (stderr).
doc() {
	OUT=$("$PLUGIN" doctor "$@" 2>"$T/stderr")
	RC=$?
	ERRLOG=$(cat "$T/stderr")
}
# rc_is N: the last run exited N.
rc_is() { WHY=$(why_out); [ "$RC" = "$1" ]; }
# out_has REGEX / err_has REGEX: stdout / stderr matches (extended, case-sensitive).
out_has() { WHY="stdout lacks /$1/: $(why_out)"; grep -qE -- "$1" <<<"$OUT"; }
err_has() { WHY="stderr lacks /$1/: $(why_out)"; grep -qE -- "$1" <<<"$ERRLOG"; }
# json JQ: stdout is one JSON document that satisfies JQ.
json() { WHY="jq -e '$1' failed: $(why_out)"; jq -e "$1" <<<"$OUT" >/dev/null 2>&1; }
# usage_error REGEX: exit 2, the reason (REGEX) and the usage on stderr, nothing on stdout.
usage_error() {
	WHY="want a usage error /$1/: $(why_out)"
	[ "$RC" = 2 ] && [ -z "$OUT" ] && grep -qE -- "$1" <<<"$ERRLOG" &&
		grep -q '^usage: rdmanet doctor' <<<"$ERRLOG"
}

[ ! -e /sys/class/infiniband ] || echo "# note: this host has RDMA devices; the no-stack checks assume it has none"

# ---- the node: no RDMA stack
doc
check "no RDMA stack: exit 1" rc_is 1
check "... says ib_core is not loaded" out_has 'no RDMA stack \(ib_core not loaded\)'
check "... with the fix" out_has 'fix: +modprobe ib_core ib_uverbs'
check "... ends with the problem count" eval '[ "$(tail -n 1 <<<"$OUT")" = "1 problem found" ]'
check "... and logs nothing on stderr" test -z "$ERRLOG"

doc --json
check "--json: exit 1" rc_is 1
check "--json: one JSON object with the findings array" \
	json 'type == "object" and (.findings|type) == "array" and .rdmaStack == false and
		.netns == null and .devices == [] and .errors == 1 and .problems == 1'
check "--json: every finding has severity, what, cause, fix" \
	json 'all(.findings[]; (.severity|IN("error","warn","info")) and (.what|type) == "string"
		and (.cause|type) == "string" and (.fix|type) == "string")'
check "--json: the error finding names ib_core and its fix" \
	json 'any(.findings[]; .severity == "error" and (.what|test("ib_core")) and (.fix|test("modprobe ib_core")))'

# ---- IFNAMEs
mk_master d0 || die "create veth d0"
ip addr add 10.17.0.1/24 dev d0
doc --json d0 nosuch0
check "IFNAMEs: exit 1" rc_is 1
check "a netdev without RDMA: a finding, its facts reported" \
	json '.interfaces[0] | .exists and .netdev.name == "d0" and .netdev.up and .rdma == null'
check "... the finding says it has no RDMA device" \
	json 'any(.findings[]; .severity == "error" and (.what|test("'"'"'d0'"'"' has no RDMA device")))'
check "a missing netdev: exists false and a clear finding" \
	json '.interfaces[1].exists == false and any(.findings[]; .what == "no netdev '"'"'nosuch0'"'"' in this network namespace")'
doc nosuch0
check "text: the missing netdev is reported" out_has "^interface nosuch0: does not exist"
check "text: 2 problems" eval '[ "$(tail -n 1 <<<"$OUT")" = "2 problems found" ]'

# ---- --netns: the namespace's own links
mk_ns dp || die "create netns dp"
ip link add e9 type veth peer name e9-p && ip link set e9 netns dp || die "create e9 in dp"
doc --netns "$(nsp dp)" --json e9
check "--netns: exit 1 (no RDMA there either)" rc_is 1
check "--netns: reports the namespace and sees its link e9" \
	json '.netns == "'"$(nsp dp)"'" and .interfaces[0].exists and .interfaces[0].netdev.name == "e9"'
doc --json e9
check "without --netns e9 is not found (it is in dp only)" json '.interfaces[0].exists == false'
mounts=$(awk '{print $5, $9}' /proc/self/mountinfo)
doc --netns="$(nsp dp)" e9
check "--netns=PATH works too" out_has "^network namespace: $(nsp dp)\$"
check "... and left no mount behind" eval '[ "$(awk '"'"'{print $5, $9}'"'"' /proc/self/mountinfo)" = "$mounts" ]'

doc --netns /nonexistent/ns
check "--netns with a missing path: usage error" usage_error "--netns '/nonexistent/ns': No such file or directory"
doc --netns /etc/hostname
check "--netns with a file that is no netns: usage error" usage_error "not a network namespace"
doc --netns
check "--netns without a path: usage error" usage_error "--netns needs a path"

# ---- rails: a pod with several rdmanet attachments (no RDMA on this host: the routing, ARP
# and MTU findings are the rails' own)
mk_master r1 && mk_master r2 || die "create rail masters"
ip link set r2 mtu 9000
mk_ns rp || die "create netns rp"
rail() { # IFNAME MASTER ADDR [JQ]
	conf_l2 1.1.0 "$2" ".ipam={type:\"static\",addresses:[{address:\"$3\"}]} | ${4:-.}"
}
cni ADD dr-1 "$(nsp rp)" net1 "$(rail net1 r1 10.18.0.11/24 '.routing="main"')"
cni ADD dr-1 "$(nsp rp)" net2 "$(rail net2 r2 10.18.0.12/24 '.routing="main" | .mtu=1500')"
doc --netns "$(nsp rp)" --json
check "rails: both reported with parent, MTU chain, table, addresses and sysctls" \
	json '[.rails[] | {name, kind, mtu, parent, policyRouting, addresses, sysctls}] == [
		{name:"net1",kind:"macvlan",mtu:1500,parent:{name:"r1",mtu:1500},policyRouting:false,
		 addresses:["10.18.0.11/24"],sysctls:{arp_ignore:1,arp_announce:2,rp_filter:2}},
		{name:"net2",kind:"macvlan",mtu:1500,parent:{name:"r2",mtu:9000},policyRouting:false,
		 addresses:["10.18.0.12/24"],sysctls:{arp_ignore:1,arp_announce:2,rp_filter:2}}]'
check "rails sharing a subnet without policy routing: an error naming both and the subnet" \
	json 'any(.findings[]; .severity == "error" and .what == "rails '"'"'net1'"'"' and '"'"'net2'"'"' share 10.18.0.0/24 without policy routing")'
check "a child MTU below its parent's: an info finding" \
	json 'any(.findings[]; .severity == "info" and (.what|test("net2'"'"' MTU 1500 is below its parent '"'"'r2'"'"' MTU 9000")))'
check "without IFNAMEs each rail is followed to its RDMA port" \
	json '[.interfaces[].name] == ["net1","net2"]'
ip netns exec rp sh -c 'echo 0 >/proc/sys/net/ipv4/conf/net1/arp_ignore; echo 0 >/proc/sys/net/ipv4/conf/net1/rp_filter
	echo 1 >/proc/sys/net/ipv4/conf/all/rp_filter'
doc --netns "$(nsp rp)" --json
check "arp_ignore 0 on a rail: a warning with the config key that fixes it" \
	json 'any(.findings[]; .severity == "warn" and (.what|test("net1'"'"' answers ARP")) and (.fix|test("arpIgnore")))'
check "rp_filter 1 from conf/all (the larger value counts) without policy routing: a warning" \
	json '.rails[0].sysctls.rp_filter == 1 and any(.findings[]; .severity == "warn" and (.what|test("rp_filter 1")))'
doc --netns "$(nsp rp)"
check "text: a rail section per attachment" out_has '^rail net2 \(macvlan\): MTU 1500, parent r2 MTU 9000$'
check "text: ... with its routing" out_has '^  routing: MAIN TABLE ONLY \(table [0-9]+\)$'
for i in 1 2; do cni DEL dr-1 "$(nsp rp)" net$i "$(rail net$i r$i 10.18.0.1$i/24 '.routing="main"')"; done
ip netns exec rp sh -c 'echo 0 >/proc/sys/net/ipv4/conf/all/rp_filter'
cni ADD dr-2 "$(nsp rp)" net1 "$(rail net1 r1 10.18.0.11/24)"
cni ADD dr-2 "$(nsp rp)" net2 "$(rail net2 r2 10.18.0.12/24)"
doc --netns "$(nsp rp)" --json
check "rails with their own tables (the default): policy routing reported, no routing finding" \
	json '[.rails[].policyRouting] == [true,true] and ([.findings[] | select(.what|test("rail|ARP|rp_filter|announce"))] == [])'
for i in 1 2; do cni DEL dr-2 "$(nsp rp)" net$i "$(rail net$i r$i 10.18.0.1$i/24)"; done

# ---- usage
doc --bogus
check "an unknown option: exit 2 and the usage" usage_error "unknown option '--bogus'"
doc averyveryverylongname0
check "an invalid interface name: usage error" usage_error "not a valid interface name"
doc --help
check "--help: the usage on stdout, exit 0" eval '[ "$RC" = 0 ] && grep -q "^usage: rdmanet doctor" <<<"$OUT"'

# ---- no libibverbs: hide it from the loader (this script has its own mount namespace)
lib=$(ldconfig -p | awk '$1 == "libibverbs.so.1" && /x86-64|x86_64|64bit/ {print $NF; exit}')
if [ -n "$lib" ] && mount --bind /dev/null "$lib"; then
	doc --json
	check "without libibverbs: still a report (exit 1 for the missing stack)" \
		json '.libibverbs.loaded == false and (.libibverbs.detail|test("not installed")) and .rdmaStack == false'
	check "... and a warning with the fix" \
		json 'any(.findings[]; .severity == "warn" and (.what|test("libibverbs")) and (.fix|test("libibverbs1")))'
	umount "$lib"
else
	nok "hide libibverbs.so.1" "not found by ldconfig or cannot bind-mount over it"
fi

# ---- the CNI entry point is unchanged
cni_env '{"cniVersion":"1.0.0"}' CNI_COMMAND=VERSION
check "no arguments: still the CNI plugin (VERSION)" succeeded '.cniVersion == "1.0.0"'

finish
