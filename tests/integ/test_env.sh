#!/bin/bash
# test_env.sh - the CNI environment and the network config are validated before anything is
# touched: missing or invalid CNI_* (code 4), CNI_ARGS with and without IgnoreUnknown and as
# Multus sends it, bad config values (code 7 naming the field), bad JSON (6), unsupported
# versions (1); VERSION for every version.
. "$(dirname "$0")/lib.sh"
integ_setup "$@"

mk_master e0 || die "create veth master e0"
mk_ns ep || die "create namespace"
BASE=$(conf_hl 1.1.0 e0 10.18.0.0/24)
L2=$(conf_l2 1.1.0 e0)
ALL_VERSIONS='["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]'

# run_env [VAR=VALUE | -VAR]...: the base ADD environment with VAR set or (-VAR) unset; config
# $CONF (default $BASE).
run_env() {
	local -A e=([CNI_COMMAND]=ADD [CNI_CONTAINERID]=env-1 [CNI_NETNS]=$(nsp ep) [CNI_IFNAME]=net1
		[CNI_PATH]=$CNI_PATH_ALL)
	local a k args=()
	for a; do
		case $a in -*) unset "e[${a#-}]" ;; *) e[${a%%=*}]=${a#*=} ;; esac
	done
	for k in "${!e[@]}"; do args+=("$k=${e[$k]}"); done
	cni_env "${CONF:-$BASE}" "${args[@]}"
}
# env_fails NAME CODE REGEX [VAR=VALUE | -VAR]...
env_fails() {
	local name=$1 code=$2 re=$3; shift 3
	run_env "$@"
	check "$name: error $code" failed_with "$code" "$re"
}
# conf_fails NAME CODE REGEX JQ: ADD with the base config changed by JQ.
conf_fails() {
	CONF=$(jq -c "$4" <<<"$BASE") env_fails "$1" "$2" "$3"
}
# env_ok NAME CONF IFNAME [VAR=VALUE...]: ADD succeeds, then DEL (same environment) too.
env_ok() {
	local name=$1 conf=$2 ifn=$3; shift 3
	CONF=$conf run_env CNI_IFNAME="$ifn" "$@"
	check "$name: ADD succeeds" succeeded
	CONF=$conf run_env CNI_COMMAND=DEL CNI_IFNAME="$ifn" "$@"
	check "$name: DEL succeeds" succeeded_quietly
}

# ---- CNI_COMMAND
env_fails "CNI_COMMAND unset" 4 "CNI_COMMAND is not set" -CNI_COMMAND
env_fails "CNI_COMMAND empty" 4 "CNI_COMMAND is not set" CNI_COMMAND=
env_fails "CNI_COMMAND lower case" 4 "CNI_COMMAND 'add'" CNI_COMMAND=add
env_fails "CNI_COMMAND unknown" 4 "CNI_COMMAND 'UPDATE'" CNI_COMMAND=UPDATE

# ---- CNI_CONTAINERID
env_fails "CNI_CONTAINERID unset" 4 "CNI_CONTAINERID is not set" -CNI_CONTAINERID
env_fails "CNI_CONTAINERID empty" 4 "CNI_CONTAINERID is not set" CNI_CONTAINERID=
for id in -abc .abc "a b" a/b a:b 'a;b'; do
	env_fails "CNI_CONTAINERID '$id'" 4 "CNI_CONTAINERID .* is invalid" "CNI_CONTAINERID=$id"
done
env_fails "CNI_CONTAINERID of 201 characters" 4 "CNI_CONTAINERID" "CNI_CONTAINERID=$(printf 'a%.0s' {1..201})"
env_fails "DEL without CNI_CONTAINERID" 4 "CNI_CONTAINERID" CNI_COMMAND=DEL -CNI_CONTAINERID

# ---- CNI_IFNAME
env_fails "CNI_IFNAME unset" 4 "CNI_IFNAME is not set" -CNI_IFNAME
env_fails "CNI_IFNAME empty" 4 "CNI_IFNAME is not set" CNI_IFNAME=
for n in abcdefghijklmnop a/b a:b . .. "a b" $'a\tb' 'net%d'; do
	env_fails "CNI_IFNAME '$n'" 4 "CNI_IFNAME .* is invalid" "CNI_IFNAME=$n"
done
env_fails "DEL without CNI_IFNAME" 4 "CNI_IFNAME" CNI_COMMAND=DEL -CNI_IFNAME

