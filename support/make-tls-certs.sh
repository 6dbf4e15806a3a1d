#!/usr/bin/env bash
# Mutual-TLS material for a dockerd behind tcp://127.0.0.1 (the test environment's engine C, a private engine with
# TLS): a throw-away CA, a server certificate (SAN IP:127.0.0.1, DNS:localhost) and a client certificate, made with
# openssl. Shared by scripts/test-env.sh and support/tls-certs.ts (tests and bench), so there is one way to make them.
#
#   support/make-tls-certs.sh DIR
#     DIR/ca-key.pem                            the CA's key (nothing else needs it)
#     DIR/server/{ca,cert,key}.pem              dockerd --tlscacert --tlscert --tlskey
#     DIR/client/{ca,cert,key}.pem              a client's DOCKER_CERT_PATH (docker CLI, dockerode)
#
# EC P-256 keys: seconds faster than RSA on a loaded machine, and understood by Go (dockerd), Node and curl.
set -euo pipefail
DIR=${1:?usage: make-tls-certs.sh DIR}
mkdir -p "$DIR/server" "$DIR/client"
cd "$DIR"
umask 077
DAYS=30

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

key ca-key.pem
openssl req -x509 -new -key ca-key.pem -sha256 -days "$DAYS" -subj '/CN=dockhand-test-ca' \
  -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' -out ca.pem 2>/dev/null

sign() { # sign NAME SUBJECT EXTENSIONS: NAME/key.pem + NAME/cert.pem signed by the CA
  local name=$1 subject=$2 ext=$3
  key "$name/key.pem"
  openssl req -new -key "$name/key.pem" -subj "$subject" -out "$name/csr.pem" 2>/dev/null
  printf '%s\n' "$ext" >"$name/ext.cnf"
  openssl x509 -req -in "$name/csr.pem" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -sha256 -days "$DAYS" \
    -extfile "$name/ext.cnf" -out "$name/cert.pem" 2>/dev/null
  rm -f "$name/csr.pem" "$name/ext.cnf"
  cp ca.pem "$name/ca.pem"
}

sign server '/CN=localhost' $'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature'
sign client '/CN=dockhand-test-client' $'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature'
rm -f ca.srl
# Readable by the caller only (umask 077); the certificates themselves are not secret.
chmod 644 ca.pem server/ca.pem server/cert.pem client/ca.pem client/cert.pem
