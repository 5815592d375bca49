#!/bin/bash
# tests/vm/vm.sh - run one guest script inside a throwaway qemu VM that boots Debian's own kernel,
# so RDMA (rdma_rxe) code paths can be exercised on a real kernel even where the host has none.
#
#   tests/vm/vm.sh GUEST_SCRIPT [ARG...]
#
# The VM is pure software emulation (TCG, no KVM needed), boots from a busybox initramfs built on
# the fly, runs GUEST_SCRIPT with busybox sh (ARGs are passed to it), prints what it wrote between
# the lines "RDMANET-VM-BEGIN <kernel>" and "RDMANET-VM-END rc=<n>", powers off and exits with the
# guest script's exit status. See tests/vm/NOTES.md for what the guest looks like and what the
# kernel does there.
#
# Environment:
#   VM_WORK     cache + scratch folder (default /var/tmp/rdmanet-vm); the kernel package, its
#               unpacked tree and the module subset are kept there and reused by later runs
#   VM_KPKG     kernel image package (default: the one linux-image-amd64 depends on)
#   VM_BINS     space separated binaries copied to /opt/cni/bin, with the libraries ldd finds
#   VM_CNI_DIR  a folder copied recursively to /opt/cni/bin, with the libraries ldd finds for
#               its ELF files
#   VM_LIBDIRS  space separated SRC:DST pairs: the content of host folder SRC is copied to guest
#               folder DST (e.g. /tmp/mylibs:/usr/local/lib)
#   VM_FILES    space separated files or folders copied to /vmtest/ (next to the guest script);
#               an ELF file among them gets the libraries ldd finds, as VM_BINS
#   VM_MODULES  extra kernel modules to put in the initramfs (besides the default set below)
#   VM_NIC      1 (default): add a virtio-net PCI NIC on a qemu hub with no other port, so its
#               frames go nowhere; 0: no NIC at all
#   KAPPEND     extra kernel command line (e.g. ib_core.netns_mode=0)
#   VM_TIMEOUT  seconds before qemu is killed (default 600)
#   VM_MEM VM_SMP  guest memory (MiB, default 1024) and vCPUs (default 2)
#   VM_CONSOLE  1: also print the kernel console log (kept in VM_WORK/run.*/ when the guest
#               died or timed out; every run has its own run.* folder, so runs may overlap)
#
# Exit status: the guest script's own status (0-255) when it ran to its end; 77 when qemu cannot
# be installed or cannot start at all ("qemu cannot run here: ..."); 124 when VM_TIMEOUT expired;
# 125 when the guest died before reporting a status (kernel panic, init failure) or the harness
# could not prepare the VM; 2 on bad usage. Guest scripts should not exit with 77, 124 or 125.
#
# Inside the guest: PID 1 is a busybox sh script; /proc /sys /dev(devtmpfs) /run /tmp are mounted,
# lo is up, /var/run -> /run. iproute2 (ip, rdma), ibv_devices/ibv_devinfo/ibv_rc_pingpong, strace
# and jq are the Debian ones. busybox sh runs its own applet for a bare `ip`, so the script is run
# after a prelude that defines ip() as /usr/sbin/ip; nested `sh -c` must use /usr/sbin/ip. No module
# is loaded at boot except the NIC's (virtio_pci, virtio_net): load the RDMA ones yourself, with
# the parameters you want (e.g. `modprobe ib_core netns_mode=0`); the kernel also autoloads them
# on demand through /sbin/modprobe.
set -euo pipefail

die()  { echo "vm.sh: $*" >&2; exit 125; }
skip() { echo "qemu cannot run here: $*" >&2; exit 77; }

