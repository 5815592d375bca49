#!/bin/bash
# certs.sh DIR - throwaway PKI for the test API server (tests/k8s/apiserver.py), valid one day:
#   ca.crt ca.key                 the CA that signs everything below
#   server.crt server.key         serverAuth, SAN IP:127.0.0.1, IP:::1, DNS:localhost
#   client.crt client.key         clientAuth, CN=test-client, O=test-group (user "test-client")
#   rogue-ca.crt rogue-client.crt rogue-client.key
#                                 a client certificate from another CA, for rejection tests
# EC P-256 keys (openssl CLI only). Existing files in DIR are replaced.
set -euo pipefail

dir=${1:?usage: certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
umask 077

days=1
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# ca NAME CN: a self-signed CA certificate
ca() {
	key "$1.key"
	openssl req -x509 -new -key "$1.key" -sha256 -days "$days" -subj "/CN=$2" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-addext "subjectKeyIdentifier=hash" \
		-out "$1.crt"
}

# leaf NAME CA SUBJECT EXTFILE-TEXT: a certificate for NAME.key signed by CA
leaf() {
	local name=$1 issuer=$2 subj=$3 ext=$4
	key "$name.key"
	openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr"
	printf '%s\n' "$ext" >"$name.ext"
	openssl x509 -req -in "$name.csr" -CA "$issuer.crt" -CAkey "$issuer.key" -CAcreateserial \
		-sha256 -days "$days" -extfile "$name.ext" -out "$name.crt" 2>/dev/null
	rm -f "$name.csr" "$name.ext"
}

ca ca "rdmanet test CA"
leaf server ca "/CN=127.0.0.1" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost
authorityKeyIdentifier=keyid"
leaf client ca "/O=test-group/CN=test-client" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
authorityKeyIdentifier=keyid"

ca rogue-ca "rdmanet rogue CA"
leaf rogue-client rogue-ca "/CN=rogue-client" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"

rm -f ./*.srl
chmod 644 ./*.crt
openssl verify -CAfile ca.crt server.crt client.crt >/dev/null
