#!/bin/sh
# Tests/differential/run.sh [SEALCTL] — end-to-end differential test of MIME
# ambiguities (issue 8, point 4): messages from gen_ambiguous.py through
# `sealctl scan --json` against GMime 3 and Python's email (differential.py).
# Where the references agree, sealctl's leaves must be theirs; where they disagree,
# the message must carry the unscannable kind ambiguous-structure.
# Run from anywhere; SEALCTL defaults to .build/debug/sealctl. DIFF_RANDOM sets the
# number of random combinations (default 80), DIFF_SEED their seed.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
sealctl=${1:-.build/debug/sealctl}
[ -x "$sealctl" ] || { echo "differential: no sealctl at $sealctl (swift build --product sealctl)" >&2; exit 2; }
exec python3 Tests/differential/differential.py --sealctl "$sealctl" --random "${DIFF_RANDOM:-80}"
