#!/bin/bash
# lib.sh - start the test API server and write kubeconfigs for it (sourced by the tests and the
# IPAM benchmark that talk to tests/k8s/apiserver.py). K8S_DIR holds pki/ (from certs.sh),
# tokens.json, the port file and the server's log.

# k8s_server_start DIR ADMIN-TOKEN [apiserver.py options...]: TLS on 127.0.0.1 (port from
# K8S_PORT_WANT, default any); sets K8S_DIR, SRV_PID and PORT; 1 when it did not come up.
k8s_server_start() {
	K8S_DIR=$1
	local admin=$2; shift 2
	rm -f "$K8S_DIR/port"
	python3 "$(dirname "${BASH_SOURCE[0]}")/apiserver.py" --listen "127.0.0.1:${K8S_PORT_WANT:-0}" \
		--cert "$K8S_DIR/pki/server.crt" --key "$K8S_DIR/pki/server.key" \
		--tokens "$K8S_DIR/tokens.json" --admin-token "$admin" --port-file "$K8S_DIR/port" \
		"$@" >"$K8S_DIR/server.log" 2>&1 &
	SRV_PID=$!
	for _ in $(seq 100); do
		[ -s "$K8S_DIR/port" ] && { PORT=$(cat "$K8S_DIR/port"); return 0; }
		sleep 0.1
	done
	return 1
}

k8s_server_stop() {
	[ -n "${SRV_PID:-}" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
	SRV_PID=
}

# k8s_kubeconfig FILE TOKEN [NAMESPACE]: a kubectl-style kubeconfig for the running server.
k8s_kubeconfig() {
	cat >"$1" <<KEOF
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: https://127.0.0.1:$PORT
    certificate-authority: $K8S_DIR/pki/ca.crt
contexts:
- name: test
  context:
    cluster: test
    user: test
${3:+    namespace: $3
}current-context: test
users:
- name: test
  user:
    token: $2
KEOF
}
