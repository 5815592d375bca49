#!/bin/bash
# test_installer.sh - deploy/installer.sh, the DaemonSet's entrypoint, against a fake node: an
# image tree from `make install DESTDIR=`, the node's /opt/cni/bin and /etc/cni/net.d (with a
# plugin and a config of someone else's), a service account directory laid out as kubelet
# projects it (token, ca.crt, namespace behind the ..data symlink), and the test API server
# (tests/k8s/apiserver.py, TLS on 127.0.0.1) that knows the service account's token.
# Checks: bad setups refused before anything is written; the two binaries installed executable and
# identical, needing nothing but glibc (readelf -d, ldd), nothing else installed or touched, no
# temporary file left; the kubeconfig (0600) naming the server, the copied CA and the copied token
# file, which the installed rdmanet-ipam uses for real (ADD/DEL of the RoCE example network,
# reconcile); the readiness file; a token rotation (kubelet's atomic ..data swap) copied within a
# bounded time and used, the copies not rewritten while nothing changes; a removed binary put back;
# an upgrade by rename (a running plugin keeps its inode); SIGTERM ends it with status 0; the token
# never printed. A one-off upgrade from a version that bundled libraries in rdmanet-lib/: the folder
# removed after both new binaries are renamed in (strace's record of the renames and unlinks),
# without following the symlinks in it; an rdmanet-lib that is a symlink, not root's, or not a
# directory left alone (a symlink's target untouched); and the DaemonSet's rolling update (maxSurge)
# beside an emulated older installer, which puts rdmanet-lib/ and its binaries back whenever the
# folder is gone: the folder waits until that installer is stopped, and a node where it put them
# back anyway ends up with the new binaries and no folder.
# run-with: shipped build (tests/run-all.sh runs this suite with build/, not the sanitizer build)
. "$(dirname "$0")/lib.sh"
integ_setup "$@"
if [ "$BUILD" != build ]; then
	# a shell script over `make install`: checked once, with the shipped build
	echo "ok - skipped for $BUILD (the installer is checked with the shipped build) # SKIP"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
command -v python3 >/dev/null && command -v openssl >/dev/null && command -v curl >/dev/null ||
	die "setup" "python3/openssl/curl missing"
PY=	# python3 with the yaml module (python3-yaml)
for p in python3 /usr/bin/python3; do "$p" -c 'import yaml' 2>/dev/null && { PY=$p; break; }; done
[ -n "$PY" ] || die "setup" "no python3 with the yaml module (apt-get install python3-yaml)"
INSTALLER=$ROOT/deploy/installer.sh
INST_PID=

ADMIN=admin-1f2e3d4c5b6a79880716
TOK1=eyJhbGciOiJSUzI1NiJ9.installer-token-one.c2lnbmF0dXJlLW9uZQ
TOK2=eyJhbGciOiJSUzI1NiJ9.installer-token-two.c2lnbmF0dXJlLXR3bw
. tests/k8s/lib.sh
OLD_PID=
INST2_PID=
stop_installer() { [ -n "$INST_PID" ] && kill "$INST_PID" 2>/dev/null && wait "$INST_PID" 2>/dev/null; INST_PID=; }
stop_old() { [ -n "$OLD_PID" ] && kill "$OLD_PID" 2>/dev/null && wait "$OLD_PID" 2>/dev/null; OLD_PID=; }
stop_inst2() { [ -n "$INST2_PID" ] && kill "$INST2_PID" 2>/dev/null && wait "$INST2_PID" 2>/dev/null; INST2_PID=; }
trap 'stop_old; stop_inst2; stop_installer; k8s_server_stop; integ_cleanup' EXIT
bash tests/k8s/certs.sh "$T/pki" >/dev/null 2>&1 || die "setup" "certs.sh failed"
tokens() { # TOKEN...: the server accepts these, with the rights of deploy/rbac.yaml
	local t sep=
	{
		echo "{"
		for t; do
			printf '%s"%s": {"user": "system:serviceaccount:kube-system:rdmanet", "allow": ["*:ippools", "*:overlappingrangeipreservations", "get:pods", "list:pods"]}\n' "$sep" "$t"
			sep=,
		done
		echo "}"
	} >"$T/tokens.json.tmp" && mv "$T/tokens.json.tmp" "$T/tokens.json"
}
tokens "$TOK1"
k8s_server_start "$T" "$ADMIN" || die "setup" "apiserver.py did not start: $(tail -5 "$T/server.log")"

