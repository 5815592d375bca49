#!/bin/bash
# test_failures.sh - every way ADD can fail leaves nothing behind: no link of ours on the host,
# nothing new or changed in the pod netns, no host-local allocation. Real failures (master
# missing or unusable, IPAM missing/failing/slow/garbage, a route the kernel refuses, MAC in use,
# passthru conflict, bad netns, CNI_IFNAME taken) and a forced failure at every ADD step
# (RDMANET_TEST_FAIL_STEP). After each, the runtime's DEL succeeds and still changes nothing.
. "$(dirname "$0")/lib.sh"
testhooks || { skip "every check of this script needs the fault hooks" "$NOHOOKS"; finish; }
integ_setup "$@"

mk_master f0 || die "create veth master f0"
mk_ns fp fq || die "create namespaces"
c=$(conf_hl 1.0.0 f0 10.16.0.0/24 'del(.ipam.routes)')
cv=$(conf_hl 1.1.0 f0 10.16.0.0/24)

# the pod already has an attachment (net0) and a primary interface (eth0) of another plugin
cni ADD fail-base "$(nsp fp)" net0 "$c"
check "setup: existing attachment net0" succeeded
BASE_R=$OUT
BASE_MAC=$(lq fp net0 .address)
ip -n fp link add eth0 type veth peer name eth0-p && ip -n fp addr add 10.99.0.2/24 dev eth0 &&
	ip -n fp link set eth0 up || die "setup: eth0 in the pod"

# add_fails NAME CODE REGEX CONF [IFNAME] [VAR=VALUE...]: ADD into fp fails with CODE and changes
# nothing; then the runtime's DEL of the same attachment succeeds (or, with DEL_FAILS=CODE, fails
# as the IPAM's DEL does) and changes nothing either.
add_fails() {
	local name=$1 code=$2 re=$3 conf=$4 ifn=net1 ns=${NS:-$(nsp fp)} before; shift 4
	case ${1:-} in *=*|'') ;; *) ifn=$1; shift ;; esac
	before=$(snapshot fp)
	cni ADD fail-cid "$ns" "$ifn" "$conf" "$@"
	check "$name: error $code" failed_with "$code" "$re"
	check "$name: nothing left behind" unchanged "$before" fp
	cni DEL fail-cid "$ns" "$ifn" "$conf"
	if [ -n "${DEL_FAILS:-}" ]; then
		check "$name: DEL afterwards fails as the IPAM does ($DEL_FAILS), changing nothing" \
			eval 'failed_with $DEL_FAILS && unchanged "$before" fp'
	else
		check "$name: DEL afterwards succeeds and changes nothing" \
			eval 'succeeded_quietly && unchanged "$before" fp'
	fi
}

# ---- master
add_fails "master missing" 100 "master 'nope0' not found" "$(conf_hl 1.1.0 nope0 10.16.0.0/24)"
add_fails "master is loopback (auto)" 100 "link type" "$(conf_hl 1.1.0 lo 10.16.0.0/24)"
add_fails "master is loopback (macvlan)" 100 "not an Ethernet" "$(conf_hl 1.1.0 lo 10.16.0.0/24 '.link="macvlan"')"

# ---- IPAM
DEL_FAILS=103 add_fails "IPAM plugin missing" 103 "IPAM plugin 'no-such-ipam' not found" \
	"$(conf_hl 1.1.0 f0 10.16.0.0/24 '.ipam.type="no-such-ipam"')"
DEL_FAILS=999 add_fails "IPAM config rejected (no ranges)" 999 "host-local.*no IP ranges" \
	"$(conf_hl 1.1.0 f0 10.16.0.0/24 'del(.ipam.ranges)')"
one=$(conf_hl 1.1.0 f0 10.17.0.0/24 '.ipam.ranges=[[{subnet:"10.17.0.0/24",rangeStart:"10.17.0.5",rangeEnd:"10.17.0.5"}]]')
cni ADD fail-ex "$(nsp fq)" net1 "$one"
check "setup: the one-address range is used up" succeeded '.ips[0].address == "10.17.0.5/24"'
add_fails "IPAM range exhausted" 999 "host-local.*no IP addresses available" "$one"

