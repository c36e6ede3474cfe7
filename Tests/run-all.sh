#!/usr/bin/env bash
# Tests/run-all.sh — the whole Sealmilter test suite, one step after another:
# build, unit tests (swift test), the corpus comparison with GMime, the differential
# test of MIME ambiguities against GMime and Python's email, the C interface
# from C, the 1 GB streaming memory bound, the end-to-end tests behind a real
# private Postfix and a private Sendmail, miltertest, short fuzz runs (MIME
# parser, detectors), and the Debian package install test.
# Needs root (Postfix instances, package install); run .ci/setup first.
# Each step prints its own results; the last line counts the steps:
# "N passed, M failed". Exit status 0 only when every step passed.
#   SKIP="package fuzz" Tests/run-all.sh    skips the named steps
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0; failed=0; summary=()
step() {
    local name=$1; shift
    if [[ " ${SKIP:-} " == *" $name "* ]]; then summary+=("skipped  $name"); return; fi
    echo; echo "=== $name: $*"
    local t0=$SECONDS
    if "$@"; then passed=$((passed + 1)); summary+=("ok       $name ($((SECONDS - t0)) s)")
    else failed=$((failed + 1)); summary+=("FAILED   $name ($((SECONDS - t0)) s)"); fi
}

step build      bash -c 'swift build --build-tests && Sources/build-programs.sh .build/debug'
step unit       swift test --skip-build
step corpus     Tests/corpus/compare-gmime.sh .build/debug/sealctl
step differential Tests/differential/run.sh .build/debug/sealctl
step capi       Tests/capi/run.sh .build/debug
step stream-1gb bash -c 'swift build -c release --product sealbench >/dev/null && .build/release/sealbench --stream-gb 1 --max-rss-mb 64 && .build/release/sealbench --stream-gb 1 --mode decode-all --max-rss-mb 64'
step e2e        Tests/e2e/run.sh .build/debug/sealmilterd .build/debug/sealctl
step sendmail   Tests/sendmail/run.sh .build/debug/sealmilterd .build/debug/sealctl
step miltertest Tests/e2e/run-miltertest.sh .build/debug/sealmilterd
step fuzz       Tests/fuzz/run.sh 60
step connect    Tests/e2e/connect.sh .build/debug/sealmilterd .build/debug/sealctl
step rules      Tests/e2e/rules.sh .build/debug/sealmilterd .build/debug/sealctl
step smime      Tests/e2e/smime-out.sh .build/debug/sealmilterd .build/debug/sealctl
step smime-in   Tests/e2e/smime-in.sh .build/debug/sealmilterd .build/debug/sealctl
# the envelope step keeps what it delivered for the browser step (Tests/browser opens it)
export E2E_ENVELOPE_OUT=${E2E_ENVELOPE_OUT:-/tmp/sealmilter-envelope-delivered}
step envelope   Tests/e2e/envelope.sh .build/debug/sealmilterd .build/debug/sealctl
# the rights step keeps the protected envelope it delivered for the browser step too
export E2E_RIGHTS_OUT=${E2E_RIGHTS_OUT:-/tmp/sealmilter-rights-delivered}
step rights     Tests/e2e/rights.sh .build/debug/sealmilterd .build/debug/sealctl
step browser    Tests/browser/run.sh .build/debug/sealctl "$E2E_ENVELOPE_OUT" "$E2E_RIGHTS_OUT"
step package    packaging/tests/install-test.sh

echo; echo "=== summary"
printf '%s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
