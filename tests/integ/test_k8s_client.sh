#!/bin/bash
# test_k8s_client.sh - the Kubernetes API client (src/k8s/k8s.c, src/k8s/kubeconfig.c) against the test API
# server tests/k8s/apiserver.py over real TLS on 127.0.0.1, driven by $BUILD/tests/k8s-probe: the
# status mapping of create/read/update/delete (404, 409 AlreadyExists and Conflict, 422), 401 and
# 403, TLS verified with the right CA and refused with a wrong CA or host name, client
# certificates, one connection for many requests, bounded timeouts, 5xx/429, connection resets,
# oversized and non-JSON bodies, in-cluster credentials, and that no token ever reaches the
# output. Runs in its own network namespace (tests/run-all.sh starts it under unshare; by hand it
# re-executes itself so); only 127.0.0.1 is used.
. "$(dirname "$0")/lib.sh"
integ_isolate "$@"
cd "$ROOT" || exit 1
case $BUILD in /*) PROBE=$BUILD/tests/k8s-probe ;; *) PROBE=$ROOT/$BUILD/tests/k8s-probe ;; esac
APISERVER=$ROOT/tests/k8s/apiserver.py
CERTS=$ROOT/tests/k8s/certs.sh

ADMIN=admin-5b0c8e1f9d2a4c6e		# the /_test/ hooks' token
TOK_IPAM=ipam-3f1d2c4b5a69788796a5b4c3	# may do anything with the whereabouts resources
TOK_READER=reader-71e2d3c4b5a6978877a6	# may only get pods
TOK_WRONG=wrong-0a1b2c3d4e5f60718293a4	# unknown to the server
SECRETS=("$ADMIN" "$TOK_IPAM" "$TOK_READER" "$TOK_WRONG")
NSP=/apis/whereabouts.cni.cncf.io/v1alpha1/namespaces/kube-system/ippools
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	[ -n "$T" ] && rm -rf "$T"
}

[ "$(id -u)" = 0 ] || die "setup" "needs root (network namespace)"
ip link set lo up || die "setup" "cannot bring lo up"
[ -x "$PROBE" ] || die "setup" "$PROBE is not built (make tests)"
[ -f "$APISERVER" ] || die "setup" "tests/k8s/apiserver.py is missing"
command -v python3 >/dev/null || die "setup" "python3 is not installed"
command -v openssl >/dev/null || die "setup" "openssl is not installed"
command -v jq >/dev/null || die "setup" "jq is not installed"
T=$(mktemp -d /tmp/rdmanet-k8s.XXXXXX) || die "setup" "mktemp"
trap cleanup EXIT
mkdir -p "$T/out" "$T/sa"
bash "$CERTS" "$T/pki" >/dev/null 2>&1 || die "setup" "tests/k8s/certs.sh failed"
cat >"$T/tokens.json" <<EOF
{"$TOK_IPAM": {"user": "system:serviceaccount:kube-system:rdmanet-ipam",
               "allow": ["*:ippools", "*:overlappingrangeipreservations"]},
 "$TOK_READER": {"user": "reader", "allow": ["get:pods"]}}
EOF

# start_server NAME ARGS...: an apiserver.py on 127.0.0.1, its port in $PORT
start_server() {
	local name=$1 i; shift
	python3 "$APISERVER" --listen 127.0.0.1:0 --tokens "$T/tokens.json" --admin-token "$ADMIN" \
		--port-file "$T/$name.port" --log "$T/$name.log" "$@" >"$T/$name.out" 2>&1 &
	PIDS+=($!)
	for i in $(seq 100); do
		[ -s "$T/$name.port" ] && { PORT=$(cat "$T/$name.port"); return 0; }
		sleep 0.1
	done
	echo "--- $T/$name.out"; cat "$T/$name.out"
	return 1
}
start_server main --cert "$T/pki/server.crt" --key "$T/pki/server.key" --client-ca "$T/pki/ca.crt" ||
	die "setup" "apiserver.py did not start"
MAIN=$PORT

# kubeconfig FILE SERVER CLUSTER-LINES USER-LINES: a kubectl-style kubeconfig
kubeconfig() {
	cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- cluster:
    server: $2
$3
  name: test
contexts:
- context:
    cluster: test
    namespace: kube-system
    user: test
  name: test
current-context: test
preferences: {}
users:
- name: test
  user:
$4
EOF
}
CA_DATA="    certificate-authority-data: $(base64 -w0 "$T/pki/ca.crt")"
kubeconfig "$T/ipam.yaml" "https://127.0.0.1:$MAIN" "$CA_DATA" "    token: $TOK_IPAM"
kubeconfig "$T/admin.yaml" "https://127.0.0.1:$MAIN" "$CA_DATA" "    token: $ADMIN"
kubeconfig "$T/wrong-token.yaml" "https://127.0.0.1:$MAIN" "$CA_DATA" "    token: $TOK_WRONG"
kubeconfig "$T/reader.yaml" "https://127.0.0.1:$MAIN" "$CA_DATA" "    tokenFile: reader.token"
printf '%s\n' "$TOK_READER" >"$T/reader.token"
kubeconfig "$T/anonymous.yaml" "https://127.0.0.1:$MAIN" "$CA_DATA" "    {}"
kubeconfig "$T/wrong-ca.yaml" "https://127.0.0.1:$MAIN" \
	"    certificate-authority: pki/rogue-ca.crt" "    token: $TOK_IPAM"
kubeconfig "$T/insecure.yaml" "https://127.0.0.1:$MAIN" \
	"    insecure-skip-tls-verify: true" "    token: $TOK_IPAM"
kubeconfig "$T/cert.yaml" "https://127.0.0.1:$MAIN" "    certificate-authority: pki/ca.crt" \
	"    client-certificate: pki/client.crt
    client-key: $T/pki/client.key"
kubeconfig "$T/rogue-cert.yaml" "https://127.0.0.1:$MAIN" "$CA_DATA" \
	"    client-certificate-data: $(base64 -w0 "$T/pki/rogue-client.crt")
    client-key-data: $(base64 -w0 "$T/pki/rogue-client.key")"

# probe NAME ARGS...: runs k8s-probe, keeps its output in $T/out/NAME (checked for tokens at
# the end); sets RC, OUT and WALL_MS. PRE: a command the probe runs under (probe_ns)
N=0
PRE=()
probe() {
	local name=$1 t0 t1; shift
	N=$((N + 1))
	t0=$(date +%s%N)
	"${PRE[@]}" "$PROBE" "$@" >"$T/out/$N-$name" 2>&1
	RC=$?
	t1=$(date +%s%N)
	WALL_MS=$(((t1 - t0) / 1000000))
	OUT=$(cat "$T/out/$N-$name")
}
# line I FIELD: a field of request I's result line (status, ret, errno, connections, ms)
line() {
	local l; l=$(grep "^request $1: " <<<"$OUT")
	case $2 in
	status) sed -E 's/.* -> status (-?[0-9]+) .*/\1/' <<<"$l" ;;
	ret) sed -E 's/.* ret (-?[0-9]+) .*/\1/' <<<"$l" ;;
	errno) sed -E 's/.* ret -?[0-9]+ ([A-Z0-9]+) .*/\1/' <<<"$l" ;;
	connections) sed -E 's/.* connections ([0-9]+) .*/\1/' <<<"$l" ;;
	ms) sed -E 's/.* ms ([0-9]+)$/\1/' <<<"$l" ;;
	esac
}
body() { grep "^body $1: " <<<"$OUT" | sed "s/^body $1: //"; }
errline() { grep "^error $1: " <<<"$OUT" | sed "s/^error $1: //"; }
# expect I STATUS ERRNO: request I ended with that HTTP status and -errno name
expect() {
	local s e; s=$(line "$1" status); e=$(line "$1" errno)
	[ "$s" = "$2" ] && [ "$e" = "$3" ] && return 0
	WHY="request $1: status '$s' errno '$e', want $2 $3; $(grep -E "^(request|error) $1: " <<<"$OUT" | tr '\n' ' ')"
	return 1
}
has() { grep -qF -- "$1" <<<"$2" || { WHY="'$1' not in: $2"; return 1; }; }
jqt() { jq -e "$1" >/dev/null 2>&1 <<<"$2" || { WHY="jq '$1' false for: $2"; return 1; }; }
fault() {
	"$PROBE" --kubeconfig "$T/admin.yaml" POST /_test/faults "$1" >"$T/out/fault" 2>&1 ||
		{ nok "set fault $1" "$(cat "$T/out/fault")"; return 1; }
}
pool() { # NAME [RV [LABEL]]: an IPPool body
	printf '{"apiVersion":"whereabouts.cni.cncf.io/v1alpha1","kind":"IPPool","metadata":{"name":"%s"%s%s},"spec":{"range":"10.10.0.0/24","allocations":{}}}' \
		"$1" "${2:+,\"resourceVersion\":\"$2\"}" "${3:+,\"labels\":{\"l\":\"$3\"\}}"
}

