#!/usr/bin/env bash
# Tests/e2e/rules.sh DAEMON SEALCTL — the rule engine of issue 14 end to end:
#
#   A. `sealctl test` (text and --json): each rule in the engine's order with its
#      status and why, redacted matches, --at for date windows, --auth, the MTA
#      macros by their names (also seen by SealConnect's TLS conditions); a
#      list-file problem named with file and line.
#   B. Through a private Postfix (Tests/e2e/postfix-harness.sh) with SMTP AUTH
#      (Cyrus SASL, sasldb) on loopback and the daemon:
#      r1/r2  audit rules that would add a header / reject: the message is
#             delivered byte-identical (body and header fields; Postfix's Received
#             only), and the daemon log line of its queue ID names the rule and
#             what it would have done;
#      r3/r4  the same rules switched to enforce (SIGHUP): the header is added, the
#             message is rejected with the rule's reply;
#      r5     rules outside their date window do nothing (and would, in the
#             window: shown with sealctl test --at);
#      r6/r7  an auth_user rule acts for an SMTP AUTH user that matches, not for
#             an unauthenticated client.
#
# Needs root, postfix, swaks, saslpasswd2 (sasl2-bin) and libsasl2-modules; a
# missing tool fails the run with its name. Ports: PFH_SMTP_PORT/PFH_SINK_PORT
# (and PFH_SUBMIT_PORT) from the environment, as the harness takes them.
# Prints "ok - name" / "not ok - name: reason" per case, then "N passed, M failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
DAEMON=${1:?usage: rules.sh DAEMON SEALCTL}
SEALCTL=${2:?usage: rules.sh DAEMON SEALCTL}

. "$HERE/postfix-harness.sh"
. "$HERE/e2e-lib.sh"   # ok/notok/bail/summary, send, tok, data_reply, start_daemon

missing=
for t in postfix postconf swaks saslpasswd2 "$PY" "$DAEMON" "$SEALCTL"; do
    command -v "$t" >/dev/null 2>&1 || [ -x "$t" ] || missing="$missing $t"
done
ls /usr/lib/x86_64-linux-gnu/sasl2/libplain.so* >/dev/null 2>&1 || ls /usr/lib/*/sasl2/libplain.so* >/dev/null 2>&1 || missing="$missing libsasl2-modules(PLAIN)"
ls /usr/lib/*/sasl2/libsasldb.so* >/dev/null 2>&1 || missing="$missing libsasl2-modules-db(sasldb)"
if [ -n "$missing" ]; then
    bail "rules e2e prerequisites" "missing:$missing (run .ci/setup)"
fi

e2e_harness_init # W, SOCK, E2E_SMTP_PORT
mkdir -p "$W/policy"
POLICY=$W/policy/rules.yaml

# The policy: audit rules, date windows, a list file, an AUTH rule ----------------
printf '# services that may send as anyone\nsvc-*\n' > "$W/policy/services.txt"
printf '# partners\npartner.test\n' > "$W/policy/partners.txt"
cat > "$POLICY" <<'EOF'
internal_domains: [int.test]
flag_unscannable: false
rules:
  - name: audit-tag
    mode: audit
    when:
      subject: {contains: [e2e-audit-tag]}
      recipient_location: outside
    actions:
      - add_header: {name: X-Audit-Tag, value: "would tag"}
  - name: audit-reject
    mode: audit
    when:
      subject: {contains: [e2e-audit-reject]}
    unless:
      recipient_list: partners.txt
    actions:
      - reject: {code: "550", xcode: "5.7.1", text: "Confidential mail may not leave"}
  - name: expired
    active: {until: 2020-01-01}
    when: {subject: {contains: [e2e-window]}}
    actions:
      - reject: "expired rule"
  - name: future
    active: {from: 2099-01-01T00:00Z}
    when: {subject: {contains: [e2e-window]}}
    actions:
      - add_header: {name: X-Future, value: "1"}
  - name: service-sender
    priority: -10
    when:
      auth_user: [svc-*]
      from_domain: int.test
    actions:
      - add_header: {name: X-Service-Sender, value: "yes"}
