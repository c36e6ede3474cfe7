#!/usr/bin/env bash
# Tests/demo.sh — Sealmilter's main job, shown: builds the filter, starts it on the
# shipped sample policy (packaging/sealmilter.yaml) behind a private Postfix on
# loopback, sends a few sample messages with swaks and shows what happened to each
# (the SMTP answer, the X-Sealmilter-* fields of the delivered copy, the filter's
# log line). Run as root after .ci/setup. Leaves nothing behind.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
echo "== building (swift build, then the daemon and sealctl as C hosts of libsealmilter)"
swift build >/dev/null && Sources/build-programs.sh "$(swift build --show-bin-path)" || { echo "build failed"; exit 1; }
BIN=$(swift build --show-bin-path)
. Tests/e2e/postfix-harness.sh
DAEMON_PID=
cleanup() { [ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null; pfh_cleanup; }
trap cleanup EXIT
pfh_init >/dev/null || exit 1
W=$PFH_DIR
SOCK=$W/run/sealmilter.sock
echo "== the sample policy: $("$BIN/sealctl" check-config packaging/sealmilter.yaml)"
pfh_milter "unix:$SOCK"
pfh_start || exit 1
"$BIN/sealmilterd" --socket "unix:$SOCK" --policy packaging/sealmilter.yaml --foreground --user postfix >"$W/log/daemon.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 1 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
echo "== sealmilter listening on unix:$SOCK, Postfix on 127.0.0.1:$PFH_SMTP_PORT"

mkdir -p "$W/demo"
# 1. plain text
printf 'From: alice@partner.example\r\nTo: bob@example.com\r\nSubject: plain hello\r\n\r\nJust text.\r\n' >"$W/demo/1-plain.eml"
# 2. S/MIME enveloped (made by openssl cms)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/demo/k.pem" -out "$W/demo/c.pem" -subj /CN=bob -days 2 2>/dev/null
printf 'Content-Type: text/plain\r\n\r\nsecret\r\n' | openssl cms -encrypt -aes256 -recip "$W/demo/c.pem" \
  -from alice@partner.example -to bob@example.com -subject "S/MIME encrypted" >"$W/demo/2-smime.eml"
# 3. forged flag header trying to hide an encrypted PGP message
printf 'From: mallory@partner.example\r\nTo: bob@example.com\r\nSubject: forged flag\r\nX-Sealmilter-Unscannable: none\r\nMIME-Version: 1.0\r\nContent-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary=x\r\n\r\n--x\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n--x\r\nContent-Type: application/octet-stream\r\n\r\n-----BEGIN PGP MESSAGE-----\r\nhQEMA...\r\n-----END PGP MESSAGE-----\r\n--x--\r\n' >"$W/demo/3-forged.eml"
# 4. an encrypted zip (zip -e)
( cd "$W/demo" && echo "payroll" >p.txt && zip -q -e -P pw enc.zip p.txt )
{ printf 'From: alice@partner.example\r\nTo: bob@example.com\r\nSubject: encrypted zip\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee attachment.\r\n--b\r\nContent-Type: application/zip; name=payroll.zip\r\nContent-Transfer-Encoding: base64\r\n\r\n'
  base64 -w 76 "$W/demo/enc.zip" | sed 's/$/\r/'; printf -- '--b--\r\n'; } >"$W/demo/4-zip.eml"

for f in "$W"/demo/*.eml; do
  name=$(basename "$f" .eml)
  subject=$(grep -m1 -i '^Subject:' "$f" | tr -d '\r')
  echo; echo "== $name ($subject)"
  out=$(swaks --server 127.0.0.1 --port "$PFH_SMTP_PORT" --from alice@partner.example --to bob@example.com \
        --data "$f" 2>&1)
  echo "   SMTP: $(echo "$out" | grep -E '^<-+ +250 .*queued|^<\*\* ' | tail -1 | sed 's/^<-* *//')"
  qid=$(echo "$out" | grep -oE 'queued as [0-9A-F]+' | awk '{print $3}')
  if [ -n "$qid" ] && pfh_wait_sent "$qid" 15; then
    file=$(grep -rl "$qid" "$W/sink" | head -1)
    echo "   delivered copy's X-Sealmilter fields: $(grep -i '^X-Sealmilter' "$file" | tr -d '\r' | tr '\n' ' ' | sed 's/ $//' | sed 's/^$/(none)/')"
  fi
  sleep 0.3
  echo "   filter log: $(grep -F "${qid:-NOQUEUE}" "$W/log/daemon.log" | tail -1 | sed 's/^.*sealmilter[^:]*: //')"
done
echo; echo "== offline: sealctl scan on the zip message"
"$BIN/sealctl" scan --policy packaging/sealmilter.yaml "$W/demo/4-zip.eml"
