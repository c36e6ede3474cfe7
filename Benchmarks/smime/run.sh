#!/usr/bin/env bash
# Benchmarks/smime/run.sh [ROUNDS] — outbound S/MIME messages per second, for a
# 50 KB and a 5 MB message, sign / encrypt / sign+encrypt, three ways in the same
# run, interleaved round by round:
#   engine   smimebench: the message through a Session (parser, rules, the S/MIME
#            body transform streaming from the spool into a new spool, replacement read)
#   direct   cms-direct.c: the same OpenSSL CMS calls on the same content entity, in memory
#   command  the `openssl cms` command, one process per message
# Builds smimebench (release) and cms-direct. Not a test: prints a table with the
# median per-second rate of each and the ratio direct/engine (cost of the engine).
set -euo pipefail
ROUNDS=${1:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/interleave.sh" # SIZES, interleave, rates_row
W=$(mktemp -d /tmp/smimebench.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$ROOT"
swift build -c release --product smimebench >/dev/null
BENCH=$ROOT/.build/release/smimebench
gcc -O2 -o "$W/cms-direct" "$HERE/cms-direct.c" -lcrypto

cd "$W"
{
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj "/CN=Bench CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign"
for n in signer:alice@int.test:digitalSignature rsa:rsa@ext.test:keyEncipherment; do
    IFS=: read -r name addr ku <<<"$n"
    openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -subj "/CN=$addr" -out "$name.csr"
    printf 'keyUsage=critical,%s\nextendedKeyUsage=emailProtection\nsubjectAltName=email:%s\n' "$ku" "$addr" > "$name.ext"
    openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 20 -extfile "$name.ext" -out "$name.pem"
done
} >/dev/null 2>&1
mkdir -p store/rsa@ext.test && cp rsa.pem "store/rsa@ext.test/x.pem"
chmod 600 signer.key
for mode in sign encrypt sign-encrypt; do
    action=smime_${mode/-/_}
    cat > "policy-$mode.yaml" <<P
keys: {signer: $W/signer.key}
spool: {directory: $W}
smime:
  store: $W/store
  trust: {anchors: [$W/ca.pem]}
  identities: [{for: "@int.test", key: signer, certificate: $W/signer.pem}]
rules:
  - name: r
    actions: [$action]
P
done
# The engine alone: the same message through a policy that adds a header (parser,
# rules, spooling; no S/MIME), to tell the engine's own cost from the transform's.
cat > policy-baseline.yaml <<P
spool: {directory: $W}
rules:
  - name: r
    actions: [{add_header: {name: X-Bench, value: "1"}}]
P
# Messages: a text part and a base64 attachment; the entity is what S/MIME signs/encrypts.
for size in $SIZES; do
    python3 - "$size" "msg-$size.eml" "entity-$size.bin" <<'PY'
import sys, base64, os
size, msg, ent = int(sys.argv[1]), sys.argv[2], sys.argv[3]
att = base64.encodebytes(os.urandom(int(size * 0.74))).replace(b'\n', b'\r\n')
body = (b'--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello.\r\n--B\r\nContent-Type: application/octet-stream\r\n'
        b'Content-Transfer-Encoding: base64\r\n\r\n' + att + b'--B--\r\n')
ctype = b'Content-Type: multipart/mixed; boundary="B"\r\n'
open(msg, 'wb').write(b'From: alice@int.test\r\nTo: rsa@ext.test\r\nSubject: bench\r\nMIME-Version: 1.0\r\n' + ctype + b'\r\n' + body)
open(ent, 'wb').write(ctype + b'\r\n' + body)
PY
done

# The three ways (interleave.sh calls them), and the engine alone before them.
engine_rate() { "$BENCH" --policy "policy-$1.yaml" --message "msg-$2.eml" --iterations "$3" | rate; }
direct_rate() { ./cms-direct "$1" "entity-$2.bin" signer.pem signer.key rsa.pem "$3" | rate; }
command_rate() { timed "$3" one_command "$1" "entity-$2.bin"; }
one_command() {  # one_command MODE ENTITY
    case $1 in
    sign) openssl cms -sign -binary -stream -md sha256 -in "$2" -signer signer.pem -inkey signer.key -out /dev/null ;;
    encrypt) openssl cms -encrypt -binary -stream -aes256 -in "$2" -out /dev/null rsa.pem ;;
    sign-encrypt) openssl cms -sign -binary -stream -md sha256 -in "$2" -signer signer.pem -inkey signer.key |
                  openssl cms -encrypt -binary -stream -aes256 -out /dev/null rsa.pem ;;
    esac
}
before_modes() { R[$1.baseline]+=" $("$BENCH" --policy policy-baseline.yaml --message "msg-$1.eml" --iterations "$2" --baseline yes | rate)"; }
interleave "$ROUNDS" sign encrypt sign-encrypt

rates_head 13
for size in $SIZES; do
    printf '%-8s %-13s %12s\n' "$(size_label "$size")" "(no S/MIME)" "$(median <<<"${R[$size.baseline]}")"
    for mode in sign encrypt sign-encrypt; do rates_row 13 "$size" "$mode"; done
done
