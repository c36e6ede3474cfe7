#!/usr/bin/env bash
# Tests/e2e/run.sh DAEMON SEALCTL — end-to-end tests of sealmilterd behind a private
# Postfix (see docs/e2e.md). Builds nothing. Run as root.
#
#   DAEMON   path to sealmilterd, or "none" to test the harness with Postfix alone
#   SEALCTL  path to sealctl (used for `check-config` of the test policy; may be "none")
#
# Environment: PFH_SMTP_PORT / PFH_SINK_PORT (default 10025/10026), E2E_KEEP=1 keeps
# the work directory, E2E_ONLY="a c" runs only those cases.
# Prints "ok - name" / "not ok - name: reason" per case, then "N passed, M failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
DAEMON=${1:?usage: run.sh DAEMON|none SEALCTL|none}
SEALCTL=${2:-none}
POLICY_SRC=$HERE/policy.yaml

. "$HERE/postfix-harness.sh"
. "$HERE/e2e-lib.sh" # ok/notok, want, send, tok, data_reply, simple_msg, make_material, start_daemon, case_b..f

e2e_harness_init # W, SOCK, E2E_SMTP_PORT
POLICY=$W/policy.yaml
cp "$POLICY_SRC" "$POLICY"
chmod 644 "$POLICY"

# delivered NAME TOKEN — waits for the message NAME to be delivered, sets DELIVERED to
# the message as the sink received it (without smtp-sink's records).
delivered() {
    local name=$1 token=$2 qid f
    DELIVERED=; WHY=
    qid=$(queued_id "$name")
    if [ -z "$qid" ]; then WHY="not queued: $(grep -E '^<\*\*|^\*\*\*' "$W/out/$name" | head -3 | tr '\n' ' ')"; return 1; fi
    if ! pfh_wait_sent "$qid" 15; then WHY="queued as $qid but not delivered: $(grep "$qid" "$W/log/maillog" | tail -2 | tr '\n' ' ')"; return 1; fi
    f=$(pfh_sink_find "$token" | head -1)
    if [ -z "$f" ]; then WHY="delivered ($qid) but not found in the sink"; return 1; fi
    pfh_sink_message "$f" > "$W/msgs/$name.delivered"
    DELIVERED=$W/msgs/$name.delivered
    SINKFILE=$f
}
# milter_saw NAME — with a daemon, its log names the queue ID of message NAME (so a
# pass-through result is not just Postfix without the milter).
milter_saw() { [ "$DAEMON" = none ] || grep -q "$(queued_id "$1")" "$W/log/daemon.log"; }

# ---------------------------------------------------------------------------
note "work directory $W"
# The policy must load; what the tools say is shown as is (informational).
if [ "$SEALCTL" != none ] && [ -x "$SEALCTL" ]; then
    r=$("$SEALCTL" check-config "$POLICY" 2>&1 | head -3 | tr '\n' ' '); note "sealctl check-config (exit ${PIPESTATUS[0]}): $r"
fi
if [ "$DAEMON" != none ] && [[ "$DAEMON" != *mock-milter* ]]; then
    r=$("$DAEMON" --test-config --policy "$POLICY" 2>&1 | head -3 | tr '\n' ' '); note "daemon --test-config: $r"
fi

pfh_start || bail
if [ "$DAEMON" = none ]; then
    note "no daemon: Postfix alone (harness check); milter cases will fail"
    pfh_milter none
else
    start_daemon || note "daemon not running; every message will be tempfailed"
    pfh_milter "unix:$SOCK"
fi

# Test material (Tests/e2e/e2e-lib.sh) -------------------------------------------
make_material

# (a) pass-through ---------------------------------------------------------------
if want a; then
    send a --from alice@ext.test --to bob@int.test --data "@$W/msgs/a.eml"
    if ! delivered a "$T_A"; then notok "a pass-through untouched" "$WHY"
    elif ! r=$($PY "$E2E" split "$W/msgs/a.eml" "$DELIVERED"); then notok "a pass-through untouched" "$r"
    elif ! milter_saw a; then notok "a pass-through untouched" "delivered unchanged, but the daemon log never mentions $(queued_id a)"
    else ok "a pass-through untouched (body byte-identical, header fields kept)"; fi
