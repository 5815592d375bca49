#!/bin/bash
# test_ipam_contention.sh - rdmanet-ipam when an answer does not come (tests/k8s/apiserver.py
# faults) and when many ADDs write one pool at once (its --update-cost-* model of kube-apiserver,
# where a patch without a resourceVersion is applied again after every write that beat it):
# - a pool patch or reservation create that committed but answered after api_timeout_seconds: the
#   ADD (DEL) reads again, finds its write there and succeeds, with one entry and one reservation;
# - one that commits after the whole retry budget (answer never seen, or served late): the ADD
#   fails with 11 and leaves no pool entry and no reservation, also once the late write is served;
# - 64 concurrent ADDs on one pool all succeed with 64 distinct addresses, as stored; 64
#   concurrent DELs leave nothing.
# Outcomes only, no timing assertions (tests/bench/ipam.sh measures).
. "$(dirname "$0")/lib.sh"
integ_setup "$@"
integ_ipam

ADMIN=admin-7c1d9e3a5b2f4c6d8e0f
TOK=ipam-5e3b1a9c7d2f40816243
cat >"$T/tokens.json" <<EOF
{"$TOK": {"user": "system:serviceaccount:kube-system:rdmanet", "allow": ["*:ippools", "*:overlappingrangeipreservations"]}}
EOF
# each try of a pool update costs the server 100 ms of one of 2 CPUs (kube-apiserver: decode,
# patch, validate, encode), so that writers of one pool queue as they do there
integ_apiserver "$ADMIN" --update-cost-ms 100 --update-cpus 2
k8s_kubeconfig "$T/kubeconfig" "$TOK" kube-system
api() { curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $TOK" "https://127.0.0.1:$PORT$1"; }
admin() { curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $ADMIN" -X POST -d "$2" "https://127.0.0.1:$PORT$1"; }
dump() { curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $ADMIN" "https://127.0.0.1:$PORT/_test/dump"; }
stats() { curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $ADMIN" "https://127.0.0.1:$PORT/_test/stats"; }
fault() { admin /_test/faults "$1" >/dev/null; }
nofault() { admin /_test/faults '{"reset":true}' >/dev/null; }
NSP=/apis/whereabouts.cni.cncf.io/v1alpha1/namespaces/kube-system
# store_of CID: "pool=N resv=N": entries and reservations naming CID, from the server's own store
store_of() {
	dump | jq -r --arg c "$1" '.objects as $o |
		"pool=\([$o.ippools[] | .spec.allocations // {} | to_entries[] | select(.value.id == $c)] | length) resv=\([$o.overlappingrangeipreservations[] | select(.spec.containerid == $c)] | length)"'
}
# conf TIMEOUT BUDGET [RANGE]
conf() {
	jq -nc --arg k "$T/kubeconfig" --arg log "$T/ipam.log" --argjson t "$1" --argjson b "$2" \
		--arg r "${3:-10.91.0.0/24}" \
		'{cniVersion:"1.0.0",name:"rdma",type:"rdmanet",
		  ipam:{type:"rdmanet-ipam",range:$r,kubernetes:{kubeconfig:$k},api_timeout_seconds:$t,
		        retry_budget_seconds:$b,release_quiet_seconds:0,log_file:$log,log_level:"debug"}}'
}
# ipam CMD CID CONF: rdmanet-ipam as the runtime runs it; sets OUT RC ERRLOG
ipam() {
	local saved=$PLUGIN
	PLUGIN=$IPAM
	cni_env "$3" CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_NETNS=/run/netns/none CNI_IFNAME=net1 \
		CNI_PATH=/x "CNI_ARGS=K8S_POD_NAMESPACE=default;K8S_POD_NAME=pod-$2"
	PLUGIN=$saved
}
PATCH='"match":"ippools","method":"PATCH"'
POST='"match":"overlappingrangeipreservations","method":"POST"'

# ---- writes whose answer comes too late: verified by reading again, then the ADD succeeds
late() { # NAME FAULT CMD-CHECKED: the write commits, its answer comes after api_timeout_seconds
	local name=$1 f=$2 cid=late-$3
	C=$(conf 1 10)
	nofault; fault "$f"
	ipam ADD $cid "$C"
	check "$name: the ADD succeeds" succeeded '.ips[0].address|test("^10\\.91\\.0\\.")'
	nofault
	check "$name: ... one entry and one reservation in the store ($(store_of $cid))" \
		test "$(store_of $cid)" = "pool=1 resv=1"
	check "$name: ... the write did time out (debug log)" \
		grep -qE "cid=$cid ifname=net1: .*no answer after [0-9]+ ms" "$T/ipam.log"
	ipam DEL $cid "$C"
	check "$name: ... DEL cleans" eval 'succeeded_quietly && [ "$(store_of $cid)" = "pool=0 resv=0" ]'
}
late "pool patch committed, answered after the timeout" "{\"delay_ms\":2500,\"after\":true,$PATCH}" p
late "reservation committed, answered after the timeout" "{\"delay_ms\":2500,\"after\":true,$POST}" r

# DEL whose pool patch committed but answered too late: the DEL reads again, sees it done, and
# deletes the reservation too
C=$(conf 1 10)
nofault
ipam ADD late-d "$C"
fault "{\"delay_ms\":2500,\"after\":true,$PATCH}"
ipam DEL late-d "$C"
nofault
check "DEL, pool patch committed, answered after the timeout: the DEL succeeds" succeeded_quietly
check "... nothing of it left ($(store_of late-d))" test "$(store_of late-d)" = "pool=0 resv=0"

# ---- a write with no answer within the whole budget: the ADD fails, and leaves nothing
# (api_timeout_seconds 5 > retry_budget_seconds 2: the request is cut at the budget)
C=$(conf 5 2)
nofault; fault "{\"delay_ms\":4000,\"after\":true,$PATCH}"
ipam ADD gone-a "$C"
check "pool patch committed, no answer within the budget: the ADD fails with 11" \
	failed_with 11 "IPPool"
nofault
check "... and leaves no pool entry and no reservation ($(store_of gone-a))" \
	test "$(store_of gone-a)" = "pool=0 resv=0"
# the patch is held before it is served: served after the ADD gave up, it must not land
nofault; fault "{\"delay_ms\":4000,$PATCH}"
curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $ADMIN" -X POST -d '{"reset":true}' \
	"https://127.0.0.1:$PORT/_test/stats" >/dev/null
ipam ADD gone-b "$C"
check "pool patch served after the budget: the ADD fails with 11" failed_with 11 "IPPool"
sleep 3	# the held patch is served now
nofault
check "... and once the late patch is served, still no entry and no reservation ($(store_of gone-b))" \
	test "$(store_of gone-b)" = "pool=0 resv=0"
check "... the late patch was refused by its resourceVersion (409)" \
	eval '[ "$(stats | jq ".conflicts_by_reason.Conflict // 0")" -ge 1 ]'

# ---- 64 ADDs at once on one pool, then 64 DELs
N=64
C=$(conf 2 30 10.92.0.0/24)
run_all() { # CMD: every container at once; $T/CMD-i.{out,rc}
	local i pids=()
	for i in $(seq "$N"); do
		( d=$T PLUGIN=$IPAM T=$T/w-$1-$i	# cni_env's stderr file, one each
		  mkdir -p "$T"
		  cni_env "$C" CNI_COMMAND="$1" CNI_CONTAINERID="burst-$i" CNI_NETNS=/run/netns/none \
			CNI_IFNAME=net1 CNI_PATH=/x "CNI_ARGS=K8S_POD_NAMESPACE=default;K8S_POD_NAME=burst-$i"
		  printf '%s' "$OUT" >"$d/$1-$i.out"; echo "$RC" >"$d/$1-$i.rc" ) &
		pids+=($!)
	done
	wait "${pids[@]}"
}
failed_of() { # CMD: how many failed, and the first failure
	local i bad=0 first=
	for i in $(seq "$N"); do
		[ "$(cat "$T/$1-$i.rc")" = 0 ] && continue
		bad=$((bad + 1)); [ -n "$first" ] || first=$(head -c 300 "$T/$1-$i.out")
	done
	WHY="$bad of $N failed; $first"
	[ "$bad" = 0 ]
}
run_all ADD
check "$N concurrent ADDs on one pool all succeed" failed_of ADD
ips=$(cat "$T"/ADD-*.out | jq -r '.ips[0].address // empty' | sort -u | wc -l)
stored=$(dump | jq '[.objects.ippools[] | select(.spec.range == "10.92.0.0/24") | .spec.allocations | to_entries[] | select(.value.id | startswith("burst-"))] | length')
resv=$(dump | jq '[.objects.overlappingrangeipreservations[] | select(.spec.containerid | startswith("burst-"))] | length')
check "... $N distinct addresses answered ($ips), $N entries stored ($stored), $N reservations ($resv)" \
	test "$ips $stored $resv" = "$N $N $N"
run_all DEL
check "$N concurrent DELs all succeed" failed_of DEL
stored=$(dump | jq '[.objects.ippools[] | .spec.allocations // {} | to_entries[] | select(.value.id | startswith("burst-"))] | length')
resv=$(dump | jq '[.objects.overlappingrangeipreservations[] | select(.spec.containerid | startswith("burst-"))] | length')
check "... nothing left: entries $stored, reservations $resv" test "$stored $resv" = "0 0"
finish
