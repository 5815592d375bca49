#!/bin/sh
# installer.sh - entrypoint of the rdmanet DaemonSet (deploy/rdmanet.yaml), one pod per node.
#
# 1. Installs rdmanet-ipam, then rdmanet from the image into the node's CNI binary directory.
#    Each is copied to a temporary name in the same directory, fsync'ed and renamed over the
#    old one: kubelet or Multus never execute a half-written file, and a plugin already running
#    keeps the inode it started from. rdmanet-ipam goes before rdmanet, since rdmanet runs it.
#    Both need nothing on the node but glibc (README: host compatibility).
# 2. Writes the kubeconfig rdmanet-ipam uses on the node (ipam.kubernetes.kubeconfig in the
#    NetworkAttachmentDefinitions) from this pod's service account: the API server from
#    KUBERNETES_SERVICE_HOST/PORT, a copy of the CA, a copy of the token (referenced with
#    tokenFile, never inline), the pod's namespace. All three are written atomically, 0600.
# 3. Creates the readiness file, then every RDMANET_POLL_SECONDS compares the projected token
#    and CA with the copies and rewrites a copy only when its content changed (kubelet rotates
#    the token well before it expires), and reinstalls a binary someone removed.
# 4. Removes the rdmanet-lib/ folder of bundled libraries an older version (its installer or
#    `make install`) left in the node's CNI binary directory, once it has been there for
#    OLD_LIB_POLLS polls in a row (a minute by default), putting this image's binaries back
#    first should they have been replaced. The wait is for the older version's installer pod,
#    which the DaemonSet stops only once this one is ready (maxSurge): while it runs, it
#    reinstalls rdmanet-lib/ and its own binaries whenever it finds the folder gone. Nothing
#    loads from the folder any more, and a plugin with one of its libraries mapped keeps the
#    inode. Only that folder goes, and only when it is a real directory (not a symlink, whose
#    target is never looked at) owned by the user the installer runs as (root in the
#    DaemonSet), without leaving its file system; anything else named rdmanet-lib is left alone
#    with a warning. With RDMANET_INSTALL_ONCE=1 it goes right after the binaries are installed.
# 5. On SIGTERM or SIGINT: removes the readiness file and any temporary file, exits 0. The
#    installed files stay: pods keep working while the DaemonSet is updated or deleted.
#
# Environment (defaults are the DaemonSet's paths; the tests point them into a temp dir):
#   RDMANET_SRC_DIR        /opt/cni/bin          the image's tree: rdmanet, rdmanet-ipam
#   RDMANET_HOST_BIN_DIR   /host/opt/cni/bin     the node's /opt/cni/bin, mounted
#   RDMANET_HOST_CONF_DIR  /host/etc/cni/net.d/rdmanet.d   where the kubeconfig, token and CA go
#   RDMANET_SA_DIR         /var/run/secrets/kubernetes.io/serviceaccount   token, ca.crt, namespace
#   RDMANET_READY_FILE     /tmp/ready            for the exec readinessProbe
#   RDMANET_POLL_SECONDS   10                    how often to look at the token (decimals allowed)
#   RDMANET_API_SERVER     https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT
#                          set it to the API server's own address when the node cannot reach
#                          the kubernetes Service's ClusterIP from its host network namespace
#   RDMANET_NAMESPACE      the service account's namespace (where the IPPools live)
#   RDMANET_INSTALL_ONCE   0                     1: install, remove an older version's
#                                                rdmanet-lib/ at once (stop its installer
#                                                first), write the kubeconfig, exit 0
#
# The token is never read into a variable nor printed: files are compared with cmp and copied.
set -eu
umask 077

SRC_DIR=${RDMANET_SRC_DIR:-/opt/cni/bin}
BIN_DIR=${RDMANET_HOST_BIN_DIR:-/host/opt/cni/bin}
CONF_DIR=${RDMANET_HOST_CONF_DIR:-/host/etc/cni/net.d/rdmanet.d}
SA_DIR=${RDMANET_SA_DIR:-/var/run/secrets/kubernetes.io/serviceaccount}
READY_FILE=${RDMANET_READY_FILE:-/tmp/ready}
POLL=${RDMANET_POLL_SECONDS:-10}
ONCE=${RDMANET_INSTALL_ONCE:-0}

OLD_LIB=rdmanet-lib			# bundled libraries of older versions: removed
OLD_LIB_POLLS=6				# ... once there for this many polls in a row
BINARIES="rdmanet-ipam rdmanet"		# in this order: rdmanet execs rdmanet-ipam
KUBECONFIG_NAME=rdmanet-ipam.kubeconfig
TOKEN_NAME=rdmanet-ipam.token
CA_NAME=rdmanet-ipam.ca.crt
TMP_TAG=.rdmanet-tmp			# temporary files: .<name>.rdmanet-tmp.<pid>

TMP=
SLEEP_PID=
LIB_SEEN=0				# polls in a row that found $OLD_LIB

