#!/usr/bin/env bash
# Tests/e2e/connect.sh DAEMON SEALCTL — TLS connectors end to end: sealmilterd behind
# a private Postfix with STARTTLS and client certificates asked for
# (smtpd_tls_ask_ccert = yes), swaks as the partner (docs/connectors.md).
#
#   p1  plaintext from the partner's domain: refused at MAIL FROM with the configured code
#   p2  STARTTLS without a client certificate: refused (no verified certificate name)
#   p3  a client certificate of the partner's CA naming another host: refused
#   p4  the partner's own certificate: accepted and delivered
#   p5  plaintext from another domain: accepted (the refusal is the connector's)
#   t1  `sealctl postfix tls-policy` writes a table that postmap builds and that
#       answers each partner domain; `postfix check` passes with main.cf pointing at it
#
# Builds nothing. Run as root. Environment: PFH_SMTP_PORT / PFH_SINK_PORT /
# PFH_SUBMIT_PORT (harness defaults), E2E_KEEP=1 keeps the work directory.
# Prints "ok - name" / "not ok - name: reason" per case, then "N passed, M failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
DAEMON=${1:?usage: connect.sh DAEMON SEALCTL}
SEALCTL=${2:?usage: connect.sh DAEMON SEALCTL}

. "$HERE/postfix-harness.sh"
. "$HERE/e2e-lib.sh" # ok/notok/bail/summary, send, tok, simple_msg, start_daemon

for tool in swaks openssl postmap postfix "$DAEMON" "$SEALCTL"; do
    if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "$tool" ]; then
        bail connect "$tool is missing"
    fi
done

e2e_harness_init # W, SOCK, E2E_SMTP_PORT
POLICY=$W/policy.yaml

# The partner's CA and two client certificates it signed: the partner's MTA
# (mx.acme.e2e) and another host (mx.evil.e2e).
(
    cd "$W/tls" &&
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout partner-ca.key -out partner-ca.pem \
        -subj "/O=Acme E2E/CN=Acme E2E Partner CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" &&
    for h in acme evil; do
        openssl req -newkey rsa:2048 -nodes -keyout "$h.key" -out "$h.csr" -subj "/O=E2E/CN=mx.$h.e2e" &&
        printf 'subjectAltName=DNS:mx.%s.e2e\nextendedKeyUsage=clientAuth\n' "$h" > "$h.ext" &&
        openssl x509 -req -in "$h.csr" -CA partner-ca.pem -CAkey partner-ca.key -CAcreateserial -days 2 \
            -extfile "$h.ext" -out "$h.pem" || exit 1
    done &&
    cat ca.pem partner-ca.pem > smtpd-ca.pem
) >"$W/log/partner-certs.log" 2>&1 || bail connect "openssl could not make the partner certificates: $(tail -2 "$W/log/partner-certs.log")"

# This instance asks clients for certificates and trusts the partner's CA for them.
pfh_postconf "smtpd_tls_ask_ccert = yes" "smtpd_tls_CAfile = $W/tls/smtpd-ca.pem"

cat > "$POLICY" <<'YAML'
internal_domains: [int.test]
connectors:
  - name: acme
    domains: [acme.e2e]
    min_tls_version: TLSv1.2
    certificate_names: [mx.acme.e2e]
    certificate_issuers: ["Acme E2E Partner CA"]
    on_violation: reject
    reply: {code: "554", xcode: "5.7.10", text: "E2E acme TLS policy"}
  - name: bank
    domains: [bank.e2e, .bank.e2e]
    outbound: dane-only
  - name: sts
    domains: [sts.e2e]
    outbound: mta-sts
  - name: plainpartner
    domains: [plain.e2e]
    outbound: verify
    min_tls_version: TLSv1.3
YAML
chmod 644 "$POLICY"
r=$("$SEALCTL" check-config "$POLICY" 2>&1); note "sealctl check-config: $r"

pfh_start || bail
start_daemon
pfh_milter "unix:$SOCK"

