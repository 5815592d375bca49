#!/bin/bash
# lib.sh - shared helpers of the namespace integration tests (sourced by tests/integ/test_*.sh).
#
# Every script runs inside its own `unshare --mount --net --propagation private` (tests/run-all.sh
# starts it that way; run by hand, the script re-executes itself so). integ_setup mounts a private
# tmpfs on /run/netns, so `ip netns add` leaves nothing on the host, and makes a temp dir $T for
# host-local's dataDir, logs and fake plugins. Masters are veth pairs; all traffic stays inside
# namespaces the script created. Output: one `ok - ` / `not ok - ` line per check, then
# `N passed, N failed`; the exit status is non-zero when a check failed.
set -u

INTEG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$INTEG_DIR/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) PLUGIN=$BUILD/rdmanet ;; *) PLUGIN=$ROOT/$BUILD/rdmanet ;; esac
CNI_BIN=${CNI_BIN:-/usr/lib/cni}	# Debian's reference plugins: host-local, static
NET=integ			# network name; host-local keeps its files in $T/ipam/$NET
PASS=0 FAIL=0 SKIP=0
T=

ok() { echo "ok - $1"; PASS=$((PASS + 1)); }
nok() { echo "not ok - $1${2:+: $2}"; FAIL=$((FAIL + 1)); }
# check NAME CMD...: ok when CMD succeeds; the reason is $WHY when CMD set it.
check() {
	local name=$1; shift
	WHY=
	if "$@"; then ok "$name"; else nok "$name" "${WHY:-failed: $*}"; fi
}
finish() {
	if [ "$SKIP" -gt 0 ]; then
		echo "$PASS passed, $FAIL failed, $SKIP skipped"
	else
		echo "$PASS passed, $FAIL failed"
	fi
	[ "$FAIL" = 0 ]
	exit
}
die() { nok "$1" "${2:-}"; finish; }
skip() { echo "ok - $1 # SKIP ${2:-}"; SKIP=$((SKIP + 1)); }
# The fault hooks (RDMANET_TEST_*_STEP, RDMANET_IPAM_LOCK_DIR) are compiled into the test build
# only (Makefile: TESTING, the sanitizer build); a check that needs them skips in a release build.
testhooks() { grep -q RDMANET_TEST_FAIL_STEP "${1:-$PLUGIN}" 2>/dev/null; }
NOHOOKS="$BUILD is a release build: no fault hooks (the sanitizer build runs this)"

# Only ever work in a network namespace of our own: a fresh one holds nothing but lo.
integ_isolate() {
	if [ "$(ip -o link show | grep -vc ': lo:')" != 0 ]; then
		[ -z "${RDMANET_INTEG_REEXEC:-}" ] ||
			die "isolation" "not in a fresh network namespace even after unshare"
		RDMANET_INTEG_REEXEC=1 exec unshare --mount --net --propagation private bash "$0" "$@"
	fi
}

integ_cleanup() {
	local ns
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do ip netns del "$ns" 2>/dev/null; done
	umount /run/netns 2>/dev/null
	umount /run/rdmanet-ipam 2>/dev/null
	[ -z "${INTEG_MADE_LOCKS:-}" ] || rmdir /run/rdmanet-ipam 2>/dev/null
	umount /var/lib/cni 2>/dev/null || umount /var/lib 2>/dev/null
	[ -n "$T" ] && rm -rf "$T"
}