# ---- create, read, update, delete: each status mapped as k8s.h documents, on one connection
probe crud --kubeconfig "$T/ipam.yaml" \
	GET "$NSP/p1" -- POST "$NSP" "$(pool p1)" -- POST "$NSP" "$(pool p1)" -- GET "$NSP/p1"
check "GET of a missing pool: 404 -> -ENOENT" expect 1 404 ENOENT
check "the 404's Status is returned as the body" jqt '.kind == "Status" and .reason == "NotFound"' "$(body 1)"
check "the error names method, URL, status and Status.message" \
	has "GET https://127.0.0.1:$MAIN$NSP/p1: HTTP 404 NotFound: ippools.whereabouts.cni.cncf.io \"p1\" not found" "$(errline 1)"
check "POST creates: 201 -> 0" expect 2 201 OK
check "the created object is returned" jqt '.metadata.name == "p1" and (.metadata.resourceVersion | length > 0)' "$(body 2)"
check "POST again: 409 AlreadyExists -> -EEXIST" expect 3 409 EEXIST
check "GET: 200 -> 0 with the object" expect 4 200 OK
RV=$(jq -r .metadata.resourceVersion <<<"$(body 4)")
check "four requests, one connection" test "$(line 4 connections)" = 1

probe update --kubeconfig "$T/ipam.yaml" \
	PUT "$NSP/p1" "$(pool p1 "$RV" a)" -- PUT "$NSP/p1" "$(pool p1 "$RV" b)" -- \
	PUT "$NSP/p2" "$(pool p1)" -- POST "$NSP" "$(pool Bad_Name)"
