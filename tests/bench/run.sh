#!/bin/bash
# run.sh - start-up, ADD/DEL and memory benchmarks of rdmanet against Debian's reference Go macvlan
# plugin, measured in the same run, interleaved iteration by iteration so that load from other
# work on the machine hits both sides alike. Needs root; runs in its own mount + network
# namespaces (a veth as the macvlan master, one fresh pod netns per ADD) and leaves nothing behind.
#
#   make bench                          # or: BUILD=build tests/bench/run.sh
#   BENCH_N=300 BENCH_NADD=150 BENCH_WARMUP=5 tests/bench/run.sh
#
# Cases (each row: wall time min/median/p90/max in ms, median CPU time, largest max RSS):
#   exec     VERSION of rdmanet, rdmanet-ipam (both need nothing but libc.so.6) and Go macvlan,
#            against loader baselines: an empty C program, and the same linked with the system's
#            shared libcurl (what rdmanet-ipam loaded before libcurl was built into it)
#   L2       ADD (no ipam) into a fresh netns, then DEL, rdmanet vs Go macvlan
#   IPAM     the same with host-local IPAM (both plugins exec /usr/lib/cni/host-local); rdmanet
#            with its default routing "table" (own table, rules, ARP sysctls) and with
#            routing "main", to show what the multi-rail setup costs
# Ratios are medians (and max RSS) of each row over the Go macvlan row of the same case.
# In the IPAM rows max RSS is the largest of the plugin and host-local (wait4 folds in children).
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
N=${BENCH_N:-200}          # iterations of the exec cases
NADD=${BENCH_NADD:-200}    # iterations of ADD+DEL (each uses two fresh netns)
W=${BENCH_WARMUP:-5}       # untimed warm-up iterations per case
GO_DIR=${BENCH_GO_DIR:-/usr/lib/cni}
B=$BUILD/bench
RDMANET=$BUILD/rdmanet
SHIPPED=build/rdmanet

if [ -z "${RDMANET_BENCH_INNER:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "run.sh: needs root (namespaces, links)" >&2; exit 1; }
	for p in macvlan host-local; do
		[ -x "$GO_DIR/$p" ] || { echo "run.sh: $GO_DIR/$p missing (apt install containernetworking-plugins)" >&2; exit 1; }
	done
	# A clean make of the shipped build/: `make bench` exports BUILD and passes SANITIZER in
	# MAKEFLAGS, which would otherwise build something else into build/.
	env -u BUILD -u SANITIZER -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s
	[ -x "$RDMANET" ] || { echo "run.sh: $RDMANET is not built (make BUILD=$BUILD ...)" >&2; exit 1; }
	mkdir -p "$B"
	cc -O2 -std=gnu11 -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
		-o "$B/exectime" tests/bench/exectime.c
	# Loader baselines, built with the plugin's own hardening/link flags; --no-as-needed keeps
	# the unused libraries as NEEDED so the loader maps and relocates them as it would for real.
	EFLAGS="-O2 -fPIE -pie -Wl,-z,relro,-z,now"
	cc $EFLAGS -o "$B/empty" tests/bench/empty.c
	# The runtime libcurl4 is there for the curl CLI (scripts/deps.sh); without the -dev
	# package's libcurl.so symbolic link, the library is named by its full path.
	LIBCURL=$(cc -print-file-name=libcurl.so)
	[ -e "$LIBCURL" ] || LIBCURL=$(cc -print-file-name=libcurl.so.4)
	[ -e "$LIBCURL" ] || { echo "run.sh: no libcurl.so.4 (apt install libcurl4)" >&2; exit 1; }
	cc $EFLAGS -o "$B/empty-curl" tests/bench/empty.c -Wl,--no-as-needed "$LIBCURL"
	case $BUILD in build) ;; *) echo "note: $RDMANET is not a release build; ADD/DEL numbers may not be representative" ;; esac
	exec unshare --mount --net --propagation private \
		env RDMANET_BENCH_INNER=1 BUILD="$BUILD" "$0" "$@"
fi

