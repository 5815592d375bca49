#!/bin/bash
# tests/vm/run.sh GUEST_SCRIPT - one real-kernel suite: installs $BUILD (default build) as a node
# would have it (/opt/cni/bin/rdmanet + rdmanet-ipam) plus Debian's host-local into a qemu VM
# booting Debian's own kernel (tests/vm/vm.sh), runs GUEST_SCRIPT there with guest_lib.sh and
# relays its "ok"/"not ok" lines and "N passed, N failed". Where qemu cannot run at all the suite
# is reported skipped, with the reason. RUN_BINS / RUN_FILES: more VM_BINS / VM_FILES (vm.sh).
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
GUEST=tests/vm/$1
[ -f "$GUEST" ] || { echo "not ok - no guest script $GUEST"; echo "0 passed, 1 failed"; exit 1; }
[ -x "$BUILD/rdmanet" ] || { echo "not ok - $BUILD/rdmanet is not built"; echo "0 passed, 1 failed"; exit 1; }
D=$(mktemp -d /tmp/rdmanet-vm.XXXXXX) || exit 1
trap 'rm -rf "$D"' EXIT
if ! make -s BUILD="$BUILD" DESTDIR="$D" install >"$D/install.log" 2>&1; then
	echo "not ok - make install: $(tail -n 3 "$D/install.log" | tr '\n' ' ')"; echo "0 passed, 1 failed"; exit 1
fi
I=$D/opt/cni/bin
VM_BINS="$I/rdmanet $I/rdmanet-ipam /usr/lib/cni/host-local ${RUN_BINS:-}" \
	VM_FILES="tests/vm/guest_lib.sh ${RUN_FILES:-}" \
	tests/vm/vm.sh "$GUEST" 2>"$D/vm.err"
rc=$?
case $rc in
0 | 1) exit "$rc" ;;
77) echo "skip - $(cat "$D/vm.err")"; echo "0 passed, 0 failed, 1 skipped"; exit 0 ;;
*) echo "not ok - the VM did not complete (rc=$rc): $(tail -n 5 "$D/vm.err" | tr '\n' ' ')"
   echo "0 passed, 1 failed"; exit 1 ;;
esac
