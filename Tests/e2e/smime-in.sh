#!/usr/bin/env bash
# Tests/e2e/smime-in.sh DAEMON SEALCTL — inbound S/MIME end to end: messages signed
# and encrypted by `openssl cms` AND by GnuPG's gpgsm (private GNUPGHOME, the test CA
# imported and trusted) go through the private Postfix (postfix-harness.sh) with
# sealmilterd; what the sink receives is checked: Authentication-Results (smime=pass,
# RFC 7281) at the top of the header section (RFC 8601: right below Postfix's own
# Received, above every field that arrived), a forged result for our authserv-id removed, a tampered signature
# failing, the signer harvested (then in `sealctl cert list`), and with the key on
# file decrypted (the delivered plaintext equals the original, marked
# X-Sealmilter-Decrypted) — enveloped-data and authEnveloped-data (AES-GCM) — and an
# encrypted keyword caught by a body rule after decryption; without the key the
# message is not decrypted, the keyword not seen, and it stays flagged unscannable.
# Then outbound, smime_encrypt's default cipher (auto) from the harvested
# capabilities: a signer whose signature (Tests/e2e/sign-with-caps.c, built here
# with cc -lcrypto) advertised AES-256-GCM gets authEnveloped-data, one harvested
# from `openssl cms -sign` (CBC only) and a message to both get AES-256-CBC; each
# opened by `openssl cms -decrypt` with the recipient's key.
# The CA and certificates are made by Tests/smime/make-material.sh. Builds nothing;
# run as root. Ports: PFH_SMTP_PORT/PFH_SINK_PORT/PFH_SUBMIT_PORT.
# Prints "ok - name" / "not ok - name: reason", then "N passed, M failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
DAEMON=${1:?usage: smime-in.sh DAEMON SEALCTL}
SEALCTL=${2:?usage: smime-in.sh DAEMON SEALCTL}
. "$HERE/postfix-harness.sh"
. "$HERE/e2e-lib.sh" # ok/notok/bail/summary, send, tok, start_daemon, wait_sent, gpgsm_home

for tool in openssl gpgsm swaks postfix cc; do
    command -v $tool >/dev/null || bail "tools" "$tool is not installed (Debian package $tool)"
done

# At exit: the daemon, the gpg-agent of the private GNUPGHOME, the instance.
cleanup() {
    stop_daemon
    [ -n "${GNUPGHOME:-}" ] && gpgconf --kill all >/dev/null 2>&1
    e2e_cleanup
}
e2e_harness_init # W, SOCK, E2E_SMTP_PORT; the trap runs cleanup above
P=$W/pki
mkdir -p "$W/store" "$W/keys" "$W/gnupg"
POLICY=$W/policy.yaml
AUTHSERV=mx.e2e.test

if ! "$HERE/../smime/make-material.sh" "$P" >"$W/log/pki.log" 2>&1; then
    bail "pki" "make-material.sh failed: $(tail -3 "$W/log/pki.log" | tr '\n' ' ')"
