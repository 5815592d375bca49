#!/bin/bash
# test_ipam_reconcile.sh - `rdmanet-ipam reconcile` against the test API server
# (tests/k8s/apiserver.py, real TLS on 127.0.0.1): allocations made by ADD, pods planted through
# /_test/pods (live with the address in network-status, live without it, deleting for long,
# deleting for a moment, missing, young), an entry without podref and planted reservations
# (old orphan, young orphan). --dry-run writes nothing and counts right; a real run releases
# exactly the leaked ones (pool entries and reservations, as the server stores them); a second
# run finds nothing; pods are listed page by page; API errors exit 1 naming URL and status and
# never the token; --interval survives a failing pass and stops cleanly on SIGTERM. A pool and
# reservations shared with whereabouts (its objects, written through the API with the CRDs of
# deploy/crds.yaml): whereabouts' reservations carry no containerid and are judged by their pod.
. "$(dirname "$0")/lib.sh"
integ_setup "$@"
integ_ipam
command -v curl >/dev/null || die "setup" "curl missing"

ADMIN=admin-4b7d1e9a2c5f8e3a6b0c
TOK=recon-7e6d5c4b3a2918f7e6d5
TOK_WRONG=wrong-9f8e7d6c5b4a39281706
# the rights of deploy/rbac.yaml (rdmanet-reconcile): the two custom resources, and reading pods, posting events
cat >"$T/tokens.json" <<EOF
{"$TOK": {"user": "system:serviceaccount:kube-system:rdmanet",
          "allow": ["*:ippools", "*:overlappingrangeipreservations", "get:pods", "list:pods",
                    "create:events"]}}
EOF
integ_apiserver "$ADMIN" --namespace apps --namespace wb
k8s_kubeconfig "$T/kubeconfig" "$TOK" kube-system
k8s_kubeconfig "$T/wrong.kubeconfig" "$TOK_WRONG" kube-system
api() { curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $TOK" "https://127.0.0.1:$PORT$1"; }
admin() { # PATH JSON: a test hook
	curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $ADMIN" -X POST -d "$2" \
		"https://127.0.0.1:$PORT$1"
}
NSP=/apis/whereabouts.cni.cncf.io/v1alpha1/namespaces/kube-system
POOL=10.90.0.0-27
pool() { api "$NSP/ippools/$POOL"; }
resv_ids() { api "$NSP/overlappingrangeipreservations" | jq -c '[.items[].spec.containerid] | sort'; }
pool_ids() { pool | jq -c '[.spec.allocations[].id] | sort'; }
revision() { curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $ADMIN" \
	"https://127.0.0.1:$PORT/_test/dump" | jq -r .resourceVersion; }

C=$(jq -nc --arg k "$T/kubeconfig" '{cniVersion:"1.0.0",name:"rdma",type:"rdmanet",
	ipam:{type:"rdmanet-ipam",range:"10.90.0.0/27",kubernetes:{kubeconfig:$k}}}')
PLUGIN=$IPAM
# add CID: an allocation for pod default/pod-CID; sets IP_<CID> (dashes as underscores)
add() {
	cni_env "$C" CNI_COMMAND=ADD CNI_CONTAINERID="$1" CNI_NETNS=/run/netns/none CNI_IFNAME=net1 \
		CNI_PATH=/x CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=pod-$1"
	[ "$RC" = 0 ] || die "setup" "ADD $1: $(why_out)"
	printf -v "IP_${1//-/_}" '%s' "$(jq -r '.ips[0].address' <<<"$OUT" | cut -d/ -f1)"
}
# reconcile ARGS...: sets OUT (stdout), RC, ERRLOG (stderr)
reconcile() {
	OUT=$("$IPAM" reconcile "$@" 2>"$T/stderr")
	RC=$?
	ERRLOG=$(cat "$T/stderr")
}
summary() { # POOLS ALLOCS RELEASED ORPHANS KEPT DRY [UNOWNED]
	WHY=$(why_out)
	[ "$RC" = 0 ] && [ "$OUT" = "reconcile: pools=$1 allocations=$2 released=$3 orphan-reservations=$4 unowned-reservations=${7:-0} kept=$5 dry-run=$6" ]
}
# put_pod NAME JQ: a pod default/NAME on node-1, running, adjusted by JQ
OLD=2020-01-01T00:00:00Z
NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
put_pod() {
	local p
	p=$(jq -nc --arg n "$1" '{metadata:{name:$n,namespace:"default"},spec:{nodeName:"node-1",
		containers:[{name:"c",image:"i"}]}} | '"$2")
	admin /_test/pods "{\"action\":\"put\",\"pod\":$p}" | jq -e '.metadata.uid' >/dev/null ||
		die "setup" "cannot plant pod $1"
}
status_ann() { # IP...: a network-status annotation listing the default network and IPs on net1
	jq -nc --args '[{name:"cbr0",interface:"eth0",ips:["10.244.1.5"],default:true},
		{name:"default/rdma",interface:"net1",ips:$ARGS.positional}] | tostring' "$@"
}

