#!/bin/bash
# ipam.sh - rdmanet-ipam under contention on one pool: for each W in BENCH_WAYS (default 16 and 64),
# W concurrent clients share BENCH_ALLOCS ADDs (default 2048) on one network, so every allocation
# writes the same IPPool object; then W clients DEL them all. Prints per-ADD and per-DEL latency
# percentiles, failures, allocations/s, the API requests per ADD by method (from rdmanet-ipam's
# debug log of each request), the 409s and the requests that got no answer in time, and checks from
# the stored objects that no address was handed out twice and that nothing is left after the DELs.
# By default against the test API server (tests/k8s/apiserver.py, TLS on 127.0.0.1 in a private
# network namespace), a single Python process: its absolute rates say as much about it as about
# rdmanet-ipam. BENCH_SERVER=https://127.0.0.1:PORT BENCH_CA=ca.crt BENCH_TOKEN=T runs against
# another server (a real kube-apiserver with deploy/crds.yaml applied; the token must be allowed to
# read, create, patch and delete IPPools and OverlappingRangeIPReservations in kube-system).
# BENCH_API_TIMEOUT and BENCH_BUDGET set api_timeout_seconds and retry_budget_seconds (default:
# the plugin's defaults). BENCH_NODES=N spreads the clients over N nodes' worth of pool locks
# (default 1: one node). BENCH_IPAM runs another rdmanet-ipam binary (for before/after figures).
# BENCH_SERVER_ARGS passes options to apiserver.py, e.g. its --update-cost-* model.
#   make bench-ipam    or    BENCH_WAYS="16 64" BENCH_ALLOCS=2048 tests/bench/ipam.sh
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
WAYS=${BENCH_WAYS:-16 64}
ALLOCS=${BENCH_ALLOCS:-2048}
NODES=${BENCH_NODES:-1}
# More than one node's pool locks in one namespace need RDMANET_IPAM_LOCK_DIR, a hook of the test
# build only (Makefile: TESTING): then the plain build with the hooks, in build-bench/.
TESTING=
if [ "$NODES" -gt 1 ] && [ -z "${BENCH_IPAM:-}" ] && [ "$BUILD" = build ]; then
	BUILD=build-bench TESTING=1
fi
if [ -z "${RDMANET_BENCH_INNER:-}" ]; then
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s BUILD="$BUILD" TESTING="$TESTING" \
		"$BUILD/rdmanet-ipam"
	export BUILD
	if [ -z "${BENCH_SERVER:-}" ]; then
		[ "$(id -u)" = 0 ] || { echo "ipam.sh: needs root (network namespace)" >&2; exit 1; }
		RDMANET_BENCH_INNER=1 exec unshare --mount --net --propagation private "$0" "$@"
	fi
fi
[ "$ALLOCS" -le 4000 ] || { echo "at most 4000 allocations (one /20)" >&2; exit 1; }
T=$(mktemp -d /tmp/rdmanet-bench-ipam.XXXXXX)
# one node: the binary's own /run/rdmanet-ipam, private to this mount namespace
[ -n "${BENCH_SERVER:-}" ] || { mkdir -p /run/rdmanet-ipam &&
	mount -t tmpfs rdmanet-bench-locks /run/rdmanet-ipam; }
IPAM=${BENCH_IPAM:-$PWD/$BUILD/rdmanet-ipam}
if [ -n "${BENCH_SERVER:-}" ]; then
	trap 'rm -rf "$T"' EXIT
	URL=$BENCH_SERVER CA=$BENCH_CA ADMIN=$BENCH_TOKEN TOK=$BENCH_TOKEN
	STATS=
else
	ip link set lo up
	. tests/k8s/lib.sh
	trap 'k8s_server_stop; rm -rf "$T"' EXIT
	ADMIN=admin-bench-$$-$RANDOM
	TOK=ipam-bench-$$-$RANDOM
	bash tests/k8s/certs.sh "$T/pki" >/dev/null 2>&1
	echo "{\"$TOK\": {\"user\": \"rdmanet\", \"allow\": [\"*:ippools\", \"*:overlappingrangeipreservations\"]}}" >"$T/tokens.json"
	k8s_server_start "$T" "$ADMIN" ${BENCH_SERVER_ARGS:-} || { echo "apiserver.py did not start" >&2; exit 1; }
	URL=https://127.0.0.1:$PORT CA=$T/pki/ca.crt STATS=1
fi
cat >"$T/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: b
  cluster:
    server: $URL
    certificate-authority: $CA
contexts:
- name: b
  context:
    cluster: b
    user: b
current-context: b
users:
- name: b
  user:
    token: $TOK
EOF
api() { curl -s --cacert "$CA" -H "Authorization: Bearer $ADMIN" "$@" "$URL$P"; }
GROUP=/apis/whereabouts.cni.cncf.io/v1alpha1/namespaces/kube-system

# pct FILE: "p50 .. p99 .. max .." of the first column (ns) in ms
pct() {
	sort -n "$1" | awk '{a[NR]=$1} END { if (!NR) { print "none"; exit }
		printf "p50 %.0f  p90 %.0f  p99 %.0f  max %.0f ms\n",
			a[int(NR*0.5)+1]/1e6, a[int(NR*0.9)+1]/1e6, a[int(NR*0.99)+1]/1e6, a[NR]/1e6 }'
}

