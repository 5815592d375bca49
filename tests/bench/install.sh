#!/bin/bash
# install.sh - what bundling costs: size of `make install` and start-up (VERSION) of the installed
# rdmanet-ipam, which loads libcurl's closure from /opt/cni/bin/rdmanet-lib through its RPATH,
# against the same binary linked without the RPATH, which loads the system's copies through
# ld.so.cache, and against the loader baselines of run.sh. Needs root: runs in a private mount
# namespace in which the install is bind-mounted on /opt (the host's /opt is left alone).
#
#   make bench-install          # or: BENCH_N=300 tests/bench/install.sh
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
N=${BENCH_N:-200}
W=${BENCH_WARMUP:-5}
B=$BUILD/bench-install

if [ -z "${RDMANET_BENCH_INNER:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "install.sh: needs root (mount namespace)" >&2; exit 1; }
	[ "$BUILD" = build ] || echo "note: $BUILD is not the shipped build"
	rm -rf "$B"; mkdir -p "$B"
	make -s BUILD="$BUILD" install DESTDIR="$PWD/$B/inst" >/dev/null
	cc -O2 -std=gnu11 -o "$B/exectime" tests/bench/exectime.c
	EFLAGS="-O2 -fPIE -pie -Wl,-z,relro,-z,now"
	cc $EFLAGS -o "$B/empty" tests/bench/empty.c
	cc $EFLAGS -o "$B/empty-curl" tests/bench/empty.c -Wl,--no-as-needed -lcurl
	# rdmanet-ipam as it was before it was packaged: no RPATH, the system's libraries
	cc -pie -Wl,-z,relro,-z,now -Wl,--as-needed -o "$B/rdmanet-ipam-system" \
		"$BUILD/cmd/rdmanet-ipam/main.o" "$BUILD/librdmanet-ipam.a" "$BUILD/librdmanet.a" -lcjson \
		-Wl,-Bstatic -lyaml -Wl,-Bdynamic -lcurl
	echo "installed (make install), bytes:"
	I=$B/inst/opt/cni/bin
	printf '  %-34s %9d\n' rdmanet "$(stat -c %s "$I/rdmanet")" rdmanet-ipam "$(stat -c %s "$I/rdmanet-ipam")"
	printf '  %-34s %9d\n' "rdmanet-lib/ ($(ls "$I/rdmanet-lib" | wc -l) libraries)" \
		"$(cat "$I"/rdmanet-lib/* | wc -c)" "  of which libcjson.so.1" "$(stat -c %s "$I/rdmanet-lib/libcjson.so.1")"
	printf '  %-34s %9d\n' total "$(find "$I" -type f -printf '%s\n' | awk '{s += $1} END {print s}')"
	exec unshare --mount --propagation private env RDMANET_BENCH_INNER=1 BUILD="$BUILD" "$0" "$@"
fi

mount --bind "$B/inst/opt" /opt
echo '{"cniVersion":"1.0.0"}' >"$B/version.json"
echo "start-up, VERSION, N=$N (warm-up $W), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); wall ms"
"$B/exectime" -n "$N" -w "$W" -e CNI_COMMAND=VERSION -i "$B/version.json" \
	-l "empty C program" -- "$B/empty" ';;' \
	-l "empty + system libcurl" -- "$B/empty-curl" ';;' \
	-l "rdmanet-ipam, system libs" -- "$B/rdmanet-ipam-system" ';;' \
	-l "rdmanet-ipam, installed" -- /opt/cni/bin/rdmanet-ipam ';;' \
	-l "rdmanet, installed" -- /opt/cni/bin/rdmanet
