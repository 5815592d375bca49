#!/bin/bash
# test_manifests.sh - everything an operator applies or copies: every YAML file under deploy/ and
# conf-examples/ parses; kinds, names, workloads, the DaemonSet, the reconciler (and its metrics
# Service, the example ServiceMonitor, metric names in the docs), RBAC (exactly
# the rights README lists), structural CRDs; each NetworkAttachmentDefinition's spec.config
# passes rdmanet's and rdmanet-ipam's own config parsers (tests/tools/config_check.c, as Multus
# passes the config: with deviceID for a NAD with a resourceName); ranges disjoint; pods name
# existing networks and ask for RDMA resources and IPC_LOCK; the verification Job and the NCCL
# example; the Dockerfile against the manifests and the build; the operator guide against every
# error code and doctor finding in the source. The checks are tests/tools/check_manifests.py
# (python3-yaml); `kubectl kustomize deploy/` builds too when kubectl is installed.
. "$(dirname "$0")/lib.sh"
integ_setup "$@"
case $BUILD in /*) CC_BIN=$BUILD/tests/config-check ;; *) CC_BIN=$ROOT/$BUILD/tests/config-check ;; esac
[ -x "$CC_BIN" ] || die "setup" "$CC_BIN is not built (make tests)"
# python3 with the yaml module: the one on PATH, else Debian's (python3-yaml, scripts/deps.sh)
PY=
for p in python3 /usr/bin/python3; do "$p" -c 'import yaml' 2>/dev/null && { PY=$p; break; }; done
[ -n "$PY" ] || die "setup" "no python3 with the yaml module (apt-get install python3-yaml)"

# config-check itself: a good config, a bad one, an rdmanet-ipam section the IPAM rejects
check "config-check accepts a valid config" \
	bash -c "echo '{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"rdmanet\",\"master\":\"ib0\"}' |
		'$CC_BIN' - | jq -e '.link == \"auto\" and .master == \"ib0\"' >/dev/null"
out=$(echo '{"cniVersion":"1.0.0","name":"n","type":"rdmanet","master":"ib0","mode":"x"}' | "$CC_BIN" - 2>/dev/null)
check "config-check prints rdmanet's CNI error for a bad config" jqt '.code == 7 and (.msg|test("mode"))' <<<"$out"
out=$(echo '{"cniVersion":"1.0.0","name":"n","type":"rdmanet","master":"ib0",
	"ipam":{"type":"rdmanet-ipam","range":"10.0.0.0/8","exclude":["11.0.0.0/24"]}}' | "$CC_BIN" - 2>/dev/null)
check "config-check runs rdmanet-ipam's parser on its ipam section" jqt '.code == 7 and (.msg|test("exclude"))' <<<"$out"

while IFS= read -r line; do
	case $line in
	"ok - "*) ok "${line#ok - }" ;;
	"not ok - "*) nok "${line#not ok - }" ;;
	*) echo "$line" ;;
	esac
done < <("$PY" tests/tools/check_manifests.py "$ROOT" "$CC_BIN" 2>&1)

if command -v kubectl >/dev/null; then
	out=$(kubectl kustomize deploy/ 2>&1)
	check "kubectl kustomize deploy/ builds" test "$(grep -c '^kind: ' <<<"$out")" -ge 8
else
	echo "# kubectl is not installed: kubectl kustomize deploy/ not tried"
fi
finish
