#!/bin/bash
# test_metrics.sh - the reconciler's /metrics (`rdmanet-ipam reconcile --interval 1
# --metrics-port P`) against the test API server (tests/k8s/apiserver.py): scraped with curl and
# parsed by Debian's python3-prometheus-client text parser, every family with HELP and TYPE; pool
# size, allocated, free and resting addresses equal what the server stores for each pool; a
# leaked allocation and an orphan reservation counted as found and released; API requests by
# verb and status equal to what the server answered; a failing pass counted, its pools kept.
# Hostile clients: while one sends its request a byte every 0.5 s, scrapes answer at once and
# passes go on; a half-sent request that stalls is cut off after the idle timeout; a 1 MB header
# is refused (431), one address gets at most 8 connections,
# methods other than GET/HEAD get 405, other paths 404. Options are validated; a taken port fails.
. "$(dirname "$0")/lib.sh"
integ_setup "$@"
integ_ipam
command -v curl >/dev/null || die "setup" "curl missing"
# Debian's parser is in Debian's python3 (another python3 may come first in PATH)
for PYPROM in python3 /usr/bin/python3 ""; do
	[ -n "$PYPROM" ] && "$PYPROM" -c 'import prometheus_client.parser' 2>/dev/null && break
done
[ -n "$PYPROM" ] || die "setup" "python3-prometheus-client missing (scripts/deps.sh installs it)"

ADMIN=admin-5c8e1f3a7b2d9e4f6a1c
TOK=metrics-3f7a9c1e5b2d8f4a6c0e
cat >"$T/tokens.json" <<EOF
{"$TOK": {"user": "system:serviceaccount:kube-system:rdmanet-reconcile",
          "allow": ["*:ippools", "*:overlappingrangeipreservations", "get:pods", "list:pods",
                    "create:events"]}}
EOF
integ_apiserver "$ADMIN"
k8s_kubeconfig "$T/kubeconfig" "$TOK" kube-system
admin() { # PATH [JSON]: a test hook (not counted in the server's stats)
	curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $ADMIN" ${2:+-X POST -d "$2"} \
		"https://127.0.0.1:$PORT$1"
}
free_port() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::", 0)); print(s.getsockname()[1])'
}

# ---- the scene: two pools made by ADD, pods for all but one allocation, an old orphan reservation
PLUGIN=$IPAM
conf() { # RANGE [NETWORK_NAME]
	jq -nc --arg k "$T/kubeconfig" --arg r "$1" --arg n "${2:-}" '{cniVersion:"1.0.0",name:"rdma",
		type:"rdmanet",ipam:({type:"rdmanet-ipam",range:$r,kubernetes:{kubeconfig:$k}} +
		(if $n == "" then {} else {network_name:$n} end))}'
}
add() { # CONF CID: pod default/pod-CID; sets IP
	cni_env "$1" CNI_COMMAND=ADD CNI_CONTAINERID="$2" CNI_NETNS=/run/netns/none CNI_IFNAME=net1 \
		CNI_PATH=/x CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=pod-$2"
	[ "$RC" = 0 ] || die "setup" "ADD $2: $(why_out)"
	IP=$(jq -r '.ips[0].address' <<<"$OUT" | cut -d/ -f1)
}
OLD=2020-01-01T00:00:00Z
put_pod() { # NAME IP: a running pod default/NAME whose network-status lists IP
	local ann p
	ann=$(jq -nc --arg ip "$2" '[{name:"default/rdma",interface:"net1",ips:[$ip]}] | tostring')
	p=$(jq -nc --arg n "$1" --argjson a "$ann" '{metadata:{name:$n,namespace:"default",
		creationTimestamp:"'$OLD'",annotations:{"k8s.v1.cni.cncf.io/network-status":$a}},
		spec:{nodeName:"node-1",containers:[{name:"c",image:"i"}]}}')
	admin /_test/pods "{\"action\":\"put\",\"pod\":$p}" | jq -e .metadata.uid >/dev/null ||
		die "setup" "cannot plant pod $1"
}
CA=$(conf 10.90.0.0/27)
CB=$(conf 10.91.0.0/28 storage)
for c in a1 a2 a3; do add "$CA" "$c"; put_pod "pod-$c" "$IP"; done
add "$CA" gone			# its pod never existed: leaked
add "$CB" b1; put_pod pod-b1 "$IP"
# the orphan (a killed ADD's) at an address no ADD above took (they pick by a hash of the container)
GHOST=10.90.0.$(admin /_test/dump | jq -r '[range(1; 31) | tostring] - ([.objects.ippools[] |
	select(.metadata.name == "10.90.0.0-27") | .spec.allocations | keys[]]) | .[0]')