fake() { printf '#!/bin/sh\ncat >/dev/null\n[ "$CNI_COMMAND" = ADD ] || exit 0\n%s\n' "$2" >"$T/bin/$1"; chmod +x "$T/bin/$1"; }
fake ipam-exit1 'exit 1'
fake ipam-garbage 'echo "this is not JSON"'
fake ipam-noips 'echo "{\"cniVersion\":\"1.0.0\",\"ips\":[]}"'
fake ipam-slow 'sleep 29.125; echo "{}"'
fake ipam-flood 'head -c 3000000 /dev/zero | tr "\\0" x'
add_fails "IPAM exits 1 without a CNI error" 103 "exited with status 1" "$(conf_l2 1.0.0 f0 '.ipam={type:"ipam-exit1"}')"
add_fails "IPAM prints garbage" 103 "no JSON result" "$(conf_l2 1.0.0 f0 '.ipam={type:"ipam-garbage"}')"
add_fails "IPAM returns no address" 103 "no IP address" "$(conf_l2 1.0.0 f0 '.ipam={type:"ipam-noips"}')"
add_fails "IPAM prints more than 1 MiB" 103 "more than 1 MiB" "$(conf_l2 1.0.0 f0 '.ipam={type:"ipam-flood"}')"
fake ipam-segv 'kill -SEGV $$'
add_fails "IPAM killed by a signal" 103 "ipam-segv' was killed by signal 11 during ADD" \
	"$(conf_l2 1.0.0 f0 '.ipam={type:"ipam-segv"}')"
t0=$SECONDS
add_fails "IPAM too slow (ipamTimeoutSeconds 1)" 11 "did not answer ADD within 1 s" \
	"$(conf_l2 1.0.0 f0 '.ipam={type:"ipam-slow"} | .ipamTimeoutSeconds=1')"
check "slow IPAM: killed on time ($((SECONDS - t0)) s)" test $((SECONDS - t0)) -le 6
check "slow IPAM: its whole process group was killed" test "$(ps -eo args | grep -c '^sleep 29.125$')" = 0
add_fails "a route the kernel refuses (gateway not on-link)" 104 "route to 10.98.0.0/16" \
	"$(conf_static 1.1.0 f0 192.168.51.5/24 '.ipam.routes=[{dst:"10.98.0.0/16",gw:"172.31.0.1"}]')"

# ---- the kernel refuses the link
add_fails "MAC already used on the master" 101 "cannot bring 'net1' up" \
	"$(conf_hl 1.1.0 f0 10.16.0.0/24 ".runtimeConfig={mac:\"$BASE_MAC\"}")"
add_fails "passthru while the master has other macvlans" 101 "cannot create macvlan" \
	"$(conf_hl 1.1.0 f0 10.16.0.0/24 '.mode="passthru"')"

# ---- netns
NS=/run/netns/no-such-netns add_fails "netns does not exist" 3 "does not exist" "$cv"
touch "$T/plain-file"
NS=$T/plain-file add_fails "netns is a regular file" 4 "not a network namespace" "$cv"
NS=$T add_fails "netns is a directory" 4 "not a network namespace" "$cv"

# ---- CNI_IFNAME taken: our own attachment, and another plugin's interface
add_fails "CNI_IFNAME taken by an attachment" 102 "'net0' already exists" "$cv" net0
add_fails "CNI_IFNAME taken by another plugin's interface" 102 "'eth0' already exists" "$cv" eth0
check "the pod's eth0 still has its address" test "$(addrs fp eth0 inet)" = 10.99.0.2/24

# ---- a forced failure at every step
for s in create:101:"cannot create macvlan" alias:101:"cannot label" sysctl:104:"sysctls" \
	ipam:103:"IPAM plugin 'host-local' failed" addr:104:"cannot add address 10.16.0" \
	up:101:"cannot bring" route:104:"cannot add route to 10.250.0.0/16" \
	rule:104:"cannot add the rule 'from 10.16.0.[0-9]+ lookup 100[0-9]+'" \
	dad:104:"duplicate address detection" result:107:"cannot build the result"; do
	IFS=: read -r step code re <<<"$s"
	add_fails "RDMANET_TEST_FAIL_STEP=$step" "$code" "$re" "$cv" RDMANET_TEST_FAIL_STEP=$step
done

