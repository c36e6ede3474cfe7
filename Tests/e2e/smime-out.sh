#!/usr/bin/env bash
# Tests/e2e/smime-out.sh DAEMON SEALCTL — outbound S/MIME end to end: sealmilterd
# behind the private Postfix (postfix-harness.sh) signs, encrypts, and signs and
# encrypts; what the sink receives is checked with `openssl cms` and with GnuPG's
# gpgsm (an independent S/MIME implementation), against the original content.
# Every no-certificate path (reject, tempfail, a fallback action, versions) is sent.
# A test CA, RSA and EC recipient certificates and a signing identity are made
# here with openssl. Builds nothing; run as root. Ports: PFH_SMTP_PORT/PFH_SINK_PORT.
# Prints "ok - name" / "not ok - name: reason", then "N passed, M failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
DAEMON=${1:?usage: smime-out.sh DAEMON SEALCTL}
SEALCTL=${2:?usage: smime-out.sh DAEMON SEALCTL}
. "$HERE/postfix-harness.sh"
. "$HERE/e2e-lib.sh" # ok/notok/bail/summary, send, tok, data_reply, start_daemon, wait_sent, gpgsm_home

for tool in openssl gpgsm swaks postfix; do
    command -v $tool >/dev/null || bail "tools" "$tool is not installed (Debian package ${tool/swaks/swaks})"
done

e2e_harness_init # W, SOCK, E2E_SMTP_PORT
mkdir -p "$W/pki" "$W/store" "$W/keys" "$W/gnupg"
P=$W/pki
POLICY=$W/policy.yaml

# --- the PKI ------------------------------------------------------------------------
pki() {
    cd "$P" || return 1
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj "/O=E2E/CN=E2E SMIME Root" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" || return 1
    # name ADDRESS KEYALG KEYUSAGE
    issue() {
        if [ "$2" = ec ]; then openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1.key"
        else openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key"; fi || return 1
        printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,%s\nextendedKeyUsage=emailProtection\nsubjectAltName=email:%s\n' "$3" "$4" > "$1.ext"
        openssl req -new -key "$1.key" -subj "/O=E2E/CN=$4" -out "$1.csr" &&
            openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 20 -sha256 -extfile "$1.ext" -out "$1.pem"
    }
    issue signer rsa digitalSignature,nonRepudiation alice@int.test &&
        issue rsa rsa digitalSignature,keyEncipherment rsa@ext.test &&
        issue ec ec digitalSignature,keyAgreement ec@ext.test &&
        issue expired rsa digitalSignature,keyEncipherment old@ext.test &&
        issue escrow rsa keyEncipherment escrow@int.test || return 1
    # The certificate of old@ext.test expired in 2020 (openssl ca sets past dates).
    printf '[ca]\ndefault_ca=c\n[c]\ndatabase=index.txt\nnew_certs_dir=.\nserial=ca.srl\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n' > ca.cnf
    : > index.txt
    openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem -extfile expired.ext \
        -notext -startdate 20200101000000Z -enddate 20200201000000Z || return 1
    openssl pkcs12 -export -in signer.pem -inkey signer.key -certfile ca.pem -out signer.p12 -passout pass:e2e-pass &&
        printf 'e2e-pass\n' > signer.pass &&
        openssl pkcs12 -export -legacy -in rsa.pem -inkey rsa.key -out rsa.p12 -passout pass:rsa-pass || return 1
}
if ! (pki) >"$W/log/pki.log" 2>&1; then
    bail "pki" "openssl could not make the test PKI: $(tail -3 "$W/log/pki.log" | tr '\n' ' ')"