admin /_test/objects "$(jq -nc --arg n "$GHOST" '{action:"put",resource:"overlappingrangeipreservations",
	object:{metadata:{name:$n,namespace:"kube-system",creationTimestamp:"'$OLD'"},
	        spec:{containerid:"ghost",podref:"default/ghost",ifname:"net1"}}}')" >/dev/null
setup_done() {
	local d
	d=$(admin /_test/dump)
	WHY=$(jq -c '[(.objects.ippools | map(.spec.allocations | length) | sort),
		(.objects.overlappingrangeipreservations | length)]' <<<"$d")
	[ "$WHY" = "[[1,4],6]" ] && return
	WHY+=" $(jq -c '[.objects.overlappingrangeipreservations[] | [.metadata.name, .spec.containerid]],
		[.objects.ippools[].spec.allocations]' <<<"$d")"
	return 1
}
check "setup: pools of 4 and 1 allocations, 6 reservations" setup_done

# ---- the reconciler with its endpoint
MP=$(free_port)
admin /_test/stats '{"reset":true}' >/dev/null
"$IPAM" reconcile --kubeconfig "$T/kubeconfig" --interval 1 --metrics-port "$MP" \
	>"$T/loop.out" 2>"$T/loop.err" &
LOOP=$!
trap 'kill "$LOOP" 2>/dev/null; wait "$LOOP" 2>/dev/null; k8s_server_stop; integ_cleanup' EXIT
URL=http://127.0.0.1:$MP/metrics

# scrape [URL]: the parser's reading of a scrape into $T/m.json: {"families": {name: [type, help]},
# "samples": {"name{label=value,...}": value}} (labels sorted, integral values as integers); 1
# when it cannot be read
scrape() {
	curl -s -m 5 -D "$T/headers" -o "$T/metrics.txt" "${1:-$URL}" &&
		"$PYPROM" - "$T/metrics.txt" >"$T/m.json" <<'EOF'
import json, sys
from prometheus_client.parser import text_string_to_metric_families
fam, samples = {}, {}
for f in text_string_to_metric_families(open(sys.argv[1]).read()):
    fam[f.name] = [f.type, f.documentation]
    for s in f.samples:
        key = s.name + "{" + ",".join("%s=%s" % kv for kv in sorted(s.labels.items())) + "}"
        samples[key] = int(s.value) if s.value.is_integer() else s.value
json.dump({"families": fam, "samples": samples}, sys.stdout)
EOF
}
m() { jq -r --arg k "$1" '.samples[$k] // "absent"' "$T/m.json"; }	# m 'name{labels}'
passes() { scrape && m 'rdmanet_ipam_reconcile_passes_total{result=success}'; }
# at least N successful passes (and the one releasing the leak) done
ready() { local n; n=$(passes) && [ "$n" != absent ] && [ "$n" -ge "$1" ] &&
	[ "$(m rdmanet_ipam_leaked_allocations_released_total{})" = 1 ]; }
wait_for 20 ready 2 || die "the reconciler passes" "$(tail -3 "$T/loop.err"); $(cat "$T/m.json" 2>/dev/null | head -c 300)"
ok "the reconciler serves /metrics; two passes done, the second after the release"