log() { printf 'rdmanet-installer: %s\n' "$*"; }
die() { log "error: $*" >&2; cleanup; exit 1; }
cleanup() {
	[ -z "$TMP" ] || rm -f "$TMP"
	TMP=
	rm -f "$READY_FILE"
}
on_signal() {
	[ -z "$SLEEP_PID" ] || kill "$SLEEP_PID" 2>/dev/null || true
	cleanup
	log "stopping on signal; the installed files stay in place"
	exit 0
}
trap on_signal TERM INT

# tmp_for DEST: a temporary name in DEST's directory (rename(2) needs the same file system).
tmp_for() { TMP="$(dirname "$1")/.$(basename "$1")$TMP_TAG.$$"; rm -f "$TMP"; }

# commit DEST: fsync the temporary file and rename it over DEST. Every step is checked by hand:
# `set -e` does not apply inside functions called from an `if`.
commit() {
	sync "$TMP" || die "cannot fsync $TMP"
	mv -f -T "$TMP" "$1" || die "cannot rename $TMP to $1"
	TMP=
}

# copy_file SRC DEST MODE: DEST becomes a copy of SRC's content (symlinks followed, as the
# service account's files are kubelet's symlinks) unless it is one already. 0 when it wrote.
copy_file() {
	if [ -f "$2" ] && [ ! -L "$2" ] && cmp -s "$1" "$2"; then
		return 1
	fi
	tmp_for "$2"
	cp "$1" "$TMP" || die "cannot copy $1 to $TMP"
	chmod "$3" "$TMP" || die "cannot chmod $TMP"
	commit "$2"
	return 0
}

# write_generated DEST MODE COMMAND...: DEST gets COMMAND's output unless it holds that already.
# The output is compared in memory (the x keeps trailing newlines through the substitution): a
# temporary file appears only for a real change, not at every poll.
write_generated() {
	dest=$1 mode=$2
	shift 2
	out=$("$@" && printf x) || die "cannot generate $dest"
	out=${out%x}
	if [ -f "$dest" ] && [ ! -L "$dest" ] && printf '%s' "$out" | cmp -s - "$dest"; then
		return 1
	fi
	tmp_for "$dest"
	printf '%s' "$out" >"$TMP" || die "cannot write $TMP"
	chmod "$mode" "$TMP" || die "cannot chmod $TMP"
	commit "$dest"
	return 0
}

short_sum() { sha256sum "$1" | cut -c1-12; }

# remove_old_lib: the rdmanet-lib/ folder of an older version goes; the caller has installed
# the binaries, which need nothing from it. rm does not follow the symlinks inside (libraries'
# soname links, or anything else) and --one-file-system keeps it out of whatever is mounted below.
remove_old_lib() {
	d=$BIN_DIR/$OLD_LIB
	if [ -L "$d" ]; then
		log "warning: $d is a symlink, not the folder an older rdmanet left: left alone"
	elif [ ! -e "$d" ]; then
		return
	elif [ ! -d "$d" ]; then
		log "warning: $d is not a directory, not the folder an older rdmanet left: left alone"
	elif [ "$(stat -c %u "$d")" != "$(id -u)" ]; then
		log "warning: $d is owned by uid $(stat -c %u "$d"), not by the installer's $(id -u): left alone"
	elif rm -rf --one-file-system -- "$d"; then
		log "removed $OLD_LIB/ of an older version (the binaries need nothing but glibc)"
	else
		log "warning: cannot remove $d entirely; the binaries do not use it"
	fi
}

# rdmanet-ipam, then rdmanet.
install_all() {
	for b in $BINARIES; do
		if copy_file "$SRC_DIR/$b" "$BIN_DIR/$b" 0755; then
			log "installed $b (sha256 $(short_sum "$BIN_DIR/$b"))"
		else
			log "$b is up to date (sha256 $(short_sum "$BIN_DIR/$b"))"
		fi
	done
}

# A binary removed (or made non-executable) behind our back is put back at the next poll; one
# replaced by other content is not: an installer of another version may run beside this one.
reinstall_missing() {
	for b in $BINARIES; do
		if [ ! -x "$BIN_DIR/$b" ]; then
			log "$BIN_DIR/$b is gone: installing again"
			install_all
			return
		fi
	done
}

# At every poll: an older version's rdmanet-lib/ found at OLD_LIB_POLLS polls in a row goes,
# after this image's binaries are installed again (an older installer still running may have
# put its own back with the folder). Should that installer put them back once more, the folder
# is seen again and the same happens OLD_LIB_POLLS polls later, its install long finished.
retire_old_lib() {
	if [ ! -e "$BIN_DIR/$OLD_LIB" ] && [ ! -L "$BIN_DIR/$OLD_LIB" ]; then
		LIB_SEEN=0
		return
	fi
	LIB_SEEN=$((LIB_SEEN + 1))
	if [ "$LIB_SEEN" = "$OLD_LIB_POLLS" ]; then
		install_all
		remove_old_lib
		# counted afresh should it be back by the next poll; what is left alone stays counted
		# past OLD_LIB_POLLS, and is not warned about again
		if [ ! -e "$BIN_DIR/$OLD_LIB" ] && [ ! -L "$BIN_DIR/$OLD_LIB" ]; then
			LIB_SEEN=0
		fi
	fi
}

