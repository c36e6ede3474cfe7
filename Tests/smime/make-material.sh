#!/usr/bin/env bash
# Tests/smime/make-material.sh DIR — a test CA and S/MIME certificates for the
# inbound tests (unit, e2e, benchmark), made fresh with openssl each run:
#   ca.pem/ca.key                test CA (the trust anchor)
#   alice.{pem,key}              alice@partner.example, an outside signer (RSA)
#   gina.{pem,key}               gina@partner.example, an outside signer whose client reads AES-GCM (RSA)
#   bob.{pem,key}                bob@example.org, our recipient; the gateway holds its key (RSA)
#   carol.{pem,key}              carol@example.org, our recipient with an EC key (P-256)
#   dave.{pem,key}               dave@example.org, a recipient whose key the gateway does NOT hold
#   mallory.{pem,key}            mallory@partner.example, self-signed (does not chain)
set -euo pipefail
dir=${1:?usage: make-material.sh DIR}
command -v openssl >/dev/null || { echo "make-material.sh: openssl is missing" >&2; exit 1; }
mkdir -p "$dir"; cd "$dir"
cat > ext.cnf <<'CNF'
[req]
distinguished_name=dn
[dn]
[ca]
basicConstraints=critical,CA:true
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
[user]
basicConstraints=CA:false
keyUsage=critical,digitalSignature,keyEncipherment,dataEncipherment
extendedKeyUsage=emailProtection
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
subjectAltName=email:${ENV::EMAIL}
[ecuser]
basicConstraints=CA:false
keyUsage=critical,digitalSignature,keyAgreement
extendedKeyUsage=emailProtection
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
subjectAltName=email:${ENV::EMAIL}
CNF
q() { "$@" >/dev/null 2>&1 || { echo "make-material.sh: failed: $*" >&2; exit 1; }; }
EMAIL=none q openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 \
  -subj "/CN=Sealmilter Test CA" -extensions ca -config ext.cnf
user() { # name email keytype section
  if [ "$3" = ec ]; then q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"
  else q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key"; fi
  q openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$1/emailAddress=$2"
  EMAIL=$2 q openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" \
    -days 30 -extfile ext.cnf -extensions "$4"
  rm -f "$1.csr"
}
user alice alice@partner.example rsa user
user gina gina@partner.example rsa user
user bob bob@example.org rsa user
user carol carol@example.org ec ecuser
user dave dave@example.org rsa user
q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out mallory.key
EMAIL=mallory@partner.example q openssl req -x509 -new -key mallory.key -out mallory.pem -days 30 \
  -subj "/CN=mallory/emailAddress=mallory@partner.example" -extensions user -config ext.cnf
chmod 600 ./*.key