[ $# -ge 1 ] || { sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//;/^set -e/d' >&2; exit 2; }
GUEST=$1; shift
[ -f "$GUEST" ] || { echo "vm.sh: guest script $GUEST not found" >&2; exit 2; }
GUEST=$(realpath "$GUEST")

W=${VM_WORK:-/var/tmp/rdmanet-vm}
TMO=${VM_TIMEOUT:-600}
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
mkdir -p "$W" || die "cannot create $W"

# ---- host packages: install only what is missing --------------------------------------------------
PKGS="qemu-system-x86 busybox-static iproute2 rdma-core ibverbs-utils ibverbs-providers kmod cpio
      xz-utils zstd strace jq"
missing=()
for p in $PKGS; do
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "vm.sh: installing ${missing[*]}" >&2
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
      >"$W/apt.log" 2>&1 || {
    case " ${missing[*]} " in
      *" qemu-system-x86 "*) skip "apt-get install qemu-system-x86 failed (see $W/apt.log)";;
      *) die "apt-get install ${missing[*]} failed (see $W/apt.log)";;
    esac; }
fi
QEMU=$(command -v qemu-system-x86_64) || skip "no qemu-system-x86_64 after installing qemu-system-x86"
"$QEMU" --version >/dev/null 2>&1 || skip "$QEMU --version fails"

# ---- kernel: Debian package, downloaded and unpacked in the cache, never installed ---------------
KPKG=${VM_KPKG:-}
if [ -z "$KPKG" ]; then
  KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  if [ -z "$KPKG" ]; then apt-get update -qq >>"$W/apt.log" 2>&1 || true
    KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}'); fi
  [ -n "$KPKG" ] || die "cannot tell which kernel package linux-image-amd64 depends on"
fi
KTREE=$W/kernel/$KPKG
exec 9>"$W/.lock"; flock 9                     # concurrent runs: one of them unpacks the kernel
if [ ! -f "$KTREE/.unpacked" ]; then
  mkdir -p "$W/debs"; chmod 777 "$W/debs"        # apt-get download drops privileges to _apt
  ls "$W/debs/${KPKG}"_*.deb >/dev/null 2>&1 ||
    (cd "$W/debs" && apt-get download "$KPKG" >>"$W/apt.log" 2>&1) || die "apt-get download $KPKG failed"
  rm -rf "$KTREE"; mkdir -p "$KTREE"
  dpkg -x "$(ls "$W/debs/${KPKG}"_*.deb | tail -1)" "$KTREE" || die "dpkg -x $KPKG failed"
  touch "$KTREE/.unpacked"
fi
KVER=$(ls "$KTREE/lib/modules" | head -1)
KIMG=$KTREE/boot/vmlinuz-$KVER
MODS=$KTREE/lib/modules/$KVER
[ -f "$KIMG" ] || die "no $KIMG in $KPKG"
[ -f "$MODS/modules.dep" ] || depmod -b "$KTREE" "$KVER" || die "depmod on $KPKG failed"
exec 9>&-

# everything of this run lives in RUN: removed at the end unless the guest died or timed out
RUN=$(mktemp -d "$W/run.XXXXXX")
trap 'rm -rf "$RUN/root" "$RUN/initrd.gz"' EXIT

# ---- root file system ----------------------------------------------------------------------------
R=$RUN/root
mkdir -p "$R"/{usr/bin,usr/sbin,usr/lib/x86_64-linux-gnu,usr/lib64,proc,sys,dev,run,tmp,etc,root}
mkdir -p "$R"/{opt/cni/bin,vmtest,bb}
for d in bin sbin lib lib64; do ln -s usr/$d "$R/$d"; done    # usr-merged, like the host
ln -s ../run "$R/var" 2>/dev/null || { mkdir -p "$R/var"; ln -s ../run "$R/var/run"; }
cp /bin/busybox "$R/bb/busybox"              # busybox-static: no libraries needed
ln -s ../../bb/busybox "$R/usr/bin/sh"; ln -s ../../bb/busybox "$R/usr/sbin/modprobe"

# modules: the wanted ones and everything modules.dep says they need, uncompressed
WANT="crc32_generic ib_core ib_uverbs rdma_rxe macvlan veth ib_ipoib rdma_ucm nlmon virtio_net
      virtio_pci net_failover failover ${VM_MODULES:-}"