fi
cp "$P/bob.key" "$W/keys/bob.key"
chown postfix "$W/keys"/* "$W/store"; chmod 600 "$W/keys"/*
chmod 755 "$P"; chmod 644 "$P"/*.pem

cat > "$POLICY" <<EOF
internal_domains: [example.org]
keys:
  bob-key: $W/keys/bob.key
smime:
  store: $W/store
  trust: {anchors: [$P/ca.pem]}
  identities:
    - {for: bob@example.org, key: bob-key, certificate: $P/bob.pem}
  inbound:
    authserv_id: $AUTHSERV
rules:
  - name: keyword
    when: {body: {contains: [Kumquat]}}
    actions: [{add_header: {name: X-E2E-Keyword, value: found}}]
  - name: encrypt-out
    when: {subject: {contains: [E2E-AUTO]}}
    actions: [{smime_encrypt: {without_certificate: reject}}]
EOF
chmod 644 "$POLICY"
if r=$("$SEALCTL" check-config --user postfix "$POLICY" 2>&1); then ok "policy loads (sealctl check-config --user postfix)"
else notok "policy loads" "$r"; fi

pfh_start || bail
start_daemon || note "daemon not running; every message will be tempfailed"
pfh_milter "unix:$SOCK"

# gpgsm: a private GNUPGHOME with the CA trusted (gpgsm_home); alice's key (to sign)
# and bob's certificate (to encrypt to).
gpgsm_home "$P/ca.pem"
{
    openssl pkcs12 -export -legacy -in "$P/alice.pem" -inkey "$P/alice.key" -out "$W/msgs/alice.p12" -passout pass:e2e-pass
    gpgsm --batch --pinentry-mode loopback --passphrase-fd 0 --import "$W/msgs/alice.p12" <<<e2e-pass
    gpgsm --batch --import "$P/bob.pem"
} >>"$W/log/gpgsm-setup.log" 2>&1

# got NAME TOKEN — the message the sink received (in $W/msgs/NAME.got).
got() { local f; f=$(pfh_sink_find "$2" | head -1); [ -n "$f" ] && pfh_sink_message "$f" > "$W/msgs/$1.got"; }
# head_of FILE / body_of FILE — a message's header section (unfolded) and body, LF line ends.
head_of() { tr -d '\r' < "$1" | sed '/^$/q' | sed -e ':a' -e '$!N;s/\n[ \t]\+/ /;ta' -e 'P;D'; }
body_of() { tr -d '\r' < "$1" | sed '1,/^$/d'; }
# inner TOKEN — the content entity every case protects (a text part with the keyword and a PDF).
inner() {
    printf 'Content-Type: multipart/mixed; boundary="in-%s"\n\n--in-%s\nContent-Type: text/plain; charset=utf-8\n\nThe Kumquat plan %s.\n\n--in-%s\nContent-Type: application/pdf; name="a.pdf"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQKJcfsj6IK\n--in-%s--\n' "$1" "$1" "$1" "$1" "$1" | sed 's/$/\r/'
}
# wrap FILE TOKEN SUBJECT [EXTRA-HEADER] < S/MIME entity — the outer message around an S/MIME entity.
wrap() {
    { printf 'From: %s\r\nTo: bob@example.org\r\nSubject: %s %s\r\nDate: %s\r\nMessage-ID: <%s@e2e.test>\r\n' "${WRAP_FROM:-Alice <alice@partner.example>}" "$3" "$2" "$(date -R)" "$2"
      [ -n "${4:-}" ] && printf '%s\r\n' "$4"
      sed 's/\r$//; s/$/\r/'; } > "$1"
}
# multipart_signed INNER P7S-BASE64 — a multipart/signed entity around INNER (CRLF) and a detached signature.
multipart_signed() {
    local b="sig-$RANDOM$RANDOM"
    printf 'MIME-Version: 1.0\r\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="%s"\r\n\r\n--%s\r\n' "$b" "$b"
    cat "$1"
    printf '\r\n--%s\r\nContent-Type: application/pkcs7-signature; name="smime.p7s"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="smime.p7s"\r\n\r\n' "$b"
    tr -d '\r' < "$2" | grep -v '^-----' | sed 's/$/\r/'
    printf '\r\n--%s--\r\n' "$b"
}
# enveloped KIND BASE64 — an application/pkcs7-mime entity.
enveloped() {
    printf 'MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=%s; name="smime.p7m"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="smime.p7m"\r\n\r\n' "$1"
    tr -d '\r' < "$2" | grep -v '^-----' | sed 's/$/\r/'
}
# ar FILE — the Authentication-Results fields of ours in a received message.
ar() { head_of "$1" | grep -i "^Authentication-Results: *$AUTHSERV;" ; }
# ar_on_top NAME WHAT — our Authentication-Results in the delivered NAME.got is at the top
# (RFC 8601): the engine inserts it with smfi_insheader index 1, and Postfix counts its
# own Received field (which it does not pass to milters) for inserts, so ours must be
# the second field, right below Postfix's Received of this hop (its queue ID), and
# above every field that arrived: From, Subject, Date and another's Authentication-Results.
ar_on_top() {
    local h q first n_ar n_other n_from n_subj n_date
    h=$(head_of "$W/msgs/$1.got"); q=$(queued_id "$1")
    first=$(sed -n 1p <<<"$h")
    n_ar=$(grep -n -i -m1 "^Authentication-Results: *$AUTHSERV;" <<<"$h" | cut -d: -f1)
    n_other=$(grep -n -i -m1 "^Authentication-Results: other.e2e.test" <<<"$h" | cut -d: -f1)
    n_from=$(grep -n -i -m1 "^From:" <<<"$h" | cut -d: -f1); n_subj=$(grep -n -i -m1 "^Subject:" <<<"$h" | cut -d: -f1)
    n_date=$(grep -n -i -m1 "^Date:" <<<"$h" | cut -d: -f1)
    if [[ "$first" == "Received: "*" (Postfix) with "*" id $q"* ]] && [ -n "$q" ] && [ "${n_ar:-0}" = 2 ] \
       && [ "$n_ar" -lt "$n_from" ] && [ "$n_ar" -lt "$n_subj" ] && [ "$n_ar" -lt "$n_date" ] && [ "$n_ar" -lt "${n_other:-999}" ]; then
        ok "$2: our Authentication-Results is at the top (line 2, below Postfix's own Received id $q; From line $n_from, Subject $n_subj, Date $n_date${n_other:+, the other result $n_other})"
    else notok "$2: Authentication-Results at the top" "line ${n_ar:-none} (From $n_from, Subject $n_subj, Date $n_date, other ${n_other:-none}); first fields: $(head -3 <<<"$h" | cut -c1-90 | tr '\n' '|')"; fi
}
send_case() {  # send_case NAME FILE TOKEN — send, wait, fetch; returns 1 when nothing arrived
    send "$1" --from alice@partner.example --to bob@example.org --data "@$2"
    if ! wait_sent "$1" || ! got "$1" "$3"; then notok "$1: delivered" "$(data_reply "$1") $(tail -2 "$W/log/daemon.log" | tr '\n' ' ')"; return 1; fi
}

# (1) openssl cms: detached signature, with a forged result for our authserv-id beside another's.
T=$(tok osign); inner "$T" > "$W/msgs/1.inner"
openssl cms -sign -binary -in "$W/msgs/1.inner" -signer "$P/alice.pem" -inkey "$P/alice.key" -certfile "$P/ca.pem" > "$W/msgs/1.smime" 2>>"$W/log/openssl.log"
wrap "$W/msgs/1.eml" "$T" "openssl signed" "Authentication-Results: $AUTHSERV; smime=pass (forged by the sender)
Authentication-Results: other.e2e.test; spf=pass smtp.mailfrom=partner.example" < "$W/msgs/1.smime"
if send_case osign "$W/msgs/1.eml" "$T"; then
    f=$W/msgs/osign.got; a=$(ar "$f")
    if [ "$(wc -l <<<"$a")" = 1 ] && [[ "$a" == *"smime=pass"* ]] && [[ "$a" == *"body.smime-identifier=alice@partner.example"* ]]; then ok "openssl signed: Authentication-Results $(grep -o 'smime=pass body.smime-identifier=[^ ]*' <<<"$a")"
    else notok "openssl signed: Authentication-Results" "$a"; fi
    if ! grep -q "forged by the sender" "$f" && grep -q "^Authentication-Results: other.e2e.test" "$f"; then ok "forged Authentication-Results for $AUTHSERV removed, another's kept"
    else notok "forged Authentication-Results removed" "$(head_of "$f" | grep -i authentication-results)"; fi
    ar_on_top osign "openssl signed"
    if grep -q "^X-E2E-Keyword: found" "$f"; then ok "openssl signed: the body rule sees the signed text"; else notok "openssl signed: body rule" "no X-E2E-Keyword"; fi
    # The signature still verifies at the recipient (the body was not changed).
    if openssl cms -verify -CAfile "$P/ca.pem" -in "$f" -out /dev/null 2>"$W/log/verify1.log"; then ok "openssl signed: delivered message still verifies"
    else notok "openssl signed: delivered message verifies" "$(tail -2 "$W/log/verify1.log" | tr '\n' ' ')"; fi
fi
# Harvested: the signer's certificate is in the store.
if "$SEALCTL" cert list --store "$W/store" 2>&1 | grep -q "alice@partner.example"; then ok "signer harvested: sealctl cert list shows alice@partner.example"
else notok "signer harvested" "$("$SEALCTL" cert list --store "$W/store" 2>&1 | tail -3 | tr '\n' ' ')"; fi

# (2) tampered: the signed text changed after signing.
T=$(tok tamper); inner "$T" > "$W/msgs/2.inner"
openssl cms -sign -binary -in "$W/msgs/2.inner" -signer "$P/alice.pem" -inkey "$P/alice.key" > "$W/msgs/2.smime" 2>>"$W/log/openssl.log"
sed 's/The Kumquat plan/The Kumquat p1an/' "$W/msgs/2.smime" | wrap "$W/msgs/2.eml" "$T" "tampered"
if send_case tamper "$W/msgs/2.eml" "$T"; then
    a=$(ar "$W/msgs/tamper.got")
    if [[ "$a" == *"smime=fail"* ]]; then ok "tampered signature: smime=fail"; else notok "tampered signature" "$a"; fi
fi

# (3) gpgsm: detached signature (gpgsm's own CMS) around the same kind of entity.
T=$(tok gsign); inner "$T" > "$W/msgs/3.inner"
if "${GPGSM[@]}" -u alice@partner.example --detach-sign --base64 --output "$W/msgs/3.p7s" "$W/msgs/3.inner" <<<e2e-pass >"$W/log/gpgsm-sign.log" 2>&1; then
    multipart_signed "$W/msgs/3.inner" "$W/msgs/3.p7s" | wrap "$W/msgs/3.eml" "$T" "gpgsm signed"
    if send_case gsign "$W/msgs/3.eml" "$T"; then
        a=$(ar "$W/msgs/gsign.got")
        if [[ "$a" == *"smime=pass"* ]] && [[ "$a" == *"alice@partner.example"* ]]; then ok "gpgsm signed: smime=pass"
        else notok "gpgsm signed: Authentication-Results" "$a $(grep -o 'smime[-a-z]*=[^ ]*' "$W/log/daemon.log" | tail -3 | tr '\n' ' ')"; fi
    fi
else notok "gpgsm signed" "gpgsm --detach-sign failed: $(tail -3 "$W/log/gpgsm-sign.log" | tr '\n' ' ')"; fi

# check_decrypted NAME TOKEN INNER WHAT — delivered plaintext equals INNER, marked, keyword caught.
check_decrypted() {
    local f=$W/msgs/$1.got
    if ! grep -q "^X-Sealmilter-Decrypted: smime" "$f"; then notok "$4: decrypted and marked" "no X-Sealmilter-Decrypted; $(grep -o 'smime-decrypt=[^ ]*' "$W/log/daemon.log" | tail -1)"; return; fi
    # The plaintext: the inner Content-* fields on the outer header, the inner body.
    local want_ct got_ct
    want_ct=$(head_of "$3" | grep -i '^content-type:')
    got_ct=$(head_of "$f" | grep -i '^content-type:')
    if [ "$want_ct" = "$got_ct" ] && cmp -s <(body_of "$3") <(body_of "$f"); then ok "$4: decrypted, delivered plaintext equals the original"
    else notok "$4: plaintext equals the original" "content-type '$got_ct' vs '$want_ct'; $(diff <(body_of "$3") <(body_of "$f") | head -3 | tr '\n' ' ')"; fi
    if grep -q "^X-E2E-Keyword: found" "$f"; then ok "$4: keyword caught by the body rule after decryption"; else notok "$4: keyword" "no X-E2E-Keyword"; fi
    if grep -qi "^X-Sealmilter-Unscannable" "$f"; then notok "$4: not flagged" "$(grep -i '^X-Sealmilter-Unscannable' "$f")"; fi
}

# (4) openssl cms: signed, then encrypted to bob (AES-256-CBC): decrypted and verified.
T=$(tok oenc); inner "$T" > "$W/msgs/4.inner"
openssl cms -sign -binary -in "$W/msgs/4.inner" -signer "$P/alice.pem" -inkey "$P/alice.key" > "$W/msgs/4.signed" 2>>"$W/log/openssl.log"
openssl cms -encrypt -binary -aes-256-cbc -in "$W/msgs/4.signed" "$P/bob.pem" > "$W/msgs/4.smime" 2>>"$W/log/openssl.log"
wrap "$W/msgs/4.eml" "$T" "openssl signed and encrypted" < "$W/msgs/4.smime"
if grep -q Kumquat "$W/msgs/4.eml"; then notok "openssl encrypted: test message" "the keyword is readable in the ciphertext"; fi
if send_case oenc "$W/msgs/4.eml" "$T"; then
    check_decrypted oenc "$T" "$W/msgs/4.signed" "openssl signed+encrypted (enveloped-data)"
    a=$(ar "$W/msgs/oenc.got")
    if [[ "$a" == *"smime=pass"* ]]; then ok "openssl signed+encrypted: the inner signature verified (smime=pass)"; else notok "openssl signed+encrypted: inner signature" "$a"; fi
    ar_on_top oenc "openssl signed+encrypted (Content-* fields replaced)"
fi

# (5) openssl cms: AES-256-GCM authenticated-enveloped-data.
T=$(tok ogcm); inner "$T" > "$W/msgs/5.inner"
openssl cms -encrypt -binary -aes-256-gcm -in "$W/msgs/5.inner" "$P/bob.pem" > "$W/msgs/5.smime" 2>>"$W/log/openssl.log"
wrap "$W/msgs/5.eml" "$T" "openssl gcm" < "$W/msgs/5.smime"
if grep -qi "smime-type=authEnveloped-data" "$W/msgs/5.eml" && send_case ogcm "$W/msgs/5.eml" "$T"; then
    check_decrypted ogcm "$T" "$W/msgs/5.inner" "openssl AES-GCM (authEnveloped-data)"
fi

# (6) gpgsm: encrypted to bob (gpgsm's own CMS).
T=$(tok genc); inner "$T" > "$W/msgs/6.inner"
if "${GPGSM[@]}" --encrypt -r bob@example.org --base64 --output "$W/msgs/6.p7m" "$W/msgs/6.inner" <<<"" >"$W/log/gpgsm-enc.log" 2>&1; then
    enveloped enveloped-data "$W/msgs/6.p7m" | wrap "$W/msgs/6.eml" "$T" "gpgsm encrypted"
    if send_case genc "$W/msgs/6.eml" "$T"; then check_decrypted genc "$T" "$W/msgs/6.inner" "gpgsm encrypted"; fi
else notok "gpgsm encrypted" "gpgsm --encrypt failed: $(tail -3 "$W/log/gpgsm-enc.log" | tr '\n' ' ')"; fi

# (7) gpgsm: signed (opaque) then encrypted to bob.
T=$(tok gboth); inner "$T" > "$W/msgs/7.inner"
if "${GPGSM[@]}" -u alice@partner.example --sign --output "$W/msgs/7.signed.der" "$W/msgs/7.inner" <<<e2e-pass >"$W/log/gpgsm-both.log" 2>&1 &&
   { printf 'Content-Type: application/pkcs7-mime; smime-type=signed-data; name="smime.p7m"\r\nContent-Transfer-Encoding: base64\r\n\r\n'; base64 -w 64 "$W/msgs/7.signed.der" | sed 's/$/\r/'; } > "$W/msgs/7.signed" &&
   "${GPGSM[@]}" --encrypt -r bob@example.org --base64 --output "$W/msgs/7.p7m" "$W/msgs/7.signed" <<<"" >>"$W/log/gpgsm-both.log" 2>&1; then
    enveloped enveloped-data "$W/msgs/7.p7m" | wrap "$W/msgs/7.eml" "$T" "gpgsm signed and encrypted"
    if send_case gboth "$W/msgs/7.eml" "$T"; then
        a=$(ar "$W/msgs/gboth.got")
        if [[ "$a" == *"smime=pass"* ]] && grep -q "^X-E2E-Keyword: found" "$W/msgs/gboth.got" && grep -q "^X-Sealmilter-Decrypted: smime" "$W/msgs/gboth.got"; then
            ok "gpgsm signed+encrypted: decrypted, opaque signature verified, keyword caught"
        else notok "gpgsm signed+encrypted" "$a; $(grep -c X-E2E-Keyword "$W/msgs/gboth.got") keyword field(s)"; fi
    fi
else notok "gpgsm signed+encrypted" "gpgsm failed: $(tail -3 "$W/log/gpgsm-both.log" | tr '\n' ' ')"; fi

# (8) without the key: encrypted to dave, whose key the gateway does not hold.
T=$(tok nokey); inner "$T" > "$W/msgs/8.inner"
openssl cms -encrypt -binary -aes-256-cbc -in "$W/msgs/8.inner" "$P/dave.pem" > "$W/msgs/8.smime" 2>>"$W/log/openssl.log"
wrap "$W/msgs/8.eml" "$T" "no key" < "$W/msgs/8.smime"
if send_case nokey "$W/msgs/8.eml" "$T"; then
    f=$W/msgs/nokey.got
    if ! grep -q "^X-Sealmilter-Decrypted" "$f" && ! grep -q "^X-E2E-Keyword" "$f" && grep -qi "^X-Sealmilter-Unscannable: .*smime-enveloped" "$f" \
       && cmp -s <(body_of "$W/msgs/8.eml") <(body_of "$f"); then
        ok "no matching key: not decrypted, keyword not seen, flagged unscannable, ciphertext delivered unchanged"
    else notok "no matching key" "$(head_of "$f" | grep -i '^X-' | tr '\n' ' ')"; fi
    if grep -q "smime-decrypt=no-matching-key" "$W/log/daemon.log"; then ok "no matching key: the log line says why"
    else notok "no matching key: log" "$(tail -2 "$W/log/daemon.log" | tr '\n' ' ')"; fi
fi

# (9) Outbound: smime_encrypt's cipher (auto, the default) from the harvested capabilities.
SWC=$W/sign-with-caps
if ! cc -O -Wall -o "$SWC" "$HERE/sign-with-caps.c" -lcrypto >"$W/log/cc.log" 2>&1; then
    notok "sign-with-caps helper" "cc failed (Debian packages gcc, libssl-dev): $(tail -3 "$W/log/cc.log" | tr '\n' ' ')"
else
    # gina signs with capabilities listing AES-256-GCM; verified, she is harvested with them.
    T=$(tok gcaps); inner "$T" > "$W/msgs/9.inner"
    if "$SWC" "$P/gina.pem" "$P/gina.key" "$W/msgs/9.inner" "$W/msgs/9.p7s" aes-256-gcm aes-256-cbc 2>>"$W/log/openssl.log"; then
        multipart_signed "$W/msgs/9.inner" "$W/msgs/9.p7s" | WRAP_FROM="Gina <gina@partner.example>" wrap "$W/msgs/9.eml" "$T" "gcm-capable signer"
        send gcaps --from gina@partner.example --to bob@example.org --data "@$W/msgs/9.eml"
        if wait_sent gcaps && got gcaps "$T" && [[ "$(ar "$W/msgs/gcaps.got")" == *"smime=pass"* ]]; then ok "signer advertising AES-GCM: smime=pass"
        else notok "signer advertising AES-GCM: verified" "$(ar "$W/msgs/gcaps.got" 2>/dev/null) $(data_reply gcaps)"; fi
    else notok "sign-with-caps" "$(tail -3 "$W/log/openssl.log" | tr '\n' ' ')"; fi
    gcaps=$(cat "$W/store/gina@partner.example/"*.caps 2>/dev/null)
    acaps=$(cat "$W/store/alice@partner.example/"*.caps 2>/dev/null)
    if grep -qx "id-aes256-GCM" <<<"$gcaps" && [ -n "$acaps" ] && ! grep -qi "gcm" <<<"$acaps"; then ok "harvested capabilities: gina's list id-aes256-GCM, alice's (openssl cms -sign) do not"
    else notok "harvested capabilities" "gina: $(tr '\n' ' ' <<<"$gcaps"); alice: $(tr '\n' ' ' <<<"$acaps")"; fi

    # out NAME WANT-TYPE WANT-CIPHER RCPT... — bob sends to RCPTs under the encrypt rule; the
    # sink's copy must be WANT-TYPE (smime-type and CMS content type) with WANT-CIPHER, and
    # every recipient's key must open it to the original text.
    out() {
        local name=$1 type=$2 cipher=$3 t f r; shift 3
        t=$(tok "$name")
        printf 'From: Bob <bob@example.org>\r\nTo: %s\r\nSubject: E2E-AUTO %s\r\nDate: %s\r\nMessage-ID: <%s@e2e.test>\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nThe cipher plan %s.\r\n' \
            "$(IFS=,; echo "$*")" "$t" "$(date -R)" "$t" "$t" > "$W/msgs/$name.eml"
        send "$name" --from bob@example.org --to "$(IFS=,; echo "$*")" --data "@$W/msgs/$name.eml"  # swaks: one --to, commas
        if ! wait_sent "$name" || ! got "$name" "$t"; then notok "$name: delivered" "$(data_reply "$name") $(tail -2 "$W/log/daemon.log" | tr '\n' ' ')"; return; fi
        f=$W/msgs/$name.got
        if grep -q "cipher plan" "$f"; then notok "$name: encrypted" "plaintext delivered"; return; fi
        openssl cms -cmsout -print -in "$f" > "$W/msgs/$name.print" 2>>"$W/log/openssl.log"
        local want_ct=pkcs7-envelopedData; [ "$type" = authEnveloped-data ] && want_ct=id-smime-ct-authEnvelopedData
        if head_of "$f" | grep -qi "^Content-Type: application/pkcs7-mime; smime-type=$type;" \
           && grep -q "contentType: $want_ct" "$W/msgs/$name.print" && grep -q "algorithm: $cipher " "$W/msgs/$name.print"; then
            ok "$name: $type, $cipher (to $*)"
        else notok "$name: $type, $cipher" "$(head_of "$f" | grep -i '^content-type'); $(grep -E 'contentType:|algorithm: (aes|id-aes)' "$W/msgs/$name.print" | tr -s ' ' | tr '\n' ' ')"; fi
        for r in "$@"; do
            local k=${r%%@*}
            if openssl cms -decrypt -in "$f" -recip "$P/$k.pem" -inkey "$P/$k.key" 2>>"$W/log/openssl.log" | grep -q "The cipher plan $t"; then ok "$name: openssl cms -decrypt opens it with $k's key"
            else notok "$name: openssl cms -decrypt with $k's key" "$(tail -2 "$W/log/openssl.log" | tr '\n' ' ')"; fi
        done
    }
    out auto-all authEnveloped-data aes-256-gcm gina@partner.example
    out auto-none enveloped-data aes-256-cbc alice@partner.example
    out auto-some enveloped-data aes-256-cbc gina@partner.example alice@partner.example
    if grep -q "smime-cipher=aes-256-gcm(auto)" "$W/log/daemon.log" && grep -q "smime-cipher=aes-256-cbc(auto)" "$W/log/daemon.log"; then ok "log lines name the chosen cipher (smime-cipher=...(auto))"
    else notok "log lines name the chosen cipher" "$(grep -o 'smime-cipher=[^ ]*' "$W/log/daemon.log" | tr '\n' ' ')"; fi
fi

# The daemon's log names the queue ID with each S/MIME result.
if grep -q "smime=pass" "$W/log/daemon.log"; then ok "log lines carry the S/MIME results"; else notok "log lines" "$(tail -3 "$W/log/daemon.log" | tr '\n' ' ')"; fi
summary
