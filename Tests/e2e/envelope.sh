#!/usr/bin/env bash
# Tests/e2e/envelope.sh DAEMON SEALCTL [OUTDIR] — envelope encryption (issue 12) end to
# end through a private Postfix (postfix-harness.sh) with sealmilterd. Run as root.
#
#   1. A rule encrypts an outbound message with a 2 MB attachment for an outside
#      recipient: the passcode message and the envelope arrive at the sink
#      separately; no plaintext reaches the sink.
#   2. The independent Python reader (Tests/envelope/envelope.py, `cryptography`)
#      opens the delivered message.html with the delivered passcode and gets the
#      original message; a wrong passcode is refused.
#   3. `sealctl envelope open --key` recovers the original byte for byte (line
#      ends aside: the sink stores LF).
#   4. Secure replies built by the Python writer, and one made by the viewer itself in
#      headless Chromium (Tests/browser/test_viewer.py --make-reply), go back through Postfix: the milter
#      decrypts a good one (delivered marked X-Sealmilter-Decrypted: envelope-reply,
#      the reply's text in place of the block); a tampered one and one made with
#      another envelope's reply key are flagged and delivered as they came;
#      `sealctl envelope open --reply-secret` decrypts the block offline too.
#   5. Fail closed: with the submission listener down (the passcode message cannot
#      be submitted) the message is tempfailed and nothing reaches the sink.
# OUTDIR (or E2E_ENVELOPE_OUT) keeps the delivered message.html, passcode.txt, the
# original .eml and the org key for the browser tests (Tests/browser). E2E_KEEP=1
# keeps the whole work directory.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
DAEMON=${1:?usage: envelope.sh DAEMON SEALCTL [OUTDIR]}
SEALCTL=${2:?usage: envelope.sh DAEMON SEALCTL [OUTDIR]}
OUT=${3:-${E2E_ENVELOPE_OUT:-}}
ENV=$HERE/../envelope/envelope.py

. "$HERE/postfix-harness.sh"
. "$HERE/e2e-lib.sh" # ok/notok/bail/summary, send, tok, start_daemon

for need in "$DAEMON" "$SEALCTL"; do [ -x "$need" ] || bail setup "$need is missing (build first)"; done
command -v swaks >/dev/null || bail setup "swaks is missing"
$PY -c 'import cryptography' 2>/dev/null || bail setup "Python's cryptography package is missing (pip install cryptography)"

e2e_harness_init # W, SOCK, E2E_SMTP_PORT
mkdir -p "$W/keys"
POLICY=$W/policy.yaml

# Keys: the organisation's recovery key pair and reply secret (sealctl keys init), the
# marker secret of submitted messages.
"$SEALCTL" keys init --dir "$W/keys" --user postfix > "$W/out/keys-init" 2>&1 || bail "setup: sealctl keys init" "$(cat "$W/out/keys-init")"
head -c 32 /dev/urandom | base64 > "$W/keys/marker"; chmod 600 "$W/keys/marker"; chown postfix "$W/keys/marker"
chmod 755 "$W/keys"
cat > "$POLICY" <<EOT
internal_domains: [int.test]
keys:
  marker: $W/keys/marker
  envelope_recovery: $W/keys/envelope-recovery.pem
  envelope_reply: $W/keys/envelope-reply.secret
submission:
  method: smtp
  host: 127.0.0.1
  port: $PFH_SUBMIT_PORT
  timeout: 20s
  marker_key: marker
  notice_sender: postmaster@int.test
envelope:
  recovery_key: envelope_recovery
  reply_secret: envelope_reply
  branding: {organisation: "Int Test Ltd", colors: {accent: "#0b5cad"}}
rules:
  - name: e2e-encrypt-outside
    when:
      direction: outbound
      subject: {contains: [E2E-SECURE]}
    actions:
      - encrypt: {passcode: generated, subject: "Encrypted message", expires: 30d}
  # The rules see a secure reply's decrypted text (the block itself holds no such word).
  - name: e2e-reply-scanned
    when:
      direction: inbound
      body: {contains: [figures look right]}
    actions:
      - add_header: {name: X-E2E-Reply-Scanned, value: "keyword found in the decrypted reply"}