# ---------------------------------------------------------------- the image, the node, the pod
IMG=$T/image/opt/cni/bin
make -s install DESTDIR="$T/image" >"$T/make.log" 2>&1 || die "setup" "make install: $(tail -3 "$T/make.log")"
if [ ! -x "$IMG/rdmanet-ipam" ]; then	# an install target that does not install it yet
	echo "# note: make install did not install rdmanet-ipam; the test image takes $BUILD's"
	install -m 0755 "$BUILD/rdmanet-ipam" "$IMG/rdmanet-ipam"
fi
HOST=$T/host
BIN=$HOST/opt/cni/bin
NETD=$HOST/etc/cni/net.d
CONF=$NETD/rdmanet.d
mkdir -p "$BIN" "$NETD"
cp "$CNI_BIN/host-local" "$BIN/host-local"
echo '{"cniVersion":"1.0.0","name":"multus-cni-network","type":"multus"}' >"$NETD/00-multus.conf"
before_other=$(cd "$HOST" && sha256sum opt/cni/bin/host-local etc/cni/net.d/00-multus.conf)

# kubelet's projection: files behind ..data -> ..<timestamp>/, swapped by one rename
SA=$T/sa
project() { # N TOKEN: a new projection of the service account, made current atomically
	local d="..2026_01_0${1}_00_00_00.00000000$1"
	mkdir -p "$SA/$d"
	printf '%s' "$2" >"$SA/$d/token"
	cp "$T/pki/ca.crt" "$SA/$d/ca.crt"
	printf 'kube-system' >"$SA/$d/namespace"
	ln -sfn "$d" "$SA/..data_tmp" && mv -T "$SA/..data_tmp" "$SA/..data"
	for f in token ca.crt namespace; do [ -L "$SA/$f" ] || ln -s "..data/$f" "$SA/$f"; done
}
mkdir -p "$SA"
project 1 "$TOK1"

ienv=(RDMANET_SRC_DIR="$IMG" RDMANET_HOST_BIN_DIR="$BIN" RDMANET_HOST_CONF_DIR="$CONF"
	RDMANET_SA_DIR="$SA" RDMANET_READY_FILE="$T/ready" RDMANET_POLL_SECONDS=0.2
	KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT="$PORT")
# once [VAR=VALUE...]: the installer with RDMANET_INSTALL_ONCE=1; sets OUT (both streams), RC
once() {
	OUT=$(env -i PATH="$PATH" "${ienv[@]}" RDMANET_INSTALL_ONCE=1 "$@" "$INSTALLER" 2>&1)
	RC=$?
	printf '%s\n' "$OUT" >>"$T/all-output.log"
}

# ---------------------------------------------------------------- refused setups
once KUBERNETES_SERVICE_HOST=
check "no KUBERNETES_SERVICE_HOST: refused before anything is written" \
	eval '[ "$RC" != 0 ] && grep -q "KUBERNETES_SERVICE_HOST" <<<"$OUT" && [ -z "$(ls "$BIN" | grep -v host-local)" ] && [ ! -e "$CONF" ]'
once RDMANET_POLL_SECONDS=abc
check "a poll interval that is not a number: refused" eval '[ "$RC" != 0 ] && grep -q POLL <<<"$OUT"'
once RDMANET_POLL_SECONDS=0
check "a poll interval of 0: refused" eval '[ "$RC" != 0 ] && grep -q "above 0" <<<"$OUT"'
once RDMANET_API_SERVER=http://10.0.0.1:6443
check "an API server that is not https: refused" eval '[ "$RC" != 0 ] && grep -q "https" <<<"$OUT"'
mkdir -p "$T/noipam" && cp "$IMG/rdmanet" "$T/noipam/"
once RDMANET_SRC_DIR="$T/noipam"
check "an image without rdmanet-ipam: refused, nothing written" \
	eval '[ "$RC" != 0 ] && grep -q "rdmanet-ipam is missing" <<<"$OUT" && [ ! -e "$BIN/rdmanet" ]'
once RDMANET_SA_DIR="$T/nosa"
check "no service account token: refused" eval '[ "$RC" != 0 ] && grep -q "no service account token" <<<"$OUT"'
check "a refused setup leaves no readiness file" test ! -e "$T/ready"