check "PUT with the current resourceVersion: 200 -> 0" expect 1 200 OK
check "the update is returned with a new resourceVersion" \
	jqt ".metadata.labels.l == \"a\" and .metadata.resourceVersion != \"$RV\"" "$(body 1)"
check "PUT with a stale resourceVersion: 409 Conflict -> -ESTALE" expect 2 409 ESTALE
check "the Conflict's message is in the error" has "the object has been modified" "$(errline 2)"
check "PUT with a name that is not the URL's: 400 -> -EINVAL" expect 3 400 EINVAL
check "POST of an invalid name: 422 -> -EINVAL" expect 4 422 EINVAL
check "the 422's Status is returned" jqt '.reason == "Invalid" and .details.causes[0].field == "metadata.name"' "$(body 4)"

RV2=$(jq -r .metadata.resourceVersion <<<"$(body 1)")
probe patch --kubeconfig "$T/ipam.yaml" --type application/merge-patch+json \
	PATCH "$NSP/p1" '{"metadata":{"annotations":{"a":"b"}}}' -- \
	DELETE "$NSP/p1" "{\"preconditions\":{\"resourceVersion\":\"$RV2\"}}" -- \
	DELETE "$NSP/p1" -- GET "$NSP/p1" -- DELETE "$NSP/p1"
