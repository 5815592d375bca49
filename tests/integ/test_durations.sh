#!/bin/bash
# test_durations.sh - the end-of-call record both plugins write to their log file: one logfmt
# line per CNI call with the command, result and CNI code, wall ms, network, container and
# ifname; rdmanet's delegated IPAM time, rdmanet-ipam's API round trips against the test API
# server's own request count (and the slowest one, made slow on purpose). Successes, failures
# (a missing IPAM plugin; a forced step failure in the sanitizer build) and their codes match
# what the runtime got; the record stays out of stderr at the default level. Then `rdmanet
# doctor` on a CNI config folder whose conflist names both log files: calls, failures per code,
# the last ten failed calls (text and --json), a big log read from its tail only, missing and
# unreadable log files as findings.
. "$(dirname "$0")/lib.sh"
integ_setup "$@"
integ_ipam

LOG=$T/rdmanet.log
# records FILE: every record of FILE, one JSON object a line (the operator guide's converter).
records() { jq -c -R -f "$ROOT/scripts/rdmanet-calls.jq" "$1"; }
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
check "ADD: time and plugin from the line's prefix" \
	rec '.plugin == "rdmanet" and (.time|test("^[0-9-]+T[0-9:.]+Z$"))'
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

# ---- doctor: the node's recent failures, from the configs in a CNI config folder
DLOG=$T/doc.log
dconf() { conf_hl 1.0.0 m0 10.32.0.0/24 ".logFile=\"$DLOG\" | del(.logLevel) | ${1:-.}"; }
cni ADD doc-a "$(nsp p1)" net1 "$(dconf)"
cni DEL doc-a "$(nsp p1)" net1 "$(dconf)"
cni ADD doc-b "$(nsp p1)" net1 "$(dconf '.ipam.type="nosuch-ipam"')"
want_calls=3 want_fail=1 last_code=$(jq -r .code <<<"$OUT") last_cid=doc-b
if testhooks; then
	cni ADD doc-c "$(nsp p1)" net2 "$(dconf)" RDMANET_TEST_FAIL_STEP=addr
	want_calls=4 want_fail=2 last_code=104 last_cid=doc-c
fi
mkdir -p "$T/net.d" "$T/empty.d"
# a NAD-like conflist (rdmanet with rdmanet-ipam), another plugin's, junk, one too big
jq -n --arg l "$DLOG" --arg i "$ILOG" --arg k "$T/kubeconfig" '{cniVersion:"1.0.0",name:"rdma",
	plugins:[{type:"rdmanet",master:"m0",logFile:$l,ipam:{type:"rdmanet-ipam",
	range:"10.78.0.0/28",kubernetes:{kubeconfig:$k},log_file:$i}},{type:"tuning"}]}' \
	>"$T/net.d/10-rdma.conflist"
echo '{"cniVersion":"1.0.0","name":"other","type":"bridge","logFile":"/nonexistent"}' \
	>"$T/net.d/05-other.conf"
echo '{not json' >"$T/net.d/20-junk.conf"
{ printf '{"type":"rdmanet","logFile":"/big.log","x":"'; head -c 300000 /dev/zero | tr '\0' a
  printf '"}'; } >"$T/net.d/30-big.conf"
doc() { OUT=$("$PLUGIN" doctor "$@" 2>"$T/stderr"); RC=$?; ERRLOG=$(cat "$T/stderr"); }
json() { WHY="jq -e '${!#}' failed: ${OUT:0:600}"; jq -e "$@" <<<"$OUT" >/dev/null 2>&1; }
out_has() { WHY="stdout lacks /$1/: ${OUT:0:600}"; grep -qE -- "$1" <<<"$OUT"; }

doc --json --cni-conf-dir "$T/net.d"
check "doctor --json: runs (exit 0 or 1), nothing on stderr" \
	eval '[ "$RC" -le 1 ] && [ -z "$ERRLOG" ]'
check "doctor: the two log files of the conflist, nothing from the others" \
	json --arg l "$DLOG" --arg i "$ILOG" --arg s "$T/net.d/10-rdma.conflist" \
	'[.callLogs[] | [.path, .source]] == [[$l, "logFile of \($s)"], [$i, "ipam.log_file of \($s)"]]'
check "doctor: calls and failures of rdmanet's log ($want_calls, $want_fail)" \
	json --argjson c "$want_calls" --argjson f "$want_fail" \
	'.callLogs[0] | .readable and .calls == $c and .failures == $f and .bytesSkipped == 0'
