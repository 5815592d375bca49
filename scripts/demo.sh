#!/bin/bash
# demo.sh - the quick start: installs what is missing, builds rdmanet and attaches two "pods"
# to a stand-in RDMA parent (a veth) in throwaway namespaces, exactly as a container runtime
# calls a CNI plugin: ADD, a ping between the pods, CHECK, DEL; then a third pod whose address
# comes from rdmanet-ipam, stored in a (local, test) Kubernetes API server; and proof nothing
# is left.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root: the demo creates network namespaces and links" >&2; exit 1; }
if [ "${1:-}" != --inside ]; then
	scripts/deps.sh
	make -s WERROR=1
	# private mount + network namespaces: nothing the demo creates reaches the host
	exec unshare --mount --net --propagation private "$0" --inside
fi

B=$PWD/build/rdmanet
WORK=$(mktemp -d)
. tests/k8s/lib.sh
# rdmanet-ipam's pool locks (/run/rdmanet-ipam) go to a private tmpfs too; the folder goes again
# at exit when the demo made it
[ -d /run/rdmanet-ipam ] && MADE_LOCKS= || MADE_LOCKS=1
trap 'k8s_server_stop; rm -rf "$WORK"; umount /run/rdmanet-ipam 2>/dev/null
	[ -z "$MADE_LOCKS" ] || rmdir /run/rdmanet-ipam 2>/dev/null' EXIT
mkdir -p /run/netns && mount -t tmpfs rdmanet-demo /run/netns
mkdir -p /run/rdmanet-ipam && mount -t tmpfs rdmanet-demo-locks /run/rdmanet-ipam
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

say "A stand-in for the RDMA parent netdev: veth 'rdma0' (its peer stays up for carrier)"
ip link add rdma0 type veth peer name rdma0-peer
ip link set rdma0 up; ip link set rdma0-peer up
ip netns add pod-a; ip netns add pod-b
run ip -br link show rdma0

CONF=$(cat <<JSON
{"cniVersion":"1.1.0","name":"rdma-net","type":"rdmanet","master":"rdma0","mode":"bridge",
 "ipam":{"type":"host-local","ranges":[[{"subnet":"192.168.77.0/24","rangeStart":"192.168.77.10"}]],
         "routes":[{"dst":"192.168.0.0/16"}],"dataDir":"$WORK/ipam"}}
JSON
)
say "Network configuration (what a NetworkAttachmentDefinition carries)"
jq . <<<"$CONF"

cni() { # command container netns [extra config file]
	CNI_COMMAND=$1 CNI_CONTAINERID=$2 CNI_NETNS=${3:+/run/netns/$3} CNI_IFNAME=net1 \
	CNI_PATH=/usr/lib/cni CNI_ARGS=${3:+"IgnoreUnknown=true;K8S_POD_NAMESPACE=demo;K8S_POD_NAME=$3"} \
	"$B" <"${4:-$WORK/conf.json}"
}
printf '%s' "$CONF" >"$WORK/conf.json"

for p in a b; do
	say "ADD pod-$p (CNI_COMMAND=ADD CNI_IFNAME=net1 CNI_NETNS=/run/netns/pod-$p ... rdmanet < config)"
	cni ADD "demo-container-$p" "pod-$p" | tee "$WORK/result-$p.json" | jq .
done

say "Inside pod-a: the macvlan child of rdma0, named net1, with its address, its own routing table and rule"
run ip -n pod-a -d -br addr show net1
run ip -n pod-a route show table all dev net1 type unicast
run ip -n pod-a rule show
ip -n pod-a -d link show net1 | grep -oE 'macvlan mode [a-z]+'