EOT
chmod 644 "$POLICY"
r=$("$SEALCTL" check-config --user postfix "$POLICY" 2>&1) || bail "setup: policy" "$r"

pfh_start || bail
start_daemon || bail "setup: daemon" "did not start"
pfh_milter "unix:$SOCK"
note "work directory $W"

# --- 1. the envelope and the passcode message ------------------------------------------
T=$(tok envelope)
SECRET="e2e-plaintext-$RANDOM$RANDOM$RANDOM"
$PY - "$W/msgs/orig.eml" "$T" "$SECRET" <<'PYEOF'
import sys, random, base64
out, token, secret = sys.argv[1:4]
att = random.Random(token).randbytes(2_000_000)
b64 = base64.encodebytes(att).decode()
msg = ("From: Alice <alice@int.test>\nTo: Bob <bob@ext.test>\nSubject: E2E-SECURE quarterly figures\n"
       "Date: Mon, 30 Nov 2026 10:00:00 +0000\nMessage-ID: <%s@int.test>\nMIME-Version: 1.0\n"
       "Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n\n"
       "The figures are attached. %s\n\n--b1\nContent-Type: application/octet-stream; name=\"figures.bin\"\n"
       "Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\"figures.bin\"\n\n%s\n--b1--\n") % (token, secret, b64)
open(out, "w").write(msg)
open(out + ".att", "wb").write(att)
PYEOF
send env --from alice@int.test --to bob@ext.test --data "@$W/msgs/orig.eml"
QID=$(queued_id env)
ENVFILE= ; PASSFILE=
if [ -z "$QID" ]; then
    notok "1 envelope and passcode message delivered separately" "not queued: $(grep -E '^<\*\*|^\*\*\*' "$W/out/env" | head -3 | tr '\n' ' ')"
else
    for _ in $(seq 1 150); do
        files=$(pfh_sink_find "$T")
        [ "$(echo "$files" | grep -c .)" -ge 2 ] && break
        sleep 0.2
    done
    for f in $files; do
        if grep -q '^X-Sealmilter-Envelope: v1' "$f"; then ENVFILE=$f; elif grep -q '^Subject: Passcode for' "$f"; then PASSFILE=$f; fi
    done
    if [ -z "$ENVFILE" ] || [ -z "$PASSFILE" ]; then
        notok "1 envelope and passcode message delivered separately" "sink has $(echo "$files" | grep -c .) message(s) with the token; envelope=${ENVFILE:-none} passcode=${PASSFILE:-none}"
    elif grep -rlqF "$SECRET" "$W/sink"; then
        notok "1 envelope and passcode message delivered separately" "the plaintext reached the sink"
    else
        pfh_sink_message "$ENVFILE" > "$W/msgs/envelope.eml"
        pfh_sink_message "$PASSFILE" > "$W/msgs/passcode.eml"
        if ! grep -q '^Content-Type: multipart/mixed' "$W/msgs/envelope.eml" || ! grep -q '^Subject: Encrypted message' "$W/msgs/envelope.eml" \
           || ! grep -q "^Message-ID: <$T@int.test>" "$W/msgs/envelope.eml" || ! grep -q '^From: Alice <alice@int.test>' "$W/msgs/envelope.eml"; then
            notok "1 envelope and passcode message delivered separately" "the outer message lacks the kept fields or the new Content-Type"
        elif grep -q 'E2E-SECURE' "$W/msgs/envelope.eml"; then
            notok "1 envelope and passcode message delivered separately" "the original subject is still in the envelope message"
        else
            ok "1 envelope and passcode message delivered separately (outer From/To/Date/Message-ID kept, subject replaced, no plaintext in the sink)"
        fi
    fi
fi