check "PATCH (merge patch content type): 200 -> 0" expect 1 200 OK
check "the patch was applied" jqt '.metadata.annotations.a == "b"' "$(body 1)"
check "DELETE with a stale precondition: 409 Conflict -> -ESTALE" expect 2 409 ESTALE
check "DELETE: 200 -> 0" expect 3 200 OK
check "GET after DELETE: 404 -> -ENOENT" expect 4 404 ENOENT
check "DELETE again: 404 -> -ENOENT" expect 5 404 ENOENT
check "the probe exits 1 when a request failed" test "$RC" = 1

# ---- authentication and authorization
probe wrong-token --kubeconfig "$T/wrong-token.yaml" GET "$NSP/p1"
check "an unknown token: 401 -> -EACCES" expect 1 401 EACCES
check "the 401 is a Status Unauthorized" jqt '.reason == "Unauthorized"' "$(body 1)"
probe anonymous --kubeconfig "$T/anonymous.yaml" GET "$NSP/p1"
check "no credentials: 401 -> -EACCES" expect 1 401 EACCES
probe forbidden --kubeconfig "$T/reader.yaml" GET "$NSP/p1" -- POST "$NSP" "$(pool p3)"
check "a token without RBAC for ippools (tokenFile): 403 -> -EACCES" expect 1 403 EACCES
check "the 403's message names the user and verb" has 'User "reader" cannot get resource "ippools"' "$(errline 1)"
check "a create without RBAC: 403 -> -EACCES" expect 2 403 EACCES

# ---- TLS
probe wrong-ca --kubeconfig "$T/wrong-ca.yaml" GET "$NSP/p1"
check "a server certificate from another CA is refused: -EPROTO" expect 1 0 EPROTO
check "the refusal says why" has "SSL certificate problem" "$(errline 1)"
probe insecure --kubeconfig "$T/insecure.yaml" GET "$NSP/p1"
check "insecure-skip-tls-verify connects without a CA (tests only)" expect 1 404 ENOENT
probe cert --kubeconfig "$T/cert.yaml" \
	POST /apis/authentication.k8s.io/v1/selfsubjectreviews '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}' -- \
	POST "$NSP" "$(pool p-cert)"
check "a client certificate authenticates (relative and absolute paths)" expect 1 201 OK
check "the server sees the certificate's CN and O" \
	jqt '.status.userInfo.username == "test-client" and (.status.userInfo.groups | index("test-group"))' "$(body 1)"
check "the certificate user may create" expect 2 201 OK
# the same user in flow style (what the hand-written reader refused), its certificate's base64
# wrapped over lines in a literal block scalar, the CA shared through an anchor and an alias
cat >"$T/flow.yaml" <<EOF
apiVersion: v1
kind: Config
current-context: flow
clusters: [{name: c, cluster: {server: 'https://127.0.0.1:$MAIN',
    certificate-authority-data: &ca $(base64 -w0 "$T/pki/ca.crt")}},
  {name: unused, cluster: {server: 'https://127.0.0.1:1', certificate-authority-data: *ca}}]
contexts: [{name: flow, context: {cluster: c, user: u, namespace: kube-system}}]
users:
- name: u
  user:
    client-key: pki/client.key
    client-certificate-data: |
$(base64 -w 76 "$T/pki/client.crt" | sed 's/^/      /')
EOF
probe flow --kubeconfig "$T/flow.yaml" \
	POST /apis/authentication.k8s.io/v1/selfsubjectreviews '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}'
check "a flow-style kubeconfig with an alias and a wrapped certificate authenticates" \
	eval 'expect 1 201 OK && jqt ".status.userInfo.username == \"test-client\"" "$(body 1)"'