fi

# (b) S/MIME enveloped, (c) forged X-Sealmilter-* stripped, (d) encrypted zip removed:
# Tests/e2e/e2e-lib.sh, as with Sendmail
case_b; case_c; case_d

# (j) MIME ambiguity (issue 8, point 4): the encrypted zip behind an RFC 2045 comment
# in Content-Type, an encoded-word boundary (taken literally, RFC 2047 §5), a second
# Content-Type after the multipart one (the first counts): removed all the same.
if want j; then
    for k in comment ewboundary dupct; do
        T_J=$(tok "amb-$k"); $PY "$E2E" ambigzipmsg "$k" "$W/msgs/j-$k.eml" "$T_J" "$W/msgs/secret.zip"
        send "j-$k" --from carol@ext.test --to bob@int.test --data "@$W/msgs/j-$k.eml"
        if ! delivered "j-$k" "$T_J"; then notok "j ambiguous structure ($k): encrypted zip removed" "$WHY"
        elif r=$($PY "$E2E" zipcheck "$W/msgs/j-$k.eml" "$DELIVERED"); then ok "j ambiguous structure ($k): encrypted zip removed"
        else notok "j ambiguous structure ($k): encrypted zip removed" "$r"; fi
    done
fi

# (l) issue 8, point 5: the encrypted zip behind 1000 extra header fields (past
# max_headers, which used to stop the parser reading the structure) is removed.
if want l; then
    T_L=$(tok pad1000); $PY "$E2E" ambigzipmsg pad1000 "$W/msgs/l.eml" "$T_L" "$W/msgs/secret.zip"
    send l --from carol@ext.test --to bob@int.test --data "@$W/msgs/l.eml"
    if ! delivered l "$T_L"; then notok "l encrypted zip behind 1000 header fields removed" "$WHY"
    elif r=$($PY "$E2E" zipcheck "$W/msgs/l.eml" "$DELIVERED"); then ok "l encrypted zip behind 1000 header fields removed"
    else notok "l encrypted zip behind 1000 header fields removed" "$r"; fi
fi

# (k) readers disagree (text/plain first, multipart second: GMime sees the zip, most
# readers a text part): the delivered message is flagged ambiguous-structure.
if want k; then
    T_K=$(tok amb-flag); $PY "$E2E" ambigzipmsg dupct-text-first "$W/msgs/k.eml" "$T_K" "$W/msgs/secret.zip"
    send k --from carol@ext.test --to bob@int.test --data "@$W/msgs/k.eml"
    if ! delivered k "$T_K"; then notok "k ambiguous structure flagged" "$WHY"
    elif r=$($PY "$E2E" header-re "$DELIVERED" '^X-Sealmilter-Unscannable:.*\bambiguous-structure\b'); then
        ok "k ambiguous structure flagged (X-Sealmilter-Unscannable: ambiguous-structure)"
    else notok "k ambiguous structure flagged" "$r"; fi
fi

# (e) reject and tempfail, (f) one recipient rejected at RCPT: Tests/e2e/e2e-lib.sh
case_e; case_f

# (g) quarantine → hold queue ---------------------------------------------------------------
if want g; then
    T=$(tok quarantine); simple_msg "$W/msgs/g.eml" "$T" "E2E-QUARANTINE please"
    send g --from eve@ext.test --to bob@int.test --data "@$W/msgs/g.eml"
    qid=$(queued_id g)
    if [ -z "$qid" ]; then notok "g quarantine" "not accepted: $(grep -E '^<\*\*' "$W/out/g" | tail -1)"
    else
        held=
        for i in $(seq 1 50); do pfh_held_ids | grep -qx "$qid" && { held=1; break; }; sleep 0.1; done
        sleep 0.5
        if [ -z "$held" ]; then notok "g quarantine" "$qid not in the hold queue: $(grep "$qid" "$W/log/maillog" | tail -2 | tr '\n' ' ')"
        elif [ -n "$(pfh_sink_find "$T")" ]; then notok "g quarantine" "$qid held but also delivered"
        elif ! pfh_queue_json | grep -q "\"queue_id\": *\"$qid\".*\"queue_name\": *\"hold\"\|\"queue_name\": *\"hold\".*\"queue_id\": *\"$qid\""; then
            notok "g quarantine" "postqueue -j does not list $qid as held"
        else ok "g quarantine ($qid in hold queue: $(grep -o "$qid: milter-hold: .*" "$W/log/maillog" | head -1 | cut -c1-100))"; fi
    fi
