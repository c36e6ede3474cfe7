#!/usr/bin/env bash
# compare-builds.sh — is a change of the engine slower? Runs two release builds
# of the engine side by side, interleaved round by round (the machine is noisy):
# sealbench in policy and decode-all mode on the parser benchmark's corpus, and
# the per-message cost through the C interface (Benchmarks/capi/per-message.c,
# built against each build's libsealmilter.so). Prints the median of each and the
# ratio new/old (a benchmark, not a test).
#
#   Benchmarks/compare-builds.sh OLD_BIN_DIR NEW_BIN_DIR
# Each BIN_DIR is a `swift build -c release --show-bin-path` holding sealbench
# and libsealmilter.so (swift build -c release --product sealbench; and
# --product sealmilter). Environment: ROUNDS=5, TOTAL_MB=100 (corpus size if it
# has to be made), CORPUS=Benchmarks/.build/corpus-compare, MESSAGES=20000,
# ITERATIONS=5 (passes over the corpus per sealbench run).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 2 ] || { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
OLD=$(cd "$1" && pwd); NEW=$(cd "$2" && pwd)
ROUNDS=${ROUNDS:-5}; TOTAL_MB=${TOTAL_MB:-100}; MESSAGES=${MESSAGES:-20000}; ITERATIONS=${ITERATIONS:-5}
CORPUS=${CORPUS:-$ROOT/Benchmarks/.build/corpus-compare}
for b in "$OLD" "$NEW"; do
    for f in sealbench libsealmilter.so; do [ -e "$b/$f" ] || { echo "compare-builds: $b/$f missing" >&2; exit 1; }; done
done
if [ ! -f "$CORPUS/SHA256SUMS" ]; then
    echo "compare-builds: making a ${TOTAL_MB} MB corpus in $CORPUS" >&2
    python3 "$ROOT/Benchmarks/make_corpus.py" "$CORPUS" --total-mb "$TOTAL_MB" >&2
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for side in old new; do
    dir=$OLD; [ $side = new ] && dir=$NEW
    cc -O2 -I"$ROOT/include" "$ROOT/Benchmarks/capi/per-message.c" -o "$tmp/per-message-$side" \
        -L"$dir" -lsealmilter -Wl,-rpath,"$dir"
done
files=("$CORPUS"/*.eml)
policy=$ROOT/Benchmarks/postfix/passthrough.yaml
for ((r = 1; r <= ROUNDS; r++)); do
    order="old new"; [ $((r % 2)) -eq 0 ] && order="new old"
    for side in $order; do
        dir=$OLD; [ $side = new ] && dir=$NEW
        for mode in policy decode-all; do
            mbps=$("$dir/sealbench" --mode $mode --iterations "$ITERATIONS" "${files[@]}" | sed -n 's/.*mbps=\([0-9.]*\).*/\1/p')
            echo "$side $mode $mbps" >> "$tmp/results"
        done
        us=$("$tmp/per-message-$side" "$policy" "$MESSAGES" 1 2>&1 | grep -Eo '[0-9.]+ *us' | head -1 | grep -Eo '[0-9.]+')
        echo "$side per-message-us $us" >> "$tmp/results"
    done
    echo "compare-builds: round $r/$ROUNDS done" >&2
done
python3 - "$tmp/results" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 3]
def med(side, what): return statistics.median(float(v) for s, w, v in rows if s == side and w == what)
print("| measure | old (median) | new (median) | new/old |")
print("|---|---|---|---|")
for what, unit in (("policy", "MB/s"), ("decode-all", "MB/s"), ("per-message-us", "us/message")):
    o, n = med("old", what), med("new", what)
    print(f"| {what} ({unit}) | {o:.1f} | {n:.1f} | {n / o:.3f} |")
PY
