#!/bin/sh
# Builds the SealMIME libFuzzer harness and runs it.
#   Tests/fuzz/run.sh [SECONDS] [extra libFuzzer flags...]
# Seeds: every file of ../shared/corpus (relative to the repository root), each
# prefixed with a few chunking headers (see FuzzMIME/main.swift). Findings go to
# Tests/fuzz/artifacts/; the working corpus to $FUZZ_WORK (default /tmp/sealmime-fuzz).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
work=${FUZZ_WORK:-/tmp/sealmime-fuzz}
mkdir -p "$work/corpus" "$work/seeds" "$here/artifacts"
bin="$work/fuzz-mime"
rm -f "$bin"
swiftc -sanitize=fuzzer,address -parse-as-library -O -g \
    -module-name FuzzMIME "$here/FuzzMIME/main.swift" "$root"/Sources/SealMIME/*.swift -o "$bin" 2>&1 \
    | grep -v "Cannot export local symbol" || true
[ -x "$bin" ] || { echo "build failed" >&2; exit 1; }
# Seed corpus: each corpus message with three chunking headers.
for f in "$root"/../shared/corpus/*/*; do
    [ -f "$f" ] || continue
    n=$(basename "$(dirname "$f")")_$(basename "$f")
    { printf '\003\007\100\001'; cat "$f"; } > "$work/seeds/$n.a"      # chunks 8,65,2
    { printf '\011\000'; cat "$f"; } > "$work/seeds/$n.b"              # 1-byte chunks, tight limits
    { printf '\002\377\021'; cat "$f"; } > "$work/seeds/$n.c"          # chunks 256,18
done
SWIFT_BACKTRACE=enable=no "$bin" -max_total_time="$secs" -max_len=65536 -timeout=20 -rss_limit_mb=2048 \
    -dict="$here/mime.dict" -artifact_prefix="$here/artifacts/" -print_final_stats=1 "$@" \
    "$work/corpus" "$work/seeds"
