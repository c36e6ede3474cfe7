#!/usr/bin/env bash
# Tests/e2e/rights.sh DAEMON SEALCTL [OUTDIR] — rights protection end to end (issue 13):
# Do Not Forward at the gateway and manual templates, through real Postfix
# instances (Tests/e2e/postfix-harness.sh) with sealmilterd.
#
#   1. SQLite registry, one Postfix + daemon: a protected message is delivered with
#      its labels; forwards of it to a new outside address (References, attached
#      .eml, attached message/rfc822 by its text, a message/rfc822 nested in a
#      forwarded message/rfc822 with its text replaced entirely by its Message-ID
#      alone, quoted text re-wrapped, quoted text re-wrapped and partly edited) are
#      refused with the documented reply and a log line
#      naming the protected message; a reply to the original sender passes, and so
#      does that nested forward with an unrelated inner Message-ID; a
#      subject tag from an unauthenticated sender does nothing; from a sender who
#      authenticated with SMTP AUTH (Cyrus SASL, sasldb, in the private Postfix) the
#      template applies and the tag is gone; `sealctl rights list|show|expire`.
#   2. A real PostgreSQL server (Tests/e2e/pg-temp.sh) shared by TWO daemons behind
#      TWO Postfix instances: protected through the first, every forward refused
#      through the second, the reply passes.
#
# OUTDIR (or E2E_RIGHTS_OUT) keeps the protected envelope delivered to the outside
# recipient for Tests/browser (watermark, print, copy in headless Chromium):
# message.html, passcode.txt (from the passcode message that arrived separately),
# recipient.txt, template.txt, orig.eml (the message as sent) and envelope-recovery.pem.
#
# Ports: PFH_SMTP_PORT/PFH_SINK_PORT/PFH_SUBMIT_PORT for the first instance (default
# 10025-10027) and PFH2_SMTP_PORT/PFH2_SINK_PORT/PFH2_SUBMIT_PORT for the second
# (default the first's + 10). Run as root. Prints "ok - ..." / "not ok - ...", then
# "N passed, M failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
DAEMON=${1:?usage: rights.sh DAEMON SEALCTL [OUTDIR]}
SEALCTL=${2:?usage: rights.sh DAEMON SEALCTL [OUTDIR]}
OUT=${3:-${E2E_RIGHTS_OUT:-}}
HARNESS=$HERE/postfix-harness.sh
P1_SMTP=${PFH_SMTP_PORT:-10025}; P1_SINK=${PFH_SINK_PORT:-10026}; P1_SUB=${PFH_SUBMIT_PORT:-$((P1_SMTP + 2))}
P2_SMTP=${PFH2_SMTP_PORT:-$((P1_SMTP + 10))}; P2_SINK=${PFH2_SINK_PORT:-$((P1_SINK + 10))}; P2_SUB=${PFH2_SUBMIT_PORT:-$((P1_SUB + 10))}

. "$HERE/e2e-lib.sh" # ok/notok/bail/summary, send, data_reply, wait_socket

for tool in swaks saslpasswd2 "$DAEMON" "$SEALCTL"; do
    command -v "$tool" >/dev/null || [ -x "$tool" ] || bail "setup" "$tool not found (.ci/setup installs swaks, sasl2-bin)"
done

# What an earlier run kept must not stand in for this run's envelope.
OUT_FILES=(message.html passcode.txt recipient.txt template.txt orig.eml envelope-recovery.pem)
[ -n "$OUT" ] && for f in "${OUT_FILES[@]}"; do rm -f "$OUT/$f"; done

W=$(mktemp -d /tmp/sealmilter-rights.XXXXXX); chmod 755 "$W"
mkdir -p "$W/msgs" "$W/out" "$W/log" "$W/reg"; chown postfix "$W/reg"
D1=$W/pf1; D2=$W/pf2; PIDS=(); PG=
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    [ -d "$D1" ] && "$HARNESS" down "$D1"
    [ -d "$D2" ] && "$HARNESS" down "$D2"
    [ -n "$PG" ] && "$HERE/pg-temp.sh" stop "$PG"
    if [ -n "${E2E_KEEP:-}" ]; then echo "# kept $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# up DIR SMTP SINK SUBMIT — a private Postfix with SMTP AUTH (Cyrus SASL, sasldb:
