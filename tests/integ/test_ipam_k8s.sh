#!/bin/bash
# test_ipam_k8s.sh - rdmanet-ipam against the test API server (tests/k8s/apiserver.py, real TLS on
# 127.0.0.1): ADD records the address in the IPPool and claims its OverlappingRangeIPReservation
# before answering, ADD is idempotent, DEL releases both, a released address rests, a re-created
# pod gets its address back, dual-stack, exhaustion, CHECK, GC, credentials refused, API down,
# concurrent ADDs from several "nodes" without duplicates, and rdmanet + rdmanet-ipam end to end.
. "$(dirname "$0")/lib.sh"
integ_setup "$@"
integ_ipam

ADMIN=admin-9c1e7a2b4d6f8e0a1b2c
TOK=ipam-0f9e8d7c6b5a49382716
TOK_WRONG=wrong-1a2b3c4d5e6f7a8b9c0d
cat >"$T/tokens.json" <<EOF
{"$TOK": {"user": "system:serviceaccount:kube-system:rdmanet", "allow": ["*:ippools", "*:overlappingrangeipreservations", "create:events", "patch:events"]}}
EOF
integ_apiserver "$ADMIN"
k8s_kubeconfig "$T/kubeconfig" "$TOK" kube-system
k8s_kubeconfig "$T/wrong.kubeconfig" "$TOK_WRONG" kube-system
api() { curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $TOK" "https://127.0.0.1:$PORT$1"; }
NSP=/apis/whereabouts.cni.cncf.io/v1alpha1/namespaces/kube-system
pool() { api "$NSP/ippools/$1"; }
resv() { api "$NSP/overlappingrangeipreservations/$1"; }

# ipam_conf VERSION JQ: an rdmanet network config with rdmanet-ipam
ipam_conf() {
	jq -nc --arg v "$1" --arg k "$T/kubeconfig" --arg log "$T/ipam.log" \
		"{cniVersion:\$v,name:\"rdma\",type:\"rdmanet\",master:\"x0\",
		  ipam:{type:\"rdmanet-ipam\",range:\"10.77.0.0/29\",gateway:\"10.77.0.1\",
		        routes:[{dst:\"10.250.0.0/16\"}],kubernetes:{kubeconfig:\$k},
		        log_file:\$log,log_level:\"debug\",release_quiet_seconds:60}} | ${2:-.}"
}
# ipam CMD CID CONF [POD]: runs rdmanet-ipam as rdmanet delegates to it
ipam() {
	local pod=${4:-pod-$2}
	cni_env "$3" CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_NETNS=/run/netns/none CNI_IFNAME=net1 \
		CNI_PATH="$ROOT/$BUILD" CNI_ARGS="IgnoreUnknown=true;K8S_POD_NAMESPACE=default;K8S_POD_NAME=$pod" \
		PLUGIN_OVERRIDE=
}
PLUGIN_SAVED=$PLUGIN
use_ipam() { PLUGIN=$IPAM; }
use_rdmanet() { PLUGIN=$PLUGIN_SAVED; }
use_ipam
C=$(ipam_conf 1.0.0)
POOL=10.77.0.0-29

# ---- ADD: recorded and reserved before the answer
ipam ADD c1 "$C"
check "ADD returns an address of the range with the gateway and routes" \
	succeeded '.ips[0].address|test("^10\\.77\\.0\\.[2-6]/29$")' 
IP1=$(jq -r '.ips[0].address' <<<"$OUT" | cut -d/ -f1)
check "... gateway 10.77.0.1 and the configured route" succeeded '.ips[0].gateway == "10.77.0.1" and .routes[0].dst == "10.250.0.0/16"'
off1=$(( ${IP1##*.} ))
check "IPPool $POOL records it: offset $off1 -> c1, default/pod-c1, net1" \
	jqt --arg o "$off1" '.spec.range == "10.77.0.0/29" and .spec.allocations[$o] == {id:"c1",podref:"default/pod-c1",ifname:"net1"}' <(pool $POOL)
check "the OverlappingRangeIPReservation $IP1 is c1's" \
	jqt '.spec.containerid == "c1" and .spec.podref == "default/pod-c1"' <(resv "$IP1")
ipam ADD c1 "$C"
check "ADD again (same container, ifname) returns the same address" succeeded ".ips[0].address == \"$IP1/29\""

# ---- DEL releases both; twice is fine
ipam DEL c1 "$C"
check "DEL succeeds" succeeded_quietly
check "... the pool entry is gone" jqt --arg o "$off1" '.spec.allocations[$o] == null' <(pool $POOL)
check "... the reservation is gone" jqt '.code == 404' <(resv "$IP1")
check "... and the release time is noted" jqt --arg k "rdmanet.io/released-$off1" '.metadata.annotations[$k] != null' <(pool $POOL)
ipam DEL c1 "$C"
check "DEL again succeeds" succeeded_quietly
ipam DEL c1 "$(jq -c '. + {prevResult: {ips: "not a list"}}' <<<"$C")"
check "DEL with a malformed prevResult (only a hint for DEL) succeeds, with a warning" \
	eval 'succeeded_quietly && grep -q "warn cid=c1 ifname=net1: DEL: .*prevResult.*ignoring it" "$T/ipam.log"'
check "the log (log_level debug) says what was allocated and released, for whom" eval \
	'grep -q "info cid=c1 ifname=net1: allocated $IP1/29 in IPPool .$POOL. to container .c1. (pod .default/pod-c1.)" "$T/ipam.log" &&
	 grep -q "info cid=c1 ifname=net1: released $IP1 in IPPool .$POOL. (container .c1.)" "$T/ipam.log"'
check "... and each API request: method, path, status, size, time" \
	grep -qE "debug cid=c1 ifname=net1: POST $NSP/overlappingrangeipreservations: HTTP 201, [0-9]+ bytes, [0-9]+ ms" "$T/ipam.log"

# ---- a released address rests while others are free
got=
for c in q1 q2 q3 q4; do ipam ADD $c "$C"; got+=" $(jq -r '.ips[0].address' <<<"$OUT")"; done
check "four ADDs into the four other free addresses skip the one released a moment ago" \
	eval '[ "$(wc -w <<<"$got")" = 4 ] && ! grep -qw "$IP1/29" <<<"$got"'
ipam ADD q5 "$C"
check "with only the resting address free, ADD reuses it rather than fail" \
	succeeded ".ips[0].address == \"$IP1/29\""
ipam ADD q6 "$C"
check "the range exhausted: error 109 naming it" failed_with 109 "no free address left in 10.77.0.0/29"
check "... and no reservation was left by the failed ADD" \
	test "$(api "$NSP/overlappingrangeipreservations" | jq '[.items[] | select(.spec.containerid=="q6")] | length')" = 0
ipam DEL q5 "$C"

# ---- a re-created pod (StatefulSet) gets its address back
QIP=$(pool $POOL | jq -r '.spec.allocations | to_entries[] | select(.value.id=="q1") | .key')
ipam ADD q1-new "$C" pod-q1
check "a new container of pod default/pod-q1 gets q1's address back" \
	succeeded ".ips[0].address == \"10.77.0.$QIP/29\""
check "... and the entry and reservation now name the new container" eval \
	'pool $POOL | jqt --arg o "$QIP" ".spec.allocations[\$o].id == \"q1-new\"" && resv 10.77.0.$QIP | jqt ".spec.containerid == \"q1-new\""'

# ---- CHECK
ipam CHECK q2 "$C"
check "CHECK of a live allocation" succeeded_quietly
ipam CHECK gone "$C"
check "CHECK of an unknown container: error 105" failed_with 105 "no allocation for container 'gone'"

# ---- STATUS: the API answers and the pools are readable
ipam STATUS x "$(ipam_conf 1.1.0)"
check "STATUS with the API up" succeeded_quietly
ipam STATUS x "$(ipam_conf 1.1.0 ".ipam.kubernetes.kubeconfig=\"$T/wrong.kubeconfig\"")"
check "STATUS with refused credentials: error 50" failed_with 50 "Kubernetes API"

# ---- GC keeps exactly the valid attachments
GCC=$(ipam_conf 1.1.0 '.["cni.dev/valid-attachments"]=[{containerID:"q2",ifname:"net1"},{containerID:"q3",ifname:"net1"}]')
ipam GC x "$GCC"
check "GC succeeds" succeeded_quietly
check "... and leaves only q2 and q3 in the pool" \
	test "$(pool $POOL | jq -c '[.spec.allocations[].id] | sort')" = '["q2","q3"]'
check "... and only their reservations" \
	test "$(api "$NSP/overlappingrangeipreservations" | jq -c '[.items[].spec.containerid] | sort')" = '["q2","q3"]'

# ---- dual stack
DS=$(ipam_conf 1.0.0 'del(.ipam.range, .ipam.gateway) | .ipam.ipRanges=[{range:"10.78.0.0/24"},{range:"fd00:78::/120"}]')
ipam ADD d1 "$DS"
check "dual-stack ADD returns an IPv4 and an IPv6 address" \
	succeeded '(.ips|length) == 2 and (.ips[0].address|test("^10\\.78\\.")) and (.ips[1].address|test("^fd00:78::"))'
check "... recorded in both pools" eval \
	'pool 10.78.0.0-24 | jqt "[.spec.allocations[].id] == [\"d1\"]" && pool fd00-78---120 | jqt "[.spec.allocations[].id] == [\"d1\"]"'
ipam DEL d1 "$DS"
check "dual-stack DEL empties both" eval \
	'pool 10.78.0.0-24 | jqt ".spec.allocations == {}" && pool fd00-78---120 | jqt ".spec.allocations == {}"'

# ---- whereabouts' range shorthand START-END/PREFIX: the pool of the CIDR, addresses START..END
SH=$(ipam_conf 1.0.0 'del(.ipam.gateway) | .ipam.range="10.79.0.10-10.79.0.11/24"')
ipam ADD s1 "$SH"; a1=$(jq -r '.ips[0].address' <<<"$OUT")
ipam ADD s2 "$SH"; a2=$(jq -r '.ips[0].address' <<<"$OUT")
check "range 10.79.0.10-10.79.0.11/24: two ADDs get .10 and .11 (/24)" \
	test "$(printf '%s\n' "$a1" "$a2" | sort | tr '\n' ' ')" = "10.79.0.10/24 10.79.0.11/24 "
check "... recorded in IPPool 10.79.0.0-24, as whereabouts names it" \
	jqt '.spec.range == "10.79.0.0/24" and ([.spec.allocations[].id] | sort) == ["s1","s2"]' <(pool 10.79.0.0-24)
ipam ADD s3 "$SH"
check "... a third: exhausted (109)" failed_with 109 "10.79.0.0/24"
for c in s1 s2; do ipam DEL $c "$SH"; done

# ---- objects whereabouts made (a cluster moving a network from whereabouts to rdmanet-ipam):
# its pool entry and reservation are taken as allocated, its container passes CHECK and its DEL
# releases both
post() { curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' \
	-X POST -d "$2" "https://127.0.0.1:$PORT$NSP/$1" >/dev/null; }
post ippools '{"apiVersion":"whereabouts.cni.cncf.io/v1alpha1","kind":"IPPool","metadata":{"name":"10.80.0.0-29"},
	"spec":{"range":"10.80.0.0/29","allocations":{"5":{"id":"wb-1","podref":"default/pod-wb-1","ifname":"net1"}}}}'
post overlappingrangeipreservations '{"apiVersion":"whereabouts.cni.cncf.io/v1alpha1","kind":"OverlappingRangeIPReservation",
	"metadata":{"name":"10.80.0.5"},"spec":{"containerid":"wb-1","podref":"default/pod-wb-1","ifname":"net1"}}'
WB=$(ipam_conf 1.0.0 'del(.ipam.gateway) | .ipam.range="10.80.0.0/29" | .ipam.release_quiet_seconds=0')
got=
for c in n1 n2 n3 n4 n5; do ipam ADD $c "$WB"; got+=" $(jq -r '.ips[0].address' <<<"$OUT")"; done
check "five ADDs fill the five other addresses of 10.80.0.0/29, never whereabouts' .5" \
	test "$(tr ' ' '\n' <<<"$got" | grep . | sort -t. -k4n | tr '\n' ' ')" = "10.80.0.1/29 10.80.0.2/29 10.80.0.3/29 10.80.0.4/29 10.80.0.6/29 "
ipam CHECK wb-1 "$WB"
check "CHECK of whereabouts' container wb-1 finds its allocation" succeeded_quietly
ipam DEL wb-1 "$WB"
check "DEL of wb-1 releases whereabouts' pool entry and reservation" eval \
	'succeeded_quietly && pool 10.80.0.0-29 | jqt ".spec.allocations[\"5\"] == null" && resv 10.80.0.5 | jqt ".code == 404"'
for c in n1 n2 n3 n4 n5; do ipam DEL $c "$WB"; done
check "... and the pool is empty after the others' DELs" jqt '.spec.allocations == {}' <(pool 10.80.0.0-29)
# whereabouts v0.8 and later write reservations without containerid: DEL of its container
# releases the one of its pod and ifname (as whereabouts' own DEL would), not another pod's
post ippools '{"apiVersion":"whereabouts.cni.cncf.io/v1alpha1","kind":"IPPool","metadata":{"name":"10.81.0.0-29"},
	"spec":{"range":"10.81.0.0/29","allocations":{"3":{"id":"wb-2","podref":"default/pod-wb-2","ifname":"net1"},
	"5":{"id":"wb-3","podref":"default/pod-wb-3","ifname":"net1"}}}}'
post overlappingrangeipreservations '{"apiVersion":"whereabouts.cni.cncf.io/v1alpha1","kind":"OverlappingRangeIPReservation",
	"metadata":{"name":"10.81.0.3"},"spec":{"podref":"default/pod-wb-2","ifname":"net1"}}'
post overlappingrangeipreservations '{"apiVersion":"whereabouts.cni.cncf.io/v1alpha1","kind":"OverlappingRangeIPReservation",
	"metadata":{"name":"10.81.0.5"},"spec":{"podref":"default/pod-else","ifname":"net1"}}'
WB8=$(ipam_conf 1.0.0 'del(.ipam.gateway) | .ipam.range="10.81.0.0/29"')
ipam DEL wb-2 "$WB8"
check "DEL of a whereabouts v0.8 container releases its entry and its reservation without containerid" \
	eval 'succeeded_quietly && pool 10.81.0.0-29 | jqt ".spec.allocations[\"3\"] == null" &&
	      resv 10.81.0.3 | jqt ".code == 404"'
ipam DEL wb-3 "$WB8"
check "... while a reservation of another pod at the released address stays" eval \
	'succeeded_quietly && pool 10.81.0.0-29 | jqt ".spec.allocations == {}" &&
	 resv 10.81.0.5 | jqt ".spec.podref == \"default/pod-else\""'

# ---- refused credentials: a clear error, never the token
ipam ADD w1 "$(ipam_conf 1.0.0 ".ipam.kubernetes.kubeconfig=\"$T/wrong.kubeconfig\"")"
check "a wrong token: error 108 naming the API" failed_with 108 "Kubernetes API"
check "... without the token anywhere in the output" eval '! grep -qF "$TOK_WRONG" <<<"$OUT$ERRLOG"'

# ---- 200 concurrent ADDs from 8 "nodes" (one kubeconfig each) on one pool: no duplicate, all recorded
NCONC=200
for n in $(seq 8); do k8s_kubeconfig "$T/node$n.kubeconfig" "$TOK" kube-system; done
CC=$(ipam_conf 1.0.0 '.ipam.range="10.79.0.0/24" | del(.ipam.gateway)')
t0=$SECONDS
pids=()
for i in $(seq $NCONC); do
	n=$(( (i % 8) + 1 ))
	conf=$(jq -c --arg k "$T/node$n.kubeconfig" '.ipam.kubernetes.kubeconfig=$k' <<<"$CC")
	( cni_env "$conf" CNI_COMMAND=ADD CNI_CONTAINERID=cc$i CNI_NETNS=/run/netns/none CNI_IFNAME=net1 \
		CNI_PATH=/x CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=cc$i"
	  echo "$RC $OUT" >"$T/cc.$i" ) &
	pids+=($!)
done
wait "${pids[@]}"	# not a bare wait: the API server runs in the background too
ok_count=$(grep -l '^0 ' "$T"/cc.* | wc -l)
check "$NCONC concurrent ADDs from 8 nodes all succeed ($((SECONDS - t0)) s)" test "$ok_count" = $NCONC
check "... with $NCONC distinct addresses" \
	test "$(cut -d' ' -f2- "$T"/cc.* | jq -r '.ips[0].address' | sort -u | wc -l)" = $NCONC
check "... each recorded once in the pool, for its own container" \
	test "$(pool 10.79.0.0-24 | jq '[.spec.allocations | to_entries[] | select(.value.id|startswith("cc"))] | length')" = $NCONC
check "... and the pool agrees with the answers" eval \
	'[ "$(for f in "$T"/cc.*; do cut -d" " -f2- "$f" | jq -r ".ips[0].address" | cut -d/ -f1 | cut -d. -f4; done | sort -n | tr "\n" " ")" = "$(pool 10.79.0.0-24 | jq -r ".spec.allocations | keys[]" | sort -n | tr "\n" " ")" ]'
pids=()
check "... and exactly one reservation each, naming the container the pool names" eval \
	'[ "$(api "$NSP/overlappingrangeipreservations" | jq -c "[.items[] | select(.spec.containerid // \"\"|startswith(\"cc\")) | {ip: .metadata.name, id: .spec.containerid}] | sort_by(.id)")" = \
	   "$(pool 10.79.0.0-24 | jq -c "[.spec.allocations | to_entries[] | {ip: (\"10.79.0.\" + .key), id: .value.id}] | sort_by(.id)")" ]'
for i in $(seq $NCONC); do
	( cni_env "$CC" CNI_COMMAND=DEL CNI_CONTAINERID=cc$i CNI_NETNS= CNI_IFNAME=net1 CNI_PATH=/x
	  echo "$RC" >"$T/ccdel.$i" ) &
	pids+=($!)
done
wait "${pids[@]}"
# this node's writers of the pool take turns (its lock): on a loaded 2-core machine with this
# Python server some of 200 DELs started at once outlast retry_budget_seconds and fail with 11;
# the runtime then calls DEL again, as here
again=0
for i in $(seq $NCONC); do
	[ "$(cat "$T/ccdel.$i")" = 0 ] && continue
	again=$((again + 1))
	cni_env "$CC" CNI_COMMAND=DEL CNI_CONTAINERID=cc$i CNI_NETNS= CNI_IFNAME=net1 CNI_PATH=/x
done
echo "# DELs that failed (11) and were called again: $again of $NCONC"
check "$NCONC concurrent DELs (and again those that failed) leave the pool empty" jqt '.spec.allocations == {}' <(pool 10.79.0.0-24)
check "... and no reservation of theirs" \
	test "$(api "$NSP/overlappingrangeipreservations" | jq '[.items[] | select(.spec.containerid // ""|startswith("cc"))] | length')" = 0

# ---- without reservations (enable_overlapping_ranges false): read-modify-write under the
# pool's resourceVersion, 409 Conflicts retried, still no duplicate
NO=$(ipam_conf 1.0.0 '.ipam.range="10.81.0.0/24" | del(.ipam.gateway) | .ipam.enable_overlapping_ranges=false')
api_admin() { curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $ADMIN" "$@"; }
api_admin -X POST -d '{"reset":true}' "https://127.0.0.1:$PORT/_test/stats" >/dev/null
pids=()
for i in $(seq 24); do
	( cni_env "$NO" CNI_COMMAND=ADD CNI_CONTAINERID=nr$i CNI_NETNS=/run/netns/none CNI_IFNAME=net1 \
		CNI_PATH=/x CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=nr$i"
	  echo "$RC $OUT" >"$T/nr.$i" ) &
	pids+=($!)
done
wait "${pids[@]}"
check "24 concurrent ADDs without reservations all succeed" test "$(grep -l '^0 ' "$T"/nr.* | wc -l)" = 24
check "... with 24 distinct addresses, all in the pool" eval \
	'[ "$(cut -d" " -f2- "$T"/nr.* | jq -r ".ips[0].address" | sort -u | wc -l)" = 24 ] &&
	 [ "$(pool 10.81.0.0-24 | jq "[.spec.allocations[]] | length")" = 24 ]'
conflicts=$(api_admin "https://127.0.0.1:$PORT/_test/stats" | jq '.conflicts_by_reason.Conflict // 0')
check "... the server answered 409 Conflict and they were retried ($conflicts)" test "$conflicts" -gt 0
check "... and no reservation was made" \
	test "$(api "$NSP/overlappingrangeipreservations" | jq '[.items[] | select(.spec.containerid // ""|startswith("nr"))] | length')" = 0

# ---- rdmanet + rdmanet-ipam end to end: a real macvlan with the address from the API store
use_rdmanet
mk_master x0 || die "create veth master x0"
mk_ns e2e || die "create the pod netns"
E2E=$(ipam_conf 1.0.0 '.ipam.range="10.80.0.0/24" | del(.ipam.gateway)')
cni ADD e2e-1 "$(nsp e2e)" net1 "$E2E" CNI_PATH="$ROOT/$BUILD" CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=e2e"
check "rdmanet ADD with rdmanet-ipam" succeeded '.interfaces[0].name == "net1" and (.ips[0].address|test("^10\\.80\\.0\\."))'
EIP=$(jq -r '.ips[0].address' <<<"$OUT")
check "the pod's macvlan carries $EIP in the kernel" test "$(addrs e2e net1 inet)" = "$EIP"
check "the IPPool records it for e2e-1" jqt '[.spec.allocations[].id] == ["e2e-1"]' <(pool 10.80.0.0-24)
cni DEL e2e-1 "$(nsp e2e)" net1 "$E2E" CNI_PATH="$ROOT/$BUILD"
check "rdmanet DEL removes the link and the allocation" eval \
	'succeeded_quietly && [ -z "$(pod_links e2e)" ] && pool 10.80.0.0-24 | jqt ".spec.allocations == {}"'
use_ipam

# ---- the API server failing: 500s and reset connections are retryable errors, nothing half-written
fault() { curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $ADMIN" -X POST \
	-d "$1" "https://127.0.0.1:$PORT/_test/faults" >/dev/null; }
fault '{"status":500,"count":1000,"match":"ippools"}'
ipam ADD f500 "$C"
check "API answering 500: error 11" failed_with 11 "Kubernetes API"
fault '{"reset":true}'
fault '{"close":true,"count":1000,"match":"overlappingrangeipreservations"}'
ipam ADD freset "$C"
check "connections reset while claiming: error 11" failed_with 11 "Kubernetes API"
fault '{"reset":true}'
check "... and neither left an entry or a reservation" eval \
	'pool $POOL | jqt ".spec.range" && ! pool $POOL | grep -qE "\"f(500|reset)\"" && ! api "$NSP/overlappingrangeipreservations" | grep -qE "\"f(500|reset)\""'

# ---- the API server down: a clear, retryable error in bounded time
k8s_server_stop
t0=$(date +%s%N)
ipam ADD down1 "$(ipam_conf 1.0.0 '.ipam.api_timeout_seconds=2 | .ipam.retry_budget_seconds=2')"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "API down: error 11 (try again later)" failed_with 11 "Kubernetes API"
check "... tried again within retry_budget_seconds only ($ms ms)" test "$ms" -lt 3500
ipam STATUS x "$(ipam_conf 1.1.0 '.ipam.api_timeout_seconds=2')"
check "STATUS with the API down: error 50" failed_with 50 "Kubernetes API"

# ---- a cluster that kept whereabouts' CRDs: what ADD, DEL and reconcile write must pass them
cat >"$T/tokens.json" <<EOF
{"$TOK": {"user": "system:serviceaccount:kube-system:rdmanet",
          "allow": ["*:ippools", "*:overlappingrangeipreservations", "get:pods", "list:pods"]}}
EOF
integ_apiserver "$ADMIN" --crds "$ROOT/tests/fixtures/whereabouts/crds-v0.9.4.yaml" \
	--log "$T/wb-requests.log"
k8s_kubeconfig "$T/kubeconfig" "$TOK" kube-system
CODE=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $TOK" \
	-H "Content-Type: application/json" --data-binary '{"apiVersion":"whereabouts.cni.cncf.io/v1alpha1",
	"kind":"OverlappingRangeIPReservation","metadata":{"name":"10.77.0.9"},"spec":{"containerid":"x"}}' \
	"https://127.0.0.1:$PORT$NSP/overlappingrangeipreservations")
check "this server holds whereabouts' constraints: a reservation without podref is refused ($CODE)" \
	test "$CODE" = 422
ipam ADD wb1 "$C"
check "ADD under whereabouts' CRDs succeeds" succeeded '.ips[0].address|test("^10\\.77\\.0\\.")'
WIP1=$(jq -r '.ips[0].address' <<<"$OUT" | cut -d/ -f1)
ipam ADD wb2 "$C"
check "... a second one too" succeeded '.ips[0].address|test("^10\\.77\\.0\\.")'
WIP2=$(jq -r '.ips[0].address' <<<"$OUT" | cut -d/ -f1)
check "... both stored with podref, as whereabouts' schema requires" eval \
	'pool $POOL | jqt "[.spec.allocations[].podref] | sort == [\"default/pod-wb1\", \"default/pod-wb2\"]" &&
	 resv "$WIP1" | jqt ".spec == {containerid:\"wb1\",podref:\"default/pod-wb1\",ifname:\"net1\"}"'
ipam DEL wb1 "$C"
check "DEL under whereabouts' CRDs succeeds and releases" eval \
	'succeeded_quietly && ! pool $POOL | grep -q "\"wb1\"" && resv "$WIP1" | jqt ".code == 404"'
"$IPAM" reconcile --kubeconfig "$T/kubeconfig" --grace 0 >"$T/wb-recon.out" 2>"$T/wb-recon.err"
check "reconcile under whereabouts' CRDs releases the pod that does not exist (wb2)" eval \
	'grep -q "released=1 " "$T/wb-recon.out" && ! pool $POOL | grep -q "\"wb2\"" &&
	 resv "$WIP2" | jqt ".code == 404"'
check "... and none of their writes was refused as invalid (the one 422 is the planted one)" eval \
	'[ "$(grep -cE -- "-> (400|422) " "$T/wb-requests.log")" = 1 ] ||
	 { WHY=$(grep -E -- "-> (400|422) " "$T/wb-requests.log"); false; }'
finish
