#!/usr/bin/env bash
# Benchmarks/smime/inbound.sh [ROUNDS] — inbound S/MIME messages per second, for a
# 50 KB and a 5 MB message, verify (detached multipart/signed) and decrypt
# (enveloped-data, AES-256-CBC, RSA), three ways in the same run, interleaved:
#   engine   smimebench: the message through a Session with smime.inbound (the
#            opener: OpenSSL's MIME/CMS reader through a BIO over the spool, verify or
#            decrypt into a new spool, the plaintext parsed again for the rules, the
#            replacement body read to the end)
#   direct   cms-direct-in.c: SMIME_read_CMS + CMS_verify / CMS_decrypt on the same
#            entity in memory
#   command  `openssl cms -verify` / `-decrypt`, one process per message
# Builds smimebench (release) and cms-direct-in. Not a test: prints the median rate
# of each and direct/engine (the engine's cost; target at most 1.2).
set -euo pipefail
ROUNDS=${1:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/interleave.sh" # SIZES, interleave, rates_row
W=$(mktemp -d /tmp/smimebench-in.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$ROOT"
swift build -c release --product smimebench >/dev/null
BENCH=$ROOT/.build/release/smimebench
gcc -O2 -o "$W/cms-direct-in" "$HERE/cms-direct-in.c" -lcrypto
"$ROOT/Tests/smime/make-material.sh" "$W/pki" >/dev/null
cd "$W"; P=$W/pki
mkdir -p store
cat > policy.yaml <<P
keys: {rcpt: $P/bob.key}
spool: {directory: $W}
smime:
  store: $W/store
  trust: {anchors: [$P/ca.pem]}
  identities: [{for: "rsa@ext.test", key: rcpt, certificate: $P/bob.pem}]
  inbound: {authserv_id: bench.test, harvest: false}
P
for size in $SIZES; do
    python3 - "$size" "inner-$size.bin" <<'PY'
import sys, base64, os
size, ent = int(sys.argv[1]), sys.argv[2]
att = base64.encodebytes(os.urandom(int(size * 0.74))).replace(b'\n', b'\r\n')
open(ent, 'wb').write(b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello.\r\n'
    b'--B\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n' + att + b'--B--\r\n')
PY
    openssl cms -sign -binary -in "inner-$size.bin" -signer "$P/alice.pem" -inkey "$P/alice.key" > "verify-$size.ent"
    openssl cms -encrypt -binary -aes-256-cbc -in "inner-$size.bin" "$P/bob.pem" > "decrypt-$size.ent"
    for mode in verify decrypt; do
        { printf 'From: alice@partner.example\r\nTo: rsa@ext.test\r\nSubject: bench\r\n'; sed 's/\r$//; s/$/\r/' "$mode-$size.ent"; } > "msg-$mode-$size.eml"
    done
done
# The three ways (interleave.sh calls them).
engine_rate() {
    "$BENCH" --policy policy.yaml --message "msg-$1-$2.eml" --iterations "$3" --unchanged "$([ "$1" = verify ] && echo yes || echo no)" | rate
}
direct_rate() { ./cms-direct-in "$1" "$1-$2.ent" "$P/ca.pem" "$P/bob.pem" "$P/bob.key" "$3" | rate; }
command_rate() { timed "$3" one_command "$1" "$1-$2.ent"; }
one_command() {  # one_command MODE ENTITY
    case $1 in
    verify) openssl cms -verify -binary -CAfile "$P/ca.pem" -in "$2" -out /dev/null 2>/dev/null ;;
    decrypt) openssl cms -decrypt -binary -recip "$P/bob.pem" -inkey "$P/bob.key" -in "$2" -out /dev/null ;;
    esac
}
interleave "$ROUNDS" verify decrypt

rates_head 8
for size in $SIZES; do
    for mode in verify decrypt; do rates_row 8 "$size" "$mode"; done
done
