#!/usr/bin/env python3
"""An independent Python implementation of the envelope format v1 (docs/envelope-format.md)
for the browser tests: builds message.html from the viewer files in
Sources/SealEnvelope/Viewer (CSP hashes included), opens envelopes (with a passcode or the
organisation key) and opens secure replies. Crypto from the `cryptography` package (OpenSSL).

    make_envelope.py keys DIR                       org.pem, org.pub.der, reply.secret in DIR
    make_envelope.py seal --keys DIR --message M.eml --to ADDR:PASSCODE[:HINT] ... --out message.html
                          [--expires RFC3339] [--header-expires RFC3339] [--rights JSON] [--config JSON]
    make_envelope.py open --passcode P | --keys DIR  message.html     writes the original message to stdout
    make_envelope.py open-reply --keys DIR FILE                       writes the reply's MIME message to stdout
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import struct
import sys
from datetime import datetime, timezone

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

VIEWER_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'Sources', 'SealEnvelope', 'Viewer')
CHUNK = 65536
MARKERS = ['@@CSP@@', '@@STYLE@@', '@@SCRIPT@@', '@@HEADER@@', '@@CONFIG@@', '@@DATA@@']
CSP = ("default-src 'none'; script-src 'sha256-{S}'; style-src 'sha256-{T}'; img-src data: blob:; "
       "media-src data: blob:; frame-src blob: data:; form-action 'none'; base-uri 'none'")
BEGIN = '-----BEGIN SEALMILTER SECURE REPLY-----'
END = '-----END SEALMILTER SECURE REPLY-----'


class Damaged(Exception):
    pass


def b64(b):
    return base64.b64encode(b).decode('ascii')


def b64url(b):
    return base64.urlsafe_b64encode(b).decode('ascii').rstrip('=')


def unb64url(s):
    return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))


def hkdf(ikm, salt, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info.encode()).derive(ikm)


def normalise(passcode):
    return re.sub(r'[ \t-]', '', re.sub(r'[a-z]', lambda m: m.group(0).upper(), passcode))


def kwrap(passcode, salt, iterations):
    return PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=iterations).derive(
        normalise(passcode).encode('utf-8'))


def json_for_page(obj):
    """ASCII JSON with <, > and & escaped, as the format requires inside the data elements;
    one member per line, so the page keeps to 998-octet lines (7bit)."""
    s = json.dumps(obj, ensure_ascii=True, indent=1)
    return s.replace('<', '\\u003c').replace('>', '\\u003e').replace('&', '\\u0026')


def rfc3339(dt):
    return dt.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


# ---------------------------------------------------------------- keys

def make_keys(d):
    os.makedirs(d, exist_ok=True)
    priv = ec.generate_private_key(ec.SECP256R1())
    with open(os.path.join(d, 'org.pem'), 'wb') as f:
        f.write(priv.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    os.chmod(os.path.join(d, 'org.pem'), 0o600)
    with open(os.path.join(d, 'org.pub.pem'), 'wb') as f:
        f.write(priv.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo))
    with open(os.path.join(d, 'reply.secret'), 'wb') as f:
        f.write(os.urandom(32))
    os.chmod(os.path.join(d, 'reply.secret'), 0o600)


def load_keys(d):
    with open(os.path.join(d, 'org.pem'), 'rb') as f:
        priv = serialization.load_pem_private_key(f.read(), None)
    with open(os.path.join(d, 'reply.secret'), 'rb') as f:
        secret = f.read()
    return priv, secret


def spki(pub):
    return pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


# ---------------------------------------------------------------- page

def viewer_files(viewer_dir=VIEWER_DIR):
    def rd(n):
        with open(os.path.join(viewer_dir, n), 'rb') as f:
            b = f.read()
        b.decode('ascii')  # the viewer files must be pure ASCII
        return b.replace(b'\r\n', b'\n').decode('ascii')
    return rd('viewer.html'), rd('viewer.css'), rd('viewer.js')


def assemble_page(header, config, data_b64_lines, viewer_dir=VIEWER_DIR):
    template, css, js = viewer_files(viewer_dir)
    for m in MARKERS:
        if template.count(m) != 1:
            raise SystemExit('viewer.html: marker %s occurs %d times (must be once)' % (m, template.count(m)))
    csp = CSP.format(S=b64(hashlib.sha256(js.encode()).digest()), T=b64(hashlib.sha256(css.encode()).digest()))
    values = {'@@CSP@@': csp, '@@STYLE@@': css, '@@SCRIPT@@': js, '@@HEADER@@': json_for_page(header),
              '@@CONFIG@@': json_for_page(config or {}), '@@DATA@@': data_b64_lines}
    # one pass, in template order, never looking for markers in inserted text
    out, pos = [], 0
    pattern = re.compile('|'.join(re.escape(m) for m in MARKERS))
    for m in pattern.finditer(template):
        out.append(template[pos:m.start()])
        out.append(values[m.group(0)])
        pos = m.end()
    out.append(template[pos:])
    page = ''.join(out)
    page.encode('ascii')
    return page


# ---------------------------------------------------------------- seal

def seal(message, recipients, org_pub, reply_secret, *, expires=None, header_expires='same', rights=None,
         config=None, iterations=600000, reply=True, meta_extra=None):
    """recipients: list of (address, passcode, hint or None). Returns (page, header, meta)."""
    envid = os.urandom(16)
    ck = os.urandom(32)
    kcontent = hkdf(ck, envid, 'sealmilter-envelope v1 content')
    hdrs = parse_headers(message)
    meta = {'v': 1, 'from': hdrs.get('from', ''), 'to': [a.strip() for a in hdrs.get('to', '').split(',') if a.strip()],
            'cc': [a.strip() for a in hdrs.get('cc', '').split(',') if a.strip()],
            'subject': hdrs.get('subject', ''), 'date': hdrs.get('date', ''), 'message_id': hdrs.get('message-id', ''),
            'expires': expires, 'reply': None, 'rights': rights}
    if reply:
        sender = re.search(r'[^<>\s"]+@[^<>\s"]+', hdrs.get('from', 'sender@example.org'))
        meta['reply'] = {'key': b64(hkdf(reply_secret, envid, 'sealmilter-envelope v1 reply')),
                         'to': sender.group(0) if sender else 'sender@example.org',
                         'subject': 'Re: ' + hdrs.get('subject', '')}
    if meta_extra:
        meta.update(meta_extra)
    m = json.dumps(meta, ensure_ascii=False).encode('utf-8')
    payload = struct.pack('>I', len(m)) + m + message
    aes = AESGCM(kcontent)
    cts = []
    n = max(1, -(-len(payload) // CHUNK))
    for i in range(n):
        chunk = payload[i * CHUNK:(i + 1) * CHUNK]
        final = i == n - 1
        cts.append(aes.encrypt(b'\0\0\0\0' + struct.pack('>Q', i), chunk, envid + struct.pack('>Q', i) + (b'\1' if final else b'\0')))
    data = b64(b''.join(cts))
    data_lines = '\n'.join(data[i:i + 76] for i in range(0, len(data), 76))
    rcps = []
    for addr, passcode, hint in recipients:
        salt, nonce = os.urandom(16), os.urandom(12)
        wrapped = AESGCM(kwrap(passcode, salt, iterations)).encrypt(nonce, ck, b'sealmilter-envelope v1 wrap' + envid)
        r = {'address': addr, 'salt': b64(salt), 'nonce': b64(nonce), 'wrapped': b64(wrapped)}
        if hint:
            r['hint'] = hint
        rcps.append(r)
    eph = ec.generate_private_key(ec.SECP256R1())
    krec = hkdf(eph.exchange(ec.ECDH(), org_pub), envid, 'sealmilter-envelope v1 recovery')
    rnonce = os.urandom(12)
    org_der = spki(org_pub)
    header = {'format': 'sealmilter-envelope', 'version': 1, 'id': b64url(envid),
              'created': rfc3339(datetime.now(timezone.utc)), 'cipher': 'AES-256-GCM', 'chunk': CHUNK,
              'size': len(payload), 'kdf': {'name': 'PBKDF2-SHA-256', 'iterations': iterations},
              'recipients': rcps,
              'recovery': {'alg': 'ECDH-P256', 'kid': b64url(hashlib.sha256(org_der).digest()), 'public': b64(org_der),
                           'epk': b64(spki(eph.public_key())), 'nonce': b64(rnonce),
                           'wrapped': b64(AESGCM(krec).encrypt(rnonce, ck, b'sealmilter-envelope v1 recovery' + envid))}}
    hexp = expires if header_expires == 'same' else header_expires
    if hexp:
        header['expires'] = hexp
    return assemble_page(header, config, data_lines), header, meta


def parse_headers(message):
    end = re.search(rb'\r?\n\r?\n', message)
    block = message[:end.start()] if end else message
    text = re.sub(r'\r?\n[ \t]+', ' ', block.decode('utf-8', 'replace'))
    out = {}
    for line in text.splitlines():
        if ':' in line:
            k, v = line.split(':', 1)
            out.setdefault(k.strip().lower(), v.strip())
    return out


# ---------------------------------------------------------------- open

def element(page, ident):
    m = re.search(r'<script type="application/[a-z-]+" id="%s">(.*?)</script>' % re.escape(ident), page, re.S)
    if not m:
        raise Damaged('no %s element' % ident)
    return m.group(1)


def open_envelope(page, passcode=None, org_priv=None):
    """Returns (header, meta, original message bytes)."""
    h = json.loads(element(page, 'sealmilter-header'))
    if h.get('format') != 'sealmilter-envelope' or h.get('version') != 1:
        raise Damaged('not a version 1 envelope')
    envid = unb64url(h['id'])
    ck = None
    if passcode is not None:
        for r in h['recipients']:
            try:
                ck = AESGCM(kwrap(passcode, base64.b64decode(r['salt']), h['kdf']['iterations'])).decrypt(
                    base64.b64decode(r['nonce']), base64.b64decode(r['wrapped']), b'sealmilter-envelope v1 wrap' + envid)
                break
            except Exception:
                continue
        if ck is None:
            raise Damaged('wrong passcode')
    else:
        rec = h['recovery']
        epk = serialization.load_der_public_key(base64.b64decode(rec['epk']))
        krec = hkdf(org_priv.exchange(ec.ECDH(), epk), envid, 'sealmilter-envelope v1 recovery')
        ck = AESGCM(krec).decrypt(base64.b64decode(rec['nonce']), base64.b64decode(rec['wrapped']),
                                  b'sealmilter-envelope v1 recovery' + envid)
    aes = AESGCM(hkdf(ck, envid, 'sealmilter-envelope v1 content'))
    data = base64.b64decode(''.join(element(page, 'sealmilter-data').split()))
    piece = h['chunk'] + 16
    pieces = [data[i:i + piece] for i in range(0, len(data), piece)] or [b'']
    out = []
    for i, c in enumerate(pieces):
        final = i == len(pieces) - 1
        try:
            out.append(aes.decrypt(b'\0\0\0\0' + struct.pack('>Q', i), c, envid + struct.pack('>Q', i) + (b'\1' if final else b'\0')))
        except Exception:
            raise Damaged('chunk %d' % i)
    payload = b''.join(out)
    if len(payload) != h['size']:
        raise Damaged('size')
    (mlen,) = struct.unpack('>I', payload[:4])
    return h, json.loads(payload[4:4 + mlen]), payload[4 + mlen:]


def open_reply(text, org_priv, reply_secret):
    """Finds the armored block in text, checks the MAC, decrypts; returns (envelope id, MIME bytes)."""
    m = re.search(re.escape(BEGIN) + r'\s*\r?\n(.*?)' + re.escape(END), text, re.S)
    if not m:
        raise Damaged('no secure reply block')
    r = json.loads(base64.b64decode(''.join(m.group(1).split()), validate=True))
    if r.get('v') != 1:
        raise Damaged('version')
    envid = unb64url(r['envelope'])
    epk_der, nonce, ct, mac = (base64.b64decode(r[k]) for k in ('epk', 'nonce', 'ct', 'mac'))
    kreply = hkdf(reply_secret, envid, 'sealmilter-envelope v1 reply')
    want = hmac.new(kreply, b'sealmilter-envelope v1 reply-mac' + envid + epk_der + nonce + ct, hashlib.sha256).digest()
    if not hmac.compare_digest(want, mac):
        raise Damaged('bad mac')
    epk = serialization.load_der_public_key(epk_der)
    kr = hkdf(org_priv.exchange(ec.ECDH(), epk), envid, 'sealmilter-envelope v1 reply-content')
    return r['envelope'], AESGCM(kr).decrypt(nonce, ct, b'sealmilter-envelope v1 reply-content' + envid)


# ---------------------------------------------------------------- command line

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest='cmd', required=True)
    k = sub.add_parser('keys')
    k.add_argument('dir')
    s = sub.add_parser('seal')
    s.add_argument('--keys', required=True)
    s.add_argument('--message', required=True)
    s.add_argument('--to', action='append', required=True, help='ADDRESS:PASSCODE[:HINT]')
    s.add_argument('--out', required=True)
    s.add_argument('--expires')
    s.add_argument('--header-expires', default='same')
    s.add_argument('--rights')
    s.add_argument('--config')
    s.add_argument('--iterations', type=int, default=600000)
    o = sub.add_parser('open')
    o.add_argument('--passcode')
    o.add_argument('--keys')
    o.add_argument('file')
    r = sub.add_parser('open-reply')
    r.add_argument('--keys', required=True)
    r.add_argument('file')
    a = ap.parse_args()
    if a.cmd == 'keys':
        make_keys(a.dir)
    elif a.cmd == 'seal':
        priv, secret = load_keys(a.keys)
        rcps = []
        for spec in a.to:
            parts = spec.split(':', 2)
            rcps.append((parts[0], parts[1], parts[2] if len(parts) > 2 else None))
        with open(a.message, 'rb') as f:
            msg = f.read()
        page, _, _ = seal(msg, rcps, priv.public_key(), secret, expires=a.expires,
                          header_expires=a.header_expires if a.header_expires != 'none' else None,
                          rights=json.loads(a.rights) if a.rights else None,
                          config=json.loads(a.config) if a.config else None, iterations=a.iterations)
        with open(a.out, 'w', encoding='ascii', newline='\n') as f:
            f.write(page)
    elif a.cmd == 'open':
        with open(a.file, encoding='ascii') as f:
            page = f.read()
        priv = load_keys(a.keys)[0] if a.keys else None
        _, _, msg = open_envelope(page, a.passcode, priv)
        sys.stdout.buffer.write(msg)
    elif a.cmd == 'open-reply':
        priv, secret = load_keys(a.keys)
        with open(a.file, encoding='utf-8', errors='replace') as f:
            _, mime = open_reply(f.read(), priv, secret)
        sys.stdout.buffer.write(mime)


if __name__ == '__main__':
    try:
        main()
    except Damaged as e:
        print('make_envelope: %s' % e, file=sys.stderr)
        sys.exit(2)
