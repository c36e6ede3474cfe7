#!/usr/bin/env bash
# Tests/e2e/run-miltertest.sh DAEMON — runs Tests/e2e/miltertest.lua (OpenDKIM's
# miltertest as the MTA side) against DAEMON started on a unix socket with
# Tests/e2e/policy.yaml. Prints the script's "ok"/"not ok" lines and
# "N passed, M failed"; exits non-zero on any failure.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
DAEMON=${1:?usage: run-miltertest.sh DAEMON}
W=$(mktemp -d /tmp/sealmilter-mt.XXXXXX)
PID=
cleanup() {
    if [ -n "$PID" ]; then kill "$PID" 2>/dev/null; sleep 0.3; kill -9 "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; fi
    [ -n "${E2E_KEEP:-}" ] && { echo "# kept $W" >&2; return; }
    rm -rf "$W"
}
trap cleanup EXIT
command -v miltertest >/dev/null || { echo "miltertest not installed (apt-get install miltertest)"; echo "0 passed, 1 failed"; exit 1; }

# A real enveloped-data body: encrypt to a throw-away certificate, keep the base64 body.
(
    cd "$W" &&
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout rcpt.key -out rcpt.pem -subj "/CN=bob@int.test" &&
    printf 'Content-Type: text/plain\n\nsecret\n' > inner.txt &&
    openssl cms -encrypt -in inner.txt -recip rcpt.pem -aes256 -out smime.eml
) >"$W/openssl.log" 2>&1 || { echo "openssl failed: $(tail -2 "$W/openssl.log")"; echo "0 passed, 1 failed"; exit 1; }
awk 'body { sub(/\r$/, ""); printf "%s\r\n", $0 } /^\r?$/ { body = 1 }' "$W/smime.eml" > "$W/smime.body"

cp "$HERE/policy.yaml" "$W/policy.yaml"
SOCK=$W/sealmilter.sock
"$DAEMON" --socket "unix:$SOCK" --policy "$W/policy.yaml" --foreground >"$W/daemon.log" 2>&1 &
PID=$!
for i in $(seq 1 300); do
    [ -S "$SOCK" ] && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
done
if ! [ -S "$SOCK" ]; then
    echo "not ok - daemon start: no socket at $SOCK; daemon log:"; sed 's/^/#   /' "$W/daemon.log" | tail -10
    echo "0 passed, 1 failed"; exit 1
fi

out=$(miltertest -D "SOCKET=unix:$SOCK" -D "SMIME_BODY=$W/smime.body" -s "$HERE/miltertest.lua" 2>&1)
rc=$?
echo "$out" | grep -v '^miltertest: .*failures$'
if ! echo "$out" | grep -qE '^[0-9]+ passed, [0-9]+ failed$'; then
    echo "not ok - miltertest script did not finish (exit $rc)"
    echo "# daemon log tail:"; tail -5 "$W/daemon.log" | sed 's/^/#   /'
    p=$(echo "$out" | grep -c '^ok - '); f=$(echo "$out" | grep -c '^not ok - ')
    echo "$p passed, $((f + 1)) failed"
    exit 1
fi
[ "$rc" = 0 ]
