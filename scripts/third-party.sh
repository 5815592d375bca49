#!/bin/bash
# third-party.sh - the libraries built into rdmanet and rdmanet-ipam from Debian's own source
# packages, pinned in third_party/sources.lock (README: host compatibility).
#
#   scripts/third-party.sh build DIR    # static libcurl, cJSON, libmicrohttpd into DIR/{include,lib}
#                                       # (make does this)
#   scripts/third-party.sh update       # re-pin every package to the newest version apt's archive has
#   scripts/third-party.sh check        # exit 0 when every pinned .dsc is still in the archive
#
# build: each package's .dsc is downloaded and must match the pinned SHA-256; every file the .dsc
# lists is downloaded and must match its SHA-256 there; dpkg-source unpacks the package and applies
# Debian's patches (security fixes included). Nothing is rebuilt while DIR/.built records the
# same lock file and script. Downloads are cached in DIR/dl. The lock pins paths inside the Debian
# archive (debian/pool/..., debian-security/pool/...); they are fetched from the mirror apt is
# configured with for that archive (`apt-get indextargets`), or from RDMANET_DEBIAN_SITE
# (scheme and host of a mirror, e.g. http://mirror.example) when set.
#
# libcurl is configured for what rdmanet-ipam does, HTTP/1.1 and HTTPS to one API server: OpenSSL
# (Debian's static archives from libssl-dev) as the only TLS backend, zlib for gzip replies, the
# threaded resolver; no other protocol, no HTTP/2, no cookies, HSTS, alt-svc, DoH, netrc, IDN, PSL,
# GSSAPI, NTLM/digest, MIME, no built-in CA path (rdmanet-ipam picks the CA itself), and it never
# reads the node's openssl.cnf, so TLS behaves the same on every node.
#
# libmicrohttpd serves the reconciler's /metrics (rdmanet-ipam only): plain HTTP, no HTTPS (Debian's
# own package links GnuTLS, which no static archive of a glibc-only binary could carry), no
# authentication, PostProcessor or Upgrade code; static only.
#
# update: apt's own machinery reads the Sources indexes of the archives apt is configured with
# (InRelease signatures checked against the archive keyring, as for any package) through a private
# deb-src list and state directory, and `apt-get source --print-uris` names the newest .dsc and its
# SHA-256, which are written to the lock file. Review the diff and run the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
LOCK=${RDMANET_THIRD_PARTY_LOCK:-third_party/sources.lock}	# tests give their own
NPROC=$(nproc 2>/dev/null || echo 2)

die() { echo "third-party.sh: $*" >&2; exit 1; }

# pins: "name version url sha256" lines of the lock file
pins() { grep -Ev '^[[:space:]]*(#|$)' "$LOCK"; }

# archive_url PATH: the URL of PATH (debian/pool/...) on RDMANET_DEBIAN_SITE, or on the mirror apt
# is configured with for that archive (a site whose path is /debian for debian/pool/...)
archive_url() {
	local path=$1 site
	case $path in [a-z]*/pool/*) ;; *) die "'$path' in $LOCK is not a path in the Debian archive" ;; esac
	case $path in *..* | *[!A-Za-z0-9._+~%/-]*) die "'$path' in $LOCK is not a plain archive path" ;; esac
	if [ -n "${RDMANET_DEBIAN_SITE:-}" ]; then
		echo "${RDMANET_DEBIAN_SITE%/}/$path"
		return
	fi
	site=$(apt-get indextargets --no-release-info --format '$(SITE)' 2>/dev/null |
		awk -v a="/${path%%/*}" 'length($1) > length(a) && substr($1, length($1) - length(a) + 1) == a { print; exit }')
	[ -n "$site" ] || die "apt has no mirror of the '${path%%/*}' archive configured; set RDMANET_DEBIAN_SITE=http://<mirror host>"
	echo "$site/${path#*/}"
}

fetch() { # URL DEST
	local url=$1
	curl -fsSL --retry 3 --connect-timeout 20 --max-time 600 -o "$2.part" "$url" ||
		die "cannot download $url (is the Debian archive reachable? for a version no longer in it: scripts/third-party.sh update)"
	mv -f "$2.part" "$2"
}

