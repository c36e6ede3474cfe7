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
for size in 50000 5000000; do
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
rate() { sed -n 's/.*per_second=\([0-9.]*\).*/\1/p'; }
command_rate() {  # command_rate MODE ENTITY N
    local mode=$1 ent=$2 n=$3 i t0 t1
    t0=$(date +%s.%N)
    for i in $(seq "$n"); do
        case $mode in
        verify) openssl cms -verify -binary -CAfile "$P/ca.pem" -in "$ent" -out /dev/null 2>/dev/null ;;
        decrypt) openssl cms -decrypt -binary -recip "$P/bob.pem" -inkey "$P/bob.key" -in "$ent" -out /dev/null ;;
        esac
    done
    t1=$(date +%s.%N)
    python3 -c "print('%.2f' % ($n / ($t1 - $t0)))"
}
declare -A R
for round in $(seq "$ROUNDS"); do
    for size in 50000 5000000; do
        n=$([ $size = 50000 ] && echo 300 || echo 8)
        for mode in verify decrypt; do
            R[$size.$mode.engine]+=" $("$BENCH" --policy policy.yaml --message "msg-$mode-$size.eml" --iterations "$n" --unchanged "$([ $mode = verify ] && echo yes || echo no)" | rate)"
            R[$size.$mode.direct]+=" $(./cms-direct-in "$mode" "$mode-$size.ent" "$P/ca.pem" "$P/bob.pem" "$P/bob.key" "$n" | rate)"
            R[$size.$mode.command]+=" $(command_rate "$mode" "$mode-$size.ent" $((n / 4 + 1)))"
        done
    done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-8s %-8s %12s %12s %12s %14s\n' size mode engine/s direct/s command/s direct/engine
for size in 50000 5000000; do
    for mode in verify decrypt; do
        e=$(median <<<"${R[$size.$mode.engine]}"); d=$(median <<<"${R[$size.$mode.direct]}"); c=$(median <<<"${R[$size.$mode.command]}")
        printf '%-8s %-8s %12s %12s %12s %14s\n' "$([ $size = 50000 ] && echo 50KB || echo 5MB)" "$mode" "$e" "$d" "$c" \
            "$(python3 -c "print('%.2fx' % ($d / $e))")"
    done
done