# ---- CNI_NETNS and CNI_PATH
env_fails "CNI_NETNS unset for ADD" 4 "CNI_NETNS is not set" -CNI_NETNS
env_fails "CNI_NETNS relative" 4 "must be an absolute path" CNI_NETNS=run/netns/ep
env_fails "CNI_NETNS relative for CHECK" 4 "must be an absolute path" CNI_COMMAND=CHECK CNI_NETNS=./ep
env_fails "CNI_PATH unset" 4 "CNI_PATH is not set" -CNI_PATH

# ---- CNI_ARGS
env_fails "CNI_ARGS unknown key without IgnoreUnknown" 4 "unknown key 'FOO'" "CNI_ARGS=FOO=bar"
env_fails "CNI_ARGS IgnoreUnknown=false" 4 "unknown key 'FOO'" "CNI_ARGS=IgnoreUnknown=false;FOO=bar"
env_fails "CNI_ARGS not KEY=VALUE" 4 "not a KEY=VALUE pair" "CNI_ARGS=FOO"
env_fails "CNI_ARGS IgnoreUnknown=maybe" 4 "IgnoreUnknown" "CNI_ARGS=IgnoreUnknown=maybe"
env_fails "CNI_ARGS bad K8S_POD_NAME" 4 "K8S_POD_NAME" "CNI_ARGS=IgnoreUnknown=true;K8S_POD_NAME=Bad_Name"
env_fails "CNI_ARGS multicast MAC" 4 "MAC" "CNI_ARGS=MAC=01:00:5e:00:00:01"
check "nothing was created by the rejected calls" test -z "$(host_ours)$(pod_links ep)$(allocs)"

env_ok "CNI_ARGS unknown key with IgnoreUnknown=true" "$BASE" net1 "CNI_ARGS=IgnoreUnknown=true;FOO=bar"
env_ok "CNI_ARGS IgnoreUnknown=1 after the unknown key" "$BASE" net1 "CNI_ARGS=FOO=bar;IgnoreUnknown=1"
MULTUS="IgnoreUnknown=true;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0.example"
MULTUS+=";K8S_POD_INFRA_CONTAINER_ID=3f2a9c1e0b7d4e5f8a6b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f"
MULTUS+=";K8S_POD_UID=6f1c5a2e-8d4b-4c3a-9e7f-1a2b3c4d5e6f"
env_ok "Multus-style CNI_ARGS" "$BASE" net1 "CNI_ARGS=$MULTUS"
env_ok "K8S_* keys without IgnoreUnknown (all known)" "$L2" net1 "CNI_ARGS=K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0"
env_ok "CNI_IFNAME of 15 characters" "$L2" abcdefghijklmno
env_ok "CNI_IFNAME with a dot (sysctl path)" "$L2" net.1
LONGID=$(printf 'c%.0s' {1..200})
CONF=$L2 run_env CNI_CONTAINERID="$LONGID"
check "CNI_CONTAINERID of 200 characters: ADD succeeds with it in the alias" \
	eval 'succeeded && [ "$(lq ep net1 .ifalias)" = "rdmanet:$LONGID:net1" ]'
CONF=$L2 run_env CNI_COMMAND=DEL CNI_CONTAINERID="$LONGID"
check "CNI_CONTAINERID of 200 characters: DEL" eval 'succeeded_quietly && [ -z "$(pod_links ep)" ]'