# ---- inside the private mount + network namespaces ----
T=$(mktemp -d /tmp/rdmanet-bench.XXXXXX)
made_run_netns=
[ -d /run/netns ] || { mkdir -p /run/netns; made_run_netns=1; }
cleanup() {
	ip -all netns delete 2>/dev/null || true
	umount /run/netns 2>/dev/null || true
	[ -n "$made_run_netns" ] && rmdir /run/netns 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
mount -t tmpfs -o mode=0755 tmpfs /run/netns
ip link set lo up
ip link add veth0 type veth peer name veth1
ip link set veth0 up
ip link set veth1 up

RES=$T/results.tsv
: >"$RES"
t_start=$(date +%s)
echo "rdmanet benchmarks: $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "exec cases N=$N, ADD/DEL N=$NADD, warm-up $W; rdmanet under test: $RDMANET; Go: $GO_DIR/macvlan ($(dpkg-query -W -f '${Version}' containernetworking-plugins 2>/dev/null || echo '?'))"

bench() { # case-name, exectime args...
	local name=$1; shift
	echo "... $name" >&2
	timeout 240 "$B/exectime" -T "$@" | sed "s/^/$name\t/" >>"$RES"
	[ "${PIPESTATUS[0]}" = 0 ] || { echo "run.sh: $name benchmark failed" >&2; exit 1; }
}

# ---- 1. exec start-up: VERSION ----
echo '{"cniVersion":"1.0.0"}' >"$T/version.json"
bench exec -n "$N" -w "$W" -e CNI_COMMAND=VERSION -e CNI_PATH="$GO_DIR" -i "$T/version.json" \
	-l "empty C program" -- "$B/empty" ';;' \
	-l "empty + system libcurl" -- "$B/empty-curl" ';;' \
	-l "rdmanet VERSION" -- "$SHIPPED" ';;' \
	-l "rdmanet-ipam VERSION" -- "$SHIPPED-ipam" ';;' \
	-l "Go macvlan VERSION" -- "$GO_DIR/macvlan"

# ---- 2./3. ADD into a fresh netns, then DEL ----
make_netns() { # count
	local i
	for ((i = 0; i < $1; i++)); do
		ip netns add "r$i"
		ip netns add "g$i"
		[ -z "${WITH_MAIN:-}" ] || ip netns add "m$i"
	done
}
drop_netns() {
	ip -all netns delete
	sleep 2 # let the kernel's asynchronous netns teardown finish before the next timed case
}
leftovers() { # what ADD+DEL left in the pods, if anything
	local ns
	for ns in $(ip netns list | cut -d' ' -f1); do
		ip -n "$ns" -o link show type macvlan
	done
	ip -o link show type macvlan
}
add_del() { # case-name, config-for-rdmanet, config-for-go [config-for-rdmanet-with-routing-main]
	local name=$1 rconf=$2 gconf=$3 mconf=${4:-} left extra=()
	[ -z "$mconf" ] || extra=(
		-l "rdmanet routing=main ADD" -e CNI_COMMAND=ADD -e CNI_NETNS=/run/netns/m{i} -i "$mconf" -- "$RDMANET" ';;'
		-l "rdmanet routing=main DEL" -e CNI_COMMAND=DEL -e CNI_NETNS=/run/netns/m{i} -i "$mconf" -- "$RDMANET" ';;')
	WITH_MAIN=$mconf make_netns $((W + NADD))
	bench "$name" -n "$NADD" -w "$W" \
		-e CNI_CONTAINERID=bench{i} -e CNI_IFNAME=net1 -e CNI_PATH="$GO_DIR" \
		-l "rdmanet ADD" -e CNI_COMMAND=ADD -e CNI_NETNS=/run/netns/r{i} -i "$rconf" -- "$RDMANET" ';;' \
		-l "rdmanet DEL" -e CNI_COMMAND=DEL -e CNI_NETNS=/run/netns/r{i} -i "$rconf" -- "$RDMANET" ';;' \
		"${extra[@]}" \
		-l "Go macvlan ADD" -e CNI_COMMAND=ADD -e CNI_NETNS=/run/netns/g{i} -i "$gconf" -- "$GO_DIR/macvlan" ';;' \
		-l "Go macvlan DEL" -e CNI_COMMAND=DEL -e CNI_NETNS=/run/netns/g{i} -i "$gconf" -- "$GO_DIR/macvlan"
	left=$(leftovers)
	[ -z "$left" ] || { echo "run.sh: $name: DEL left links behind:" >&2; echo "$left" >&2; exit 1; }
	drop_netns
}
l2_conf() { # type
	printf '{"cniVersion":"1.0.0","name":"b","type":"%s","master":"veth0","mode":"bridge"}\n' "$1"
}
ipam_conf() { # type, dataDir [extra top-level JSON members]
	printf '{"cniVersion":"1.0.0","name":"b","type":"%s","master":"veth0","mode":"bridge",%s"ipam":{"type":"host-local","dataDir":"%s","ranges":[[{"subnet":"10.10.0.0/16"}]]}}\n' "$1" "${3:-}" "$2"
}
l2_conf rdmanet >"$T/l2-r.json"
l2_conf macvlan >"$T/l2-g.json"
ipam_conf rdmanet "$T/hl-r" >"$T/ipam-r.json"
ipam_conf macvlan "$T/hl-g" >"$T/ipam-g.json"
ipam_conf rdmanet "$T/hl-m" '"routing":"main",' >"$T/ipam-m.json"

# One-off functional check of each config before timing anything.
ip netns add check
for c in l2-r l2-g ipam-r ipam-g ipam-m; do
	bin=$RDMANET; [ "${c#*-}" = g ] && bin=$GO_DIR/macvlan
	for cmd in ADD DEL; do
		out=$(env -i CNI_COMMAND=$cmd CNI_CONTAINERID=check CNI_NETNS=/run/netns/check CNI_IFNAME=net1 \
			CNI_PATH="$GO_DIR" "$bin" <"$T/$c.json" 2>&1) || { echo "run.sh: $c $cmd failed: $out" >&2; exit 1; }
		if [ $cmd = ADD ] && [[ $c = ipam-* ]] && ! ip -n check -o -4 addr show net1 | grep -q 'inet 10\.10\.'; then
			echo "run.sh: $c ADD configured no address: $out" >&2; exit 1
		fi
	done
done
ip netns delete check
rm -rf "$T/hl-r" "$T/hl-g" "$T/hl-m"

add_del L2 "$T/l2-r.json" "$T/l2-g.json"
add_del IPAM "$T/ipam-r.json" "$T/ipam-g.json" "$T/ipam-m.json"
for d in hl-r hl-g hl-m; do # DEL must have released every address
	if ls "$T/$d/b" | grep -q '^10\.'; then echo "run.sh: host-local addresses left in $d" >&2; exit 1; fi
done

# ---- report ----
echo
echo "wall time in ms (fork+exec to wait4), CPU = user+sys median in ms, max RSS in KiB"
echo "ratios: median / median of the Go macvlan row of the same case; same for max RSS"
awk -F'\t' '
	{ c[NR] = $1; l[NR] = $2; nn[NR] = $3; mn[NR] = $4; md[NR] = $5; p9[NR] = $6; mx[NR] = $7
	  cpu[NR] = $8; rss[NR] = $9 }
	$2 ~ /^Go macvlan/ { op = $2; sub(/^Go macvlan ?/, "", op); gm[$1 "/" op] = $5; gr[$1 "/" op] = $9 }
	$2 == "empty C program" { empty = $5 }
	END {
		fmt = "%-5s %-28s %5s %7s %7s %7s %7s %7s %8s %8s %7s\n"
		printf fmt, "case", "", "n", "min", "median", "p90", "max", "CPU", "maxRSS", "med/Go", "RSS/Go"
		for (i = 1; i <= NR; i++) {
			op = l[i]; if (c[i] != "exec") { sub(/^.* /, "", op) } else { op = "VERSION" }
			ref = gm[c[i] "/" op]; rref = gr[c[i] "/" op]
			printf "%-5s %-28s %5d %7.2f %7.2f %7.2f %7.2f %7.2f %8d %8s %7s\n", c[i], l[i], nn[i],
				mn[i], md[i], p9[i], mx[i], cpu[i], rss[i],
				ref ? sprintf("%.2f", md[i] / ref) : "-", rref ? sprintf("%.2f", rss[i] / rref) : "-"
		}
		for (i = 1; i <= NR; i++)
			if (l[i] ~ /^rdmanet routing=main /) {
				op = l[i]; sub(/^.* /, "", op)
				for (k = 1; k <= NR; k++)
					if (c[k] == c[i] && l[k] == "rdmanet " op)
						printf "%s %s: routing table (default) - routing main = %+.2f ms (medians)\n",
							c[i], op, md[k] - md[i]
			}
		printf "\nloader cost over the empty C program (medians):"
		sep = ""
		for (i = 1; i <= NR; i++)
			if (c[i] == "exec" && l[i] != "empty C program") {
				printf "%s %s %+.2f ms", sep, l[i], md[i] - empty; sep = ";"
			}
		printf "\n"
	}' "$RES"
echo "load at end $(cut -d' ' -f1-3 /proc/loadavg); took $(($(date +%s) - t_start)) s"
