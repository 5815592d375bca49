#!/bin/bash
# run-all.sh - every test suite of the project; each suite prints "N passed, N failed" last.
# The totals line at the end is what CI reads. Needs root (namespaces, links).
#
# BUILDS names the build folders (default: build). Unit tests and the fuzz corpus replay run with
# each of them (they take a second). Every other suite runs once: with the sanitizer build when
# BUILDS has one (ASan/UBSan and the fault hooks see every path), except the suites that check the
# shipped binaries themselves (a "# run-with: shipped build" line in the script: install, installer,
# host compatibility, valgrind), which run with build/. Suites run RDMANET_TEST_JOBS at a time
# (default: the number of CPUs + 1; each is in its own network and mount namespace, and most of a
# suite's time is spent waiting on its peers), longest first, at most RDMANET_TEST_VMS (default 2)
# qemu guests at a time, each with one vCPU unless VM_SMP says otherwise (a TCG guest is bound by
# one thread anyway); a suite's output is printed whole when it ends, with its wall time. RDMANET_TEST_ONLY=<regex> runs only the suites
# whose name ("build-san: integ/test_add") matches.
set -u
cd "$(dirname "$0")/.."
BUILDS=${BUILDS:-${BUILD:-build}}
JOBS=${RDMANET_TEST_JOBS:-$(($(nproc) + 1))}
VMS=${RDMANET_TEST_VMS:-2}
export VM_SMP=${VM_SMP:-1}
OUT=$(mktemp -d /tmp/rdmanet-run-all.XXXXXX)
total_p=0 total_f=0 total_s=0 failed_suites=()
names=() cmds=() builds=()

# rdmanet-ipam's lock folder: suites mount a private tmpfs on it and remove it at the end when
# they made it; made here once, so that no suite removes it under another one running.
made_locks=
[ -d /run/rdmanet-ipam ] || { mkdir -p /run/rdmanet-ipam && made_locks=1; }
locks_before=$(ls -A /run/rdmanet-ipam | sort)
cleanup() {
	local pids; pids=$(jobs -p)
	[ -z "$pids" ] || kill $pids 2>/dev/null
	wait 2>/dev/null
	[ -z "$made_locks" ] || rmdir /run/rdmanet-ipam 2>/dev/null
	rm -rf "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

add() { # build, name, command...
	[ -z "${RDMANET_TEST_ONLY:-}" ] || [[ $2 =~ $RDMANET_TEST_ONLY ]] || return 0
	builds+=("$1"); names+=("$2"); shift 2
	cmds+=("$(printf '%q ' "$@")")
}

san= shipped=
for b in $BUILDS; do
	[ -x "$b/rdmanet" ] || { echo "=== $b/rdmanet is not built"; total_f=$((total_f + 1)); continue; }
	case $b in *san*) san=${san:-$b} ;; build) shipped=$b ;; esac
done
main=${san:-${shipped:-}}
[ -n "$main" ] || main=$(for b in $BUILDS; do [ -x "$b/rdmanet" ] && { echo "$b"; break; }; done)

# Longest first: the VM suites and the API-server suites dominate.
if [ -n "$main" ] && [ "${RDMANET_VM_TESTS:-1}" != 0 ]; then
	# real-kernel RDMA suites in a qemu VM (tests/vm); RDMANET_VM_TESTS=0 skips them
	for t in tests/vm/test_*.sh; do
		[ -f "$t" ] && add "$main" "$main: vm/$(basename "$t" .sh)" env BUILD="$main" bash "$t"
	done
fi
if [ -n "$main" ]; then
	for t in tests/k8s/test_*.sh tests/integ/test_*.sh; do
		[ -f "$t" ] || continue
		b=$main
		if grep -q '^# run-with: shipped build' "$t"; then
			b=${shipped:-$main}
		fi
		add "$b" "$b: $(basename "$(dirname "$t")")/$(basename "$t" .sh)" \
			unshare --mount --net --propagation private bash "$t"
	done
fi
for b in $BUILDS; do
	[ -x "$b/rdmanet" ] || continue
	for t in "$b"/tests/test_*; do
		[ -x "$t" ] && add "$b" "$b: unit/$(basename "$t")" "$t"
	done
	for t in "$b"/tests/fuzz-replay-*; do
		[ -x "$t" ] && add "$b" "$b: fuzz/${t##*/fuzz-replay-}" "$t" \
			"tests/fuzz/corpus/${t##*/fuzz-replay-}"
	done