fi
cp "$P/signer.p12" "$P/signer.pass" "$W/keys/"
head -c 32 /dev/urandom | base64 > "$W/keys/marker.key"
chown postfix "$W/keys"/*; chmod 600 "$W/keys"/*
chmod 755 "$P"; chmod 644 "$P"/*.pem
# The recipient store: RSA, EC and the expired certificate, through sealctl.
for c in rsa ec expired; do
    "$SEALCTL" cert import --store "$W/store" "$P/$c.pem" >>"$W/log/sealctl.log" 2>&1 || note "sealctl cert import $c failed: $(tail -1 "$W/log/sealctl.log")"
done
chown -R postfix "$W/store"

cat > "$POLICY" <<EOF
internal_domains: [int.test]
keys:
  signer: $W/keys/signer.p12
  signer-pass: $W/keys/signer.pass
  marker: $W/keys/marker.key
submission: {method: smtp, host: 127.0.0.1, port: $PFH_SUBMIT_PORT, marker_key: marker, notice_sender: postmaster@int.test}
smime:
  store: $W/store
  trust: {anchors: [$P/ca.pem]}
  escrow: $P/escrow.pem
  identities:
    - {for: "@int.test", pkcs12: signer, passphrase: signer-pass}
rules:
  # First, so that it is decidable at MAIL: only the envelope sender, no RCPT condition.
  - name: sender-only
    when: {sender: mail-stage@int.test}
    actions: [{smime_encrypt: {without_certificate: reject}}]
  - name: sign
    when: {subject: {contains: [E2E-SIGN]}}
    actions: [smime_sign]
  - name: encrypt
    when: {subject: {contains: [E2E-ENCRYPT]}}
    actions: [{smime_encrypt: {without_certificate: reject}}]
  - name: sign-encrypt
    when: {subject: {contains: [E2E-BOTH]}}
    actions: [{smime_sign_encrypt: {protect_subject: true, without_certificate: reject}}]
  - name: gcm-oaep
    when: {subject: {contains: [E2E-GCM]}}
    actions: [{smime_encrypt: {cipher: aes-256-gcm, rsa_padding: oaep, without_certificate: reject}}]
  - name: tempfail
    when: {subject: {contains: [E2E-TEMPFAIL]}}
    actions: [{smime_encrypt: {without_certificate: tempfail}}]
  - name: fallback-action
    when: {subject: {contains: [E2E-FALLBACK]}}
    actions: [{smime_encrypt: {without_certificate: quarantine}}]
  - name: mixed-with-certificate
    for_each_recipient: true
    when: {subject: {contains: [E2E-MIXED]}, smime_certificate: true}
    actions: [{smime_encrypt: {without_certificate: version}}]
  - name: mixed-without-certificate
    for_each_recipient: true
    when: {subject: {contains: [E2E-MIXED]}, smime_certificate: false}
    actions: [{add_header: {name: X-E2E-Version, value: no-certificate}}, smime_sign]
EOF
chmod 644 "$POLICY"

if r=$("$SEALCTL" check-config --user postfix "$POLICY" 2>&1); then ok "policy loads (sealctl check-config --user postfix)"
else notok "policy loads" "$r"; fi

# sealctl cert lookup: which certificate, or why none.
r=$("$SEALCTL" cert lookup --store "$W/store" --ca "$P/ca.pem" rsa@ext.test 2>&1)
if [[ "$r" == *"would use $(openssl x509 -in "$P/rsa.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)"* ]]; then ok "sealctl cert lookup names the certificate"
else notok "sealctl cert lookup names the certificate" "$r"; fi
r=$("$SEALCTL" cert lookup --store "$W/store" --ca "$P/ca.pem" old@ext.test 2>&1); rc=$?
if [ $rc = 1 ] && [[ "$r" == *"unusable: expired on 2020-02-01"* ]] && [[ "$r" == *"no usable certificate"* ]]; then ok "sealctl cert lookup says why none (old@ext.test: $(grep -o "unusable: [^(]*" <<<"$r" | head -1))"
else notok "sealctl cert lookup says why none" "exit $rc: $r"; fi
if "$SEALCTL" cert list --store "$W/store" | grep -q "^ec@ext.test"; then ok "sealctl cert list"; else notok "sealctl cert list" "$("$SEALCTL" cert list --store "$W/store" 2>&1)"; fi

pfh_start || bail
start_daemon || note "daemon not running; every message will be tempfailed"
pfh_milter "unix:$SOCK"

# gpgsm: a private GNUPGHOME with the CA trusted (gpgsm_home), the RSA recipient's key
# imported (gpgsm 2.2 reads PKCS#12 in the legacy algorithms only: openssl pkcs12 -legacy).
gpgsm_home "$P/ca.pem"
gpgsm --batch --pinentry-mode loopback --passphrase-fd 0 --import "$P/rsa.p12" <<<rsa-pass >>"$W/log/gpgsm-setup.log" 2>&1

# got NAME TOKEN ADDRESS — the copy the sink received for ADDRESS (in $W/msgs/NAME.ADDRESS).
got() {
    local f
    for f in $(pfh_sink_find "$2"); do
        pfh_sink_rcpts "$f" | grep -qiF "<$3>" && { pfh_sink_message "$f" > "$W/msgs/$1.$3"; return 0; }
    done
    return 1
}
copies() { local f n=0; for f in $(pfh_sink_find "$1"); do n=$((n + $(pfh_sink_rcpts "$f" | sed 's/ .*//' | grep -ciFx "<$2>"))); done; echo "$n"; }
msg() {  # msg FILE TOKEN SUBJECT TO — a multipart message with a binary attachment
    local b="b-$2"
    { printf 'From: Alice <alice@int.test>\nTo: %s\nSubject: %s %s\nDate: %s\nMessage-ID: <%s@e2e.test>\nMIME-Version: 1.0\n' \
          "$4" "$3" "$2" "$(date -R)" "$2"
      printf 'Content-Type: multipart/mixed; boundary="%s"\n\n--%s\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n' "$b" "$b"
      printf 'The secret plan %s — grüße.\nLine two.\n\n--%s\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="data.bin"\n\n' "$2" "$b"
      head -c 3000 /dev/urandom | base64; printf -- '--%s--\n' "$b"; } > "$1"
}
# inner FILE — the original's content entity (Content-* fields and body) in CRLF, as S/MIME signs it.
inner() { $PY - "$1" <<'PY'
import sys, email.parser
raw = open(sys.argv[1], 'rb').read().replace(b'\r\n', b'\n')
head, body = raw.split(b'\n\n', 1)
fields, cur = [], None
for line in head.split(b'\n'):
    if line[:1] in (b' ', b'\t') and cur is not None: fields[-1] += b'\n' + line
    else: fields.append(line)
content = [f for f in fields if f.lower().startswith(b'content-')]
sys.stdout.buffer.write((b'\n'.join(content) + b'\n\n' + body).replace(b'\n', b'\r\n'))
PY
}
# der FILE OUT — the CMS of an application/pkcs7-mime message, decoded (gpgsm reads CMS, not MIME).
der() { $PY -c 'import sys, email; m = email.message_from_binary_file(open(sys.argv[1], "rb")); open(sys.argv[2], "wb").write(m.get_payload(decode=True))' "$1" "$2"; }

