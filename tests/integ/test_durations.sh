#!/bin/bash
# test_durations.sh - the end-of-call record both plugins write to their log file: one logfmt
# line per CNI call with the command, result and CNI code, wall ms, network, container and
# ifname; rdmanet's delegated IPAM time, rdmanet-ipam's API round trips against the test API
# server's own request count (and the slowest one, made slow on purpose). Successes, failures
# (a missing IPAM plugin; a forced step failure in the sanitizer build) and their codes match
# what the runtime got; the record stays out of stderr at the default level.
. "$(dirname "$0")/lib.sh"
integ_setup "$@"
integ_ipam

LOG=$T/rdmanet.log
# A record as one JSON object (the operator guide's conversion): numbers for the numeric keys.
TOJSON='sub("^.*?: call "; "") | [scan("([a-z_]+)=(\"(?:[^\"\\\\]|\\\\.)*\"|[^ ]*)")]
	| map({key: .[0], value: (.[1] | if startswith("\"") then fromjson else . end)})
	| from_entries
	| with_entries(if (.key | test("(^|_)(ms|code|runs|calls|conflicts)$"))
		then .value |= tonumber else . end)'
# records FILE: every record of FILE, one JSON object a line.
records() { grep -a ': call cmd=' "$1" | jq -c -R "$TOJSON"; }
# last FILE: the last record of FILE as JSON (REC), "" when none.
last() { REC=$(records "$1" | tail -n 1); }
# rec [JQ-OPTION...] JQ: the last record satisfies JQ.
rec() { WHY="record $REC fails ${!#}"; [ -n "$REC" ] && jq -e "$@" <<<"$REC" >/dev/null 2>&1; }
# plausible: ms is a number in (0, 60000) with sub-ms precision in the text.
PLAUSIBLE='(.ms|type) == "number" and .ms > 0 and .ms < 60000'

mk_master m0 || die "create veth master m0"
mk_ns p1

# ---- rdmanet with host-local at the default log level (warn)
c=$(conf_hl 1.0.0 m0 10.31.0.0/24 'del(.logLevel)')
cni ADD dur-a "$(nsp p1)" net1 "$c"
check "ADD succeeds" succeeded
R=$OUT
last "$LOG"
check "ADD: a record with cmd, result ok, code 0" rec '.cmd == "ADD" and .result == "ok" and .code == 0'
check "ADD: network, full container id and ifname" \
	rec '.network == "integ" and .container == "dur-a" and .ifname == "net1"'
check "ADD: wall ms plausible" rec "$PLAUSIBLE"
check "ADD: ms written with sub-ms precision" grep -qE ': call cmd=ADD .* ms=[0-9]+\.[0-9]{3} ' "$LOG"
check "ADD: the IPAM ran once, its time within the call's" \
	rec '.ipam_runs == 1 and .ipam_ms > 0 and .ms >= .ipam_ms'
check "ADD: labelled info, the line carries the context" \
	grep -qE '^[0-9T:.-]+Z rdmanet\[[0-9]+\] info cid=dur-a ifname=net1: call cmd=ADD ' "$LOG"
check "default level: the record is not on stderr" eval '! grep -q ": call " <<<"$ERRLOG"'

cni CHECK dur-a "$(nsp p1)" net1 "$(with_prev "$c" "$R")"
check "CHECK succeeds" succeeded_quietly
last "$LOG"
check "CHECK: a record, result ok" rec ".cmd == \"CHECK\" and .result == \"ok\" and .code == 0 and $PLAUSIBLE"

cni DEL dur-a "$(nsp p1)" net1 "$c"
check "DEL succeeds" succeeded_quietly
last "$LOG"
check "DEL: a record, result ok, the IPAM's DEL timed" \
	rec ".cmd == \"DEL\" and .result == \"ok\" and .ipam_runs == 1 and .ms >= .ipam_ms and $PLAUSIBLE"

# ---- failures: the record has the code and message the runtime got
cni ADD dur-b "$(nsp p1)" net1 "$(conf_hl 1.0.0 m0 10.31.0.0/24 '.ipam.type="nosuch-ipam"')"
check "ADD with a missing IPAM plugin fails" eval '[ "$RC" = 1 ]'
code=$(jq -r .code <<<"$OUT") msg=$(jq -r .msg <<<"$OUT")
last "$LOG"
check "failure: result error with the runtime's code ($code) and message" \
	rec --argjson c "${code:-0}" --arg m "$msg" '.result == "error" and .code == $c and .msg == $m'
check "failure: container and wall ms" rec ".container == \"dur-b\" and $PLAUSIBLE"
check "failure: the record follows the error line" \
	eval 'tail -n 2 "$LOG" | head -n 1 | grep -q " error cid=dur-b "'

if testhooks; then
	cni ADD dur-c "$(nsp p1)" net1 "$c" RDMANET_TEST_FAIL_STEP=addr
	check "forced failure at step addr" failed_with 104
	last "$LOG"
	check "forced failure: code 104, result error, message" \
		rec '.result == "error" and .code == 104 and (.msg|test("cannot add address"))'
	check "forced failure: the rollback's IPAM DEL counted (2 runs), all within the call" \
		rec '.ipam_runs == 2 and .ms >= .ipam_ms'
else
	skip "forced failure at step addr" "$NOHOOKS"
fi

n_calls=$(grep -c ': call cmd=' "$LOG")
want=4
testhooks && want=5
check "one record per call ($want calls)" test "$n_calls" = "$want"