fi

# (h) STARTTLS ----------------------------------------------------------------------------------
if want h; then
    T_H=$(tok tls); simple_msg "$W/msgs/h.eml" "$T_H" "e2e over TLS"
    send h --tls --from eve@ext.test --to bob@int.test --data "@$W/msgs/h.eml"
    if ! grep -q 'TLS started' "$W/out/h"; then notok "h STARTTLS" "TLS not started: $(grep -E '^\*\*\*' "$W/out/h" | head -2 | tr '\n' ' ')"
    elif ! delivered h "$T_H"; then notok "h STARTTLS" "$WHY"
    elif ! grep -q '(using TLSv1' "$DELIVERED"; then notok "h STARTTLS" "Received field does not record TLS"
    elif ! r=$($PY "$E2E" split "$W/msgs/h.eml" "$DELIVERED"); then notok "h STARTTLS" "$r"
    elif ! milter_saw h; then notok "h STARTTLS" "delivered, but the daemon log never mentions $(queued_id h)"
    else
        ok "h STARTTLS delivery$([ "$DAEMON" != none ] && echo ' through the milter') ($(grep -o 'using TLSv1[^ ]* with cipher [^ ]*' "$DELIVERED" | head -1))"
        if [ "$DAEMON" != none ]; then
            # policy.yaml asks for every macro (milter.macros: all): the decision line
            # for this queue ID carries the TLS version and cipher Postfix passed.
            hq=$(queued_id h)
            hl=$(grep -E "$hq" "$W/log/daemon.log" | grep -E 'TLSv1\.[23]' | head -1)
            if [ -n "$hl" ]; then ok "h TLS macros reach the daemon (its log line: ${hl#*$hq})"
            else notok "h TLS macros reach the daemon" "no line for $hq with TLSv1.x in the daemon log: $(grep -E "$hq" "$W/log/daemon.log" | head -2)"; fi
        fi
    fi
fi

# (m) hostile policy files on SIGHUP (issue 8): refused and logged, the policy in use kept ------
# After each reload of a hostile file, a message the policy rejects is still rejected
# through Postfix: the daemon is alive and serving with its previous policy.
if want m && [ "$DAEMON" != none ] && [[ "$DAEMON" != *mock-milter* ]]; then
    cp "$POLICY" "$W/policy.good"
    for h in deep-lists deep-mappings alias-text alias-rules laughs; do
        case $h in deep-*) why="nesting deeper than 64 levels" ;; *) why="aliases copy too much" ;; esac
        if ! sh "$HERE/../capi/hostile-policy.sh" "$h" "$POLICY"; then notok "m hostile policy $h" "cannot write it"; continue; fi
        before=$(grep -c 'keeping the policy in use' "$W/log/daemon.log")
        if [ -z "$DAEMON_PID" ] || ! kill -HUP "$DAEMON_PID" 2>/dev/null; then notok "m hostile policy $h" "no daemon to signal"; continue; fi
        for n in $(seq 1 50); do
            [ "$(grep -c 'keeping the policy in use' "$W/log/daemon.log")" -gt "$before" ] && break
            kill -0 "$DAEMON_PID" 2>/dev/null || break
            sleep 0.1
        done
        T=$(tok "hostile-$h"); simple_msg "$W/msgs/m-$h.eml" "$T" "E2E-REJECT after a hostile reload"
        send "m-$h" --from eve@ext.test --to bob@int.test --data "@$W/msgs/m-$h.eml"
        if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
            notok "m hostile policy $h" "the daemon died on SIGHUP; log tail: $(tail -3 "$W/log/daemon.log" | tr '\n' ' ')"
            DAEMON_PID=; cp "$W/policy.good" "$POLICY"; start_daemon || true
        elif [ "$(grep -c 'keeping the policy in use' "$W/log/daemon.log")" -le "$before" ]; then
            notok "m hostile policy $h" "no 'keeping the policy in use' line within 5 s of SIGHUP"
        elif ! grep -q "policy not loaded: .*YAML error: $why" "$W/log/daemon.log"; then
            notok "m hostile policy $h" "the log does not say why ('$why'): $(grep 'policy not loaded' "$W/log/daemon.log" | tail -1 | cut -c1-200)"
        elif ! grep -q '^<\*\* *550 5\.7\.1 .*e2e reject' "$W/out/m-$h"; then
            notok "m hostile policy $h" "refused, but the next message got '$(data_reply "m-$h")' instead of the previous policy's 550"
        else
            ok "m hostile policy $h on SIGHUP: $(grep -o "policy not loaded: .*" "$W/log/daemon.log" | tail -1 | cut -c1-110); still rejecting E2E-REJECT"
        fi
    done
    cp "$W/policy.good" "$POLICY"