# (1) signed: openssl cms -verify and gpgsm --verify; the content is the original's.
T=$(tok sign); msg "$W/msgs/s.eml" "$T" E2E-SIGN rsa@ext.test
send s --from alice@int.test --to rsa@ext.test --data "@$W/msgs/s.eml"
inner "$W/msgs/s.eml" > "$W/msgs/s.inner"
if ! wait_sent s || ! got s "$T" rsa@ext.test; then notok "sign: delivered" "$(data_reply s) $(tail -2 "$W/log/daemon.log" | tr '\n' ' ')"
else
    f=$W/msgs/s.rsa@ext.test
    if ! grep -qi '^Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256' "$f"; then notok "sign: multipart/signed" "$(grep -i '^content-type' "$f")"
    elif ! r=$(openssl cms -verify -in "$f" -CAfile "$P/ca.pem" -out "$W/msgs/s.verified" 2>&1); then notok "sign: openssl cms -verify" "$r"
    elif ! cmp -s <(tr -d '\r' < "$W/msgs/s.verified") <(tr -d '\r' < "$W/msgs/s.inner"); then notok "sign: content" "verified content differs from the original's"
    elif ! grep -q "^Subject: E2E-SIGN $T" "$f"; then notok "sign: outer header" "subject not readable"
    else ok "sign: multipart/signed SHA-256 verified by openssl cms, content identical"; fi
    # gpgsm: the signature part and the signed part, as files.
    $PY - "$f" "$W/msgs/s" <<'PY'