# ---- the scene
for c in live stale deleted missing young young-stale deleting; do add "r-$c"; done
put_pod pod-r-live ".metadata.creationTimestamp=\"$OLD\" |
	.metadata.annotations={\"k8s.v1.cni.cncf.io/network-status\": $(status_ann "$IP_r_live")}"
put_pod pod-r-stale ".metadata.creationTimestamp=\"$OLD\" |
	.metadata.annotations={\"k8s.v1.cni.cncf.io/network-status\": $(status_ann 10.90.1.99)}"
put_pod pod-r-deleted ".metadata.creationTimestamp=\"$OLD\" | .metadata.deletionTimestamp=\"2020-01-01T00:05:00Z\""
put_pod pod-r-young '.'
put_pod pod-r-young-stale ".metadata.annotations={\"k8s.v1.cni.cncf.io/network-status\": $(status_ann 10.90.1.98)}"
put_pod pod-r-deleting ".metadata.creationTimestamp=\"$OLD\" | .metadata.deletionTimestamp=\"$NOW\""
# pod-r-missing does not exist; a pod of the same name in another namespace does not save it
put_pod pod-r-missing '.metadata.namespace="apps"'
# an entry without podref (kept and logged) on a free offset, with its reservation
NP=$(pool | jq -r '[range(1;31) | tostring] - (.spec.allocations|keys) | .[0]')
admin /_test/objects "$(pool | jq -c --arg o "$NP" '{action:"put",resource:"ippools",
	object:(.spec.allocations[$o]={id:"no-podref",ifname:"net1"} | del(.metadata.resourceVersion))}')" >/dev/null
resv_obj() { # NAME CID CREATED
	jq -nc --arg n "$1" --arg c "$2" --arg t "$3" '{action:"put",resource:"overlappingrangeipreservations",
		object:{metadata:{name:$n,namespace:"kube-system",creationTimestamp:$t},
		        spec:{containerid:$c,podref:"default/ghost",ifname:"net1"}}}'
}
admin /_test/objects "$(resv_obj "10.90.0.$NP" no-podref "$OLD")" >/dev/null
# orphans: an old one (a killed ADD), a young one (an ADD in flight), and an old one that names
# a recorded address but another container
admin /_test/objects "$(resv_obj 10.90.1.13 ghost-old "$OLD")" >/dev/null
admin /_test/objects "$(resv_obj 10.90.1.12 ghost-young "$NOW")" >/dev/null
RIP=$IP_r_young
admin /_test/objects "$(resv_obj "$RIP" ghost-other "$OLD")" >/dev/null
check "setup: 8 entries in the pool, 10 reservations" eval \
	'[ "$(pool | jq ".spec.allocations|length")" = 8 ] && [ "$(resv_ids | jq length)" = 10 ]'
# (ghost-other's replaced the young pod's own reservation)
KEEP_POOL='["no-podref","r-deleting","r-live","r-young","r-young-stale"]'