fi

# (i) SIGKILL mid-transaction, retry, delivered exactly once -----------------------------------
if want i && [ "$DAEMON" != none ]; then
    T_I=$(tok kill); simple_msg "$W/msgs/i.eml" "$T_I" "e2e kill test"
    for n in $(seq 1 40); do echo "body line $n of the kill test" >> "$W/msgs/i.eml"; done
    rm -f "$W/i.ready" "$W/i.go"
    $PY "$E2E" slowsmtp "$PFH_SMTP_PORT" eve@ext.test bob@int.test "$W/msgs/i.eml" "$W/i.ready" "$W/i.go" > "$W/out/i1" 2>&1 &
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
    # the client retries, as a real one would after a 4xx
    send i2 --from eve@ext.test --to bob@int.test --data "@$W/msgs/i.eml"
    if [ -z "$killed" ]; then notok "i SIGKILL mid-transaction" "no daemon to kill"
    elif [[ "$first" != 4* ]]; then notok "i SIGKILL mid-transaction" "expected a 4xx after the kill, got '$first'"
    elif [[ "$down" != 4* ]] || [ -n "$(queued_id i1b)" ]; then notok "i SIGKILL mid-transaction" "with the daemon down expected 4xx and nothing queued, got '$down' $(queued_id i1b)"
    elif ! delivered i2 "$T_I"; then notok "i SIGKILL mid-transaction" "retry after restart: $WHY"
    else
        sleep 2
        n=$(pfh_sink_find "$T_I" | wc -l)
        if [ "$n" = 1 ]; then ok "i SIGKILL mid-transaction (client got '$first'; daemon down: '$down'; retry after restart delivered exactly once)"
        else notok "i SIGKILL mid-transaction" "delivered $n times"; fi
    fi
fi

