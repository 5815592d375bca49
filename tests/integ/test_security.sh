#!/bin/bash
# test_security.sh - secrets, permissions, exec and inheritance:
# - tokens and client keys never appear in stdout, stderr, the log files or error messages of
#   rdmanet-ipam (log level debug, log_file), in success and in failure: 401, 403, TLS failures,
#   API down, a malformed token, a client key that does not match its certificate, reconcile;
# - log files are created 0600 and the hostdev state dir/file 0700/0600, even under umask 000;
# - no shell is ever invoked: under `strace -f -e trace=execve` only the plugin itself and the
#   IPAM binary are executed;
# - every fd rdmanet opens is close-on-exec (the IPAM child inherits 0, 1, 2 only) and the IPAM
#   child's environment is rdmanet's own (the SPEC: a delegated plugin gets its caller's
#   environment, HTTPS_PROXY and NO_PROXY included) with the CNI_* variables of the call.
. "$(dirname "$0")/lib.sh"
integ_setup "$@"
integ_ipam
RDMANET=$PLUGIN

# ================================================================ secrets
ADMIN=admin-sec-3f2e1d0c9b8a7
TOK=TOKSECRET-b7e1c9f3a2d84e6f90a1	# allowed everything on the whereabouts resources
TOK_RO=ROSECRET-5c4b3a29180f7e6d5c4b	# may only read pods: 403 on pools
TOK_BAD=BADSECRET-0a9b8c7d6e5f4a3b2c1d	# unknown: 401
cat >"$T/tokens.json" <<EOF
{"$TOK": {"user": "ipam", "allow": ["*:ippools", "*:overlappingrangeipreservations", "list:pods", "get:pods"]},
 "$TOK_RO": {"user": "ro", "allow": ["get:pods"]}}
EOF
integ_apiserver "$ADMIN" --client-ca "$T/pki/ca.crt"
mkdir -p "$T/kc"
k8s_kubeconfig "$T/kc/good" "$TOK" kube-system
k8s_kubeconfig "$T/kc/ro" "$TOK_RO" kube-system
k8s_kubeconfig "$T/kc/bad" "$TOK_BAD" kube-system
sed "s|certificate-authority: .*|certificate-authority: $T/pki/rogue-ca.crt|" "$T/kc/good" >"$T/kc/tls"
sed "s|https://127.0.0.1:$PORT|https://127.0.0.1:1|" "$T/kc/good" >"$T/kc/down"
sed "s|    token: .*|    token: \"$TOK\\\\u0001\"|" "$T/kc/good" >"$T/kc/badtoken"	# not visible ASCII
printf '%s\n' "$TOK" >"$T/token.file"
sed "s|    token: .*|    tokenFile: $T/token.file|" "$T/kc/good" >"$T/kc/tokenfile"
# client certificates: key inline (base64) and as a file; a key that does not match the
# certificate; a certificate of another CA (TLS handshake refused)
KEYDATA=$(base64 -w0 <"$T/pki/client.key")
CRTDATA=$(base64 -w0 <"$T/pki/client.crt")
ROGUEKEYDATA=$(base64 -w0 <"$T/pki/rogue-client.key")
certkc() {	# certkc FILE USER-LINES
	sed '/^users:/,$d' "$T/kc/good" >"$1"
	printf 'users:\n- name: test\n  user:\n%s\n' "$2" >>"$1"
}
certkc "$T/kc/cert-inline" "    client-certificate-data: $CRTDATA
    client-key-data: $KEYDATA"
certkc "$T/kc/cert-file" "    client-certificate: $T/pki/client.crt
    client-key: $T/pki/client.key"
certkc "$T/kc/cert-mismatch" "    client-certificate-data: $CRTDATA
    client-key-data: $ROGUEKEYDATA"
certkc "$T/kc/cert-rogue" "    client-certificate: $T/pki/rogue-client.crt
    client-key: $T/pki/rogue-client.key"
certkc "$T/kc/cert-badb64" "    client-certificate-data: $CRTDATA
    client-key-data: ${KEYDATA:0:40}!!!${KEYDATA:40}"
