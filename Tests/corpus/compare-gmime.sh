#!/usr/bin/env bash
# compare-gmime.sh - acceptance test: sealctl's MIME structure vs GMime 3.
#
# Run from the repo root:   Tests/corpus/compare-gmime.sh [SEALCTL]
#   SEALCTL defaults to .build/debug/sealctl (swift build && Sources/build-programs.sh .build/debug).
# For every file of ../shared/corpus/cpython/ and ../shared/corpus/mimekit/ it
# runs `sealctl scan --json FILE` and `gmime_parse --dump FILE` and compares
# the leaf parts (content type, decoded size) in document order; sealctl must
# never crash (exit 0 or 1 only).  Corrected expectations for GMime quirks are
# in Tests/corpus/gmime-overrides.json (each with its reason).
# Prints per-file mismatches, then exactly "N passed, M failed".
# Exit status: 0 all passed, 1 any failure, 2 setup error.
set -euo pipefail

SEALCTL=${1:-.build/debug/sealctl}
CORPUS_ROOT=${CORPUS_ROOT:-../shared/corpus}
HERE=Tests/corpus
[ -f Package.swift ] && [ -d "$HERE" ] || { echo "compare-gmime: run from the repo root" >&2; exit 2; }
[ -x "$SEALCTL" ] || { echo "compare-gmime: no sealctl at $SEALCTL (swift build && Sources/build-programs.sh .build/debug)" >&2; exit 2; }

GMIME_PARSE=${GMIME_PARSE:-Benchmarks/.build/gmime_parse}
SRC=Benchmarks/reference/gmime_parse.c
if [ ! -x "$GMIME_PARSE" ] || [ "$SRC" -nt "$GMIME_PARSE" ]; then
    mkdir -p "$(dirname "$GMIME_PARSE")"
    # shellcheck disable=SC2046
    gcc -O2 -o "$GMIME_PARSE" "$SRC" $(pkg-config --cflags --libs gmime-3.0) \
        || { echo "compare-gmime: cannot build $GMIME_PARSE (needs libgmime-3.0-dev)" >&2; exit 2; }
fi

FILES=()
for d in "$CORPUS_ROOT/cpython" "$CORPUS_ROOT/mimekit"; do
    [ -d "$d" ] || { echo "compare-gmime: missing corpus directory $d" >&2; exit 2; }
    while IFS= read -r f; do FILES+=("$f"); done < <(find "$d" -maxdepth 1 -type f | LC_ALL=C sort)
done
[ "${#FILES[@]}" -gt 0 ] || { echo "compare-gmime: empty corpus" >&2; exit 2; }

exec python3 "$HERE/compare_gmime.py" --sealctl "$SEALCTL" --gmime "$GMIME_PARSE" \
    --overrides "$HERE/gmime-overrides.json" "${FILES[@]}"
