#!/bin/bash
# test_kill.sh - a crash at any step of ADD leaves nothing that DEL, GC or `rdmanet-ipam
# reconcile` cannot clean. rdmanet is SIGKILLed (RDMANET_TEST_KILL_STEP, no rollback at all) at
# each step of ADD, macvlan and hostdev, with host-local and with rdmanet-ipam against the test
# API server; then the runtime's DEL (or GC with no valid attachments after the sandbox is gone)
# must leave no link of ours in the pod or on the host (hostdev: the device back under its name),
# no host-local file, no IPPool entry or reservation for the container, no state file. Then
# rdmanet-ipam itself is killed between its steps (reservation made, pool not yet patched; pool
# patched, no answer; DEL with the pool entry gone but the reservation not) and DEL / reconcile
# converge.
. "$(dirname "$0")/lib.sh"
testhooks || { skip "every check of this script needs the fault hooks" "$NOHOOKS"; finish; }
integ_setup "$@"
integ_ipam
BDIR=${IPAM%/*}
STATE=/var/lib/cni/rdmanet

ADMIN=admin-5d1c9e0a7b3f4e2d8c6a
TOK=ipam-7e1d2c3b4a5f60718293
cat >"$T/tokens.json" <<EOF
{"$TOK": {"user": "system:serviceaccount:kube-system:rdmanet",
          "allow": ["*:ippools", "*:overlappingrangeipreservations", "get:pods", "list:pods"]}}
EOF
integ_apiserver "$ADMIN"
k8s_kubeconfig "$T/kubeconfig" "$TOK" kube-system
api() { curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $TOK" "https://127.0.0.1:$PORT$1"; }
NSP=/apis/whereabouts.cni.cncf.io/v1alpha1/namespaces/kube-system
KPOOL=10.66.0.0-24
# store_of CID: the IPPool entries and reservations that name CID, as "pool=N resv=N"
store_of() {
	echo "pool=$(api "$NSP/ippools" | jq --arg c "$1" '[.items[].spec.allocations // {} | .[] | select(.id == $c)] | length') resv=$(api "$NSP/overlappingrangeipreservations" | jq --arg c "$1" '[.items[] | select(.spec.containerid == $c)] | length')"
}

mk_master k0 || die "create veth master k0"
mk_master h0 || die "create veth h0"
ip link set h0 mtu 1500
H0_MAC=$(lq "" h0 .address)
hl() { conf_hl 1.0.0 "$1" 10.65.0.0/24 "${2:-.}"; }
k8s() {
	jq -nc --arg m "$1" --arg k "$T/kubeconfig" --arg log "$T/rdmanet.log" --arg ilog "$T/ipam.log" \
		"{cniVersion:\"1.1.0\",name:\"$NET\",type:\"rdmanet\",master:\$m,logFile:\$log,logLevel:\"debug\",
		  ipam:{type:\"rdmanet-ipam\",range:\"10.66.0.0/24\",routes:[{dst:\"10.250.0.0/16\"}],
		        kubernetes:{kubeconfig:\$k},log_file:\$ilog,log_level:\"debug\",
		        release_quiet_seconds:0}} | ${2:-.}"
}
XPATH="CNI_PATH=$BDIR:$CNI_BIN"
# each container its own pod (one pod name would make a later ADD take the earlier one's address,
# as a re-created StatefulSet pod does)
kcni() { cni "$@" "$XPATH" "CNI_ARGS=IgnoreUnknown=true;K8S_POD_NAMESPACE=default;K8S_POD_NAME=pod-$2"; }

# clean CID NS IFNAME HOSTDEV: the converged state after a killed ADD and its DEL/GC
clean() {
	local cid=$1 ns=$2 ifn=$3 hd=$4 st
	if [ -e "/run/netns/$ns" ] && [ -n "$(pod_links "$ns")" ]; then WHY="pod $ns still has: $(pod_links "$ns" | tr '\n' ' ')"; return 1; fi
	if [ -n "$(host_ours)" ]; then WHY="links of ours on the host: $(host_ours | tr '\n' ' ')"; return 1; fi
	if [ "$hd" = 1 ] && [ "$(lq "" h0 '"\(.address) \(.mtu) \(.ifalias // "")"')" != "$H0_MAC 1500 " ]; then
		WHY="h0 not back as it was: $(link_j "" h0 | cut -c1-200)"; return 1
	fi
	if [ -n "$(allocs)" ]; then WHY="host-local files left: $(allocs | tr '\n' ' ')"; return 1; fi
	st=$(store_of "$cid")
	if [ "$st" != "pool=0 resv=0" ]; then WHY="API store still holds $cid: $st"; return 1; fi
	if [ -e "$STATE/$cid-$ifn.json" ]; then WHY="state file $STATE/$cid-$ifn.json left"; return 1; fi
	return 0
}

# killed ADD at STEP, then DEL: ipam is hl or k8s, kind macvlan or hostdev
n=0
for kind in macvlan hostdev; do
	if [ $kind = macvlan ]; then
		steps="create alias sysctl ipam addr up route rule dad result"
		master=k0 jqx='.'
	else
		steps="state move sysctl ipam addr up route rule dad result"
		master=h0 jqx='.link="hostdev"'
	fi
	for ipam in hl k8s; do
		conf=$($ipam $master "$jqx")
		for step in $steps; do
			n=$((n + 1)); cid=kill-$n ns=kp$n
			mk_ns $ns || die "netns $ns"
			t0=$SECONDS
			kcni ADD $cid "$(nsp $ns)" net1 "$conf" RDMANET_TEST_KILL_STEP=$step
			check "$kind/$ipam killed at '$step': ADD died of SIGKILL with no output" \
				eval '[ "$RC" = 137 ] && [ -z "$OUT" ] || { WHY=$(why_out); false; }'
			# what the crash left (informative): a link in the pod? an allocation?
			left="pod=[$(pod_links $ns | tr '\n' ' ')] $(store_of $cid) hl=$(allocs | wc -l) state=$([ -e "$STATE/$cid-net1.json" ] && echo yes || echo no)"
			echo "# left by the kill: $left"
			kcni DEL $cid "$(nsp $ns)" net1 "$conf"
			check "$kind/$ipam killed at '$step': DEL succeeds" succeeded_quietly
			check "$kind/$ipam killed at '$step': nothing left after DEL" clean $cid $ns net1 $([ $kind = hostdev ] && echo 1 || echo 0)
			kcni DEL $cid "$(nsp $ns)" net1 "$conf"
			check "$kind/$ipam killed at '$step': DEL again succeeds" succeeded_quietly
			ip netns del $ns
		done
	done
done

# ---- GC after the sandbox is gone (no DEL ever): rdmanet-ipam releases what no valid attachment names
conf=$(k8s k0)
for step in addr route result; do
	n=$((n + 1)); cid=kill-$n ns=kp$n
	mk_ns $ns || die "netns $ns"
	kcni ADD $cid "$(nsp $ns)" net1 "$conf" RDMANET_TEST_KILL_STEP=$step
	check "GC case: killed at '$step' with an address recorded" \
		eval '[ "$RC" = 137 ] && [ "$(store_of $cid)" = "pool=1 resv=1" ] || { WHY="rc=$RC $(store_of $cid)"; false; }'
	ip netns del $ns
	cni GC "" "" "" "$(jq -c '.["cni.dev/valid-attachments"]=[]' <<<"$conf")" "$XPATH"
	check "GC case '$step': GC with no valid attachments succeeds" succeeded_quietly
	check "GC case '$step': nothing left (link gone with the netns, store clean)" clean $cid $ns net1 0
done
# GC keeps a valid attachment that a killed ADD's neighbour holds
mk_ns gk || die "netns gk"
kcni ADD keep-1 "$(nsp gk)" net1 "$conf"
check "GC case: a live attachment keep-1" succeeded
n=$((n + 1)); mk_ns kp$n
kcni ADD kill-$n "$(nsp kp$n)" net1 "$conf" RDMANET_TEST_KILL_STEP=route
ip netns del kp$n
cni GC "" "" "" "$(jq -c '.["cni.dev/valid-attachments"]=[{containerID:"keep-1",ifname:"net1"}]' <<<"$conf")" "$XPATH"
check "GC with keep-1 valid: the killed ADD's address goes, keep-1's stays" \
	eval '[ "$(store_of kill-$n)" = "pool=0 resv=0" ] && [ "$(store_of keep-1)" = "pool=1 resv=1" ] || { WHY="kill: $(store_of kill-$n) keep: $(store_of keep-1) $(why_out)"; false; }'
kcni DEL keep-1 "$(nsp gk)" net1 "$conf"
check "DEL keep-1" eval 'succeeded_quietly && clean keep-1 gk net1 0'

# ---- rdmanet-ipam itself killed between its steps (invoked as rdmanet delegates to it)
IC=$conf	# rdmanet hands the IPAM its whole network config
ipam_run() { # CMD CID [VAR=VALUE...]
	local cmd=$1 cid=$2; shift 2
	local saved=$PLUGIN; PLUGIN=$IPAM
	cni_env "$IC" CNI_COMMAND="$cmd" CNI_CONTAINERID="$cid" CNI_NETNS=/run/netns/none CNI_IFNAME=net1 \
		CNI_PATH=/x "CNI_ARGS=K8S_POD_NAMESPACE=default;K8S_POD_NAME=pod-$cid" "$@"
	PLUGIN=$saved
}
reconcile() { OUT=$("$IPAM" reconcile --kubeconfig "$T/kubeconfig" "$@" 2>"$T/stderr"); RC=$?; ERRLOG=$(cat "$T/stderr"); }

# killed after the reservation, before the pool patch: a reservation without a pool entry
ipam_run ADD ik-1 RDMANET_TEST_KILL_STEP=ipam-reserved
check "rdmanet-ipam killed after the reservation: a reservation, no pool entry" \
	eval '[ "$RC" = 137 ] && [ "$(store_of ik-1)" = "pool=0 resv=1" ] || { WHY="rc=$RC $(store_of ik-1)"; false; }'
ipam_run DEL ik-1
check "... DEL succeeds" succeeded_quietly
echo "# after DEL: $(store_of ik-1) (DEL reads the pool only; README: reconcile removes it)"
reconcile --grace 0
check "... reconcile --grace 0 succeeds, counting one orphan reservation" \
	eval '[ "$RC" = 0 ] && grep -q "orphan-reservations=1" <<<"$OUT" || { WHY="rc=$RC out=$OUT err=$(tail -2 <<<"$ERRLOG")"; false; }'
check "... and the store is clean" eval '[ "$(store_of ik-1)" = "pool=0 resv=0" ] || { WHY=$(store_of ik-1); false; }'

# the same, but the runtime retries ADD before anything else: it gets an address and converges
ipam_run ADD ik-2 RDMANET_TEST_KILL_STEP=ipam-reserved
ipam_run ADD ik-2
check "killed after the reservation, ADD retried: succeeds" succeeded '.ips[0].address|test("^10\\.66\\.0\\.")'
A2=$(jq -r '.ips[0].address' <<<"$OUT" | cut -d/ -f1)
echo "# after the retried ADD: $(store_of ik-2)"
ipam_run DEL ik-2
check "... DEL succeeds" succeeded_quietly
reconcile --grace 0
check "... DEL + reconcile leave nothing of ik-2" eval '[ "$(store_of ik-2)" = "pool=0 resv=0" ] || { WHY=$(store_of ik-2); false; }'

# killed after the pool patch, before answering: entry and reservation, DEL removes both
ipam_run ADD ik-3 RDMANET_TEST_KILL_STEP=ipam-recorded
check "rdmanet-ipam killed after the pool patch: entry and reservation" \
	eval '[ "$RC" = 137 ] && [ "$(store_of ik-3)" = "pool=1 resv=1" ] || { WHY="rc=$RC $(store_of ik-3)"; false; }'
ipam_run DEL ik-3
check "... DEL removes both" eval 'succeeded_quietly && [ "$(store_of ik-3)" = "pool=0 resv=0" ] || { WHY="$(why_out) $(store_of ik-3)"; false; }'

# DEL killed between the pool patch and the reservation delete, then DEL retried as a runtime
# does: with prevResult (the cached result of the ADD), its addresses name the reservation left
# behind and the retried DEL deletes it; without prevResult only reconcile can find it
ipam_run ADD ik-4
check "ADD ik-4" succeeded
PREV4=$OUT
ipam_run DEL ik-4 RDMANET_TEST_KILL_STEP=ipam-released
check "DEL killed after the pool patch: the reservation is left alone" \
	eval '[ "$RC" = 137 ] && [ "$(store_of ik-4)" = "pool=0 resv=1" ] || { WHY="rc=$RC $(store_of ik-4)"; false; }'
IC=$(jq -c --argjson r "$PREV4" '. + {prevResult: $r}' <<<"$conf")
ipam_run DEL ik-4
IC=$conf
check "... DEL retried with prevResult succeeds and deletes the reservation" \
	eval 'succeeded_quietly && [ "$(store_of ik-4)" = "pool=0 resv=0" ] || { WHY="$(why_out) $(store_of ik-4)"; false; }'
ipam_run ADD ik-6
check "ADD ik-6" succeeded
PREV6=$OUT
A6=$(jq -r '.ips[0].address' <<<"$PREV6" | cut -d/ -f1)
ipam_run DEL ik-6 RDMANET_TEST_KILL_STEP=ipam-released
check "the same kill for ik-6" eval '[ "$RC" = 137 ] && [ "$(store_of ik-6)" = "pool=0 resv=1" ] || { WHY="rc=$RC $(store_of ik-6)"; false; }'
ipam_run DEL ik-6
check "... DEL retried without prevResult succeeds; the reservation stays for reconcile" \
	eval 'succeeded_quietly && [ "$(store_of ik-6)" = "pool=0 resv=1" ] || { WHY="$(why_out) $(store_of ik-6)"; false; }'
# meanwhile another container holds that reservation: ik-6's prevResult must not take it
curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $TOK" -X PATCH \
	-H 'Content-Type: application/merge-patch+json' -d '{"spec":{"containerid":"ik-other"}}' \
	"https://127.0.0.1:$PORT$NSP/overlappingrangeipreservations/$A6" >/dev/null
IC=$(jq -c --argjson r "$PREV6" '. + {prevResult: $r}' <<<"$conf")
ipam_run DEL ik-6
IC=$conf
check "... DEL with prevResult leaves another container's reservation of $A6 alone" \
	eval 'succeeded_quietly && [ "$(store_of ik-other)" = "pool=0 resv=1" ] || { WHY="$(why_out) $(store_of ik-other)"; false; }'
reconcile --grace 0
check "... and reconcile deletes that orphan" eval '[ "$(store_of ik-other)$(store_of ik-6)" = "pool=0 resv=0pool=0 resv=0" ] || { WHY="$(store_of ik-other) $(store_of ik-6)"; false; }'

# the reverse: a pool entry whose reservation is gone (deleted behind our back); DEL converges,
# and an ADD retried meanwhile re-claims it
ipam_run ADD ik-5
A5=$(jq -r '.ips[0].address' <<<"$OUT" | cut -d/ -f1)
curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $TOK" -X DELETE \
	"https://127.0.0.1:$PORT$NSP/overlappingrangeipreservations/$A5" >/dev/null
check "a pool entry without its reservation" eval '[ "$(store_of ik-5)" = "pool=1 resv=0" ] || { WHY=$(store_of ik-5); false; }'
ipam_run ADD ik-5
check "... ADD again returns the same address and re-claims it" \
	eval 'succeeded ".ips[0].address == \"$A5/24\"" && [ "$(store_of ik-5)" = "pool=1 resv=1" ] || { WHY="$WHY $(store_of ik-5)"; false; }'
curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $TOK" -X DELETE \
	"https://127.0.0.1:$PORT$NSP/overlappingrangeipreservations/$A5" >/dev/null
ipam_run DEL ik-5
check "... DEL of an entry without reservation cleans it" \
	eval 'succeeded_quietly && [ "$(store_of ik-5)" = "pool=0 resv=0" ] || { WHY="$(why_out) $(store_of ik-5)"; false; }'

check "nothing of ours anywhere at the end" eval \
	'[ -z "$(host_ours)$(allocs)" ] && [ "$(api "$NSP/overlappingrangeipreservations" | jq ".items|length")" = 0 ] && [ -z "$(ls -A $STATE 2>/dev/null)" ] || { WHY="host=$(host_ours) hl=$(allocs) resv=$(api "$NSP/overlappingrangeipreservations" | jq -c "[.items[].metadata.name]") state=$(ls -A $STATE 2>/dev/null)"; false; }'
finish