# ---- level error: the record still reaches the file (not stderr); level debug: stderr too
cni DEL dur-a "$(nsp p1)" net1 "$(conf_hl 1.0.0 m0 10.31.0.0/24 '.logLevel="error"')"
last "$LOG"
check "logLevel error: the record still in the file" rec '.cmd == "DEL" and .container == "dur-a"'
check "logLevel error: nothing on stderr" test -z "$ERRLOG"
cni DEL dur-a "$(nsp p1)" net1 "$(conf_hl 1.0.0 m0 10.31.0.0/24 '.logLevel="info"')"
check "logLevel info: the record on stderr too" grep -q ': call cmd=DEL result=ok ' <<<"$ERRLOG"
rm -f "$LOG"
cni DEL dur-a "$(nsp p1)" net1 "$(conf_hl 1.0.0 m0 10.31.0.0/24 'del(.logFile, .logLevel)')"
check "no logFile, default level: DEL is silent on stderr" test -z "$ERRLOG"

# ---- rdmanet-ipam: API round trips against the server's own count
ADMIN=admin-7d1f3e5a9b2c4d6e8f0a
TOK=ipam-6e5d4c3b2a1f09e8d7c6
TOK_WRONG=wrong-9a8b7c6d5e4f3a2b1c0d
cat >"$T/tokens.json" <<EOF
{"$TOK": {"user": "system:serviceaccount:kube-system:rdmanet", "allow": ["*:ippools", "*:overlappingrangeipreservations"]}}
EOF
integ_apiserver "$ADMIN"
k8s_kubeconfig "$T/kubeconfig" "$TOK" kube-system
k8s_kubeconfig "$T/wrong.kubeconfig" "$TOK_WRONG" kube-system
admin() {
	curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $ADMIN" -X POST -d "$2" \
		"https://127.0.0.1:$PORT$1"
}
served() { admin /_test/stats '{}' | jq -r .requests_total; }
ILOG=$T/ipam.log
ipam_conf() {
	jq -nc --arg k "$T/kubeconfig" --arg log "$ILOG" \
		"{cniVersion:\"1.0.0\",name:\"rdma\",type:\"rdmanet\",master:\"x0\",
		  ipam:{type:\"rdmanet-ipam\",range:\"10.78.0.0/28\",kubernetes:{kubeconfig:\$k},
		        log_file:\$log}} | ${1:-.}"
}
ipam() {
	local p=$PLUGIN
	PLUGIN=$IPAM
	cni_env "$2" CNI_COMMAND="$1" CNI_CONTAINERID="$3" CNI_NETNS=/run/netns/none \
		CNI_IFNAME=net1 CNI_PATH="$ROOT/$BUILD" \
		CNI_ARGS="IgnoreUnknown=true;K8S_POD_NAMESPACE=default;K8S_POD_NAME=pod-$3"
	PLUGIN=$p
}
IC=$(ipam_conf)

before=$(served)
ipam ADD "$IC" ipam-a
check "rdmanet-ipam ADD succeeds" succeeded
after=$(served)
last "$ILOG"
check "ipam ADD: a record, result ok, network and container" \
	rec '.cmd == "ADD" and .result == "ok" and .network == "rdma" and .container == "ipam-a"'
check "ipam ADD: api_calls equals the server's count ($((after - before)))" \
	rec --argjson n "$((after - before))" '.api_calls == $n and .api_calls > 0'
check "ipam ADD: api_ms within the call, the slowest within api_ms" \
	rec ".api_ms > 0 and .api_ms <= .ms and .api_max_ms <= .api_ms and $PLAUSIBLE"
check "ipam ADD: the slowest request named by verb and path" \
	rec '.api_max|test("^(GET|PUT|POST|PATCH|DELETE) /apis/whereabouts.cni.cncf.io/")'
check "ipam ADD: no conflicts counted" rec '.conflicts == 0'
check "ipam: default level, the record is not on stderr" eval '! grep -q ": call " <<<"$ERRLOG"'

# one slow GET of the pool: it is the slowest, and at least that slow
admin /_test/faults '{"match":"/ippools/","method":"GET","delay_ms":400,"count":1}' >/dev/null
before=$(served)
ipam ADD "$IC" ipam-b
check "ipam ADD with a slow GET succeeds" succeeded
after=$(served)
last "$ILOG"
check "slow GET: the slowest request is that GET, >= 400 ms" \
	rec '.api_max_ms >= 400 and (.api_max|test("^GET /apis/.*/ippools/"))'
check "slow GET: api_calls equals the server's count" \
	rec --argjson n "$((after - before))" '.api_calls == $n'
check "slow GET: the call took at least as long" rec '.ms >= .api_ms and .api_ms >= .api_max_ms'

before=$(served)
ipam DEL "$IC" ipam-a
check "rdmanet-ipam DEL succeeds" succeeded_quietly
after=$(served)
last "$ILOG"
check "ipam DEL: a record with the server's count" \
	rec --argjson n "$((after - before))" '.cmd == "DEL" and .result == "ok" and .api_calls == $n'

ipam ADD "$(ipam_conf ".ipam.kubernetes.kubeconfig=\"$T/wrong.kubeconfig\"")" ipam-c
check "ipam ADD with a refused token fails" eval '[ "$RC" = 1 ]'
code=$(jq -r .code <<<"$OUT")
last "$ILOG"
check "ipam failure: result error, the runtime's code ($code), the request counted" \
	rec --argjson c "${code:-0}" '.result == "error" and .code == $c and .api_calls >= 1'
check "ipam records carry no token" eval '! grep -qE "$TOK|$TOK_WRONG" "$ILOG"'

finish
