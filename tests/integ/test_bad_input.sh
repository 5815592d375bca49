#!/bin/bash
# test_bad_input.sh - a table of malformed and hostile inputs to both binaries (invalid JSON, wrong
# types, huge numbers, over-long names, CNI_IFNAME/CNI_NETNS/CNI_CONTAINERID/CNI_ARGS garbage,
# netns paths that are not network namespaces, P_Key 0, path components in deviceID, IPAM ranges
# of the wrong family or upside down, kubeconfigs without a server, with plain http, unreadable,
# with a missing token file, ...). Each row gives the expected CNI error code and a regex the
# message must match (it names the culprit); after each, nothing changed: the host's and the
# pod's links, addresses and routes, host-local's files, the API server's store (its
# resourceVersion), and no file appeared where a hostile path pointed.
. "$(dirname "$0")/lib.sh"
integ_setup "$@"
integ_ipam
RDMANET=$PLUGIN

mk_master b0 || die "create veth master b0"
mk_ns bp || die "create namespace"
NETNS=$(nsp bp)
# an existing attachment, so "nothing changed" covers a pod that has something to lose
cni ADD base "$NETNS" net0 "$(conf_hl 1.0.0 b0 10.16.0.0/24)"
[ "$RC" = 0 ] || die "setup: base attachment" "$(why_out)"

# ---- the test API server, for rdmanet-ipam
ADMIN=admin-bad-5e4d3c2b1a09
TOK=ipam-bad-0f9e8d7c6b5a
echo "{\"$TOK\": {\"user\": \"ipam\", \"allow\": [\"*\"]}}" >"$T/tokens.json"
integ_apiserver "$ADMIN"
KC=$T/kubeconfig
k8s_kubeconfig "$KC" "$TOK" kube-system
store_rv() {
	curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $ADMIN" "https://127.0.0.1:$PORT/_test/dump" |
		jq -c '.resourceVersion'
}
# kubeconfig variants: kcv NAME SED-EXPR -> $T/kc/NAME
mkdir -p "$T/kc"
kcv() { sed -e "$2" "$KC" >"$T/kc/$1"; }
kcv noserver '/server:/d'
kcv http "s|https://|http://|"
kcv userinfo "s|https://|https://u:p@|"
kcv ftp "s|https://|ftp://|"
kcv notokenfile "s|token: .*|tokenFile: $T/no-such-token|"
kcv relcurrent "s|^current-context: test|current-context: nope|"
kcv exec "s|    token: .*|    exec: {command: /bin/sh}|"
kcv noca "s|certificate-authority: .*|certificate-authority: $T/no-such-ca.crt|"
kcv insecure_ca "s|certificate-authority: \(.*\)|certificate-authority: \1\n    insecure-skip-tls-verify: true|"
printf 'apiVersion: v1\nkind: Config\nclusters: [ {name: x\n' >"$T/kc/broken"
mkdir -p "$T/kc/adir"
printf '\0\1\2 binary' >"$T/kc/binary"
head -c 2000000 /dev/zero | tr '\0' '#' >"$T/kc/huge"

# ---- the table
# rdmanet rows: ADD into $NETNS as net1 with conf_hl (1.1.0, master b0) unless overridden.
RC_CONF=$(conf_hl 1.1.0 b0 10.17.0.0/24)
rc() { jq -c "$1" <<<"$RC_CONF"; }	# the base config with JQ applied
IC_CONF=$(jq -nc --arg k "$KC" '{cniVersion:"1.1.0",name:"badnet",type:"rdmanet-ipam",
	ipam:{type:"rdmanet-ipam",range:"10.77.0.0/24",kubernetes:{kubeconfig:$k},namespace:"kube-system"}}')
ic() { jq -c "$1" <<<"$IC_CONF"; }
ikc() { ic ".ipam.kubernetes.kubeconfig=\"$T/kc/$1\""; }
LONG300=$(printf 'a%.0s' $(seq 300))
LONG5K=$(printf 'x%.0s' $(seq 5000))
BIGCONF=$({ printf '{"cniVersion":"1.0.0","name":"n","type":"rdmanet","master":"b0","pad":"'
	head -c 1100000 /dev/zero | tr '\0' a; printf '"}'; })
