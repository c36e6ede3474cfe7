#!/usr/bin/env python3
"""An independent reader and secure-reply writer for Sealmilter envelopes
(docs/envelope-format.md), on the `cryptography` package (PyPI): the interop
proof for the gateway's Swift implementation.

  envelope.py open PAGE (--passcode P [--address A] | --key ORG.pem) [-o OUT] [--meta]
  envelope.py reply PAGE --passcode P --message REPLY.eml [--tamper] [--reply-key-from OTHER_PAGE --other-passcode Q]
  envelope.py extract MESSAGE.eml -o message.html     (the attachment, transfer-decoded)
  envelope.py passcode MESSAGE.eml                      (the passcode in a passcode message)

Exit status 0 on success, 1 when the envelope cannot be opened (message on stderr).
"""
import argparse, base64, email, email.policy, hmac, hashlib, json, re, struct, sys, os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.exceptions import InvalidTag

CHUNK = 65536


class Damaged(Exception):
    pass


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64url_encode(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def hkdf(ikm, salt, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info.encode()).derive(ikm)


def normalise(passcode):
    out = []
    for c in passcode:
        if c in " \t-":
            continue
        out.append(c.upper() if "a" <= c <= "z" else c)
    return "".join(out)


def element(page, ident):
    m = re.search(r'id="%s">(.*?)</script>' % re.escape(ident), page, re.S)
    if not m:
        raise Damaged("no %s element" % ident)
    return m.group(1)


class Envelope:
    def __init__(self, page_bytes):
        page = page_bytes.decode("ascii")
        self.header = json.loads(element(page, "sealmilter-header"))
        h = self.header
        if h.get("format") != "sealmilter-envelope" or h.get("version") != 1:
            raise Damaged("not a version 1 envelope")
        if h["cipher"] != "AES-256-GCM" or h["chunk"] != CHUNK or h["kdf"]["name"] != "PBKDF2-SHA-256":
            raise Damaged("unknown parameters")
        if not 100000 <= h["kdf"]["iterations"] <= 10000000:
            raise Damaged("iterations out of range")
        self.id = b64url_decode(h["id"])
        assert len(self.id) == 16
        self.data = base64.b64decode("".join(element(page, "sealmilter-data").split()), validate=True)

    def key_from_passcode(self, passcode, address=None):
        for r in self.header["recipients"]:
            if address and r["address"].lower() != address.lower():
                continue
            kwrap = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=base64.b64decode(r["salt"]),
                               iterations=self.header["kdf"]["iterations"]).derive(normalise(passcode).encode())
            try:
                return AESGCM(kwrap).decrypt(base64.b64decode(r["nonce"]), base64.b64decode(r["wrapped"]),
                                             b"sealmilter-envelope v1 wrap" + self.id)
            except InvalidTag:
                continue
        raise Damaged("wrong passcode")

    def key_from_recovery(self, private_key):
        rec = self.header["recovery"]
        assert rec["alg"] == "ECDH-P256"
        epk = serialization.load_der_public_key(base64.b64decode(rec["epk"]))
        shared = private_key.exchange(ec.ECDH(), epk)
        krec = hkdf(shared, self.id, "sealmilter-envelope v1 recovery")
        try:
            return AESGCM(krec).decrypt(base64.b64decode(rec["nonce"]), base64.b64decode(rec["wrapped"]),
                                        b"sealmilter-envelope v1 recovery" + self.id)
        except InvalidTag:
            raise Damaged("the recovery key does not open this envelope")

    def open(self, ck):
        kcontent = hkdf(ck, self.id, "sealmilter-envelope v1 content")
        aead = AESGCM(kcontent)
        sealed = CHUNK + 16
        pieces = [self.data[i:i + sealed] for i in range(0, len(self.data), sealed)] or [b""]
        out = []
        for i, c in enumerate(pieces):
            final = i == len(pieces) - 1
            nonce = b"\0\0\0\0" + struct.pack(">Q", i)
            aad = self.id + struct.pack(">Q", i) + (b"\1" if final else b"\0")
            try:
                out.append(aead.decrypt(nonce, c, aad))
            except InvalidTag:
                raise Damaged("chunk %d does not verify" % i)
        p = b"".join(out)
        if len(p) != self.header["size"]:
            raise Damaged("size mismatch")
        (n,) = struct.unpack(">I", p[:4])
        meta = json.loads(p[4:4 + n].decode("utf-8"))
        return meta, p[4 + n:]

    def reply(self, meta, message, reply_key=None, tamper=False):
        """A secure reply block, as the viewer makes it (format section 5)."""
        org = serialization.load_der_public_key(base64.b64decode(self.header["recovery"]["public"]))
        eph = ec.generate_private_key(ec.SECP256R1())
        epk = eph.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        kr = hkdf(eph.exchange(ec.ECDH(), org), self.id, "sealmilter-envelope v1 reply-content")
        nonce = os.urandom(12)
        ct = AESGCM(kr).encrypt(nonce, message, b"sealmilter-envelope v1 reply-content" + self.id)
        kreply = reply_key or base64.b64decode(meta["reply"]["key"])
        mac = hmac.new(kreply, b"sealmilter-envelope v1 reply-mac" + self.id + epk + nonce + ct, hashlib.sha256).digest()
        if tamper:
            # Change one byte of the ciphertext after the MAC was made (a well-formed block).
            ct = ct[:len(ct) // 2] + bytes([ct[len(ct) // 2] ^ 1]) + ct[len(ct) // 2 + 1:]
        r = {"v": 1, "envelope": b64url_encode(self.id), "epk": base64.b64encode(epk).decode(),
             "nonce": base64.b64encode(nonce).decode(), "ct": base64.b64encode(ct).decode(),
             "mac": base64.b64encode(mac).decode()}
        b64 = base64.b64encode(json.dumps(r).encode()).decode()
        lines = [b64[i:i + 76] for i in range(0, len(b64), 76)]
        return "-----BEGIN SEALMILTER SECURE REPLY-----\n" + "\n".join(lines) + "\n-----END SEALMILTER SECURE REPLY-----\n"


def content_key(env, args):
    if args.key:
        with open(args.key, "rb") as f:
            return env.key_from_recovery(serialization.load_pem_private_key(f.read(), password=None))
    return env.key_from_passcode(args.passcode, getattr(args, "address", None))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("open")
    o.add_argument("page"); o.add_argument("--passcode"); o.add_argument("--address"); o.add_argument("--key")
    o.add_argument("-o", "--output"); o.add_argument("--meta", action="store_true")
    r = sub.add_parser("reply")
    r.add_argument("page"); r.add_argument("--passcode", required=True); r.add_argument("--key")
    r.add_argument("--message", required=True); r.add_argument("--tamper", action="store_true")
    r.add_argument("--reply-key-from"); r.add_argument("--other-passcode")
    x = sub.add_parser("extract")
    x.add_argument("message"); x.add_argument("-o", "--output", required=True)
    p = sub.add_parser("passcode")
    p.add_argument("message")
    args = ap.parse_args()
    try:
        if args.cmd == "open":
            if not (args.passcode or args.key):
                ap.error("give --passcode or --key")
            env = Envelope(open(args.page, "rb").read())
            meta, original = env.open(content_key(env, args))
            data = (json.dumps(meta, indent=1) + "\n").encode() if args.meta else original
            if args.output:
                with open(args.output, "wb") as f:
                    f.write(data)
            else:
                sys.stdout.buffer.write(data)
        elif args.cmd == "reply":
            env = Envelope(open(args.page, "rb").read())
            meta, _ = env.open(content_key(env, args))
            reply_key = None
            if args.reply_key_from:
                other = Envelope(open(args.reply_key_from, "rb").read())
                other_meta, _ = other.open(other.key_from_passcode(args.other_passcode))
                reply_key = base64.b64decode(other_meta["reply"]["key"])
            block = env.reply(meta, open(args.message, "rb").read(), reply_key, tamper=args.tamper)
            sys.stdout.write(block)
        elif args.cmd == "extract":
            msg = email.message_from_binary_file(open(args.message, "rb"), policy=email.policy.default)
            for part in msg.walk():
                if part.get_filename() == "message.html":
                    with open(args.output, "wb") as f:
                        f.write(part.get_payload(decode=True))
                    return 0
            print("no message.html attachment in %s" % args.message, file=sys.stderr)
            return 1
        elif args.cmd == "passcode":
            msg = email.message_from_binary_file(open(args.message, "rb"), policy=email.policy.default)
            text = msg.get_body(preferencelist=("plain",)).get_content()
            m = re.search(r"\b([2-9A-HJ-NP-Z]{5}(?:-[2-9A-HJ-NP-Z]{5}){3})\b", text)
            if not m:
                print("no passcode in %s" % args.message, file=sys.stderr)
                return 1
            print(m.group(1))
    except (Damaged, ValueError, KeyError) as e:
        print("envelope.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