# ---- the fault steps of src/ and the tests' step lists agree: a new step without a test of its
# failure fails here, and so does a listed step that src/ no longer has (its tests would pass
# without failing anything). The lists: this script's NAME:CODE:REGEX one above, test_kill.sh's,
# test_hostdev.sh's, and the VM suites' for the steps that need an RDMA device (gid, devinfo,
# rdma-move).
src_steps() {
	grep -ohE '(cmd_fault|testhook_fail|testhook_kill)\("[a-z-]+"\)' -r --include='*.c' "$ROOT"/src |
		sed -E 's/.*"(.*)".*/\1/' | sort -u
}
listed_steps() {
	local lists=("$ROOT"/tests/integ/test_*.sh "$ROOT"/tests/vm/guest_*.sh)

	{
		grep -ohE '(for step in|steps=")[a-z -]+' "${lists[@]}" |
			sed -E 's/^(for step in|steps=")//' | tr ' ' '\n'
		grep -ohE 'RDMANET_TEST_(FAIL|KILL)_STEP=[a-z][a-z-]*' "${lists[@]}" | sed 's/.*=//'
		grep -ohE '(^|[[:space:]])[a-z-]+:[0-9]+:' "$INTEG_DIR/test_failures.sh" |
			tr -d ' \t' | cut -d: -f1
	} | grep . | sort -u
}
steps_agree() {
	local untested stale

	untested=$(comm -23 <(src_steps) <(listed_steps) | tr '\n' ' ')
	stale=$(comm -13 <(src_steps) <(listed_steps) | tr '\n' ' ')
	[ -n "$(src_steps)" ] || { WHY="no fault step found in $ROOT/src"; return 1; }
	[ -z "$untested$stale" ] || { WHY="in src/ but in no step list: [$untested]; listed but not in src/: [$stale]"; return 1; }
}
check "every fault step of src/ is in a test's step list, and every listed step is in src/" steps_agree

# ---- an IPAM plugin that stops at cniVersion 1.0.0 (as Debian's did for a while): it refuses a
# 1.1.0 config with error 1, rdmanet asks its VERSION and retries once at 1.0.0
cat >"$T/bin/ipam-v100" <<'PEOF'
#!/bin/sh
conf=$(cat)
if [ "$CNI_COMMAND" = VERSION ]; then
	echo '{"cniVersion":"1.0.0","supportedVersions":["0.3.1","0.4.0","1.0.0"]}'; exit 0
fi
case $conf in *'"cniVersion":"1.0.0"'*) ;; *)
	echo '{"cniVersion":"1.0.0","code":1,"msg":"incompatible CNI versions"}'; exit 1 ;;
esac
[ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion":"1.0.0","ips":[{"address":"10.18.0.5/24"}]}'
exit 0
PEOF
chmod +x "$T/bin/ipam-v100"
cv100=$(conf_l2 1.1.0 f0 '.ipam={type:"ipam-v100"}')
cni ADD v100 "$(nsp fq)" net2 "$cv100"
check "an IPAM that refuses 1.1.0: ADD retried at 1.0.0 succeeds, the result is 1.1.0" \
	succeeded '.cniVersion == "1.1.0" and .ips[0].address == "10.18.0.5/24"'
check "... the log says so" grep -q "IPAM plugin 'ipam-v100' does not speak cniVersion 1.1.0: retrying ADD with 1.0.0" "$T/rdmanet.log"
check "... the pod has the address" test "$(addrs fq net2 inet)" = 10.18.0.5/24
cni DEL v100 "$(nsp fq)" net2 "$cv100"
check "... DEL (retried the same way) removes the link" eval 'succeeded_quietly && ! has_link fq net2'

# the pod's existing attachment is intact and still works after all of this
cni CHECK fail-base "$(nsp fp)" net0 "$(with_prev "$c" "$BASE_R")"
check "the existing attachment net0 still passes CHECK" succeeded_quietly
cni DEL fail-base "$(nsp fp)" net0 "$c"
check "DEL of the existing attachment" eval 'succeeded_quietly && ! has_link fp net0 && has_link fp eth0'
cni DEL fail-ex "$(nsp fq)" net1 "$one"
check "nothing left at the end" test -z "$(host_ours)$(allocs)$(pod_links fq)"
finish
