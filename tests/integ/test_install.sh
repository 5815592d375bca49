#!/bin/bash
# test_install.sh - what `make install` puts on a node needs nothing from it but glibc, no newer
# than the floor README.md states per binary: the installed files, NEEDED entries, RUNPATH/RPATH,
# the bundled libraries (the toolchain's closure minus glibc, each under its SONAME), symbol
# versions; then, in a chroot holding only the host's glibc (Debian 12: 2.36) and what
# `make install` installed, rdmanet VERSION, ADD and DEL, and rdmanet-ipam VERSION, a usage
# error, `reconcile --dry-run` and an ADD/DEL through rdmanet against the test API server over
# TLS (tests/k8s/apiserver.py, outside the chroot on 127.0.0.1), which loads and uses libcurl's
# whole bundled closure. test_hostcompat.sh checks the same files against a Debian 11 root.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT_DIR=$(pwd)
BUILD=${BUILD:-build}
. tests/integ/elf_lib.sh
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
nok() { echo "not ok - $1${2:+: $2}"; fail=$((fail + 1)); }
LIBDIR=/opt/cni/bin/rdmanet-lib

if [ "$BUILD" != build ]; then
	# sanitizer builds link libasan/libubsan on purpose; the shipped build is build/
	echo "ok - skipped for $BUILD (checks the shipped build only) # SKIP"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi

T=$(mktemp -d)
SRV_PID=
cleanup() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
	umount -R "$T/root/proc" "$T/root/run/netns" 2>/dev/null
	umount /run/netns 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
make -s install DESTDIR="$T/root" >/dev/null 2>&1 && ok "make install DESTDIR" || nok "make install DESTDIR"
R=$T/root
BIN=$R/opt/cni/bin/rdmanet
IPAM=$R/opt/cni/bin/rdmanet-ipam
L=$R$LIBDIR

# ---- the files
want=$(scripts/bundle-libs.sh -n /nonexistent "$BUILD/rdmanet" "$BUILD/rdmanet-ipam" | awk '{print $1}' | sort | tr '\n' ' ')
have=$(ls -A "$L" 2>/dev/null | sort | tr '\n' ' ')
[ -n "$want" ] && [ "$have" = "$want" ] &&
	ok "rdmanet-lib/ holds the closure of both binaries minus glibc: $(wc -w <<<"$have") libraries" ||
	nok "rdmanet-lib/ is the closure minus glibc" "have: $have want: $want"
extra=$(cd "$R" && find . -mindepth 1 \( -type f -o -type l \) | sed 's|^\./||' |
	grep -vE "^opt/cni/bin/(rdmanet|rdmanet-ipam|rdmanet-lib/[^/]+)$" | tr '\n' ' ')
tmp=$(find "$R" -name '.*.tmp')
[ -z "$extra$tmp" ] && ok "nothing else installed, no temporary file left" || nok "nothing else installed" "$extra$tmp"
for f in "$BIN" "$IPAM"; do
	[ "$(stat -c %a "$f")" = 755 ] || nok "$(basename "$f") is mode 0755" "$(stat -c %a "$f")"
done

# ---- rdmanet: exactly as lean as before
needed=$(needed "$BIN" | sort | tr '\n' ' ')
[ "$needed" = "libc.so.6 libcjson.so.1 " ] && ok "rdmanet NEEDED is libc + bundled cJSON only ($needed)" ||
	nok "rdmanet NEEDED" "$needed"
rpath=$(objdump -p "$BIN" | awk '$1 == "RUNPATH" || $1 == "RPATH" {print $1, $2}')
[ "$rpath" = "RUNPATH $LIBDIR" ] && ok "rdmanet: RUNPATH points at the bundled libraries" || nok "rdmanet RUNPATH" "$rpath"
if needed "$BIN" | grep -qE 'libnl|libcurl'; then nok "libnl/libcurl must not be rdmanet's dynamic deps"; else ok "rdmanet: no libnl/libcurl shared dependency"; fi

