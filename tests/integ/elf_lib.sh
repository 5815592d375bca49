#!/bin/bash
# elf_lib.sh - ELF helpers of the install and host-compatibility tests (sourced by
# test_install.sh and test_hostcompat.sh): glibc symbol versions, the glibc floor the README
# states, and the library closure of an installed binary. Needs binutils (readelf, objdump).

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
is_glibc() { "${ROOT_DIR:-.}/scripts/bundle-libs.sh" -g "$1"; }
# install_closure BIN LIBDIR: the bundled libraries BIN loads, as paths under LIBDIR, one a line;
# a non-glibc SONAME missing from LIBDIR prints as "MISSING:SONAME".
install_closure() {
	local bin=$1 dir=$2 so
	local -A seen=()
	local queue=()
	mapfile -t queue < <(needed "$bin")
	while [ ${#queue[@]} -gt 0 ]; do
		so=${queue[0]}; queue=("${queue[@]:1}")
		[ -n "${seen[$so]:-}" ] && continue
		seen[$so]=1
		is_glibc "$so" && continue
		if [ -f "$dir/$so" ]; then
			echo "$dir/$so"
			mapfile -t -O "${#queue[@]}" queue < <(needed "$dir/$so")
		else
			echo "MISSING:$so"
		fi
	done
}
