#!/bin/bash
# test_install.sh - the installed plugin needs nothing from the node but glibc >= 2.34:
# NEEDED entries, symbol versions, and VERSION/ADD/DEL in a chroot holding only the dynamic
# loader, libc and what `make install` puts under /opt/cni/bin.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
pass=0 fail=0 skip=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
nok() { echo "not ok - $1${2:+: $2}"; fail=$((fail + 1)); }
GLIBC_FLOOR=2.34

if [ "$BUILD" != build ]; then
	# sanitizer builds link libasan/libubsan on purpose; the shipped build is build/
	echo "ok - skipped for $BUILD (checks the shipped build only) # SKIP"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi

T=$(mktemp -d); trap 'umount -R "$T/root/proc" "$T/root/run/netns" 2>/dev/null; rm -rf "$T"' EXIT
make -s install DESTDIR="$T/root" >/dev/null 2>&1 && ok "make install DESTDIR" || nok "make install DESTDIR"
BIN=$T/root/opt/cni/bin/rdmanet

needed=$(objdump -p "$BIN" | awk '/NEEDED/{print $2}' | sort | tr '\n' ' ')
[ "$needed" = "libc.so.6 libcjson.so.1 " ] && ok "NEEDED is libc + bundled cJSON only ($needed)" ||
	nok "NEEDED" "$needed"
rpath=$(objdump -p "$BIN" | awk '/RUNPATH/{print $2}')
[ "$rpath" = /opt/cni/bin/rdmanet-lib ] && ok "RUNPATH points at the bundled libraries" || nok "RUNPATH" "$rpath"
[ -f "$T/root/opt/cni/bin/rdmanet-lib/libcjson.so.1" ] && ok "libcjson.so.1 installed beside the plugin" ||
	nok "bundled libcjson.so.1 missing"
for f in "$BIN" "$T/root/opt/cni/bin/rdmanet-lib/libcjson.so.1"; do
	max=$(objdump -T "$f" | grep -oE 'GLIBC_[0-9]+\.[0-9]+' | sed 's/GLIBC_//' | sort -V | tail -1)
	if [ "$(printf '%s\n%s\n' "$max" "$GLIBC_FLOOR" | sort -V | tail -1)" = "$GLIBC_FLOOR" ]; then
		ok "$(basename "$f") needs glibc $max <= floor $GLIBC_FLOOR"
	else
		nok "$(basename "$f") needs glibc $max > floor $GLIBC_FLOOR"
	fi
done
if objdump -p "$BIN" | grep -qE 'NEEDED.*(libnl|libcurl)'; then nok "libnl/libcurl must not be dynamic deps"; else ok "no libnl/libcurl shared dependency"; fi

# A root with nothing but the loader and libc: the node without our libraries.
R=$T/root
mkdir -p "$R/lib64" "$R/lib/x86_64-linux-gnu" "$R/proc" "$R/run/netns" "$R/tmp"
cp -L /lib64/ld-linux-x86-64.so.2 "$R/lib64/"
cp -L /lib/x86_64-linux-gnu/libc.so.6 "$R/lib/x86_64-linux-gnu/"
out=$(echo '{"cniVersion":"1.0.0"}' | CNI_COMMAND=VERSION chroot "$R" /opt/cni/bin/rdmanet 2>&1)
grep -q '"supportedVersions"' <<<"$out" && ok "VERSION in a bare chroot" || nok "VERSION in a bare chroot" "$out"

mkdir -p /run/netns && mount -t tmpfs tmpfs /run/netns
ip link add inst0 type veth peer name inst1 && ip link set inst0 up && ip link set inst1 up
ip netns add ipod
mount -t proc proc "$R/proc" && mount --rbind /run/netns "$R/run/netns"
conf='{"cniVersion":"1.0.0","name":"inst","type":"rdmanet","master":"inst0"}'
env_cni() { env -i CNI_COMMAND="$1" CNI_CONTAINERID=inst CNI_NETNS=/run/netns/ipod CNI_IFNAME=net1 CNI_PATH=/opt/cni/bin "${@:2}"; }
out=$(echo "$conf" | env_cni ADD /usr/sbin/chroot "$R" /opt/cni/bin/rdmanet 2>/dev/null)
if jq -e '.interfaces[0].name == "net1"' <<<"$out" >/dev/null &&
	[ "$(ip -n ipod -j -d link show net1 | jq -r '.[0].linkinfo.info_kind')" = macvlan ]; then
	ok "L2 ADD in a bare chroot creates the macvlan in the pod"
else
	nok "L2 ADD in a bare chroot" "$out"
fi
out=$(echo "$conf" | env_cni DEL /usr/sbin/chroot "$R" /opt/cni/bin/rdmanet 2>/dev/null)
if [ -z "$out" ] && ! ip -n ipod link show net1 >/dev/null 2>&1; then ok "DEL in a bare chroot"; else nok "DEL in a bare chroot" "$out"; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