import sys, email
m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
raw = open(sys.argv[1], 'rb').read().replace(b'\r\n', b'\n')
b = ('--' + m.get_boundary()).encode()
parts = raw.split(b'\n' + b + b'\n')
first = parts[1].split(b'\n' + b)[0]
open(sys.argv[2] + '.signed', 'wb').write(first.replace(b'\n', b'\r\n'))
open(sys.argv[2] + '.p7s', 'wb').write(m.get_payload()[1].get_payload(decode=True))
PY
    if r=$("${GPGSM[@]}" --verify "$W/msgs/s.p7s" "$W/msgs/s.signed" 2>&1 <<<rsa-pass) && [[ "$r" == *"Good signature"* ]]; then ok "sign: gpgsm --verify: Good signature"
    else notok "sign: gpgsm --verify" "$(echo "$r" | tail -4 | tr '\n' ' ')"; fi
fi

# (2) encrypted to an RSA and an EC recipient (and the escrow certificate): each decrypts.
T=$(tok enc); msg "$W/msgs/e.eml" "$T" E2E-ENCRYPT "rsa@ext.test, ec@ext.test"
send e --from alice@int.test --to rsa@ext.test,ec@ext.test --data "@$W/msgs/e.eml"
inner "$W/msgs/e.eml" > "$W/msgs/e.inner"
if ! wait_sent e || ! got e "$T" rsa@ext.test || ! got e "$T" ec@ext.test; then notok "encrypt: delivered" "$(data_reply e) $(tail -2 "$W/log/daemon.log" | tr '\n' ' ')"
else
    f=$W/msgs/e.rsa@ext.test
    if grep -q "secret plan" "$f"; then notok "encrypt: no plaintext" "the sink got the plaintext"
    elif ! grep -qi '^Content-Type: application/pkcs7-mime; smime-type=enveloped-data' "$f"; then notok "encrypt: enveloped-data" "$(grep -i '^content-type' "$f")"
    else
        okall=1
        for who in rsa ec escrow; do
            if ! r=$(openssl cms -decrypt -in "$f" -recip "$P/$who.pem" -inkey "$P/$who.key" -out "$W/msgs/e.$who.dec" 2>&1); then notok "encrypt: openssl cms -decrypt ($who)" "$r"; okall=; continue; fi
            cmp -s "$W/msgs/e.$who.dec" "$W/msgs/e.inner" || { notok "encrypt: content ($who)" "decrypted content differs"; okall=; }
        done
        cmp -s <(sed '1,/^$/d' "$f") <(sed '1,/^$/d' "$W/msgs/e.ec@ext.test") || { notok "encrypt: one enveloped-data" "the two copies differ"; okall=; }
        [ -n "$okall" ] && ok "encrypt: AES-256-CBC enveloped-data decrypted by openssl cms for the RSA, EC and escrow keys, content identical"
        openssl cms -cmsout -print -in "$f" | grep -q "aes-256-cbc" || notok "encrypt: cipher" "not aes-256-cbc"
        der "$f" "$W/msgs/e.p7m"
        if r=$("${GPGSM[@]}" --decrypt --output "$W/msgs/e.gpgsm" "$W/msgs/e.p7m" 2>&1 <<<rsa-pass) && cmp -s <(tr -d '\r' < "$W/msgs/e.gpgsm") <(tr -d '\r' < "$W/msgs/e.inner"); then
            ok "encrypt: gpgsm --decrypt with the RSA key: content identical"
        else notok "encrypt: gpgsm --decrypt" "$(echo "$r" | tail -3 | tr '\n' ' ')"; fi
    fi
fi