done
# the API-server and fault suites start first among the namespace suites
order=()
for i in "${!names[@]}"; do
	case ${names[$i]} in
	*vm/*) order+=("0 $i") ;;
	*/test_ipam_k8s | */test_api_faults | */test_apiserver | */test_bad_input | */test_kill | \
		*/test_hostcompat | */test_k8s_client | */test_valgrind) order+=("1 $i") ;;
	*unit/* | *fuzz/*) order+=("3 $i") ;;
	*) order+=("2 $i") ;;
	esac
done
mapfile -t order < <(printf '%s\n' "${order[@]}" | sort -s -n -k1,1 | cut -d' ' -f2)

start_job() { # index
	local i=$1
	(
		s=$(date +%s%N)
		export BUILD=${builds[$i]}
		eval "${cmds[$i]}" </dev/null >"$OUT/$i.log" 2>&1
		echo $? >"$OUT/$i.rc"
		echo $((($(date +%s%N) - s) / 1000000)) >"$OUT/$i.ms"
	) &
	pid_of[$!]=$i
}

report() { # index
	local i=$1 name=${names[$1]} log=$OUT/$1.log
	local rc ms; rc=$(cat "$OUT/$i.rc" 2>/dev/null || echo 255); ms=$(cat "$OUT/$i.ms" 2>/dev/null || echo 0)
	echo "=== $name"
	sed 's/^/    /' "$log"
	local line; line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	local secs; secs=$(printf '%d.%01d s' $((ms / 1000)) $((ms % 1000 / 100)))
	if [ -z "$line" ]; then
		echo "=== $name: no result line (rc=$rc, $secs)"
		total_f=$((total_f + 1)); failed_suites+=("$name"); return
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
	echo "=== $name: $line (rc=$rc, $secs)"
}

declare -A pid_of=()
t0=$(date +%s)
running=0 vm_running=0
queue=("${order[@]}")
# next_job: the first queued suite that may start now (no more than VMS guests at once: more TCG
# guests than CPUs would slow each other toward their own deadlines), removed from the queue;
# empty if none
next_job() {
	local k
	next=
	for k in "${!queue[@]}"; do
		if [[ ${names[${queue[$k]}]} == *vm/* ]] && [ "$vm_running" -ge "$VMS" ]; then
			continue
		fi
		next=${queue[$k]}; unset "queue[$k]"; queue=("${queue[@]}"); return
	done
}
while [ ${#queue[@]} -gt 0 ] || [ "$running" -gt 0 ]; do
	while [ "$running" -lt "$JOBS" ] && [ ${#queue[@]} -gt 0 ]; do
		next_job
		[ -n "$next" ] || break
		[[ ${names[$next]} == *vm/* ]] && vm_running=$((vm_running + 1))
		start_job "$next"; running=$((running + 1))
	done
	wait -n -p done_pid; running=$((running - 1))
	i=${pid_of[$done_pid]}
	[[ ${names[$i]} == *vm/* ]] && vm_running=$((vm_running - 1))
	report "$i"
done
echo "=== ${#names[@]} suites, $JOBS at a time, in $(($(date +%s) - t0)) s"
# no suite may leave a pool lock or Event series file on the machine (they use private ones)
left=$(comm -13 <(echo "$locks_before") <(ls -A /run/rdmanet-ipam | sort) | tr '\n' ' ')
if [ -n "${left// /}" ]; then
	echo "not ok - files left in the machine's /run/rdmanet-ipam: $left"
	total_f=$((total_f + 1)); failed_suites+=("(leftovers in /run/rdmanet-ipam)")
else
	echo "ok - nothing left in the machine's /run/rdmanet-ipam"; total_p=$((total_p + 1))
fi

[ ${#failed_suites[@]} -gt 0 ] && echo "failed suites: ${failed_suites[*]}"
if [ "$total_s" -gt 0 ]; then
	echo "$total_p passed, $total_f failed, $total_s skipped"
else
	echo "$total_p passed, $total_f failed"
fi
[ "$total_f" -eq 0 ]