# alice / alice-secret) on SMTP.
up() {
    local dir=$1
    PFH_SMTP_PORT=$2 PFH_SINK_PORT=$3 PFH_SUBMIT_PORT=$4 "$HARNESS" up "$dir" >"$W/log/up-$(basename "$dir").log" 2>&1 \
        || { note "$(tail -5 "$W/log/up-$(basename "$dir").log")"; return 1; }
    # Debian's Postfix reads Cyrus SASL's smtpd.conf from $config_directory/sasl.
    mkdir -p "$dir/etc/sasl"
    echo alice-secret | saslpasswd2 -p -c -f "$dir/etc/sasl/sasldb2" -u e2e.test alice
    printf 'pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\nsasldb_path: %s/etc/sasl/sasldb2\n' "$dir" > "$dir/etc/sasl/smtpd.conf"
    chown -R postfix "$dir/etc/sasl"
    postconf -c "$dir/etc" -e smtpd_sasl_auth_enable=yes smtpd_sasl_type=cyrus smtpd_sasl_path=smtpd \
        smtpd_sasl_local_domain=e2e.test smtpd_tls_auth_only=no
    postfix -c "$dir/etc" reload >/dev/null 2>&1; sleep 0.5
}

# daemon NAME DIR POLICY — sealmilterd for the Postfix in DIR.
daemon() {
    local name=$1 dir=$2 policy=$3 sock=$2/run/sealmilter.sock
    ( exec "$DAEMON" --socket "unix:$sock" --policy "$policy" --foreground --user postfix ) >>"$W/log/$name.log" 2>&1 &
    PIDS+=($!)
    wait_socket "${PIDS[-1]}" "$sock" "$W/log/$name.log" || return 1
    "$HARNESS" milter "$dir" "unix:$sock"
}

policy() {  # policy FILE REGISTRY-YAML SUBMIT-PORT
    [ -s "$W/marker.key" ] || { openssl rand -base64 32 > "$W/marker.key"; chown postfix "$W/marker.key"; chmod 600 "$W/marker.key"; }
    mkdir -p "$W/keys"; [ -s "$W/keys/envelope-recovery.pem" ] || "$SEALCTL" keys init --dir "$W/keys" --user postfix >"$W/log/keys-init" 2>&1 \
        || note "sealctl keys init failed: $(tail -2 "$W/log/keys-init")"
    chmod 755 "$W/keys" 2>/dev/null
    cat > "$1" <<EOP
internal_domains: [int.test]
flag_unscannable: false
keys: {marker: $W/marker.key, envelope_recovery: $W/keys/envelope-recovery.pem, envelope_reply: $W/keys/envelope-reply.secret}
submission: {method: smtp, host: 127.0.0.1, port: $3, marker_key: marker, notice_sender: postmaster@int.test}
envelope: {recovery_key: envelope_recovery, reply_secret: envelope_reply}
rights:
  registry: $2
  inside: labels
rules:
  - name: manual
    when: {rights_requested: true}
    for_each_recipient: true
    actions:
      - protect: requested
  - name: secret
    when: {subject: {contains: ["[secret]"]}}
    for_each_recipient: true
    actions:
      - protect: {template: do-not-forward}
  - name: dnf
    when: {forwards_protected: true}
    actions: [enforce_rights]
EOP
    chmod 644 "$1"
}

