# Tests/e2e/e2e-lib.sh — what the end-to-end scripts share, whatever the MTA
# (Tests/e2e/run.sh with Postfix, Tests/sendmail/run.sh with Sendmail): sending
# with swaks, tokens, and the test messages. Sourced; the caller sets
#   W              the work directory (messages in $W/msgs, swaks output in $W/out,
#                  certificates in $W/tls)
#   E2E_SMTP_PORT  the MTA's SMTP port on 127.0.0.1
#   PY, E2E        python3 and Tests/e2e/e2e.py

# send NAME SWAKS-ARGS... — runs swaks against the MTA, output in $W/out/NAME.
# A data file is handed over without its last newline: swaks ends the data with
# CRLF "." CRLF itself, so the message arrives exactly as the file is.
send() {
    local name=$1 a args=(); shift
    for a in "$@"; do
        if [[ "$a" == @* ]]; then head -c -1 "${a#@}" > "$W/out/$name.data"; a="@$W/out/$name.data"; fi
        args+=("$a")
    done
    set -- "${args[@]}"
    swaks --server 127.0.0.1 --port "$E2E_SMTP_PORT" --ehlo client.e2e.test --timeout 30 \
        "$@" >"$W/out/$name" 2>&1
}
tok() { echo "e2e-$1-$$-$RANDOM$RANDOM"; }
# data_reply NAME — the server's reply to the end of data ("." line) in swaks output NAME.
data_reply() { awk '/^ [-~]> \.$/ { getline; sub(/^<[-~*]+ +/, ""); print; exit }' "$W/out/$1"; }

simple_msg() {  # simple_msg FILE TOKEN SUBJECT
    printf 'From: eve@ext.test\nTo: bob@int.test\nSubject: %s\nMessage-ID: <%s@e2e.test>\n\nHello.\n' "$3" "$2" > "$1"
}

# make_material — the messages of cases a–d in $W/msgs (a, b, c, d, d2 .eml), their
# tokens in T_A, T_B, T_C, T_D, T_D2. Failures of openssl or zip are noted (the
# cases that need them then fail, naming the missing part).
make_material() {
    T_A=$(tok pass); $PY "$E2E" passthrough "$W/msgs/a.eml" "$T_A"
    T_C=$(tok forged); $PY "$E2E" forged "$W/msgs/c.eml" "$T_C"

    # S/MIME enveloped-data: a recipient certificate and `openssl cms -encrypt`.
    T_B=$(tok smime)
    (
        cd "$W/tls" &&
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout rcpt.key -out rcpt.pem \
            -subj "/CN=bob@int.test" -addext "subjectAltName=email:bob@int.test" &&
        printf 'Content-Type: text/plain\n\nThe secret plan.\n' > inner.txt &&
        openssl cms -encrypt -in inner.txt -recip rcpt.pem -aes256 \
            -from dave@ext.test -to bob@int.test -subject "e2e smime enveloped" > smime.raw
    ) >"$W/log/smime.log" 2>&1 || echo "# openssl cms failed: $(tail -2 "$W/log/smime.log")"
    { printf 'Message-ID: <%s@e2e.test>\n' "$T_B"; tr -d '\r' < "$W/tls/smime.raw"; } > "$W/msgs/b.eml"

    # An encrypted zip (zip -e -P x) inside multipart/mixed.
    T_D=$(tok zip)
    (
        cd "$W/msgs" && printf 'quarterly figures: 1 2 3\n' > report.txt &&
        zip -q -e -P x secret.zip report.txt
    ) || echo "# zip failed"
    $PY "$E2E" zipmsg "$W/msgs/d.eml" "$T_D" "$W/msgs/secret.zip"
    # The same with a 6 MB attachment beside the zip: the rewritten body is spooled to
    # a file (spool.memory_limit, 1M by default) and handed to the MTA in chunks.
    T_D2=$(tok bigzip)
    $PY "$E2E" zipmsg "$W/msgs/d2.eml" "$T_D2" "$W/msgs/secret.zip" 6000000
}