# requests LOG: the API requests of a phase, from the debug lines of k8s.c
requests() {
	awk -v n="$2" '/: HTTP [0-9]+, / { for (i = 1; i <= NF; i++) if ($i ~ /^(GET|POST|PATCH|PUT|DELETE)$/) { m[$i]++; break }
			if ($0 ~ /HTTP 409,/) c++; t++ }
		/no answer after/ { to++; t++ }
		END { printf "API requests: %.2f per operation (", t / n; s = "";
			for (k in m) { printf "%s%s %.2f", s, k, m[k] / n; s = ", " }
			printf "), 409s: %d, no answer in time: %d\n", c, to }' "$1"
}

# client CMD W C: one line "ns rc" per call, for the ADDs c, c+W, c+2W, .. < ALLOCS
client() {
	local cmd=$1 w=$2 c=$3 i t0 t1 rc
	for ((i = c; i < ALLOCS; i += w)); do
		t0=$(date +%s%N)
		env -i RDMANET_IPAM_LOCK_DIR="$T/locks/node$((c % NODES))" \
			CNI_COMMAND="$cmd" CNI_CONTAINERID="bench-$i" CNI_NETNS=/run/netns/none CNI_IFNAME=net1 \
			CNI_PATH=/x CNI_ARGS="K8S_POD_NAMESPACE=bench;K8S_POD_NAME=pod-$i" \
			"$IPAM" <"$T/net.json" >"$T/out.$i" 2>>"$T/err" && rc=0 || rc=$?
		t1=$(date +%s%N)
		echo "$((t1 - t0)) $rc" >>"$T/lat.$c"
	done
}

# phase CMD W: W concurrent clients, all ALLOCS containers; prints the figures, sets FAILED
phase() {
	local cmd=$1 w=$2 start end c pids=()
	rm -f "$T"/lat.* "$T/ipam.log" "$T/err"
	start=$(date +%s%N)
	for ((c = 0; c < w; c++)); do client "$cmd" "$w" "$c" & pids+=($!); done
	wait "${pids[@]}"
	end=$(date +%s%N)
	cat "$T"/lat.* >"$T/lat"
	[ -n "${BENCH_KEEP:-}" ] && cp "$T/ipam.log" "$BENCH_KEEP.$cmd.$w.log"
	FAILED=$(awk '$2 != 0' "$T/lat" | wc -l)
	awk -v t="$(wc -l <"$T/lat")" -v ms="$(((end - start) / 1000000))" -v c="$cmd" -v f="$FAILED" \
		'BEGIN { printf "  %s: %d in %.1f s = %.1f/s, failed %d; ", c, t, ms/1000, t*1000/ms, f }'
	pct "$T/lat"
	echo "  $(requests "$T/ipam.log" "$ALLOCS")"
	grep -q ' error ' "$T/err" && grep ' error ' "$T/err" | sed 's/^.* cid=[^ ]* ifname=[^ ]* //; s/[0-9]\{2,\}/N/g' |
		sort | uniq -c | sort -rn | head -3 | sed 's/^/  error: /'
	return 0
}

echo "rdmanet-ipam: $ALLOCS allocations on one IPPool from $NODES node(s), per concurrency W: ADD all, then DEL all"
mkdir -p "$T/locks"
rc=0
for w in $WAYS; do
	net=bench-w$w-$$
	jq -nc --arg k "$T/kubeconfig" --arg nn "$net" --arg lf "$T/ipam.log" \
		--argjson to "${BENCH_API_TIMEOUT:-null}" --argjson bu "${BENCH_BUDGET:-null}" \
		'{cniVersion:"1.0.0",name:$nn,type:"rdmanet",ipam:({type:"rdmanet-ipam",range:"10.100.0.0/20",
		  network_name:$nn,kubernetes:{kubeconfig:$k},log_file:$lf,log_level:"debug"}
		  + if $to then {api_timeout_seconds:$to} else {} end
		  + if $bu then {retry_budget_seconds:$bu} else {} end)}' >"$T/net.json"
	[ -n "$STATS" ] && P=/_test/stats api -X POST -d '{"reset":true}' >/dev/null
	echo "W=$w:"
	phase ADD "$w"
	add_failed=$FAILED
	[ -n "$STATS" ] && P=/_test/stats api | jq -r '"  server: \(.requests_total) requests, 409s \(.conflicts_by_reason|tostring)"'
	P=$GROUP/ippools api | jq --arg n "$net" '[.items[] | select(.metadata.name | startswith($n))]' >"$T/pools.json"
	stored=$(jq '[.[].spec.allocations | length] | add // 0' "$T/pools.json")
	dups=$(jq -r '.[] | .spec.allocations | to_entries[] | .value.id' "$T/pools.json" | sort | uniq -d | wc -l)
	answered=$(cat "$T"/out.* | jq -r 'select(.ips) | .ips[0].address' | sort | uniq -d | wc -l)
	ok=$(cat "$T"/out.* | jq -r 'select(.ips) | .ips[0].address' | wc -l)
	echo "  stored allocations: $stored for $ok successful ADDs; a container twice: $dups; an address answered twice: $answered"
	phase DEL "$w"
	P=$GROUP/ippools api | jq --arg n "$net" '[.items[] | select(.metadata.name | startswith($n))]' >"$T/pools.json"
	left=$(jq '[.[].spec.allocations | length] | add // 0' "$T/pools.json")
	resv=$(P=$GROUP/overlappingrangeipreservations api | jq --arg n "$net" '[.items[] | select(.metadata.name | startswith($n))] | length')
	echo "  after DEL: pool entries $left, reservations $resv"
	[ "$add_failed" = 0 ] && [ "$FAILED" = 0 ] && [ "$dups" = 0 ] && [ "$answered" = 0 ] &&
		[ "$stored" = "$ok" ] && [ "$left" = 0 ] && [ "$resv" = 0 ] || rc=1
	rm -f "$T"/out.*
done
exit $rc
