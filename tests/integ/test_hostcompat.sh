#!/bin/bash
# test_hostcompat.sh - what `make install` puts on a node, on an older distribution's base: a
# `debootstrap --variant=minbase` Debian 11 (bullseye) root, which has glibc 2.31 and no libnl,
# cJSON or libcurl. Our glibc floor (README: host compatibility) is above 2.31, so the binaries
# cannot run there; instead the test checks, with the root's own loader (`ld.so --list` in a
# chroot), that each installed binary resolves to the root's own libc.so.6 and nothing else (no
# library but glibc's is needed, none comes from the install or the root's other libraries), and
# that the only thing left unresolved is exactly the set of GLIBC_x.y versions above 2.31 that
# readelf says the binaries need, all within the stated floor. VERSION, ADD and DEL on a node with
# a new enough glibc and nothing else are test_install.sh's part.
#
# The root is built once and cached in $RDMANET_BULLSEYE_ROOT (default /var/tmp/rdmanet-bullseye;
# a few minutes, ~200 MB) under a lock, from the Debian mirror apt is configured with (or
# $RDMANET_DEBIAN_MIRROR); later runs only read it, through an overlay, and take a few seconds.
# debootstrap downloads in the network namespace the test was started from, since the test itself
# runs in an empty one. Without a cache: a missing debootstrap, a mirror without bullseye or a
# failed debootstrap fail the test; only a mirror the machine cannot reach at all is a skip.
# run-with: shipped build (tests/run-all.sh runs this suite with build/, not the sanitizer build)
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT_DIR=$(pwd)
BUILD=${BUILD:-build}
. tests/integ/elf_lib.sh
pass=0 fail=0 skip=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
nok() { echo "not ok - $1${2:+: $2}"; fail=$((fail + 1)); }
finish() {
	if [ "$skip" -gt 0 ]; then echo "$pass passed, $fail failed, $skip skipped"; else echo "$pass passed, $fail failed"; fi
	[ "$fail" = 0 ]
	exit
}
die() { nok "$1" "${2:-}"; finish; }
skip_all() { echo "ok - $1 # SKIP"; skip=$((skip + 1)); finish; }

if [ "$BUILD" != build ]; then
	# sanitizer builds link libasan/libubsan on purpose; the shipped build is build/
	skip_all "skipped for $BUILD (checks the shipped build only)"
fi
[ "$(id -u)" = 0 ] || die "setup" "needs root (debootstrap, chroot, mounts)"
for c in readelf objdump chroot dpkg-query; do
	command -v $c >/dev/null || die "setup" "$c is not installed"
done

SUITE=bullseye
OLD_GLIBC=2.31
CACHE=${RDMANET_BULLSEYE_ROOT:-/var/tmp/rdmanet-bullseye}
ARCH=$(dpkg --print-architecture)
MULTIARCH=$(${CC:-cc} -print-multiarch)
BINS="rdmanet rdmanet-ipam"

# host_net CMD...: CMD in the network namespace this test was started from (the nearest ancestor
# process in another one; tests/run-all.sh runs each suite under `unshare --net`).
host_net() {
	local pid=$$ me ns
	me=$(readlink /proc/$$/ns/net)
	while [ "$pid" -gt 1 ]; do
		pid=$(sed -E 's/^.*\) [A-Za-z] ([0-9]+) .*/\1/' "/proc/$pid/stat" 2>/dev/null) || break
		ns=$(readlink "/proc/$pid/ns/net" 2>/dev/null) || continue
		[ "$ns" != "$me" ] && { nsenter --net="/proc/$pid/ns/net" "$@"; return; }
	done
	"$@"
}
# The Debian archive apt already uses for this host's release (not the security or updates one).
debian_mirror() {
	local codename
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	apt-get indextargets --format '$(SITE) $(RELEASE) $(COMPONENT) $(TARGET_OF)' 2>/dev/null |
		awk -v c="$codename" '$2 == c && $3 == "main" && $4 == "deb" { print $1; exit }'
}
umount_under() { # DIR: whatever debootstrap left mounted below DIR
	awk -v d="$1/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r |
		while read -r m; do umount -l "$m"; done
}