# (n) hostile regular expressions (issue 8): a 1 MB message is decided quickly ---------------------
if want n; then
    for v in 0 1; do
        T_N=$(tok hostile$v); $PY "$E2E" hostile "$W/msgs/n$v.eml" "$T_N" "$v"
        t0=$(date +%s.%N)
        send n$v --from eve@ext.test --to bob@int.test --data "@$W/msgs/n$v.eml"
        secs=$(echo "$(date +%s.%N) - $t0" | bc)
        size=$(stat -c %s "$W/msgs/n$v.eml")
        name="n$v hostile patterns on a $size-byte message ($([ $v = 1 ] && echo 'body matches' || echo 'nothing matches'))"
        if ! delivered n$v "$T_N"; then notok "$name" "$WHY"
        elif (( $(echo "$secs > 10" | bc) )); then notok "$name" "SMTP transaction took $secs s"
        elif ! milter_saw n$v; then notok "$name" "delivered, but the daemon log never mentions $(queued_id n$v)"
        elif [ $v = 1 ] && ! r=$($PY "$E2E" header-re "$DELIVERED" '^X-E2E-Hostile-Body: matched$'); then notok "$name" "$r"
        elif [ $v = 0 ] && ! r=$($PY "$E2E" no-header-re "$DELIVERED" '^X-E2E-Hostile-Body:'); then notok "$name" "$r"
        elif ! r=$($PY "$E2E" no-header-re "$DELIVERED" '^X-E2E-Hostile-Subject:'); then notok "$name" "$r"
        else ok "$name: decided and delivered in $(printf '%.2f' "$secs") s"; fi
        # the same message through `sealctl scan` (no Postfix): the same decision, as quickly
        if [ "$SEALCTL" != none ] && [ -x "$SEALCTL" ]; then
            want_rules=$([ $v = 1 ] && echo e2e-hostile-body || echo none)
            t0=$(date +%s.%N)
            out=$(timeout 60 "$SEALCTL" scan --policy "$POLICY" --from eve@ext.test --to bob@int.test "$W/msgs/n$v.eml" 2>&1)
            secs=$(echo "$(date +%s.%N) - $t0" | bc)
            got=$(echo "$out" | sed -n 's/^Rules matched: //p')
            if (( $(echo "$secs > 10" | bc) )); then notok "n$v sealctl scan" "took $secs s"
            elif [ "$got" != "$want_rules" ]; then notok "n$v sealctl scan" "rules matched '$got', expected '$want_rules'"
            else ok "n$v sealctl scan: rules matched '$got' in $(printf '%.2f' "$secs") s"; fi
        fi
    done
fi

# (v) one message, several versions; the filter's own messages -------------------------------
# The daemon switches to policy-versions.yaml (SIGHUP): a for_each_recipient rule gives
# outside recipients their own version, submitted to the harness's second smtpd
# (127.0.0.1:$PFH_SUBMIT_PORT), which keeps the milter so that what the filter submits
# comes back through it: its marker must verify and no rule run again.
v_load_policy() {  # v_load_policy true|false — the versions policy with rcpt_deferral
    local n before
    sed -e "s|@KEY@|$W/keys/marker.key|" -e "s|@PORT@|$PFH_SUBMIT_PORT|" -e "s|@DEFERRAL@|$1|" \
        "$HERE/policy-versions.yaml" > "$POLICY"
    before=$(grep -c 'SIGHUP: policy .* reloaded' "$W/log/daemon.log")
    kill -HUP "$DAEMON_PID" 2>/dev/null || return 1
    for n in $(seq 1 100); do
        [ "$(grep -c 'SIGHUP: policy .* reloaded' "$W/log/daemon.log")" -gt "$before" ] && return 0
        sleep 0.1
    done
    note "versions policy not loaded: $(tail -3 "$W/log/daemon.log" | tr '\n' ' ')"; return 1
}
v_line() { grep -E "[ :]$1: action=" "$W/log/daemon.log" | tail -1; }   # the daemon's decision line for a queue ID
v_copies() {  # v_copies TOKEN ADDRESS — how many copies with TOKEN the sink got for ADDRESS
    local f n=0
    for f in $(pfh_sink_find "$1"); do n=$((n + $(pfh_sink_rcpts "$f" | sed 's/ .*//' | grep -ciFx "<$2>"))); done
    echo "$n"
}
v_file() { local f; for f in $(pfh_sink_find "$1"); do pfh_sink_rcpts "$f" | grep -qiF "<$2>" && { pfh_sink_message "$f"; return 0; }; done; return 1; }
v_msg() {  # v_msg FILE TOKEN SUBJECT FROM TO
    printf 'From: %s\nTo: %s\nSubject: %s\nMessage-ID: <%s@e2e.test>\n\nVersions test %s.\n' "$4" "$5" "$3" "$2" "$2" > "$1"
}
# v_versions NAME TOKEN — the checks of v1: one copy per recipient, each its own version,
# the resubmitted queue ID in the daemon's line and in Postfix's log. Sets WHY/VQ/VR.
v_versions() {
    local name=$1 t=$2 line n a
    VQ=$(queued_id "$name"); VR=
    [ -n "$VQ" ] || { WHY="not queued: $(data_reply "$name")"; return 1; }
    pfh_wait_sent "$VQ" 20 || { WHY="$VQ not delivered: $(grep "$VQ" "$W/log/maillog" | tail -2 | tr '\n' ' ')"; return 1; }
    line=$(v_line "$VQ")
    VR=$(sed -n 's/.* resubmitted=\([A-Za-z0-9]*\).*/\1/p' <<<"$line")
    [ -n "$VR" ] || { WHY="no resubmitted queue ID in the daemon's line for $VQ: '$line'"; return 1; }
    grep -q "/submission/smtpd\[[0-9]*\]: $VR: client=localhost\[127.0.0.1\]" "$W/log/maillog" ||
        { WHY="Postfix's log has no submission smtpd line for $VR"; return 1; }
    pfh_wait_sent "$VR" 20 || { WHY="resubmitted $VR not delivered: $(grep "$VR" "$W/log/maillog" | tail -2 | tr '\n' ' ')"; return 1; }
    sleep 0.5
    for a in bob@int.test xavier@ext.test yvonne@ext.test; do
        n=$(v_copies "$t" "$a"); [ "$n" = 1 ] || { WHY="$a got $n copies"; return 1; }
    done
    v_file "$t" bob@int.test > "$W/msgs/$name.bob"; v_file "$t" xavier@ext.test > "$W/msgs/$name.xavier"
    if grep -qi '^X-E2E-Outside:' "$W/msgs/$name.bob"; then WHY="the inside copy has the outside header"; return 1; fi
    grep -q '^X-E2E-Outside: version for outside recipients$' "$W/msgs/$name.xavier" || { WHY="the outside copy lacks X-E2E-Outside"; return 1; }
    if grep -qi '^X-Sealmilter-Submitted:' "$W/msgs/$name.bob" "$W/msgs/$name.xavier"; then WHY="a delivered copy still has the marker"; return 1; fi
    r=$($PY "$E2E" split "$W/msgs/$name.eml" "$W/msgs/$name.bob") || { WHY="inside copy: $r"; return 1; }
    r=$($PY "$E2E" split "$W/msgs/$name.eml" "$W/msgs/$name.xavier" X-E2E-Outside) || { WHY="outside copy: $r"; return 1; }
    grep -q "(Sealmilter, version for other recipients) id $VQ;" "$W/msgs/$name.xavier" ||
        { WHY="the outside copy has no Received field naming the original's queue ID $VQ"; return 1; }
    [[ "$(v_line "$VR")" == *"marker=verified rules=-"* ]] || { WHY="the resubmitted $VR was not passed by its marker: '$(v_line "$VR")'"; return 1; }
}

