#!/bin/bash
# deps.sh - install the Debian 12 packages rdmanet builds, tests and demos with (root).
set -euo pipefail
# cmake, dpkg-dev, curl, libssl-dev and zlib1g-dev: libcurl and cJSON are built from Debian's source
# packages (scripts/third-party.sh), against OpenSSL's and zlib's static archives.
# python3-prometheus-client: Prometheus' own text-format parser, which tests/integ/test_metrics.sh reads
# the reconciler's /metrics with.
PKGS="gcc make pkg-config libc6-dev clang-format libnl-3-dev libibverbs-dev librdmacm-dev libyaml-dev
      cmake dpkg-dev libssl-dev zlib1g-dev xz-utils ca-certificates containernetworking-plugins iproute2 jq util-linux kmod procps
      iputils-ping
      python3 python3-yaml python3-prometheus-client openssl curl valgrind strace debootstrap"
missing=()
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