# ---- dry run: everything counted, nothing written
rev0=$(revision)
reconcile --kubeconfig "$T/kubeconfig" --dry-run
check "--dry-run: 8 allocations, 3 to release, 2 orphan reservations, 5 kept" summary 1 8 3 2 5 yes
check "... logs one 'would release' line per leaked allocation" eval \
	'[ "$(grep -c "would release" <<<"$ERRLOG")" = 3 ] && grep -q "pod .default/pod-r-missing.*does not exist" <<<"$ERRLOG" &&
	 grep -q "pod-r-deleted.*still deleting [0-9]* s after its deletionTimestamp" <<<"$ERRLOG" && grep -q "pod-r-stale.*network-status" <<<"$ERRLOG"'
check "... and one 'would delete' line per orphan reservation" eval \
	'[ "$(grep -c "would delete reservation" <<<"$ERRLOG")" = 2 ] && grep -q "10.90.1.13" <<<"$ERRLOG" &&
	 grep -q "ghost-other" <<<"$ERRLOG"'
check "... names the entry without podref" eval 'grep -q "keep 10.90.0.$NP .*no podref" <<<"$ERRLOG"'
check "... and writes nothing (store revision $rev0 unchanged)" test "$(revision)" = "$rev0"

# ---- the real run
admin /_test/stats '{"reset":true}' >/dev/null
reconcile --kubeconfig "$T/kubeconfig"
check "reconcile: the same counts, dry-run=no" summary 1 8 3 2 5 no
check "... the pool keeps exactly the live, young, deleting-for-a-moment and podref-less entries" \
	test "$(pool_ids)" = "$KEEP_POOL"
check "... the released addresses are noted as released (they rest)" eval \
	'pool | jqt --arg o "${IP_r_stale##*.}" --arg p "${IP_r_missing##*.}" \
		".metadata.annotations[\"rdmanet.io/released-\" + \$o] != null and .metadata.annotations[\"rdmanet.io/released-\" + \$p] != null"'
check "... reservations: the kept entries' and the young orphan; the released ones and old orphans gone" \
	test "$(resv_ids)" = '["ghost-young","no-podref","r-deleting","r-live","r-young-stale"]'
check "... pods listed with limit, cluster-wide" \
	eval 'curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $ADMIN" \
		"https://127.0.0.1:$PORT/_test/stats" | jqt ".requests[\"list:pods\"] == 1"'

# ---- a second run releases nothing
rev1=$(revision)
reconcile --kubeconfig "$T/kubeconfig"
check "a second run: released=0 orphan-reservations=0" summary 1 5 0 0 5 no
check "... and writes nothing" test "$(revision)" = "$rev1"
reconcile --kubeconfig "$T/kubeconfig" --grace 0 --dry-run
check "--grace 0 would take the young orphan, the young pod's stale entry and the deleting pod's" \
	summary 1 5 2 1 3 yes
reconcile --kubeconfig "$T/kubeconfig" --namespace apps
check "--namespace apps: no pools there" summary 0 0 0 0 0 no

# ---- pods listed page by page (over 500 of them; one curl, `next` resets the options)
{
	for i in $(seq 520); do
		printf 'url = "https://127.0.0.1:%s/_test/pods"\n' "$PORT"
		printf 'data = "{\\"action\\":\\"put\\",\\"pod\\":{\\"metadata\\":{\\"name\\":\\"filler-%s\\",\\"namespace\\":\\"apps\\"}}}"\n' "$i"
		printf 'output = "/dev/null"\ncacert = "%s"\nheader = "Authorization: Bearer %s"\n' "$T/pki/ca.crt" "$ADMIN"
		[ "$i" = 520 ] || echo next
	done
} >"$T/curl-pods"
curl -s -K "$T/curl-pods"
api "/api/v1/pods?limit=1" | jq -e '.metadata.remainingItemCount >= 520' >/dev/null ||
	die "setup" "cannot plant 520 pods"
admin /_test/stats '{"reset":true}' >/dev/null
admin /_test/pods '{"action":"delete","namespace":"default","name":"pod-r-live"}' >/dev/null
reconcile --kubeconfig "$T/kubeconfig"
check "with 526 pods, a pod that went away is still found missing" summary 1 5 1 0 4 no
check "... after reading the pods in 2 pages" eval \
	'curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $ADMIN" "https://127.0.0.1:$PORT/_test/stats" |
	 jqt ".requests[\"list:pods\"] == 2"'
