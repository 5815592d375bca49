#!/bin/bash
# test_style.sh - the C sources keep the project's style: every tracked .c/.h file is as
# clang-format (.clang-format: kernel style, tabs, 100 columns) would write it, and no line is
# wider than 100 columns (tabs at 8). clang-format comes from scripts/deps.sh.
. "$(dirname "$0")/lib.sh"
integ_setup "$@"
command -v clang-format >/dev/null || die "setup" "clang-format is not installed (scripts/deps.sh)"
cd "$ROOT" || die "setup" "cd $ROOT"
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null)
[ ${#files[@]} -gt 0 ] || mapfile -t files < <(find cmd src include tests -name '*.[ch]' | sort)

# the checker itself: it flags a badly formatted file and passes a well formatted one
printf 'int  f( int x ){return x;}\n' >"$T/bad.c"
check "clang-format flags a file out of style" \
	eval '! clang-format --style=file:"$ROOT/.clang-format" --dry-run --Werror "$T/bad.c" 2>/dev/null'
printf 'int f(int x)\n{\n\treturn x;\n}\n' >"$T/good.c"
check "... and passes one in style" \
	clang-format --style=file:"$ROOT/.clang-format" --dry-run --Werror "$T/good.c"

for f in "${files[@]}"; do
	WHY=
	out=$(clang-format --dry-run --Werror "$f" 2>&1 | head -4)
	check "$f is formatted (.clang-format)${out:+: $out}" test -z "$out"
	wide=$(expand -t 8 "$f" | awk 'length > 100 { print FILENAME ":" NR; exit }' FILENAME="$f")
	check "$f: no line over 100 columns${wide:+ ($wide)}" test -z "$wide"
done
finish
