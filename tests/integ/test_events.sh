#!/bin/bash
# test_events.sh - the Kubernetes Events rdmanet-ipam posts on IPPools, against the test API server
# (tests/k8s/apiserver.py, real TLS on 127.0.0.1): an exhausted pool gets one Warning
# PoolExhausted Event (involvedObject the IPPool, with its uid) whatever the number of failed
# ADDs of a node, counted and patched at most every 10 s; a token without events rights gets the
# same CNI error and no Event. A reconcile pass posts one Normal LeaksReleased Event per pool it
# changed (leaked allocations released, orphan reservations deleted, with their addresses); a
# dry run and a pass with nothing to do post none, and one without the rights passes all the same.
. "$(dirname "$0")/lib.sh"
integ_setup "$@"
integ_ipam
command -v curl >/dev/null || die "setup" "curl missing"

ADMIN=admin-5e1c9a7b3d2f4e6a8c0b
TOK=events-2b4d6f8a0c1e3a5c7e9b
TOK_NOEV=noev-9a8b7c6d5e4f3a2b1c0d
TOK_REC=recon-1f3e5d7c9b0a2f4e6d8c
# the rights of deploy/rbac.yaml: rdmanet (the nodes) may create and patch events
cat >"$T/tokens.json" <<EOF
{"$TOK": {"user": "system:serviceaccount:kube-system:rdmanet",
          "allow": ["*:ippools", "*:overlappingrangeipreservations", "create:events", "patch:events"]},
 "$TOK_NOEV": {"user": "system:serviceaccount:kube-system:old",
          "allow": ["*:ippools", "*:overlappingrangeipreservations", "get:pods", "list:pods"]},
 "$TOK_REC": {"user": "system:serviceaccount:kube-system:rdmanet-reconcile",
          "allow": ["*:ippools", "*:overlappingrangeipreservations", "get:pods", "list:pods",
                    "create:events"]}}
EOF
integ_apiserver "$ADMIN" --namespace apps
k8s_kubeconfig "$T/kubeconfig" "$TOK" kube-system
k8s_kubeconfig "$T/noev.kubeconfig" "$TOK_NOEV" kube-system
k8s_kubeconfig "$T/recon.kubeconfig" "$TOK_REC" kube-system
api() { curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $ADMIN" "https://127.0.0.1:$PORT$1"; }
NSP=/apis/whereabouts.cni.cncf.io/v1alpha1/namespaces/kube-system
EVP=/api/v1/namespaces/kube-system/events
# events POOL [REASON]: the Events on that IPPool (in $EVNS), as kubectl get events
# --field-selector asks
EVNS=kube-system
events() {
	api "/api/v1/namespaces/$EVNS/events?fieldSelector=involvedObject.kind%3DIPPool,involvedObject.name%3D$1${2:+,reason%3D$2}" |
		jq -c '.items'
}

conf() { # RANGE [KUBECONFIG] [NAMESPACE]
	jq -nc --arg r "$1" --arg k "${2:-$T/kubeconfig}" --arg log "$T/ipam.log" \
		--arg ns "${3:-kube-system}" '{cniVersion:"1.0.0",name:"rdma",type:"rdmanet",
		  ipam:{type:"rdmanet-ipam",range:$r,kubernetes:{kubeconfig:$k},namespace:$ns,
		        log_file:$log,log_level:"debug",release_quiet_seconds:0}}'
}
PLUGIN=$IPAM
# ipam CMD CID CONF: as rdmanet delegates to it, for pod default/pod-CID
ipam() {
	cni_env "$3" CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_NETNS=/run/netns/none CNI_IFNAME=net1 \
		CNI_PATH=/x CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=pod-$2"
}

# ---- exhaustion: a /30 holds two addresses
C=$(conf 10.91.0.0/30)
POOL=10.91.0.0-30
ipam ADD a1 "$C"; ipam ADD a2 "$C"
check "two ADDs fill 10.91.0.0/30" succeeded '.ips[0].address|test("^10\\.91\\.0\\.[12]/30$")'
check "... and no Event yet" test "$(events $POOL)" = "[]"
ipam ADD a3 "$C"
check "the third ADD: error 109, as without Events" failed_with 109 "no free address left in 10.91.0.0/30"
UID_POOL=$(api "$NSP/ippools/$POOL" | jq -r .metadata.uid)
EV=$(events $POOL | jq -c '.[0]')
check "a Warning PoolExhausted Event on IPPool $POOL (apiVersion, kind, name, namespace, uid)" \
	jqt --arg u "$UID_POOL" --arg p "$POOL" '.type == "Warning" and .reason == "PoolExhausted" and
	  .involvedObject == {apiVersion: "whereabouts.cni.cncf.io/v1alpha1", kind: "IPPool", name: $p,
	                      namespace: "kube-system", uid: $u} and .count == 1' <<<"$EV"
