#!/bin/bash
# test_valgrind.sh - both binaries under valgrind (memcheck: --leak-check=full, leaks of every
# kind but "still reachable" counted as errors, --track-fds=yes) over every CNI command, success
# and failure paths: rdmanet ADD/CHECK/DEL/STATUS/GC/VERSION on a veth master with host-local,
# hostdev ADD/DEL, bad config, missing master, IPAM failures, RDMANET_TEST_FAIL_STEP at several
# steps, `doctor` and `doctor --json`; rdmanet-ipam ADD/CHECK/DEL/GC/STATUS, `reconcile --dry-run`,
# the API refusing (403) and the API down, against the test API server; the reconcile loop
# serving /metrics until SIGTERM. Each run must exit with
# its normal status (never valgrind's 99), with 0 errors, no leak, and no file descriptor of its
# own other than 0-2 open at exit. The IPAM children of rdmanet (Go binaries, fake scripts) are not
# traced; rdmanet-ipam is traced when run directly. Skipped under the sanitizer build (ASan and
# valgrind cannot run together).
# run-with: shipped build (tests/run-all.sh runs this suite with build/, not the sanitizer build)
case ${BUILD:-build} in
*san*)
	echo "# skipped: valgrind cannot run the sanitizer build (BUILD=$BUILD); run with BUILD=build"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0 ;;
esac
. "$(dirname "$0")/lib.sh"
integ_setup "$@"
integ_ipam
VALGRIND=$(command -v valgrind) || die "setup" "valgrind is not installed (scripts/deps.sh)"

REAL_PLUGIN=$PLUGIN
mkdir -p "$T/vg" "$T/vgw" "$T/vgdone"
# valgrind 3.19 checks mount(2)'s type string even for a propagation change, where the kernel
# ignores it and NULL is documented (mount(2)): netns_enter_view's mount(NULL, "/", NULL,
# MS_REC | MS_SLAVE) is not an error.
cat >"$T/vg.supp" <<'SUPP'
{
   mount-propagation-change-null-type
   Memcheck:Param
   mount(type)
   fun:mount
   fun:netns_enter_view
}
SUPP
# vg_wrap NAME BINARY: $T/vgw/NAME runs BINARY under valgrind, one log per process in $T/vg.
vg_wrap() {
	cat >"$T/vgw/$1" <<EOF
#!/bin/sh
exec "$VALGRIND" --leak-check=full --show-leak-kinds=definite,indirect,possible \\
	--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 --track-fds=yes \\
	--num-callers=30 --suppressions="$T/vg.supp" --child-silent-after-fork=yes --log-file="$T/vg/%p.log" "$2" "\$@"
EOF
	chmod +x "$T/vgw/$1"
}
vg_wrap rdmanet "$REAL_PLUGIN"
vg_wrap rdmanet-ipam "$IPAM"
VG_PLUGIN=$T/vgw/rdmanet
VG_IPAM=$T/vgw/rdmanet-ipam
PLUGIN=$VG_PLUGIN
NRUNS=0