# (2b) a rule whose only condition is the envelope sender (decidable at MAIL, before
# any RCPT TO) encrypts for the recipients the MTA gives later; it never tempfails
# for "no envelope recipients" (the rule waits for them).
T=$(tok mailstage); msg "$W/msgs/m.eml" "$T" "Sender only" rsa@ext.test
send m --from mail-stage@int.test --to rsa@ext.test --data "@$W/msgs/m.eml"
inner "$W/msgs/m.eml" > "$W/msgs/m.inner"
if ! wait_sent m || ! got m "$T" rsa@ext.test; then notok "sender-only rule: delivered" "$(data_reply m) $(tail -2 "$W/log/daemon.log" | tr '\n' ' ')"
elif r=$(openssl cms -decrypt -in "$W/msgs/m.rsa@ext.test" -recip "$P/rsa.pem" -inkey "$P/rsa.key" -out "$W/msgs/m.dec" 2>&1) && cmp -s "$W/msgs/m.dec" "$W/msgs/m.inner" \
     && ! grep -q "secret plan" "$W/msgs/m.rsa@ext.test"; then
    ok "sender-only rule (decidable at MAIL): encrypted for the RCPT TO recipient, decrypted by openssl cms"
else notok "sender-only rule: encrypted for the recipient" "${r:-decrypted content differs or plaintext delivered}"; fi

# (3) signed and encrypted, subject protected (RFC 8551 3.1).
T=$(tok both); msg "$W/msgs/b.eml" "$T" E2E-BOTH rsa@ext.test
send b --from alice@int.test --to rsa@ext.test --data "@$W/msgs/b.eml"
if ! wait_sent b || ! got b "$T" rsa@ext.test; then notok "sign+encrypt: delivered" "$(data_reply b) $(tail -2 "$W/log/daemon.log" | tr '\n' ' ')"
else
    f=$W/msgs/b.rsa@ext.test
    if ! grep -q '^Subject: \.\.\.$' "$f"; then notok "sign+encrypt: neutral outer subject" "$(grep '^Subject' "$f")"
    elif ! openssl cms -decrypt -in "$f" -recip "$P/rsa.pem" -inkey "$P/rsa.key" -out "$W/msgs/b.dec" 2>"$W/log/b.err"; then notok "sign+encrypt: openssl decrypt" "$(cat "$W/log/b.err")"
    elif ! r=$(openssl cms -verify -in "$W/msgs/b.dec" -CAfile "$P/ca.pem" -out "$W/msgs/b.inner" 2>&1); then notok "sign+encrypt: openssl verify" "$r"
    elif ! grep -q '^Content-Type: message/rfc822' "$W/msgs/b.inner" || ! grep -q "^Subject: E2E-BOTH $T" "$W/msgs/b.inner"; then notok "sign+encrypt: protected header inside" "$(head -5 "$W/msgs/b.inner")"
    elif ! grep -q "secret plan $T" "$W/msgs/b.inner"; then notok "sign+encrypt: content" "text not inside"
    else ok "sign+encrypt: openssl decrypts and verifies; original Subject inside message/rfc822, outer Subject '...'"; fi
    der "$f" "$W/msgs/b.p7m"
    if "${GPGSM[@]}" --decrypt --output "$W/msgs/b.gdec" "$W/msgs/b.p7m" >"$W/log/b.g" 2>&1 <<<rsa-pass &&
        $PY - "$W/msgs/b.gdec" "$W/msgs/b" <<'PY' && r=$("${GPGSM[@]}" --verify "$W/msgs/b.p7s" "$W/msgs/b.signed" 2>&1 <<<rsa-pass) && [[ "$r" == *"Good signature"* ]]
import sys, email
raw = open(sys.argv[1], 'rb').read().replace(b'\r\n', b'\n')
m = email.message_from_bytes(raw)
b = ('--' + m.get_boundary()).encode()
first = raw.split(b'\n' + b + b'\n')[1].split(b'\n' + b)[0]
open(sys.argv[2] + '.signed', 'wb').write(first.replace(b'\n', b'\r\n'))
open(sys.argv[2] + '.p7s', 'wb').write(m.get_payload()[1].get_payload(decode=True))
PY
    then ok "sign+encrypt: gpgsm decrypts and verifies (Good signature)"
    else notok "sign+encrypt: gpgsm" "$(tail -3 "$W/log/b.g" | tr '\n' ' ') ${r:-}"; fi