# --- 2. the Python reader opens it with the delivered passcode ----------------------------
if [ -n "$ENVFILE" ] && [ -n "$PASSFILE" ]; then
    tr -d '\r' < "$W/msgs/orig.eml" > "$W/msgs/orig.lf"
    if ! $PY "$ENV" extract "$W/msgs/envelope.eml" -o "$W/msgs/message.html" 2>"$W/out/extract.err"; then
        notok "2 Python reader opens the envelope with the delivered passcode" "$(cat "$W/out/extract.err")"
    elif ! PASSCODE=$($PY "$ENV" passcode "$W/msgs/passcode.eml" 2>&1); then
        notok "2 Python reader opens the envelope with the delivered passcode" "$PASSCODE"
    elif ! $PY "$ENV" open "$W/msgs/message.html" --passcode "$PASSCODE" -o "$W/msgs/opened.eml" 2>"$W/out/open.err"; then
        notok "2 Python reader opens the envelope with the delivered passcode" "$(cat "$W/out/open.err")"
    elif ! tr -d '\r' < "$W/msgs/opened.eml" | cmp -s - "$W/msgs/orig.lf"; then
        notok "2 Python reader opens the envelope with the delivered passcode" "opened message differs from the original ($(tr -d '\r' < "$W/msgs/opened.eml" | cmp - "$W/msgs/orig.lf" 2>&1 | head -1))"
    elif $PY "$ENV" open "$W/msgs/message.html" --passcode "22222-33333-44444-55555" -o /dev/null 2>/dev/null; then
        notok "2 Python reader opens the envelope with the delivered passcode" "a wrong passcode opened it"
    else
        size=$(stat -c %s "$W/msgs/orig.eml"); esize=$(stat -c %s "$W/msgs/message.html")
        ok "2 Python reader opens the envelope with the delivered passcode (original identical; message.html $esize bytes for $size: ratio $(awk "BEGIN{printf \"%.3f\", $esize/$size}"); wrong passcode refused)"
    fi
    # --- 3. sealctl envelope open with the organisation key ---------------------------------
    if ! "$SEALCTL" envelope open --key "$W/keys/envelope-recovery.pem" "$W/msgs/message.html" -o "$W/msgs/recovered.eml" 2>"$W/out/recover.err"; then
        notok "3 sealctl envelope open --key recovers the original" "$(cat "$W/out/recover.err")"
    elif ! tr -d '\r' < "$W/msgs/recovered.eml" | cmp -s - "$W/msgs/orig.lf"; then
        notok "3 sealctl envelope open --key recovers the original" "differs: $(tr -d '\r' < "$W/msgs/recovered.eml" | cmp - "$W/msgs/orig.lf" 2>&1 | head -1)"
    else
        ok "3 sealctl envelope open --key recovers the original byte for byte (CRLF as the milter saw it; the 2 MB attachment included)"
    fi
    if [ -n "$OUT" ]; then
        mkdir -p "$OUT" && cp "$W/msgs/message.html" "$W/msgs/orig.eml" "$W/msgs/envelope.eml" "$W/msgs/passcode.eml" "$W/msgs/orig.eml.att" "$OUT/" &&
            echo "$PASSCODE" > "$OUT/passcode.txt" && cp "$W/keys/envelope-recovery.pem" "$W/keys/envelope-reply.secret" "$OUT/" &&
            note "kept the delivered envelope, passcode and original in $OUT"
    fi

    # --- 4. secure replies back through Postfix --------------------------------------------
    printf 'From: bob@ext.test\r\nTo: alice@int.test\r\nSubject: Re: quarterly figures\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThanks, the figures look right. %s-reply\r\n' "$SECRET" > "$W/msgs/reply-inner.eml"
    # A second envelope (another message) for the foreign-key case.
    T2=$(tok envelope2)
    printf 'From: alice@int.test\nTo: carol@ext.test\nSubject: E2E-SECURE other\nMessage-ID: <%s@int.test>\n\nOther message.\n' "$T2" > "$W/msgs/orig2.eml"
    send env2 --from alice@int.test --to carol@ext.test --data "@$W/msgs/orig2.eml"
    for _ in $(seq 1 150); do [ "$(pfh_sink_find "$T2" | grep -c .)" -ge 2 ] && break; sleep 0.2; done
    for f in $(pfh_sink_find "$T2"); do
        if grep -q '^X-Sealmilter-Envelope' "$f"; then pfh_sink_message "$f" > "$W/msgs/envelope2.eml"; else pfh_sink_message "$f" > "$W/msgs/passcode2.eml"; fi
    done
    P2=$($PY "$ENV" passcode "$W/msgs/passcode2.eml" 2>/dev/null) && $PY "$ENV" extract "$W/msgs/envelope2.eml" -o "$W/msgs/message2.html" 2>/dev/null || P2=
    for kind in good viewer tampered foreign; do
        RT=$(tok "reply-$kind")
        extra=()
        case $kind in
            tampered) extra=(--tamper) ;;
            foreign) extra=(--reply-key-from "$W/msgs/message2.html" --other-passcode "$P2") ;;
        esac
        if [ "$kind" = foreign ] && [ -z "$P2" ]; then notok "4 secure reply ($kind)" "the second envelope did not arrive"; continue; fi
        if [ "$kind" = viewer ]; then
            # The block the viewer itself makes in headless Chromium ("Reply securely").
            if ! $PY "$HERE/../browser/test_viewer.py" --make-reply "$W/msgs/message.html" --passcode "$PASSCODE" \
                    --text "Thanks, the figures look right. $SECRET-reply" --out "$W/msgs/block-$kind.txt" >"$W/out/viewer-reply.log" 2>&1; then
                notok "4 secure reply made by the viewer in Chromium" "$(tail -2 "$W/out/viewer-reply.log")"; continue
            fi
        else
            $PY "$ENV" reply "$W/msgs/message.html" --passcode "$PASSCODE" --message "$W/msgs/reply-inner.eml" "${extra[@]}" > "$W/msgs/block-$kind.txt"
        fi
        { printf 'From: bob@ext.test\nTo: alice@int.test\nSubject: Re: Encrypted message\nMessage-ID: <%s@ext.test>\n\nA secure reply:\n\n' "$RT"; cat "$W/msgs/block-$kind.txt"; } > "$W/msgs/reply-$kind.eml"
        send "reply-$kind" --from bob@ext.test --to alice@int.test --data "@$W/msgs/reply-$kind.eml"
        f=
        for _ in $(seq 1 100); do f=$(pfh_sink_find "$RT" | head -1); [ -n "$f" ] && break; sleep 0.2; done
        if [ -z "$f" ]; then notok "4 secure reply ($kind) through Postfix" "not delivered: $(grep -E '^<\*\*' "$W/out/reply-$kind" | head -2 | tr '\n' ' ')"; continue; fi
        pfh_sink_message "$f" > "$W/msgs/reply-$kind.delivered"
        D=$W/msgs/reply-$kind.delivered
        if [ "$kind" = good ] || [ "$kind" = viewer ]; then
            # The milter decrypted it: marked, the reply's text in place of the block.
            if ! grep -q '^X-Sealmilter-Decrypted: envelope-reply' "$D"; then
                notok "4 secure reply through Postfix arrives decrypted" "no X-Sealmilter-Decrypted field: $(grep -i '^X-Sealmilter' "$D" | tr '\n' ' ')"
            elif grep -q 'BEGIN SEALMILTER SECURE REPLY' "$D" || ! grep -qF "$SECRET-reply" "$D"; then
                notok "4 secure reply through Postfix arrives decrypted" "the delivered body is not the decrypted reply"
            elif ! grep -q "^From: bob@ext.test" "$D" || ! grep -q "^Message-ID: <$RT@ext.test>" "$D"; then
                notok "4 secure reply through Postfix arrives decrypted" "outer fields not kept"
            elif ! grep -q '^X-E2E-Reply-Scanned:' "$D"; then
                notok "4 secure reply through Postfix arrives decrypted" "decrypted, but the body rule did not see the decrypted text"
            else
                ok "4 secure reply ($kind) through Postfix arrives decrypted for the internal sender (X-Sealmilter-Decrypted: envelope-reply; a body rule matched the decrypted text)"
            fi
            if [ "$kind" = viewer ]; then continue; fi
            # Offline, the block as sent opens with sealctl too.
            if "$SEALCTL" envelope open --key "$W/keys/envelope-recovery.pem" --reply-secret "$W/keys/envelope-reply.secret" \
                    "$W/msgs/reply-$kind.eml" -o "$W/msgs/reply-$kind.opened" 2>"$W/out/reply-$kind.err" &&
               cmp -s "$W/msgs/reply-$kind.opened" "$W/msgs/reply-inner.eml"; then
                ok "4 sealctl envelope open --reply-secret decrypts the block to the reply as written"
            else
                notok "4 sealctl envelope open --reply-secret decrypts the block" "$(cat "$W/out/reply-$kind.err")"
            fi
        else
            if grep -q '^X-Sealmilter-Decrypted' "$D"; then
                notok "4 secure reply ($kind) flagged, not decrypted" "it was decrypted"
            elif grep -q '^X-E2E-Reply-Scanned:' "$D"; then
                notok "4 secure reply ($kind) flagged, not decrypted" "the rules saw decrypted text"
            elif ! grep -q '^X-Sealmilter-Envelope-Reply: invalid' "$D" || ! grep -q 'BEGIN SEALMILTER SECURE REPLY' "$D"; then
                notok "4 secure reply ($kind) flagged, not decrypted" "not flagged or not delivered as it came: $(grep -i '^X-Sealmilter' "$D" | tr '\n' ' ')"
            elif "$SEALCTL" envelope open --key "$W/keys/envelope-recovery.pem" --reply-secret "$W/keys/envelope-reply.secret" "$D" -o /dev/null 2>/dev/null; then
                notok "4 secure reply ($kind) flagged, not decrypted" "sealctl envelope open accepted it"
            else
                ok "4 secure reply ($kind) flagged, delivered as it came: $(sed -n 's/^X-Sealmilter-Envelope-Reply: //p' "$D")"
            fi
        fi
    done