# ---------------------------------------------------------------- the DaemonSet's pod
rm -rf "$BIN/rdmanet" "$BIN/rdmanet-ipam" "$BIN/rdmanet-lib" "$CONF"
env -i PATH="$PATH" "${ienv[@]}" "$INSTALLER" >"$T/inst.log" 2>&1 &
INST_PID=$!
check "the readiness file appears" wait_for 10 test -f "$T/ready"
check "the installer keeps running (it watches the token)" kill -0 "$INST_PID"

same_file() { # SRC DEST MODE
	WHY="$2: $(stat -c '%a %F' "$2" 2>&1)"
	[ -f "$2" ] && [ ! -L "$2" ] && cmp -s "$1" "$2" && [ "$(stat -c %a "$2")" = "$3" ]
}
for b in rdmanet rdmanet-ipam; do
	check "$b installed, identical to the image's, mode 0755" same_file "$IMG/$b" "$BIN/$b" 755
	check "$b installed is executable" test -x "$BIN/$b"
done
check "only rdmanet and rdmanet-ipam are installed next to the other plugin (no rdmanet-lib/)" \
	eval '[ "$(ls -A "$BIN" | tr "\n" " ")" = "host-local rdmanet rdmanet-ipam " ] || { WHY=$(ls -A "$BIN" | tr "\n" " "); false; }'
# only_glibc FILE: the dynamic section names libc.so.6 and nothing else, no run path; and the
# loader, asked through ldd, maps nothing else but itself (and the vDSO)
only_glibc() {
	local dyn='' ld=''
	dyn=$(readelf -d "$1" 2>&1) && ld=$(ldd "$1" 2>&1) || { WHY="readelf/ldd $1: $dyn $ld"; return 1; }
	WHY="$(grep -E "NEEDED|RPATH|RUNPATH" <<<"$dyn" | tr -s " \n" " ") | ldd: $(tr -s " \n\t" " " <<<"$ld")"
	[ "$(awk '/\(NEEDED\)/ { print $NF }' <<<"$dyn")" = "[libc.so.6]" ] &&
		! grep -qE "\((RPATH|RUNPATH)\)" <<<"$dyn" &&
		[ -z "$(grep -vE "^\s*(linux-vdso\.so\.1|libc\.so\.6 => /[^ ]*/libc\.so\.6|/[^ ]*/ld-linux[^ ]*\.so\.[0-9]) " <<<"$ld")" ]
}
for b in rdmanet rdmanet-ipam; do
	check "the installed $b needs nothing but glibc (NEEDED libc.so.6 only, no RPATH/RUNPATH)" only_glibc "$BIN/$b"
done
check "the installed rdmanet runs (VERSION)" \
	eval 'echo "{\"cniVersion\":\"1.0.0\"}" | CNI_COMMAND=VERSION "$BIN/rdmanet" | jqt ".supportedVersions"'
check "no temporary file left on the node" eval '[ -z "$(find "$HOST" -name "*.rdmanet-tmp*")" ]'
check "the other plugin and CNI config are untouched" \
	eval '[ "$(cd "$HOST" && sha256sum opt/cni/bin/host-local etc/cni/net.d/00-multus.conf)" = "$before_other" ]'
check "nothing new at the top of /etc/cni/net.d (only rdmanet.d)" \
	eval '[ "$(ls -A "$NETD" | tr "\n" " ")" = "00-multus.conf rdmanet.d " ]'

KC=$CONF/rdmanet-ipam.kubeconfig
check "rdmanet.d is 0700" eval '[ "$(stat -c %a "$CONF")" = 700 ]'
check "the kubeconfig is written, mode 0600" eval '[ -f "$KC" ] && [ "$(stat -c %a "$KC")" = 600 ]'
check "the token copy is the service account's token, mode 0600" same_file "$SA/token" "$CONF/rdmanet-ipam.token" 600
check "the CA copy is the service account's CA" same_file "$SA/ca.crt" "$CONF/rdmanet-ipam.ca.crt" 600
# kq PYTHON-EXPR: true when the expression over the parsed kubeconfig d is
kq() { "$PY" -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); sys.exit(not eval(sys.argv[2]))' "$KC" "$1"; }
check "kubeconfig: server https://\$KUBERNETES_SERVICE_HOST:\$KUBERNETES_SERVICE_PORT" \
	kq "d['clusters'][0]['cluster']['server'] == 'https://127.0.0.1:$PORT'"