# the secrets to look for: the tokens, the keys' base64 (inline and each PEM body line)
SECRETS=("$TOK" "$TOK_RO" "$TOK_BAD" "$KEYDATA" "$ROGUEKEYDATA" "${KEYDATA:40:40}")
while read -r l; do [ ${#l} -ge 24 ] && SECRETS+=("$l"); done < <(grep -hv -- '-----' "$T/pki/client.key" "$T/pki/rogue-client.key")

ipam_conf() {
	jq -nc --arg v 1.1.0 --arg k "$T/kc/$1" --arg log "$T/ipam.log" \
		'{cniVersion:$v,name:"sec",type:"rdmanet",master:"x0",
		  ipam:{type:"rdmanet-ipam",range:"10.77.0.0/28",kubernetes:{kubeconfig:$k},
		        namespace:"kube-system",log_file:$log,log_level:"debug"}}'
}
ALLOUT=$T/all-output
: >"$ALLOUT"
# ipam CMD CID KC [VAR=VALUE...]: rdmanet-ipam directly; everything it printed is kept
ipam() {
	local cmd=$1 cid=$2 kc=$3; shift 3
	PLUGIN=$IPAM cni_env "$(ipam_conf "$kc")" CNI_COMMAND="$cmd" CNI_CONTAINERID="$cid" \
		CNI_NETNS=/run/netns/none CNI_IFNAME=net1 CNI_PATH="$ROOT/$BUILD" \
		CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=pod-$cid" "$@"
	printf '%s\n%s\n' "$OUT" "$ERRLOG" >>"$ALLOUT"
}
ipam ADD s1 good
check "ADD with a token succeeds" succeeded '.ips|length == 1'
ipam CHECK s1 good
check "CHECK with a token succeeds" succeeded_quietly
ipam ADD s2 tokenfile
check "ADD with a tokenFile succeeds" succeeded
ipam ADD s3 cert-inline
check "ADD with client-certificate-data/client-key-data succeeds" succeeded
ipam ADD s4 cert-file
check "ADD with client-certificate/client-key files succeeds" succeeded
GCCONF=$(ipam_conf good | jq -c '.["cni.dev/valid-attachments"]=[{containerID:"s1",ifname:"net1"}]')
PLUGIN=$IPAM cni_env "$GCCONF" CNI_COMMAND=GC CNI_PATH=/x
printf '%s\n%s\n' "$OUT" "$ERRLOG" >>"$ALLOUT"
check "GC with a token succeeds" succeeded_quietly
ipam ADD f1 bad
check "401 (unknown token): error 108" failed_with 108
ipam ADD f2 ro
check "403 (RBAC): error 108" failed_with 108
ipam STATUS x ro
check "STATUS with 403: error 50" failed_with 50
ipam ADD f3 tls
check "TLS failure (server not signed by the CA): error 108, details say why" eval \
	'failed_with 108 "Kubernetes API" && jqt ".details|test(\"certificate\")" <<<"$OUT"'
ipam ADD f4 down
check "API down: an error" eval '[ "$RC" = 1 ] && jqt .code <<<"$OUT"'
ipam ADD f5 badtoken
check "a token with a control character: error 7 naming 'token', without it" failed_with 7 "token"
ipam ADD f6 cert-mismatch
check "a client key that does not match its certificate: an error" eval '[ "$RC" = 1 ] && jqt .code <<<"$OUT"'
ipam ADD f7 cert-rogue
check "a client certificate of another CA (handshake refused): an error" eval '[ "$RC" = 1 ] && jqt .code <<<"$OUT"'
ipam ADD f8 cert-badb64
check "client-key-data not base64: error 7 naming it" failed_with 7 "client-key-data"
ipam DEL s1 good
check "DEL with a token succeeds" succeeded_quietly
ipam DEL f2 ro
check "DEL with 403: error 108" failed_with 108
for kc in good bad ro tls; do
	OUT=$("$IPAM" reconcile --kubeconfig "$T/kc/$kc" --namespace kube-system --dry-run 2>"$T/stderr"); RC=$?
	ERRLOG=$(cat "$T/stderr"); printf '%s\n%s\n' "$OUT" "$ERRLOG" >>"$ALLOUT"
done
check "reconcile with the 'tls' kubeconfig fails (exit 1)" test "$RC" = 1
# rdmanet delegating to rdmanet-ipam, with its own debug log
mk_master s0 || die "create veth master s0"
mk_ns sp || die "create namespace"
cp "$IPAM" "$T/bin/rdmanet-ipam"
for kc in good bad; do
	conf=$(ipam_conf "$kc" | jq -c --arg log "$T/rdmanet.log" '.master="s0" | .logFile=$log | .logLevel="debug"')
	cni ADD e2e-$kc "$(nsp sp)" net1 "$conf" CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=e2e"
	printf '%s\n%s\n' "$OUT" "$ERRLOG" >>"$ALLOUT"
	cni DEL e2e-$kc "$(nsp sp)" net1 "$conf" CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=e2e"
	printf '%s\n%s\n' "$OUT" "$ERRLOG" >>"$ALLOUT"
done
check "rdmanet -> rdmanet-ipam with a bad token fails with 108 from the IPAM" eval \
	'grep -q "\"code\":108" "$ALLOUT"'
# (rdmanet-ipam has no debug-level messages yet: its log holds the info lines and errors)
check "the logs were written (rdmanet at debug, rdmanet-ipam)" eval \
	'WHY="ipam.log: $(wc -l <"$T/ipam.log") lines; rdmanet.log: $(grep -c debug "$T/rdmanet.log") debug lines"
	 [ -s "$T/ipam.log" ] && grep -q debug "$T/rdmanet.log"'
leaks=
for s in "${SECRETS[@]}"; do
	for f in "$ALLOUT" "$T/ipam.log" "$T/rdmanet.log"; do
		grep -qF -- "$s" "$f" && leaks+="'${s:0:12}...' in $(basename "$f"); "
	done
done
check "no token or client key in any stdout, stderr, error or log (${#SECRETS[@]} secrets, $(wc -l <"$ALLOUT") output lines, $(cat "$T/ipam.log" "$T/rdmanet.log" | wc -l) log lines)" \
	eval '[ -z "$leaks" ] || { WHY=$leaks; false; }'
check "... and the messages of the failures name the API or the kubeconfig" eval \
	'grep -qiE "Kubernetes API|kubeconfig" "$ALLOUT"'

# ================================================================ file modes (umask 000)
rm -f "$T/perm.log" "$T/perm-ipam.log"
ip link add h0 type veth peer name h0-p && ip link set h0 up && ip link set h0-p up
mk_ns hp || die "create namespace"
(umask 000
	cni ADD perm-1 "$(nsp hp)" net1 "$(conf_l2 1.1.0 h0 ".link=\"hostdev\" | .logFile=\"$T/perm.log\"")"
	echo "$RC" >"$T/perm.rc")