EOF
chmod 644 "$POLICY" "$W/policy/"*.txt

# make_msg FILE TOKEN SUBJECT — a small message with the token in its body.
make_msg() {
    printf 'From: Alice <alice@int.test>\nTo: bob@ext.test\nSubject: %s\nMessage-ID: <%s@e2e.test>\n\nThe numbers for %s.\nSecond line.\n' \
        "$3" "$2" "$2" > "$1"
}

# ---------------------------------------------------------------------------
# A. sealctl test
M=$W/msgs/t.eml
make_msg "$M" "$(tok test)" "e2e-audit-reject quarterly"
out=$("$SEALCTL" test --policy "$POLICY" --from alice@int.test --to bob@ext.test --auth svc-build \
      --tls-version TLSv1.3 --cipher TLS_AES_256_GCM_SHA384 "$M" 2>&1); rc=$?
if [ $rc -ne 0 ]; then notok "A1 sealctl test (text)" "exit $rc: $out"
elif ! grep -q "^  1\. service-sender \[line [0-9]*, priority -10, enforce, decided at headers\]: MATCHED, applied" <<<"$out"; then
    notok "A1 sealctl test (text)" "priority -10 rule not first/applied: $(head -8 <<<"$out" | tr '\n' '|')"
elif ! grep -q "audit-reject .*audit, decided at headers\]: MATCHED, audit only" <<<"$out"; then
    notok "A1 sealctl test (text)" "audit rule not shown as audit-only: $(grep audit-reject <<<"$out")"
elif ! grep -q 'when subject: held — keyword 1 "e…t" (16 chars)' <<<"$out"; then
    notok "A1 sealctl test (text)" "no redacted subject keyword: $(grep 'when subject' <<<"$out" | head -2)"
elif grep -q "e2e-audit-reject quarterly" <<<"$(grep -v '^Envelope\|^MTA' <<<"$out")"; then
    notok "A1 sealctl test (text)" "the matched subject is shown unredacted"
elif ! grep -q "unless recipient_list: did not hold (good)" <<<"$out"; then
    notok "A1 sealctl test (text)" "exception not explained: $(grep unless <<<"$out")"
elif ! grep -q "expired .*INACTIVE" <<<"$out" || ! grep -q "future .*INACTIVE" <<<"$out"; then
    notok "A1 sealctl test (text)" "date-window rules not INACTIVE"
elif ! grep -q "Verdict: accept" <<<"$out" || ! grep -q "header: add X-Service-Sender: yes" <<<"$out"; then
    notok "A1 sealctl test (text)" "result: $(sed -n '/^Result/,$p' <<<"$out" | tr '\n' '|')"
elif ! grep -q "Audit (logged, not done): audit-reject would reject" <<<"$out"; then
    notok "A1 sealctl test (text)" "no audit line"
else ok "A1 sealctl test (text): order by priority, audit only, redacted match, exception, inactive windows, result"; fi

M2=$W/msgs/t2.eml
make_msg "$M2" "$(tok test2)" "e2e-window e2e-audit-reject"
json=$("$SEALCTL" test --json --policy "$POLICY" --from alice@int.test --to bob@ext.test --to carol@partner.test \
       --at 2019-06-01 --tls-version TLSv1.3 --macro daemon_name=e2e "$M2" 2>&1)
