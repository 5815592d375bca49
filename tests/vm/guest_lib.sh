# guest_lib.sh - helpers of the guest scripts (busybox sh inside the VM; sourced).
# One `ok - ` / `not ok - ` line per check and a final "N passed, N failed", as tests/integ.
PASS=0 FAIL=0
P=/opt/cni/bin/rdmanet
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

ok() { echo "ok - $1"; PASS=$((PASS + 1)); }
nok() { echo "not ok - $1${2:+: $2}"; FAIL=$((FAIL + 1)); }
check() { _n=$1; shift; WHY=; if "$@"; then ok "$_n"; else nok "$_n" "${WHY:-failed: $*}"; fi; }
finish() {
	if [ "${SKIP:-0}" -gt 0 ]; then echo "$PASS passed, $FAIL failed, $SKIP skipped"
	else echo "$PASS passed, $FAIL failed"; fi
	[ "$FAIL" = 0 ] && exit 0; exit 1
}
skip() { echo "ok - $1 # SKIP ${2:-}"; SKIP=$((${SKIP:-0} + 1)); }
# the fault hooks are in the test build only (Makefile: TESTING, the sanitizer build)
testhooks() { grep -q RDMANET_TEST_FAIL_STEP "$P"; }
die() { nok "$1" "${2:-}"; finish; }
quiet() { "$@" >/dev/null 2>&1; }

# cni CMD CID NETNS IFNAME CONF [VAR=VALUE...]: as a runtime calls a plugin; sets OUT and RC.
cni() {
	_c=$1 _id=$2 _ns=$3 _if=$4 _conf=$5; shift 5
	OUT=$(printf '%s' "$_conf" | env -i PATH="$PATH" CNI_COMMAND="$_c" CNI_CONTAINERID="$_id" \
		CNI_NETNS="$_ns" CNI_IFNAME="$_if" CNI_PATH=/opt/cni/bin "$@" "$P" 2>/tmp/stderr)
	RC=$?
}
why_out() { echo "rc=$RC out=$(echo "$OUT" | cut -c1-400) stderr=$(tail -n 2 /tmp/stderr | tr '\n' ' ' | cut -c1-300)"; }
succeeded() { WHY=$(why_out); [ "$RC" = 0 ] || return 1; [ -z "${1:-}" ] || echo "$OUT" | quiet jq -e "$1"; }
succeeded_quietly() { WHY=$(why_out); [ "$RC" = 0 ] && [ -z "$OUT" ]; }
# failed_with CODE [REGEX]
failed_with() {
	WHY="want code $1${2:+ msg~/$2/}; $(why_out)"
	[ "$RC" = 1 ] && echo "$OUT" | quiet jq -e --argjson c "$1" '.code == $c and (.msg|length) > 0' || return 1
	[ -z "${2:-}" ] || echo "$OUT" | jq -r .msg | grep -qiE -- "$2"
}
with_prev() { echo "$1" | jq -c --argjson r "$2" '. + {prevResult: $r}'; }

# gid_v4 A.B.C.D: the GID the kernel adds for an IPv4 address, in sysfs' form.
gid_v4() {
	_o=$(echo "$1" | tr . ' ')
	# shellcheck disable=SC2086
	printf '0000:0000:0000:0000:0000:ffff:%02x%02x:%02x%02x' $_o
}
# gid_at DEV INDEX: the GID entry in sysfs (host view).
gid_at() { cat "/sys/class/infiniband/$1/ports/1/gids/$2" 2>/dev/null; }
# gid_index DEV GID: the index holding GID, "" when none.
gid_index() {
	for _g in /sys/class/infiniband/$1/ports/1/gids/*; do
		read -r _v <"$_g" 2>/dev/null && [ "$_v" = "$2" ] && { echo "${_g##*/}"; return; }
	done
}
# wait_for TENTHS CMD...: polls CMD every 0.1 s.
wait_for() { _t=$1; shift; while [ "$_t" -gt 0 ]; do "$@" && return 0; sleep 0.1; _t=$((_t - 1)); done; "$@"; }
# link_j NS IFNAME: ip -j -d link of one link ("" when absent; NS "" = host).
link_j() {
	if [ -n "$1" ]; then /usr/sbin/ip -n "$1" -j -d link show dev "$2" 2>/dev/null
	else /usr/sbin/ip -j -d link show dev "$2" 2>/dev/null; fi | jq -c '.[0] // empty'
}
lq() { link_j "$1" "$2" | jq -r "$3"; }
has_link() { [ -n "$(link_j "$1" "$2")" ]; }
pod_links() { /usr/sbin/ip -n "$1" -j link show 2>/dev/null | jq -r '.[] | select(.ifname != "lo") | .ifname'; }
allocs() { ls /run/ipam/vmnet 2>/dev/null | grep -E '^[0-9]+\.' || true; }
rdma_devs() { rdma -j dev show 2>/dev/null | jq -r '.[].ifname' | sort | tr '\n' ' '; }
# the NIC on the PCI bus (virtio-net on a qemu hub with no other port: frames go nowhere)
pci_nic() { for _d in /sys/class/net/*; do [ -e "$_d/device" ] && { echo "${_d##*/}"; return; }; done; }
# pci_bdf IFNAME: the PCI function below which the netdev hangs (virtio-net: virtioN's parent).
pci_bdf() { readlink -f "/sys/class/net/$1/device" | tr / '\n' | grep -E '^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-9a-f]$' | tail -1; }

# conf MASTER [JQ]: a macvlan network on MASTER with host-local in 192.168.10.100-200.
conf() {
	jq -nc --arg m "$1" '{cniVersion: "1.1.0", name: "vmnet", type: "rdmanet", master: $m,
		logFile: "/tmp/rdmanet.log", logLevel: "debug",
		ipam: {type: "host-local", dataDir: "/run/ipam",
		       ranges: [[{subnet: "192.168.10.0/24", rangeStart: "192.168.10.100",
				  rangeEnd: "192.168.10.200"}]]}} | '"${2:-.}"
}

setup_common() {
	mkdir -p /run/netns /run/ipam
	/usr/sbin/ip link add veth0 type veth peer name veth1 || die "veth"
	/usr/sbin/ip addr add 192.168.10.1/24 dev veth0
	/usr/sbin/ip link set veth0 up && /usr/sbin/ip link set veth1 up
	NIC=$(pci_nic)
	[ -n "$NIC" ] || die "the VM has no PCI NIC"
	BDF=$(pci_bdf "$NIC")
	/usr/sbin/ip link set "$NIC" up
	rdma link add rxe0 type rxe netdev veth0 || die "rdma link add rxe0"
	rdma link add rxe1 type rxe netdev "$NIC" || die "rdma link add rxe1"
	wait_for 50 test "$(cat /sys/class/infiniband/rxe0/ports/1/state 2>/dev/null)" = "4: ACTIVE"
}