# mail_reply NAME — the server's reply to MAIL FROM in swaks output NAME.
mail_reply() { awk '/^ [-~]> MAIL FROM:/ { getline; sub(/^<[-~*]+ +/, ""); print; exit }' "$W/out/$1"; }
# counts REGEX FILE — how many lines of FILE match.
counts() { grep -cE -- "$1" "$2" 2>/dev/null; }
PF_REJECT="NOQUEUE: milter-reject: MAIL from .*: 554 5.7.10 E2E acme TLS policy; from=<alice@acme.e2e>"
# refused CASE NAME WANT-LOG BEFORE — the MAIL FROM reply is the connector's, Postfix
# logged one more milter reject at MAIL than BEFORE, and the daemon logged the
# connector and the violated requirement.
refused() {
    local case=$1 name=$2 want=$3 before=$4 reply line
    reply=$(mail_reply "$name")
    if [[ "$reply" != "554 5.7.10 E2E acme TLS policy"* ]]; then notok "$case" "MAIL FROM answered '$reply' (wanted 554 5.7.10)"; return; fi
    for _ in $(seq 1 50); do [ "$(counts "$PF_REJECT" "$W/log/maillog")" -gt "$before" ] && break; sleep 0.1; done
    if [ "$(counts "$PF_REJECT" "$W/log/maillog")" -le "$before" ]; then notok "$case" "Postfix did not log a milter reject at MAIL for it"; return; fi
    for _ in $(seq 1 20); do
        line=$(grep -E "action=reject .*connector=acme violated=$want" "$W/log/daemon.log" | tail -1)
        [ -n "$line" ] && break; sleep 0.1
    done
    if [ -z "$line" ]; then notok "$case" "no daemon log line with connector=acme violated=$want: $(tail -2 "$W/log/daemon.log" | tr '\n' ' ')"; return; fi
    ok "$case: MAIL FROM answered '$reply'; daemon: ${line#*: }"
}

T=$(tok connect); simple_msg "$W/msgs/m.eml" "$T" "e2e connector"

# p1 plaintext from the partner's domain
n=$(counts "$PF_REJECT" "$W/log/maillog")
send p1 --from alice@acme.e2e --to bob@int.test --data "@$W/msgs/m.eml"
refused "p1 plaintext partner refused" p1 "require_tls plaintext" "$n"

# p2 TLS without a client certificate
n=$(counts "$PF_REJECT" "$W/log/maillog")
send p2 --tls --from alice@acme.e2e --to bob@int.test --data "@$W/msgs/m.eml"
if ! grep -q 'TLS started' "$W/out/p2"; then notok "p2 TLS without certificate refused" "TLS not started: $(grep -E '^\*\*\*' "$W/out/p2" | head -2 | tr '\n' ' ')"
else refused "p2 TLS without certificate refused" p2 "certificate_names no-verified-client-certificate" "$n"; fi

# p3 a certificate of the partner's CA for another host
n=$(counts "$PF_REJECT" "$W/log/maillog")
send p3 --tls --tls-cert "$W/tls/evil.pem" --tls-key "$W/tls/evil.key" --from alice@acme.e2e --to bob@int.test --data "@$W/msgs/m.eml"
if ! grep -q 'TLS started' "$W/out/p3"; then notok "p3 wrong certificate name refused" "TLS not started"
else refused "p3 wrong certificate name refused" p3 "certificate_names subject=mx.evil.e2e" "$n"; fi

# p4 the partner's own certificate
T4=$(tok partner); simple_msg "$W/msgs/p4.eml" "$T4" "e2e connector partner"
send p4 --tls --tls-cert "$W/tls/acme.pem" --tls-key "$W/tls/acme.key" --from alice@acme.e2e --to bob@int.test --data "@$W/msgs/p4.eml"
q4=$(queued_id p4)
if [ -z "$q4" ]; then notok "p4 partner certificate accepted" "not queued: MAIL '$(mail_reply p4)'; $(grep -E '^<\*\*' "$W/out/p4" | head -2 | tr '\n' ' ')"
elif ! pfh_wait_sent "$q4" 15; then notok "p4 partner certificate accepted" "queued as $q4 but not delivered: $(grep "$q4" "$W/log/maillog" | tail -1)"
elif [ -z "$(pfh_sink_find "$T4")" ]; then notok "p4 partner certificate accepted" "delivered ($q4) but not in the sink"
elif ! grep -q "$q4: .*action=accept.*tls=TLSv1\.[23]" "$W/log/daemon.log"; then notok "p4 partner certificate accepted" "no daemon line for $q4 with action=accept over TLS: $(grep "$q4" "$W/log/daemon.log" | head -1)"
elif grep -q "$q4: .*connector=" "$W/log/daemon.log"; then notok "p4 partner certificate accepted" "the daemon logged a connector violation for $q4"
else ok "p4 partner certificate accepted and delivered ($q4; Postfix: $(grep -o "$q4: .*Trusted TLS\|Trusted TLS connection established from[^:]*" "$W/log/maillog" | head -1 | cut -c1-90))"; fi