api_server() {
	if [ -n "${RDMANET_API_SERVER:-}" ]; then
		printf '%s' "$RDMANET_API_SERVER"
		return
	fi
	host=${KUBERNETES_SERVICE_HOST:-}
	port=${KUBERNETES_SERVICE_PORT:-}
	if [ -z "$host" ] || [ -z "$port" ]; then
		die "KUBERNETES_SERVICE_HOST/PORT are not set (not in a pod?); set RDMANET_API_SERVER"
	fi
	case $host in *:*) host="[$host]" ;; esac	# IPv6 literal
	printf 'https://%s:%s' "$host" "$port"
}

kubeconfig() { # SERVER NAMESPACE
	cat <<EOF
# Written by the rdmanet installer (DaemonSet rdmanet), rewritten when it changes: do not edit.
# rdmanet-ipam reads it on every CNI call. The paths are relative to this file's directory
# (kubectl and rdmanet-ipam resolve them so); the token file follows the service account's
# projected token as it rotates.
apiVersion: v1
kind: Config
clusters:
- name: rdmanet
  cluster:
    server: $1
    certificate-authority: $CA_NAME
users:
- name: rdmanet-ipam
  user:
    tokenFile: $TOKEN_NAME
contexts:
- name: rdmanet
  context:
    cluster: rdmanet
    user: rdmanet-ipam
    namespace: $2
current-context: rdmanet
EOF
}

# The token and CA copies, then the kubeconfig that names them (so it never points at a
# file not yet written). Each is rewritten only when its content changed.
sync_credentials() {
	[ -r "$SA_DIR/token" ] || die "no service account token at $SA_DIR/token (automountServiceAccountToken off?)"
	[ -r "$SA_DIR/ca.crt" ] || die "no CA certificate at $SA_DIR/ca.crt"
	if copy_file "$SA_DIR/token" "$CONF_DIR/$TOKEN_NAME" 0600; then
		log "wrote $TOKEN_NAME (a new or rotated service account token)"
	fi
	if copy_file "$SA_DIR/ca.crt" "$CONF_DIR/$CA_NAME" 0600; then
		log "wrote $CA_NAME"
	fi
	ns=${RDMANET_NAMESPACE:-}
	if [ -z "$ns" ] && [ -r "$SA_DIR/namespace" ]; then
		ns=$(cat "$SA_DIR/namespace")
	fi
	ns=${ns:-kube-system}
	case $ns in
	*[!a-z0-9-]* | -* | *-) die "namespace '$ns' is not a namespace name" ;;
	esac
	if write_generated "$CONF_DIR/$KUBECONFIG_NAME" 0600 kubeconfig "$SERVER" "$ns"; then
		log "wrote $KUBECONFIG_NAME (server $SERVER, namespace $ns)"
	fi
}

case $POLL in
'' | *[!0-9.]* | *.*.* | .* | *.) die "RDMANET_POLL_SECONDS '$POLL' is not a number of seconds" ;;
esac
[ -n "$(printf '%s' "$POLL" | tr -d '0.')" ] || die "RDMANET_POLL_SECONDS must be above 0"
for b in $BINARIES; do
	[ -x "$SRC_DIR/$b" ] || die "$SRC_DIR/$b is missing from the image"
done
[ -d "$BIN_DIR" ] || die "$BIN_DIR does not exist: mount the node's /opt/cni/bin there"
SERVER=$(api_server) || exit 1
case $SERVER in
https://*[!\ ]) ;;
*) die "the API server '$SERVER' is not an https:// URL" ;;
esac
case $SERVER in
*[[:space:]\"\'#]*) die "the API server '$SERVER' holds a space, a quote or '#'" ;;
esac

# Leftovers of an installer killed mid-copy (in an older version's rdmanet-lib/ too, which goes
# as a whole once the binaries are installed).
rm -f "$BIN_DIR"/.*"$TMP_TAG".* "$CONF_DIR"/.*"$TMP_TAG".* 2>/dev/null || true
mkdir -p "$CONF_DIR"
chmod 0700 "$CONF_DIR"

install_all
if [ "$ONCE" = 1 ]; then
	remove_old_lib
fi
sync_credentials
if [ "$ONCE" = 1 ]; then
	log "installed once; exiting"
	exit 0
fi
: >"$READY_FILE"
log "ready; watching the service account token every ${POLL}s"
while :; do
	sleep "$POLL" &
	SLEEP_PID=$!
	wait "$SLEEP_PID" || true
	SLEEP_PID=
	sync_credentials
	reinstall_missing
	retire_old_lib
done
