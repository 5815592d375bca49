#!/bin/bash
# ipam.sh - rdmanet-ipam under churn: C concurrent clients x N networks (default 128 x 16 = 2048
# allocations, the scale at which whereabouts users report minutes and duplicates) against the
# test API server (tests/k8s/apiserver.py, TLS on 127.0.0.1 in a private network namespace).
# Prints allocations/s, per-ADD latency percentiles, the 409s the server returned, and checks
# from the stored objects that no address was handed out twice; then releases everything.
# The server is a single Python process: absolute rates measure it as much as the plugin, so the
# figures are for comparing changes of rdmanet-ipam on this machine, not a real API server.
#   make bench-ipam    or    BENCH_CLIENTS=128 BENCH_NETS=16 tests/bench/ipam.sh
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CLIENTS=${BENCH_CLIENTS:-128}
NETS=${BENCH_NETS:-16}
if [ -z "${RDMANET_BENCH_INNER:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "ipam.sh: needs root (network namespace)" >&2; exit 1; }
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s BUILD="$BUILD" "$BUILD/rdmanet-ipam"
	RDMANET_BENCH_INNER=1 exec unshare --mount --net --propagation private "$0" "$@"
fi
[ "$NETS" -le 200 ] && [ "$CLIENTS" -le 250 ] || { echo "at most 200 networks of 250 clients (a /24 each)" >&2; exit 1; }
ip link set lo up
T=$(mktemp -d /tmp/rdmanet-bench-ipam.XXXXXX)
. tests/k8s/lib.sh
trap 'k8s_server_stop; rm -rf "$T"' EXIT
IPAM=$PWD/$BUILD/rdmanet-ipam
ADMIN=admin-bench-$$-$RANDOM
TOK=ipam-bench-$$-$RANDOM
bash tests/k8s/certs.sh "$T/pki" >/dev/null 2>&1
echo "{\"$TOK\": {\"user\": \"rdmanet\", \"allow\": [\"*:ippools\", \"*:overlappingrangeipreservations\"]}}" >"$T/tokens.json"
k8s_server_start "$T" "$ADMIN" || { echo "apiserver.py did not start" >&2; exit 1; }
k8s_kubeconfig "$T/kubeconfig" "$TOK"
for n in $(seq "$NETS"); do
	jq -nc --arg k "$T/kubeconfig" --arg r "10.$((100 + n / 200)).$((n % 200)).0/24" --arg nn "bench$n" \
		'{cniVersion:"1.0.0",name:$nn,type:"rdmanet",ipam:{type:"rdmanet-ipam",range:$r,
		  network_name:$nn,kubernetes:{kubeconfig:$k},retry_budget_seconds:120,api_timeout_seconds:30}}' \
		>"$T/net$n.json"
done
api() { curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $ADMIN" "$@" "https://127.0.0.1:$PORT$P"; }
P=/_test/stats api -X POST -d '{"reset":true}' >/dev/null

# client C: ADD on every network in turn, one line "ns rc" per call
client() {
	local c=$1 n t0 t1 rc
	for n in $(seq "$NETS"); do
		t0=$(date +%s%N)
		env -i CNI_COMMAND=ADD CNI_CONTAINERID="bench-$c" CNI_NETNS=/run/netns/none CNI_IFNAME=net1 \
			CNI_PATH=/x CNI_ARGS="K8S_POD_NAMESPACE=bench;K8S_POD_NAME=pod-$c" \
			"$IPAM" <"$T/net$n.json" >"$T/out.$c.$n" 2>/dev/null && rc=0 || rc=$?
		t1=$(date +%s%N)
		echo "$((t1 - t0)) $rc" >>"$T/lat.$c"
	done
}
echo "rdmanet-ipam: $CLIENTS concurrent clients x $NETS networks = $((CLIENTS * NETS)) allocations"
start=$(date +%s%N)
pids=()
for c in $(seq "$CLIENTS"); do client "$c" & pids+=($!); done
wait "${pids[@]}"
end=$(date +%s%N)
cat "$T"/lat.* >"$T/lat"
total=$(wc -l <"$T/lat"); failed=$(awk '$2 != 0' "$T/lat" | wc -l)
wall_ms=$(((end - start) / 1000000))
sort -n "$T/lat" | awk -v n="$total" '{a[NR]=$1} END {
	printf "ADD latency ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n",
		a[int(n*0.5)+1]/1e6, a[int(n*0.9)+1]/1e6, a[int(n*0.99)+1]/1e6, a[n]/1e6 }'
awk -v t="$total" -v ms="$wall_ms" 'BEGIN { printf "allocations: %d in %.1f s = %.1f/s\n", t, ms/1000, t*1000/ms }'
P=/_test/stats api | jq -r '"API requests: \(.requests_total), 409s: \(.conflicts) \(.conflicts_by_reason|tostring)"'
echo "failed ADDs: $failed"
# duplicates, from the stored objects and from the answers
P=/apis/whereabouts.cni.cncf.io/v1alpha1/namespaces/kube-system/ippools api >"$T/pools.json"
stored=$(jq '[.items[].spec.allocations | length] | add // 0' "$T/pools.json")
dups=$(jq -r '.items[] | .metadata.name as $p | .spec.allocations | to_entries[] | "\($p) \(.value.id)"' "$T/pools.json" | sort | uniq -d | wc -l)
answered=$(cat "$T"/out.* | jq -r 'select(.ips) | .ips[0].address' | sort | uniq -d | wc -l)
echo "stored allocations: $stored; a container twice in one pool: $dups; an address answered twice: $answered"
# release everything
pids=()
for c in $(seq "$CLIENTS"); do
	( for n in $(seq "$NETS"); do env -i CNI_COMMAND=DEL CNI_CONTAINERID="bench-$c" CNI_IFNAME=net1 CNI_PATH=/x \
		"$IPAM" <"$T/net$n.json" >/dev/null 2>&1; done ) & pids+=($!)
done
wait "${pids[@]}"
P=/apis/whereabouts.cni.cncf.io/v1alpha1/namespaces/kube-system/ippools api >"$T/pools.json"
echo "after DEL: stored allocations $(jq '[.items[].spec.allocations | length] | add // 0' "$T/pools.json")"
[ "$failed" = 0 ] && [ "$dups" = 0 ] && [ "$answered" = 0 ] && [ "$stored" = "$total" ]