if ! r=$($PY - "$json" <<'EOF' 2>&1
import json, sys
j = json.loads(sys.argv[1])
st = {r["name"]: r["status"] for r in j["rules"]}
want = {"service-sender": "not-matched", "audit-tag": "not-matched", "audit-reject": "not-matched",
        "expired": "applied", "future": "inactive"}
assert st == want, f"statuses {st}"
assert [r["name"] for r in j["rules"]][0] == "service-sender", "priority order"
assert j["time"] == "2019-06-01T00:00:00Z", j["time"]
assert j["macros"] == {"tls_version": "TLSv1.3", "daemon_name": "e2e"}, j["macros"]
ar = next(r for r in j["rules"] if r["name"] == "audit-reject")
conds = ar["evaluations"][0]["conditions"]
assert [(c["key"], c["exception"], c["held"]) for c in conds] == [("subject", False, True), ("recipient_list", True, True)], conds
assert "carol@partner.test" in conds[1]["detail"], conds[1]
sv = next(r for r in j["rules"] if r["name"] == "service-sender")
assert sv["evaluations"][0]["conditions"][0]["detail"].startswith("not authenticated"), sv
assert j["result"]["verdict"]["action"] == "reject", j["result"]["verdict"]
assert j["result"]["verdict"]["reply"] == "550 5.7.1 expired rule", j["result"]["verdict"]
assert j["recipients"] == ["bob@ext.test", "carol@partner.test"], j["recipients"]
EOF
); then notok "A2 sealctl test --json" "$r"
else ok "A2 sealctl test --json: documented shape, --at inside the window applies the expired rule, exception held for a partner"; fi

sed 's/partners.txt/no-such-list.txt/' "$POLICY" > "$W/policy/broken.yaml"
out=$("$SEALCTL" test --policy "$W/policy/broken.yaml" --from a@int.test --to b@ext.test "$M" 2>&1); rc=$?
if [ $rc -ne 1 ]; then notok "A3 list file missing" "exit $rc (want 1): $out"
elif ! grep -q "broken.yaml:[0-9]*:[0-9]*: rule 'audit-reject': unless.recipient_list: cannot use list file '$W/policy/no-such-list.txt'" <<<"$out"; then
    notok "A3 list file missing" "$out"
else ok "A3 a missing list file is a policy error with file:line:column"; fi

# The TLS and client facts reach the conditions of another module (SealConnect's
# tls_version and client_network) as the MTA's macros.
cat > "$W/policy/tls.yaml" <<'EOF'
rules:
  - name: modern-tls
    when:
      tls_version: TLSv1.2
      client_network: 192.0.2.0/24
    actions:
      - add_header: {name: X-TLS, value: ok}
EOF
yes=$("$SEALCTL" test --json --policy "$W/policy/tls.yaml" --from a@ext.test --to b@int.test --client-addr 192.0.2.7 --tls-version TLSv1.3 "$M" 2>&1)
no=$("$SEALCTL" test --json --policy "$W/policy/tls.yaml" --from a@ext.test --to b@int.test --client-addr 192.0.2.7 --tls-version TLSv1.1 "$M" 2>&1)
if ! r=$($PY -c 'import json,sys; a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2]); s=lambda j: j["rules"][0]["status"]; assert (s(a), s(b)) == ("applied", "not-matched"), (s(a), s(b)); assert [c["held"] for c in b["rules"][0]["evaluations"][0]["conditions"]] == [False, True]; d=[c["detail"] for c in b["rules"][0]["evaluations"][0]["conditions"]]; assert d == ["TLS: TLSv1.1", "client address 192.0.2.7"], d' "$yes" "$no" 2>&1); then
    notok "A4 sealctl test TLS facts" "$r ${yes:0:200}"
else ok "A4 sealctl test --tls-version/--client-addr reach tls_version and client_network as {tls_version}/{client_addr}"; fi

# ---------------------------------------------------------------------------
# B. Postfix with SMTP AUTH, and the daemon
# Debian's Postfix looks for smtpd.conf in $config_directory/sasl (so does
# cyrus_sasl_config_path, set to the same place); the user database is sasldb.
mkdir -p "$W/sasl" "$W/etc/sasl"
cat > "$W/etc/sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN
sasldb_path: $W/sasl/sasldb2
EOF
printf %s "e2e-svc-pass" | saslpasswd2 -p -c -f "$W/sasl/sasldb2" -u e2e.test svc-build 2>"$W/log/saslpasswd2.log" ||
    note "saslpasswd2 failed: $(cat "$W/log/saslpasswd2.log")"
chown -R postfix: "$W/sasl"; chmod 750 "$W/sasl"; chmod 640 "$W/sasl/sasldb2" 2>/dev/null
pfh_postconf "smtpd_sasl_auth_enable = yes" "smtpd_sasl_type = cyrus" "smtpd_sasl_path = smtpd" \
    "cyrus_sasl_config_path = $W/etc/sasl" "smtpd_sasl_local_domain = e2e.test" "smtpd_sasl_security_options = noanonymous"