HUGECONF=$(head -c 3000000 /dev/zero | tr '\0' a)	# past what either binary reads at all
touch "$T/afile"; mkdir -p "$T/adir"

N=0
mkdir -p "$T/cwd" && cd "$T/cwd" || die "setup" "cd $T/cwd"	# relative paths would land here
BEFORE_HOST=$(snapshot bp)
BEFORE_RV=$(store_rv)
# row BIN CODE REGEX DESCRIPTION CONF [VAR=VALUE...]: BIN r (rdmanet) or i (rdmanet-ipam).
row() {
	local bin=$1 code=$2 re=$3 desc=$4 conf=$5; shift 5
	N=$((N + 1))
	if [ "$bin" = i ]; then PLUGIN=$IPAM; else PLUGIN=$RDMANET; fi
	cni_env "$conf" CNI_COMMAND=ADD CNI_CONTAINERID=bad-1 CNI_NETNS="$NETNS" CNI_IFNAME=net1 \
		CNI_PATH="$CNI_PATH_ALL" CNI_ARGS="IgnoreUnknown=true;K8S_POD_NAMESPACE=default;K8S_POD_NAME=p" "$@"
	check "#$N $desc: error $code /$re/" failed_with "$code" "$re"
	WHY=
	check "#$N $desc: nothing changed" eval 'unchanged "$BEFORE_HOST" bp &&
		{ [ "$bin" = r ] || [ "$(store_rv)" = "$BEFORE_RV" ] || { WHY="the API store changed"; false; }; } &&
		{ [ -z "$(ls -A "$T/cwd")" ] || { WHY="a file appeared in the cwd: $(ls -A "$T/cwd")"; false; }; }'
}