check "kubeconfig: the copied CA" kq "d['clusters'][0]['cluster'] == {'server': 'https://127.0.0.1:$PORT', 'certificate-authority': 'rdmanet-ipam.ca.crt'}"
check "kubeconfig: the copied token by file (tokenFile), no inline token" \
	kq "d['users'][0]['user'] == {'tokenFile': 'rdmanet-ipam.token'}"
check "kubeconfig: one context, current, with the service account's namespace" \
	kq "d['current-context'] == d['contexts'][0]['name'] and len(d['contexts']) == 1 and d['contexts'][0]['context'] == {'cluster': d['clusters'][0]['name'], 'user': d['users'][0]['name'], 'namespace': 'kube-system'}"
check "the token is nowhere in the kubeconfig" eval '! grep -qF "$TOK1" "$KC"'

# The installed rdmanet-ipam with that kubeconfig, as the RoCE example network uses it.
NADCONF=$("$PY" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["spec"]["config"])' \
	conf-examples/nad-roce-macvlan.yaml | jq -c --arg k "$KC" '.ipam.kubernetes.kubeconfig = $k | del(.logFile)')
ipam() { # CMD: the installed rdmanet-ipam, as rdmanet runs it for pod default/inst-pod
	OUT=$(printf '%s' "$NADCONF" | env -i PATH="$PATH" CNI_COMMAND="$1" CNI_CONTAINERID=inst-cid \
		CNI_NETNS=/run/netns/none CNI_IFNAME=net1 CNI_PATH="$BIN" \
		CNI_ARGS="IgnoreUnknown=true;K8S_POD_NAMESPACE=default;K8S_POD_NAME=inst-pod" "$BIN/rdmanet-ipam" 2>"$T/stderr")
	RC=$?
	ERRLOG=$(cat "$T/stderr")
	printf '%s\n%s\n' "$OUT" "$ERRLOG" >>"$T/all-output.log"
}
ipam ADD
ip1=$(jq -r '.ips[0].address // empty' <<<"$OUT" 2>/dev/null)
check "rdmanet-ipam ADD through the written kubeconfig allocates from roce-net's range" \
	eval 'succeeded && python3 -c "import ipaddress, sys; a = ipaddress.ip_interface(sys.argv[1]).ip; sys.exit(not (a in ipaddress.ip_network(\"10.56.0.0/16\") and a not in ipaddress.ip_network(\"10.56.0.0/24\")))" "$ip1"'
ipam DEL
check "rdmanet-ipam DEL through the written kubeconfig" succeeded_quietly
reconcile() { # the installed rdmanet-ipam reconcile with the written kubeconfig
	OUT=$("$BIN/rdmanet-ipam" reconcile --kubeconfig "$KC" --dry-run 2>"$T/stderr")
	RC=$?
	ERRLOG=$(cat "$T/stderr")
	printf '%s\n%s\n' "$OUT" "$ERRLOG" >>"$T/all-output.log"
}
reconcile
check "rdmanet-ipam reconcile through the written kubeconfig" \
	eval '[ "$RC" = 0 ] && grep -q "^reconcile: pools=1 " <<<"$OUT" || { WHY=$(why_out); false; }'

# ---------------------------------------------------------------- token rotation
kc_ino=$(stat -c %i "$KC")
tok_ino=$(stat -c %i "$CONF/rdmanet-ipam.token")
sleep 1	# five polls without a change
check "nothing is rewritten while the token does not change" \
	eval '[ "$(stat -c %i "$CONF/rdmanet-ipam.token")" = "$tok_ino" ] && [ "$(stat -c %i "$KC")" = "$kc_ino" ]'
project 2 "$TOK2"
tokens "$TOK2"	# the first token expired
check "a rotated token is copied within 5 s" wait_for 5 cmp -s "$SA/token" "$CONF/rdmanet-ipam.token"
check "the copy is a new file (renamed in), still 0600" \
	eval '[ "$(stat -c %i "$CONF/rdmanet-ipam.token")" != "$tok_ino" ] && [ "$(stat -c %a "$CONF/rdmanet-ipam.token")" = 600 ]'
