# guest_rails.sh - RDMA per rail on a real kernel (shared netns mode): a pod with two rdmanet
# attachments, net1 on parent r1 (rxe0) and net2 on parent r2 (rxe1), asks RDMA CM (librdmacm,
# /vmtest/rdma-resolve) which device an id bound to each rail's address resolves to. Runs inside
# the VM (busybox sh). Each parent is a veth whose other end is in the rail's peer netns; on the
# shared subnet both peers also hold 10.70.0.250, one destination reachable from both rails, and
# each peer is its rail's gateway. Which wire a resolution used is read from the pod's neighbour
# table. Measured: the bind alone picks the device and pins the interface, so with routing "main"
# a bound id still gets rail 2's device on the shared subnet; what the per-rail table adds for
# RDMA CM is a destination behind the rail's gateway (NOTES.md, section 7).
. /vmtest/guest_lib.sh
RES=/vmtest/rdma-resolve
for m in crc32_generic ib_core ib_uverbs rdma_rxe rdma_cm rdma_ucm macvlan veth; do
	modprobe "$m" || die "modprobe $m"
done
mkdir -p /run/netns
check "RDMA netns mode is shared" eval 'rdma system show | grep -q "netns shared"'
check "rdma_ucm gives /dev/infiniband/rdma_cm" test -c /dev/infiniband/rdma_cm

for i in 1 2; do
	/usr/sbin/ip link add "r$i" type veth peer name "r$i-p" && /usr/sbin/ip netns add "peer$i" &&
		/usr/sbin/ip link set "r$i-p" netns "peer$i" && /usr/sbin/ip link set "r$i" up &&
		/usr/sbin/ip -n "peer$i" link set "r$i-p" up && /usr/sbin/ip -n "peer$i" link set lo up ||
		die "parent r$i and its peer"
	rdma link add "rxe$((i - 1))" type rxe netdev "r$i" || die "rdma link add rxe$((i - 1))"
done
wait_for 50 test "$(cat /sys/class/infiniband/rxe1/ports/1/state 2>/dev/null)" = "4: ACTIVE"
check "rxe0 on r1, rxe1 on r2" \
	test "$(rdma -j link show | jq -r '.[] | "\(.ifname)=\(.netdev)"' | sort | tr '\n' ' ')" = "rxe0=r1 rxe1=r2 "
MAC1=$(lq peer1 r1-p .address) MAC2=$(lq peer2 r2-p .address)

