#!/bin/bash
# test.sh - the whole test suite: installs what is missing, builds warning-free (plain and
# with ASan+UBSan), runs unit tests and the fuzz-corpus replay with both builds, and every other
# suite once, several at a time (tests/run-all.sh says which build runs what). Run as root on
# Debian 12. The last line is "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root: the tests create network namespaces and links" >&2; exit 1; }
scripts/deps.sh
make -s -j"$(nproc)" WERROR=1 all tests
make -s -j"$(nproc)" WERROR=1 SANITIZER=address,undefined,float-cast-overflow all tests
BUILDS="build build-san" tests/run-all.sh