# ---- rdmanet-ipam: libcurl's closure, found through an RPATH (which, unlike RUNPATH, also
# serves the dependencies of dependencies)
needed=$(needed "$IPAM" | sort | tr '\n' ' ')
[ "$needed" = "libc.so.6 libcjson.so.1 libcurl.so.4 " ] && ok "rdmanet-ipam NEEDED is libc, cJSON, libcurl ($needed)" ||
	nok "rdmanet-ipam NEEDED" "$needed"
rpath=$(objdump -p "$IPAM" | awk '$1 == "RUNPATH" || $1 == "RPATH" {print $1, $2}')
[ "$rpath" = "RPATH $LIBDIR" ] && ok "rdmanet-ipam: RPATH (not RUNPATH) points at the bundled libraries" ||
	nok "rdmanet-ipam RPATH" "$rpath"

# ---- each bundled library: named by its SONAME, no search path of its own (the binary's RPATH
# then applies to its dependencies), every NEEDED either bundled or glibc, nothing of glibc bundled
bad=()
for f in "$L"/*; do
	so=$(objdump -p "$f" | awk '$1 == "SONAME" {print $2}')
	[ "$so" = "$(basename "$f")" ] || bad+=("$(basename "$f"): SONAME '$so'")
	objdump -p "$f" | grep -qE '^ *(RPATH|RUNPATH) ' && bad+=("$(basename "$f") has its own RPATH/RUNPATH")
	is_glibc "$(basename "$f")" && bad+=("$(basename "$f") is glibc's")
	for n in $(needed "$f"); do
		is_glibc "$n" || [ -f "$L/$n" ] || bad+=("$(basename "$f") needs $n, not bundled")
	done
	glibc_needs "$f" | grep -q GLIBC_PRIVATE && bad+=("$(basename "$f") needs GLIBC_PRIVATE")
done
[ ${#bad[@]} = 0 ] && ok "every bundled library: named by its SONAME, no RUNPATH, dependencies bundled or glibc" ||
	nok "bundled libraries" "$(printf '%s; ' "${bad[@]}")"

# ---- glibc symbol versions of each binary and what it loads, against the floor README states
for b in rdmanet rdmanet-ipam; do
	floor=$(readme_floor "$b")
	[ -n "$floor" ] || { nok "README states the glibc floor of $b"; continue; }
	closure=$(install_closure "$R/opt/cni/bin/$b" "$L")
	if grep -q '^MISSING:' <<<"$closure"; then nok "$b: its libraries are all installed" "$(grep '^MISSING:' <<<"$closure" | tr '\n' ' ')"; continue; fi
	worst=$(glibc_max "$R/opt/cni/bin/$b")
	tops=$(for f in "$R/opt/cni/bin/$b" $closure; do echo "$(glibc_max "$f") ${f##*/}"; done | grep -v '^none ' | sort -V)
	all=$(tail -1 <<<"$tops" | cut -d' ' -f1)
	over=$(while read -r v n; do ver_le "$v" "$floor" || echo "$n($v)"; done <<<"$tops" | tr '\n' ' ')
	if [ -z "$over" ] && [ "$all" = "$floor" ]; then
		ok "$b: itself glibc $worst, with the $(wc -w <<<"$closure") bundled libraries it loads $all = README's floor $floor"
	elif [ -z "$over" ]; then
		nok "$b: README's floor $floor is above what it needs ($all): lower it"
	else
		nok "$b: above README's glibc floor $floor" "$over"
	fi
done