check "doctor: failures per code" \
	json --argjson f "$want_fail" '.callLogs[0].failuresByCode | (.["103"] == 1) and ([.[]] | add) == $f'
check "doctor: the last failure with time, plugin, command, code, container, message" \
	json --argjson c "$last_code" --arg cid "$last_cid" '.callLogs[0].recentFailures[-1] |
		(.time|test("^[0-9-]+T[0-9:.]+Z$")) and .plugin == "rdmanet" and .cmd == "ADD" and
		.code == $c and .container == $cid and (.msg|length) > 0 and .result == "error"'
check "doctor: the window of the records read" \
	json '.callLogs[0] | (.from|test("Z$")) and (.to|test("Z$")) and .from <= .to'
check "doctor: rdmanet-ipam's refused token (108) from its log" \
	json '.callLogs[1] | .failuresByCode["108"] >= 1 and .recentFailures[-1].plugin == "rdmanet-ipam"'
check "doctor: a warning per log with failures" \
	json --arg l "$DLOG" '[.findings[] | select(.severity == "warn" and
		(.what|test("^[0-9]+ of [0-9]+ CNI calls logged in .* failed$")))] | length == 2'

doc --cni-conf-dir "$T/net.d"
check "doctor text: the log file and where it came from" \
	out_has "^CNI calls logged in $DLOG \\(logFile of $T/net.d/10-rdma.conflist\\):"
check "doctor text: calls, failures and codes" \
	out_has "^  $want_calls calls from [0-9T:.-]+Z to [0-9T:.-]+Z, $want_fail failed: .*code 103 x1"
check "doctor text: the last failure's line" \
	out_has "^    [0-9T:.-]+Z rdmanet ADD code $last_code container $last_cid ifname net[12]: "
check "doctor text: the finding" out_has "warn +$want_fail of $want_calls CNI calls logged in '$DLOG' since "

# at most 10 failures listed, all counted; only the tail of a big file is read
for i in $(seq 12); do cni ADD "many-$i" "$(nsp p1)" net1 "$(dconf '.ipam.type="nosuch-ipam"')"; done
doc --json --cni-conf-dir "$T/empty.d" --log-file "$DLOG"
check "doctor --log-file: 12 more failures counted, the last 10 listed, newest last" \
	json --argjson f "$((want_fail + 12))" '.callLogs[0] | .source == "--log-file" and
		.failures == $f and (.recentFailures|length) == 10 and
		.recentFailures[-1].container == "many-12" and .recentFailures[0].container == "many-3"'
BIG=$T/big.log
{ grep -a ': call cmd=ADD result=error' "$DLOG" | head -n 1 | sed 's/container=[^ ]*/container=old-one/'
  yes '2026-01-01T00:00:00.000Z rdmanet[1] warn cid=x ifname=y: filler filler filler filler' |
	head -c 1200000
  echo; grep -a ': call cmd=' "$DLOG" | tail -n 3; } >"$BIG"
doc --json --cni-conf-dir "$T/empty.d" --log-file "$BIG"
check "doctor: a big log read from its last MiB only, the old failure out of the window" \
	json '.callLogs[0] | .bytesRead == 1048576 and .bytesSkipped > 0 and .calls == 3 and
		all(.recentFailures[]; .container != "old-one")'

doc --json --cni-conf-dir "$T/empty.d" --log-file "$T/nosuch.log" --log-file "$T"
check "doctor: a missing log file is an info finding, the run goes on" \
	json --arg l "$T/nosuch.log" '(.callLogs[0] | .readable == false and .path == $l) and
		any(.findings[]; .severity == "info" and (.what|test("does not exist yet")))'
check "doctor: a log file that cannot be read is a warning" \
	json '.callLogs[1].readable == false and
		any(.findings[]; .severity == "warn" and (.what|test("^cannot read log file")))'
check "doctor: ... and the exit status is still that of the errors (no RDMA here: 1)" \
	eval '[ "$RC" = "$(jq -r "if .errors > 0 then 1 else 0 end" <<<"$OUT")" ]'
doc --json --cni-conf-dir "$T/empty.d"
check "doctor: no log configured is an info finding, callLogs empty" \
	json '.callLogs == [] and any(.findings[]; .severity == "info" and
		(.what|test("no rdmanet log file")))'
doc --log-file relative.log
check "doctor: --log-file needs an absolute path (usage error)" \
	eval '[ "$RC" = 2 ] && [ -z "$OUT" ] && grep -q "absolute path" <<<"$ERRLOG"'

finish