# delivered NAME TOKEN — DELIVERED: the message as the sink got it; WHY on failure.
delivered() {
    local qid f
    DELIVERED=; WHY=
    qid=$(queued_id "$1")
    [ -n "$qid" ] || { WHY="not queued: $(grep -E '^<\*\*|^\*\*\*' "$W/out/$1" | head -3 | tr '\n' ' ')"; return 1; }
    pfh_wait_sent "$qid" 15 || { WHY="queued as $qid but not delivered: $(grep "$qid" "$W/log/maillog" | tail -2 | tr '\n' ' ')"; return 1; }
    f=$(pfh_sink_find "$2" | head -1)
    [ -n "$f" ] || { WHY="delivered ($qid) but not in the sink"; return 1; }
    pfh_sink_message "$f" > "$W/msgs/$1.delivered"
    DELIVERED=$W/msgs/$1.delivered
}
# logline NAME — the daemon's decision line for message NAME's queue ID.
logline() { local q; q=$(queued_id "$1"); [ -n "$q" ] && grep -E "^.*$q: action=" "$W/log/daemon.log" | tail -1; }

pfh_start || bail
start_daemon || note "daemon not running; every message will be tempfailed"
pfh_milter "unix:$SOCK"

# r1/r2: audit rules change nothing and log what they would have done ---------------
for c in tag reject; do
    T=$(tok "audit-$c"); make_msg "$W/msgs/r-$c.eml" "$T" "e2e-audit-$c numbers"
    send "r-$c" --from alice@int.test --to bob@ext.test --data "@$W/msgs/r-$c.eml"
    name="r$([ $c = tag ] && echo 1 || echo 2) audit $c"
    if ! delivered "r-$c" "$T"; then notok "$name" "$WHY"
    elif ! r=$($PY "$E2E" split "$W/msgs/r-$c.eml" "$DELIVERED" 2>&1); then notok "$name" "the message was changed: $r"
    elif ! l=$(logline "r-$c") || [ -z "$l" ]; then notok "$name" "no daemon log line for $(queued_id "r-$c")"
    elif [ $c = tag ] && [[ "$l" != *'audit="audit-tag would add_header X-Audit-Tag"'* ]]; then notok "$name" "log line: $l"
    elif [ $c = reject ] && [[ "$l" != *'audit="audit-reject would reject"'* ]]; then notok "$name" "log line: $l"
    elif [[ "$l" != *"action=accept"* || "$l" == *"rules=audit"* ]]; then notok "$name" "the audit rule counted as applied: $l"
    else ok "$name: delivered byte-identical (body and header fields), log: ${l#*: }"; fi
done

# r5: rules outside their date window do nothing -----------------------------------
T=$(tok window); make_msg "$W/msgs/r-window.eml" "$T" "e2e-window"
send r-window --from alice@int.test --to bob@ext.test --data "@$W/msgs/r-window.eml"
if ! delivered r-window "$T"; then notok "r5 date windows" "$WHY"
elif ! r=$($PY "$E2E" split "$W/msgs/r-window.eml" "$DELIVERED" 2>&1); then notok "r5 date windows" "changed: $r"
elif ! l=$(logline r-window) || [[ "$l" != *"rules=-"* ]]; then notok "r5 date windows" "log line: ${l:-none}"
elif ! "$SEALCTL" test --policy "$POLICY" --at 2019-12-31T23:59Z --from alice@int.test --to bob@ext.test "$W/msgs/r-window.eml" | grep -q "Verdict: reject (550 5.7.1 expired rule)"; then
    notok "r5 date windows" "sealctl test --at inside the window does not reject (the rule would not act at all)"
else ok "r5 rules outside their date window do nothing (inside it the expired rule rejects: sealctl test --at)"; fi