# -- stdin
row r 6 "JSON"                          "invalid JSON"                  '{"cniVersion":"1.0.0","name":'
row r 6 "stdin"                         "stdin empty"                   ''
row r 6 "object"                        "stdin a JSON array"            '[1,2,3]'
row r 6 "object"                        "stdin a JSON string"           '"rdmanet"'
row r 6 "larger than 1048576 bytes"                         "stdin over 1 MiB"              "$BIGCONF"
row r 6 "larger than 1048576 bytes"     "stdin of 3 MB, reading stops"  "$HUGECONF"
row i 6 "larger than 1048576 bytes"     "IPAM: stdin of 3 MB"           "$HUGECONF"
row r 6 "NUL"                           "NUL byte inside the JSON"      "$(printf '{"cniVersion":"1.0.0","name":"n\\u0000x",')"
row r 6 "JSON"                          "trailing garbage"              "$(rc .)xyz"
# -- wrong types, bad values, huge numbers
row r 1 "CNI version '9.9.9'"           "cniVersion unsupported"        "$(rc '.cniVersion="9.9.9"')"
row r 7 "cniVersion"                    "cniVersion a number"           "$(rc '.cniVersion=1.0')"
row r 7 "'name'"                        "name missing"                  "$(rc 'del(.name)')"
row r 7 "'name'"                        "name with a slash"             "$(rc '.name="../etc"')"
row r 7 "'name'"                        "name an object"                "$(rc '.name={}')"
row r 7 "'type'"                        "type a number"                 "$(rc '.type=5')"
row r 7 "'master'"                      "master a number"               "$(rc '.master=1')"
row r 7 "'master'"                      "master 16+ characters"         "$(rc '.master="abcdefghijklmnopq"')"
row r 7 "'master'"                      "master with a slash"           "$(rc '.master="../b0"')"
row r 7 "'mtu'"                         "mtu a string"                  "$(rc '.mtu="big"')"
row r 7 "'mtu'"                         "mtu 1e30"                      "$(rc '.mtu=1e30')"
row r 7 "'mtu'"                         "mtu 2^64"                      "$(rc '.mtu=18446744073709551616')"
row r 7 "'mtu'"                         "mtu negative"                  "$(rc '.mtu=-1500')"
row r 7 "'mtu'"                         "mtu fractional"                "$(rc '.mtu=1500.5')"
row r 7 "'ipamTimeoutSeconds'"          "ipamTimeoutSeconds 1e308"      "$(rc '.ipamTimeoutSeconds=1e308')"
row r 7 "'ipamTimeoutSeconds'"          "ipamTimeoutSeconds negative"   "$(rc '.ipamTimeoutSeconds=-1')"
row r 7 "'mode'"                        "macvlan mode junk"             "$(rc '.mode="bridge;rm -rf /"')"
row r 7 "'link'"                        "link junk"                     "$(rc '.link="veth"')"
row r 7 "rdma.mode"                     "rdma.mode junk"                "$(rc '.rdma={mode:"sometimes"}')"
row r 7 "rdma"                          "rdma a string"                 "$(rc '.rdma="shared"')"
row r 7 "rdma.*modee"                   "unknown field inside rdma"     "$(rc '.rdma={modee:"shared"}')"
row r 7 "rdma.device"                   "rdma.device with a path"       "$(rc '.rdma={device:"../../../tmp/x"}')"
row r 7 "'pkey'"                        "P_Key 0"                       "$(rc '.link="ipoib" | .pkey=0')"
row r 7 "'pkey'"                        "P_Key 0x8000"                  "$(rc '.link="ipoib" | .pkey="0x8000"')"
row r 7 "'pkey'"                        "P_Key 0x10000"                 "$(rc '.link="ipoib" | .pkey="0x10000"')"
row r 7 "'pkey'"                        "P_Key not hex"                 "$(rc '.link="ipoib" | .pkey="0xzz"')"
row r 7 "'pkey'"                        "P_Key negative"                "$(rc '.link="ipoib" | .pkey=-1')"
row r 7 "'ipoibMode'"                   "ipoibMode junk"                "$(rc '.link="ipoib" | .ipoibMode="fast"')"
row r 7 "'umcast'"                      "umcast a string"               "$(rc '.link="ipoib" | .umcast="yes"')"
row r 7 "deviceID"                      "deviceID with path components" "$(rc '.link="hostdev" | .deviceID="../../../../etc/passwd"')"
row r 7 "deviceID"                      "deviceID an absolute path"     "$(rc '.link="hostdev" | .deviceID="/sys/bus/pci/devices/0000:00:01.0"')"
row r 7 "deviceID"                      "runtimeConfig.deviceID path"   "$(rc '.link="hostdev" | .runtimeConfig={deviceID:"0000:3b:00.2/../.."}')"
row r 7 "'runtimeConfig.mac' 'zz:zz'"   "runtimeConfig.mac junk"        "$(rc '.runtimeConfig={mac:"zz:zz"}')"
row r 7 "'runtimeConfig.mac'"           "runtimeConfig.mac multicast"   "$(rc '.runtimeConfig={mac:"01:00:5e:00:00:01"}')"
row r 7 "'runtimeConfig.ips'"           "runtimeConfig.ips without ipam" "$(rc 'del(.ipam) | .runtimeConfig={ips:["10.1.1.1/24"]}')"
row r 7 "'logFile'"                     "logFile relative"              "$(rc '.logFile="rdmanet.log"')"
row r 7 "'logFile'"                     "logFile a number"              "$(rc '.logFile=5')"
row r 7 "'logLevel'"                    "logLevel junk"                 "$(rc '.logLevel="loud"')"
row r 7 "'ipam'"                        "ipam a string"                 "$(rc '.ipam="host-local"')"
row r 7 "ipam.type"                     "ipam.type with a path"         "$(rc '.ipam.type="../../../bin/sh"')"
row r 7 "'dns'"                         "dns an array"                  "$(rc '.dns=[1]')"
row r 7 "'name'"                        "name 300 characters"           "$(rc ".name=\"$LONG300\"")"
# -- environment
row r 4 "CNI_IFNAME"                    "CNI_IFNAME with a slash"       "$RC_CONF" CNI_IFNAME=a/b
row r 4 "CNI_IFNAME"                    "CNI_IFNAME 16 characters"      "$RC_CONF" CNI_IFNAME=abcdefghijklmnop
row r 4 "CNI_IFNAME"                    "CNI_IFNAME '..'"               "$RC_CONF" CNI_IFNAME=..
row r 4 "CNI_IFNAME"                    "CNI_IFNAME with a space"       "$RC_CONF" "CNI_IFNAME=a b"
row r 4 "CNI_IFNAME"                    "CNI_IFNAME empty"              "$RC_CONF" CNI_IFNAME=
row r 4 "CNI_IFNAME"                    "CNI_IFNAME with a colon"       "$RC_CONF" CNI_IFNAME=eth0:1
row r 4 "CNI_NETNS"                     "CNI_NETNS relative"            "$RC_CONF" CNI_NETNS=run/netns/bp
row r 4 "CNI_NETNS.*$T/afile|$T/afile.*network namespace" "CNI_NETNS a plain file" "$RC_CONF" CNI_NETNS="$T/afile"
row r 4 "CNI_NETNS.*$T/adir|$T/adir.*network namespace"  "CNI_NETNS a directory"  "$RC_CONF" CNI_NETNS="$T/adir"
row r 4 "CNI_NETNS.*/proc/self/ns/mnt|/proc/self/ns/mnt.*network namespace" "CNI_NETNS a mount namespace" "$RC_CONF" CNI_NETNS=/proc/self/ns/mnt
row r 4 "CNI_NETNS.*/dev/null|/dev/null.*network namespace" "CNI_NETNS /dev/null"   "$RC_CONF" CNI_NETNS=/dev/null
row r 4 "CNI_CONTAINERID"               "CNI_CONTAINERID starting with '-'" "$RC_CONF" CNI_CONTAINERID=-rf
row r 4 "CNI_CONTAINERID"               "CNI_CONTAINERID with a slash"  "$RC_CONF" CNI_CONTAINERID=../../x
row r 4 "CNI_CONTAINERID"               "CNI_CONTAINERID 300 characters" "$RC_CONF" CNI_CONTAINERID="$LONG300"
row r 4 "CNI_CONTAINERID"               "CNI_CONTAINERID empty"         "$RC_CONF" CNI_CONTAINERID=
row r 4 "CNI_ARGS"                      "CNI_ARGS without '='"          "$RC_CONF" CNI_ARGS=garbage
row r 4 "CNI_ARGS|FOO"                  "CNI_ARGS unknown key"          "$RC_CONF" CNI_ARGS="FOO=bar"
row r 4 "CNI_ARGS|MAC"                  "CNI_ARGS MAC junk"             "$RC_CONF" CNI_ARGS="MAC=not-a-mac"
row r 4 "CNI_ARGS"                      "CNI_ARGS 5000 characters"      "$RC_CONF" CNI_ARGS="IgnoreUnknown=true;K=$LONG5K"
row r 4 "CNI_COMMAND"                   "CNI_COMMAND unknown"           "$RC_CONF" CNI_COMMAND=EXPLODE
row r 4 "CNI_COMMAND"                   "CNI_COMMAND empty"             "$RC_CONF" CNI_COMMAND=
# -- rdmanet-ipam: ranges
row i 7 "range"                         "range not a CIDR"              "$(ic '.ipam.range="ten.0.0.0/8"')"
row i 7 "range"                         "range prefix /33"              "$(ic '.ipam.range="10.0.0.0/33"')"
row i 7 "range_start"                   "range v4, range_start v6"      "$(ic '.ipam.range_start="fd00::5"')"
row i 7 "range_end"                     "range v6, range_end v4"        "$(ic '.ipam.range="fd00::/120" | .ipam.range_end="10.77.0.9"')"
row i 7 "range_start|range_end"         "range_start > range_end"       "$(ic '.ipam.range_start="10.77.0.200" | .ipam.range_end="10.77.0.100"')"
row i 7 "range_start"                   "range_start outside the range" "$(ic '.ipam.range_start="10.78.0.5"')"
row i 7 "exclude"                       "exclude outside the range"     "$(ic '.ipam.exclude=["192.168.0.0/24"]')"
row i 7 "exclude"                       "exclude of the other family"   "$(ic '.ipam.exclude=["fd00::/64"]')"
row i 7 "exclude"                       "exclude not a CIDR"            "$(ic '.ipam.exclude=["garbage"]')"
row i 7 "exclude"                       "exclude a string"              "$(ic '.ipam.exclude="10.77.0.0/30"')"
row i 7 "gateway"                       "gateway not an address"        "$(ic '.ipam.gateway="gw"')"
row i 7 "ipRanges"                      "ipRanges an object"            "$(ic 'del(.ipam.range) | .ipam.ipRanges={range:"10.0.0.0/24"}')"
row i 7 "range"                         "no range at all"               "$(ic 'del(.ipam.range)')"
row i 7 "namespace"                     "namespace not a DNS label"     "$(ic '.ipam.namespace="Kube_System/.."')"
row i 7 "network_name"                  "network_name with a slash"     "$(ic '.ipam.network_name="../x"')"
row i 7 "api_timeout_seconds"           "api_timeout_seconds huge"      "$(ic '.ipam.api_timeout_seconds=1e300')"
row i 7 "api_timeout_seconds"           "api_timeout_seconds negative"  "$(ic '.ipam.api_timeout_seconds=-5')"
row i 7 "log_file"                      "log_file relative"             "$(ic '.ipam.log_file="ipam.log"')"
row i 7 "log_level"                     "log_level junk"                "$(ic '.ipam.log_level="chatty"')"
row i 7 "node_slice_size.*Fast IPAM"    "whereabouts' node_slice_size"  "$(ic '.ipam.node_slice_size="/22"')"
row i 7 "etcd_host.*Kubernetes API"     "whereabouts' etcd_host"        "$(ic '.ipam.etcd_host="10.0.0.1:2379"')"
row i 6 "JSON"                          "rdmanet-ipam: invalid JSON"    '{"ipam":{'
# -- rdmanet-ipam: kubeconfig
row i 7 "server"                        "kubeconfig without a server"   "$(ikc noserver)"
row i 7 "server.*http.*insecure-skip-tls-verify" "kubeconfig plain http, no insecure flag" "$(ikc http)"
row i 7 "server.*'@'"                   "kubeconfig server with user:password@" "$(ikc userinfo)"
row i 7 "server.*https"                 "kubeconfig server ftp://"      "$(ikc ftp)"
row i 5 "tokenFile.*no-such-token"      "kubeconfig tokenFile missing"  "$(ikc notokenfile)"
row i 7 "context.*nope"                 "kubeconfig current-context missing" "$(ikc relcurrent)"
row i 7 "exec"                          "kubeconfig exec credential plugin" "$(ikc exec)"
row i 5 "certificate-authority.*no-such-ca" "kubeconfig CA file missing" "$(ikc noca)"
row i 7 "insecure-skip-tls-verify.*certificate authority" "kubeconfig insecure and a CA" "$(ikc insecure_ca)"
row i 7 "kubeconfig"                    "kubeconfig not YAML"           "$(ikc broken)"
row i 5 "kubeconfig.*adir"              "kubeconfig a directory (unreadable)" "$(ikc adir)"
row i 7 "kubeconfig.*binary"            "kubeconfig binary junk"        "$(ikc binary)"
row i 7 "kubeconfig.*huge"              "kubeconfig of 2 MB"            "$(ikc huge)"
row i 5 "kubeconfig.*no-such-file"      "kubeconfig missing"            "$(ikc no-such-file)"
row i 7 "kubeconfig"                    "kubeconfig relative path"      "$(ic '.ipam.kubernetes.kubeconfig="kubeconfig"')"

echo "# $N bad inputs tried"
finish