check "the kubeconfig, which names the token file, is left as it was" eval '[ "$(stat -c %i "$KC")" = "$kc_ino" ]'
check "the installer logged the rotation" grep -q "wrote rdmanet-ipam.token" "$T/inst.log"
mkdir -p "$T/stale" && cp "$KC" "$CONF/rdmanet-ipam.ca.crt" "$T/stale/" && printf '%s' "$TOK1" >"$T/stale/rdmanet-ipam.token"
OUT=$("$BIN/rdmanet-ipam" reconcile --kubeconfig "$T/stale/rdmanet-ipam.kubeconfig" --dry-run 2>&1)
RC=$?
printf '%s\n' "$OUT" >>"$T/all-output.log"
check "the old token is refused now (401)" eval '[ "$RC" = 1 ] && grep -q 401 <<<"$OUT" || { WHY=$OUT; false; }'
reconcile
check "rdmanet-ipam works with the rotated token copy" \
	eval '[ "$RC" = 0 ] && grep -q "^reconcile: " <<<"$OUT" || { WHY=$(why_out); false; }'
check "no temporary file left after the rotation" eval '[ -z "$(find "$HOST" -name "*.rdmanet-tmp*")" ]'

# ---------------------------------------------------------------- a removed binary, an upgrade
rm -f "$BIN/rdmanet"
check "a removed binary is installed again within 5 s" wait_for 5 same_file "$IMG/rdmanet" "$BIN/rdmanet" 755
IMG2=$T/image2
cp -a "$IMG" "$IMG2"
printf 'upgrade' >>"$IMG2/rdmanet-ipam"	# a new build, still a runnable ELF
ino=$(stat -c %i "$BIN/rdmanet-ipam")
exec 7<"$BIN/rdmanet-ipam"	# as a running rdmanet-ipam holds it
once RDMANET_SRC_DIR="$IMG2"
check "an upgrade (second installer, as a surging pod) succeeds" eval '[ "$RC" = 0 ] || { WHY=$OUT; false; }'
check "the upgraded binary is the new one" same_file "$IMG2/rdmanet-ipam" "$BIN/rdmanet-ipam" 755
check "the upgrade renamed a new file in: a running plugin keeps the old inode and content" \
	eval '[ "$(stat -c %i "$BIN/rdmanet-ipam")" != "$ino" ] && cmp -s - "$IMG/rdmanet-ipam" <&7'
exec 7<&-
check "the upgrade logged the binary it changed and the one it did not" \
	eval 'grep -q "installed rdmanet-ipam (sha256" <<<"$OUT" && grep -q "rdmanet is up to date" <<<"$OUT"'
check "no temporary file left after the upgrade" eval '[ -z "$(find "$HOST" -name "*.rdmanet-tmp*")" ]'

# ---------------------------------------------------------------- SIGTERM
kill -TERM "$INST_PID"
check "SIGTERM ends the installer within 3 s" wait_for 3 eval '! kill -0 "$INST_PID" 2>/dev/null'
wait "$INST_PID"
rc=$?
INST_PID=
check "exit status 0 after SIGTERM" test "$rc" = 0
check "the readiness file is removed" test ! -e "$T/ready"
check "the installed files stay" eval '[ -x "$BIN/rdmanet" ] && [ -x "$BIN/rdmanet-ipam" ] && [ -f "$KC" ]'