check "... its message names the range, its size and the pod" \
	jqt '.message | test("no free address in 10\\.91\\.0\\.0/30 \\(2 addresses in the range, 2 allocated\\) for pod .default/pod-a3.")' <<<"$EV"
check "... named <pool>.<hex>, source rdmanet-ipam on this host, timestamps set" \
	jqt --arg p "$POOL" --arg h "$(hostname)" '(.metadata.name | test("^" + ($p|gsub("\\.";"\\.")) + "\\.[0-9a-f]+$")) and
	  .source == {component: "rdmanet-ipam", host: $h} and .firstTimestamp == .lastTimestamp and
	  (.firstTimestamp | test("^20[0-9-]+T[0-9:]+Z$"))' <<<"$EV"
EVNAME=$(jq -r .metadata.name <<<"$EV")

# ---- a storm: many failed ADDs, one Event, counted
pids=()
for i in $(seq 20); do
	( cni_env "$C" CNI_COMMAND=ADD CNI_CONTAINERID="s$i" CNI_NETNS=/run/netns/none CNI_IFNAME=net1 \
		CNI_PATH=/x CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=pod-s$i"
	  echo "$RC $(jq -r .code <<<"$OUT")" >"$T/storm.$i" ) &
	pids+=($!)
done
wait "${pids[@]}"
check "20 concurrent ADDs into the full pool all fail with 109" \
	test "$(cat "$T"/storm.* | sort | uniq -c | awk '{print $1, $2, $3}')" = "20 1 109"
check "... and still one Event on the pool, not one each" test "$(events $POOL | jq length)" = 1
STATE=/run/rdmanet-ipam/$POOL.PoolExhausted.event
check "... the node counted them in its series file ($(cat "$STATE" 2>/dev/null))" \
	eval '[ "$(awk "{print \$1}" "$STATE")" = "$EVNAME" ] && [ "$(awk "{print \$3}" "$STATE")" -ge 2 ]'
# the interval passed: the next failure patches count and lastTimestamp into the same Event
read -r n first count sent <"$STATE"
echo "$n $first $count $((sent - 11))" >"$STATE"
ipam ADD a4 "$C"
check "after the interval the next ADD fails as before" failed_with 109
EV=$(events $POOL | jq -c '.[0]')
check "... and patches the same Event: count $((count + 1)), the newest pod in the message" \
	jqt --arg n "$EVNAME" --argjson c $((count + 1)) '.metadata.name == $n and .count == $c and
	  (.message | test("pod-a4"))' <<<"$EV"
check "... still one Event" test "$(events $POOL | jq length)" = 1
# the Event expired (the API server's TTL) or was deleted: a new one
curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $ADMIN" -X DELETE "https://127.0.0.1:$PORT$EVP/$EVNAME" >/dev/null
read -r n first count sent <"$STATE"
echo "$n $first $count $((sent - 11))" >"$STATE"
ipam ADD a5 "$C"
check "an Event deleted meanwhile: the next report posts a new one with the series' count" \
	jqt --arg n "$EVNAME" --argjson c $((count + 1)) 'length == 1 and .[0].metadata.name != $n and
	  .[0].count == $c' <<<"$(events $POOL)"
# a series older than 10 minutes starts again
read -r n first count sent <"$STATE"
echo "$n $((first - 601)) $count $((sent - 601))" >"$STATE"
ipam ADD a6 "$C"
check "a series older than 10 minutes: a new Event, count 1" \
	jqt 'length == 2 and ([.[].count] | sort) == [1, '$count']' <<<"$(events $POOL)"

# ---- no rights on events: the same CNI error, no Event, a warning in the log
C2=$(conf 10.92.0.0/30 "$T/noev.kubeconfig")
ipam ADD b1 "$C2"; ipam ADD b2 "$C2"
ipam ADD b3 "$C2"
check "without events rights the exhausted ADD still fails with 109 and the pool's message" \
	failed_with 109 "no free address left in 10.92.0.0/30"
check "... no Event was stored" test "$(events 10.92.0.0-30)" = "[]"
check "... and the log says why, at warn" \
	grep -q "warn cid=b3 ifname=net1: cannot post Event PoolExhausted on IPPool '10.92.0.0-30': .*403.*ignoring" "$T/ipam.log"

# ---- the API server slow to answer events: the ADD's error comes within the Event's 2 s
curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $ADMIN" -X POST \
	-d '{"delay_ms":5000,"match":"/events","count":1}' "https://127.0.0.1:$PORT/_test/faults" >/dev/null
