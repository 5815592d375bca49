#!/bin/bash
# test_apiserver.sh - checks the test Kubernetes API server (tests/k8s/apiserver.py) with real
# HTTP requests over loopback. Run in a private network namespace:
#   unshare --mount --net --propagation private bash tests/k8s/test_apiserver.sh
# Prints "ok - ..." / "not ok - ..." and a final "N passed, N failed"; exits non-zero on failure.
set -u
cd "$(dirname "$0")/../.." || exit 1
ip link set lo up 2>/dev/null || true

T=$(mktemp -d /tmp/k8s-apiserver-test.XXXXXX)
SERVER=tests/k8s/apiserver.py
G=whereabouts.cni.cncf.io
GV=$G/v1alpha1
NS=kube-system
ADMIN=admin-$$-$RANDOM
pass=0 fail=0 SRV_PID=

cleanup() {
	if [ -n "$SRV_PID" ]; then
		kill "$SRV_PID" 2>/dev/null
		wait "$SRV_PID" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT

ok() { echo "ok - $*"; pass=$((pass + 1)); }
nok() { echo "not ok - $*"; fail=$((fail + 1)); }
# is DESC EXPECTED ACTUAL
is() { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1: expected '$2', got '$3'"; fi; }
# check DESC COMMAND...: ok when the command succeeds
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
# like DESC REGEX VALUE
like() { if [[ "$3" =~ $2 ]]; then ok "$1"; else nok "$1: '$3' does not match /$2/"; fi; }

start_server() { # extra args...
	rm -f "$T/port"
	python3 "$SERVER" --listen 127.0.0.1:0 --port-file "$T/port" --admin-token "$ADMIN" \
		--tokens "$T/tokens.json" --log "$T/requests.log" "$@" 2>>"$T/server.err" &
	SRV_PID=$!
	for _ in $(seq 100); do
		[ -s "$T/port" ] && break
		sleep 0.05
	done
	P=$(cat "$T/port" 2>/dev/null)
	U=https://127.0.0.1:$P
}
stop_server() {
	kill "$SRV_PID" 2>/dev/null
	wait "$SRV_PID" 2>/dev/null
	SRV_PID=
}

CURL=(curl -sS --max-time 10 --cacert "$T/pki/ca.crt")
TOK="tok-admin"
# api [-t TOKEN] [-c CONTENT-TYPE] [-q] METHOD PATH [BODY]: response in $T/body, $T/hdr, $T/code
api() {
	local tok=$TOK ct=application/json
	while [ $# -gt 0 ]; do
		case $1 in
		-t) tok=$2; shift 2 ;;
		-c) ct=$2; shift 2 ;;
		*) break ;;
		esac
	done
	local m=$1 path=$2 args=()
	[ -n "$tok" ] && args+=(-H "Authorization: Bearer $tok")
	if [ $# -ge 3 ]; then
		args+=(-H "Content-Type: $ct" --data-binary @-)
		printf '%s' "$3" | "${CURL[@]}" "${args[@]}" -X "$m" -o "$T/body" -D "$T/hdr" \
			-w '%{http_code}' "$U$path" >"$T/code" 2>"$T/curl.err"
	else
		"${CURL[@]}" "${args[@]}" -X "$m" -o "$T/body" -D "$T/hdr" -w '%{http_code}' "$U$path" \
			>"$T/code" 2>"$T/curl.err" </dev/null
	fi
}
adm() { api -t "$ADMIN" "$@"; }
code() { cat "$T/code"; }
jb() { jq -r "$1" "$T/body" 2>/dev/null; }
# status_is DESC HTTP-CODE REASON [MESSAGE]: the response is a Failure Status with that code
status_is() {
	local got exp="$2 Status Failure $2 $3"
	got="$(code) $(jb '[.kind, .status, (.code|tostring), (.reason // "")] | join(" ")')"
	if [ $# -ge 4 ]; then
		exp="$exp | $4"
		got="$got | $(jb .message)"
	fi
	is "$1" "$exp" "$got"
}
CRP=/apis/$GV/namespaces/$NS/ippools
RSP=/apis/$GV/namespaces/$NS/overlappingrangeipreservations
pool() { # pool NAME [RV] [ALLOCATIONS-JSON]
	printf '{"apiVersion":"%s","kind":"IPPool","metadata":{"name":"%s"%s},"spec":{"range":"10.1.0.0/24","allocations":%s}}' \
		"$GV" "$1" "${2:+,\"resourceVersion\":\"$2\"}" "${3:-{\}}"
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# --------------------------------------------------------------------------------------------
echo "# setup"
if ! bash tests/k8s/certs.sh "$T/pki" >"$T/certs.log" 2>&1; then
	nok "certs.sh generates the PKI"; cat "$T/certs.log"
	echo "$pass passed, $fail failed"; exit 1
fi
check "certs.sh: server certificate verifies against the CA for TLS server use" \
	openssl verify -CAfile "$T/pki/ca.crt" -purpose sslserver -verify_ip 127.0.0.1 -verify_hostname localhost \
	"$T/pki/server.crt" >/dev/null
check "certs.sh: client certificate verifies for TLS client use" \
	openssl verify -CAfile "$T/pki/ca.crt" -purpose sslclient "$T/pki/client.crt" >/dev/null
cat >"$T/tokens.json" <<'EOF'
{"tok-admin": {"user": "alice", "allow": ["*"]},
 "tok-ro": {"user": "bob", "allow": ["get:ippools", "list:ippools", "list:pods"]},
 "tok-none": {"user": "carol", "allow": []},
 "tok-ev": {"user": "dave", "allow": ["create:events", "patch:events"]}}
EOF

for bad in 10.0.0.1:0 0.0.0.0:0 '[::]:0' 192.168.1.1:6443; do
	if python3 "$SERVER" --listen "$bad" --plain-http 2>"$T/refuse.err" >/dev/null; then
		nok "refuses --listen $bad"
	else
		check "refuses --listen $bad (not loopback)" grep -q "loopback" "$T/refuse.err"
	fi
done

start_server --cert "$T/pki/server.crt" --key "$T/pki/server.key" --client-ca "$T/pki/ca.crt" \
	--state-file "$T/state.json" --namespace team-a
if [ -z "$P" ]; then
	nok "server starts and writes its port"; cat "$T/server.err"
	echo "$pass passed, $fail failed"; exit 1
fi
ok "server listens on 127.0.0.1:$P"

# --------------------------------------------------------------------------------------------
echo "# TLS"
api GET /version
is "TLS verified with the test CA: GET /version 200" "200 v1.31.0-rdmanet-test" "$(code) $(jb .gitVersion)"
curl -sS --max-time 5 -o /dev/null "$U/version" 2>/dev/null
is "TLS without the CA fails verification (curl exit 60)" 60 $?
curl -sS --max-time 5 -o /dev/null --cacert "$T/pki/ca.crt" -H "Authorization: Bearer tok-admin" \
	"https://localhost:$P/version" 2>/dev/null
is "TLS to https://localhost (SAN DNS:localhost) verifies" 0 $?
curl -sS --max-time 5 -o /dev/null --cacert "$T/pki/ca.crt" --resolve "wrong.example:$P:127.0.0.1" \
	"https://wrong.example:$P/version" 2>/dev/null
is "TLS to a name not in the SAN fails (curl exit 60)" 60 $?
curl -sS --max-time 5 -o /dev/null --cacert "$T/pki/rogue-ca.crt" "$U/version" 2>/dev/null
is "TLS with another CA fails (curl exit 60)" 60 $?
out=$("${CURL[@]}" --cert "$T/pki/client.crt" --key "$T/pki/client.key" -X POST \
	-H 'Content-Type: application/json' -d '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}' \
	"$U/apis/authentication.k8s.io/v1/selfsubjectreviews" | jq -c .status.userInfo)
is "client certificate signed by --client-ca authenticates as its CN (SelfSubjectReview)" \
	'{"username":"test-client","groups":["test-group","system:authenticated"]}' "$out"
"${CURL[@]}" --cert "$T/pki/client.crt" --key "$T/pki/client.key" -o "$T/body" "$U$CRP"
is "client certificate user may list ippools" IPPoolList "$(jb .kind)"
"${CURL[@]}" --cert "$T/pki/rogue-client.crt" --key "$T/pki/rogue-client.key" -o /dev/null "$U/version" 2>/dev/null
rc=$?
check "client certificate from another CA is rejected (curl exit $rc)" [ $rc -ne 0 ]
curl -sS --max-time 5 -o /dev/null "http://127.0.0.1:$P/version" 2>/dev/null
rc=$?
check "plain HTTP to the TLS port gets no HTTP answer (curl exit $rc)" [ $rc -ne 0 ]
adm GET /_test/stats
check "failed handshakes are counted ($(jb .tls_handshake_failures))" [ "$(jb .tls_handshake_failures)" -ge 2 ]
api GET /version
is "server still serves after bad handshakes" 200 "$(code)"

# --------------------------------------------------------------------------------------------
echo "# authentication and authorization"
api -t "" GET $CRP
status_is "no token: 401 Unauthorized" 401 Unauthorized "Unauthorized"
api -t not-a-token GET $CRP
status_is "unknown token: 401 Unauthorized" 401 Unauthorized "Unauthorized"
is "401 Status has no details (as the real one)" null "$(jb .details)"
api -t "$ADMIN" GET $CRP
is "the admin token is also a cluster-admin API token" "200 IPPoolList" "$(code) $(jb .kind)"
api -t tok-admin GET /_test/stats
status_is "an API token does not open /_test" 401 Unauthorized
api -t tok-ro DELETE $CRP/x
status_is "known token without the verb: 403 Forbidden" 403 Forbidden \
	"ippools.$G \"x\" is forbidden: User \"bob\" cannot delete resource \"ippools\" in API group \"$G\" in the namespace \"$NS\""
is "403 details name/group/kind" "x $G ippools" "$(jb '[.details.name, .details.group, .details.kind] | join(" ")')"
api -t tok-none GET /api/v1/pods
status_is "403 for a cluster-scope list names the cluster scope" 403 Forbidden \
	'pods is forbidden: User "carol" cannot list resource "pods" in API group "" at the cluster scope'
api -t tok-none -c application/json POST $CRP "$(pool p1)"
status_is "403 for create has no object name" 403 Forbidden \
	"ippools.$G is forbidden: User \"carol\" cannot create resource \"ippools\" in API group \"$G\" in the namespace \"$NS\""
api -t tok-ro GET $CRP/nothing-here
status_is "allowed verb reaches the store: 404" 404 NotFound "ippools.$G \"nothing-here\" not found"
api -t tok-none GET /version
is "discovery (/version) is open to every authenticated user" 200 "$(code)"
api -t "" -c application/json POST /_test/faults '{"reset":true}'
status_is "/_test needs the admin token" 401 Unauthorized

# --------------------------------------------------------------------------------------------
echo "# discovery"
api GET /api
is "/api lists v1" "APIVersions v1" "$(jb '.kind + " " + (.versions|join(","))')"
api GET /apis
is "/apis lists $G" "APIGroupList $GV" "$(jb '.kind + " " + .groups[0].preferredVersion.groupVersion')"
api GET /apis/$GV
is "/apis/$GV lists both resources" "ippools:IPPool overlappingrangeipreservations:OverlappingRangeIPReservation" \
	"$(jb '[.resources[] | .name + ":" + .kind] | join(" ")')"
api GET /api/v1
is "/api/v1 lists pods" "pods true" "$(jb '.resources[0].name + " " + (.resources[0].namespaced|tostring)')"
api GET /apis/example.com/v1/namespaces/x/widgets
status_is "unknown resource: 404 Status" 404 NotFound "the server could not find the requested resource"
api GET /healthz
is "/healthz answers ok" "200 ok" "$(code) $(cat "$T/body")"
api OPTIONS "/apis/$GV/namespaces/$NS/ippools"
status_is "a verb custom resources do not serve: 405" 405 MethodNotAllowed \
	"options is not supported on resources of kind \"ippools.$G\""

# --------------------------------------------------------------------------------------------
echo "# create and get"
api POST $CRP "$(printf '{"apiVersion":"%s","kind":"IPPool","metadata":{"name":"p1","labels":{"app":"x"},"bogus":1},"spec":{"range":"10.1.0.0/24","allocations":{"3":{"id":"c3","podref":"ns/a","ifname":"net1","extra":true}}},"status":{"x":1}}' "$GV")"
is "POST creates: 201" 201 "$(code)"
cp "$T/body" "$T/p1.json"
RV1=$(jb .metadata.resourceVersion)
UID1=$(jb .metadata.uid)
like "server sets a numeric resourceVersion" '^[0-9]+$' "$RV1"
like "server sets a uid" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$' "$UID1"
like "server sets creationTimestamp (RFC 3339, UTC)" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "$(jb .metadata.creationTimestamp)"
is "server sets generation 1 and the URL's namespace" "1 $NS" "$(jb '"\(.metadata.generation) \(.metadata.namespace)"')"
is "unknown fields are pruned (metadata.bogus, spec...extra, status)" \
	'null null null c3' "$(jb '[.metadata.bogus, .spec.allocations["3"].extra, .status, .spec.allocations["3"].id] | map(tostring) | join(" ")')"
check "pruned fields come back as Warning headers" \
	grep -q 'Warning: 299 - "unknown field \\"spec.allocations.3.extra\\""' "$T/hdr"
is "Content-Type is application/json" "application/json" "$(grep -i '^content-type:' "$T/hdr" | tr -d '\r' | cut -d' ' -f2)"
api GET $CRP/p1
is "GET returns the stored object" "200 $RV1 $UID1" "$(code) $(jb '"\(.metadata.resourceVersion) \(.metadata.uid)"')"
api POST $CRP "$(pool p1)"
status_is "POST of an existing name: 409 AlreadyExists" 409 AlreadyExists "ippools.$G \"p1\" already exists"
is "AlreadyExists details" "p1 $G ippools" "$(jb '[.details.name, .details.group, .details.kind] | join(" ")')"
api POST /apis/$GV/namespaces/nope/ippools "$(pool p1)"
status_is "POST into a namespace that does not exist: 404" 404 NotFound 'namespaces "nope" not found'
api POST /apis/$GV/namespaces/team-a/ippools "$(pool p1)"
is "a --namespace namespace exists" 201 "$(code)"
api POST $CRP "$(pool p9 5)"
status_is "POST with metadata.resourceVersion set: 500 (etcd3 store), no reason" 500 "" \
	"resourceVersion should not be set on objects to be created"
api POST $CRP "$(printf '{"apiVersion":"%s","kind":"IPPool","metadata":{"name":"p2","namespace":"other"},"spec":{"range":"r","allocations":{}}}' "$GV")"
status_is "POST with another namespace in the body: 400" 400 BadRequest \
	"the namespace of the provided object does not match the namespace sent on the request"
api -c application/x-www-form-urlencoded POST $CRP "$(pool p2)"
status_is "POST with an unknown Content-Type: 415" 415 UnsupportedMediaType \
	"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml"
api POST $CRP '{"apiVersion":'
is "POST of malformed JSON: 400 BadRequest" "400 BadRequest" "$(code) $(jb .reason)"
api POST $CRP "$(printf '{"apiVersion":"%s","kind":"IPPool","metadata":{"generateName":"gen-"},"spec":{"range":"r","allocations":{}}}' "$GV")"
like "generateName gets a generated name" '^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$' "$(jb .metadata.name)"

# --------------------------------------------------------------------------------------------
echo "# validation (422 Invalid, 400 BadRequest)"
api POST $CRP "$(printf '{"apiVersion":"%s","kind":"IPPool","metadata":{"name":"v1"},"spec":{"allocations":{}}}' "$GV")"
status_is "missing spec.range: 422" 422 Invalid "IPPool.$G \"v1\" is invalid: spec.range: Required value"
is "422 cause" "FieldValueRequired spec.range Required value" "$(jb '.details.causes[0] | "\(.reason) \(.field) \(.message)"')"
is "422 details name/group/kind (the Kind)" "v1 $G IPPool" "$(jb '[.details.name, .details.group, .details.kind] | join(" ")')"
api POST $CRP "$(pool v2 '' '{"7":{"podref":"ns/p"}}')"
status_is "allocation without id: 422" 422 Invalid "IPPool.$G \"v2\" is invalid: spec.allocations.7.id: Required value"
api POST $CRP "$(printf '{"apiVersion":"%s","kind":"IPPool","metadata":{"name":"v3"},"spec":{"range":5,"allocations":{}}}' "$GV")"
status_is "spec.range of the wrong type: 422" 422 Invalid \
	"IPPool.$G \"v3\" is invalid: spec.range: Invalid value: \"integer\": spec.range in body must be of type string: \"integer\""
api POST $CRP "$(printf '{"apiVersion":"%s","kind":"IPPool","metadata":{"name":"v4"},"spec":{"allocations":{"1":"x"}}}' "$GV")"
is "two errors aggregate as [a, b]" \
	"[spec.allocations.1: Invalid value: \"string\": spec.allocations.1 in body must be of type object: \"string\", spec.range: Required value]" \
	"$(jb '.message | sub("^[^:]*: "; "")')"
api POST $CRP "$(pool Bad_Name)"
status_is "name that is not a DNS-1123 subdomain: 422" 422 Invalid \
	"IPPool.$G \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
api POST $CRP "$(printf '{"apiVersion":"%s","kind":"IPPool","metadata":{},"spec":{"range":"r","allocations":{}}}' "$GV")"
status_is "no name: 422" 422 Invalid "IPPool.$G \"\" is invalid: metadata.name: Required value: name or generateName is required"
api POST $CRP "$(printf '{"apiVersion":"%s","kind":"Other","metadata":{"name":"v5"},"spec":{}}' "$GV")"
status_is "kind that does not match the resource: 422" 422 Invalid "Other.$G \"v5\" is invalid: kind: Invalid value: \"Other\": must be IPPool"
api POST $CRP '{"apiVersion":"example.com/v1","kind":"IPPool","metadata":{"name":"v6"},"spec":{}}'
status_is "apiVersion of another group: 400" 400 BadRequest \
	"the API version in the data (example.com/v1) does not match the expected API version ($GV)"
api POST $CRP '{"metadata":{"name":"v7"}}'
is "no kind: 400 BadRequest" "400 BadRequest" "$(code) $(jb .reason)"
api POST $CRP "$(printf '{"apiVersion":"%s","kind":"IPPool","metadata":{"name":"v8","labels":{"bad key":"x"}},"spec":{"range":"r","allocations":{}}}' "$GV")"
is "invalid label key: 422 on metadata.labels" "422 metadata.labels" "$(code) $(jb '.details.causes[0].field')"
api POST $RSP "$(printf '{"apiVersion":"%s","kind":"OverlappingRangeIPReservation","metadata":{"name":"10.1.0.9"}}' "$GV")"
status_is "reservation without spec: 422" 422 Invalid \
	"OverlappingRangeIPReservation.$G \"10.1.0.9\" is invalid: spec: Required value"
api POST "$CRP?fieldValidation=Strict" "$(printf '{"apiVersion":"%s","kind":"IPPool","metadata":{"name":"v9"},"spec":{"range":"r","allocations":{},"zz":1}}' "$GV")"
status_is "fieldValidation=Strict rejects unknown fields: 400" 400 BadRequest 'strict decoding error: unknown field "spec.zz"'
api POST $CRP "$(printf '{"apiVersion":"%s","kind":"IPPool","metadata":{"name":"v10"},"spec":{"range":"r","allocations":{"1":{"id":"c","podref":null}}}}' "$GV")"
is "null in a non-nullable field is dropped, not rejected" "201 false" "$(code) $(jb '.spec.allocations["1"] | has("podref")')"

# --------------------------------------------------------------------------------------------
echo "# update (PUT)"
api PUT $CRP/p1 "$(pool p1 "$RV1" '{"3":{"id":"c3"},"4":{"id":"c4"}}')"
RV2=$(jb .metadata.resourceVersion)
is "PUT with the current resourceVersion: 200" 200 "$(code)"
check "resourceVersion increases ($RV1 -> $RV2)" [ "$RV2" -gt "$RV1" ]
is "spec change bumps generation, keeps uid/creationTimestamp" "2 $UID1 $(jq -r .metadata.creationTimestamp "$T/p1.json")" \
	"$(jb '"\(.metadata.generation) \(.metadata.uid) \(.metadata.creationTimestamp)"')"
is "labels dropped by the PUT body are gone (full replace)" null "$(jb .metadata.labels)"
api PUT $CRP/p1 "$(pool p1 "$RV2" '{"3":{"id":"c3"},"4":{"id":"c4"}}')"
is "no-op PUT leaves resourceVersion unchanged" "200 $RV2" "$(code) $(jb .metadata.resourceVersion)"
api PUT $CRP/p1 "$(pool p1 "$RV1" '{}')"
status_is "PUT with a stale resourceVersion: 409 Conflict" 409 Conflict \
	"Operation cannot be fulfilled on ippools.$G \"p1\": the object has been modified; please apply your changes to the latest version and try again"
api PUT $CRP/p1 "$(pool p1 '' '{}')"
status_is "PUT of a custom resource without resourceVersion: 422 (no unconditional update for CRs)" 422 Invalid \
	"ippools.$G \"p1\" is invalid: metadata.resourceVersion: Invalid value: 0: must be specified for an update"
api PUT $CRP/nothere "$(pool nothere 5)"
status_is "PUT of an object that does not exist: 404" 404 NotFound "ippools.$G \"nothere\" not found"
api PUT $CRP/p1 "$(pool p2 "$RV2")"
status_is "PUT with another name in the body: 400" 400 BadRequest \
	"the name of the object (p2) does not match the name on the URL (p1)"
api PUT $CRP/p1 "$(printf '{"apiVersion":"%s","kind":"IPPool","metadata":{"name":"p1","resourceVersion":"%s","uid":"0000"},"spec":{"range":"r","allocations":{}}}' "$GV" "$RV2")"
is "PUT with another uid: 409 Conflict (UID precondition)" "409 Conflict true" \
	"$(code) $(jb .reason) $(jb '.message | contains("Precondition failed: UID in precondition: 0000, UID in object meta: '"$UID1"'")')"
api PUT $CRP/p1 "$(pool p1 abc)"
status_is "PUT with a non-numeric resourceVersion: 500, no reason" 500 "" 'strconv.ParseUint: parsing "abc": invalid syntax'
api PUT $CRP/p1 "$(printf '{"apiVersion":"%s","kind":"IPPool","metadata":{"name":"p1","resourceVersion":"%s"},"spec":{"allocations":{}}}' "$GV" "$RV2")"
status_is "PUT that breaks the schema: 422" 422 Invalid "IPPool.$G \"p1\" is invalid: spec.range: Required value"
api GET $CRP/p1
is "failed writes left the object alone" "$RV2" "$(jb .metadata.resourceVersion)"
api POST $RSP "$(printf '{"apiVersion":"%s","kind":"OverlappingRangeIPReservation","metadata":{"name":"10.1.0.3"},"spec":{"containerid":"c3"}}' "$GV")"
RVR=$(jb .metadata.resourceVersion)
check "resourceVersion is one counter across resources ($RV2 < $RVR)" [ "$RVR" -gt "$RV2" ]

# --------------------------------------------------------------------------------------------
echo "# patch"
api -c application/merge-patch+json PATCH $CRP/p1 '{"metadata":{"annotations":{"rdmanet.io/released-9":"1"}},"spec":{"allocations":{"5":{"id":"c5","podref":"ns/e","ifname":"net1"},"4":null}}}'
is "merge patch: 200, adds key 5, removes key 4, keeps key 3" "200 3,5 1" \
	"$(code) $(jb '(.spec.allocations | keys | join(",")) + " " + .metadata.annotations["rdmanet.io/released-9"]')"
RV3=$(jb .metadata.resourceVersion)
check "merge patch without resourceVersion is unconditional (rv $RV3 > $RV2)" [ "$RV3" -gt "$RV2" ]
api -c application/merge-patch+json PATCH $CRP/p1 '{"metadata":{"annotations":{"rdmanet.io/released-9":null}}}'
is "merge patch removing the last annotation drops metadata.annotations" "200 null" "$(code) $(jb .metadata.annotations)"
RV3=$(jb .metadata.resourceVersion)
api -c application/merge-patch+json PATCH $CRP/p1 "{\"metadata\":{\"resourceVersion\":\"$RV1\"},\"spec\":{\"allocations\":{\"6\":{\"id\":\"c6\"}}}}"
status_is "merge patch carrying a stale resourceVersion: 409 Conflict" 409 Conflict \
	"Operation cannot be fulfilled on ippools.$G \"p1\": the object has been modified; please apply your changes to the latest version and try again"
api -c application/json-patch+json PATCH $CRP/p1 "[{\"op\":\"test\",\"path\":\"/metadata/resourceVersion\",\"value\":\"$RV1\"},{\"op\":\"add\",\"path\":\"/spec/allocations/6\",\"value\":{\"id\":\"c6\"}}]"
status_is "JSON patch whose test op fails: 422 Invalid with the generic message" 422 Invalid \
	"the server rejected our request due to an error in our request"
is "  ... and empty details (NewGenericServerResponse keeps no cause)" "{}" "$(jq -c .details "$T/body")"
api -c application/json-patch+json PATCH $CRP/p1 "[{\"op\":\"test\",\"path\":\"/metadata/resourceVersion\",\"value\":\"$RV3\"},{\"op\":\"add\",\"path\":\"/spec/allocations/6\",\"value\":{\"id\":\"c6\"}}]"
is "JSON patch whose test op passes: 200" "200 3,5,6" "$(code) $(jb '.spec.allocations | keys | join(",")')"
api -c application/json-patch+json PATCH $CRP/p1 '[{"op":"remove","path":"/spec/range"}]'
status_is "patch result that breaks the schema: 422" 422 Invalid "IPPool.$G \"p1\" is invalid: spec.range: Required value"
api -c application/json-patch+json PATCH $CRP/p1 '[{"op":"remove","path":"/spec/nothing"}]'
status_is "JSON patch removing a missing path: 422" 422 Invalid
api -c application/json-patch+json PATCH $CRP/p1 '{"op":"add"}'
is "JSON patch that is not an array: 400" "400 BadRequest" "$(code) $(jb .reason)"
api -c application/merge-patch+json PATCH $CRP/p1 '{"metadata":'
status_is "malformed patch body: 400" 400 BadRequest "invalid JSON patch"
api -c application/merge-patch+json PATCH $CRP/ghost '{"spec":{}}'
status_is "patch of an object that does not exist: 404" 404 NotFound "ippools.$G \"ghost\" not found"
api -c application/strategic-merge-patch+json PATCH $CRP/p1 '{"spec":{}}'
status_is "strategic merge patch on a custom resource: 415" 415 UnsupportedMediaType \
	"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
api -c application/merge-patch+json PATCH $CRP/p1 '{"metadata":{"uid":"other"}}'
is "patch changing metadata.uid: 422 field is immutable" "422 metadata.uid" "$(code) $(jb '.details.causes[0].field')"

# --------------------------------------------------------------------------------------------
echo "# concurrency"
api POST $CRP "$(pool busy)"
pids=()
for i in $(seq 10); do
	printf '{"spec":{"allocations":{"%d":{"id":"c%d"}}}}' "$i" "$i" | "${CURL[@]}" -o "$T/par.$i" -w '%{http_code}\n' \
		-H "Authorization: Bearer tok-admin" -H 'Content-Type: application/merge-patch+json' -X PATCH \
		--data-binary @- "$U$CRP/busy" >"$T/parcode.$i" &
	pids+=($!)
done
wait "${pids[@]}"
api GET $CRP/busy
is "10 parallel merge patches: all 200, no allocation lost" "200x10 10" \
	"$(cat "$T"/parcode.* | sort | uniq -c | awk '{printf "%sx%s", $2, $1}') $(jb '.spec.allocations | length')"
is "  ... each got its own resourceVersion" 10 "$(cat "$T"/par.* | jq -r .metadata.resourceVersion | sort -u | wc -l)"
pids=()
for i in $(seq 6); do
	pool busy "$(jb .metadata.resourceVersion)" "{\"$i\":{\"id\":\"x\"}}" | "${CURL[@]}" -o "$T/put.$i" -w '%{http_code}\n' \
		-H "Authorization: Bearer tok-admin" -H 'Content-Type: application/json' -X PUT \
		--data-binary @- "$U$CRP/busy" >"$T/putcode.$i" &
	pids+=($!)
done
wait "${pids[@]}"
is "6 parallel PUTs with one resourceVersion: one 200, five 409 Conflict" "1x200 5x409" \
	"$(cat "$T"/putcode.* | sort | uniq -c | awk '{printf "%sx%s ", $1, $2}' | sed 's/ $//')"
is "  ... the 409s say Conflict" "Conflict" "$(cat "$T"/put.* | jq -r 'select(.kind == "Status") | .reason' | sort -u)"
pids=()
for i in $(seq 6); do
	printf '{"apiVersion":"%s","kind":"OverlappingRangeIPReservation","metadata":{"name":"10.1.0.77"},"spec":{"containerid":"c%d"}}' "$GV" "$i" |
		"${CURL[@]}" -o "$T/claim.$i" -w '%{http_code}\n' -H "Authorization: Bearer tok-admin" \
			-H 'Content-Type: application/json' --data-binary @- "$U$RSP" >"$T/claimcode.$i" &
	pids+=($!)
done
wait "${pids[@]}"
is "6 parallel creates of one name: one 201, five 409 AlreadyExists" "1x201 5x409" \
	"$(cat "$T"/claimcode.* | sort | uniq -c | awk '{printf "%sx%s ", $1, $2}' | sed 's/ $//')"
api GET "$RSP/10.1.0.77"
is "  ... and the stored claim is the winner's" 1 \
	"$(cat "$T"/claim.* | jq -r 'select(.kind != "Status") | .spec.containerid' | grep -cx "$(jb .spec.containerid)")"
api DELETE "$RSP/10.1.0.77"
api DELETE "$CRP/busy"

# --------------------------------------------------------------------------------------------
echo "# delete"
api GET $CRP/p1
RVD=$(jb .metadata.resourceVersion)
api -c application/json DELETE $CRP/p1 '{"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"resourceVersion":"1"}}'
status_is "DELETE with a stale resourceVersion precondition: 409 Conflict" 409 Conflict \
	"Operation cannot be fulfilled on IPPool.$G \"p1\": the ResourceVersion in the precondition (1) does not match the ResourceVersion in record ($RVD). The object might have been modified"
api -c application/json DELETE $CRP/p1 '{"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"uid":"x-y"}}'
status_is "DELETE with another uid precondition: 409 Conflict" 409 Conflict \
	"Operation cannot be fulfilled on IPPool.$G \"p1\": the UID in the precondition (x-y) does not match the UID in record ($UID1). The object might have been deleted and then recreated"
api -c application/json DELETE $CRP/p1 '{"propagationPolicy":"Sideways"}'
status_is "DELETE with an unknown propagationPolicy: 422" 422 Invalid \
	'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sideways": supported values: "Foreground", "Background", "Orphan"'
api -c application/json DELETE $CRP/p1 "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"preconditions\":{\"uid\":\"$UID1\",\"resourceVersion\":\"$RVD\"}}"
is "DELETE with matching preconditions: 200 Status Success naming the object" \
	"200 Status Success p1 ippools $UID1" "$(code) $(jb '[.kind, .status, .details.name, .details.kind, .details.uid] | join(" ")')"
api DELETE $CRP/p1
status_is "DELETE again: 404" 404 NotFound "ippools.$G \"p1\" not found"
api POST $CRP "$(printf '{"apiVersion":"%s","kind":"IPPool","metadata":{"name":"fin","finalizers":["example.com/keep"]},"spec":{"range":"r","allocations":{}}}' "$GV")"
api DELETE $CRP/fin
is "DELETE of an object with finalizers: 200 with the object, deletionTimestamp set" "200 IPPool true 0 2" \
	"$(code) $(jb '"\(.kind) \(.metadata.deletionTimestamp != null) \(.metadata.deletionGracePeriodSeconds) \(.metadata.generation)"')"
api GET $CRP/fin
is "  ... it stays until its finalizers are gone" 200 "$(code)"
api POST $CRP "$(pool fin)"
check "create over an object being deleted says so" grep -q 'object is being deleted: ippools' "$T/body"
api -c application/merge-patch+json PATCH $CRP/fin '{"metadata":{"finalizers":null}}'
is "removing the last finalizer deletes it" 200 "$(code)"
api GET $CRP/fin
is "  ... then GET is 404" 404 "$(code)"

# --------------------------------------------------------------------------------------------
echo "# list: label selectors and pagination"
for i in 1 2 3 4 5 6; do
	color=$([ $((i % 2)) = 0 ] && echo red || echo blue)
	extra=$([ "$i" = 6 ] && echo ',"tier":"gold"' || echo '')
	api POST $RSP "$(printf '{"apiVersion":"%s","kind":"OverlappingRangeIPReservation","metadata":{"name":"10.2.0.%d","labels":{"color":"%s"%s}},"spec":{"containerid":"c%d"}}' "$GV" "$i" "$color" "$extra" "$i")"
done
api GET "$RSP"
is "list: kind, items in key order" "OverlappingRangeIPReservationList 10.1.0.3 10.2.0.1 10.2.0.2 10.2.0.3 10.2.0.4 10.2.0.5 10.2.0.6" \
	"$(jb '.kind + " " + ([.items[].metadata.name] | join(" "))')"
LISTRV=$(jb .metadata.resourceVersion)
check "list metadata.resourceVersion is the current revision ($LISTRV)" [ "$LISTRV" -ge "$RVR" ]
is "custom resource list items carry apiVersion and kind" "$GV OverlappingRangeIPReservation" "$(jb '.items[0].apiVersion + " " + .items[0].kind')"
sel() { api GET "$RSP?labelSelector=$(jq -rn --arg s "$1" '$s|@uri')"; jb '[.items[].metadata.name] | join(" ")'; }
is "labelSelector color=red" "10.2.0.2 10.2.0.4 10.2.0.6" "$(sel color=red)"
is "labelSelector color==blue" "10.2.0.1 10.2.0.3 10.2.0.5" "$(sel color==blue)"
is "labelSelector color!=red (also matches objects without the label)" "10.1.0.3 10.2.0.1 10.2.0.3 10.2.0.5" "$(sel color!=red)"
is "labelSelector tier (exists)" "10.2.0.6" "$(sel tier)"
is "labelSelector !tier,color=red" "10.2.0.2 10.2.0.4" "$(sel '!tier,color=red')"
is "labelSelector color in (red,green),tier notin (gold)" "10.2.0.2 10.2.0.4" "$(sel 'color in (red,green),tier notin (gold)')"
sel 'color==' >/dev/null
is "labelSelector color== (empty value) is valid" 200 "$(code)"
sel 'a b c' >/dev/null
is "malformed labelSelector: 400 BadRequest" "400 BadRequest" "$(code) $(jb .reason)"
api GET "$RSP?fieldSelector=metadata.name%3D10.2.0.5"
is "fieldSelector metadata.name" "10.2.0.5" "$(jb '[.items[].metadata.name] | join(" ")')"
api GET "$RSP?fieldSelector=spec.containerid%3Dc5"
status_is "fieldSelector on an unsupported field: 400" 400 BadRequest "field label not supported: spec.containerid"

api GET "$RSP?limit=3"
C1=$(jb .metadata.continue)
is "limit=3: 3 items, remainingItemCount 4" "10.1.0.3 10.2.0.1 10.2.0.2 4" \
	"$(jb '([.items[].metadata.name] | join(" ")) + " " + (.metadata.remainingItemCount|tostring)')"
PAGERV=$(jb .metadata.resourceVersion)
api -c application/merge-patch+json PATCH "$RSP/10.2.0.5" '{"spec":{"containerid":"changed"}}'
api DELETE "$RSP/10.2.0.4"
api POST $RSP "$(printf '{"apiVersion":"%s","kind":"OverlappingRangeIPReservation","metadata":{"name":"10.2.0.44"},"spec":{"containerid":"late"}}' "$GV")"
api GET "$RSP?limit=3&continue=$C1"
is "continue: the next page comes from the first page's snapshot" "10.2.0.3 10.2.0.4 10.2.0.5 c5 $PAGERV" \
	"$(jb '([.items[].metadata.name] | join(" ")) + " " + .items[2].spec.containerid + " " + .metadata.resourceVersion')"
C2=$(jb .metadata.continue)
api GET "$RSP?limit=3&continue=$C2"
is "last page: no continue token, no remainingItemCount" "10.2.0.6 null null" \
	"$(jb '([.items[].metadata.name] | join(" ")) + " " + (.metadata.continue|tostring) + " " + (.metadata.remainingItemCount|tostring)')"
api GET "$RSP?limit=2&labelSelector=color%3Dred"
is "limit with a selector: continue but no remainingItemCount" "10.2.0.2 10.2.0.6 null" \
	"$(jb '([.items[].metadata.name] | join(" ")) + " " + (.metadata.remainingItemCount|tostring)')"
api GET "$RSP?limit=2&continue=not-base64!"
is "garbage continue token: 400" "400 BadRequest" "$(code) $(jb .reason)"
api GET "$RSP?limit=2&continue=$C1&resourceVersion=5"
status_is "continue with resourceVersion: 400" 400 BadRequest "specifying resource version is not allowed when using continue"
adm POST /_test/compact '{}'
api GET "$RSP?limit=3&continue=$C1"
status_is "continue token older than the compaction: 410 Expired" 410 Expired
check "  ... with a fresh continue token in metadata" [ -n "$(jb '.metadata.continue // empty')" ]
api GET "$RSP?limit=3&continue=$(jb .metadata.continue)"
is "  ... which continues at the latest revision" "10.2.0.3 10.2.0.44 10.2.0.5" "$(jb '[.items[].metadata.name] | join(" ")')"
adm GET /_test/dump
CUR=$(jb .resourceVersion)
api GET "$RSP?resourceVersion=999999"
status_is "list with a resourceVersion from the future: 504 Timeout" 504 Timeout "Timeout: Too large resource version: 999999, current: $CUR"
is "  ... with the ResourceVersionTooLarge cause" ResourceVersionTooLarge "$(jb '.details.causes[0].reason')"
api GET "/apis/$GV/overlappingrangeipreservations"
is "list across all namespaces" 200 "$(code)"
api -c application/json DELETE "$RSP?labelSelector=color%3Dblue" ''
is "deletecollection with a selector returns the deleted items" "200 10.2.0.1 10.2.0.3 10.2.0.5" "$(code) $(jb '[.items[].metadata.name] | join(" ")')"
api GET "$RSP?labelSelector=color%3Dblue"
is "  ... and they are gone" 0 "$(jb '.items | length')"

# --------------------------------------------------------------------------------------------
echo "# pods"
adm POST /_test/pods '{"action":"put","pod":{"metadata":{"name":"web-1","namespace":"default","labels":{"app":"web"},"annotations":{"k8s.v1.cni.cncf.io/networks":"rdma"}},"spec":{"nodeName":"node1"},"status":{"phase":"Running"}}}'
is "/_test/pods creates a pod" 201 "$(code)"
adm POST /_test/pods '{"action":"put","pod":{"metadata":{"name":"db-1","namespace":"team-b","deletionTimestamp":"2030-01-01T00:00:00Z"},"spec":{"nodeName":"node2"},"status":{"phase":"Succeeded"}}}'
api GET /api/v1/pods
is "GET /api/v1/pods lists every namespace, PodList items without kind" "PodList default/web-1 team-b/db-1 null" \
	"$(jb '.kind + " " + ([.items[] | .metadata.namespace + "/" + .metadata.name] | join(" ")) + " " + (.items[0].kind|tostring)')"
api -t tok-ro GET "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode1"
is "pods fieldSelector spec.nodeName (as a restricted user with list:pods)" "web-1" "$(jb '[.items[].metadata.name] | join(" ")')"
api GET "/api/v1/pods?fieldSelector=status.phase%21%3DRunning"
is "pods fieldSelector status.phase!=Running" "db-1" "$(jb '[.items[].metadata.name] | join(" ")')"
api GET /api/v1/namespaces/team-b/pods/db-1
is "GET one pod keeps deletionTimestamp and phase" "Pod 2030-01-01T00:00:00Z Succeeded" \
	"$(jb '.kind + " " + .metadata.deletionTimestamp + " " + .status.phase')"
api -t tok-ro GET /api/v1/namespaces/default/pods/web-1
status_is "a user allowed only list:pods cannot get one" 403 Forbidden \
	'pods "web-1" is forbidden: User "bob" cannot get resource "pods" in API group "" in the namespace "default"'
api -c application/json DELETE /api/v1/namespaces/default/pods/web-1 '{"gracePeriodSeconds":30}'
is "graceful pod delete returns the pod with deletionTimestamp" "200 Pod 30" "$(code) $(jb '.kind + " " + (.metadata.deletionGracePeriodSeconds|tostring)')"
api -c application/json DELETE /api/v1/namespaces/default/pods/web-1 '{"gracePeriodSeconds":0}'
api GET /api/v1/namespaces/default/pods/web-1
status_is "gracePeriodSeconds=0 deletes the pod" 404 NotFound 'pods "web-1" not found'
is "core NotFound has no group in details" "web-1 pods null" "$(jb '"\(.details.name) \(.details.kind) \(.details.group)"')"
adm POST /_test/pods '{"action":"delete","namespace":"team-b","name":"db-1"}'
api GET /api/v1/pods
is "/_test/pods deletes a pod" 0 "$(jb '.items | length')"

echo "# events (core/v1)"
EVP=/api/v1/namespaces/$NS/events
ev() { # ev NAME [NAMESPACE-OF-INVOLVED-OBJECT] [COUNT]
	printf '{"apiVersion":"v1","kind":"Event","metadata":{"name":"%s","namespace":"%s"},"involvedObject":{"apiVersion":"%s","kind":"IPPool","name":"p1","namespace":"%s","uid":"u-1"},"reason":"PoolExhausted","message":"m","type":"Warning","count":%s,"firstTimestamp":"2026-01-01T00:00:00Z","lastTimestamp":"2026-01-01T00:00:00Z","source":{"component":"rdmanet-ipam","host":"n1"}}' \
		"$1" "$NS" "$GV" "${2:-$NS}" "${3:-1}"
}
api -t tok-ev POST $EVP "$(ev p1.abc)"
is "POST an Event with create:events: 201, stored with a uid" "201 true" "$(code) $(jb '.metadata.uid != null')"
api -t tok-ev POST $EVP "$(ev p1.abc)"
status_is "the same name again: 409 AlreadyExists" 409 AlreadyExists 'events "p1.abc" already exists'
api -t tok-ev -c application/merge-patch+json PATCH $EVP/p1.abc '{"count":5,"lastTimestamp":"2026-01-01T00:01:00Z"}'
is "merge-patch of count and lastTimestamp with patch:events" "200 5 2026-01-01T00:01:00Z" "$(code) $(jb '"\(.count) \(.lastTimestamp)"')"
api -t tok-ev -c application/merge-patch+json PATCH $EVP/nothing '{"count":2}'
status_is "PATCH of a missing Event: 404" 404 NotFound 'events "nothing" not found'
api -t tok-ev GET $EVP
status_is "create and patch do not give list" 403 Forbidden \
	'events is forbidden: User "dave" cannot list resource "events" in API group "" in the namespace "kube-system"'
api -t tok-none POST $EVP "$(ev p1.def)"
status_is "a token without events rights cannot create one" 403 Forbidden \
	'events is forbidden: User "carol" cannot create resource "events" in API group "" in the namespace "kube-system"'
api POST $EVP "$(ev p1.ghi default)"
status_is "involvedObject.namespace must be the Event's: 422" 422 Invalid \
	'Event "p1.ghi" is invalid: involvedObject.namespace: Invalid value: "default": does not match event.namespace'
api POST $EVP "$(ev p1.jkl "$NS" '"7"')"
is "count must be an integer: 422" 422 "$(code)"
api POST $EVP "$(ev p1.mno | jq -c '.involvedObject.kind="Pod"')"
api GET "$EVP?fieldSelector=involvedObject.kind%3DIPPool"
is "list with fieldSelector involvedObject.kind=IPPool: EventList" "EventList p1.abc" \
	"$(jb '"\(.kind) \([.items[].metadata.name] | join(" "))"')"
api GET "/api/v1/events?fieldSelector=reason%3DPoolExhausted,type%3DWarning,involvedObject.name%3Dp1"
is "all namespaces, fieldSelector reason, type and involvedObject.name" "p1.abc p1.mno" "$(jb '[.items[].metadata.name] | join(" ")')"
api GET "$EVP?fieldSelector=spec.nodeName%3Dx"
status_is "a pod field label is no Event's" 400 BadRequest "field label not supported: spec.nodeName"

# --------------------------------------------------------------------------------------------
echo "# faults"
adm POST /_test/faults '{"reset":true,"status":500,"count":2,"match":"/ippools"}'
api GET $CRP
status_is "fault status 500 (1/2)" 500 InternalError "Internal error occurred: injected fault"
api GET /api/v1/pods
is "fault only hits matching paths" 200 "$(code)"
api GET $CRP
is "fault status 500 (2/2)" 500 "$(code)"
api GET $CRP
is "after count requests the fault is spent" 200 "$(code)"
adm POST /_test/faults '{"delay_ms":700}'
t0=$(now_ms); api GET /version; t1=$(now_ms)
check "delay_ms=700 delays the response ($((t1 - t0)) ms)" [ $((t1 - t0)) -ge 650 ]
adm POST /_test/faults '{"status":503,"count":-1}'
adm POST /_test/faults '{"reset":true}'
api GET /version
is "reset clears pending faults" 200 "$(code)"
adm POST /_test/faults '{"huge_body_bytes":9437184,"match":"/ippools"}'
size=$("${CURL[@]}" -H "Authorization: Bearer tok-admin" -o "$T/huge" -w '%{size_download}' "$U$CRP")
is "huge_body_bytes sends a 9 MiB body with a matching Content-Length" "9437184 9437184" "$size $(stat -c %s "$T/huge")"
check "  ... that is valid JSON" jq -e '.kind == "Status"' "$T/huge" >/dev/null
adm POST /_test/faults '{"status":429,"retry_after":2}'
api GET /version
status_is "fault 429 TooManyRequests" 429 TooManyRequests
check "  ... with a Retry-After header" grep -qi '^Retry-After: 2' "$T/hdr"
adm POST /_test/faults '{"close":true}'
api GET /version
is "close fault: connection closed without a response (curl exit 52)" "52" "$(grep -o 'curl: ([0-9]*)' "$T/curl.err" | tr -dc 0-9)"
adm POST /_test/faults '{"status":500,"after":true,"match":"/ippools","method":"POST"}'
api POST $CRP "$(pool after)"
is "after:true fault: the client sees 500 ..." 500 "$(code)"
api GET $CRP/after
is "  ... but the write was committed" 200 "$(code)"
adm POST /_test/faults '{"slow_body_ms":600}'
t0=$(now_ms); api GET $CRP/after; t1=$(now_ms)
is "slow_body_ms=600 trickles the body ($((t1 - t0)) ms), still 200" "200 slow" "$(code) $([ $((t1 - t0)) -ge 600 ] && echo slow)"
adm POST /_test/faults '{"truncate":true,"match":"/ippools/after"}'
api GET $CRP/after
check "truncate fault: the body ends early (curl exit 18)" grep -q 'curl: (18)' "$T/curl.err"
adm POST /_test/faults '{"body":"<html>proxy error</html>","status":502,"content_type":"text/html"}'
api GET /version
is "body fault: arbitrary non-JSON answer" "502 <html>proxy error</html>" "$(code) $(cat "$T/body")"
adm GET /_test/faults
is "spent faults are listed with count 0" 0 "$(jb '[.faults[] | select(.count != 0)] | length')"

# --------------------------------------------------------------------------------------------
echo "# keep-alive, stats, request size"
adm GET /_test/stats
c0=$(jb .connections) r0=$(jb .requests_total)
n=$("${CURL[@]}" -H "Authorization: Bearer tok-admin" -o /dev/null -o /dev/null -w '%{num_connects} ' "$U/version" "$U/api")
is "curl reuses the connection for the second request (num_connects)" "1 0 " "$n"
adm GET /_test/stats
is "server counted 2 requests on 1 new connection (+1 for the stats query)" "2 2" \
	"$(($(jb .connections) - c0)) $(($(jb .requests_total) - r0))"
adm POST /_test/stats '{"reset":true}'
api PUT $CRP/after "$(pool after 1)"
api PUT $CRP/after "$(pool after 1)"
api GET $CRP/after
api -t tok-none GET $CRP
adm GET /_test/stats
is "stats count requests per verb:resource and 409s" "2 1 1 2 2" \
	"$(jb '"\(.requests["update:ippools"]) \(.requests["get:ippools"]) \(.requests["list:ippools"]) \(.conflicts) \(.conflicts_by_reason.Conflict)"')"
head -c 3200000 /dev/zero | tr '\0' 'a' >"$T/big"
"${CURL[@]}" -H "Authorization: Bearer tok-admin" -H 'Content-Type: application/json' --data-binary @"$T/big" \
	-o "$T/body" -w '%{http_code}' "$U$CRP" >"$T/code" 2>/dev/null
status_is "request body over 3 MiB: 413" 413 RequestEntityTooLarge "Request entity too large: limit is 3145728"

# --------------------------------------------------------------------------------------------
echo "# state file"
api GET $CRP/after
RVA=$(jb .metadata.resourceVersion)
adm GET /_test/dump
DUMPRV=$(jb .resourceVersion)
is "/_test/dump shows the store" "true" "$(jb '[.objects.ippools[].metadata.name] | index("after") != null')"
adm POST /_test/save '{}'
is "/_test/save writes the state file now" "$RVA" \
	"$(jq -r '.objects.ippools[] | select(.metadata.name == "after") | .metadata.resourceVersion' "$T/state.json")"
stop_server
check "state file written on exit" jq -e '.objects.ippools | length > 0' "$T/state.json" >/dev/null
start_server --cert "$T/pki/server.crt" --key "$T/pki/server.key" --state-file "$T/state.json"
api GET $CRP/after
is "restart with --state-file: object and resourceVersion survive" "200 $RVA" "$(code) $(jb .metadata.resourceVersion)"
api -c application/merge-patch+json PATCH $CRP/after '{"spec":{"range":"10.9.0.0/24"}}'
check "resourceVersion keeps increasing after the restart ($(jb .metadata.resourceVersion) > $DUMPRV)" \
	[ "$(jb .metadata.resourceVersion)" -gt "$DUMPRV" ]
api GET /apis/$GV/namespaces/team-a/ippools/p1
is "namespaces created by --namespace are saved too" 200 "$(code)"
stop_server

echo "# --update-cost-*: writers of one object queue as in kube-apiserver"
start_server --cert "$T/pki/server.crt" --key "$T/pki/server.key" --update-cost-ms 100 --update-cpus 4
CP=/apis/$GV/namespaces/$NS/ippools
api POST $CP "$(pool contended)"
RV0=$(jb .metadata.resourceVersion)
adm POST /_test/stats '{"reset":true}'
pids=()
for i in 1 2 3 4; do
	( T=$T/w$i; mkdir -p "$T"
	  api -c application/merge-patch+json PATCH $CP/contended "{\"spec\":{\"allocations\":{\"$i\":{\"id\":\"c$i\"}}}}"
	  code >"$T/../w$i.code" ) &
	pids+=($!)
done
wait "${pids[@]}"	# not a bare wait: the server runs in the background too
is "4 concurrent patches without resourceVersion all succeed" "200 200 200 200" "$(for f in "$T"/w[1-4].code; do printf '%s ' "$(cat "$f")"; done | sed 's/ $//')"
api GET $CP/contended
is "... all 4 entries are stored" "1,2,3,4" "$(jb '.spec.allocations | keys | join(",")')"
adm GET /_test/stats
check "... those that a write beat were tried again ($(jb .update_retries) tries again)" \
	[ "$(jb .update_retries)" -ge 1 ]
api -c application/merge-patch+json PATCH $CP/contended "{\"metadata\":{\"resourceVersion\":\"$RV0\"},\"spec\":{\"range\":\"10.1.0.0/24\"}}"
status_is "... a patch guarded by a stale resourceVersion is a 409, not tried again" 409 Conflict
stop_server

echo "# plain HTTP (negative tests only), anonymous requests"
start_server --plain-http --anonymous-auth
out=$(curl -sS --max-time 5 -H "Authorization: Bearer tok-admin" "http://127.0.0.1:$P/version" | jq -r .major)
is "--plain-http serves HTTP" 1 "$out"
out=$(curl -sS --max-time 5 "http://127.0.0.1:$P/version" | jq -r .major)
is "--anonymous-auth: /version is public" 1 "$out"
curl -sS --max-time 5 -o "$T/body" -w '%{http_code}' "http://127.0.0.1:$P/api/v1/pods" >"$T/code"
status_is "--anonymous-auth: resources are forbidden to system:anonymous" 403 Forbidden \
	'pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" at the cluster scope'
curl -sS --max-time 5 -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer bad" "http://127.0.0.1:$P/version" >"$T/code"
status_is "--anonymous-auth: a bad token is still 401" 401 Unauthorized
curl -sS --max-time 5 -o /dev/null --cacert "$T/pki/ca.crt" "https://127.0.0.1:$P/version" 2>/dev/null
rc=$?
check "--plain-http: a TLS client fails (curl exit $rc)" [ $rc -ne 0 ]
stop_server

# --------------------------------------------------------------------------------------------
# The schemas come from a CRD file. deploy/crds.yaml must take every object whereabouts writes,
# unchanged (an operator may apply it over whereabouts' CRDs); whereabouts' own constraints
# (tests/fixtures/whereabouts/crds-v0.9.4.yaml) must be enforced when that file is loaded.
echo "# CRD file (--crds): deploy/crds.yaml and whereabouts' objects"
WB=tests/fixtures/whereabouts
# wb_objects CRD-FILE: POSTs each object of $WB/objects.json; "code name spec-unchanged" lines
wb_objects() {
	local i n o kind path
	n=$(jq length $WB/objects.json)
	for ((i = 0; i < n; i++)); do
		o=$(jq -c ".[$i].object" $WB/objects.json)
		kind=$(jq -r .kind <<<"$o")
		path=$CRP
		[ "$kind" = IPPool ] || path=$RSP
		api POST "$path?fieldValidation=Strict" "$o"
		printf '%s %s %s\n' "$(code)" "$(jq -r .metadata.name <<<"$o")" \
			"$(jq --argjson s "$(jq -c .spec <<<"$o")" '.spec == $s' "$T/body" 2>/dev/null)"
	done
}
check "fixtures: $WB/objects.json holds 8 objects (4 IPPools, 4 reservations)" \
	[ "$(jq -c '[.[].object.kind] | group_by(.) | map(length)' $WB/objects.json)" = "[4,4]" ]
start_server --plain-http
CURL=(curl -sS --max-time 10)
U=http://127.0.0.1:$P
got=$(wb_objects)
is "deploy/crds.yaml: every whereabouts-shaped object is created (201) with its spec unchanged" \
	"$(jq -r '.[] | "201 \(.object.metadata.name) true"' $WB/objects.json)" "$got"
adm GET /_test/dump
is "... and stored so: reservations without containerid keep podref and ifname" \
	'{"podref":"default/web-0","ifname":"net1"}' \
	"$(jq -c '.objects.overlappingrangeipreservations[] | select(.metadata.name == "10.70.0.1") | .spec' "$T/body")"
api POST $RSP "$(printf '{"apiVersion":"%s","kind":"OverlappingRangeIPReservation","metadata":{"name":"10.70.0.9"},"spec":{"containerid":7}}' "$GV")"
status_is "... while a field of the wrong type is still refused" 422 Invalid \
	"OverlappingRangeIPReservation.$G \"10.70.0.9\" is invalid: spec.containerid: Invalid value: \"integer\": spec.containerid in body must be of type string: \"integer\""
stop_server

start_server --plain-http --crds $WB/crds-v0.9.4.yaml
U=http://127.0.0.1:$P
got=$(wb_objects)
is "whereabouts' schema: its v0.8+ objects are accepted, the v0.7 shapes without podref refused" \
	"$(jq -r '.[] | if .object.kind == "IPPool" and (.object.spec.allocations | all(has("podref")) | not)
		or .object.kind != "IPPool" and (.object.spec | has("podref") | not)
		then "422 \(.object.metadata.name) false" else "201 \(.object.metadata.name) true" end' $WB/objects.json)" \
	"$got"
api POST $RSP "$(printf '{"apiVersion":"%s","kind":"OverlappingRangeIPReservation","metadata":{"name":"10.70.0.9"},"spec":{"containerid":"c"}}' "$GV")"
status_is "... a reservation without podref: 422 as whereabouts' CRD says" 422 Invalid \
	"OverlappingRangeIPReservation.$G \"10.70.0.9\" is invalid: spec.podref: Required value"
api POST $RSP "$(printf '{"apiVersion":"%s","kind":"OverlappingRangeIPReservation","metadata":{"name":"10.70.0.9"},"spec":{"containerid":"c","podref":"ns/p","ifname":"net1"}}' "$GV")"
is "... what rdmanet-ipam writes (containerid, podref, ifname) is accepted unchanged" \
	'201 {"containerid":"c","ifname":"net1","podref":"ns/p"}' "$(code) $(jq -c .spec "$T/body")"
stop_server

printf 'kind: CustomResourceDefinition\n' >"$T/nocrd.yaml"
python3 "$SERVER" --plain-http --crds "$T/nocrd.yaml" >/dev/null 2>"$T/crds.err"
check "--crds without the two CRDs: refused, naming what is missing" \
	grep -q "no served CRD version for ippools, overlappingrangeipreservations" "$T/crds.err"
sed 's/^\( *\)type: string$/&\n\1pattern: "^x"/' $WB/crds-v0.9.4.yaml >"$T/pattern.yaml"
python3 "$SERVER" --plain-http --crds "$T/pattern.yaml" >/dev/null 2>"$T/crds.err"
check "--crds using a keyword the validator lacks (pattern): refused, not half-checked" \
	grep -q "keywords this server does not implement: pattern" "$T/crds.err"
python3 "$SERVER" --plain-http --crds "$T/missing.yaml" >/dev/null 2>"$T/crds.err"
check "--crds naming no file: refused" grep -q "crds:.*No such file" "$T/crds.err"

if [ "$fail" -gt 0 ] && [ -s "$T/server.err" ]; then
	echo "# server stderr:"
	sed 's/^/#   /' "$T/server.err"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