declare -A have=()
put_mod() {
  local rel=$1 dst dep
  [ -z "${have[$rel]:-}" ] || return 0; have[$rel]=1
  for dep in $(awk -v m="$rel:" '$1==m{$1=""; print}' "$MODS/modules.dep"); do put_mod "$dep"; done
  dst=${rel%.xz}; dst=${dst%.zst}; dst=$R/lib/modules/$KVER/${dst%.gz}; mkdir -p "${dst%/*}"
  case $rel in
    *.ko.xz)  xz -dc "$MODS/$rel" >"$dst";;
    *.ko.zst) zstd -qdc "$MODS/$rel" >"$dst";;
    *.ko.gz)  gzip -dc "$MODS/$rel" >"$dst";;
    *)        cp "$MODS/$rel" "$dst";;
  esac
}
for m in $WANT; do
  rel=$(grep -E "(^|/)${m//_/[_-]}\.ko(\.xz|\.zst|\.gz)?:" "$MODS/modules.dep" | head -1 | cut -d: -f1)
  if [ -n "$rel" ]; then put_mod "$rel"
  elif ! grep -qE "/${m//_/[_-]}\.ko\$" "$MODS/modules.builtin" 2>/dev/null; then
    echo "vm.sh: note: module $m is neither a module nor built into $KVER" >&2; fi
done
cp "$MODS"/modules.builtin* "$MODS"/modules.order "$R/lib/modules/$KVER/" 2>/dev/null || true
depmod -b "$R" "$KVER" || die "depmod on the module subset failed"

# userspace: file copied at its own path, shared libraries at the path ldd resolves them to
put_file() { mkdir -p "$R$(dirname "$1")"; cp -L "$1" "$R$1"; }
put_libs() {  # libraries of the given ELF files
  local l
  for l in $(ldd "$@" 2>/dev/null | awk '$2=="=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $1 !~ /:$/ {print $1}' | sort -u); do
    [ -e "$R$l" ] || put_file "$l"
  done
  ldd "$@" 2>/dev/null | awk '/not found/{print "vm.sh: note: ldd: " $1 " not found on the host"}' | sort -u >&2 || true
}
TOOLS="/usr/sbin/ip /usr/bin/rdma /usr/bin/ibv_devices /usr/bin/ibv_devinfo /usr/bin/ibv_rc_pingpong
       /usr/bin/strace /usr/bin/jq"
PROVIDER=/usr/lib/x86_64-linux-gnu/libibverbs/librxe-rdmav34.so
[ -f "$PROVIDER" ] || PROVIDER=$(ls /usr/lib/x86_64-linux-gnu/libibverbs/librxe-rdmav*.so | head -1)
for f in $TOOLS $PROVIDER /etc/libibverbs.d/rxe.driver; do put_file "$f"; done
put_libs $TOOLS $PROVIDER

# project files
for b in ${VM_BINS:-}; do
  [ -f "$b" ] || die "VM_BINS: $b not found"; cp -L "$b" "$R/opt/cni/bin/"; put_libs "$b"
done
if [ -n "${VM_CNI_DIR:-}" ]; then
  [ -d "$VM_CNI_DIR" ] || die "VM_CNI_DIR: $VM_CNI_DIR is not a folder"
  cp -a "$VM_CNI_DIR/." "$R/opt/cni/bin/"
  elfs=$(find "$VM_CNI_DIR" -type f -exec sh -c 'head -c4 "$1" | grep -q ELF && echo "$1"' _ {} \;)
  [ -z "$elfs" ] || put_libs $elfs
