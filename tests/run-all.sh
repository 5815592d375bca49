#!/bin/bash
# run-all.sh - every test suite of the project; each suite prints "N passed, N failed" last.
# The totals line at the end is what CI reads. Needs root (namespaces, links).
set -u
cd "$(dirname "$0")/.."
BUILDS=${BUILDS:-${BUILD:-build}}
total_p=0 total_f=0 total_s=0 failed_suites=()

run_suite() { # name, command...
	local name=$1; shift
	local log; log=$(mktemp)
	echo "=== $name"
	"$@" 2>&1 | tee "$log" | sed 's/^/    /'
	local rc=${PIPESTATUS[0]}
	local line; line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	rm -f "$log"
	if [ -z "$line" ]; then
		echo "=== $name: no result line (rc=$rc)"; total_f=$((total_f + 1)); failed_suites+=("$name"); return
	fi
	local p f s
	p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
	s=$(sed -nE 's/.*, ([0-9]+) skipped.*/\1/p' <<<"$line"); s=${s:-0}
	total_p=$((total_p + p)); total_f=$((total_f + f)); total_s=$((total_s + s))
	if [ "$f" != 0 ] || [ "$rc" != 0 ]; then
		[ "$f" = 0 ] && total_f=$((total_f + 1))
		failed_suites+=("$name")
	fi
	echo "=== $name: $line (rc=$rc)"
}

for BUILD in $BUILDS; do
	export BUILD
	[ -x "$BUILD/rdmanet" ] || { echo "=== $BUILD/rdmanet is not built"; total_f=$((total_f + 1)); continue; }
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] && run_suite "$BUILD: unit/$(basename "$t")" "$t"
	done
	for t in "$BUILD"/tests/fuzz-replay-*; do
		[ -x "$t" ] && run_suite "$BUILD: fuzz/${t##*/fuzz-replay-}" "$t" "tests/fuzz/corpus/${t##*/fuzz-replay-}"
	done
	for t in tests/k8s/test_*.sh tests/integ/test_*.sh; do
		[ -f "$t" ] && run_suite "$BUILD: $(basename "$(dirname "$t")")/$(basename "$t" .sh)" unshare --mount --net --propagation private bash "$t"
	done
done
# Real-kernel RDMA suites in a qemu VM (tests/vm), with every build (the sanitizer build checks
# the RDMA paths on real kernel replies); RDMANET_VM_TESTS=0 skips them.
if [ "${RDMANET_VM_TESTS:-1}" != 0 ]; then
	for BUILD in $BUILDS; do
		for t in tests/vm/test_*.sh; do
			[ -f "$t" ] && run_suite "$BUILD: vm/$(basename "$t" .sh)" env BUILD="$BUILD" bash "$t"
		done
	done
fi

[ ${#failed_suites[@]} -gt 0 ] && echo "failed suites: ${failed_suites[*]}"
if [ "$total_s" -gt 0 ]; then
	echo "$total_p passed, $total_f failed, $total_s skipped"
else
	echo "$total_p passed, $total_f failed"
fi
[ "$total_f" -eq 0 ]
