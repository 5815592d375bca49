#!/bin/bash
# test_third_party.sh - scripts/third-party.sh, which builds libraries into the binaries from
# pinned Debian source packages, refuses anything that is not exactly what the lock file pins.
# A local HTTP server on 127.0.0.1 stands in for the Debian archive (RDMANET_DEBIAN_SITE), serving
# the cjson source package from the build's download cache (build-deps/dl, filled by `make`):
# a good lock builds libcjson.a and a second run does nothing; a wrong pin of the .dsc, a file
# that does not match the .dsc, a .dsc naming a path, and an unreachable archive each fail with
# a message saying what to do, and leave no stamp behind (so make tries again). libmicrohttpd as
# make built it links no TLS library.
. "$(dirname "$0")/lib.sh"
integ_isolate "$@"
cd "$ROOT" || exit 1
DEPS=${DEPS:-build-deps}
SCRIPT=$ROOT/scripts/third-party.sh
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	[ -n "$T" ] && rm -rf "$T"
}
trap cleanup EXIT
T=$(mktemp -d /tmp/rdmanet-third-party.XXXXXX)
ip link set lo up

read -r name version url sum < <(awk '$1 == "cjson"' third_party/sources.lock)
[ -n "${sum:-}" ] || die "setup" "third_party/sources.lock pins no cjson"
dsc=${url##*/}
path=$url	# the lock pins the path inside the archive (debian/pool/...), no mirror
[ -f "$DEPS/dl/$dsc" ] || die "setup" "$DEPS/dl/$dsc missing (run make first)"
mkdir -p "$T/www/${path%/*}"
for f in "$dsc" $(awk '/^Checksums-Sha256:/ { on = 1; next } /^[^ ]/ { on = 0 } on && NF == 3 { print $3 }' "$DEPS/dl/$dsc"); do
	cp "$DEPS/dl/$f" "$T/www/${path%/*}/" || die "setup" "$DEPS/dl/$f missing"
done
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$PORT" >"$T/http.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do curl -fso /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
SITE=http://127.0.0.1:$PORT

# run LOCKLINE DIR: the build of one pinned package into DIR; sets RC and OUT
run() {
	printf '%s\n' "$1" >"$T/lock"
	OUT=$(RDMANET_THIRD_PARTY_LOCK="$T/lock" RDMANET_DEBIAN_SITE="$SITE" "$SCRIPT" build "$2" 2>&1)
	RC=$?
}
# run_apt SOURCESLIST LOCKLINE DIR: as run, without RDMANET_DEBIAN_SITE, apt configured with the
# one-line sources list SOURCESLIST alone
run_apt() {
	printf '%s\n' "$1" >"$T/sources.list"
	printf 'Dir::Etc::SourceList "%s";\nDir::Etc::SourceParts "/nonexistent";\n' \
		"$T/sources.list" >"$T/apt.conf"
	printf '%s\n' "$2" >"$T/lock"
	OUT=$(APT_CONFIG="$T/apt.conf" RDMANET_THIRD_PARTY_LOCK="$T/lock" "$SCRIPT" build "$3" 2>&1)
	RC=$?
}
served() { grep -c "GET /${path%/*}/$1 " "$T/http.log"; }

run "$name $version $url $sum" "$T/good"
check "a good pin builds: exit 0" test "$RC" = 0
check "libcjson.a holds cJSON" eval 'nm "$T/good/lib/libcjson.a" 2>/dev/null | grep -q " T cJSON_Parse$"'
check "the header is installed as <cjson/cJSON.h>" test -f "$T/good/include/cjson/cJSON.h"
check "every file came from the archive stand-in (127.0.0.1)" test "$(served "$dsc")" = 1
patches_applied() { # SRC: .pc/applied-patches is exactly debian/patches/series
	[ -s "$1/.pc/applied-patches" ] &&
		diff -q "$1/.pc/applied-patches" <(grep -Ev '^[[:space:]]*(#|$)' "$1/debian/patches/series") >/dev/null
}
check "every patch of Debian's series was applied (security fixes included)" \
	patches_applied "$T/good/work/$name"
n=$(wc -l <"$T/http.log")
run "$name $version $url $sum" "$T/good"
check "a second build with the same lock does nothing" eval '[ "$RC" = 0 ] && [ "$(wc -l <"$T/http.log")" = "$n" ] && [ -z "$OUT" ]'

bad=$(printf '%s' "$sum" | tr '0-9a-f' '1-9a-f0')
run "$name $version $url $bad" "$T/badpin"
check "a .dsc that does not match its pin: refused" \
	eval '[ "$RC" != 0 ] && grep -q "does not match the SHA-256 pinned in" <<<"$OUT"'
check "... and nothing is built or stamped" eval '[ ! -e "$T/badpin/.built" ] && [ ! -e "$T/badpin/lib/libcjson.a" ]'

orig=$(awk '/^Checksums-Sha256:/ { on = 1; next } /^[^ ]/ { on = 0 } on && $3 ~ /orig/ { print $3; exit }' "$DEPS/dl/$dsc")
cp "$T/www/${path%/*}/$orig" "$T/orig.keep"
printf 'x' >>"$T/www/${path%/*}/$orig"
run "$name $version $url $sum" "$T/badfile"
check "a file that does not match the .dsc: refused, naming it" \
	eval '[ "$RC" != 0 ] && grep -q "$orig does not match its SHA-256 in" <<<"$OUT"'
check "... and nothing is unpacked or stamped" eval '[ ! -e "$T/badfile/.built" ] && [ ! -d "$T/badfile/work/$name" ]'
cp "$T/orig.keep" "$T/www/${path%/*}/$orig"

# a .dsc (pinned as it is) that names a file outside its folder
sed -E "s/ ($orig)\$/ ..\/\1/" "$DEPS/dl/$dsc" >"$T/www/${path%/*}/evil_$dsc"
evsum=$(sha256sum "$T/www/${path%/*}/evil_$dsc" | cut -d' ' -f1)
run "$name $version ${url%/*}/evil_$dsc $evsum" "$T/evil"
check "a .dsc naming a path is refused" eval '[ "$RC" != 0 ] && grep -q "lists a bad file name" <<<"$OUT"'

check "the lock names no mirror: paths in the archive only" \
	eval '! grep -Ev "^[[:space:]]*(#|\$)" third_party/sources.lock | grep -q "://"'
run_apt "deb $SITE/debian bookworm main" "$name $version $url $sum" "$T/apt"
check "without RDMANET_DEBIAN_SITE, the mirror apt is configured with serves the build" \
	eval '[ "$RC" = 0 ] && [ -f "$T/apt/lib/libcjson.a" ] && grep -q "GET /$path " "$T/http.log"'
run_apt "# none" "$name $version $url $sum" "$T/noapt"
check "no mirror configured in apt: an error naming RDMANET_DEBIAN_SITE, nothing stamped" \
	eval '[ "$RC" != 0 ] && grep -q "RDMANET_DEBIAN_SITE" <<<"$OUT" && [ ! -e "$T/noapt/.built" ]'
run "$name $version debian/pool/../../etc/$dsc $sum" "$T/dotdot"
check "a pinned path with '..' is refused before any download" \
	eval '[ "$RC" != 0 ] && grep -q "not a plain archive path" <<<"$OUT" && ! grep -q "/etc/" "$T/http.log"'

# libmicrohttpd (the reconciler's /metrics) as make built it: plain HTTP, no GnuTLS to link
MHD=$DEPS/lib/libmicrohttpd.a
check "libmicrohttpd.a (from build-deps) holds MHD_start_daemon" \
	eval 'nm "$MHD" 2>/dev/null | grep -q " T MHD_start_daemon$"'
check "... and refers to no GnuTLS or libgcrypt symbol (built without HTTPS)" \
	eval '! nm -u "$MHD" 2>/dev/null | grep -Eiq "gnutls|gcry"'

kill "${PIDS[0]}" 2>/dev/null; wait "${PIDS[0]}" 2>/dev/null; PIDS=()
run "$name $version $url $sum" "$T/offline"
check "an unreachable archive: an error naming the URL and the update step" \
	eval '[ "$RC" != 0 ] && grep -q "cannot download $SITE/$path" <<<"$OUT" && grep -q "scripts/third-party.sh update" <<<"$OUT"'
check "... and nothing is stamped" test ! -e "$T/offline/.built"
finish