check "Content-Type: the text format 0.0.4" \
	grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$T/headers"
check "every family is rdmanet_ipam_*, with HELP and a TYPE" eval \
	'jqt ".families | length >= 14 and all(to_entries[]; (.key | startswith(\"rdmanet_ipam_\")) and
		.value[0] != \"unknown\" and (.value[1] | length) > 10)" "$T/m.json"'
check "types: pool gauges, *_total counters, a duration histogram" eval \
	'jqt ".families | .rdmanet_ipam_pool_size_addresses[0] == \"gauge\" and
		.rdmanet_ipam_leaked_allocations_found[0] == \"counter\" and
		.rdmanet_ipam_api_requests[0] == \"counter\" and
		.rdmanet_ipam_reconcile_duration_seconds[0] == \"histogram\"" "$T/m.json"'
check "build_info: version 0.1, a git revision, value 1" eval \
	'jq -r ".samples | to_entries[] | select(.key | startswith(\"rdmanet_ipam_build_info{\")) |
		\"\\(.key)=\\(.value)\"" "$T/m.json" |
	 grep -Eqx "rdmanet_ipam_build_info\{revision=([0-9a-f]{12}|unknown),version=0\.1\}=1"'

# the pools as the server stores them, against the gauges (size: the range less network and
# broadcast; resting: released-at notes younger than 60 s of unallocated offsets)
admin /_test/dump >"$T/dump.json"
check_pools() {
	WHY=$(python3 - "$T/dump.json" "$T/m.json" <<'EOF'
import ipaddress, json, sys, time
dump, got = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))["samples"]
bad, n = [], 0
for p in dump["objects"]["ippools"]:
    name, rng = p["metadata"]["name"], p["spec"]["range"]
    net = ipaddress.ip_network(rng)
    size = net.num_addresses - (2 if net.version == 4 and net.prefixlen < 31 else 1)
    allocs = p["spec"].get("allocations") or {}
    pre = "rdmanet.io/released-"
    quiet = sum(1 for k, v in (p["metadata"].get("annotations") or {}).items()
                if k.startswith(pre) and k[len(pre):] not in allocs and time.time() - float(v) < 60)
    want = {"size": size, "allocated": len(allocs), "free": size - len(allocs), "quiet": quiet}
    for what, v in want.items():
        key = "rdmanet_ipam_pool_%s_addresses{pool=%s,range=%s}" % (what, name, rng)
        if got.get(key) != v:
            bad.append("%s: %s, want %s" % (key, got.get(key), v))
    n += 1
pools = {k for k in got if k.startswith("rdmanet_ipam_pool_size_addresses{")}
if n != 2 or len(pools) != n:
    bad.append("%d pools stored, %d reported" % (n, len(pools)))
print("; ".join(bad))
sys.exit(1 if bad else 0)
EOF
)
}
check "pool gauges equal the stored pools (size, allocated, free, resting) for both pools" check_pools
check "... 10.90.0.0/27: 30 addresses, 3 allocated (the leak released), 1 resting" eval \
	'[ "$(m "rdmanet_ipam_pool_size_addresses{pool=10.90.0.0-27,range=10.90.0.0/27}")" = 30 ] &&
	 [ "$(m "rdmanet_ipam_pool_allocated_addresses{pool=10.90.0.0-27,range=10.90.0.0/27}")" = 3 ] &&
	 [ "$(m "rdmanet_ipam_pool_quiet_addresses{pool=10.90.0.0-27,range=10.90.0.0/27}")" = 1 ]'
check "... storage-10.91.0.0-28 (a network_name): 14 addresses, 13 free" \
	test "$(m 'rdmanet_ipam_pool_free_addresses{pool=storage-10.91.0.0-28,range=10.91.0.0/28}')" = 13
