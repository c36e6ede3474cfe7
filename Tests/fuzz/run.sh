#!/bin/sh
# Builds the libFuzzer harnesses and runs each twice: from its seeds (with the
# corpus kept from earlier runs), then briefly from an EMPTY corpus, where the fuzzer
# finds inputs the seeds steer it away from (a 19 s empty-corpus run found
# 8C0tYgotLWI=, see Tests/SealMIMETests/MTATests.swift):
#   FuzzMIME    the SealMIME streaming parser: SECONDS in all, 2/3 seeded, 1/3 empty
#   FuzzDetect  SealDetect's byte-level detectors: SECONDS / 2 in all (at least 10),
#               split the same way
#   FuzzReply   the inbound secure-reply parser (SealEnvelope): SECONDS / 4 (at least 10)
#   Tests/fuzz/run.sh [SECONDS] [extra libFuzzer flags...]
# Seeds: for FuzzMIME every file of ../shared/corpus (relative to the repository
# root), each prefixed with a few chunking headers (see FuzzMIME/main.swift); for
# FuzzDetect real samples made here with the tools .ci/setup installs (zip -e, 7z
# AES, qpdf, openssl cms, msoffcrypto-tool; a missing tool only means fewer seeds)
# and their unencrypted twins, under several labels (see FuzzDetect/main.swift).
# Findings go to Tests/fuzz/artifacts/; working corpora to $FUZZ_WORK (default
# /tmp/sealmime-fuzz). Exit status: non-zero when a harness found a crash or broken
# invariant.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
work=${FUZZ_WORK:-/tmp/sealmime-fuzz}
mkdir -p "$work/corpus" "$work/seeds" "$work/detect-corpus" "$work/detect-seeds" "$here/artifacts"

# build NAME SOURCES... — one harness, with the module's sources compiled in.
build() {
    name=$1; shift
    rm -f "$work/$name"
    swiftc -sanitize=fuzzer,address -parse-as-library -O -g \
        -module-name "$name" "$here/$name/main.swift" "$@" -o "$work/$name" 2>&1 \
        | grep -v "Cannot export local symbol" || true
    [ -x "$work/$name" ] || { echo "$name: build failed" >&2; exit 1; }
}
build FuzzMIME "$root"/Sources/SealMIME/*.swift
build FuzzDetect "$root"/Sources/SealDetect/*.swift
# FuzzReply: the secure-reply parser with the envelope format files it needs and SealCrypto.
e=$root/Sources/SealEnvelope
build FuzzReply "$e/SecureReply.swift" "$e/JSON.swift" "$e/Bytes.swift" "$e/EnvelopeFormat.swift" "$e/ChunkCipher.swift" \
    "$e/Passcode.swift" "$root"/Sources/SealCrypto/*.swift \
    -Xcc -fmodule-map-file="$root/Sources/COpenSSL/module.modulemap" -I "$root/Sources/COpenSSL" -lcrypto -lssl

# FuzzMIME seeds: each corpus message with three chunking headers.
for f in "$root"/../shared/corpus/*/*; do
    [ -f "$f" ] || continue
    n=$(basename "$(dirname "$f")")_$(basename "$f")
    { printf '\003\007\100\001'; cat "$f"; } > "$work/seeds/$n.a"      # chunks 8,65,2
    { printf '\011\000'; cat "$f"; } > "$work/seeds/$n.b"              # 1-byte chunks, tight limits
    { printf '\002\377\021'; cat "$f"; } > "$work/seeds/$n.c"          # chunks 256,18
done

