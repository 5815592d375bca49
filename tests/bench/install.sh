#!/bin/bash
# install.sh - what a node gets from `make install`: the size of each installed (stripped) binary
# and of the install against the 6 MB budget, and the start-up (VERSION, fork+exec to wait4) of
# the installed rdmanet-ipam, which has libcurl and OpenSSL built in and loads nothing but
# libc.so.6, against the installed rdmanet, an empty C program, and the same empty program linked
# with the system's shared libcurl (the cost of the layout before issue 14, where rdmanet-ipam
# loaded libcurl's closure). Interleaved iteration by iteration, so load from other work hits all
# alike. Reports min/p50/p90/max wall time, median CPU time and max RSS, and rdmanet-ipam minus
# rdmanet for min and p50.
#
#   make bench-install          # or: BENCH_N=300 tests/bench/install.sh
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
N=${BENCH_N:-200}
W=${BENCH_WARMUP:-5}
BUDGET=6000000
B=$BUILD/bench-install

[ "$BUILD" = build ] || echo "note: $BUILD is not the shipped build"
rm -rf "$B"; mkdir -p "$B"
make -s BUILD="$BUILD" install DESTDIR="$PWD/$B/inst" >/dev/null
cc -O2 -std=gnu11 -o "$B/exectime" tests/bench/exectime.c
# Loader baselines with the plugins' hardening/link flags; --no-as-needed keeps libcurl NEEDED so
# the loader maps and relocates its closure as it would for real. The runtime libcurl4 is there for
# the curl CLI (scripts/deps.sh); without the -dev package's libcurl.so, the full path names it.
EFLAGS="-O2 -fPIE -pie -Wl,-z,relro,-z,now"
LIBCURL=$(cc -print-file-name=libcurl.so)
[ -e "$LIBCURL" ] || LIBCURL=$(cc -print-file-name=libcurl.so.4)
[ -e "$LIBCURL" ] || { echo "install.sh: no libcurl.so.4 (apt install libcurl4)" >&2; exit 1; }
cc $EFLAGS -o "$B/empty" tests/bench/empty.c
cc $EFLAGS -o "$B/empty-curl" tests/bench/empty.c -Wl,--no-as-needed "$LIBCURL"

I=$B/inst/opt/cni/bin
echo "installed (make install, stripped), bytes:"
for f in $(cd "$I" && find . -mindepth 1 | sed 's|^\./||' | sort); do
	printf '  %-24s %9s  NEEDED %s\n' "$f" "$(stat -c %s "$I/$f")" \
		"$(objdump -p "$I/$f" | awk '$1 == "NEEDED" {printf "%s%s", s, $2; s = " "}')"
done
total=$(find "$I" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
printf '  %-24s %9s  %.1f%% of the %d budget (%s)\n' total "$total" "$(echo "$total $BUDGET" |
	awk '{print 100 * $1 / $2}')" "$BUDGET" "$([ "$total" -le "$BUDGET" ] && echo within || echo OVER)"
n=$(objdump -p "$B/empty-curl" | awk '$1 == "NEEDED"' | wc -l)
echo "empty + system libcurl: $LIBCURL, $(ldd "$B/empty-curl" | grep -c '=>') libraries loaded ($n NEEDED)"

echo '{"cniVersion":"1.0.0"}' >"$B/version.json"
echo
echo "start-up, VERSION, N=$N (warm-up $W), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$B/exectime" -T -n "$N" -w "$W" -e CNI_COMMAND=VERSION -i "$B/version.json" \
	-l "empty C program" -- "$B/empty" ';;' \
	-l "empty + system libcurl" -- "$B/empty-curl" ';;' \
	-l "rdmanet, installed" -- "$I/rdmanet" ';;' \
	-l "rdmanet-ipam, installed" -- "$I/rdmanet-ipam" >"$B/results.tsv"
awk -F'\t' '
	{ l[NR] = $1; mn[$1] = $3; md[$1] = $4; rss[$1] = $8
	  printf "  %-24s %5d %7.2f %7.2f %7.2f %7.2f %7.2f %8d\n", $1, $2, $3, $4, $5, $6, $7, $8 }
	BEGIN { printf "  %-24s %5s %7s %7s %7s %7s %7s %8s\n", "wall ms / KiB", "n", "min", "p50",
		"p90", "max", "CPU", "maxRSS" }
	END {
		r = "rdmanet, installed"; i = "rdmanet-ipam, installed"
		printf "rdmanet-ipam - rdmanet: min %+.2f ms, p50 %+.2f ms; max RSS %d KiB vs %d KiB\n",
			mn[i] - mn[r], md[i] - md[r], rss[i], rss[r]
	}' "$B/results.tsv"
echo "load at end $(cut -d' ' -f1-3 /proc/loadavg)"