if want v && [ "$DAEMON" != none ] && [[ "$DAEMON" != *mock-milter* ]]; then
    mkdir -p "$W/keys" && head -c 32 /dev/urandom | base64 > "$W/keys/marker.key" &&
        chown postfix "$W/keys/marker.key" && chmod 600 "$W/keys/marker.key"
    if ! v_load_policy false; then notok "v versions" "policy-versions.yaml did not load"
    else
        # (v1) one inside and two outside recipients: one copy each, two versions
        T_V1=$(tok versions); v_msg "$W/msgs/v1.eml" "$T_V1" "e2e versions" alice@int.test "bob@int.test, xavier@ext.test, yvonne@ext.test"
        send v1 --from alice@int.test --to bob@int.test,xavier@ext.test,yvonne@ext.test --data "@$W/msgs/v1.eml"
        if v_versions v1 "$T_V1"; then
            ok "v1 versions: one copy per recipient; outside ones have X-E2E-Outside (resubmitted as $VR, daemon: '$(v_line "$VQ" | grep -o 'versions=.*resubmitted=[A-Za-z0-9]*')', then '$VR: ... marker=verified')"
        else notok "v1 versions" "$WHY"; fi

        # (v2) the submission listener down: 4xx, nothing delivered or queued; the retry delivers
        T_V2=$(tok versions-down); v_msg "$W/msgs/v2.eml" "$T_V2" "e2e versions listener down" alice@int.test "bob@int.test, xavier@ext.test, yvonne@ext.test"
        if ! pfh_submission off; then notok "v2 listener down" "could not stop the submission listener"
        else
            send v2 --from alice@int.test --to bob@int.test,xavier@ext.test,yvonne@ext.test --data "@$W/msgs/v2.eml"
            down=$(data_reply v2)
            sleep 1.5
            pfh_submission on || note "could not restart the submission listener"
            if [[ "$down" != "451 4.3.0"* ]] || [ -n "$(queued_id v2)" ]; then notok "v2 listener down" "expected 451 4.3.0 and nothing queued, got '$down' $(queued_id v2)"
            elif [ -n "$(pfh_sink_find "$T_V2")" ]; then notok "v2 listener down" "something was delivered while the listener was down"
            elif [ -n "$(grep -rlF "$T_V2" "$W/queue" 2>/dev/null)" ]; then notok "v2 listener down" "something with the message is in the queue: $(grep -rlF "$T_V2" "$W/queue" | head -2)"
            else
                cp "$W/msgs/v2.eml" "$W/msgs/v2b.eml"   # the client's retry: the same message
                send v2b --from alice@int.test --to bob@int.test,xavier@ext.test,yvonne@ext.test --data "@$W/msgs/v2b.eml"
                if v_versions v2b "$T_V2"; then ok "v2 listener down: client got '$down', nothing delivered or queued; the retry delivered one copy per recipient"
                else notok "v2 listener down" "retry: $WHY"; fi
            fi
        fi

        # (v3) a copied and a hand-made marker from outside: no pass, rules run, markers gone
        T_V3=$(tok forgedmarker)
        now=$(date +%s)
        copied=$($PY "$E2E" marker "$W/keys/marker.key" "<$T_V3@e2e.test>" mallory@ext.test "$now" xavier@ext.test yvonne@ext.test)
        { printf 'X-Sealmilter-Submitted: %s\n' "$copied"
          printf 'X-Sealmilter-Submitted: v=1; t=%s; h=%s\n' "$now" "$(head -c 32 /dev/urandom | base64)"
          printf 'From: mallory@ext.test\nTo: bob@int.test\nSubject: e2e forged marker\nMessage-ID: <%s@e2e.test>\n\nForged marker %s.\n' "$T_V3" "$T_V3"
        } > "$W/msgs/v3.eml"
        send v3 --from mallory@ext.test --to bob@int.test --data "@$W/msgs/v3.eml"
        if ! delivered v3 "$T_V3"; then notok "v3 forged marker" "$WHY"
        elif ! r=$($PY "$E2E" no-header-re "$DELIVERED" '^x-sealmilter-submitted'); then notok "v3 forged marker" "$r"
        elif ! r=$($PY "$E2E" header-re "$DELIVERED" '^X-E2E-Checked: rules ran$'); then notok "v3 forged marker" "rules did not run: $r"
        elif [[ "$(v_line "$(queued_id v3)")" == *marker=verified* ]]; then notok "v3 forged marker" "the daemon passed it: $(v_line "$(queued_id v3)")"
        else ok "v3 forged markers (one made with the real key for other recipients, one hand-made): removed, rules ran"; fi

        # (v4) a notice to the sender: delivered, and not processed again by the rules
        T_V4=$(tok notice); v_msg "$W/msgs/v4.eml" "$T_V4" "E2E-NOTIFY $T_V4" alice@int.test bob@int.test
        send v4 --from alice@int.test --to bob@int.test --data "@$W/msgs/v4.eml"
        if ! delivered v4 "$T_V4"; then notok "v4 notice" "$WHY"
        else
            nq=$(v_line "$(queued_id v4)" | sed -n 's/.* notices=\([A-Za-z0-9]*\).*/\1/p')
            if [ -z "$nq" ]; then notok "v4 notice" "no notice queue ID in the daemon's line: $(v_line "$(queued_id v4)")"
            elif ! pfh_wait_sent "$nq" 20; then notok "v4 notice" "notice $nq not delivered: $(grep "$nq" "$W/log/maillog" | tail -2 | tr '\n' ' ')"
            else
                sleep 0.5
                nf=$(v_file "$T_V4" alice@int.test)
                nl=$(v_line "$nq")
                if [ -z "$nf" ]; then notok "v4 notice" "no notice for alice@int.test in the sink"
                elif ! grep -q '^Auto-Submitted: auto-generated' <<<"$nf" || ! grep -q "^Subject: Notice about E2E-NOTIFY $T_V4" <<<"$nf"; then notok "v4 notice" "notice lacks Auto-Submitted or its subject"
                elif ! grep -q "$nq: from=<>," "$W/log/maillog"; then notok "v4 notice" "notice $nq not sent with the null sender"
                elif [[ "$nl" != *"marker=verified rules=- "* ]]; then notok "v4 notice" "the notice went through the rules again: '$nl'"
                elif [ "$(grep -c "notices=" "$W/log/daemon.log")" != 1 ]; then notok "v4 notice" "more than one message made notices (a loop?)"
                else ok "v4 notice delivered to the sender ($nq, from=<>), not processed again (daemon: '${nl#*$nq: }')"; fi
            fi
        fi

        # (v5) RCPT deferral: 452 4.5.3 for the recipients of another group; they come in a second transaction
        if ! v_load_policy true; then notok "v5 rcpt deferral" "policy with rcpt_deferral did not load"
        else
            T_V5=$(tok deferral); v_msg "$W/msgs/v5.eml" "$T_V5" "e2e deferral" alice@int.test "bob@int.test, xavier@ext.test, yvonne@ext.test"
            send v5 --from alice@int.test --to bob@int.test,xavier@ext.test,yvonne@ext.test --data "@$W/msgs/v5.eml"
            rx=$(awk '/^ -> RCPT TO:<xavier@ext.test>/ {getline; print; exit}' "$W/out/v5")
            ry=$(awk '/^ -> RCPT TO:<yvonne@ext.test>/ {getline; print; exit}' "$W/out/v5")
            send v5b --from alice@int.test --to xavier@ext.test,yvonne@ext.test --data "@$W/msgs/v5.eml"
            if [[ "$rx" != *"452 4.5.3"* || "$ry" != *"452 4.5.3"* ]]; then notok "v5 rcpt deferral" "RCPT answers: '$rx' '$ry'"
            elif ! delivered v5 "$T_V5"; then notok "v5 rcpt deferral" "first transaction: $WHY"
            elif [ -z "$(queued_id v5b)" ]; then notok "v5 rcpt deferral" "second transaction not accepted: $(data_reply v5b)"
            elif ! pfh_wait_sent "$(queued_id v5b)" 20; then notok "v5 rcpt deferral" "second transaction not delivered"
            else
                sleep 0.5
                c="$(v_copies "$T_V5" bob@int.test)$(v_copies "$T_V5" xavier@ext.test)$(v_copies "$T_V5" yvonne@ext.test)"
                if [ "$c" != 111 ]; then notok "v5 rcpt deferral" "copies bob/xavier/yvonne: $c"
                elif ! v_file "$T_V5" xavier@ext.test | grep -q '^X-E2E-Outside:'; then notok "v5 rcpt deferral" "outside copy lacks its header"
                elif grep -q 'resubmitted=' <<<"$(v_line "$(queued_id v5)")$(v_line "$(queued_id v5b)")"; then notok "v5 rcpt deferral" "something was resubmitted"
                else ok "v5 rcpt deferral: swaks saw '${rx#<\*\* }' for both outside recipients; the second transaction delivered them (no resubmission)"; fi
            fi
        fi
    fi
fi

# nothing else may be stuck: everything not held has left the queue
if [ -n "$(find "$W/queue/incoming" "$W/queue/active" "$W/queue/deferred" -type f 2>/dev/null)" ]; then
    note "messages still queued (not held):"; postqueue -c "$W/etc" -p | sed 's/^/#   /'
fi
[ -n "$DAEMON_PID" ] && ! kill -0 "$DAEMON_PID" 2>/dev/null && note "the daemon died during the run; log tail:" && tail -5 "$W/log/daemon.log" | sed 's/^/#   /'

summary