# ---- a root with nothing but the host's glibc: the node without our libraries
MULTIARCH=$(${CC:-cc} -print-multiarch)
INTERP=$(readelf -l "$BIN" | sed -nE 's/.*Requesting program interpreter: (.*)\]$/\1/p')
mkdir -p "$R$(dirname "$INTERP")" "$R/lib/$MULTIARCH" "$R/proc" "$R/run/netns" "$R/tmp" "$R/etc/cni/net.d"
cp -L "$INTERP" "$R$INTERP"
nglibc=0
for f in /lib/"$MULTIARCH"/*.so*; do
	is_glibc "$(basename "$f")" && [ -f "$f" ] && cp -L "$f" "$R/lib/$MULTIARCH/" && nglibc=$((nglibc + 1))
done
echo "# chroot: the host's $INTERP and $nglibc glibc libraries (glibc $(getconf GNU_LIBC_VERSION | cut -d' ' -f2)), nothing else"
out=$(echo '{"cniVersion":"1.0.0"}' | CNI_COMMAND=VERSION chroot "$R" /opt/cni/bin/rdmanet 2>&1)
grep -q '"supportedVersions"' <<<"$out" && ok "rdmanet VERSION in a glibc-only chroot" || nok "rdmanet VERSION in a glibc-only chroot" "$out"
out=$(echo '{"cniVersion":"1.0.0"}' | CNI_COMMAND=VERSION chroot "$R" /opt/cni/bin/rdmanet-ipam 2>&1)
grep -q '"supportedVersions"' <<<"$out" && ok "rdmanet-ipam VERSION in a glibc-only chroot" ||
	nok "rdmanet-ipam VERSION in a glibc-only chroot" "$out"
out=$(chroot "$R" /opt/cni/bin/rdmanet-ipam reconcile --no-such-option 2>&1)
rc=$?
[ $rc = 2 ] && grep -q '^usage: rdmanet-ipam reconcile' <<<"$out" && ok "rdmanet-ipam reconcile usage error in the chroot (exit 2)" ||
	nok "rdmanet-ipam reconcile usage error in the chroot" "rc=$rc: $out"
# The loader's own view: every library from rdmanet-lib/ or the chroot's glibc.
list=$(chroot "$R" "$INTERP" --list /opt/cni/bin/rdmanet-ipam 2>&1)
stray=$(awk '$2 == "=>" {print $1, $3}' <<<"$list" | while read -r so p; do
	case $p in "$LIBDIR/$so") ;; /lib/"$MULTIARCH"/*) is_glibc "$so" || echo "$so=>$p" ;; *) echo "$so=>$p" ;; esac
done | tr '\n' ' ')
n=$(grep -c '=>' <<<"$list")
[ -z "$stray" ] && [ "$n" -gt 20 ] && ok "rdmanet-ipam loads its $n libraries from rdmanet-lib/ and the chroot's glibc" ||
	nok "rdmanet-ipam's libraries in the chroot" "$stray"

mkdir -p /run/netns && mount -t tmpfs tmpfs /run/netns
ip link set lo up
ip link add inst0 type veth peer name inst1 && ip link set inst0 up && ip link set inst1 up
ip netns add ipod
mount -t proc proc "$R/proc" && mount --rbind /run/netns "$R/run/netns"
conf='{"cniVersion":"1.0.0","name":"inst","type":"rdmanet","master":"inst0"}'
env_cni() { env -i CNI_COMMAND="$1" CNI_CONTAINERID=inst CNI_NETNS=/run/netns/ipod CNI_IFNAME=net1 CNI_PATH=/opt/cni/bin "${@:2}"; }
out=$(echo "$conf" | env_cni ADD /usr/sbin/chroot "$R" /opt/cni/bin/rdmanet 2>/dev/null)
if jq -e '.interfaces[0].name == "net1"' <<<"$out" >/dev/null &&
	[ "$(ip -n ipod -j -d link show net1 | jq -r '.[0].linkinfo.info_kind')" = macvlan ]; then
	ok "L2 ADD in a glibc-only chroot creates the macvlan in the pod"
else
	nok "L2 ADD in a glibc-only chroot" "$out"
fi
out=$(echo "$conf" | env_cni DEL /usr/sbin/chroot "$R" /opt/cni/bin/rdmanet 2>/dev/null)
if [ -z "$out" ] && ! ip -n ipod link show net1 >/dev/null 2>&1; then ok "DEL in a glibc-only chroot"; else nok "DEL in a glibc-only chroot" "$out"; fi

# ---- rdmanet-ipam in the chroot against the test API server (TLS with the kubeconfig's CA)
if ! command -v python3 >/dev/null || ! command -v openssl >/dev/null; then
	nok "rdmanet-ipam against the test API server" "python3/openssl missing"
else
	. tests/k8s/lib.sh
	TOK=inst-6c1f0e9d8b7a6c5d4e3f
	bash tests/k8s/certs.sh "$T/pki" >/dev/null 2>&1
	echo "{\"$TOK\": {\"user\": \"system:serviceaccount:kube-system:rdmanet\",
		\"allow\": [\"*:ippools\", \"*:overlappingrangeipreservations\", \"get:pods\", \"list:pods\"]}}" >"$T/tokens.json"
	if ! k8s_server_start "$T" admin-3e2d1c0b9a8f7e6d5c4b; then
		nok "test API server" "did not start: $(tail -3 "$T/server.log" 2>/dev/null)"
	else
		k8s_kubeconfig "$R/etc/cni/net.d/rdmanet.kubeconfig" "$TOK" kube-system
		cp "$T/pki/ca.crt" "$R/etc/cni/net.d/ca.crt"
		sed -i "s|certificate-authority: .*|certificate-authority: /etc/cni/net.d/ca.crt|" "$R/etc/cni/net.d/rdmanet.kubeconfig"
		out=$(chroot "$R" /opt/cni/bin/rdmanet-ipam reconcile --kubeconfig /etc/cni/net.d/rdmanet.kubeconfig --dry-run 2>&1)
		rc=$?
		[ $rc = 0 ] && grep -q '^reconcile: pools=0 .*dry-run=yes$' <<<"$out" &&
			ok "rdmanet-ipam reconcile --dry-run in the chroot: TLS to the API server with bundled libcurl" ||
			nok "rdmanet-ipam reconcile in the chroot" "rc=$rc: $out"
		iconf='{"cniVersion":"1.0.0","name":"inst","type":"rdmanet","master":"inst0","ipam":{"type":"rdmanet-ipam","range":"10.91.0.0/28","kubernetes":{"kubeconfig":"/etc/cni/net.d/rdmanet.kubeconfig"}}}'
		args="K8S_POD_NAMESPACE=default;K8S_POD_NAME=inst-pod"
		out=$(echo "$iconf" | env_cni ADD CNI_ARGS="$args" /usr/sbin/chroot "$R" /opt/cni/bin/rdmanet 2>"$T/add.err")
		ip=$(jq -r '.ips[0].address // empty' <<<"$out" 2>/dev/null)
		if [[ $ip == 10.91.0.* ]] && ip -n ipod -o -4 addr show net1 | grep -q "inet $ip"; then
			ok "ADD with rdmanet-ipam in the chroot: $ip from the API server, on net1 in the pod"
		else
			nok "ADD with rdmanet-ipam in the chroot" "$out $(cat "$T/add.err")"
		fi
		out=$(echo "$iconf" | env_cni DEL CNI_ARGS="$args" /usr/sbin/chroot "$R" /opt/cni/bin/rdmanet 2>"$T/del.err")
		pool=$(curl -s --cacert "$T/pki/ca.crt" -H "Authorization: Bearer $TOK" \
			"https://127.0.0.1:$PORT/apis/whereabouts.cni.cncf.io/v1alpha1/namespaces/kube-system/ippools/10.91.0.0-28")
		if [ -z "$out" ] && ! ip -n ipod link show net1 >/dev/null 2>&1 &&
			jq -e '.spec.allocations | length == 0' <<<"$pool" >/dev/null; then
			ok "DEL with rdmanet-ipam in the chroot: link gone, allocation released"
		else
			nok "DEL with rdmanet-ipam in the chroot" "$out $(cat "$T/del.err") / $pool"
		fi
	fi
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