check "hostdev ADD under umask 000" test "$(cat "$T/perm.rc")" = 0
check "the log file is created 0600" test "$(stat -c %a "$T/perm.log" 2>/dev/null)" = 600
check "the state dir /var/lib/cni/rdmanet is 0700" test "$(stat -c %a /var/lib/cni/rdmanet 2>/dev/null)" = 700
check "the state file is 0600" test "$(stat -c %a /var/lib/cni/rdmanet/perm-1-net1.json 2>/dev/null)" = 600
check "... owned by root" test "$(stat -c %u:%g /var/lib/cni/rdmanet/perm-1-net1.json 2>/dev/null)" = 0:0
cni DEL perm-1 "$(nsp hp)" net1 "$(conf_l2 1.1.0 h0 '.link="hostdev"')"
(umask 000
	PLUGIN=$IPAM cni_env "$(ipam_conf good | jq -c --arg l "$T/perm-ipam.log" '.ipam.log_file=$l')" \
		CNI_COMMAND=ADD CNI_CONTAINERID=perm-2 CNI_NETNS=/run/netns/none CNI_IFNAME=net1 CNI_PATH=/x)
check "rdmanet-ipam's log_file is created 0600" test "$(stat -c %a "$T/perm-ipam.log" 2>/dev/null)" = 600
# a logFile that is not a regular file: a FIFO with no reader must not hang ADD (timeout bounds
# the check), a directory or a device is not written; the attachment goes on with a warning
mkfifo "$T/fifo.log"
for lf in "$T/fifo.log" "$T" /dev/full; do
	out=$(conf_l2 1.1.0 h0 ".logFile=\"$lf\"" | timeout 20 env -i PATH="$PATH" CNI_COMMAND=ADD \
		CNI_CONTAINERID=lf-1 CNI_NETNS="$(nsp hp)" CNI_IFNAME=net9 CNI_PATH="$CNI_PATH_ALL" \
		"$PLUGIN" 2>"$T/lf.err")
	rc=$?
	check "logFile '$lf': ADD goes on, warns that it is not a regular file" eval \
		'[ $rc = 0 ] && grep -q "logFile .* is not a regular file" "$T/lf.err" || { WHY="rc=$rc ${out:0:200} $(tail -2 "$T/lf.err")"; false; }'
	cni DEL lf-1 "$(nsp hp)" net9 "$(conf_l2 1.1.0 h0)"
	check "... DEL" succeeded