# FuzzDetect seeds: byte 0 the label (0 octet-stream, 2 text/plain, 3 text/html,
# 4 pdf, 5 zip, 6 pkcs7-mime, 7 docx), byte 1 chunk size - 1, byte 2 the limit (3: 1 MiB).
s=$work/samples
rm -rf "$s"; mkdir -p "$s"
(
    cd "$s"
    printf 'hello, a secret\n' > p.txt
    zip -q -e -P pw enc.zip p.txt 2>/dev/null || true
    zip -q plain.zip p.txt 2>/dev/null || true
    7z a -tzip -mem=AES256 -ppw aes.zip p.txt >/dev/null 2>&1 || true
    { qpdf --empty e.pdf && qpdf --encrypt u o 256 -- e.pdf enc.pdf; } 2>/dev/null || true
    { openssl req -x509 -newkey rsa:2048 -nodes -keyout k.pem -out c.pem -subj /CN=fuzz -days 2 &&
      openssl cms -encrypt -binary -outform DER -in p.txt -out env.der c.pem &&
      openssl cms -sign -nodetach -binary -outform DER -in p.txt -signer c.pem -inkey k.pem -out signed.der; } \
        >/dev/null 2>&1 || true
    rm -f k.pem c.pem
    python3 - <<'EOF' 2>/dev/null && msoffcrypto-tool -e -p pw plain.docx enc.docx 2>/dev/null || true
import zipfile
ct = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
      '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" '
      'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
rels = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="word/document.xml"/></Relationships>')
doc = ('<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
       '<w:body><w:p><w:r><w:t>Hi</w:t></w:r></w:p></w:body></w:document>')
with zipfile.ZipFile('plain.docx', 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('[Content_Types].xml', ct); z.writestr('_rels/.rels', rels); z.writestr('word/document.xml', doc)
EOF
    printf -- '-----BEGIN PGP MESSAGE-----\n\nhQEMA1234567\n-----END PGP MESSAGE-----\n' > armor.txt
    printf '<html><head><meta name="sealmilter-envelope" content="v1"></head></html>\n' > envelope.html
)
for f in "$s"/*; do
    for label in 0 2 3 4 5 6 7; do
        { printf "\\$(printf %03o "$label")\\037\\003"; cat "$f"; } > "$work/detect-seeds/$(basename "$f").$label"
    done
done
echo "FuzzDetect seeds: $(ls "$s" | tr '\n' ' ')"

# FuzzReply seeds: armored blocks, well-formed and damaged (FuzzReply/seeds.py).
mkdir -p "$work/reply-corpus" "$work/reply-seeds"
python3 "$here/FuzzReply/seeds.py" "$work/reply-seeds"

# run NAME SECONDS CORPUS SEEDS [flags...]
run() {
    name=$1 t=$2 corpus=$3 seeds=$4; shift 4
    echo "== $name, $t s"
    SWIFT_BACKTRACE=enable=no "$work/$name" -max_total_time="$t" -max_len=65536 -timeout=20 -rss_limit_mb=2048 \
        -artifact_prefix="$here/artifacts/$name-" -print_final_stats=1 "$@" "$corpus" "$seeds"
}
# shares TOTAL: sets seeded (2/3) and empty (1/3, at least 5 s) for one harness.
shares() { empty=$(($1 / 3)); [ "$empty" -ge 5 ] || empty=5; seeded=$(($1 - empty)); [ "$seeded" -ge 5 ] || seeded=5; }
# A fresh empty corpus directory (libFuzzer writes what it finds there).
fresh() { rm -rf "$work/$1"; mkdir -p "$work/$1"; echo "$work/$1"; }

shares "$secs"
run FuzzMIME "$seeded" "$work/corpus" "$work/seeds" -dict="$here/mime.dict" "$@"
echo "(FuzzMIME from an empty corpus)"
run FuzzMIME "$empty" "$(fresh empty-mime)" "$(fresh empty-mime-seeds)" -dict="$here/mime.dict" "$@"
dsecs=$((secs / 2)); [ "$dsecs" -ge 10 ] || dsecs=10
shares "$dsecs"
run FuzzDetect "$seeded" "$work/detect-corpus" "$work/detect-seeds" "$@"
echo "(FuzzDetect from an empty corpus)"
run FuzzDetect "$empty" "$(fresh empty-detect)" "$(fresh empty-detect-seeds)" "$@"
rsecs=$((secs / 4)); [ "$rsecs" -ge 10 ] || rsecs=10
run FuzzReply "$rsecs" "$work/reply-corpus" "$work/reply-seeds" "$@"
