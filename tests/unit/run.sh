#!/bin/bash
# run.sh - runs the unit test binaries given as arguments (from the top directory, where the
# fixtures are) and prints their total as the last line: "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
passed=0 failed=0
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -v '^ok - '
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
	if [ -z "$line" ]; then
		echo "$t: no result line (rc=$rc)"
		failed=$((failed + 1))
		continue
	fi
	p=${line%% passed*}
	f=${line#*passed, }; f=${f%% failed*}
	passed=$((passed + p)); failed=$((failed + f))
	[ "$rc" != 0 ] && [ "$f" = 0 ] && failed=$((failed + 1))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