# TLS 1.3 ends the client's handshake before the server checks its certificate: the client reads
# the server's "unknown ca" alert (-EPROTO) or, when the server's RST wins, -ECONNRESET
probe rogue-cert --kubeconfig "$T/rogue-cert.yaml" GET "$NSP/p1"
check "a client certificate from another CA is refused before the API: -EPROTO/-ECONNRESET" \
	eval 'expect 1 0 EPROTO || expect 1 0 ECONNRESET'

# a server certificate from the right CA for another name: refused (host name verification)
( cd "$T/pki" &&
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.key 2>/dev/null &&
	openssl req -new -key other.key -subj /CN=other.example -out other.csr 2>/dev/null &&
	printf 'subjectAltName=DNS:other.example\nextendedKeyUsage=serverAuth\n' >other.ext &&
	openssl x509 -req -in other.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 \
		-extfile other.ext -out other.crt 2>/dev/null ) || die "setup" "cannot sign other.crt"
start_server other --cert "$T/pki/other.crt" --key "$T/pki/other.key" || die "setup" "second apiserver"
kubeconfig "$T/other.yaml" "https://127.0.0.1:$PORT" "$CA_DATA" "    token: $TOK_IPAM"
probe wrong-name --kubeconfig "$T/other.yaml" GET "$NSP/p1"
check "a server certificate for another host name is refused: -EPROTO" expect 1 0 EPROTO
check "the refusal names the host name check" has "subject name" "$(errline 1)"

# ---- a kubeconfig without certificate-authority: the node's system CA store
# (libcurl is built without a CA path of its own; src/k8s/k8s.c looks the bundle up). probe_ns runs
# the probe in a private mount namespace after SETUP (shell), to give the node another layout.
probe_ns() {
	local name=$1 setup=$2; shift 2
	PRE=(unshare --mount --propagation private sh -c "unset SSL_CERT_FILE SSL_CERT_DIR; $setup"' && exec "$0" "$@"')
	probe "$name" "$@"
	PRE=()
}
kubeconfig "$T/no-ca.yaml" "https://127.0.0.1:$MAIN" "" "    token: $TOK_IPAM"
mkdir -p "$T/capath" && cp "$T/pki/ca.crt" "$T/capath/" && openssl rehash "$T/capath" 2>/dev/null ||
	die "setup" "openssl rehash"
if [ -s /etc/ssl/certs/ca-certificates.crt ]; then
	probe_ns sys-debian "true" --kubeconfig "$T/no-ca.yaml" GET "$NSP/p1"
	check "no CA in the kubeconfig: the Debian bundle is used, the test CA is not in it: -EPROTO" \
		expect 1 0 EPROTO
	check "the refusal names the node's CA bundle and the missing certificate-authority" \
		has "trusted CAs: the node's /etc/ssl/certs/ca-certificates.crt; the kubeconfig names no certificate-authority" "$(errline 1)"
else
	nok "no CA in the kubeconfig: the Debian bundle" "/etc/ssl/certs/ca-certificates.crt is missing (ca-certificates)"
fi
probe_ns sys-debian-test-ca "mount --bind '$T/pki/ca.crt' /etc/ssl/certs/ca-certificates.crt" \
	--kubeconfig "$T/no-ca.yaml" GET "$NSP/p1"
check "the test CA as the Debian/Ubuntu bundle (/etc/ssl/certs/ca-certificates.crt) verifies" expect 1 404 ENOENT
# a RHEL-family node: no /etc/ssl, the bundle under /etc/pki (a tmpfs over /etc: nothing else there)
RHEL="mount -t tmpfs tmpfs /etc && mkdir -p /etc/pki/tls/certs && cp '$T/pki/ca.crt' /etc/pki/tls/certs/ca-bundle.crt"
probe_ns sys-rhel "$RHEL" --kubeconfig "$T/no-ca.yaml" GET "$NSP/p1"
check "the test CA as the RHEL-family bundle (/etc/pki/tls/certs/ca-bundle.crt) verifies" expect 1 404 ENOENT
probe_ns sys-rhel-other "$RHEL && cp '$T/pki/rogue-ca.crt' /etc/pki/tls/certs/ca-bundle.crt" \
	--kubeconfig "$T/no-ca.yaml" GET "$NSP/p1"
