#!/bin/bash
# Benchmarks/detectors/run.sh — the sensitive-information detectors on text (issue 14).
#
#   Benchmarks/detectors/run.sh [ROUNDS]        (default 3)
#
# Every built-in detector and two custom types in one scanner (`sealbench --mode
# detectors`), over four texts, rounds interleaved (the machine is noisy):
#   corpus     the decoded text parts of the parser benchmark's corpus
#              (Benchmarks/make_corpus.py, 100 MB; Benchmarks/detectors/corpus-text.py)
#   generated  prose of the corpus's vocabulary with the numbers of mail and a sensitive
#              item (some invalid) every ~4 KB; 0.8, 2.0 and 4.1 % of the bytes digits
#   debian     the Debian documentation on this machine (changelogs, READMEs, licences):
#              human-written technical text, digits and capitals in it
#   shared     the text parts of ../shared/corpus (real test messages; 30 KB, HTML alerts
#              with rewritten URLs)
# Each text is repeated to 256 MiB and scanned in 1 MiB pieces. Reported per run: the
# detectors with every finding rated by its keywords (worst case: a policy asking for
# `confidence: high` everywhere), at the levels a plain `sensitive: TYPE` asks for, and
# the Hyperscan pass alone (the reference: what validation adds is the difference).
set -euo pipefail
ROUNDS=${1:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-$ROOT/Benchmarks/.build/detectors}
mkdir -p "$OUT"
cd "$ROOT"
swift build -c release --product sealbench >/dev/null
BENCH=$ROOT/.build/release/sealbench

if [ ! -s "$OUT/corpus.txt" ]; then
    python3 Benchmarks/make_corpus.py "$OUT/corpus" --total-mb 100 >/dev/null
    python3 "$HERE/corpus-text.py" "$OUT/corpus.txt" "$OUT/corpus"
fi
if [ ! -s "$OUT/debian.txt" ]; then
    for f in /usr/share/doc/*/changelog.Debian.gz /usr/share/doc/*/NEWS.Debian.gz; do zcat "$f" 2>/dev/null || true; done > "$OUT/debian.txt"
    for f in /usr/share/doc/*/README* /usr/share/common-licenses/*; do
        [ -f "$f" ] || continue
        case "$f" in *.gz) zcat "$f" 2>/dev/null || true ;; *) cat "$f" ;; esac
    done >> "$OUT/debian.txt"
    [ -s "$OUT/debian.txt" ] || { echo "no Debian documentation under /usr/share/doc" >&2; exit 1; }
fi
SHARED=$ROOT/../shared/corpus
[ -d "$SHARED" ] || { echo "missing input: $SHARED (the shared corpus)" >&2; exit 1; }
[ -s "$OUT/shared.txt" ] || python3 "$HERE/corpus-text.py" "$OUT/shared.txt" "$SHARED"

run() {  # NAME ARGS... — one run, one table row
    local name=$1; shift
    local line
    line=$("$@" | tail -1)
    field() { echo "$line" | grep -o " $1=[0-9.]*" | cut -d= -f2; }
    printf '| %s | %s %% | %s | %s | %s | %s |\n' "$name" "$(field digits_percent)" "$(field gbps)" \
        "$(field default_levels_gbps)" "$(field scan_only_gbps)" "$(uptime | sed 's/.*average: //; s/,.*//')"
}

echo "| text | digits | all rated GB/s | default levels GB/s | Hyperscan pass alone GB/s | load |"
echo "|---|---|---|---|---|---|"
for r in $(seq "$ROUNDS"); do
    run corpus    "$BENCH" --mode detectors --text-mb 256 --text-file "$OUT/corpus.txt"
    for p in 0 1 3; do
        run generated env DETECTOR_NUMBERS_PERCENT=$p "$BENCH" --mode detectors --text-mb 256
    done
    run debian    "$BENCH" --mode detectors --text-mb 256 --text-file "$OUT/debian.txt"
    run shared    "$BENCH" --mode detectors --text-mb 256 --text-file "$OUT/shared.txt"
done
