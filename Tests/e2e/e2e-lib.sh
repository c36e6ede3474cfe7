# Tests/e2e/e2e-lib.sh — what the end-to-end scripts share, whatever the MTA
# (Tests/e2e/run.sh with Postfix, Tests/sendmail/run.sh with Sendmail): sending
# with swaks, tokens, the test messages, the counts of results, the cases b–f both
# MTAs run alike, and for the scripts on one private Postfix the daemon's start and
# stop. Sourced; the caller sets
#   W              the work directory (messages in $W/msgs, swaks output in $W/out,
#                  certificates in $W/tls)
#   E2E_SMTP_PORT  the MTA's SMTP port on 127.0.0.1
# and this file sets
#   PY, E2E        python3 ($PYTHON, else python3) and Tests/e2e/e2e.py
# Sourcing also starts the counts of ok/notok (PASS, FAIL). The scripts on one
# private Postfix (Tests/e2e/*.sh) use the rest as well: e2e_harness_init,
# start_daemon / stop_daemon, wait_socket, bail and summary; the S/MIME ones
# gpgsm_home.

PY=${PYTHON:-python3}
E2E=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/e2e.py

# --- results: one line a check, then "N passed, M failed" -------------------------
PASS=0; FAIL=0
# ok NAME — a check passed.
ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
# notok NAME WHY — a check failed.
notok() { FAIL=$((FAIL + 1)); echo "not ok - $1: $2"; }
# note TEXT... — a comment line ("# ...") in the output.
note() { echo "# $*"; }
# summary — the last line, "N passed, M failed"; true only when nothing failed.
summary() { echo "$PASS passed, $FAIL failed"; [ "$FAIL" = 0 ]; }
# bail [NAME WHY] — a setup step failed and the script cannot go on: counts it
# (as "not ok - NAME: WHY" when named; the caller has said why otherwise),
# prints the summary and exits 1.
bail() {
    if [ $# -gt 0 ]; then notok "$1" "$2"; else FAIL=$((FAIL + 1)); fi
    echo "$PASS passed, $FAIL failed"; exit 1
}

# --- one private Postfix (postfix-harness.sh, sourced by the caller) and the daemon --
# e2e_harness_init — the start of a script on one harness instance: the EXIT trap
# runs `cleanup` (the script's own when it defines one before this call, else
# e2e_cleanup), INT/TERM exit 130; pfh_init makes the instance (or bail). Sets
# W (= PFH_DIR, with msgs/ and out/), SOCK (the daemon's socket in it),
# E2E_SMTP_PORT (the instance's SMTP port) and DAEMON_PID (empty).
e2e_harness_init() {
    DAEMON_PID=
    declare -F cleanup >/dev/null || cleanup() { e2e_cleanup; }
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    pfh_init || bail
    W=$PFH_DIR
    mkdir -p "$W/msgs" "$W/out"
    SOCK=$W/run/sealmilter.sock
    E2E_SMTP_PORT=$PFH_SMTP_PORT
}
# e2e_cleanup — stops the daemon and takes the instance down; E2E_KEEP=1 keeps
# its directory (and says where).
e2e_cleanup() {
    stop_daemon
    [ -n "${E2E_KEEP:-}" ] && PFH_KEEP=1 && echo "# kept $PFH_DIR" >&2
    pfh_cleanup
}
# wait_socket PID SOCKET LOG — waits (30 s at most) until the daemon PID accepts a
# connection on the unix SOCKET. Returns 1 with a note (the tail of its LOG) when
# the daemon exits first, or when the socket stays shut.
wait_socket() {
    local pid=$1 sock=$2 log=$3 i
    for i in $(seq 1 300); do
        if ! kill -0 "$pid" 2>/dev/null; then
            note "daemon exited at start; the end of its log (${log##*/}):"; tail -n 20 "$log" | sed 's/^/#   /'
            return 1
        fi
        [ -S "$sock" ] && $PY "$E2E" unixconnect "$sock" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    note "daemon did not open $sock within 30 s"; return 1
}
# start_daemon — $DAEMON (sealmilterd) in the foreground on unix:$SOCK with $POLICY,
# --user postfix (it makes its socket 0770 for its user and group, and Postfix's
# smtpd must connect), its output appended to $W/log/daemon.log; DAEMON_PID its
# pid. Returns when the socket accepts connections; 1 as wait_socket says (then
# DAEMON_PID is empty if the daemon has exited).
start_daemon() {
    rm -f "$SOCK"
    ( exec "$DAEMON" --socket "unix:$SOCK" --policy "$POLICY" --foreground --user postfix ) >>"$W/log/daemon.log" 2>&1 &
    DAEMON_PID=$!
    wait_socket "$DAEMON_PID" "$SOCK" "$W/log/daemon.log" && return 0
    kill -0 "$DAEMON_PID" 2>/dev/null || DAEMON_PID=
    return 1
}
# queued_id NAME — the queue ID Postfix gave message NAME ("250 ... queued as ID" in
# swaks output NAME); empty when it was not queued.
queued_id() { sed -n 's/^<[-~]  *250 .*queued as \([0-9A-Za-z]*\).*/\1/p' "$W/out/$1" | tail -1; }
# wait_sent NAME — waits (20 s at most) until Postfix has delivered message NAME to the sink.
wait_sent() { local q; q=$(queued_id "$1"); [ -n "$q" ] && pfh_wait_sent "$q" 20; }
# stop_daemon — TERM to DAEMON_PID, 3 s to exit, then KILL; DAEMON_PID empty after.
stop_daemon() {
    [ -n "${DAEMON_PID:-}" ] || return 0
    kill "$DAEMON_PID" 2>/dev/null
    local i
    for i in $(seq 1 30); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$DAEMON_PID" 2>/dev/null; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
}

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

# gpgsm_home CA — GnuPG's gpgsm (an independent S/MIME implementation) for the
# S/MIME scripts: a private GNUPGHOME ($W/gnupg, exported) with no CRL checks and
# loopback pinentry, the test CA imported and trusted; its output in
# $W/log/gpgsm-setup.log (append the script's own imports). GPGSM: the command
# line to run it with (passphrase on standard input).
gpgsm_home() {
    export GNUPGHOME=$W/gnupg; chmod 700 "$GNUPGHOME"
    {
        echo "disable-crl-checks" > "$GNUPGHOME/gpgsm.conf"
        echo "allow-loopback-pinentry" > "$GNUPGHOME/gpg-agent.conf"
        gpgsm --batch --import "$1"
        echo "$(openssl x509 -in "$1" -noout -fingerprint -sha1 | sed 's/.*=//') S relax" >> "$GNUPGHOME/trustlist.txt"
    } >"$W/log/gpgsm-setup.log" 2>&1
    GPGSM=(gpgsm --batch --pinentry-mode loopback --passphrase-fd 0 --disable-crl-checks --disable-policy-checks)
}

# --- the cases both MTAs run alike (Tests/e2e/run.sh, Tests/sendmail/run.sh) ------
# want CASE — whether CASE runs: all of them, or those E2E_ONLY names ("a c").
want() { [ -z "${E2E_ONLY:-}" ] || [[ " $E2E_ONLY " == *" $1 "* ]]; }
# The caller has run make_material (the messages of b and d) and provides
#   delivered NAME TOKEN  waits for message NAME: DELIVERED, the copy the sink got;
#                         WHY, why not (then false)
#   queued_id NAME        the MTA's queue ID of message NAME
#   pfh_sink_find / pfh_sink_rcpts  the sink's copies with a text, their recipients
# and the policy of Tests/e2e/policy.yaml. Each case_X runs when `want X`.

# case_b — (b) S/MIME enveloped: delivered flagged X-Sealmilter-Unscannable: smime-enveloped, body unchanged.
case_b() {
    want b || return 0
    local r
    send b --from dave@ext.test --to bob@int.test --data "@$W/msgs/b.eml"
    if ! delivered b "$T_B"; then notok "b smime-enveloped flagged" "$WHY"
    elif ! r=$($PY "$E2E" header-re "$DELIVERED" '^X-Sealmilter-Unscannable:\s*smime-enveloped\s*$'); then notok "b smime-enveloped flagged" "$r"
    elif ! r=$($PY "$E2E" split "$W/msgs/b.eml" "$DELIVERED" 2>&1) && [[ "$r" == body* ]]; then notok "b smime-enveloped flagged" "flag added but $r"
    else ok "b smime-enveloped flagged (X-Sealmilter-Unscannable: smime-enveloped, body unchanged)"; fi
}

# case_c — (c) forged X-Sealmilter-* header fields stripped (any case, folded), look-alikes and the body kept.
case_c() {
    want c || return 0
    local r r2
    send c --from mallory@ext.test --to bob@int.test --data "@$W/msgs/c.eml"
    if ! delivered c "$T_C"; then notok "c forged X-Sealmilter-* stripped" "$WHY"
    elif ! r=$($PY "$E2E" no-header-re "$DELIVERED" '^x-sealmilter-'); then notok "c forged X-Sealmilter-* stripped" "$r"
    elif grep -q 'folded=continuation' "$DELIVERED"; then notok "c forged X-Sealmilter-* stripped" "a folded continuation line of a removed field is left"
    elif ! r=$($PY "$E2E" header-re "$DELIVERED" '^X-Sealmilterish: not our prefix') ||
         ! r2=$($PY "$E2E" header-re "$DELIVERED" '^X-Other: keep me$'); then notok "c forged X-Sealmilter-* stripped" "removed too much: ${r:-} ${r2:-}"
    elif ! grep -qx 'Body of a message with forged headers.' "$DELIVERED"; then notok "c forged X-Sealmilter-* stripped" "body lost"
    else ok "c forged X-Sealmilter-* stripped (4 fields, any case, folded; look-alike kept)"; fi
}

# case_d — (d) the encrypted zip removed (d), also from an 8 MB message spooled to a file (d2).
case_d() {
    want d || return 0
    local r
    send d --from carol@ext.test --to bob@int.test --data "@$W/msgs/d.eml"
    if ! delivered d "$T_D"; then notok "d encrypted zip removed" "$WHY"
    elif r=$($PY "$E2E" zipcheck "$W/msgs/d.eml" "$DELIVERED"); then ok "d encrypted zip removed (other parts identical, notice part added)"
    else notok "d encrypted zip removed" "$r"; fi
    send d2 --from carol@ext.test --to bob@int.test --data "@$W/msgs/d2.eml"
    if ! delivered d2 "$T_D2"; then notok "d2 encrypted zip removed from an 8 MB message" "$WHY"
    elif r=$($PY "$E2E" zipcheck "$W/msgs/d2.eml" "$DELIVERED"); then
        ok "d2 encrypted zip removed from an 8 MB message (over the 1 MiB spool.memory_limit; the 6 MB attachment arrived identical)"
    else notok "d2 encrypted zip removed from an 8 MB message" "$r"; fi
}

# case_e — (e) reject and tempfail by rules, seen by the client at the end of data.
case_e() {
    want e || return 0
    local T
    T=$(tok reject); simple_msg "$W/msgs/e1.eml" "$T" "E2E-REJECT please"
    send e1 --from eve@ext.test --to bob@int.test --data "@$W/msgs/e1.eml"
    if grep -q '^<\*\* *550 5\.7\.1 .*e2e reject' "$W/out/e1" && [ -z "$(queued_id e1)" ]; then
        ok "e reject: client sees $(grep -m1 '^<\*\* *550' "$W/out/e1" | sed 's/^<\*\* *//')"
    else notok "e reject" "expected '550 5.7.1 ... e2e reject', reply to end of data: '$(data_reply e1)'"; fi
    T=$(tok tempfail); simple_msg "$W/msgs/e2.eml" "$T" "E2E-TEMPFAIL please"
    send e2 --from eve@ext.test --to bob@int.test --data "@$W/msgs/e2.eml"
    if grep -q '^<\*\* *451 4\.7\.1 .*e2e tempfail' "$W/out/e2" && [ -z "$(queued_id e2)" ]; then
        ok "e tempfail: client sees $(grep -m1 '^<\*\* *451' "$W/out/e2" | sed 's/^<\*\* *//')"
    else notok "e tempfail" "expected '451 4.7.1 ... e2e tempfail', reply to end of data: '$(data_reply e2)'"; fi
}

# case_f — (f) one recipient rejected at RCPT, the others delivered.
case_f() {
    want f || return 0
    local T_F rcptline got x
    T_F=$(tok rcpt); simple_msg "$W/msgs/f.eml" "$T_F" "e2e three recipients"
    send f --from eve@ext.test --to "ok1@int.test,blocked@int.test,ok2@int.test" --data "@$W/msgs/f.eml"
    rcptline=$(awk '/^ -> RCPT TO:<blocked@int.test>/ {getline; print; exit}' "$W/out/f")
    if [[ "$rcptline" != *"<** "*5[0-9][0-9]* ]]; then notok "f reject_recipient" "RCPT TO:<blocked@int.test> answered '$rcptline'"
    elif ! delivered f "$T_F"; then notok "f reject_recipient" "blocked refused but $WHY"
    else
        sleep 0.3
        got=$(for x in $(pfh_sink_find "$T_F"); do pfh_sink_rcpts "$x"; done | sed 's/ .*//' | sort | tr '\n' ' ')
        if [ "$got" = "<ok1@int.test> <ok2@int.test> " ]; then ok "f reject_recipient (blocked@ refused at RCPT: ${rcptline#<\*\* }; ok1, ok2 delivered)"
        else notok "f reject_recipient" "sink recipients: $got"; fi
    fi
}