check "another CA as the RHEL-family bundle: refused, the bundle named" \
	eval 'expect 1 0 EPROTO && has "/etc/pki/tls/certs/ca-bundle.crt" "$(errline 1)"'
probe_ns sys-none "mount -t tmpfs tmpfs /etc" --kubeconfig "$T/no-ca.yaml" GET "$NSP/p1"
check "no CA in the kubeconfig and none on the node: a config error (exit 2)" test "$RC" = 2
check "the error lists where bundles were looked for and what to do" \
	has "/etc/pki/tls/certs/ca-bundle.crt, /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem, /etc/ssl/ca-bundle.pem, /etc/ssl/cert.pem): add certificate-authority-data to the kubeconfig, or set SSL_CERT_FILE" "$OUT"
probe_ns sys-env-file "mount -t tmpfs tmpfs /etc && export SSL_CERT_FILE='$T/pki/ca.crt'" \
	--kubeconfig "$T/no-ca.yaml" GET "$NSP/p1"
check "SSL_CERT_FILE names the trusted CAs" expect 1 404 ENOENT
probe_ns sys-env-dir "mount -t tmpfs tmpfs /etc && export SSL_CERT_DIR='$T/capath'" \
	--kubeconfig "$T/no-ca.yaml" GET "$NSP/p1"
check "SSL_CERT_DIR (a hashed directory) names the trusted CAs" expect 1 404 ENOENT
probe_ns sys-env-rel "export SSL_CERT_FILE=pki/ca.crt" --kubeconfig "$T/no-ca.yaml" GET "$NSP/p1"
check "a relative SSL_CERT_FILE: a config error naming it" \
	eval '[ "$RC" = 2 ] && has "SSL_CERT_FILE must be an absolute path" "$OUT"'
probe_ns sys-env-overridden "export SSL_CERT_FILE='$T/pki/rogue-ca.crt'" --kubeconfig "$T/ipam.yaml" GET "$NSP/p1"
check "SSL_CERT_FILE does not override the kubeconfig's own CA" expect 1 404 ENOENT

# plain http: only when the kubeconfig says insecure-skip-tls-verify
start_server plain --plain-http || die "setup" "plain-http apiserver"
PLAIN=$PORT
kubeconfig "$T/http.yaml" "http://127.0.0.1:$PLAIN" "    insecure-skip-tls-verify: true" "    token: $TOK_IPAM"
kubeconfig "$T/http-secure.yaml" "http://127.0.0.1:$PLAIN" "" "    token: $TOK_IPAM"
probe http --kubeconfig "$T/http.yaml" GET "$NSP/p1"
check "http:// with insecure-skip-tls-verify: allowed (tests only)" expect 1 404 ENOENT
probe http-refused --kubeconfig "$T/http-secure.yaml" GET "$NSP/p1"
check "http:// without insecure-skip-tls-verify: a config error (exit 2)" test "$RC" = 2
check "the config error says https is required" has "only https:// is allowed, unless the cluster sets 'insecure-skip-tls-verify: true'" "$OUT"
kubeconfig "$T/https-to-http.yaml" "https://127.0.0.1:$PLAIN" "$CA_DATA" "    token: $TOK_IPAM"
probe https-to-http --kubeconfig "$T/https-to-http.yaml" GET "$NSP/p1"
check "https to a plain http server: -EPROTO" expect 1 0 EPROTO

# ---- one connection for all requests of a client
"$PROBE" --kubeconfig "$T/admin.yaml" DELETE /_test/stats >/dev/null 2>&1
probe reuse --kubeconfig "$T/ipam.yaml" GET "$NSP/p-cert" -- GET "$NSP/p-cert" -- GET "$NSP/none" -- \
	PUT "$NSP/p-cert" "$(pool p-cert 1)" -- GET "$NSP/p-cert" -- GET "$NSP/p-cert"