# p5 plaintext from a sender that is no partner
T5=$(tok other); simple_msg "$W/msgs/p5.eml" "$T5" "e2e connector other"
send p5 --from eve@ext.test --to bob@int.test --data "@$W/msgs/p5.eml"
q5=$(queued_id p5)
if [ -z "$q5" ]; then notok "p5 other sender in plaintext accepted" "not queued: MAIL '$(mail_reply p5)'"
elif ! pfh_wait_sent "$q5" 15; then notok "p5 other sender in plaintext accepted" "not delivered"
else ok "p5 other sender in plaintext accepted ($q5)"; fi

# t1 the outbound table
TABLE=$W/etc/sealmilter-tls-policy
if ! "$SEALCTL" postfix tls-policy --policy "$POLICY" > "$TABLE" 2>"$W/log/tls-policy.err"; then
    notok "t1 tls-policy table" "sealctl postfix tls-policy failed: $(head -2 "$W/log/tls-policy.err")"
elif ! postmap -c "$W/etc" "hash:$TABLE" 2>"$W/log/postmap.err" || [ -s "$W/log/postmap.err" ]; then
    notok "t1 tls-policy table" "postmap: $(head -3 "$W/log/postmap.err" | tr '\n' ' ')"
else
    bad=
    for pair in "acme.e2e|secure match=mx.acme.e2e protocols=!SSLv2:!SSLv3:!TLSv1:!TLSv1.1" \
                "bank.e2e|dane-only" ".bank.e2e|dane-only" "sts.e2e|encrypt" \
                "plain.e2e|verify protocols=!SSLv2:!SSLv3:!TLSv1:!TLSv1.1:!TLSv1.2"; do
        k=${pair%%|*}; want=${pair#*|}
        got=$(postmap -c "$W/etc" -q "$k" "hash:$TABLE" 2>&1)
        [ "$got" = "$want" ] || bad="$bad $k='$got'(want '$want')"
    done
    # postfix check with main.cf pointing at the table (a copy of the instance's configuration)
    mkdir -p "$W/etc-check" && cp "$W/etc/main.cf" "$W/etc/master.cf" "$W/etc-check/"
    postconf -c "$W/etc-check" -e "smtp_tls_policy_maps = hash:$TABLE" "smtp_tls_security_level = may" \
        "smtp_tls_CAfile = $W/tls/ca.pem" "smtp_dns_support_level = dnssec"
    postfix -c "$W/etc-check" check >"$W/log/check.out" 2>&1; rc=$?
    if [ -n "$bad" ]; then notok "t1 tls-policy table" "postmap -q:$bad"
    elif [ "$rc" != 0 ] || grep -qi 'warning\|error\|fatal' "$W/log/check.out"; then notok "t1 tls-policy table" "postfix check (exit $rc): $(head -3 "$W/log/check.out" | tr '\n' ' ')"
    elif [ "$(postconf -c "$W/etc-check" -h smtp_tls_policy_maps)" != "hash:$TABLE" ]; then notok "t1 tls-policy table" "main.cf does not point at the table"
    else ok "t1 tls-policy table: $(grep -vc '^#' "$TABLE") entries built by postmap, each answered as the connectors say; postfix check clean"; fi
fi

[ -n "$DAEMON_PID" ] && ! kill -0 "$DAEMON_PID" 2>/dev/null && note "the daemon died during the run: $(tail -3 "$W/log/daemon.log")"
summary