# ---- the network config
conf_fails "cniVersion missing" 7 "'cniVersion' is required" 'del(.cniVersion)'
conf_fails "cniVersion a number" 7 "'cniVersion'" '.cniVersion=1'
conf_fails "cniVersion 0.2.0" 1 "incompatible CNI version '0.2.0'" '.cniVersion="0.2.0"'
conf_fails "cniVersion 9.9.9" 1 "incompatible CNI version '9.9.9'" '.cniVersion="9.9.9"'
conf_fails "name missing" 7 "'name' is required" 'del(.name)'
conf_fails "name with a space" 7 "'name'" '.name="my net"'
conf_fails "type missing" 7 "'type' is required" 'del(.type)'
conf_fails "master missing for ADD" 7 "'master' is required" 'del(.master)'
conf_fails "master a number" 7 "'master' must be a string" '.master=5'
conf_fails "master with a slash" 7 "'master'" '.master="e0/x"'
conf_fails "mode unknown" 7 "'mode' 'fast' is not a macvlan mode" '.mode="fast"'
conf_fails "mode a number" 7 "'mode' must be a string" '.mode=1'
conf_fails "link unknown" 7 "'link' 'sriov'" '.link="sriov"'
conf_fails "mtu a string" 7 "'mtu'" '.mtu="1500"'
conf_fails "mtu 10" 7 "'mtu'" '.mtu=10'
conf_fails "mtu 70000" 7 "'mtu'" '.mtu=70000'
conf_fails "mtu 1400.5" 7 "'mtu'" '.mtu=1400.5'
conf_fails "mtu negative" 7 "'mtu'" '.mtu=-1'
conf_fails "mtu above the master's MTU" 7 "'mtu' 9000 is larger than the MTU 1500 of master 'e0'" '.mtu=9000'
conf_fails "ipam a string" 7 "'ipam' must be an object" '.ipam="host-local"'
conf_fails "ipam.type a number" 7 "'ipam.type' must be a string" '.ipam.type=5'
conf_fails "ipam.type a path" 7 "'ipam.type'" '.ipam.type="../../bin/sh"'
conf_fails "ipam without type" 7 "'ipam.type' is required" 'del(.ipam.type)'
conf_fails "ipamTimeoutSeconds 0" 7 "'ipamTimeoutSeconds'" '.ipamTimeoutSeconds=0'
conf_fails "runtimeConfig a string" 7 "'runtimeConfig' must be an object" '.runtimeConfig="x"'
conf_fails "runtimeConfig.mac malformed" 7 "'runtimeConfig.mac'" '.runtimeConfig={mac:"02:11:22:33:44"}'
conf_fails "runtimeConfig.mac multicast" 7 "'runtimeConfig.mac'" '.runtimeConfig={mac:"03:11:22:33:44:55"}'
conf_fails "runtimeConfig.ips not CIDRs" 7 "'runtimeConfig.ips'" '.runtimeConfig={ips:["nope"]}'
conf_fails "runtimeConfig.ips without ipam" 7 "'runtimeConfig.ips'" 'del(.ipam) | .runtimeConfig={ips:["10.18.0.9/24"]}'
conf_fails "logLevel unknown" 7 "'logLevel'" '.logLevel="loud"'
conf_fails "logFile relative" 7 "'logFile'" '.logFile="rdmanet.log"'
conf_fails "dns a string" 7 "'dns'" '.dns="10.0.0.53"'
conf_fails "prevResult a string" 7 "'prevResult'" '.prevResult="x"'
CONF=$(jq -c '.cniVersion="0.4.0" | .mode="fast"' <<<"$BASE") run_env
check "the error is shaped for the config's version" jqt '.cniVersion == "0.4.0" and .code == 7' <<<"$OUT"
CONF='{"cniVersion":"1.0.0", "name":' env_fails "config not JSON" 6 "not valid JSON"
CONF='[1,2]' env_fails "config a JSON array" 6 "not a JSON object"
CONF=' ' env_fails "config blank" 6 "not valid JSON|no network configuration"
cni_env "" CNI_COMMAND=ADD CNI_CONTAINERID=env-1 CNI_NETNS="$(nsp ep)" CNI_IFNAME=net1 CNI_PATH="$CNI_PATH_ALL"
check "empty stdin: error 6" failed_with 6 "no network configuration"
check "nothing was created by the rejected configs" test -z "$(host_ours)$(pod_links ep)$(allocs)"
env_ok "unknown config fields are ignored" "$(jq -c '.foo={bar:[1]} | .capabilities={mac:true}' <<<"$BASE")" net1

# ---- VERSION
for v in 0.3.0 0.3.1 0.4.0 1.0.0 1.1.0; do
	cni_env "{\"cniVersion\":\"$v\"}" CNI_COMMAND=VERSION
	check "VERSION $v lists every supported version" \
		succeeded ".cniVersion == \"$v\" and .supportedVersions == $ALL_VERSIONS and (keys|length) == 2"
done
cni_env "" CNI_COMMAND=VERSION
check "VERSION without stdin" succeeded ".supportedVersions == $ALL_VERSIONS"
cni_env '{"cniVersion":"0.2.0"}' CNI_COMMAND=VERSION CNI_PATH=/nonexistent
check "VERSION for an unsupported version still answers" succeeded ".supportedVersions == $ALL_VERSIONS"
finish