integ_setup() {
	integ_isolate "$@"
	cd "$ROOT" || exit 1
	[ "$(id -u)" = 0 ] || die "setup" "needs root"
	[ -x "$PLUGIN" ] || die "setup" "$PLUGIN is not built"
	command -v jq >/dev/null || die "setup" "jq is not installed"
	[ -x "$CNI_BIN/host-local" ] && [ -x "$CNI_BIN/static" ] ||
		die "setup" "Debian's reference IPAM plugins are missing from $CNI_BIN"
	mkdir -p /run/netns && mount -t tmpfs rdmanet-integ /run/netns || die "setup" "cannot mount /run/netns"
	# hostdev state goes to /var/lib/cni/rdmanet: a private tmpfs keeps it off the host
	if [ -d /var/lib/cni ]; then
		mount -t tmpfs rdmanet-state /var/lib/cni || die "setup" "cannot mount /var/lib/cni"
	else
		mount -t tmpfs rdmanet-state /var/lib || die "setup" "cannot mount /var/lib"
	fi
	# rdmanet-ipam's node locks of pools (/run/rdmanet-ipam), likewise; the folder goes again
	# at exit when this script made it
	[ -d /run/rdmanet-ipam ] || INTEG_MADE_LOCKS=1
	mkdir -p /run/rdmanet-ipam && mount -t tmpfs rdmanet-locks /run/rdmanet-ipam ||
		die "setup" "cannot mount /run/rdmanet-ipam"
	T=$(mktemp -d /tmp/rdmanet-integ.XXXXXX) || die "setup" "mktemp"
	trap integ_cleanup EXIT
	mkdir -p "$T/ipam" "$T/bin"
	CNI_PATH_ALL=$T/bin:$CNI_BIN	# fake plugins first, then the reference ones
	ip link set lo up
}