# sendto PORT NAME FILE FROM TO [SWAKS-ARGS] — output in $W/out/NAME.
sendto() {
    local port=$1 name=$2 file=$3 from=$4 to=$5; shift 5
    E2E_SMTP_PORT=$port send "$name" --from "$from" --to "$to" --data "@$file" "$@"
}
queued() { data_reply "$1" | sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p'; }
# sink DIR TEXT — the delivered copy (file) containing TEXT, waiting up to 15 s.
sink() { local i f; for i in $(seq 1 150); do f=$(grep -rlF -- "$2" "$1/sink" 2>/dev/null | head -1); [ -n "$f" ] && { echo "$f"; return 0; }; sleep 0.1; done; return 1; }

# refused CASE PORT NAME LOG [EVIDENCE] — message NAME was refused with the documented
# reply, and the daemon's log line (with the queue ID) names the protected message (and,
# when given, the evidence it was found by).
refused() {
    local what=$1 port=$2 name=$3 log=$4 evidence=${5:-} r seen got
    seen=$(grep -o "rights=dnf [^\"]*evidence=\"[^\"]*\"" "$W/log/$log.log" | wc -l)
    sendto "$port" "$what-$name" "$W/msgs/$name.eml" bob@int.test "$(grep -m1 '^To: ' "$W/msgs/$name.eml" | cut -c5-)"
    r=$(data_reply "$what-$name")
    if [[ "$r" != "550 5.7.1 Do Not Forward: this message carries or answers protected message $PID"* ]]; then
        notok "$what: $name refused" "reply was: ${r:-$(tail -3 "$W/out/$what-$name" | tr '\n' ' ')}"; return
    fi
    if ! grep -qE "^[^ ]*.*: action=reject .*rights=dnf protected=$PID template=do-not-forward" "$W/log/$log.log"; then
        notok "$what: $name refused" "no log line naming $PID in $log.log"; return
    fi
    # This message's own log line: the first rights=dnf line after those seen before it.
    got=$(grep -o "rights=dnf [^\"]*evidence=\"[^\"]*\"" "$W/log/$log.log" | sed -n "$((seen + 1))p")
    if [ -n "$evidence" ] && [ "${got##*evidence=}" != "\"$evidence\"" ]; then
        notok "$what: $name refused by $evidence" "log line: ${got:-none}"; return
    fi
    ok "$what: $name refused (\"${r:0:60}...\"; $got)"
}

# passes CASE PORT DIR NAME FROM TO — message NAME was accepted and delivered.
passes() {
    local what=$1 port=$2 dir=$3 name=$4 from=$5 to=$6 q
    sendto "$port" "$what-$name" "$W/msgs/$name.eml" "$from" "$to"
    q=$(queued "$what-$name")
    if [ -z "$q" ]; then notok "$what: $name passes" "$(data_reply "$what-$name")"; return 1; fi
    if ! sink "$dir" "$(sed -n 's/^Message-ID: //p' "$W/msgs/$name.eml")" >/dev/null; then notok "$what: $name passes" "queued as $q, not delivered"; return 1; fi
    ok "$what: $name passes (queued as $q, delivered)"
}

# protect CASE PORT DIR — the protected message goes through and is labelled.
protect() {
    local what=$1 port=$2 dir=$3 f
    sendto "$port" "$what-protected" "$W/msgs/protected.eml" alice@int.test bob@int.test,carol@int.test
    if [ -z "$(queued "$what-protected")" ]; then notok "$what: protected message accepted" "$(data_reply "$what-protected")"; return 1; fi
    if ! f=$(sink "$dir" "$PID"); then notok "$what: protected message delivered" "not in the sink"; return 1; fi
    if grep -q '^X-Sealmilter-Rights: do-not-forward' "$f" && grep -q '^Sensitivity: Company-Confidential' "$f"; then
        ok "$what: protected message delivered with Sensitivity and X-Sealmilter-Rights labels"
    else
        notok "$what: protected message labelled" "$(grep -E '^(X-Sealmilter|Sensitivity)' "$f" | tr '\n' ' ')"
    fi
}

# ---------------------------------------------------------------------------
TOK=r$$$RANDOM
PID="<$TOK-p@int.test>"
$PY "$HERE/rights_msgs.py" "$W/msgs" "$TOK" || bail setup "rights_msgs.py failed"
note "work directory $W"

# 1. SQLite
up "$D1" "$P1_SMTP" "$P1_SINK" "$P1_SUB" || bail "setup" "Postfix instance 1 did not start"
policy "$W/sqlite.yaml" "{sqlite: $W/reg/rights.db}" "$P1_SUB"
r=$("$SEALCTL" check-config "$W/sqlite.yaml" 2>&1) && ok "sqlite: policy passes check-config" || notok "sqlite: check-config" "$r"
daemon d1 "$D1" "$W/sqlite.yaml" || bail setup "daemon 1"

# Outside recipients get the envelope (issue 12's encrypt action) with the rights in
# its payload meta; the passcode message goes to them separately; nothing readable leaves.
printf 'From: alice@int.test\nTo: eve@ext.test\nSubject: [secret] Term sheet %s\nMessage-ID: <%s-env@int.test>\n\n%s\n' "$TOK" "$TOK" \
    "The term sheet for the joint venture lists forty two million euros of committed capital and a closing date in spring." > "$W/msgs/env.eml"
sendto "$P1_SMTP" env "$W/msgs/env.eml" alice@int.test eve@ext.test
if sink "$D1" 'filename="message.html"' >/dev/null && f=$(grep -lF "$TOK-env@" $(grep -rlF 'filename="message.html"' "$D1/sink") | head -1) && [ -n "$f" ]; then
    if sink "$D1" "Passcode for an encrypted message" >/dev/null && ! grep -q "committed capital" "$f" \
        && $PY -c 'import email,sys; m=email.message_from_binary_file(open(sys.argv[1],"rb")); [open(sys.argv[2],"wb").write(p.get_payload(decode=True)) for p in m.walk() if p.get_filename()=="message.html"]' "$f" "$W/out/env.html" \
        && "$SEALCTL" envelope open --key "$W/keys/envelope-recovery.pem" --meta "$W/out/env.html" >"$W/out/env-open" 2>&1 \
        && grep -q '"template": *"do-not-forward"' "$W/out/env-open" && grep -q '"no_forward": *true' "$W/out/env-open"; then
        ok "envelope: outside recipient got message.html and a passcode message, no plaintext; opened with the recovery key, meta.rights is do-not-forward"
        if [ -n "$OUT" ]; then
            # The passcode message for this envelope (it names the original's Message-ID).
            pf=$(grep -lF "$TOK-env@" $(grep -rlF 'Passcode for an encrypted message' "$D1/sink") 2>/dev/null | head -1)
            if [ -n "$pf" ] && pc=$($PY "$HERE/../envelope/envelope.py" passcode "$pf" 2>"$W/out/passcode.err") \
                && mkdir -p "$OUT" && cp "$W/out/env.html" "$OUT/message.html" && cp "$W/msgs/env.eml" "$OUT/orig.eml" \
                && cp "$W/keys/envelope-recovery.pem" "$OUT/" && echo "$pc" > "$OUT/passcode.txt" \
                && echo eve@ext.test > "$OUT/recipient.txt" && echo do-not-forward > "$OUT/template.txt"; then
                ok "envelope: kept the delivered protected envelope and the passcode from its passcode message in $OUT"
            else notok "envelope: keep the delivered envelope in $OUT" "passcode message ${pf:-not found} $(cat "$W/out/passcode.err" 2>/dev/null)"; fi
        fi
    else notok "envelope: outside recipient" "$(head -c 300 "$W/out/env-open" 2>/dev/null | tr '\n' ' ')"; fi
else notok "envelope: outside recipient delivered" "$(data_reply env)"; fi

if protect sqlite "$P1_SMTP" "$D1"; then
    r=$("$SEALCTL" rights show --registry "sqlite:$W/reg/rights.db" "$PID" 2>&1)
    [[ "$r" == *"do-not-forward"*"to=bob@int.test,carol@int.test"*"64 shingle hashes"* ]] && ok "sqlite: sealctl rights show" || notok "sqlite: sealctl rights show" "$r"
    for m in fwd-refs fwd-eml fwd-rfc822 fwd-quote fwd-edit; do refused sqlite "$P1_SMTP" "$m" d1; done
    refused sqlite "$P1_SMTP" fwd-rfc822-id d1 message-id
    passes sqlite "$P1_SMTP" "$D1" reply bob@int.test alice@int.test
    passes sqlite "$P1_SMTP" "$D1" fwd-rfc822-other bob@int.test eve@ext.test
fi

# Manual template: the tag from an unauthenticated sender does nothing.
sendto "$P1_SMTP" tag-anon "$W/msgs/tag.eml" alice@int.test bob@int.test
if f=$(sink "$D1" "$TOK-tag@"); then
    if grep -q "^Subject: \[dnf\] Salary review" "$f" && ! grep -q '^X-Sealmilter-Rights' "$f"; then ok "manual: unauthenticated [dnf] tag does nothing (subject kept, no labels)"
    else notok "manual: unauthenticated tag" "$(grep -E '^(Subject|X-Sealmilter)' "$f" | tr '\n' ' ')"; fi
else notok "manual: unauthenticated tag delivered" "$(data_reply tag-anon)"; fi
rm -f "$D1"/sink/*
sed -i "s/$TOK-tag@/$TOK-tag2@/" "$W/msgs/tag.eml"
sendto "$P1_SMTP" tag-auth "$W/msgs/tag.eml" alice@int.test bob@int.test --auth PLAIN --auth-user alice@e2e.test --auth-password alice-secret
if grep -q "^<-  235" "$W/out/tag-auth" && f=$(sink "$D1" "$TOK-tag2@"); then
    if grep -q "^Subject: Salary review $TOK" "$f" && grep -q '^X-Sealmilter-Rights: do-not-forward' "$f" && grep -q "auth=alice" "$W/log/d1.log"; then
        ok "manual: [dnf] tag after SMTP AUTH applies do-not-forward and is gone from the subject"
    else notok "manual: authenticated tag" "$(grep -E '^(Subject|X-Sealmilter)' "$f" | tr '\n' ' ')"; fi
else notok "manual: authenticated tag" "AUTH or delivery failed: $(grep -E '^<.*(235|535|5[0-9][0-9])' "$W/out/tag-auth" | head -2 | tr '\n' ' ')"; fi

r=$("$SEALCTL" rights list --registry "sqlite:$W/reg/rights.db" 2>&1)
[[ "$r" == *"$TOK-tag2@"*"$PID"* ]] && ok "sqlite: sealctl rights list" || notok "sqlite: sealctl rights list" "$r"
if "$SEALCTL" rights expire --registry "sqlite:$W/reg/rights.db" "$PID" >/dev/null 2>&1; then
    passes sqlite-expired "$P1_SMTP" "$D1" fwd-refs bob@int.test eve@ext.test && ok "sqlite: after sealctl rights expire the forward passes"
else notok "sqlite: sealctl rights expire" "failed"; fi

# 2. PostgreSQL shared by two daemons behind two Postfix instances.
PG=$W/pg
URI=$("$HERE/pg-temp.sh" start "$PG" 2>"$W/log/pg.log") || { notok "postgresql: server" "$(tail -3 "$W/log/pg.log")"; PG=; }
if [ -n "$PG" ]; then
    TOK=q$$$RANDOM; PID="<$TOK-p@int.test>"
    rm -rf "$W/msgs"; mkdir -p "$W/msgs"; $PY "$HERE/rights_msgs.py" "$W/msgs" "$TOK"
    for p in "${PIDS[@]}"; do kill "$p"; wait "$p" 2>/dev/null; done; PIDS=()
    up "$D2" "$P2_SMTP" "$P2_SINK" "$P2_SUB" || notok "setup" "Postfix instance 2 did not start"
    policy "$W/pg1.yaml" "{postgresql: \"$URI\"}" "$P1_SUB"
    policy "$W/pg2.yaml" "{postgresql: \"$URI\"}" "$P2_SUB"
    daemon p1 "$D1" "$W/pg1.yaml" && daemon p2 "$D2" "$W/pg2.yaml"
    if protect "postgresql MTA 1" "$P1_SMTP" "$D1"; then
        for m in fwd-refs fwd-eml fwd-rfc822 fwd-quote fwd-edit; do refused "postgresql MTA 2" "$P2_SMTP" "$m" p2; done
        refused "postgresql MTA 2" "$P2_SMTP" fwd-rfc822-id p2 message-id
        passes "postgresql MTA 2" "$P2_SMTP" "$D2" reply bob@int.test alice@int.test
    fi
    n=$(psql "$URI" -Atc "select count(*) from sealmilter_protected" 2>&1)
    [ "$n" = 1 ] && ok "postgresql: one protected message in the shared registry" || notok "postgresql: registry rows" "$n"
fi

summary