# build_cache: 0 when $CACHE holds a complete root; 1 with WHY on failure; 2 with WHY for a skip.
build_cache() {
	local mirror rc tmp=$CACHE.new log=$CACHE.log
	[ -f "$CACHE/.rdmanet-root" ] && return 0
	exec 9>"$CACHE.lock"
	if ! flock -n 9; then
		echo "# another run is building $CACHE: waiting for $CACHE.lock"
		flock -w 1800 9 || { WHY="timed out waiting for $CACHE.lock"; return 1; }
	fi
	[ -f "$CACHE/.rdmanet-root" ] && return 0 # built by another run meanwhile
	command -v debootstrap >/dev/null || { WHY="debootstrap is not installed (scripts/deps.sh installs it)"; return 1; }
	mirror=${RDMANET_DEBIAN_MIRROR:-$(debian_mirror)}
	[ -n "$mirror" ] || { WHY="apt's sources have no Debian archive for this release; set RDMANET_DEBIAN_MIRROR"; return 1; }
	host_net wget -q -T 20 -t 2 --spider "$mirror/dists/$SUITE/InRelease"
	rc=$?
	case $rc in
	0) ;;
	4) WHY="the machine cannot reach the Debian mirror $mirror (wget: network failure)"; return 2 ;;
	*) WHY="$mirror/dists/$SUITE/InRelease: wget exit $rc (the mirror answered, but has no $SUITE?)"; return 1 ;;
	esac
	echo "# building $CACHE: debootstrap --variant=minbase $SUITE from $mirror (once; a few minutes)"
	umount_under "$tmp"; rm -rf --one-file-system "$tmp"
	if ! host_net timeout 1500 debootstrap --variant=minbase --arch="$ARCH" "$SUITE" "$tmp" "$mirror" \
		>"$log" 2>&1; then
		WHY="debootstrap failed (log: $log): $(tail -n 3 "$log" | tr '\n' ' ')"
		umount_under "$tmp"
		return 1
	fi
	umount_under "$tmp"
	rm -rf "$tmp/var/cache/apt/archives/"*.deb
	echo "$SUITE $mirror $(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$tmp/.rdmanet-root"
	mv "$tmp" "$CACHE" || { WHY="cannot move $tmp to $CACHE"; return 1; }
	return 0
}

T=$(mktemp -d /tmp/rdmanet-hostcompat.XXXXXX)
trap 'umount_under "$T"; umount "$T/root" 2>/dev/null; rm -rf --one-file-system "$T"' EXIT
t0=$(date +%s)
build_cache
case $? in
0) ok "Debian $SUITE minbase root at $CACHE ($(cut -d' ' -f3 "$CACHE/.rdmanet-root"), $(($(date +%s) - t0)) s)" ;;
2) skip_all "no Debian $SUITE root: $WHY" ;;
*) die "Debian $SUITE minbase root" "$WHY" ;;
esac

# ---- the root is what it claims to be
ADMIN=$CACHE/var/lib/dpkg
v=$(dpkg-query --admindir="$ADMIN" -W -f '${Version}' libc6 2>/dev/null)
banner=$(chroot "$CACHE" /lib/$MULTIARCH/libc.so.6 2>&1 | head -1)
if [[ $v == $OLD_GLIBC-* ]] && [[ $banner == *"release version $OLD_GLIBC"* ]]; then
	ok "the root's glibc is $OLD_GLIBC (libc6 $v)"
else
	nok "the root's glibc is $OLD_GLIBC" "libc6 '$v', libc.so.6 says '$banner'"
fi
pk=$(dpkg-query --admindir="$ADMIN" -W -f '${db:Status-Abbrev} ${Package}\n' 2>/dev/null |
	awk '$1 ~ /^.i/ && $2 ~ /^(libnl-|libcjson|libcurl)/ { print $2 }' | tr '\n' ' ')
files=$(find "$CACHE" -xdev \( -name 'libnl-*.so*' -o -name 'libcjson*.so*' -o -name 'libcurl*.so*' \) \
	-printf '/%P ' 2>/dev/null)
if [ -z "$pk$files" ]; then ok "the root has no libnl, cJSON or libcurl"; else nok "the root has no libnl, cJSON or libcurl" "$pk$files"; fi

# ---- install into an overlay of the cache: the cache stays as built
mkdir -p "$T/upper" "$T/work" "$T/root" "$T/inst"
if ! mount -t overlay overlay -o "lowerdir=$CACHE,upperdir=$T/upper,workdir=$T/work" "$T/root" 2>/dev/null; then
	cp -a "$CACHE/." "$T/root/" || die "copy of the root" "cp -a failed"
fi
R=$T/root
out=$(make -s install DESTDIR="$T/inst" 2>&1) || die "make install DESTDIR" "$out"
inst=$(cd "$T/inst" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort | tr '\n' ' ')
[ "$inst" = "opt/cni/bin/rdmanet opt/cni/bin/rdmanet-ipam " ] &&
	ok "make install puts only rdmanet and rdmanet-ipam on the node" ||
	nok "make install installs only the two binaries" "$inst"
cp -a "$T/inst/." "$R/" || die "copy of the installed files into the root"
# a path inside the root, its symbolic links resolved there (the root's may be absolute)
in_root() { echo "$R$(chroot "$R" /usr/bin/readlink -f "$1")"; }
LIBC=$(in_root /lib/$MULTIARCH/libc.so.6)

# ---- NEEDED entries and symbol versions against the stated floor
declare -A FLOOR=()
for b in $BINS; do
	f=$R/opt/cni/bin/$b
	n=$(needed "$f" | tr '\n' ' ')
	[ "$n" = "libc.so.6 " ] && ok "$b needs no library but libc.so.6" || nok "$b needs no library but libc.so.6" "$n"
	FLOOR[$b]=$(readme_floor "$b")
	[ -n "${FLOOR[$b]}" ] || { nok "README states the glibc floor of $b"; continue; }
	own=$(glibc_max "$f")
	if glibc_needs "$f" | grep -q GLIBC_PRIVATE; then
		nok "$b needs no GLIBC_PRIVATE"
	elif ver_le "$own" "${FLOOR[$b]}"; then
		ok "$b needs glibc $own: within the stated floor ${FLOOR[$b]}"
	else
		nok "$b within the stated glibc floor ${FLOOR[$b]}" "it needs $own"
	fi