sha_ok() { # FILE SHA256
	[ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

# unpack NAME URL SHA256 DEST: the verified, patched source tree of a pinned package in DEST
unpack() {
	local name=$1 url sum=$3 dest=$4 dl=$DIR/dl dsc f fsum
	url=$(archive_url "$2") || exit 1
	dsc=$dl/${url##*/}
	mkdir -p "$dl"
	sha_ok "$dsc" "$sum" || fetch "$url" "$dsc"
	sha_ok "$dsc" "$sum" || die "$dsc does not match the SHA-256 pinned in $LOCK"
	# the files the .dsc lists, each against its SHA-256 there
	awk '/^Checksums-Sha256:/ { on = 1; next } /^[^ ]/ { on = 0 } on && NF == 3 { print $1, $3 }' "$dsc" |
		while read -r fsum f; do
			case $f in */* | .* | "") die "$dsc lists a bad file name '$f'" ;; esac
			sha_ok "$dl/$f" "$fsum" || fetch "${url%/*}/$f" "$dl/$f"
			sha_ok "$dl/$f" "$fsum" || die "$dl/$f does not match its SHA-256 in $dsc"
		done
	rm -rf "$dest"
	# the signature cannot be checked without the uploaders' keys (debian-keyring): the pinned
	# SHA-256 of the .dsc stands in for it
	dpkg-source --no-check -x "$dsc" "$dest" >"$dest.log" 2>&1 ||
		{ cat "$dest.log" >&2; die "dpkg-source could not unpack $name"; }
}

build_curl() { # SRC
	local src=$1 bld=$DIR/work/curl-build
	rm -rf "$bld"
	cmake -S "$src" -B "$bld" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$DIR" \
		-DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
		-DCMAKE_C_FLAGS="-g -fstack-protector-strong -D_FORTIFY_SOURCE=2" \
		-DBUILD_SHARED_LIBS=OFF -DBUILD_CURL_EXE=OFF -DBUILD_TESTING=OFF -DENABLE_MANUAL=OFF \
		-DCURL_ENABLE_EXPORT_TARGET=OFF -DPICKY_COMPILER=OFF -DCURL_HIDDEN_SYMBOLS=ON \
		-DCURL_USE_OPENSSL=ON -DOPENSSL_USE_STATIC_LIBS=ON -DCURL_DISABLE_OPENSSL_AUTO_LOAD_CONFIG=ON \
		-DCURL_CA_BUNDLE=none -DCURL_CA_PATH=none -DCURL_CA_FALLBACK=OFF \
		-DCURL_ZLIB=ON -DCURL_BROTLI=OFF -DCURL_ZSTD=OFF -DUSE_NGHTTP2=OFF -DUSE_LIBIDN2=OFF \
		-DCURL_USE_LIBPSL=OFF -DCURL_USE_LIBSSH2=OFF -DCURL_USE_LIBSSH=OFF -DCURL_USE_GSSAPI=OFF \
		-DUSE_LIBRTMP=OFF -DENABLE_ARES=OFF -DENABLE_THREADED_RESOLVER=ON -DENABLE_UNIX_SOCKETS=OFF \
		-DHTTP_ONLY=ON -DCURL_DISABLE_COOKIES=ON -DCURL_DISABLE_ALTSVC=ON -DCURL_DISABLE_HSTS=ON \
		-DCURL_DISABLE_DOH=ON -DCURL_DISABLE_NETRC=ON -DCURL_DISABLE_NTLM=ON \
		-DCURL_DISABLE_CRYPTO_AUTH=ON -DCURL_DISABLE_MIME=ON -DCURL_DISABLE_GETOPTIONS=ON \
		-DCURL_DISABLE_PROGRESS_METER=ON -DCURL_DISABLE_LIBCURL_OPTION=ON \
		>"$bld.log" 2>&1 || { tail -40 "$bld.log" >&2; die "libcurl: cmake failed (log: $bld.log)"; }
	cmake --build "$bld" -j "$NPROC" --target libcurl >>"$bld.log" 2>&1 ||
		{ tail -40 "$bld.log" >&2; die "libcurl: build failed (log: $bld.log)"; }
	mkdir -p "$DIR/lib" "$DIR/include/curl"
	cp "$bld"/lib/libcurl*.a "$DIR/lib/libcurl.a"
	cp "$src"/include/curl/*.h "$DIR/include/curl/"
}

build_libmicrohttpd() { # SRC
	local src=$1 bld=$DIR/work/libmicrohttpd-build
	rm -rf "$bld"
	mkdir -p "$bld" "$DIR/lib" "$DIR/include"
	# the release tarball's configure, out of tree (Debian's one patch touches no build file)
	(cd "$bld" && "$src/configure" --prefix="$bld/inst" --disable-shared --enable-static \
		--with-pic --disable-https --without-gnutls --disable-curl --disable-doc \
		--disable-examples --disable-nls --disable-postprocessor --disable-bauth \
		--disable-dauth --disable-httpupgrade --with-threads=posix --enable-itc=eventfd \
		CFLAGS="-O2 -g -fstack-protector-strong -D_FORTIFY_SOURCE=2") >"$bld.log" 2>&1 ||
		{ tail -40 "$bld.log" >&2; die "libmicrohttpd: configure failed (log: $bld.log)"; }
	make -C "$bld/src/microhttpd" -j "$NPROC" >>"$bld.log" 2>&1 ||
		{ tail -40 "$bld.log" >&2; die "libmicrohttpd: build failed (log: $bld.log)"; }
	cp "$bld/src/microhttpd/.libs/libmicrohttpd.a" "$DIR/lib/libmicrohttpd.a"
	cp "$src/src/include/microhttpd.h" "$DIR/include/microhttpd.h"
}

build_cjson() { # SRC
	local src=$1
	mkdir -p "$DIR/lib" "$DIR/include/cjson" "$DIR/work/cjson-obj"
	cc -O2 -g -std=c89 -fPIE -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fvisibility=hidden \
		-c -o "$DIR/work/cjson-obj/cJSON.o" "$src/cJSON.c"
	rm -f "$DIR/lib/libcjson.a"
	ar rcs "$DIR/lib/libcjson.a" "$DIR/work/cjson-obj/cJSON.o"
	cp "$src/cJSON.h" "$DIR/include/cjson/cJSON.h"
}

cmd_build() {
	[ $# = 1 ] || die "usage: $0 build DIR"
	mkdir -p "$1"
	DIR=$(cd "$1" && pwd)
	local stamp name version url sum
	stamp=$(cat "$LOCK" "$0" | sha256sum | cut -d' ' -f1)
	exec 9>"$DIR/.lock"
	flock 9	# plain and sanitizer builds may ask at once
	# up to date: refresh the stamp for make, which compares it with the lock file
	[ "$(cat "$DIR/.built" 2>/dev/null)" = "$stamp" ] && { touch "$DIR/.built"; return 0; }
	for c in curl cmake dpkg-source cc ar make; do
		command -v $c >/dev/null || die "$c is missing (scripts/deps.sh installs what the build needs)"
	done
	rm -f "$DIR/.built"
	rm -rf "$DIR/include" "$DIR/lib" "$DIR/work"
	mkdir -p "$DIR/work"
	while read -r name version url sum _; do
		echo "third-party: $name $version (Debian source package)" >&2
		unpack "$name" "$url" "$sum" "$DIR/work/$name"
		case $name in
		curl) build_curl "$DIR/work/$name" ;;
		cjson) build_cjson "$DIR/work/$name" ;;
		libmicrohttpd) build_libmicrohttpd "$DIR/work/$name" ;;
		*) die "$LOCK: no build recipe for '$name'" ;;
		esac
	done < <(pins)
	echo "$stamp" >"$DIR/.built"
}

# apt_src ARGS...: apt-get with a private deb-src list for the archives apt is configured with
apt_src() {
	apt-get -qq -o Dir::Etc::SourceList="$APT/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
		-o Dir::State="$APT/state" -o Dir::State::Lists="$APT/lists" -o Dir::Cache="$APT/cache" \
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root "$@"
}

cmd_update() {
	local name version url sum line new newv newurl newsum
	APT=$(mktemp -d /tmp/rdmanet-third-party.XXXXXX)
	trap 'rm -rf "$APT"' EXIT
	mkdir -p "$APT/state" "$APT/lists/partial" "$APT/cache/archives/partial"
	local keys=/usr/share/keyrings/debian-archive-keyring.gpg opt=
	[ -f "$keys" ] && opt=" [signed-by=$keys]"	# else apt's trusted keys
	apt-get indextargets --format '$(SITE) $(RELEASE) $(COMPONENT) $(TARGET_OF)' |
		awk -v opt="$opt" '$4 == "deb" && !seen[$1 " " $2 " " $3]++ {
			printf "deb-src%s %s %s %s\n", opt, $1, $2, $3 }' >"$APT/sources.list"
	[ -s "$APT/sources.list" ] || die "apt has no Debian archive configured"
	apt_src update || die "apt-get update of the source indexes failed"
	new=$(mktemp)
	while IFS= read -r line; do
		case $line in '' | '#'*) echo "$line" >>"$new"; continue ;; esac
		read -r name version url sum _ <<<"$line"
		newurl=$(apt_src source --print-uris "$name" 2>/dev/null | awk '$2 ~ /\.dsc$/ { print; exit }')
		[ -n "$newurl" ] || die "apt knows no source package '$name'"
		newsum=$(sed -nE 's/.* SHA256:([0-9a-f]{64})$/\1/p' <<<"$newurl")
		newurl=$(sed -E "s/^'([^']*)'.*/\1/; s/%2[bB]/+/g; s/%3[aA]/:/g; s/%7[eE]/~/g" <<<"$newurl")
		newv=${newurl##*/}; newv=${newv#"${name}_"}; newv=${newv%.dsc}
		[ -n "$newsum" ] || die "apt gave no SHA-256 for $name's .dsc"
		[ "$newv" = "$version" ] || echo "$name: $version -> $newv" >&2
		# the path inside the archive: the lock names no mirror
		echo "$name $newv ${newurl#*://*/} $newsum" >>"$new"
	done <"$LOCK"
	mv -f "$new" "$LOCK"
	echo "updated $LOCK; review it (git diff) and run ./scripts/test.sh" >&2
}

cmd_check() {
	local name version url sum rc=0 u
	while read -r name version url sum _; do
		u=$(archive_url "$url") || exit 1
		if curl -fsSI --connect-timeout 20 -o /dev/null "$u"; then echo "ok $name $version"
		else echo "gone $name $version: $u (scripts/third-party.sh update)"; rc=1; fi
	done < <(pins)
	return $rc
}

case ${1:-} in
build) shift; cmd_build "$@" ;;
update) cmd_update ;;
check) cmd_check ;;
*) die "usage: $0 build DIR | update | check" ;;
esac