check "... and r-live's entry and reservation are gone" eval \
	'[ "$(pool_ids)" = "[\"no-podref\",\"r-deleting\",\"r-young\",\"r-young-stale\"]" ] && ! resv_ids | grep -q r-live'

# ---- a pool shared with whereabouts (namespace wb): its objects go through the API and the CRDs
# of deploy/crds.yaml as whereabouts writes them (v0.8 on: reservations with podref and ifname,
# no containerid; v0.7: containerid; pool entries keyed by offset with id, podref, ifname)
k8s_kubeconfig "$T/wb.kubeconfig" "$TOK" wb
CW=$(jq -nc --arg k "$T/wb.kubeconfig" '{cniVersion:"1.0.0",name:"rdma",type:"rdmanet",
	ipam:{type:"rdmanet-ipam",range:"10.92.0.0/27",kubernetes:{kubeconfig:$k}}}')
WNSP=/apis/whereabouts.cni.cncf.io/v1alpha1/namespaces/wb
wapi() { # METHOD PATH [JSON]: the reconciler's token, like whereabouts' service account
	curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $TOK" -H "Content-Type: application/json" \
		-X "$1" ${3:+--data-binary "$3"} "https://127.0.0.1:$PORT$2"
}
wdump() { # JQ over the store's wb objects: .pool (allocations) and .resv (name -> spec)
	curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $ADMIN" "https://127.0.0.1:$PORT/_test/dump" |
		jq -c '{pool: ([.objects.ippools[] | select(.metadata.namespace == "wb")][0].spec.allocations),
			resv: ([.objects.overlappingrangeipreservations[] | select(.metadata.namespace == "wb") |
				{key: .metadata.name, value: .spec}] | from_entries)} | '"$1"
}
wb_entry() { jq -nc --arg i "$1" --arg p "$2" '{id:$i,podref:$p,ifname:"net1"}'; }
# whereabouts was there first: its pool, then rdmanet-ipam's ADDs into it
jq -nc --argjson a "{
	\"20\": $(wb_entry wbc-live default/wb-live), \"21\": $(wb_entry wbc-gone default/wb-gone),
	\"22\": $(wb_entry wbc-deleted default/wb-deleted), \"23\": $(wb_entry wbc-stale default/wb-stale),
	\"24\": $(wb_entry wbc-nostatus default/wb-nostatus), \"25\": {\"id\": \"wbc-v07\"}}" \
	'{apiVersion:"whereabouts.cni.cncf.io/v1alpha1",kind:"IPPool",metadata:{name:"10.92.0.0-27"},
	  spec:{range:"10.92.0.0/27",allocations:$a}}' >"$T/wbpool.json"
wapi POST "$WNSP/ippools" "$(cat "$T/wbpool.json")" | jq -e '.spec.allocations["25"]' >/dev/null ||
	die "setup" "the API refused whereabouts' pool"
wb_resv() { # NAME SPEC-JSON
	local got
	got=$(wapi POST "$WNSP/overlappingrangeipreservations" "$(jq -nc --arg n "$1" --argjson s "$2" \
		'{apiVersion:"whereabouts.cni.cncf.io/v1alpha1",kind:"OverlappingRangeIPReservation",
		  metadata:{name:$n},spec:$s}')")
	jq -e '.metadata.uid' >/dev/null <<<"$got" ||
		die "setup" "the API refused whereabouts' reservation $1: $got"
}
for p in 20:live 21:gone 22:deleted 23:stale 24:nostatus; do
	wb_resv "10.92.0.${p%%:*}" "{\"podref\":\"default/wb-${p#*:}\",\"ifname\":\"net1\"}"
