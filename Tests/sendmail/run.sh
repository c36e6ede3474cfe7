#!/usr/bin/env bash
# Tests/sendmail/run.sh DAEMON SEALCTL — the end-to-end cases of Tests/e2e/run.sh,
# behind a private Sendmail instead of Postfix (see docs/e2e.md, "Sendmail").
# Builds nothing. Run as root, on a machine where Postfix stays installed:
# Sendmail's Debian packages are unpacked into the work directory, not installed.
#
#   DAEMON   path to sealmilterd, or "none": Sendmail without the filter, to check
#            the harness (cases b-g, the TLS macros, i and m must then fail)
#   SEALCTL  path to sealctl (check-config of the test policy; may be "none")
#
# Environment: SMH_SMTP_PORT / SMH_SINK_PORT / SMH_MILTER_PORT (default: free ports),
# SMH_DEBS (a directory with the sendmail-bin, -base, -cf .debs; default: apt-get
# download), E2E_KEEP=1 keeps the work directory, E2E_ONLY="a c" runs only those cases.
# Prints "ok - name" / "not ok - name: reason" per case, then "N passed, M failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
DAEMON=${1:?usage: run.sh DAEMON SEALCTL|none}
SEALCTL=${2:-none}
POLICY_SRC=$HERE/../e2e/policy.yaml

. "$HERE/sendmail-harness.sh"
. "$HERE/../e2e/e2e-lib.sh" # ok/notok, want, send, tok, data_reply, simple_msg, make_material, bail, stop_daemon, case_b..f

for f in "$POLICY_SRC" "$E2E"; do
    [ -e "$f" ] || bail setup "input missing: $f"
done
if [ "$DAEMON" = none ]; then export SMH_MILTER=none
else
    [ -e "$DAEMON" ] || bail setup "input missing: $DAEMON"
    [ -x "$DAEMON" ] || bail setup "not executable: $DAEMON"
fi

start_daemon() {
    [ "$DAEMON" = none ] && return 0
    # inet socket: Sendmail connects over loopback TCP, as with the package default.
    ( exec "$DAEMON" --socket "inet:$SMH_MILTER_PORT@127.0.0.1" --policy "$POLICY" --foreground --user nobody ) \
        >>"$W/log/daemon.log" 2>&1 &
    DAEMON_PID=$!
    local i
    for i in $(seq 1 300); do
        if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
            note "daemon exited at start; its log:"; sed 's/^/#   /' "$W/log/daemon.log" | tail -20
            DAEMON_PID=; return 1
        fi
        pfh_port_busy "$SMH_MILTER_PORT" && return 0
        sleep 0.1
    done
    note "daemon did not listen on $SMH_MILTER_PORT within 30 s"; return 1
}