# integ_ipam: IPAM is the build's rdmanet-ipam; dies without it or the test API server's tools.
integ_ipam() {
	case $BUILD in /*) IPAM=$BUILD/rdmanet-ipam ;; *) IPAM=$ROOT/$BUILD/rdmanet-ipam ;; esac
	[ -x "$IPAM" ] || die "setup" "$IPAM is not built"
	command -v python3 >/dev/null && command -v openssl >/dev/null || die "setup" "python3/openssl missing"
}
# integ_apiserver ADMIN-TOKEN [apiserver.py options...]: the test API server (tests/k8s) on
# loopback, TLS with certificates made in $T/pki, the tokens of $T/tokens.json (written first);
# stopped at exit. Sets PORT (and K8S_DIR=$T for k8s_kubeconfig); dies when it does not come up.
integ_apiserver() {
	local admin=$1; shift
	. "$ROOT/tests/k8s/lib.sh"
	trap 'k8s_server_stop; integ_cleanup' EXIT
	bash "$ROOT/tests/k8s/certs.sh" "$T/pki" >/dev/null 2>&1 || die "setup" "certs.sh failed"
	k8s_server_start "$T" "$admin" "$@" ||
		die "setup" "apiserver.py did not start: $(tail -5 "$T/server.log")"
}

# mk_master NAME: a veth NAME (the master) and its peer NAME-p, both up (carrier on).
mk_master() {
	ip link add "$1" type veth peer name "$1-p" && ip link set "$1" up && ip link set "$1-p" up
}
mk_ns() { local n; for n; do ip netns add "$n" || return 1; ip -n "$n" link set lo up; done; }
nsp() { echo "/run/netns/$1"; }

# ---------------------------------------------------------------- network configurations
# conf_l2 VERSION MASTER [JQ]: no IPAM. conf_hl VERSION MASTER SUBNET [JQ]: host-local with a
# route to 10.250.0.0/16. conf_static VERSION MASTER CIDR [JQ]: static with a gateway at .1 of the
# /24 and the same route. JQ is applied last, e.g. '.mode="private"'.
conf_l2() {
	jq -nc --arg v "$1" --arg m "$2" --arg n "$NET" --arg log "$T/rdmanet.log" \
		"{cniVersion:\$v,name:\$n,type:\"rdmanet\",master:\$m,logFile:\$log,logLevel:\"debug\"} | ${3:-.}"
}
conf_hl() {
	conf_l2 "$1" "$2" ".ipam={type:\"host-local\",ranges:[[{subnet:\"$3\"}]],
		routes:[{dst:\"10.250.0.0/16\"}],dataDir:\"$T/ipam\"} | ${4:-.}"
}
conf_static() {
	local gw=${3%.*/*}.1
	conf_l2 "$1" "$2" ".ipam={type:\"static\",addresses:[{address:\"$3\",gateway:\"$gw\"}],
		routes:[{dst:\"10.250.0.0/16\"}]} | ${4:-.}"
}
# with_prev CONF RESULT: CONF with prevResult (for CHECK).
with_prev() { jq -c --argjson r "$2" '. + {prevResult: $r}' <<<"$1"; }

# ---------------------------------------------------------------- running the plugin
# cni_env CONF VAR=VALUE...: runs the plugin as a runtime does, with exactly the given environment
# (plus PATH) and CONF on stdin. Sets OUT (stdout), RC (exit status), ERRLOG (stderr).
cni_env() {
	local conf=$1; shift
	OUT=$(printf '%s' "$conf" | env -i PATH="$PATH" "$@" "$PLUGIN" 2>"$T/stderr")
	RC=$?
	ERRLOG=$(cat "$T/stderr")
}
# cni CMD CONTAINERID NETNS IFNAME CONF [VAR=VALUE...]: the usual invocation.
cni() {
	local cmd=$1 cid=$2 ns=$3 ifn=$4 conf=$5; shift 5
	cni_env "$conf" CNI_COMMAND="$cmd" CNI_CONTAINERID="$cid" CNI_NETNS="$ns" CNI_IFNAME="$ifn" \
		CNI_PATH="$CNI_PATH_ALL" "$@"
}
# why_out: a short reason from the last run.
why_out() { echo "rc=$RC out=${OUT:0:400} stderr=$(tail -n 2 <<<"$ERRLOG" | tr '\n' ' ' | cut -c1-300)"; }

# succeeded [JQ]: the last run exited 0 and, with JQ, its output satisfies it.
succeeded() {
	WHY=$(why_out)
	[ "$RC" = 0 ] || return 1
	[ -z "${1:-}" ] || jq -e "$1" <<<"$OUT" >/dev/null 2>&1
}
# succeeded_quietly: exit 0 and nothing on stdout (DEL, CHECK, STATUS, GC).
succeeded_quietly() { WHY=$(why_out); [ "$RC" = 0 ] && [ -z "$OUT" ]; }
# failed_with CODE [REGEX]: exit 1, an error JSON of that shape and code, msg matching REGEX
# (case-insensitive, extended), and the error's cniVersion a supported one.
failed_with() {
	WHY="want code $1${2:+ msg~/$2/}; $(why_out)"
	[ "$RC" = 1 ] || return 1
	jq -e --argjson c "$1" '.code == $c and (.msg|type) == "string" and (.msg|length) > 0 and
		(.cniVersion|IN("0.3.0","0.3.1","0.4.0","1.0.0","1.1.0")) and
		((.details // "")|type) == "string" and (keys - ["cniVersion","code","msg","details"] == [])' \
		<<<"$OUT" >/dev/null 2>&1 || return 1
	[ -z "${2:-}" ] || jq -r .msg <<<"$OUT" | grep -qiE -- "$2"
}

# ---------------------------------------------------------------- kernel state
# link_j NS IFNAME: `ip -j -d link show` of one link as an object ("" when absent; NS "" = host).
link_j() {
	local n=()
	[ -n "$1" ] && n=(-n "$1")
	ip "${n[@]}" -j -d link show dev "$2" 2>/dev/null | jq -c '.[0] // empty'
}
# lq NS IFNAME JQ: a field of that link, raw.
lq() { link_j "$1" "$2" | jq -r "$3"; }
has_link() { [ -n "$(link_j "$1" "$2")" ]; }
# addrs NS IFNAME [FAMILY]: "a.b.c.d/len" of the link, one a line (global scope only).
addrs() {
	ip -n "$1" -j addr show dev "$2" 2>/dev/null |
		jq -r --arg f "${3:-}" '.[0].addr_info[]? | select(.scope == "global") |
			select($f == "" or .family == $f) | "\(.local)/\(.prefixlen)"'
}
# route_via NS DST [TABLE]: "gateway dev" of a route in TABLE (default: any table but local; an
# attachment's routes are in its own table unless routing is "main"), "" when absent. DST
# "default" is IPv4's default route, "default6" IPv6's.
route_via() {
	local fam=-4 dst=$2
	case $dst in *:*) fam=-6 ;; default6) fam=-6 dst=default ;; esac
	ip -n "$1" $fam -j route show table "${3:-all}" "$dst" 2>/dev/null |
		jq -r '[.[] | select(.type != "local" and .type != "multicast" and .type != "broadcast")] |
			.[0] | select(.) | "\(.gateway // "-") \(.dev)"'
}
# rules NS: the netns' policy rules of both families but the kernel's defaults, one a line as
# "PRIORITY from SRC lookup TABLE".
rules() {
	{ ip -n "$1" -4 -j rule show; ip -n "$1" -6 -j rule show; } 2>/dev/null |
		jq -r '.[] | select(.table != "local" and .table != "main" and .table != "default") |
			"\(.priority) from \(.src)\(if .srclen then "/\(.srclen)" else "" end) lookup \(.table)"'
}
pod_sysctl() { ip netns exec "$1" cat "/proc/sys/net/$2" 2>/dev/null; }
# host_ours: links on the host that carry our alias, one a line. rdmanet creates its links
# inside the pod netns, so there must never be one.
host_ours() {
	ip -j -d link show | jq -r '.[] | select((.ifalias // "")|startswith("rdmanet:")) | .ifname'
}
# pod_links NS: links of the netns besides lo.
pod_links() { ip -n "$1" -j link show 2>/dev/null | jq -r '.[] | select(.ifname != "lo") | .ifname'; }
# allocs: host-local's allocations (files named by IP) of network $NET.
allocs() { ls -1 "$T/ipam/$NET" 2>/dev/null | grep -E '^[0-9a-f.:]+$' || true; }
alloc_for() { grep -lx "$1"$'\r' "$T/ipam/$NET"/* 2>/dev/null | xargs -r -n1 basename; }

# snapshot NS...: the state an ADD must leave unchanged when it fails: host links (name, kind,
# alias), the netns' links (index, MAC, up, MTU), addresses, routes of every table, policy rules
# and host-local's files.
snapshot() {
	local ns
	{
		ip -j -d link show
		for ns; do
			ip -n "$ns" -j -d link show; ip -n "$ns" -j addr show; ip -n "$ns" -j route show table all
			ip -n "$ns" -j -4 rule show; ip -n "$ns" -j -6 rule show
		done
	} | jq -c -s '[.[0][] | {ifname, k: .linkinfo.info_kind, a: .ifalias}],
		(.[1:] | _nwise(5) |
			[.[0][] | {ifname, ifindex, k: .linkinfo.info_kind, address, a: .ifalias,
				up: (.flags|any(. == "UP")), mtu}],
			[.[1][] | .addr_info[] | select(.scope == "global") | .local],
			[.[2][] | select(.type != "local" and .type != "broadcast") | {dst, gateway, dev, table}],
			[.[3][], .[4][] | {priority, src, table}])'
	allocs
}
# unchanged BEFORE NS...: the current snapshot equals BEFORE, no link of ours on the host.
unchanged() {
	local before=$1 now; shift
	now=$(snapshot "$@")
	if [ "$now" != "$before" ]; then
		WHY="state changed: $(diff <(echo "$before") <(echo "$now") | grep '^[<>]' | tr '\n' ' ' | cut -c1-600)"
		return 1
	fi
	if [ -n "$(host_ours)" ]; then WHY="link of ours on the host: $(host_ours | tr '\n' ' ')"; return 1; fi
	return 0
}

# jqt [JQ-OPTIONS] FILTER [FILE]: quiet `jq -e` (stdin by default).
jqt() { jq -e "$@" >/dev/null 2>&1; }
# ping_ok NS ADDR: one ping from inside NS.
ping_ok() { ip netns exec "$1" ping -c 1 -W 2 -q "$2" >/dev/null 2>&1; }

# wait_for SECONDS CMD...: polls CMD every 0.1 s.
wait_for() {
	local end=$((SECONDS + $1)); shift
	until "$@"; do
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.1
	done
}