ADDR_B=$(jq -r '.ips[0].address' "$WORK/result-b.json"); ADDR_B=${ADDR_B%/*}
say "pod-a reaches pod-b over the parent ($ADDR_B)"
run ip netns exec pod-a ping -c 2 -W 2 "$ADDR_B"

say "CHECK pod-a against its ADD result (prevResult)"
jq --slurpfile r "$WORK/result-a.json" '. + {prevResult: $r[0]}' "$WORK/conf.json" >"$WORK/check.json"
cni CHECK demo-container-a pod-a "$WORK/check.json" && echo "CHECK: ok"
say "Remove pod-a's address behind the plugin's back: CHECK notices"
ip -n pod-a addr flush dev net1
cni CHECK demo-container-a pod-a "$WORK/check.json" | jq . || true

say "STATUS of the network (CNI 1.1.0)"
cni STATUS "" "" && echo "STATUS: ready"

say "DEL both pods (twice: DEL is idempotent), pod-b after its netns is already gone"
cni DEL demo-container-a pod-a && cni DEL demo-container-a pod-a && echo "DEL pod-a: ok (twice)"
ip netns del pod-b
cni DEL demo-container-b pod-b && echo "DEL pod-b after netns removal: ok"

say "rdmanet doctor: what RDMA this node has (none here: it says why and how to fix it; the RDMA paths run on a real kernel in tests/vm)"
run "$B" doctor rdma0 || true

say "rdmanet-ipam: the address comes from the Kubernetes API (a local test API server on 127.0.0.1 stands in for the cluster's)"
ip link set lo up	# the server listens on loopback, in this demo's own network namespace
bash tests/k8s/certs.sh "$WORK/pki" >/dev/null 2>&1
echo '{"demo-token": {"user": "system:serviceaccount:kube-system:rdmanet", "allow": ["*:ippools", "*:overlappingrangeipreservations"]}}' >"$WORK/tokens.json"
k8s_server_start "$WORK" demo-admin-token || { echo "the test API server did not start" >&2; exit 1; }
k8s_kubeconfig "$WORK/kubeconfig" demo-token kube-system
jq -c --arg k "$WORK/kubeconfig" '.name = "rdma-k8s" | .ipam = {type: "rdmanet-ipam", range: "192.168.78.10-192.168.78.50/24",
	kubernetes: {kubeconfig: $k}}' "$WORK/conf.json" >"$WORK/conf-k8s.json"
jq .ipam "$WORK/conf-k8s.json"
ip netns add pod-c
api() { curl -s --cacert "$WORK/pki/ca.crt" -H "Authorization: Bearer demo-token" \
	"https://127.0.0.1:$PORT/apis/whereabouts.cni.cncf.io/v1alpha1/namespaces/kube-system/$1"; }
cni_k8s() { CNI_COMMAND=$1 CNI_CONTAINERID=demo-container-c CNI_NETNS=/run/netns/pod-c CNI_IFNAME=net1 \
	CNI_PATH=$PWD/build:/usr/lib/cni CNI_ARGS="IgnoreUnknown=true;K8S_POD_NAMESPACE=demo;K8S_POD_NAME=pod-c" \
	"$B" <"$WORK/conf-k8s.json"; }
cni_k8s ADD | jq -c '.ips'
run ip -n pod-c -br addr show net1
printf '$ GET .../ippools/192.168.78.0-24 | jq .spec\n'
api ippools/192.168.78.0-24 | jq -c .spec
printf '$ GET .../overlappingrangeipreservations (the claim that makes the address exclusively ours)\n'
api overlappingrangeipreservations | jq -c '.items[] | {name: .metadata.name, spec}'
cni_k8s DEL && echo "DEL pod-c: ok"
api ippools/192.168.78.0-24 | jq -c '{allocations: .spec.allocations}'
RESV_LEFT=$(api overlappingrangeipreservations | jq '.items | length')
echo "reservations left: $RESV_LEFT"
ip netns del pod-c

say "Nothing left behind"
run ip -br link
run ls -A "$WORK/ipam/rdma-net"
leftover=$(ip -n pod-a -o link show | grep -c -v ' lo:' || true)
links=$(ip -d -j link show | jq '[.[] | select((.linkinfo.info_kind // "") == "macvlan")] | length')
echo "links left in pod-a besides lo: $leftover; macvlan links on the host: $links"
[ "$leftover" = 0 ] && [ "$links" = 0 ] && [ "$RESV_LEFT" = 0 ] && ! ls "$WORK/ipam/rdma-net" | grep -q '^192' &&
	say "Demo complete: ADD, ping, CHECK, STATUS, DEL, rdmanet-ipam over the Kubernetes API, no leftovers"
