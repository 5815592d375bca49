#!/bin/bash
# bundle-libs.sh - copy the shared-library closure of ELF files, minus glibc, into a directory
# (`make install` runs it for /opt/cni/bin/rdmanet-lib; see README: host compatibility).
#
#   scripts/bundle-libs.sh [-n] DEST ELF...
#   scripts/bundle-libs.sh -g SONAME      # exit 0 when SONAME is one of glibc's own libraries
#
# The closure is computed from the build toolchain, not from the running loader: every NEEDED
# SONAME is looked up with `$CC -print-file-name=SONAME` (the compiler's library search path,
# where the link found it), then its own NEEDED entries, until nothing new turns up. glibc's own
# libraries (GLIBC_LIBS) are left out: they must come from the node, matching its libc.so.6
# (libresolv, for one, calls into libc through GLIBC_PRIVATE). Each library is copied once, under
# its SONAME, through a temporary name and a rename, so a process that has it mapped never sees
# a half-written file. -n lists "SONAME PATH" lines and copies nothing. Needs objdump (binutils).
set -euo pipefail
CC=${CC:-cc}
# Every shared object glibc 2.3x installs (the loader by pattern). Not libcrypt.so.1: Debian,
# Fedora and RHEL 9 take it from libxcrypt, and glibc 2.39 dropped its own.
GLIBC_LIBS=" libc.so.6 libm.so.6 libmvec.so.1 libpthread.so.0 libdl.so.2 librt.so.1 libresolv.so.2
	libutil.so.1 libanl.so.1 libnsl.so.1 libBrokenLocale.so.1 libthread_db.so.1
	libc_malloc_debug.so.0 libmemusage.so libpcprofile.so libSegFault.so libnss_files.so.2
	libnss_dns.so.2 libnss_compat.so.2 libnss_db.so.2 libnss_hesiod.so.2 "
is_glibc() { # SONAME
	case $1 in ld-linux*.so.* | ld64.so.* | ld.so.* | ld-*.so) return 0 ;; esac
	[[ $GLIBC_LIBS == *[[:space:]]$1[[:space:]]* ]]
}
needed() { objdump -p "$1" | awk '$1 == "NEEDED" { print $2 }'; }

if [ "${1:-}" = -g ]; then [ $# = 2 ] && is_glibc "$2"; exit; fi
list=0
[ "${1:-}" = -n ] && { list=1; shift; }
[ $# -ge 2 ] || { echo "usage: $0 [-n] DEST ELF..." >&2; exit 2; }
dest=$1; shift

declare -A seen=()
queue=()
for f in "$@"; do mapfile -t -O "${#queue[@]}" queue < <(needed "$f"); done
while [ ${#queue[@]} -gt 0 ]; do
	so=${queue[0]}; queue=("${queue[@]:1}")
	[ -n "${seen[$so]:-}" ] && continue
	is_glibc "$so" && { seen[$so]=glibc; continue; }
	p=$($CC -print-file-name="$so")
	[ "$p" != "$so" ] && [ -e "$p" ] || { echo "$0: $so: not found by $CC -print-file-name" >&2; exit 1; }
	p=$(readlink -f "$p")
	seen[$so]=$p
	mapfile -t -O "${#queue[@]}" queue < <(needed "$p")
done

for so in $(printf '%s\n' "${!seen[@]}" | sort); do
	p=${seen[$so]}
	[ "$p" = glibc ] && continue
	if [ $list = 1 ]; then
		echo "$so $p"
	else
		install -m 0644 "$p" "$dest/.$so.tmp"
		mv -f "$dest/.$so.tmp" "$dest/$so"
	fi
done