# ---------------------------------------------------------------- an older version's rdmanet-lib/
# The node as an older version left it: its binaries, and rdmanet-lib/ with libraries, a soname
# link, a link out of the folder, a temporary file of an installer killed mid-copy, a subfolder.
# A one-off install (RDMANET_INSTALL_ONCE=1) removes the folder at once.
IMG3=$T/image3
cp -a "$IMG" "$IMG3"
for b in rdmanet rdmanet-ipam; do printf 'new' >>"$IMG3/$b"; done	# the new version
OUTSIDE=$T/outside
mkdir -p "$OUTSIDE" "$BIN/rdmanet-lib/sub"
printf 'kept' >"$OUTSIDE/libkept.so.1"
printf 'kept too' >"$OUTSIDE/in-a-folder"
head -c 4096 /dev/urandom >"$BIN/rdmanet-lib/libcurl.so.4"
ln -s libcurl.so.4 "$BIN/rdmanet-lib/libcurl.so"
ln -s "$OUTSIDE/libkept.so.1" "$BIN/rdmanet-lib/libkept.so.1"
ln -s "$OUTSIDE" "$BIN/rdmanet-lib/sub/elsewhere"
printf 'x' >"$BIN/rdmanet-lib/.libcurl.so.4.rdmanet-tmp.77"
outside_state() { (cd "$OUTSIDE" && find . -printf '%p %y %s %m %i\n' | sort && sha256sum ./*); }
outside_before=$(outside_state)
command -v strace >/dev/null || die "setup" "strace missing (scripts/deps.sh installs it)"
# every rename and unlink of the upgrade, in order, with the directory of each relative name
STRACE=(strace -f -qq -s 4096 -y -e signal=none -e trace=rename,renameat,renameat2,unlink,unlinkat,rmdir)
OUT=$(env -i PATH="$PATH" "${ienv[@]}" RDMANET_INSTALL_ONCE=1 RDMANET_SRC_DIR="$IMG3" \
	"${STRACE[@]}" -o "$T/upgrade.strace" "$INSTALLER" 2>&1)
RC=$?
printf '%s\n' "$OUT" >>"$T/all-output.log"
check "an upgrade over an older version's rdmanet-lib/ succeeds" eval '[ "$RC" = 0 ] || { WHY=$OUT; false; }'
check "it removes rdmanet-lib/ from the node" eval '[ ! -e "$BIN/rdmanet-lib" ] && [ ! -L "$BIN/rdmanet-lib" ]'
check "it follows no symlink out of rdmanet-lib/ (their targets are untouched)" \
	eval '[ "$(outside_state)" = "$outside_before" ]'
for b in rdmanet rdmanet-ipam; do
	check "the new $b is installed, 0755" same_file "$IMG3/$b" "$BIN/$b" 755
done
# line numbers in the trace: the successful rename onto each binary, the first unlink in the
# folder, the removal of the folder itself
ren_line() { grep -nE "rename[a-z0-9]*\(.*, \"$BIN/$1\"(, [A-Z_0-9]+)?\) = 0$" "$T/upgrade.strace" | head -1 | cut -d: -f1; }
first_lib_unlink=$(grep -nE "(unlink|unlinkat|rmdir)\((AT_FDCWD<[^>]*>, )?\"$BIN/rdmanet-lib[/\"]|unlinkat\([0-9]+<$BIN/rdmanet-lib[/>]" \
	"$T/upgrade.strace" | head -1 | cut -d: -f1)
lib_rmdir=$(grep -nE "unlinkat\(AT_FDCWD<[^>]*>, \"$BIN/rdmanet-lib\", AT_REMOVEDIR\) = 0$|rmdir\(\"$BIN/rdmanet-lib\"\) = 0$" \
	"$T/upgrade.strace" | head -1 | cut -d: -f1)
ren_ipam=$(ren_line rdmanet-ipam)
ren_plugin=$(ren_line rdmanet)
check "rdmanet-lib/ goes only after both new binaries are renamed in (a plugin starting meanwhile needs nothing from it)" \
	eval 'WHY="renames at lines ${ren_ipam:-none} ${ren_plugin:-none}, first unlink in rdmanet-lib at ${first_lib_unlink:-none}, rmdir at ${lib_rmdir:-none} of $T/upgrade.strace";
		[ -n "$ren_ipam" ] && [ -n "$ren_plugin" ] && [ -n "$first_lib_unlink" ] && [ -n "$lib_rmdir" ] &&
		[ "$ren_ipam" -lt "$first_lib_unlink" ] && [ "$ren_plugin" -lt "$first_lib_unlink" ]'
check "the new binaries run without rdmanet-lib/ (VERSION)" \
	eval 'echo "{\"cniVersion\":\"1.0.0\"}" | CNI_COMMAND=VERSION "$BIN/rdmanet" | jqt ".supportedVersions" &&
		echo "{\"cniVersion\":\"1.0.0\"}" | CNI_COMMAND=VERSION "$BIN/rdmanet-ipam" | jqt ".supportedVersions"'
check "the removal is logged" grep -q "removed rdmanet-lib/ of an older version" <<<"$OUT"

# anything else named rdmanet-lib: left as it is, the install goes on
# lib_case NAME: run the installer (the first image again, so both binaries change) and check
# that $BIN/rdmanet-lib and the folder $ELSE are exactly as before
ELSE=$T/elsewhere
else_state() { (cd "$ELSE" && find . -printf '%p %y %s %m %u %i\n' | sort && find . -type f -exec sha256sum {} + | sort); }
lib_case() {
	local before lib_before
	before=$(else_state)
	lib_before=$(stat -c '%F %u %i' "$BIN/rdmanet-lib"; readlink "$BIN/rdmanet-lib")
	once
	check "$1: the install succeeds" eval '[ "$RC" = 0 ] || { WHY=$OUT; false; }'
	check "$1: both binaries are installed" eval 'same_file "$IMG/rdmanet-ipam" "$BIN/rdmanet-ipam" 755 && same_file "$IMG/rdmanet" "$BIN/rdmanet" 755'
	check "$1: it is left as it was, its content untouched" \
		eval '[ "$(stat -c "%F %u %i" "$BIN/rdmanet-lib"; readlink "$BIN/rdmanet-lib")" = "$lib_before" ] &&
			[ "$(else_state)" = "$before" ]'
	check "$1: a warning says so" grep -q "warning: $BIN/rdmanet-lib .*left alone" <<<"$OUT"
	for b in rdmanet rdmanet-ipam; do printf 'again' >>"$BIN/$b"; done	# something to install next time
}
mk_other() { # DIR: someone else's folder, with a file named like an installer's temporary file
	mkdir -p "$1/sub" && printf 'other' >"$1/libother.so.1" && printf 'x' >"$1/.libother.so.1.rdmanet-tmp.5" &&
		printf 'deeper' >"$1/sub/file"
}
rm -rf "$BIN/rdmanet-lib" "$ELSE" && mk_other "$ELSE" && ln -s "$ELSE" "$BIN/rdmanet-lib"
lib_case "an rdmanet-lib that is a symlink to a folder elsewhere"
rm -rf "$BIN/rdmanet-lib" "$ELSE" && mk_other "$BIN/rdmanet-lib" && chown -R 12345:12345 "$BIN/rdmanet-lib"
ln -s "$BIN/rdmanet-lib" "$ELSE"	# else_state looks at it through this link
lib_case "an rdmanet-lib folder owned by another user (uid 12345)"
rm -rf "$BIN/rdmanet-lib" "$ELSE" && mkdir -p "$ELSE" && printf 'a file' >"$ELSE/rdmanet-lib"
ln "$ELSE/rdmanet-lib" "$BIN/rdmanet-lib"	# the same inode: else_state sees its content
lib_case "an rdmanet-lib that is a regular file"
rm -f "$BIN/rdmanet-lib"

# ---------------------------------------------------------------- a rolling update from rdmanet-lib/
# A second node as the older version left it, whose installer pod still runs while the new one
# starts (maxSurge: 1). old_installer emulates that installer's poll as far as it matters here:
# when rdmanet-lib/ is gone, its libraries and then its own binaries go in again, each by a
# rename; every such reinstall is counted in $T/old-reinstalls.
HOST2=$T/host2
BIN2=$HOST2/opt/cni/bin
OLDIMG=$T/oldimage
mkdir -p "$BIN2" "$OLDIMG/rdmanet-lib"
for b in rdmanet rdmanet-ipam; do cp "$IMG/$b" "$OLDIMG/$b" && printf 'old' >>"$OLDIMG/$b"; done
head -c 4096 /dev/urandom >"$OLDIMG/rdmanet-lib/libcurl.so.4"
cp -a "$OLDIMG/." "$BIN2/"
: >"$T/old-reinstalls"
old_installer() {
	while :; do
		if [ ! -e "$BIN2/rdmanet-lib" ]; then
			mkdir -p "$BIN2/rdmanet-lib"
			cp "$OLDIMG/rdmanet-lib/libcurl.so.4" "$BIN2/rdmanet-lib/.libcurl.so.4.old-tmp"
			mv -f -T "$BIN2/rdmanet-lib/.libcurl.so.4.old-tmp" "$BIN2/rdmanet-lib/libcurl.so.4"
			for b in rdmanet-ipam rdmanet; do
				cp "$OLDIMG/$b" "$BIN2/.$b.old-tmp" && mv -f -T "$BIN2/.$b.old-tmp" "$BIN2/$b"
			done
			echo reinstalled >>"$T/old-reinstalls"
		fi
		sleep 0.1
	done
}
new_on_node2() { # the same binaries as $IMG's, no rdmanet-lib
	same_file "$IMG/rdmanet-ipam" "$BIN2/rdmanet-ipam" 755 && same_file "$IMG/rdmanet" "$BIN2/rdmanet" 755 &&
		[ ! -e "$BIN2/rdmanet-lib" ] || { WHY="$WHY; $(ls -A "$BIN2" | tr '\n' ' ')"; false; }
}
old_installer &
OLD_PID=$!
# polls of 0.5 s: the folder may go 3 s after the new pod is ready
env -i PATH="$PATH" "${ienv[@]}" RDMANET_HOST_BIN_DIR="$BIN2" RDMANET_HOST_CONF_DIR="$HOST2/conf" \
	RDMANET_READY_FILE="$T/ready2" RDMANET_POLL_SECONDS=0.5 "$INSTALLER" >"$T/inst2.log" 2>&1 &
INST2_PID=$!
check "rolling update: the new installer gets ready beside the old one" wait_for 10 test -f "$T/ready2"
check "rolling update: it installed the new binaries and left rdmanet-lib/ for now" \
	eval 'same_file "$IMG/rdmanet" "$BIN2/rdmanet" 755 && [ -f "$BIN2/rdmanet-lib/libcurl.so.4" ]'
sleep 0.5
stop_old	# the DaemonSet deletes the old pod once the new one is ready
check "rolling update: the old installer never found rdmanet-lib/ gone while it ran" \
	eval '[ ! -s "$T/old-reinstalls" ] || { WHY="$(wc -l <"$T/old-reinstalls") reinstalls"; false; }'
check "rolling update: rdmanet-lib/ goes soon after (within 6 s), the new binaries stay" wait_for 6 new_on_node2
check "rolling update: the removal is logged" grep -q "removed rdmanet-lib/ of an older version" "$T/inst2.log"
# an old installer that outlives the wait puts its folder and binaries back (at once, as the
# folder is gone); once it is stopped, the new installer puts its binaries back and removes the
# folder again
old_installer &
OLD_PID=$!
check "rolling update: an old installer still running puts rdmanet-lib/ and its binaries back" \
	wait_for 5 eval '[ -s "$T/old-reinstalls" ] && same_file "$OLDIMG/rdmanet" "$BIN2/rdmanet" 755'
sleep 1
stop_old
check "rolling update: then the new binaries are back and rdmanet-lib/ gone (within 8 s)" wait_for 8 new_on_node2
sleep 1
check "rolling update: and so it stays" new_on_node2
check "rolling update: no temporary file of the new installer left" \
	eval '[ -z "$(find "$HOST2" -name "*.rdmanet-tmp*")" ]'
stop_inst2
cat "$T/inst2.log" >>"$T/all-output.log"

# ---------------------------------------------------------------- other servers
once RDMANET_HOST_CONF_DIR="$T/conf6" KUBERNETES_SERVICE_HOST=fd00::1 KUBERNETES_SERVICE_PORT=443
check "an IPv6 service address is bracketed in the server URL" \
	eval '[ "$RC" = 0 ] && grep -qx "    server: https://\[fd00::1\]:443" "$T/conf6/rdmanet-ipam.kubeconfig"'
once RDMANET_HOST_CONF_DIR="$T/conf7" RDMANET_API_SERVER=https://api.cluster.example:6443 RDMANET_NAMESPACE=rdma
check "RDMANET_API_SERVER and RDMANET_NAMESPACE override the service's address and namespace" \
	eval '[ "$RC" = 0 ] && grep -qx "    server: https://api.cluster.example:6443" "$T/conf7/rdmanet-ipam.kubeconfig" &&
		grep -qx "    namespace: rdma" "$T/conf7/rdmanet-ipam.kubeconfig"'

cat "$T/inst.log" >>"$T/all-output.log"
check "the token never appears on the installer's or the plugins' output" \
	eval '! grep -qF -e "$TOK1" -e "$TOK2" "$T/all-output.log"'
check "the installer's log is not empty (it says what it did)" grep -q "installed rdmanet (sha256" "$T/inst.log"
finish