done

# ================================================================ no shell: strace
if ! command -v strace >/dev/null; then
	nok "strace" "strace is not installed (scripts/deps.sh)"
else
	mk_master x0 || die "create veth master x0"
	mk_ns xp || die "create namespace"
	# tr CMD... : runs CMD under strace -f; EXECS gets every execve attempted (path, result)
	st() {
		strace -f -qq -s 256 -e trace=execve -e signal=none -o "$T/strace" "$@"
		EXECS=$(sed -nE 's/^[0-9]+ +execve\("([^"]*)".*= (-?[0-9]+.*)$/\1 \2/p' "$T/strace" | sort -u)
	}
	only_execs() {	# only_execs ALLOWED...: every execve attempted is one of ALLOWED and succeeded
		local p r bad=
		while read -r p r; do
			[ -z "$p" ] && continue
			case " $* " in *" $p "*) [ "$r" = 0 ] || bad+="$p failed ($r); " ;; *) bad+="$p; " ;; esac
		done <<<"$EXECS"
		WHY="unexpected execve: $bad"
		[ -z "$bad" ]
	}
	c=$(conf_hl 1.1.0 x0 10.18.0.0/24)
	for cmd in ADD CHECK STATUS GC DEL; do
		conf=$c
		[ $cmd = CHECK ] && conf=$(with_prev "$c" "$res")
		[ $cmd = GC ] && conf=$(jq -c '.["cni.dev/valid-attachments"]=[]' <<<"$c")
		st env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin CNI_COMMAND=$cmd CNI_CONTAINERID=st-1 CNI_NETNS="$(nsp xp)" \
			CNI_IFNAME=net1 CNI_PATH="$CNI_PATH_ALL" "$RDMANET" <<<"$conf" >"$T/st.out" 2>/dev/null
		[ $cmd = ADD ] && res=$(cat "$T/st.out")
		check "rdmanet $cmd under strace: only rdmanet and host-local are executed ($(echo $EXECS | tr '\n' ' '))" \
			only_execs /usr/bin/env "$RDMANET" "$CNI_BIN/host-local"
	done
	st env -i CNI_COMMAND=ADD CNI_CONTAINERID=st-2 CNI_NETNS="$(nsp xp)" CNI_IFNAME=net2 \
		CNI_PATH="$CNI_PATH_ALL" "$RDMANET" <<<"$(jq -c '.ipam.type="no-such-ipam"' <<<"$c")" >/dev/null 2>&1
	check "rdmanet ADD with a missing IPAM, no PATH: nothing but rdmanet is executed" only_execs /usr/bin/env "$RDMANET"
	conf=$(ipam_conf good | jq -c --arg log "$T/st.log" '.master="x0" | .logFile=$log')
	st env -i PATH=/usr/bin:/bin CNI_COMMAND=ADD CNI_CONTAINERID=st-3 CNI_NETNS="$(nsp xp)" CNI_IFNAME=net3 \
		CNI_PATH="$CNI_PATH_ALL" CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=st3" "$RDMANET" <<<"$conf" >/dev/null 2>&1
	check "rdmanet ADD with rdmanet-ipam: only rdmanet and rdmanet-ipam are executed" \
		only_execs /usr/bin/env "$RDMANET" "$T/bin/rdmanet-ipam"
	# every fd rdmanet itself creates carries close-on-exec (its own process only, no -f)
	fdcalls=close,clone,clone3,vfork,fork,execve,openat,open,socket,socketpair,pipe,pipe2,dup,dup2,dup3,accept,accept4,memfd_create,eventfd2,epoll_create1,signalfd4,timerfd_create,inotify_init1,open_tree,pidfd_open
	# nocloexec STRACE-FILE: an fd created without close-on-exec that is still open when the process
	# forks or spawns (a clone without CLONE_THREAD, vfork, fork, execve) or exits. glibc's gconv
	# cache, for one, is opened without O_CLOEXEC and closed at once: that is harmless.
	nocloexec() {
		awk '
		function flag(fd, what) { if (fd > 2) { open_[fd] = what } }
		/^(clone|clone3|vfork|fork|execve)\(/ && !/CLONE_THREAD/ {
			for (fd in open_) if (open_[fd] != "") printf "fd %s (%s) open across %s; ", fd, open_[fd], $0
			next }
		/^close\([0-9]+\)/ { match($0, /[0-9]+/); open_[substr($0, RSTART, RLENGTH)] = ""; next }
		/= [0-9]+$/ && /^[a-z_0-9]+\(/ && !/CLOEXEC/ {
			n = split($0, w, "= "); fd = w[n] + 0
			if ($0 ~ /^dup[23]?\(/ && fd <= 2) next
			flag(fd, substr($0, 1, 90)) }
		/= [0-9]+$/ && /CLOEXEC/ { n = split($0, w, "= "); open_[w[n] + 0] = "" }
		END { for (fd in open_) if (open_[fd] != "") printf "fd %s (%s) open at exit; ", fd, open_[fd] }' "$1"
	}
	bad=
	for cmd in ADD CHECK DEL; do
		conf=$(jq -c --arg log "$T/cx.log" '.logFile=$log | .logLevel="debug"' <<<"$c")
		[ $cmd = CHECK ] && conf=$(with_prev "$conf" "$res2")
		strace -qq -e trace=$fdcalls -o "$T/strace.fd" env -i PATH=/usr/bin:/bin CNI_COMMAND=$cmd \
			CNI_CONTAINERID=cx-1 CNI_NETNS="$(nsp xp)" CNI_IFNAME=net9 CNI_PATH="$CNI_PATH_ALL" \
			"$RDMANET" <<<"$conf" >"$T/st.out" 2>/dev/null
		[ $cmd = ADD ] && res2=$(cat "$T/st.out")
		n=$(grep -vE '^(close|clone)' "$T/strace.fd" | grep -cE '= [0-9]+$')
		bad+=$(nocloexec "$T/strace.fd")
		echo "# rdmanet $cmd: $n fds created"
	done
	check "every fd rdmanet creates (ADD, CHECK, DEL with logFile and IPAM) is close-on-exec when it spawns the IPAM and at exit" \
		eval '[ -z "$bad" ] || { WHY="without CLOEXEC: $bad"; false; }'
	strace -qq -e trace=$fdcalls -o "$T/strace.fd" "$RDMANET" doctor --netns "$(nsp xp)" >/dev/null 2>&1
	bad=$(nocloexec "$T/strace.fd")
	check "every fd rdmanet doctor creates is close-on-exec" eval '[ -z "$bad" ] || { WHY="without CLOEXEC: $bad"; false; }'
	strace -qq -e trace=$fdcalls -o "$T/strace.fd" env -i CNI_COMMAND=ADD CNI_CONTAINERID=cx-2 CNI_NETNS=/x CNI_IFNAME=net1 \
		CNI_PATH=/x CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=cx" "$IPAM" <<<"$(ipam_conf good)" >/dev/null 2>&1
	bad=$(nocloexec "$T/strace.fd")
	check "rdmanet-ipam (ADD over TLS, log_file) holds no fd without close-on-exec across a fork or exec" eval '[ -z "$bad" ] || { WHY="without CLOEXEC: $bad"; false; }'
	st "$IPAM" reconcile --kubeconfig "$T/kc/good" --dry-run >/dev/null 2>&1
	check "rdmanet-ipam reconcile executes nothing" only_execs "$IPAM"
	st "$RDMANET" doctor --json >/dev/null 2>&1
	check "rdmanet doctor executes nothing" only_execs "$RDMANET"
	st "$RDMANET" doctor --netns "$(nsp xp)" >/dev/null 2>&1
	check "rdmanet doctor --netns executes nothing" only_execs "$RDMANET"
fi

# ================================================================ what the IPAM child inherits
# A fake IPAM records its open fds (as `ls` sees them: fds 0-2 plus ls's own directory) and its
# initial environment (/proc/$$/environ, exactly what the exec gave it).
cat >"$T/bin/spy-ipam" <<EOF
#!/bin/sh
fds=\$(ls -l /proc/self/fd)
printf '%s\n' "\$fds" >"$T/spy.fds.\$CNI_COMMAND"
tr '\\0' '\\n' </proc/\$\$/environ >"$T/spy.env.\$CNI_COMMAND"
cat >/dev/null
case \$CNI_COMMAND in
ADD) echo '{"cniVersion":"1.1.0","ips":[{"address":"10.30.0.5/24"}]}' ;;
VERSION) echo '{"cniVersion":"1.1.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}' ;;
esac
exit 0
EOF
chmod +x "$T/bin/spy-ipam"
mk_master y0 || die "create veth master y0"
mk_ns yp || die "create namespace"
spy=$(conf_l2 1.1.0 y0 '.ipam={type:"spy-ipam"}')
# rdmanet's own environment: the CNI variables plus what a runtime or a node may set, which the
# IPAM must see as rdmanet does
HOSTILE=(SECRET=hunter2-s3cr3t HOME=/root KUBECONFIG=/etc/kubernetes/admin.conf
	HTTPS_PROXY=http://proxy.invalid:3128 NO_PROXY=10.96.0.1,.svc http_proxy=http://proxy.invalid:3128
	MY_TOKEN=abc123 TERM=xterm 'ODD=with spaces = and equals')
spyrun() {
	local cmd=$1 conf=$2
	# fd 7: a file the "runtime" let rdmanet inherit without close-on-exec
	cni "$cmd" spy-1 "$(nsp yp)" net1 "$conf" CNI_ARGS="IgnoreUnknown=true;K8S_POD_NAMESPACE=default;K8S_POD_NAME=spy" \
		"${HOSTILE[@]}" 7<"$T/bin/spy-ipam"
}
spyrun ADD "$spy"
check "ADD with the spy IPAM succeeds" succeeded
spyres=$OUT
spyrun CHECK "$(with_prev "$spy" "$spyres")"
spyrun STATUS "$spy"
spyrun GC "$(jq -c '.["cni.dev/valid-attachments"]=[]' <<<"$spy")"
spyrun DEL "$spy"
check "DEL with the spy IPAM succeeds" succeeded_quietly
for cmd in ADD CHECK STATUS GC DEL; do
	f=$T/spy.fds.$cmd
	if [ ! -s "$f" ]; then
		nok "IPAM $cmd: the spy ran" "rdmanet did not call the IPAM for $cmd"
		continue
	fi
	extra=$(awk 'NF >= 11 && $9 !~ /^[012]$/ && $11 !~ /^\/proc\/[0-9]+\/fd$/ { print $9 " -> " $11 }' "$f" | tr '\n' ' ')
	check "IPAM $cmd inherits only fds 0, 1, 2 (not rdmanet's log, sockets, netns fds, nor fds rdmanet inherited)" \
		eval '[ -z "$extra" ] || { WHY="inherited: $extra"; false; }'
	envs=$(cut -d= -f1 "$T/spy.env.$cmd" | sort | tr '\n' ' ')
	echo "# IPAM $cmd environment: $envs"
	missing=
	for kv in "${HOSTILE[@]}"; do grep -qxF -- "$kv" "$T/spy.env.$cmd" || missing+="${kv%%=*} "; done
	check "IPAM $cmd gets rdmanet's environment unchanged (HTTPS_PROXY, NO_PROXY, ...)" \
		eval '[ -z "$missing" ] || { WHY="missing or changed: $missing"; false; }'
	dups=$(cut -d= -f1 "$T/spy.env.$cmd" | sort | uniq -d | tr '\n' ' ')
	check "IPAM $cmd: every variable once (no second CNI_COMMAND)" \
		eval '[ -z "$dups" ] || { WHY="twice: $dups"; false; }'
	check "IPAM $cmd: CNI_COMMAND=$cmd, CNI_IFNAME=net1, CNI_PATH as given" eval \
		'grep -qx "CNI_COMMAND=$cmd" "$T/spy.env.$cmd" && grep -qx "CNI_IFNAME=net1" "$T/spy.env.$cmd" &&
		 grep -qx "CNI_PATH=$CNI_PATH_ALL" "$T/spy.env.$cmd"'
done

finish
