#!/bin/bash
# elf_lib.sh - ELF helpers of the install and host-compatibility tests (sourced by
# test_install.sh and test_hostcompat.sh): glibc symbol versions, the glibc floor the README
# states, NEEDED entries and glibc's own SONAMEs. Needs binutils (readelf, objdump).

# glibc_needs ELF: "FILE VERSION" for every GLIBC_* version the ELF needs (its verneed entries:
# what the loader checks), e.g. "libc.so.6 GLIBC_2.34"; GLIBC_PRIVATE included.
glibc_needs() {
	readelf -V --wide "$1" | awk '
		/^Version needs section/ { n = 1; next }
		/^Version (definition|symbols) section/ { n = 0 }
		n && / File: / { for (i = 1; i <= NF; i++) if ($i == "File:") f = $(i + 1) }
		n && / Name: GLIBC_/ { for (i = 1; i <= NF; i++) if ($i == "Name:") print f, $(i + 1) }'
}
# glibc_max ELF...: the highest GLIBC_x.y any of them needs ("none" when none).
glibc_max() {
	local f v
	v=$(for f in "$@"; do glibc_needs "$f"; done | awk '{print $2}' | grep -v PRIVATE |
		sed 's/^GLIBC_//' | sort -uV | tail -1)
	echo "${v:-none}"
}
# glibc_defs LIBC: the GLIBC_* versions a libc.so.6 defines, one a line.
glibc_defs() {
	readelf -V --wide "$1" | awk '/^Version definition section/ { n = 1; next }
		/^Version (needs|symbols) section/ { n = 0 }
		n && /Name: GLIBC_/ { for (i = 1; i <= NF; i++) if ($i == "Name:") print $(i + 1) }'
}
# ver_le A B: version A <= version B
ver_le() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -1)" = "$2" ]; }

# readme_floor NAME: the glibc floor README.md states for an installed binary, from the table
# row "| `NAME` | X.Y | ..." of "Build, install and host compatibility".
readme_floor() {
	sed -nE "s/^\| \`$1\` \| ([0-9]+\.[0-9]+) \|.*/\1/p" "${ROOT_DIR:-.}/README.md" | head -1
}

needed() { objdump -p "$1" | awk '$1 == "NEEDED" { print $2 }'; }
# Every shared object glibc 2.3x installs (the loader by pattern). Not libcrypt.so.1: Debian,
# Fedora and RHEL 9 take it from libxcrypt, and glibc 2.39 dropped its own.
GLIBC_LIBS=" libc.so.6 libm.so.6 libmvec.so.1 libpthread.so.0 libdl.so.2 librt.so.1 libresolv.so.2
	libutil.so.1 libanl.so.1 libnsl.so.1 libBrokenLocale.so.1 libthread_db.so.1
	libc_malloc_debug.so.0 libmemusage.so libpcprofile.so libSegFault.so libnss_files.so.2
	libnss_dns.so.2 libnss_compat.so.2 libnss_db.so.2 libnss_hesiod.so.2 "
# is_glibc SONAME: SONAME is one of glibc's own libraries or its loader
is_glibc() {
	case $1 in ld-linux*.so.* | ld64.so.* | ld.so.* | ld-*.so) return 0 ;; esac
	[[ $GLIBC_LIBS == *[[:space:]]$1[[:space:]]* ]]
}