fi
for pair in ${VM_LIBDIRS:-}; do
  src=${pair%%:*} dst=${pair#*:}
  [ -d "$src" ] && [ "$dst" != "$pair" ] || die "VM_LIBDIRS: bad pair $pair (want SRC:DST, SRC a folder)"
  mkdir -p "$R$dst"; cp -a "$src/." "$R$dst/"
done
for f in ${VM_FILES:-}; do
  [ -e "$f" ] || die "VM_FILES: $f not found"; cp -a "$f" "$R/vmtest/"
  if [ -f "$f" ] && head -c4 "$f" | grep -q ELF; then put_libs "$f"; fi
done
cp "$GUEST" "$R/vmtest/"; GNAME=$(basename "$GUEST")
# guest arguments, single-quoted for sh
GARGS=""; for a in "$@"; do GARGS="$GARGS '$(printf %s "$a" | sed "s/'/'\\\\''/g")'"; done

echo 'root:x:0:0:root:/root:/bin/sh' >"$R/etc/passwd"; echo 'root:x:0:' >"$R/etc/group"
touch "$R/etc/fstab"; echo rdmanet-vm >"$R/etc/hostname"
cat >"$R/vmtest/prelude.sh" <<'EOF'
# sourced before the guest script: busybox sh would run its own `ip` applet for a bare `ip`
ip() { /usr/sbin/ip "$@"; }
EOF

cat >"$R/init" <<EOF
#!/bb/busybox sh
/bb/busybox --install -s /bb
export PATH=/usr/sbin:/usr/bin:/bb HOME=/root
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run; mount -t tmpfs tmpfs /tmp; mkdir -p /run/netns
hostname rdmanet-vm
/usr/sbin/ip link set lo up
[ "${VM_NIC:-1}" = 0 ] || { modprobe virtio_pci 2>/dev/null; modprobe virtio_net 2>/dev/null; }
# guest output goes to the second serial port, the kernel console stays on the first
exec >/dev/ttyS1 2>&1
echo "RDMANET-VM-BEGIN \$(uname -r)"
cd /vmtest
sh -c '. /vmtest/prelude.sh; . /vmtest/$GNAME' /vmtest/$GNAME $GARGS </dev/null
echo "RDMANET-VM-END rc=\$?"
sync
poweroff -f
EOF
chmod 755 "$R/init"
INITRD=$RUN/initrd.gz
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) >"$INITRD" || die "cannot pack the initramfs"
[ -s "$INITRD" ] && [ -s "$KIMG" ] || die "initramfs or kernel image missing"

# ---- run -----------------------------------------------------------------------------------------
NET=()
[ "${VM_NIC:-1}" = 0 ] || NET=(-netdev hubport,id=n0,hubid=0 -device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56)
OUT=$RUN/guest.log CON=$RUN/console.log ERR=$RUN/qemu.err
t0=$(date +%s%N)
set +e
timeout -k 5 "$TMO" "$QEMU" -accel tcg -cpu max -smp "${VM_SMP:-2}" -m "${VM_MEM:-1024}" \
  -nodefaults -display none -no-reboot -monitor none \
  -serial "file:$CON" -serial "file:$OUT" "${NET[@]}" \
  -kernel "$KIMG" -initrd "$INITRD" \
  -append "console=ttyS0 panic=-1 loglevel=4 ${KAPPEND:-}" </dev/null 2>"$ERR"
qrc=$?
set -e
t1=$(date +%s%N)
touch "$OUT" "$CON"
[ "${VM_CONSOLE:-0}" = 0 ] || { echo "---- kernel console ----"; tr -d '\r' <"$CON"; echo "---- end of console ----"; }
# qemu warns that the NIC's hub has no way out: that is the point, keep it off the screen
grep -v 'is not connected to host network' "$ERR" >&2 || true
tr -d '\r' <"$OUT" | sed -n '/^RDMANET-VM-BEGIN/,/^RDMANET-VM-END/p'
echo "vm.sh: $KVER, wall time $(( (t1 - t0) / 1000000 )) ms (boot + guest + poweroff)" >&2
grc=$(tr -d '\r' <"$OUT" | sed -n 's/^RDMANET-VM-END rc=\([0-9]*\)$/\1/p' | tail -1)
if [ -n "$grc" ]; then rm -rf "$RUN"; exit "$grc"; fi
if [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
  echo "vm.sh: timeout after ${TMO}s; last guest lines above, console in $CON" >&2; exit 124; fi
# qemu itself failed (bad accelerator, no memory, missing firmware...): it exits non-zero at once,
# before the guest kernel printed anything on either serial port
if [ $qrc -ne 0 ] && [ ! -s "$CON" ] && [ ! -s "$OUT" ]; then
  why=$(grep -v 'is not connected to host network' "$ERR" | head -3 | tr '\n' ' ')
  rm -rf "$RUN"; skip "$why(qemu rc=$qrc)"
fi
echo "vm.sh: the guest ended without reporting a status (qemu rc=$qrc); console tail:" >&2
tr -d '\r' <"$CON" | tail -20 >&2
exit 125