# rail_conf I ADDRESS [JQ]: rail I on parent rI, static IPAM; JQ may use $i (the rail's number)
rail_conf() {
	jq -nc --arg i "$1" --arg m "r$1" --arg a "$2" '{cniVersion: "1.1.0", name: "rail\($m)", type: "rdmanet",
		master: $m, logFile: "/tmp/rdmanet.log", logLevel: "debug",
		ipam: {type: "static", addresses: [{address: $a}]}} | '"${3:-.}"
}
# resolve [SRC] DST: RDMA CM in the pod (bound to SRC when given, "" = unbound); sets ROUT and
# RRC, with a fresh neighbour table in the pod before
resolve() {
	/usr/sbin/ip -n pod neigh flush all >/dev/null 2>&1
	if [ -n "$1" ]; then ROUT=$(/usr/sbin/ip netns exec pod "$RES" -t 1500 -s "$1" "$2" 2>&1)
	else ROUT=$(/usr/sbin/ip netns exec pod "$RES" -t 1500 "$2" 2>&1); fi
	RRC=$?
	echo "    rdma-resolve ${1:-(unbound)} -> $2: rc=$RRC $ROUT"
}
# resolved_to DEV [IFNAME MAC [NEIGH]]: the resolve reported DEV, and the kernel's address
# resolution went out on IFNAME: the pod's neighbour entry for the destination (or the gateway
# NEIGH) is there, on IFNAME only, with MAC
resolved_to() {
	WHY="rc=$RRC $ROUT; neigh: $(/usr/sbin/ip -n pod neigh show | tr '\n' ' ')"
	[ "$RRC" = 0 ] && echo "$ROUT" | grep -q "^ok dev=$1 port=1 " || return 1
	[ -z "${2:-}" ] && return 0
	_d=${4:-$(echo "$ROUT" | sed -n 's/.* dst=\([^ ]*\).*/\1/p')}
	[ "$(/usr/sbin/ip -n pod -j neigh show "$_d" | jq -r '.[] | "\(.dev) \(.lladdr // "")"' | tr '\n' ' ')" = "$2 $3 " ]
}
# add_rails CID ADDR1 ADDR2 [JQ]: net1 (r1) then net2 (r2) in the pod; RC/OUT of the last ADD
add_rails() {
	cni ADD "$1" /run/netns/pod net1 "$(rail_conf 1 "$2" "${4:-.}")"
	[ "$RC" = 0 ] || return 1
	cni ADD "$1" /run/netns/pod net2 "$(rail_conf 2 "$3" "${4:-.}")"
}
del_rails() {  # del_rails CID ADDR1 ADDR2 [JQ]: both DELs; fails when either did
	cni DEL "$1" /run/netns/pod net1 "$(rail_conf 1 "$2" "${4:-.}")"
	_r=$RC _w=$(why_out)
	cni DEL "$1" /run/netns/pod net2 "$(rail_conf 2 "$3" "${4:-.}")"
	WHY="net1: $_w; net2: $(why_out)"
	[ "$_r" = 0 ] && [ "$RC" = 0 ]
}
peer_addrs() {  # peer_addrs A1 A2: replaces the peers' addresses
	/usr/sbin/ip -n peer1 addr flush dev r1-p && /usr/sbin/ip -n peer2 addr flush dev r2-p
	for a in $1; do /usr/sbin/ip -n peer1 addr add "$a" dev r1-p; done
	for a in $2; do /usr/sbin/ip -n peer2 addr add "$a" dev r2-p; done
}

/usr/sbin/ip netns add pod && /usr/sbin/ip -n pod link set lo up || die "pod netns"

# ---- one shared subnet (the hard case), routing "table" (the default)
peer_addrs "10.70.0.201/24 10.70.0.250/24" "10.70.0.202/24 10.70.0.250/24"
GW='.ipam.addresses[0].gateway = "10.70.0.20\($i)"'
add_rails s1 10.70.0.11/24 10.70.0.12/24 "$GW"
check "shared subnet: ADD of net1 (r1) and net2 (r2), each rail's peer its gateway" succeeded
check "... their labels name rxe0 and rxe1" \
	test "$(lq pod net1 .ifalias | cut -d' ' -f2) $(lq pod net2 .ifalias | cut -d' ' -f2)" = "rdma=rxe0 rdma=rxe1"
resolve 10.70.0.11 10.70.0.201
check "shared subnet: RDMA CM in the pod netns, bound to rail 1's address, resolves rail 1's peer on rxe0 (via net1)" \
	resolved_to rxe0 net1 "$MAC1"
resolve 10.70.0.12 10.70.0.202
check "shared subnet: bound to rail 2's address, rail 2's peer resolves on rxe1 (via net2)" \
	resolved_to rxe1 net2 "$MAC2"
resolve 10.70.0.11 10.70.0.250
check "shared subnet: one destination (10.70.0.250) from rail 1: rxe0 via net1" resolved_to rxe0 net1 "$MAC1"
resolve 10.70.0.12 10.70.0.250
check "shared subnet: the same destination from rail 2: rxe1 via net2" resolved_to rxe1 net2 "$MAC2"
resolve 10.70.0.11 198.18.0.1
check "shared subnet: a far destination from rail 1: rxe0, via rail 1's gateway on net1" \
	resolved_to rxe0 net1 "$MAC1" 10.70.0.201
resolve 10.70.0.12 198.18.0.1
check "shared subnet: the same far destination from rail 2: rxe1, via rail 2's gateway on net2" \
	resolved_to rxe1 net2 "$MAC2" 10.70.0.202
resolve "" 10.70.0.250
check "shared subnet: an unbound id follows the main table: rxe0 via net1" resolved_to rxe0 net1 "$MAC1"
resolve 10.70.0.12 10.70.0.201
check "shared subnet: rail 2 towards rail 1's peer (not on rail 2's wire) fails, never rxe0" \
	eval '[ "$RRC" = 6 ] && echo "$ROUT" | grep -q "event=RDMA_CM_EVENT_ADDR_ERROR .* bound=rxe1"'
resolve 10.70.0.201 10.70.0.250
check "an address of another netns (peer 1's) cannot be bound in the pod" \
	eval '[ "$RRC" = 4 ] || { WHY="rc=$RRC $ROUT"; false; }'
check "shared subnet: DEL of both rails" del_rails s1 10.70.0.11/24 10.70.0.12/24 "$GW"

# ---- the same with routing "main" (no rule, no table: both rails' connected routes in main)
add_rails m1 10.70.0.11/24 10.70.0.12/24 "$GW"' | .routing = "main"'
check "routing main: ADD of both rails" succeeded
check "routing main: IP traffic from rail 2's address to 10.70.0.250 leaves on net1 (the bug)" \
	test "$(/usr/sbin/ip -n pod -j route get 10.70.0.250 from 10.70.0.12 | jq -r '.[0].dev')" = net1
resolve 10.70.0.12 10.70.0.250
# measured (6.1): the id bound to rail 2 keeps rxe1 and resolves via net2 even here: rdma_bind_addr
# acquires the device by the address's GID and pins the id to the address's interface, whose index
# rdma_resolve_addr passes to the route lookup as the output interface (see tests/vm/NOTES.md)
check "routing main: RDMA CM bound to rail 2's address still gets rxe1 via net2 (bind pins the interface)" \
	resolved_to rxe1 net2 "$MAC2"
resolve 10.70.0.12 198.18.0.1
check "routing main: a far destination from rail 2 fails: main has no route there (nor a rail's gateway)" \
	eval '[ "$RRC" = 6 ] && echo "$ROUT" | grep -q "event=RDMA_CM_EVENT_ADDR_ERROR .* bound=rxe1"'
resolve "" 10.70.0.202
check "routing main: an unbound id to rail 2's peer goes by main to net1 and fails (not on rail 1's wire)" \
	eval '[ "$RRC" = 6 ] && echo "$ROUT" | grep -q "event=RDMA_CM_EVENT_ADDR_ERROR"'
check "routing main: DEL of both rails" del_rails m1 10.70.0.11/24 10.70.0.12/24 "$GW"' | .routing = "main"'

# ---- IPv6, one shared subnet: the same through addr6_resolve (ADD waits for DAD)
peer_addrs "10.70.0.201/24" "10.70.0.202/24"
for i in 1 2; do
	/usr/sbin/ip -n "peer$i" addr add "fd00:70::2:$i/64" dev "r$i-p" nodad &&
		/usr/sbin/ip -n "peer$i" addr add fd00:70::250/64 dev "r$i-p" nodad || die "peer $i IPv6"
done
GW6='.ipam.addresses[0].gateway = "fd00:70::2:\($i)"'
add_rails v1 fd00:70::1:1/64 fd00:70::1:2/64 "$GW6"
check "IPv6 shared subnet: ADD of both rails (DAD done)" succeeded
resolve fd00:70::1:1 fd00:70::250
check "IPv6: one destination from rail 1: rxe0 via net1" resolved_to rxe0 net1 "$MAC1"
resolve fd00:70::1:2 fd00:70::250
check "IPv6: the same destination from rail 2: rxe1 via net2" resolved_to rxe1 net2 "$MAC2"
resolve fd00:70::1:2 2001:db8:1::1
check "IPv6: a far destination from rail 2: rxe1, via rail 2's gateway on net2" \
	resolved_to rxe1 net2 "$MAC2" fd00:70::2:2
check "IPv6: DEL of both rails" del_rails v1 fd00:70::1:1/64 fd00:70::1:2/64 "$GW6"

# ---- one subnet per rail
peer_addrs "10.71.1.200/24" "10.71.2.200/24"
add_rails p1 10.71.1.10/24 10.71.2.10/24
check "subnet per rail: ADD of both rails" succeeded
resolve 10.71.1.10 10.71.1.200
check "subnet per rail: bound to rail 1's address, rail 1's peer: rxe0 via net1" resolved_to rxe0 net1 "$MAC1"
resolve 10.71.2.10 10.71.2.200
check "subnet per rail: bound to rail 2's address, rail 2's peer: rxe1 via net2" resolved_to rxe1 net2 "$MAC2"
resolve "" 10.71.2.200
check "subnet per rail: unbound to rail 2's peer: rxe1 via net2" resolved_to rxe1 net2 "$MAC2"
resolve 10.71.2.10 10.71.1.200
check "subnet per rail: rail 2 towards rail 1's subnet fails, never rxe0" \
	eval '[ "$RRC" != 0 ] && ! echo "$ROUT" | grep -q rxe0'
check "subnet per rail: DEL of both rails" del_rails p1 10.71.1.10/24 10.71.2.10/24
check "no rail link and no rule left in the pod" \
	eval '[ -z "$(pod_links pod)" ] && [ -z "$(/usr/sbin/ip -n pod rule show | grep -v -E "lookup (local|main|default)")" ]'
finish