fi

# --- 5. fail closed: the passcode message cannot be submitted ------------------------------
pfh_submission off
T5=$(tok failclosed)
printf 'From: alice@int.test\nTo: dave@ext.test\nSubject: E2E-SECURE fail closed\nMessage-ID: <%s@int.test>\n\n%s must never arrive.\n' "$T5" "$SECRET-5" > "$W/msgs/f.eml"
send fail --from alice@int.test --to dave@ext.test --data "@$W/msgs/f.eml"
reply=$(data_reply fail)
sleep 1
if [[ "$reply" == 451* ]] && [ -z "$(queued_id fail)" ] && [ -z "$(pfh_sink_find "$T5")" ]; then
    ok "5 fail closed: submission listener down, the message is tempfailed ($reply), nothing delivered"
else
    notok "5 fail closed" "reply '$reply', queued '$(queued_id fail)', in sink: $(pfh_sink_find "$T5" | wc -l)"
fi
pfh_submission on
if ! grep -q "rules=e2e-encrypt-outside" "$W/log/daemon.log" 2>/dev/null || [ ! -s "$W/log/maillog" ]; then
    notok "logs hold no passcode" "the daemon log or the mail log is missing"
elif [ -z "${PASSCODE:-}" ] || grep -qF -e "$PASSCODE" -e "$(echo "$PASSCODE" | tr -d -)" "$W/log/daemon.log" "$W/log/maillog"; then
    notok "logs hold no passcode" "no passcode to look for, or it appears in the daemon or mail log"
else
    ok "logs hold no passcode (daemon log and mail log searched)"
fi

# --- 6. sealctl envelope open takes a page for a page even when its text holds
# something shaped like a secure reply block (a viewer's script may).
printf 'From: a@int.test\nTo: b@ext.test\nSubject: page\n\npage text\n' > "$W/msgs/page.eml"
if "$SEALCTL" envelope seal --passcode ABCDE-FGHJK-LMNPQ-RSTUV --output "$W/out/page.html" "$W/msgs/page.eml" 2>/dev/null; then
    sed -i 's|</body>|<!-- -----BEGIN SEALMILTER SECURE REPLY-----\nAAAA\n-----END SEALMILTER SECURE REPLY----- -->\n</body>|' "$W/out/page.html"
    if out=$("$SEALCTL" envelope open --passcode ABCDE-FGHJK-LMNPQ-RSTUV "$W/out/page.html" 2>&1) && [ "$out" = "$(cat "$W/msgs/page.eml")" ]; then
        ok "6 sealctl envelope open: a page holding reply-shaped text opens as a page"
    else
        notok "6 sealctl envelope open of a page with reply-shaped text" "${out:0:200}"
    fi
else
    notok "6 sealctl envelope seal" "failed"
fi

summary