check "six requests (200, 404, 409 among them) on one connection" test "$(line 6 connections)" = 1
probe stats --kubeconfig "$T/admin.yaml" GET /_test/stats
check "the server saw one connection for them (plus this query's)" jqt '.connections == 2' "$(body 1)"

# ---- timeouts: bounded by the client's timeout, whatever the server does
fault '{"delay_ms":4000,"match":"/ippools/slow"}'
probe delay --kubeconfig "$T/ipam.yaml" --timeout 1000 GET "$NSP/slow" -- GET "$NSP/p-cert"
check "a reply later than the timeout: -ETIMEDOUT" expect 1 0 ETIMEDOUT
check "the timeout fires after 1000 ms (not before)" test "$(line 1 ms)" -ge 950
check "the whole run stays within timeout + 1 s ($WALL_MS ms)" test "$WALL_MS" -lt 2000
check "the timeout message says so" has "timed out" "$(errline 1)"
check "the client goes on after a timeout, on a new connection" expect 2 200 OK
check "... which is the second connection" test "$(line 2 connections)" = 2

fault '{"slow_body_ms":4000,"match":"/ippools/p-cert"}'
probe slow-body --kubeconfig "$T/ipam.yaml" --timeout 1000 GET "$NSP/p-cert"
check "a body trickling in past the timeout: -ETIMEDOUT" expect 1 200 ETIMEDOUT
check "... within timeout + 1 s ($WALL_MS ms)" test "$WALL_MS" -lt 2000

python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1])); time.sleep(60)' "$T/mute.port" &
PIDS+=($!)
for i in $(seq 50); do [ -s "$T/mute.port" ] && break; sleep 0.1; done
kubeconfig "$T/mute.yaml" "https://127.0.0.1:$(cat "$T/mute.port")" "$CA_DATA" "    token: $TOK_IPAM"
probe mute --kubeconfig "$T/mute.yaml" --timeout 800 GET "$NSP/p1"
check "a server that accepts but never answers the TLS handshake: -ETIMEDOUT" expect 1 0 ETIMEDOUT
check "... within timeout + 1 s ($WALL_MS ms)" test "$WALL_MS" -lt 1800

kubeconfig "$T/closed.yaml" "https://127.0.0.1:1" "$CA_DATA" "    token: $TOK_IPAM"
probe refused --kubeconfig "$T/closed.yaml" GET "$NSP/p1"
check "a closed port: -ECONNREFUSED" expect 1 0 ECONNREFUSED

# ---- server errors and broken connections
fault '{"status":500,"count":1,"match":"/ippools/p-cert"}'
fault '{"status":503,"count":1,"match":"/ippools/x503"}'
fault '{"status":429,"retry_after":1,"count":1,"match":"/ippools/x429"}'
probe 5xx --kubeconfig "$T/ipam.yaml" GET "$NSP/p-cert" -- GET "$NSP/p-cert" -- GET "$NSP/x503" -- GET "$NSP/x429"
check "500: -EAGAIN" expect 1 500 EAGAIN
check "the fault was one-shot: the next GET is 200" expect 2 200 OK
check "503: -EAGAIN" expect 3 503 EAGAIN
check "429: -EAGAIN" expect 4 429 EAGAIN
check "the 429's Status message is in the error" has "HTTP 429 TooManyRequests" "$(errline 4)"

fault '{"close":true,"count":1,"match":"/ippools/reset1"}'
probe reset --kubeconfig "$T/ipam.yaml" GET "$NSP/reset1"
check "the server closes the connection without an answer: -ECONNRESET" expect 1 0 ECONNRESET
fault '{"close":true,"count":2,"match":"/ippools/reset2"}'
probe reset-reused --kubeconfig "$T/ipam.yaml" GET "$NSP/p-cert" -- GET "$NSP/reset2" -- GET "$NSP/p-cert"
check "a reused connection closed twice (curl retries once): -ECONNRESET" expect 2 0 ECONNRESET
check "the client recovers on a new connection" expect 3 200 OK
fault '{"truncate":true,"count":1,"match":"/ippools/p-cert"}'
probe truncate --kubeconfig "$T/ipam.yaml" GET "$NSP/p-cert"
check "a body cut short by a closed connection: -ECONNRESET" expect 1 200 ECONNRESET