# r6/r7: SMTP AUTH user ------------------------------------------------------------
T=$(tok auth); make_msg "$W/msgs/r-auth.eml" "$T" "e2e auth"
send r-auth --from alice@int.test --to bob@ext.test --auth PLAIN --auth-user svc-build --auth-password e2e-svc-pass \
    --data "@$W/msgs/r-auth.eml"
if ! grep -q "^<[-~]  *235 " "$W/out/r-auth"; then notok "r6 auth_user via SMTP AUTH" "AUTH failed: $(grep -E '^<~? *5|^\*\*\*' "$W/out/r-auth" | head -2 | tr '\n' ' ') $(grep -i sasl "$W/log/maillog" | tail -2 | tr '\n' ' ')"
elif ! delivered r-auth "$T"; then notok "r6 auth_user via SMTP AUTH" "$WHY"
elif ! r=$($PY "$E2E" header-re "$DELIVERED" '^X-Service-Sender: yes$' 2>&1); then notok "r6 auth_user via SMTP AUTH" "$r; log: $(logline r-auth)"
elif ! r=$($PY "$E2E" split "$W/msgs/r-auth.eml" "$DELIVERED" X-Service-Sender 2>&1); then notok "r6 auth_user via SMTP AUTH" "$r"
else ok "r6 auth_user: SMTP AUTH as svc-build (Cyrus SASL) gets X-Service-Sender, nothing else changed"; fi
T=$(tok noauth); make_msg "$W/msgs/r-noauth.eml" "$T" "e2e auth"
send r-noauth --from alice@int.test --to bob@ext.test --data "@$W/msgs/r-noauth.eml"
if ! delivered r-noauth "$T"; then notok "r7 no AUTH, no auth_user rule" "$WHY"
elif ! r=$($PY "$E2E" split "$W/msgs/r-noauth.eml" "$DELIVERED" 2>&1); then notok "r7 no AUTH, no auth_user rule" "$r"
else ok "r7 without SMTP AUTH the auth_user rule does not act"; fi

# r3/r4: the same audit rules enforced act ------------------------------------------
sed -i 's/mode: audit/mode: enforce/' "$POLICY"
before=$(grep -c "reloaded" "$W/log/daemon.log")
kill -HUP "$DAEMON_PID" 2>/dev/null
for i in $(seq 1 50); do [ "$(grep -c "reloaded" "$W/log/daemon.log")" -gt "$before" ] && break; sleep 0.1; done
T=$(tok enforce-tag); make_msg "$W/msgs/r-etag.eml" "$T" "e2e-audit-tag numbers"
send r-etag --from alice@int.test --to bob@ext.test --data "@$W/msgs/r-etag.eml"
if ! delivered r-etag "$T"; then notok "r3 enforced add_header" "$WHY"
elif ! r=$($PY "$E2E" header-re "$DELIVERED" '^X-Audit-Tag: would tag$' 2>&1); then notok "r3 enforced add_header" "$r; log: $(logline r-etag)"
else ok "r3 the same rule in enforce mode adds its header"; fi
T=$(tok enforce-reject); make_msg "$W/msgs/r-erej.eml" "$T" "e2e-audit-reject numbers"
send r-erej --from alice@int.test --to bob@ext.test --data "@$W/msgs/r-erej.eml"
reply=$(data_reply r-erej)
if [[ "$reply" != "550 5.7.1 Confidential mail may not leave"* ]]; then notok "r4 enforced reject" "reply to the data: ${reply:-none}"
elif ! grep -q "action=reject rules=audit-reject" "$W/log/daemon.log"; then notok "r4 enforced reject" "no reject line in the daemon log"
else ok "r4 the same rule in enforce mode rejects: $reply"; fi
# ...and a partner recipient is still the exception.
T=$(tok partner); make_msg "$W/msgs/r-partner.eml" "$T" "e2e-audit-reject numbers"
send r-partner --from alice@int.test --to bob@partner.test --data "@$W/msgs/r-partner.eml"
if ! delivered r-partner "$T"; then notok "r4b exception (recipient_list)" "$WHY"
else ok "r4b the enforced rule's exception (recipient in partners.txt) lets it through"; fi

summary
