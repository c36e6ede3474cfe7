#!/usr/bin/env bash
# Tests/browser/run.sh [SEALCTL [DELIVERED [RIGHTS]]] — the envelope viewer in real headless Chromium (Selenium):
# passcode, wrong passcode, attachment bytes, no network request, expiry, damaged files,
# Japanese texts, the same essentials in Firefox ESR (Marionette), secure replies (checked with the independent Python implementation of the
# format, Tests/browser/make_envelope.py), rights (watermark, print to PDF, copy).
# With SEALCTL (a sealctl that has `envelope seal`), envelopes made by the gateway are
# opened too. With DELIVERED (the OUTDIR of Tests/e2e/envelope.sh), the envelope that went
# through the private Postfix is opened with the passcode from the passcode message. With RIGHTS
# (the OUTDIR of Tests/e2e/rights.sh), the protected envelope `protect` delivered through Postfix is
# opened too: watermark, print to PDF, copy and reply UI against its rights, DELIVERED as the control
# (issue 13's first acceptance item). Screenshots and the captured secure replies are kept in
# $BROWSER_ARTIFACTS (default /tmp/sealmilter-browser-artifacts).
# Needs: chromium, chromium-driver, firefox-esr, poppler-utils (pdftotext), python3 selenium,
# cryptography and marionette-driver (.ci/setup installs them all).
set -uo pipefail
cd "$(dirname "$0")/../.."
missing=()
command -v chromium >/dev/null || missing+=("chromium (Debian package chromium)")
command -v chromedriver >/dev/null || missing+=("chromedriver (Debian package chromium-driver)")
command -v pdftotext >/dev/null || missing+=("pdftotext (Debian package poppler-utils)")
python3 -c 'import selenium' 2>/dev/null || missing+=("python3 selenium (pip install selenium)")
python3 -c 'import cryptography' 2>/dev/null || missing+=("python3 cryptography (pip install cryptography)")
command -v firefox-esr >/dev/null || command -v firefox >/dev/null || missing+=("firefox-esr (Debian package firefox-esr)")
python3 -c 'import marionette_driver' 2>/dev/null || missing+=("python3 marionette-driver (pip install marionette-driver)")
if [ ${#missing[@]} -gt 0 ]; then
    printf 'FAIL: missing for the browser tests: %s\n' "${missing[@]}" >&2
    exit 1
fi
args=(--artifacts "${BROWSER_ARTIFACTS:-/tmp/sealmilter-browser-artifacts}")
if [ $# -ge 1 ] && [ -n "$1" ]; then
    [ -x "$1" ] || { echo "FAIL: $1 is not an executable sealctl" >&2; exit 1; }
    args+=(--sealctl "$1")
fi
if [ $# -ge 2 ]; then
    [ -n "$2" ] || { echo "FAIL: empty directory of the delivered envelope" >&2; exit 1; }
    args+=(--delivered "$2")
fi
if [ $# -ge 3 ]; then
    [ -n "$3" ] || { echo "FAIL: empty directory of the delivered protected envelope (Tests/e2e/rights.sh OUTDIR)" >&2; exit 1; }
    [ -d "$3" ] || echo "FAIL: $3 (the delivered protected envelope, Tests/e2e/rights.sh OUTDIR / E2E_RIGHTS_OUT) does not exist" >&2
    args+=(--rights-delivered "$3")
fi
exec timeout 300 python3 Tests/browser/test_viewer.py "${args[@]}"