fault '{"huge_body_bytes":9437184,"count":1,"match":"/ippools/huge"}'
fault '{"huge_body_bytes":8388608,"count":1,"match":"/ippools/max"}'
probe huge --kubeconfig "$T/ipam.yaml" GET "$NSP/huge" -- GET "$NSP/max"
check "a 9 MiB body (over K8S_BODY_MAX): -EMSGSIZE" expect 1 200 EMSGSIZE
check "the error says the response is too large" has "larger than 8388608 bytes" "$(errline 1)"
check "the transfer is aborted, not read to the end ($(line 1 ms) ms)" test "$(line 1 ms)" -lt 500
check "a body of exactly K8S_BODY_MAX is accepted" expect 2 200 OK

fault '{"status":200,"body":"<html>proxy</html>","content_type":"text/html","count":1,"match":"/ippools/html"}'
fault '{"status":502,"body":"<html>bad gateway</html>","content_type":"text/html","count":1,"match":"/ippools/gw"}'
fault '{"status":200,"body":"\r\n","count":1,"match":"/ippools/blank"}'
fault '{"status":204,"body":"","count":1,"match":"/ippools/none"}'
fault '{"status":200,"body":"{\"a\":1}\u0000x","count":1,"match":"/ippools/nul"}'
fault '{"status":200,"body":"{\"a\":1} {}","count":1,"match":"/ippools/two"}'
probe not-json --kubeconfig "$T/ipam.yaml" GET "$NSP/html" -- GET "$NSP/gw" -- GET "$NSP/blank" -- \
	GET "$NSP/none" -- GET "$NSP/nul" -- GET "$NSP/two"
check "a 200 whose body is not JSON: -EBADMSG" expect 1 200 EBADMSG
check "a 502 from a proxy (HTML): -EAGAIN" expect 2 502 EAGAIN
check "... and the error says it is no Kubernetes Status" has "HTTP 502 (not a Kubernetes Status)" "$(errline 2)"
check "a 200 with a blank body: 0, no body" eval 'expect 3 200 OK && [ "$(body 3)" = "(none)" ]'
check "a 204 without a body: 0, no body" eval 'expect 4 204 OK && [ "$(body 4)" = "(none)" ]'
check "a 200 whose body holds a NUL byte: -EBADMSG" expect 5 200 EBADMSG
check "a 200 with text after the JSON document: -EBADMSG" expect 6 200 EBADMSG

# ---- in-cluster credentials
printf '%s\n' "$TOK_IPAM" >"$T/sa/token"
cp "$T/pki/ca.crt" "$T/sa/ca.crt"
printf 'kube-system' >"$T/sa/namespace"
KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$MAIN \
	probe incluster --incluster "$T/sa" GET "$NSP/p-cert"
check "in-cluster: service host/port, token, CA and namespace files" expect 1 200 OK
check "in-cluster: the server and namespace" has "server https://127.0.0.1:$MAIN namespace 'kube-system' token" "$OUT"
KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$MAIN \
	probe incluster-noca --incluster "$T/nonexistent" GET "$NSP/p-cert"
check "in-cluster without the service account files: a config error (exit 2)" test "$RC" = 2

# ---- no token in any output, success or failure
leaks=
for s in "${SECRETS[@]}"; do
	grep -rlF -- "$s" "$T/out" >/dev/null && leaks+=" $(grep -rlF -- "$s" "$T/out" | xargs -n1 basename | tr '\n' ' ')"
done
check "no token in the output of any of the $N probe runs" test -z "$leaks"
[ -n "$leaks" ] && echo "    leaked in:$leaks"
finish