done

# ---- the root's own loader: every library resolves in the root; only glibc versions are missing
INTERP=$(readelf -l "$R/opt/cni/bin/rdmanet" | sed -nE 's/.*Requesting program interpreter: (.*)\]$/\1/p')
chroot "$R" /usr/bin/test -x "$INTERP" || die "the root has the loader $INTERP"
GLIBC_FILES=" $(dpkg-query --admindir="$ADMIN" -L "libc6:$ARCH" 2>/dev/null | tr '\n' ' ') "
in_root_glibc() { # PATH (inside the root): a file of the root's libc6, usr-merge aside
	local p=$1
	[[ $GLIBC_FILES == *" $p "* || $GLIBC_FILES == *" ${p#/usr} "* || $GLIBC_FILES == *" /usr$p "* ]]
}
defs=" $(glibc_defs "$LIBC" | tr '\n' ' ') "
for b in $BINS; do
	bin=/opt/cni/bin/$b
	listing=$(chroot "$R" "$INTERP" --list "$bin" 2>&1)
	bad=() libs_ok=0 got=()
	while IFS= read -r line; do
		line=${line#"${line%%[![:space:]]*}"}
		[ -z "$line" ] && continue
		if [[ $line =~ ^([^[:space:]]+)\ =\>\ not\ found ]]; then
			bad+=("${BASH_REMATCH[1]} not found")
		elif [[ $line =~ ^([^[:space:]]+)\ =\>\ ([^[:space:]]+)\ \(0x ]]; then
			so=${BASH_REMATCH[1]} p=${BASH_REMATCH[2]}
			if [ "$so" != libc.so.6 ]; then
				bad+=("$so => $p (a library other than libc.so.6)")
			elif ! in_root_glibc "$p"; then
				bad+=("$so => $p (not the root's glibc)")
			fi
			libs_ok=$((libs_ok + 1))
		elif [[ $line =~ :\ ([^:]+):\ version\ \`([^\']+)\'\ not\ found\ \(required\ by\ ([^\)]+)\)$ ]]; then
			got+=("${BASH_REMATCH[3]} ${BASH_REMATCH[1]##*/} ${BASH_REMATCH[2]}")
		elif [[ $line =~ ^(linux-vdso\.so\.[0-9]+|/[^[:space:]]+)\ \(0x ]]; then
			: # the vDSO and the loader itself
		else
			bad+=("unexpected: $line")
		fi
	done <<<"$listing"
	# what readelf predicts: each installed file's GLIBC_* needs that the root's libc lacks
	want=()
	while read -r file ver; do
		[[ $defs == *" $ver "* ]] || want+=("$bin $file $ver")
	done < <(glibc_needs "$R$bin")
	got_s=$(printf '%s\n' "${got[@]}" | sort -u) want_s=$(printf '%s\n' "${want[@]}" | sort -u)
	vers=$(printf '%s\n' "${got[@]}" | awk 'NF {print $3}' | sort -uV | tr '\n' ' ')
	if [ ${#bad[@]} -gt 0 ] || [ "$libs_ok" != 1 ]; then
		nok "$b resolves to the $SUITE root's libc.so.6 only" "$libs_ok libraries: $(printf '%s; ' "${bad[@]}")"
	else
		ok "$b resolves to the $SUITE root's own libc.so.6, nothing else"
	fi
	above=$(printf '%s\n' "${got[@]}" | awk 'NF {sub(/^GLIBC_/, "", $3); print $3}' | sort -uV |
		while read -r x; do ver_le "$x" "$OLD_GLIBC" && echo "GLIBC_$x"; ver_le "$x" "${FLOOR[$b]:-0}" || echo "GLIBC_$x>floor"; done)
	if [ ${#got[@]} -gt 0 ] && [ "$got_s" = "$want_s" ] && [ -z "$above" ]; then
		ok "$b: the only unresolved symbols are glibc versions above $OLD_GLIBC, exactly as readelf predicts: $vers(${#got[@]} file/version pairs)"
	else
		nok "$b: the only unresolved symbols are glibc versions in ($OLD_GLIBC, ${FLOOR[$b]:-?}]" \
			"loader: $(tr '\n' ';' <<<"$got_s") readelf: $(tr '\n' ';' <<<"$want_s") out of range: $above"
	fi
done

# ---- and so, on this root, the plugin refuses to start, naming the glibc version
out=$(echo '{"cniVersion":"1.0.0"}' | CNI_COMMAND=VERSION chroot "$R" /opt/cni/bin/rdmanet 2>&1)
rc=$?
if [ $rc != 0 ] && [[ $out == *"version \`GLIBC_2."*"' not found"* ]]; then
	ok "VERSION on glibc $OLD_GLIBC fails at load time, naming the missing glibc version (rc=$rc)"
else
	nok "VERSION on glibc $OLD_GLIBC fails at load time" "rc=$rc: $out"
fi

finish