rm -f /run/rdmanet-ipam/10.93.0.0-30.PoolExhausted.event
C3=$(conf 10.93.0.0/30)
ipam ADD c1 "$C3"; ipam ADD c2 "$C3"
t0=$(date +%s%N)
ipam ADD c3 "$C3"
ms=$((($(date +%s%N) - t0) / 1000000))
check "an Event POST without an answer: the ADD still fails with 109, in ${ms} ms (< 4000)" \
	eval 'failed_with 109 && [ "$ms" -lt 4000 ]'
curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $ADMIN" -X POST \
	-d '{"reset":true}' "https://127.0.0.1:$PORT/_test/faults" >/dev/null

# ---- reconcile: one Normal Event per pool it changed, in namespace apps
EVNS=apps
ANS=/apis/whereabouts.cni.cncf.io/v1alpha1/namespaces/apps
C4=$(conf 10.94.0.0/29 "$T/kubeconfig" apps)
P4=10.94.0.0-29
ipam ADD l1 "$C4"
IPL=$(jq -r '.ips[0].address' <<<"$OUT" | cut -d/ -f1)
# an orphan reservation at another address of the pool (an ADD killed before its pool write)
IPO=10.94.0.$(( ${IPL##*.} == 6 ? 5 : 6 ))
curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
	-X POST "https://127.0.0.1:$PORT$ANS/overlappingrangeipreservations" -d \
	'{"apiVersion":"whereabouts.cni.cncf.io/v1alpha1","kind":"OverlappingRangeIPReservation",
	  "metadata":{"name":"'"$IPO"'"},"spec":{"containerid":"killed","podref":"default/pod-killed","ifname":"net1"}}' >/dev/null
reconcile() {
	OUT=$("$IPAM" reconcile --namespace apps --grace 0 "$@" 2>"$T/stderr")
	RC=$?
	ERRLOG=$(cat "$T/stderr")
}
reconcile --kubeconfig "$T/recon.kubeconfig" --dry-run
check "a dry run finds the leak and the orphan" \
	eval '[ "$RC" = 0 ] && grep -q "released=1 orphan-reservations=1 .*dry-run=yes" <<<"$OUT"'
check "... and posts no Event" test "$(events $P4)" = "[]"
reconcile --kubeconfig "$T/recon.kubeconfig"
check "a pass releases the leaked allocation $IPL and deletes the orphan reservation $IPO" \
	eval '[ "$RC" = 0 ] && grep -q "released=1 orphan-reservations=1 .*dry-run=no" <<<"$OUT"'
UID4=$(api "$ANS/ippools/$P4" | jq -r .metadata.uid)
EV=$(events $P4 | jq -c '.[0]')
check "... one Normal LeaksReleased Event on IPPool $P4 (uid, namespace apps)" \
	jqt --arg u "$UID4" --arg p "$P4" '.type == "Normal" and .reason == "LeaksReleased" and .count == 1 and
	  .involvedObject == {apiVersion: "whereabouts.cni.cncf.io/v1alpha1", kind: "IPPool", name: $p,
	                      namespace: "apps", uid: $u} and .metadata.namespace == "apps"' <<<"$EV"
check "... its message: counts and addresses ($(jq -r .message <<<"$EV"))" \
	jqt --arg m "rdmanet-ipam reconcile released 1 leaked allocation ($IPL) and deleted 1 orphan reservation ($IPO)" \
	'.message == $m' <<<"$EV"
reconcile --kubeconfig "$T/recon.kubeconfig"
check "a second pass finds nothing and posts nothing" \
	eval '[ "$RC" = 0 ] && grep -q "released=0 orphan-reservations=0" <<<"$OUT" && [ "$(events $P4 | jq length)" = 1 ]'
# a list of more than 8: bounded
for i in $(seq 10); do ipam ADD m$i "$(conf 10.95.0.0/28 "$T/kubeconfig" apps)"; done
reconcile --kubeconfig "$T/recon.kubeconfig"
check "10 leaks in one pool: one Event listing 8 addresses and 2 more" \
	jqt 'length == 1 and (.[0].message | test("^rdmanet-ipam reconcile released 10 leaked allocations \\(([0-9.]+, ){7}[0-9.]+ and 2 more\\)$"))' \
	<<<"$(events 10.95.0.0-28)"
# without the rights on events: the pass does its work and says so in its summary, exit 0
ipam ADD l2 "$C4"
reconcile --kubeconfig "$T/noev.kubeconfig"
check "a reconciler without events rights still releases (exit 0, released=1)" \
	eval '[ "$RC" = 0 ] && grep -q "released=1 " <<<"$OUT"'
check "... and warns that the Event could not be posted" \
	grep -q "cannot post Event LeaksReleased on IPPool '$P4': .*403.*ignoring" <<<"$ERRLOG"
check "... no Event was stored" test "$(events $P4 | jq length)" = 1

finish