fi

# (4) AES-256-GCM authEnveloped-data with RSA-OAEP, forced by the rule.
T=$(tok gcm); msg "$W/msgs/g.eml" "$T" E2E-GCM rsa@ext.test
send g --from alice@int.test --to rsa@ext.test --data "@$W/msgs/g.eml"
inner "$W/msgs/g.eml" > "$W/msgs/g.inner"
if ! wait_sent g || ! got g "$T" rsa@ext.test; then notok "gcm: delivered" "$(data_reply g)"
elif ! grep -qi 'smime-type=authEnveloped-data' "$W/msgs/g.rsa@ext.test"; then notok "gcm: authEnveloped-data" "$(grep -i '^content-type' "$W/msgs/g.rsa@ext.test")"
elif ! r=$(openssl cms -decrypt -in "$W/msgs/g.rsa@ext.test" -recip "$P/rsa.pem" -inkey "$P/rsa.key" -out "$W/msgs/g.dec" 2>&1) || ! cmp -s "$W/msgs/g.dec" "$W/msgs/g.inner"; then notok "gcm: openssl decrypt" "$r"
elif ! openssl cms -cmsout -print -in "$W/msgs/g.rsa@ext.test" | grep -q rsaesOaep; then notok "gcm: OAEP" "no rsaesOaep key transport"
else ok "gcm: AES-256-GCM authEnveloped-data with RSA-OAEP decrypted by openssl cms"; fi

# (5) no certificate, reject: 550 5.7.1 naming the address; nothing delivered.
T=$(tok rej); msg "$W/msgs/r.eml" "$T" E2E-ENCRYPT "rsa@ext.test, nobody@ext.test"
send r --from alice@int.test --to rsa@ext.test,nobody@ext.test --data "@$W/msgs/r.eml"
r=$(data_reply r)
if [[ "$r" == 550*5.7.1*"<nobody@ext.test>"* ]] && [ -z "$(pfh_sink_find "$T")" ]; then ok "no certificate, reject: '$r', nothing delivered"
else notok "no certificate, reject" "reply '$r', sink: $(pfh_sink_find "$T" | wc -l) file(s)"; fi
# An expired certificate counts as none.
T=$(tok old); msg "$W/msgs/o.eml" "$T" E2E-ENCRYPT old@ext.test
send o --from alice@int.test --to old@ext.test --data "@$W/msgs/o.eml"
r=$(data_reply o)
if [[ "$r" == 550*5.7.1*"<old@ext.test>"* ]] && [ -z "$(pfh_sink_find "$T")" ]; then ok "expired certificate, reject: '$r'"
else notok "expired certificate, reject" "reply '$r'"; fi

# (6) no certificate, tempfail: 451 4.7.1; nothing delivered.
T=$(tok tf); msg "$W/msgs/t.eml" "$T" E2E-TEMPFAIL nobody@ext.test
send t --from alice@int.test --to nobody@ext.test --data "@$W/msgs/t.eml"
r=$(data_reply t)
if [[ "$r" == 451*4.7.1*"<nobody@ext.test>"* ]] && [ -z "$(pfh_sink_find "$T")" ]; then ok "no certificate, tempfail: '$r', nothing delivered"
else notok "no certificate, tempfail" "reply '$r'"; fi

# (7) no certificate, fallback action (quarantine): held, not delivered.
T=$(tok fb); msg "$W/msgs/f.eml" "$T" E2E-FALLBACK nobody@ext.test
send f --from alice@int.test --to nobody@ext.test --data "@$W/msgs/f.eml"
q=$(queued_id f)
for i in $(seq 1 100); do pfh_held_ids | grep -qx "$q" && break; sleep 0.2; done
if [ -n "$q" ] && pfh_held_ids | grep -qx "$q" && [ -z "$(pfh_sink_find "$T")" ]; then ok "no certificate, fallback action quarantine: held ($q), nothing delivered"
else notok "no certificate, fallback action" "queue id '$q', held: $(pfh_held_ids | tr '\n' ' '), reply $(data_reply f)"; fi