# vg_ok NAME RC: the last run exited RC (not 99) and its valgrind log is clean: 0 errors (leaks of
# every kind but still-reachable are errors), and every fd still open at exit other than 0-2 was
# inherited from the parent (the test shell's), none opened by the plugin.
vg_ok() {
	local name=$1 want=$2 logs log bad=
	NRUNS=$((NRUNS + 1))
	check "$name: exit status $want" eval '[ "$RC" = "$want" ] || { WHY="$(why_out)"; false; }'
	logs=("$T"/vg/*.log)
	if [ ! -e "${logs[0]}" ]; then
		nok "$name: valgrind clean" "no valgrind log"
		return
	fi
	for log in "${logs[@]}"; do
		# the fork of a child before its exec (not traced): silent, header only
		grep -q '^==[0-9]*== Command:' "$log" && ! grep -q 'HEAP SUMMARY' "$log" &&
			[ "$(grep -vcE '^==[0-9]+== ((Memcheck|Copyright|Using Valgrind|Command|Parent PID).*)?$' "$log")" = 0 ] &&
			continue
		[ -s "$log" ] || continue
		grep -q 'ERROR SUMMARY: 0 errors' "$log" ||
			bad+="$(grep -E 'ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|Invalid|uninitialised' "$log" | head -4 | tr '\n' ' ') "
		# "Open file descriptor N: ..." not followed by "<inherited from parent>"
		bad+=$(awk '/Open file descriptor [0-9]+:/ { if (fd != "" && !inh) printf "fd %s left open; ", fd;
				match($0, /descriptor [0-9]+/); fd = substr($0, RSTART + 11, RLENGTH - 11); inh = 0;
				if (fd + 0 <= 2) fd = ""; next }
			/<inherited from parent>/ { inh = 1 }
			END { if (fd != "" && !inh) printf "fd %s left open; ", fd }' "$log")
	done
	if [ -n "$bad" ]; then
		nok "$name: valgrind clean" "$bad (log kept: $(basename "${logs[0]}"))"
		mkdir -p "$T/vgbad"; cp "${logs[@]}" "$T/vgbad/"
		[ -n "${VG_SHOW:-}" ] && sed 's/^/#   /' "${logs[@]}" | head -80
	else
		ok "$name: valgrind clean (0 errors, no leaks, no fd left open)"
	fi
	mv "${logs[@]}" "$T/vgdone/" 2>/dev/null
}

mk_master v0 || die "create veth master v0"
mk_master h0 || die "create veth master h0"
mk_ns p1 p2 p3 || die "create namespaces"

# ================================================================ rdmanet
c=$(conf_hl 1.1.0 v0 10.16.0.0/24)
cni VERSION x "" "" '{"cniVersion":"1.1.0"}'
vg_ok "rdmanet VERSION" 0
cni ADD vg-1 "$(nsp p1)" net1 "$c"
res=$OUT
vg_ok "rdmanet ADD (macvlan, host-local)" 0
cni CHECK vg-1 "$(nsp p1)" net1 "$(with_prev "$c" "$res")"
vg_ok "rdmanet CHECK" 0
cni STATUS "" "" "" "$c"
vg_ok "rdmanet STATUS" 0
cni GC "" "" "" "$(jq -c '.["cni.dev/valid-attachments"]=[{containerID:"vg-1",ifname:"net1"}]' <<<"$c")"
vg_ok "rdmanet GC" 0
cni DEL vg-1 "$(nsp p1)" net1 "$c"
vg_ok "rdmanet DEL" 0
cni DEL vg-1 "$(nsp p1)" net1 "$c"
vg_ok "rdmanet DEL again" 0
cni CHECK vg-1 "$(nsp p1)" net1 "$(with_prev "$c" "$res")"
vg_ok "rdmanet CHECK failing (link gone)" 1

# hostdev
hd=$(conf_hl 1.1.0 h0 10.17.0.0/24 '.link="hostdev"')
cni ADD vg-hd "$(nsp p2)" net1 "$hd"
vg_ok "rdmanet hostdev ADD" 0
cni DEL vg-hd "$(nsp p2)" net1 "$hd"
vg_ok "rdmanet hostdev DEL" 0
if testhooks; then
	cni ADD vg-hd2 "$(nsp p2)" net1 "$hd" RDMANET_TEST_FAIL_STEP=move
	vg_ok "rdmanet hostdev ADD failing at 'move'" 1
	cni DEL vg-hd2 "$(nsp p2)" net1 "$hd"
	vg_ok "rdmanet hostdev DEL after the failed ADD" 0
else
	skip "rdmanet hostdev ADD failing at 'move', then DEL" "$NOHOOKS"
fi

# failure paths
cni ADD vg-2 "$(nsp p3)" net1 '{"cniVersion":"1.0.0","name":"x",'
vg_ok "rdmanet ADD with invalid JSON" 1
cni ADD vg-2 "$(nsp p3)" net1 "$(conf_hl 1.0.0 v0 10.16.0.0/24 '.mtu="big"')"
vg_ok "rdmanet ADD with a bad field" 1
cni ADD vg-2 "$(nsp p3)" net1 "$(conf_hl 1.0.0 nope0 10.16.0.0/24)"
vg_ok "rdmanet ADD with the master missing" 1
cni STATUS "" "" "" "$(conf_hl 1.1.0 nope0 10.16.0.0/24)"
vg_ok "rdmanet STATUS with the master missing" 1
cni ADD vg-2 "$(nsp p3)" net1 "$(conf_hl 1.0.0 v0 10.16.0.0/24 '.ipam.type="no-such-ipam"')"
vg_ok "rdmanet ADD with the IPAM plugin missing" 1
printf '#!/bin/sh\ncat >/dev/null\necho "{\\"cniVersion\\":\\"1.0.0\\",\\"code\\":7,\\"msg\\":\\"no\\"}"\nexit 1\n' >"$T/bin/ipam-err"
chmod +x "$T/bin/ipam-err"
cni ADD vg-2 "$(nsp p3)" net1 "$(conf_l2 1.0.0 v0 '.ipam={type:"ipam-err"}')"
vg_ok "rdmanet ADD with the IPAM failing" 1
cni ADD vg-2 /run/netns/none net1 "$c"
vg_ok "rdmanet ADD into a missing netns" 1
cni ADD vg-2 "$(nsp p3)" net1 "$c" CNI_ARGS="FOO=bar"
vg_ok "rdmanet ADD with bad CNI_ARGS" 1
if testhooks; then
	for step in create sysctl ipam addr route result; do
		cni ADD vg-3 "$(nsp p3)" net1 "$c" RDMANET_TEST_FAIL_STEP=$step
		vg_ok "rdmanet ADD failing at '$step'" 1
	done
else
	skip "rdmanet ADD failing at each step" "$NOHOOKS"
fi
cni DEL vg-3 "$(nsp p3)" net1 "$c"
vg_ok "rdmanet DEL after the failed ADDs" 0
check "no leftovers in the pod after the failed ADDs" test -z "$(pod_links p3)"

# doctor (no RDMA stack here: exit 1 with findings)
OUT=$("$VG_PLUGIN" doctor 2>"$T/stderr"); RC=$?; ERRLOG=$(cat "$T/stderr")
vg_ok "rdmanet doctor" 1
OUT=$("$VG_PLUGIN" doctor --json 2>"$T/stderr"); RC=$?; ERRLOG=$(cat "$T/stderr")
vg_ok "rdmanet doctor --json" 1
OUT=$("$VG_PLUGIN" doctor --netns "$(nsp p1)" 2>"$T/stderr"); RC=$?; ERRLOG=$(cat "$T/stderr")
vg_ok "rdmanet doctor --netns" 1
OUT=$("$VG_PLUGIN" doctor --bogus 2>"$T/stderr"); RC=$?; ERRLOG=$(cat "$T/stderr")
vg_ok "rdmanet doctor with a bad option" 2

# ================================================================ rdmanet-ipam
ADMIN=admin-vg-7c1e7a2b4d6f8e0a
TOK=ipam-vg-0f9e8d7c6b5a4938
TOK_RO=ro-vg-1a2b3c4d5e6f7a8b
cat >"$T/tokens.json" <<EOF
{"$TOK": {"user": "system:serviceaccount:kube-system:rdmanet", "allow": ["*:ippools", "*:overlappingrangeipreservations", "list:pods", "get:pods"]},
 "$TOK_RO": {"user": "ro", "allow": ["get:pods"]}}
EOF
integ_apiserver "$ADMIN"
k8s_kubeconfig "$T/kubeconfig" "$TOK" kube-system
k8s_kubeconfig "$T/ro.kubeconfig" "$TOK_RO" kube-system
sed "s|https://127.0.0.1:$PORT|https://127.0.0.1:1|" "$T/kubeconfig" >"$T/down.kubeconfig"

ipam_conf() {
	jq -nc --arg v "$1" --arg k "${3:-$T/kubeconfig}" --arg log "$T/ipam.log" \
		"{cniVersion:\$v,name:\"rdma\",type:\"rdmanet\",master:\"x0\",
		  ipam:{type:\"rdmanet-ipam\",range:\"10.77.0.0/29\",gateway:\"10.77.0.1\",
		        routes:[{dst:\"10.250.0.0/16\"}],kubernetes:{kubeconfig:\$k},
		        log_file:\$log,log_level:\"debug\"}} | ${2:-.}"
}
ipam() {
	cni_env "$3" CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_NETNS=/run/netns/none CNI_IFNAME=net1 \
		CNI_PATH="$ROOT/$BUILD" CNI_ARGS="IgnoreUnknown=true;K8S_POD_NAMESPACE=default;K8S_POD_NAME=pod-$2"
}
PLUGIN=$VG_IPAM
C=$(ipam_conf 1.1.0)
ipam VERSION x '{"cniVersion":"1.1.0"}'
vg_ok "rdmanet-ipam VERSION" 0
ipam ADD i1 "$C"
vg_ok "rdmanet-ipam ADD" 0
ipam ADD i1 "$C"
vg_ok "rdmanet-ipam ADD again (idempotent)" 0
ipam CHECK i1 "$C"
vg_ok "rdmanet-ipam CHECK" 0
ipam CHECK gone "$C"
vg_ok "rdmanet-ipam CHECK of an unknown container" 1
ipam STATUS x "$C"
vg_ok "rdmanet-ipam STATUS" 0
ipam ADD i2 "$C"
vg_ok "rdmanet-ipam second ADD" 0
ipam GC x "$(ipam_conf 1.1.0 '.["cni.dev/valid-attachments"]=[{containerID:"i1",ifname:"net1"}]')"
vg_ok "rdmanet-ipam GC" 0
ipam DEL i1 "$C"
vg_ok "rdmanet-ipam DEL" 0
ipam DEL i1 "$C"
vg_ok "rdmanet-ipam DEL again" 0
ipam ADD p1 "$C"
P1=$OUT
PLUGIN=$IPAM	# killed mid-DEL: without valgrind, whose log would end unfinished
ipam DEL p1 "$C" RDMANET_TEST_KILL_STEP=ipam-released
PLUGIN=$VG_IPAM
ipam DEL p1 "$(jq -c --argjson r "$P1" '. + {prevResult: $r}' <<<"$C")"
vg_ok "rdmanet-ipam DEL with prevResult taking back a reservation a killed DEL left" 0
ipam DEL p1 "$(jq -c '. + {prevResult: {ips: 5}}' <<<"$C")"
vg_ok "rdmanet-ipam DEL with a malformed prevResult" 0
ipam ADD r1 "$C"
# whereabouts' reservations (no containerid): judged by pod, by every reading of the name, or kept
for r in '10.78.0.6 {"podref":"default/gone","ifname":"net1"}' 'ab-fd00--5 {"podref":"default/gone"}' \
	'10.78.0.5 {"ifname":"net1"}'; do
	curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $ADMIN" -X POST "https://127.0.0.1:$PORT/_test/objects" \
		-d "$(jq -nc --arg n "${r%% *}" --argjson s "${r#* }" '{action:"put",resource:"overlappingrangeipreservations",
		object:{metadata:{name:$n,namespace:"kube-system",creationTimestamp:"2020-01-01T00:00:00Z"},spec:$s}}')" \
		>/dev/null || die "setup" "cannot plant reservation ${r%% *}"
done
OUT=$("$VG_IPAM" reconcile --kubeconfig "$T/kubeconfig" --namespace kube-system --dry-run --grace 0 2>"$T/stderr")
RC=$?; ERRLOG=$(cat "$T/stderr")
vg_ok "rdmanet-ipam reconcile --dry-run (whereabouts' reservations among ours)" 0
check "... which would delete the two of a gone pod and keep the unowned one" \
	eval 'grep -q "orphan-reservations=2 unowned-reservations=1 " <<<"$OUT"'

# the ADD r1 above ran under valgrind too: its log was checked with the reconcile's
ipam ADD f1 "$(ipam_conf 1.1.0 . "$T/ro.kubeconfig")"
vg_ok "rdmanet-ipam ADD refused (403)" 1
ipam STATUS x "$(ipam_conf 1.1.0 . "$T/ro.kubeconfig")"
vg_ok "rdmanet-ipam STATUS refused (403)" 1
ipam ADD f2 "$(ipam_conf 1.1.0 . "$T/down.kubeconfig")"
vg_ok "rdmanet-ipam ADD with the API down" 1
ipam DEL f2 "$(ipam_conf 1.1.0 . "$T/down.kubeconfig")"
vg_ok "rdmanet-ipam DEL with the API down" 1
ipam ADD f3 "$(ipam_conf 1.1.0 '.ipam.range="10.77.0.0/33"')"
vg_ok "rdmanet-ipam ADD with a bad range" 1
ipam ADD f4 '{"cniVersion":"1.1.0","name":"x","ipam":'
vg_ok "rdmanet-ipam ADD with invalid JSON" 1
OUT=$("$VG_IPAM" reconcile --kubeconfig "$T/ro.kubeconfig" --dry-run 2>"$T/stderr"); RC=$?; ERRLOG=$(cat "$T/stderr")
vg_ok "rdmanet-ipam reconcile refused (403)" 1
OUT=$("$VG_IPAM" reconcile --no-such-option 2>"$T/stderr"); RC=$?; ERRLOG=$(cat "$T/stderr")
vg_ok "rdmanet-ipam reconcile with a bad option" 2

# the reconcile loop serving /metrics (libmicrohttpd's thread): scrapes, a 404, a 405 and a
# client gone mid-request, then SIGTERM: the endpoint's thread, sockets and buffers all released
MP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$VG_IPAM" reconcile --kubeconfig "$T/kubeconfig" --namespace kube-system --dry-run --interval 1 \
	--metrics-port "$MP" --metrics-bind 127.0.0.1 >"$T/loop.out" 2>"$T/stderr" &
loop=$!
scraped() { curl -s -m 5 "http://127.0.0.1:$MP/metrics" | grep -q '^rdmanet_ipam_reconcile_passes_total{result="success"} [1-9]'; }
wait_for 60 scraped
check "reconcile --metrics-port under valgrind: /metrics answers after a pass" scraped
codes=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MP/x")$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "http://127.0.0.1:$MP/metrics")
check "... 404 and 405 ($codes)" test "$codes" = 404405
printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n' | timeout 1 curl -s -m 1 telnet://127.0.0.1:$MP >/dev/null 2>&1
kill -TERM "$loop"; wait "$loop"; RC=$?; OUT=$(cat "$T/loop.out"); ERRLOG=$(cat "$T/stderr")
vg_ok "rdmanet-ipam reconcile --interval 1 --metrics-port, stopped by SIGTERM" 0

echo "# $NRUNS runs under valgrind"
finish