done
wb_resv 10.92.0.25 '{"containerid":"wbc-v07","podref":"default/wb-v07"}'
wb_resv 10.92.0.26 '{"podref":"default/wb-resonly","ifname":"net1"}'
# named "ab-" + an IPv6 address: read as ab:fd00::5 and as fd00::5 (both asked about)
wb_resv ab-fd00--5 '{"podref":"default/wb-v6","ifname":"net2"}'
wb_resv ab-fd00--9 '{"podref":"default/wb-v6","ifname":"net3"}'
wb_resv 10.92.0.28 '{"ifname":"net1"}'
for c in w-ours-live w-ours-gone; do
	cni_env "$CW" CNI_COMMAND=ADD CNI_CONTAINERID="$c" CNI_NETNS=/run/netns/none CNI_IFNAME=net1 \
		CNI_PATH=/x CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=pod-$c"
	[ "$RC" = 0 ] || die "setup" "ADD $c: $(why_out)"
	printf -v "IP_${c//-/_}" '%s' "$(jq -r '.ips[0].address' <<<"$OUT" | cut -d/ -f1)"
done
put_pod pod-w-ours-live ".metadata.creationTimestamp=\"$OLD\" |
	.metadata.annotations={\"k8s.v1.cni.cncf.io/network-status\": $(status_ann "$IP_w_ours_live")}"
put_pod wb-live ".metadata.creationTimestamp=\"$OLD\" |
	.metadata.annotations={\"k8s.v1.cni.cncf.io/network-status\": $(status_ann 10.92.0.20)}"
put_pod wb-deleted ".metadata.creationTimestamp=\"$OLD\" | .metadata.deletionTimestamp=\"2020-01-01T00:05:00Z\""
put_pod wb-stale ".metadata.creationTimestamp=\"$OLD\" |
	.metadata.annotations={\"k8s.v1.cni.cncf.io/network-status\": $(status_ann 10.92.0.99)}"
put_pod wb-nostatus ".metadata.creationTimestamp=\"$OLD\""
put_pod wb-resonly ".metadata.creationTimestamp=\"$OLD\" |
	.metadata.annotations={\"k8s.v1.cni.cncf.io/network-status\": $(status_ann 10.92.0.26)}"
put_pod wb-v6 ".metadata.creationTimestamp=\"$OLD\" |
	.metadata.annotations={\"k8s.v1.cni.cncf.io/network-status\": $(status_ann fd00::5/64)}"
check "setup (wb): 8 pool entries (2 ours, 6 whereabouts'), 12 reservations (2 ours)" eval \
	'[ "$(wdump ".pool | length")" = 8 ] && [ "$(wdump ".resv | length")" = 12 ]'

reconcile --kubeconfig "$T/kubeconfig" --namespace wb --dry-run
check "whereabouts' fresh reservations are young: none would go, the one naming nobody is counted" \
	summary 1 8 4 0 4 yes 1
check "... and the one naming nobody is reported" eval \
	'grep -q "keep reservation .10.92.0.28.: it names neither a container nor a pod" <<<"$ERRLOG"'
reconcile --kubeconfig "$T/kubeconfig" --namespace wb --grace 0
check "--grace 0: 4 entries released, 4 of whereabouts' reservations deleted, 1 kept unowned" \
	summary 1 8 4 4 4 no 1
check "... the pool keeps ours and whereabouts' entries of live pods (and the podref-less v0.7 one)" \
	test "$(wdump '.pool | to_entries | map(.value.id) | sort')" = '["w-ours-live","wbc-live","wbc-nostatus","wbc-v07"]'
check "... whereabouts' reservations of live pods stay untouched, the gone, deleted and stale go" \
	test "$(wdump '.resv | keys')" = "$(jq -nc --arg o "$IP_w_ours_live" '[$o, "10.92.0.20", "10.92.0.24",
		"10.92.0.25", "10.92.0.26", "10.92.0.28", "ab-fd00--5"] | sort')"
check "... kept as whereabouts wrote them (no containerid added)" \
	test "$(wdump '[.resv["10.92.0.20"], .resv["ab-fd00--5"], .resv["10.92.0.28"]]')" = \
	'[{"podref":"default/wb-live","ifname":"net1"},{"podref":"default/wb-v6","ifname":"net2"},{"ifname":"net1"}]'
check "... each deletion logged with its pod and why" eval \
	'grep -q "delete reservation .10.92.0.21. of pod .default/wb-gone. (no containerid.*does not exist" <<<"$ERRLOG" &&
	 grep -q "delete reservation .ab-fd00--9. of pod .default/wb-v6.*does not list" <<<"$ERRLOG"'
reconcile --kubeconfig "$T/kubeconfig" --namespace wb --grace 0
check "a second run (wb): nothing more to do, the unowned reservation still reported" \
	summary 1 4 0 0 4 no 1
# an IPPool of whereabouts' Fast IPAM (node slices): <network>-<node>-<range>
NSPOOL=/apis/whereabouts.cni.cncf.io/v1alpha1/namespaces/apps/ippools
wapi POST "$NSPOOL" "$(jq -nc --argjson a "{\"3\": $(wb_entry wbc-ns1 default/wb-nostatus),
	\"4\": $(wb_entry wbc-ns2 default/wb-gone)}" '{apiVersion:"whereabouts.cni.cncf.io/v1alpha1",
	kind:"IPPool",metadata:{name:"storage-node-1-10.93.0.0-28"},spec:{range:"10.93.0.0/28",allocations:$a}}')" |
	jq -e .metadata.uid >/dev/null || die "setup" "the API refused a node slice IPPool"
reconcile --kubeconfig "$T/kubeconfig" --namespace apps --grace 0
check "a node slice IPPool: its entries are judged by pod too (1 released, 1 kept)" summary 1 2 1 0 1 no
check "... the gone pod's entry is removed from that pool" test \
	"$(api "$NSPOOL/storage-node-1-10.93.0.0-28" | jq -c '[.spec.allocations[].id]')" = '["wbc-ns1"]'

# ---- API failures: exit 1, the URL and the status, never the token
reconcile --kubeconfig "$T/wrong.kubeconfig"
check "a refused token: exit 1, no summary" eval '[ "$RC" = 1 ] && [ -z "$OUT" ]'
check "... the message names the URL and the status" eval \
	'grep -q "cannot list IPPools.*https://127.0.0.1:$PORT/apis/whereabouts.cni.cncf.io/.*401" <<<"$ERRLOG"'
check "... and never the token" eval '! grep -qF "$TOK_WRONG" <<<"$OUT$ERRLOG"'
admin /_test/faults '{"status":500,"count":1,"match":"/api/v1/pods"}' >/dev/null
reconcile --kubeconfig "$T/kubeconfig"
check "the pod list failing with 500: exit 1 naming it" eval \
	'[ "$RC" = 1 ] && grep -q "cannot list pods.*/api/v1/pods.*500" <<<"$ERRLOG"'
reconcile --kubeconfig "$T/kubeconfig" --grace -1
check "a bad --grace: usage error" test "$RC" = 2
reconcile --kubeconfig "$T/kubeconfig" extra
check "a stray argument: usage error" test "$RC" = 2

# ---- --interval: a failing pass does not stop it; SIGTERM does, cleanly
admin /_test/faults '{"status":503,"count":1,"match":"ippools"}' >/dev/null
"$IPAM" reconcile --kubeconfig "$T/kubeconfig" --interval 1 >"$T/loop.out" 2>"$T/loop.err" &
loop=$!
for _ in $(seq 50); do [ "$(grep -c '^reconcile: ' "$T/loop.out")" -ge 2 ] && break; sleep 0.1; done
kill -TERM "$loop"
t0=$(date +%s%N)
wait "$loop"
rc=$? ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "--interval 1: the first pass fails (503) and is logged" grep -q "cannot list IPPools.*503" "$T/loop.err"
check "... later passes run and print their summary" test "$(grep -c '^reconcile: pools=1 ' "$T/loop.out")" -ge 2
check "... SIGTERM stops it with exit 0 within a second ($ms ms)" eval '[ "$rc" = 0 ] && [ "$ms" -lt 1000 ]'
check "... and says so" grep -q "stopping on signal" "$T/loop.err"
finish