DAEMON_PID=
TRACE_PID=
cleanup() {
    stop_daemon
    [ -n "$TRACE_PID" ] && kill "$TRACE_PID" 2>/dev/null && wait "$TRACE_PID" 2>/dev/null
    [ -n "${E2E_KEEP:-}" ] && SMH_KEEP=1 && echo "# kept $SMH_DIR" >&2
    smh_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

smh_init || bail setup "work directory or certificates"
W=$SMH_DIR
E2E_SMTP_PORT=$SMH_SMTP_PORT
mkdir -p "$W/msgs" "$W/out"
: > "$W/log/daemon.log"
POLICY=$W/policy.yaml
cp "$POLICY_SRC" "$POLICY"
chmod 644 "$POLICY"
smh_fetch || bail setup "Sendmail packages (see above)"
smh_write_config || bail setup "Sendmail configuration (see above)"


# Sendmail: "250 2.0.0 6AU7ZMg7029116 Message accepted for delivery"
queued_id() { sed -n 's/^<[-~]  *250 2\.0\.0 \([0-9A-Za-z]*\) Message accepted.*/\1/p' "$W/out/$1" | tail -1; }
# delivered NAME TOKEN — waits until message NAME left the queue and reached the
# sink; sets DELIVERED to the message as the sink received it.
delivered() {
    local name=$1 token=$2 qid f i
    DELIVERED=; WHY=
    qid=$(queued_id "$name")
    if [ -z "$qid" ]; then WHY="not queued: $(grep -E '^<\*\*|^\*\*\*' "$W/out/$name" | head -3 | tr '\n' ' ')"; return 1; fi
    for i in $(seq 1 150); do
        f=$(pfh_sink_find "$token" | head -1)
        [ -n "$f" ] && ! smh_queued "$qid" && break
        sleep 0.1
    done
    if [ -z "$f" ]; then WHY="queued as $qid but not delivered: $(smh_mailq | grep -A1 "^$qid" | tr -s ' \n' ' ')"; return 1; fi
    sleep 0.2 # the sink writes the dump while answering
    pfh_sink_message "$f" > "$W/msgs/$name.delivered"
    DELIVERED=$W/msgs/$name.delivered
}
# milter_saw NAME — the daemon's log names the queue ID of message NAME.
milter_saw() { [ "$DAEMON" = none ] && return 0; local q; q=$(queued_id "$1"); [ -n "$q" ] && grep -q "$q" "$W/log/daemon.log" 2>/dev/null; }

# ---------------------------------------------------------------------------
note "work directory $W; Sendmail $SMH_VERSION ($(tr '\n' ' ' < "$W/log/packages")); ports smtp $SMH_SMTP_PORT, sink $PFH_SINK_PORT, milter $SMH_MILTER_PORT"
if [ "$SEALCTL" != none ] && [ -x "$SEALCTL" ]; then
    r=$("$SEALCTL" check-config "$POLICY" 2>&1 | head -3 | tr '\n' ' '); note "sealctl check-config (exit ${PIPESTATUS[0]}): $r"
fi

if [ "$DAEMON" = none ]; then note "no daemon: Sendmail alone (harness check); milter cases will fail"
else start_daemon || note "daemon not running; every message will be tempfailed"; fi
smh_start || bail setup "Sendmail did not start (see above)"

# Test material (Tests/e2e/e2e-lib.sh, as with Postfix) ----------------------------
make_material

# (a) pass-through ---------------------------------------------------------------
if want a; then
    send a --from alice@ext.test --to bob@int.test --data "@$W/msgs/a.eml"
    if ! delivered a "$T_A"; then notok "a pass-through untouched" "$WHY"
    elif ! r=$($PY "$E2E" split "$W/msgs/a.eml" "$DELIVERED"); then notok "a pass-through untouched" "$r"
    elif ! milter_saw a; then notok "a pass-through untouched" "delivered unchanged, but the daemon log never mentions $(queued_id a)"
    else ok "a pass-through untouched (body byte-identical, header fields kept, only Sendmail's Received: added)"; fi
fi

# (b) S/MIME enveloped, (c) forged X-Sealmilter-* stripped, (d) encrypted zip removed:
# Tests/e2e/e2e-lib.sh, as with Postfix
case_b; case_c; case_d

# (e) reject and tempfail, (f) one recipient rejected at RCPT: Tests/e2e/e2e-lib.sh
case_e; case_f

# (g) quarantine → Sendmail's quarantine (hf file, mailq -qQ) ------------------------------
if want g; then
    T=$(tok quarantine); simple_msg "$W/msgs/g.eml" "$T" "E2E-QUARANTINE please"
    send g --from eve@ext.test --to bob@int.test --data "@$W/msgs/g.eml"
    qid=$(queued_id g)
    if [ -z "$qid" ]; then notok "g quarantine" "not accepted: $(grep -E '^<\*\*' "$W/out/g" | tail -1)"
    else
        held=
        for i in $(seq 1 50); do smh_quarantined "$qid" && { held=1; break; }; sleep 0.1; done
        sleep 1 # a delivery would have happened by now (background mode)
        qq=$(smh_mailq -qQ)
        if [ -z "$held" ]; then notok "g quarantine" "$qid has no hf (quarantined) queue file: $(ls "$W/queue" | tr '\n' ' ')"
        elif [ -n "$(pfh_sink_find "$T")" ]; then notok "g quarantine" "$qid quarantined but also delivered"
        elif ! grep -q "^$qid" <<<"$qq" || ! grep -q 'QUARANTINE: e2e quarantine rule' <<<"$qq"; then
            notok "g quarantine" "mailq -qQ does not list $qid with the reason: $(tr -s ' \n' ' ' <<<"$qq")"
        elif grep -q "^$qid" <<<"$(smh_mailq)"; then notok "g quarantine" "$qid is in the normal queue too"
        else
            ok "g quarantine ($qid in Sendmail's quarantine: mailq -qQ shows '$(grep -o 'QUARANTINE: .*' <<<"$qq" | head -1)')"
            # released by the operator (-Q without a reason, for the quarantined item -qQ -qI select),
            # the next queue run (-q5s) delivers it
            smh_sm -C "$W/etc/sendmail.cf" -qQ -qI"$qid" -Q >"$W/out/g.release" 2>&1
            for i in $(seq 1 150); do [ -n "$(pfh_sink_find "$T")" ] && break; sleep 0.1; done
            if [ -n "$(pfh_sink_find "$T")" ] && ! smh_quarantined "$qid"; then ok "g released from the quarantine (sendmail -qQ -qI$qid -Q) and delivered"
            else notok "g release" "after sendmail -qQ -qI$qid -Q ($(tr '\n' ' ' < "$W/out/g.release")): $(smh_mailq -qQ | tr -s ' \n' ' ')"; fi
        fi
    fi
fi

# (h) STARTTLS ----------------------------------------------------------------------------------
if want h; then
    # With a Date: field: Sendmail adds one to a message without it (the Postfix
    # instance is set up not to), which the byte-for-byte check would count.
    T_H=$(tok tls); simple_msg "$W/msgs/h.eml" "$T_H" "e2e over TLS"
    sed -i '1i Date: Mon, 23 Nov 2026 04:00:00 +0000' "$W/msgs/h.eml"
    send h --tls --from eve@ext.test --to bob@int.test --data "@$W/msgs/h.eml"
    if ! grep -q 'TLS started' "$W/out/h"; then notok "h STARTTLS" "TLS not started: $(grep -E '^\*\*\*' "$W/out/h" | head -2 | tr '\n' ' ')"
    elif ! delivered h "$T_H"; then notok "h STARTTLS" "$WHY"
    elif ! grep -q '(version=TLSv1' "$DELIVERED"; then notok "h STARTTLS" "Received field does not record TLS"
    elif ! r=$($PY "$E2E" split "$W/msgs/h.eml" "$DELIVERED"); then notok "h STARTTLS" "$r"
    elif ! milter_saw h; then notok "h STARTTLS" "delivered, but the daemon log never mentions $(queued_id h)"
    else
        ok "h STARTTLS delivery$([ "$DAEMON" != none ] && echo ' through the milter') ($(grep -o 'version=TLSv1[^ ]* cipher=[^ ]*' "$DELIVERED" | head -1))"
        # policy.yaml asks for every macro (milter: {macros: all}): the decision line
        # for this queue ID carries the TLS version and cipher Sendmail passed.
        hq=$(queued_id h)
        hl=$(grep -E "$hq" "$W/log/daemon.log" | grep -E 'tls=TLSv1\.[23]' | head -1)
        if [ -n "$hl" ]; then ok "h TLS macros reach the daemon (its log line: ${hl#*$hq})"
        else notok "h TLS macros reach the daemon" "no line for $hq with tls=TLSv1.x in the daemon log: $(grep -E "$hq" "$W/log/daemon.log" | head -2)"; fi
    fi
fi

# (n) two messages in one SMTP session: Sendmail's i differs per transaction (and
# it sends one at CONNECT/HELO already); each decision line must carry its own.
if want n; then
    T_N1=$(tok session1); T_N2=$(tok session2)
    simple_msg "$W/msgs/n1.eml" "$T_N1" "e2e first of two"; simple_msg "$W/msgs/n2.eml" "$T_N2" "e2e second of two"
    $PY - "$SMH_SMTP_PORT" "$W/msgs/n1.eml" "$W/msgs/n2.eml" > "$W/out/n" 2>&1 <<'PYEOF'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.e2e.test", timeout=30)
for path in sys.argv[2:]:
    s.mail("eve@ext.test"); s.rcpt("bob@int.test")
    code, text = s.data(open(path).read())  # str: smtplib sends CRLF line ends
    print(code, text.decode())
s.quit()
PYEOF
    ids=$(sed -n 's/^250 2\.0\.0 \([0-9A-Za-z]*\) Message accepted.*/\1/p' "$W/out/n" | tr '\n' ' ')
    read -r n1 n2 _ <<<"$ids"
    if [ -z "$n1" ] || [ -z "$n2" ] || [ "$n1" = "$n2" ]; then notok "n two messages in one session" "queue IDs '$ids': $(tr '\n' ' ' < "$W/out/n")"
    elif ! grep -q ": $n1: action=accept" "$W/log/daemon.log" || ! grep -q ": $n2: action=accept" "$W/log/daemon.log"; then
        notok "n two messages in one session" "the daemon log lacks a decision line for $n1 or $n2: $(tail -3 "$W/log/daemon.log" | tr '\n' ' ')"
    else
        for i in $(seq 1 150); do [ -n "$(pfh_sink_find "$T_N1")" ] && [ -n "$(pfh_sink_find "$T_N2")" ] && break; sleep 0.1; done
        if [ -z "$(pfh_sink_find "$T_N1")" ] || [ -z "$(pfh_sink_find "$T_N2")" ]; then notok "n two messages in one session" "not both delivered"
        else ok "n two messages in one session: each decision line has its own queue ID ($n1, $n2), both delivered"; fi
    fi
fi

# (i) SIGKILL mid-transaction, retry, delivered exactly once (F=T) ----------------------------
if want i; then
    T_I=$(tok kill); simple_msg "$W/msgs/i.eml" "$T_I" "e2e kill test"
    for n in $(seq 1 40); do echo "body line $n of the kill test" >> "$W/msgs/i.eml"; done
    rm -f "$W/i.ready" "$W/i.go"
    $PY "$E2E" slowsmtp "$SMH_SMTP_PORT" eve@ext.test bob@int.test "$W/msgs/i.eml" "$W/i.ready" "$W/i.go" > "$W/out/i1" 2>&1 &
    cpid=$!
    for n in $(seq 1 100); do [ -e "$W/i.ready" ] && break; sleep 0.1; done
    killed=
    if [ -n "$DAEMON_PID" ] && kill -9 "$DAEMON_PID" 2>/dev/null; then wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=; killed=1; fi
    touch "$W/i.go"; wait "$cpid"
    first=$(tail -1 "$W/out/i1")
    # while the daemon is down, the client tries again: refused with 4xx, it keeps the message
    send i1b --from eve@ext.test --to bob@int.test --data "@$W/msgs/i.eml"
    down=$(grep -E '^<\*\* +[0-9]{3} ' "$W/out/i1b" | head -1 | sed 's/^<\*\* *//')
    start_daemon || true
    send i2 --from eve@ext.test --to bob@int.test --data "@$W/msgs/i.eml"
    if [ -z "$killed" ]; then notok "i SIGKILL mid-transaction" "no daemon to kill"
    elif [[ "$first" != 4* ]]; then notok "i SIGKILL mid-transaction" "expected a 4xx after the kill, got '$first'"
    elif [[ "$down" != 4* ]] || [ -n "$(queued_id i1b)" ]; then notok "i SIGKILL mid-transaction" "with the daemon down expected 4xx and nothing queued, got '$down' $(queued_id i1b)"
    elif ! delivered i2 "$T_I"; then notok "i SIGKILL mid-transaction" "retry after restart: $WHY"
    elif ! milter_saw i2; then notok "i SIGKILL mid-transaction" "retry delivered, but the restarted daemon never saw $(queued_id i2)"
    else
        sleep 2
        n=$(pfh_sink_find "$T_I" | wc -l)
        if [ "$n" = 1 ]; then ok "i SIGKILL mid-transaction (client got '$first'; daemon down: '$down'; retry after restart delivered exactly once)"
        else notok "i SIGKILL mid-transaction" "delivered $n times"; fi
    fi
fi

# (r) Authentication-Results inserted at the top (SMFIR_INSHEADER): with inbound S/MIME
# on, a signed message over max_size gets "smime=temperror"; the engine inserts it
# at smfi_insheader index 1, which Sendmail counts from its own Received field (not
# passed to milters): ours must be the second field, right below Sendmail's Received
# of this hop, above every field that arrived; the forged one for our authserv-id gone.
if want r; then
    stop_daemon
    POLICY_MAIN=$POLICY; POLICY=$W/policy-ar.yaml
    { cat "$POLICY_MAIN"; printf 'smime:\n  inbound: {authserv_id: mx.sendmail.e2e, harvest: false, max_size: 1024}\n'; } > "$POLICY"
    chmod 644 "$POLICY"
    start_daemon || note "daemon with $POLICY did not start"
    T_R=$(tok arinsert)  # LF line ends, as the other cases' files: swaks sends CRLF
    { printf 'From: Alice <alice@ext.test>\nTo: bob@int.test\nSubject: e2e signed %s\nDate: %s\n' "$T_R" "$(date -R)"
      printf 'Authentication-Results: mx.sendmail.e2e; smime=pass (forged by the sender)\nAuthentication-Results: other.e2e.test; spf=pass\n'
      printf 'MIME-Version: 1.0\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="r-b"\n\n'
      printf -- '--r-b\nContent-Type: text/plain\n\n'
      for n in $(seq 1 60); do printf 'signed text line %s, over inbound.max_size\n' "$n"; done
      printf -- '--r-b\nContent-Type: application/pkcs7-signature\nContent-Transfer-Encoding: base64\n\nMIIB\n--r-b--\n'; } > "$W/msgs/r.eml"
    send r --from alice@ext.test --to bob@int.test --data "@$W/msgs/r.eml"
    rq=$(queued_id r)
    if ! delivered r "$T_R"; then notok "r Authentication-Results at the top" "$WHY"
    else
        rh=$(tr -d '\r' < "$DELIVERED" | sed '/^$/q' | sed -e ':a' -e '$!N;s/\n[ \t]\+/ /;ta' -e 'P;D')
        r1=$(sed -n 1p <<<"$rh"); r2=$(sed -n 2p <<<"$rh")
        n_from=$(grep -n -m1 '^From:' <<<"$rh" | cut -d: -f1); n_other=$(grep -n -m1 '^Authentication-Results: other.e2e.test' <<<"$rh" | cut -d: -f1)
        if [[ "$r1" == "Received: "*" with ESMTP id $rq"* ]] && [[ "$r2" == "Authentication-Results: mx.sendmail.e2e; smime=temperror"* ]] \
           && ! grep -q "forged by the sender" <<<"$rh" && [ -n "$n_other" ] && [ "$n_from" -gt 2 ] && [ "$n_other" -gt 2 ]; then
            ok "r Authentication-Results inserted at the top (line 2, below Sendmail's own Received id $rq; From line $n_from, the other result $n_other; the forged one removed)"
        else notok "r Authentication-Results at the top" "first fields: $(head -3 <<<"$rh" | cut -c1-100 | tr '\n' '|') From $n_from other ${n_other:-none}; $(grep -F "$rq" "$W/log/daemon.log" | tail -1)"; fi
    fi
    stop_daemon
    POLICY=$POLICY_MAIN
    start_daemon || note "daemon with $POLICY did not restart"
fi

# (m) Sendmail's own default macro lists: the daemon names the macros it wants
# (SMFIF_SETSYMLIST, milter protocol 6), so its queue ID and TLS macros still come,
# although Sendmail's default lists have no {tls_version} at MAIL and no i at EOM.
# The milter connection goes through milter-trace.py, which records the macros
# Sendmail sends at each stage.
if want m; then
    smh_stop
    TRACE=$W/log/milter-trace.log; TRACE_PORT=$(smh_free_port)
    ( exec $PY "$HERE/milter-trace.py" "$TRACE_PORT" "$SMH_MILTER_PORT" "$TRACE" ) >"$W/log/milter-trace.err" 2>&1 &
    TRACE_PID=$!
    pfh_wait_port "$TRACE_PORT" || note "milter-trace.py did not start: $(cat "$W/log/milter-trace.err")"
    if ! SMH_CF_MACROS=default SMH_MILTER_PORT=$TRACE_PORT smh_write_config || ! smh_start; then notok "m default macro lists" "Sendmail did not restart"
    elif grep -q '^O Milter.macros.envfrom=.*tls_version' "$W/etc/sendmail.cf" ||
         grep -q '^O Milter.macros.eom=.*\bi\b' "$W/etc/sendmail.cf"; then
        notok "m default macro lists" "the .cf is not Sendmail's default: $(grep '^O Milter.macros' "$W/etc/sendmail.cf" | tr '\n' ' ')"
    else
        [ -n "$DAEMON_PID" ] || start_daemon || true
        T_M=$(tok macros); simple_msg "$W/msgs/m.eml" "$T_M" "e2e default macro lists"
        sed -i '1i Date: Mon, 23 Nov 2026 04:00:00 +0000' "$W/msgs/m.eml"
        send m --tls --from eve@ext.test --to bob@int.test --data "@$W/msgs/m.eml"
        mq=$(queued_id m)
        if ! delivered m "$T_M"; then notok "m default macro lists" "$WHY"
        elif ! ml=$(grep -E "^[^ ]* sealmilter\[[0-9]+\]: $mq: action=accept .*tls=TLSv1\.[23]" "$W/log/daemon.log"); then
            notok "m default macro lists" "no decision line '$mq: ... tls=TLSv1.x' in the daemon log: $(grep -F "$mq" "$W/log/daemon.log" | head -2)"
        else
            ok "m Sendmail's default macro lists: the daemon's own lists still bring the queue ID and TLS macros (${ml#*: })"
            # On the wire: at MAIL, Sendmail sent the names the daemon asked for
            # (those that have a value), none of its own list; at end of message, i.
            asked=$(grep -m1 '^FILTER negotiate' "$TRACE" | sed 's/.*lists=//' | tr ';' '\n' | sed -n 's/^M://p' | tr ' ' '\n' | sort -u)
            sent=$(grep "^MTA macros M: .*i=$mq" "$TRACE" | tail -1 | sed 's/^MTA macros M: //' | tr ' ' '\n' |
                   sed -n 's/^\([a-z_]\|{[a-z_]*}\)=.*/\1/p' | sort -u)
            extra=$(comm -13 <(echo "$asked") <(echo "$sent") | tr '\n' ' ')
            if [ -z "$asked" ] || [ -z "$sent" ]; then notok "m macros on the wire" "no negotiation or no MAIL macros for $mq in the trace: $(head -c 600 "$TRACE" | tr '\n' '|')"
            elif [ -n "$extra" ]; then notok "m macros on the wire" "at MAIL Sendmail sent names the daemon did not ask for: $extra"
            elif ! grep -qx 'i' <<<"$sent" || ! grep -qx '{tls_version}' <<<"$sent"; then notok "m macros on the wire" "i or {tls_version} missing at MAIL: $(echo $sent)"
            elif ! grep -q "^MTA macros E: .*i=$mq" "$TRACE"; then notok "m macros on the wire" "no i=$mq with the end of message"
            else ok "m macros on the wire: at MAIL Sendmail sent $(echo $sent) (asked: $(echo $asked)); at end of message i=$mq"; fi
        fi
    fi
fi

# nothing else may be stuck: everything not quarantined has left the queue
for i in $(seq 1 50); do
    left=$(find "$W/queue" -name 'qf*' -type f 2>/dev/null)
    [ -z "$left" ] && break
    sleep 0.1
done
if [ -n "$left" ]; then note "messages still queued (not quarantined):"; smh_mailq | sed 's/^/#   /'; fi
[ -n "$DAEMON_PID" ] && ! kill -0 "$DAEMON_PID" 2>/dev/null && note "the daemon died during the run; log tail:" && tail -5 "$W/log/daemon.log" | sed 's/^/#   /'

summary