# (8) mixed recipients: the one with a certificate gets one encrypted copy, the one
# without gets its own version (signed, marked) once; neither gets the other's.
T=$(tok mixed); msg "$W/msgs/m.eml" "$T" E2E-MIXED "rsa@ext.test, nobody@ext.test"
send m --from alice@int.test --to rsa@ext.test,nobody@ext.test --data "@$W/msgs/m.eml"
wait_sent m
for i in $(seq 1 100); do  # the version comes through the submission listener: wait for both copies
    nr=$(copies "$T" rsa@ext.test); nn=$(copies "$T" nobody@ext.test)
    [ "$nr" -ge 1 ] && [ "$nn" -ge 1 ] && break; sleep 0.2
done
sleep 1; nr=$(copies "$T" rsa@ext.test); nn=$(copies "$T" nobody@ext.test)
if [ "$nr" != 1 ] || [ "$nn" != 1 ]; then notok "mixed: one copy each" "rsa@ext.test got $nr, nobody@ext.test got $nn; $(grep -E 'action=' "$W/log/daemon.log" | tail -2 | tr '\n' ' ')"
else
    got m "$T" rsa@ext.test; got m "$T" nobody@ext.test
    if ! grep -qi 'smime-type=enveloped-data' "$W/msgs/m.rsa@ext.test" || grep -q "secret plan" "$W/msgs/m.rsa@ext.test"; then notok "mixed: encrypted copy" "rsa@ext.test's copy is not encrypted"
    elif ! openssl cms -decrypt -in "$W/msgs/m.rsa@ext.test" -recip "$P/rsa.pem" -inkey "$P/rsa.key" >/dev/null 2>&1; then notok "mixed: encrypted copy" "does not decrypt"
    elif grep -qi '^X-E2E-Version' "$W/msgs/m.rsa@ext.test"; then notok "mixed: encrypted copy" "has the other version's header"
    elif ! grep -q '^X-E2E-Version: no-certificate' "$W/msgs/m.nobody@ext.test" || grep -qi 'pkcs7-mime' "$W/msgs/m.nobody@ext.test"; then notok "mixed: version without certificate" "$(grep -iE '^(x-e2e|content-type)' "$W/msgs/m.nobody@ext.test")"
    elif ! openssl cms -verify -in "$W/msgs/m.nobody@ext.test" -CAfile "$P/ca.pem" -out /dev/null 2>/dev/null; then notok "mixed: version without certificate" "its signature does not verify"
    else ok "mixed: rsa@ext.test one encrypted copy, nobody@ext.test one signed version of its own"; fi
fi

# (9) fail closed: a fresh daemon whose signing identity's passphrase file became
# unreadable after the policy was loaded -> 451, nothing delivered, a log line that
# names the file and holds no secret.
stop_daemon; start_daemon
chmod 000 "$W/keys/signer.pass"; chown root "$W/keys/signer.pass"
T=$(tok nokey); msg "$W/msgs/k.eml" "$T" E2E-SIGN rsa@ext.test
send k --from alice@int.test --to rsa@ext.test --data "@$W/msgs/k.eml"
r=$(data_reply k)
line=$(grep 'rules=sign ' "$W/log/daemon.log" | tail -1)
if [[ "$r" == 451*4.7.1* ]] && [ -z "$(pfh_sink_find "$T")" ] && [[ "$line" == *"signer.pass"* ]] && ! grep -q "e2e-pass" "$W/log/daemon.log"; then
    ok "fail closed: unreadable passphrase file -> '$r'; logged: ${line#*error=}"
else notok "fail closed: unreadable passphrase" "reply '$r'; log: $line"; fi

summary