check "leaked allocations: 1 found, 1 released (and none found since)" eval \
	'[ "$(m rdmanet_ipam_leaked_allocations_found_total{})" = 1 ] &&
	 [ "$(m rdmanet_ipam_leaked_allocations_released_total{})" = 1 ]'
check "orphan reservations: 1 found, 1 deleted" eval \
	'[ "$(m rdmanet_ipam_orphan_reservations_found_total{})" = 1 ] &&
	 [ "$(m rdmanet_ipam_orphan_reservations_deleted_total{})" = 1 ]'
check "... and the server agrees: the leaked entry and the orphan are gone" eval \
	'jqt "(.objects.ippools | map(.spec.allocations | length) | sort) == [1, 3] and
		(.objects.overlappingrangeipreservations | map(.metadata.name) | index(\"$GHOST\")) == null" "$T/dump.json"'
check "API requests: GET 200, PATCH 200 (the release) and DELETE 200 (reservations) counted" eval \
	'[ "$(m "rdmanet_ipam_api_requests_total{code=200,verb=GET}")" != absent ] &&
	 [ "$(m "rdmanet_ipam_api_requests_total{code=200,verb=PATCH}")" != absent ] &&
	 [ "$(m "rdmanet_ipam_api_requests_total{code=200,verb=DELETE}")" != absent ]'
# the server counts what it answered since the reconciler started; compare at a quiet moment
# (two scrapes with the same counts around the server's stats; curl alone, to be quick)
api_lines() { curl -sf -m 5 "$URL" | grep '^rdmanet_ipam_api_requests_total{' | sort; }
api_agrees() {
	local a b
	a=$(api_lines) && admin /_test/stats >"$T/stats.json" && b=$(api_lines) && [ -n "$a" ] &&
		[ "$a" = "$b" ] || return 1
	# code -> count, summed over verbs
	a=$(sed -E 's/.*code="([^"]*)"\} ([0-9]+)$/\1 \2/' <<<"$a" |
		jq -Rn '[inputs | split(" ") | {key: .[0], value: (.[1] | tonumber)}] | group_by(.key) |
			map({key: .[0].key, value: (map(.value) | add)}) | from_entries')
	WHY="ours $(jq -c . <<<"$a"); server $(jq -c .status_codes "$T/stats.json")"
	jqt --argjson o "$a" '.status_codes as $s | ($s | keys | sort) == ($o | keys | sort) and
		all($s | to_entries[]; $o[.key] == .value) and ($s | add) > 10' "$T/stats.json"
}
check "... per status, exactly the requests the server answered" wait_for 30 api_agrees

# ---- a failing pass: counted; the pools' gauges keep the last good pass's values
ok0=$(m 'rdmanet_ipam_reconcile_passes_total{result=failure}')
admin /_test/faults '{"status":503,"count":1,"match":"ippools"}' >/dev/null
failed() { scrape && [ "$(m 'rdmanet_ipam_reconcile_passes_total{result=failure}')" = 1 ]; }
check "a pass failing with 503: reconcile_passes_total{result=failure} 0 -> 1 ($ok0)" wait_for 10 failed
check "... the 503 is counted for GET" test "$(m 'rdmanet_ipam_api_requests_total{code=503,verb=GET}')" = 1
check "... and the pools are still reported" \
	test "$(m 'rdmanet_ipam_pool_size_addresses{pool=10.90.0.0-27,range=10.90.0.0/27}')" = 30
check "duration histogram: count = passes, +Inf bucket = count, sum > 0" eval \
	'jqt ".samples | .\"rdmanet_ipam_reconcile_duration_seconds_count{}\" ==
		.\"rdmanet_ipam_reconcile_duration_seconds_bucket{le=+Inf}\" and
		.\"rdmanet_ipam_reconcile_duration_seconds_count{}\" >= .\"rdmanet_ipam_reconcile_passes_total{result=success}\" + 1 and
		.\"rdmanet_ipam_reconcile_duration_seconds_sum{}\" > 0" "$T/m.json"'
check "last success: a unix time of the last 30 s" eval \
	'python3 -c "import sys, time; sys.exit(not 0 < time.time() - $(m "rdmanet_ipam_reconcile_last_success_timestamp_seconds{}") < 30)"'

# ---- hostile clients
# hostile.py MODE: stall (half a request, then wait for the server to close: prints seconds),
# trickle (half a request, then a byte of header every 0.5 s, never done, until the server
# closes), big (a 1 MB header: prints the status line), flood N (N stalled connections, then one
# more: prints "open" when it got an answer slot, else "refused")
cat >"$T/hostile.py" <<'EOF'
import select, socket, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    return s
if mode == "stall":
    s = conn()
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nUser-Agent: sl")
    open(sys.argv[3], "w").write("sent\n")
    t0 = time.time()
    try:
        d = s.recv(65536)
    except (ConnectionResetError, socket.timeout):
        d = b"?"
    print("%.1f %s" % (time.time() - t0, "closed" if d in (b"", b"?") else "answered"))
elif mode == "trickle":
    s = conn()
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    open(sys.argv[3], "w").write("sent\n")
    try:
        while True:
            time.sleep(0.5)
            s.sendall(b"a")
    except OSError:
        pass
elif mode == "big":
    s = conn()
    head = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n"
    sent, got = 0, b""
    while True:
        r, w, _ = select.select([s], [s] if sent < len(head) else [], [], 10)
        if r:
            try:
                got = s.recv(65536)
            except ConnectionResetError:
                pass
            break
        if not w:
            break
        try:
            sent += s.send(head[sent:sent + 65536])
        except (BrokenPipeError, ConnectionResetError):
            try:
                got = s.recv(65536)
            except ConnectionResetError:
                pass
            break
    print((got.split(b"\r\n")[0].decode() or "closed") + " after %d bytes" % sent)
elif mode == "flood":
    socks = [conn() for _ in range(int(sys.argv[3]))]
    for s in socks:
        s.sendall(b"GET /metrics HTTP/1.1\r\n")
    time.sleep(0.3)
    s = conn()
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        d = s.recv(100)
    except ConnectionResetError:
        d = b""
    print("open" if d.startswith(b"HTTP/1.1 200") else "refused")
    for s in socks:
        s.close()
EOF
# a slow client (a byte every 0.5 s, never a whole request) holds a connection meanwhile
rm -f "$T/trickle.sent"
python3 "$T/hostile.py" "$MP" trickle "$T/trickle.sent" >/dev/null 2>&1 &
TRICKLE=$!
wait_for 20 test -s "$T/trickle.sent" || die "hostile" "the slow client did not connect"
p0=$(passes)
ms=$(curl -sf -m 5 -o "$T/during.txt" -w '%{time_total}' "$URL") &&
	grep -q '^rdmanet_ipam_build_info' "$T/during.txt" && ms=$(awk '{ printf "%d", $1 * 1000 }' <<<"$ms") ||
	ms=9999
check "a client sending a request a byte every 0.5 s: a scrape meanwhile answers at once ($ms ms)" \
	test "${ms:-9999}" -lt 1000
more_passes() { p1=$(passes) && [ "$p1" -ge $((p0 + 2)) ]; }
wait_for 15 more_passes
check "... and passes go on meanwhile (successful passes $p0 -> $p1, the slow client still connected)" \
	eval 'more_passes && kill -0 "$TRICKLE" 2>/dev/null'
kill "$TRICKLE"; wait "$TRICKLE" 2>/dev/null
# one that sends half a request and stops is cut off by the idle timeout
rm -f "$T/stall.sent"
python3 "$T/hostile.py" "$MP" stall "$T/stall.sent" >"$T/stall.out" &
STALL=$!
wait "$STALL"
read -r secs how <"$T/stall.out"
check "a client stalled mid-request: closed by the server after the 5 s idle timeout ($secs s, $how)" \
	python3 -c "import sys; sys.exit(not ('$how' == 'closed' and 4 <= $secs < 10))"
big=$(python3 "$T/hostile.py" "$MP" big)
check "a 1 MB request header: refused with 431 ($big)" eval '[[ "$big" == "HTTP/1.1 431 "* ]]'
check "... and a normal scrape still answers" scrape
flood=$(python3 "$T/hostile.py" "$MP" flood 8)
check "8 stalled connections from 127.0.0.1: a 9th from there is refused ($flood)" test "$flood" = refused
check "... while a scrape from ::1 (another address) answers" scrape "http://[::1]:$MP/metrics"
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
check "POST /metrics: 405, Allow: GET, HEAD" eval \
	'[ "$(code -X POST -d x "$URL")" = 405 ] && curl -s -D - -o /dev/null -X POST "$URL" | grep -qi "^Allow: GET, HEAD"'
check "PUT and DELETE /metrics: 405" eval '[ "$(code -X PUT "$URL")" = 405 ] && [ "$(code -X DELETE "$URL")" = 405 ]'
check "GET / and /metrics/x: 404" eval \
	'[ "$(code "http://127.0.0.1:$MP/")" = 404 ] && [ "$(code "$URL/x")" = 404 ]'
check "HEAD /metrics: 200, no body" eval \
	'[ "$(curl -s -I -o /dev/null -w "%{http_code} %{size_download}" "$URL")" = "200 0" ]'

# ---- options
reconcile_rc() { "$IPAM" reconcile --kubeconfig "$T/kubeconfig" "$@" >/dev/null 2>"$T/opt.err"; echo $?; }
check "--metrics-port 0, 65536, x: usage errors" eval \
	'[ "$(reconcile_rc --interval 1 --metrics-port 0)$(reconcile_rc --interval 1 --metrics-port 65536)$(reconcile_rc --interval 1 --metrics-port x)" = 222 ]'
check "--metrics-bind of a host name: usage error" \
	test "$(reconcile_rc --interval 1 --metrics-port 1 --metrics-bind localhost)" = 2
check "--metrics-bind without --metrics-port, --metrics-port without --interval: usage errors" eval \
	'[ "$(reconcile_rc --interval 1 --metrics-bind 127.0.0.1)$(reconcile_rc --metrics-port 1)" = 22 ]'
check "the port taken (by the first reconciler): exit 1, naming it" eval \
	'[ "$(reconcile_rc --interval 1 --metrics-port "$MP" --metrics-bind 127.0.0.1)" = 1 ] &&
	 grep -q "cannot serve metrics on 127.0.0.1:$MP" "$T/opt.err"'
MP2=$(free_port)
"$IPAM" reconcile --kubeconfig "$T/kubeconfig" --interval 1 --metrics-port "$MP2" --metrics-bind '[::1]' \
	>/dev/null 2>"$T/v6.err" &
V6=$!
check "--metrics-bind [::1]: served on ::1" wait_for 5 scrape "http://[::1]:$MP2/metrics"
check "... and not on 127.0.0.1" eval '! curl -s -m 2 -o /dev/null "http://127.0.0.1:$MP2/metrics"'
kill -TERM "$V6"; wait "$V6"
check "... SIGTERM stops it (exit $?) and says where it served" eval \
	'grep -q "metrics: serving http://\[::1\]:$MP2/metrics" "$T/v6.err" && grep -q "stopping on signal" "$T/v6.err"'

kill -TERM "$LOOP"
t0=$(date +%s%N)
wait "$LOOP"
rc=$? ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "SIGTERM stops the reconciler with its endpoint: exit 0 within a second ($ms ms)" \
	eval '[ "$rc" = 0 ] && [ "$ms" -lt 1000 ]'
check "... the port is closed" eval '! curl -s -m 2 -o /dev/null "$URL"'
check "... no sanitizer report" eval '! grep -q "Sanitizer" "$T/loop.err" "$T/v6.err"'
finish
