#!/usr/bin/env python3
"""Generate the reproducible synthetic benchmark corpus for the MIME parser.

    python3 Benchmarks/make_corpus.py OUTDIR [--total-mb 300] [--seed 20261123]
                                             [--crlf-fraction 0.5]

Everything is derived from one random.Random(seed): same seed, same options
and same Python (>= 3.9, for Random.randbytes) => byte-identical files.  No
clock, no environment, no os.urandom.  OUTDIR/SHA256SUMS lists every file so
two runs can be compared with `sha256sum -c`.

Message kinds (round-robin with random picks inside each kind):
  plain        text/plain 7bit, 1-60 KB of text
  alternative  multipart/alternative: text/plain + text/html, quoted-printable
  qp           one large quoted-printable text/plain with many non-ASCII chars
  attachments  multipart/mixed: text + 1-3 base64 attachments of random bytes,
               log-uniform 10 KB .. 20 MB (the first one is exactly 20 MB)
  nested       multipart/mixed > message/rfc822 > multipart/mixed > base64
               attachment, plus an outer attachment and a multipart/alternative
  smime        alternately an application/pkcs7-mime (enveloped-data) base64
               blob of 10 KB .. 5 MB, and a multipart/signed with an
               application/pkcs7-signature part
Line ends: a message is written with CRLF with probability --crlf-fraction,
else LF.  Files are named NNNNN-kind.eml; the generator stops once the total
size reaches --total-mb (MB = 10^6 bytes).
"""
import argparse
import base64
import hashlib
import math
import os
import quopri
import random

KB = 1000
MB = 1000 * 1000

WORDS = (
    "the of and to in is that for it as was with be by on not he this are or his "
    "from at which but have an they you were her she there been one all we their "
    "mail filter message boundary header attachment policy verdict scanner parser "
    "stream decode encode base64 quoted printable multipart alternative mixed related "
    "invoice report meeting agenda quarterly budget shipment tracking password reset"
).split()
# Non-ASCII words so that quoted-printable has something to escape.
WORDS_INTL = ["Grüße", "café", "naïve", "façade", "Ærøskøbing", "smørrebrød", "déjà",
              "Straße", "jalapeño", "€100", "über", "año", "Ελληνικά", "русский", "日本語"]


class Gen:
    def __init__(self, seed, crlf_fraction):
        self.rng = random.Random(seed)
        self.crlf_fraction = crlf_fraction
        self.counter = 0
        self.smime_count = 0

    # ---- small pieces -------------------------------------------------
    def text(self, nbytes, intl=0.0):
        """Roughly nbytes of word text in lines of <= 72 chars (LF)."""
        rng = self.rng
        out, size, line = [], 0, []
        linelen = 0
        while size < nbytes:
            words = rng.choices(WORDS, k=64)
            if intl:
                for i in range(len(words)):
                    if rng.random() < intl:
                        words[i] = rng.choice(WORDS_INTL)
            for w in words:
                if linelen + len(w) + 1 > 72:
                    s = " ".join(line)
                    out.append(s)
                    size += len(s.encode()) + 1
                    line, linelen = [], 0
                    if rng.random() < 0.1:
                        out.append("")
                        size += 1
                line.append(w)
                linelen += len(w) + 1
        if line:
            out.append(" ".join(line))
        return "\n".join(out) + "\n"

    def boundary(self):
        return "=_sb_%016x" % self.rng.getrandbits(64)

    def headers(self, content_type, extra=()):
        rng = self.rng
        self.counter += 1
        day = rng.randint(1, 28)
        h = [
            "Return-Path: <sender%d@example.org>" % rng.randint(1, 999),
            "Received: from mx%d.example.net (mx%d.example.net [192.0.2.%d])\n"
            "\tby mail.example.com with ESMTPS id %08X;\n\tMon, %d Nov 2026 10:%02d:%02d +0000"
            % (rng.randint(1, 9), rng.randint(1, 9), rng.randint(1, 254), rng.getrandbits(32),
               day, rng.randint(0, 59), rng.randint(0, 59)),
            "From: Sender %d <sender@example.org>" % rng.randint(1, 999),
            "To: Recipient <rcpt%d@example.com>" % rng.randint(1, 999),
            "Subject: %s" % " ".join(rng.choices(WORDS, k=rng.randint(3, 9))),
            "Date: Mon, %d Nov 2026 10:%02d:%02d +0000" % (day, rng.randint(0, 59), rng.randint(0, 59)),
            "Message-ID: <%016x.%d@example.org>" % (rng.getrandbits(64), self.counter),
            "MIME-Version: 1.0",
            "Content-Type: " + content_type,
        ]
        h.extend(extra)
        return "\n".join(h) + "\n"

    def attachment_size(self, lo=10 * KB, hi=20 * MB):
        # log-uniform: many small attachments, a few large ones
        return int(math.exp(self.rng.uniform(math.log(lo), math.log(hi))))

    # ---- leaf parts (each returns headers + blank line + body, LF) ----
    def part_text_plain(self, nbytes, cte="7bit"):
        body = self.text(nbytes, intl=0.0 if cte == "7bit" else 0.05)
        if cte == "quoted-printable":
            body = quopri.encodestring(body.encode("utf-8")).decode("ascii")
            return ("Content-Type: text/plain; charset=utf-8\n"
                    "Content-Transfer-Encoding: quoted-printable\n\n" + body)
        return "Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\n" + body

    def part_text_html(self, nbytes):
        paras = self.text(nbytes, intl=0.05).split("\n\n")
        html = "<html><body>\n" + "\n".join("<p>%s</p>" % p for p in paras) + "\n</body></html>\n"
        body = quopri.encodestring(html.encode("utf-8")).decode("ascii")
        return ("Content-Type: text/html; charset=utf-8\n"
                "Content-Transfer-Encoding: quoted-printable\n\n" + body)

    def part_base64(self, nbytes, ctype, filename, disposition="attachment"):
        data = self.rng.randbytes(nbytes)
        body = base64.encodebytes(data).decode("ascii")  # 76-char lines, LF
        return ('Content-Type: %s; name="%s"\n'
                'Content-Disposition: %s; filename="%s"\n'
                "Content-Transfer-Encoding: base64\n\n" % (ctype, filename, disposition, filename) + body)

    def multipart(self, subtype, parts, params=""):
        b = self.boundary()
        ct = 'multipart/%s; boundary="%s"%s' % (subtype, b, params)
        body = "This is a multi-part message in MIME format.\n"
        for p in parts:
            body += "\n--%s\n%s" % (b, p)
        body += "\n--%s--\n" % b
        return ct, body

    def alternative_part(self, nbytes):
        ct, body = self.multipart("alternative", [
            self.part_text_plain(nbytes, "quoted-printable"),
            self.part_text_html(nbytes),
        ])
        return "Content-Type: %s\n\n%s" % (ct, body)

    def random_attachment(self, size=None):
        kind = self.rng.choice([
            ("application/octet-stream", "data.bin"),
            ("application/pdf", "report.pdf"),
            ("image/png", "photo.png"),
            ("application/zip", "archive.zip"),
            ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "letter.docx"),
        ])
        return self.part_base64(size if size is not None else self.attachment_size(), *kind)

    # ---- whole messages (LF; converted to CRLF at write time) ---------
    def msg_plain(self):
        return self.headers("text/plain; charset=us-ascii", ["Content-Transfer-Encoding: 7bit"]) + "\n" + \
            self.text(self.rng.randint(1 * KB, 60 * KB))

    def msg_alternative(self):
        n = self.rng.randint(2 * KB, 100 * KB)
        ct, body = self.multipart("alternative", [
            self.part_text_plain(n, "quoted-printable"), self.part_text_html(n)])
        return self.headers(ct) + "\n" + body

    def msg_qp(self):
        n = self.rng.randint(10 * KB, 1 * MB)
        body = quopri.encodestring(self.text(n, intl=0.2).encode("utf-8")).decode("ascii")
        return self.headers("text/plain; charset=utf-8", ["Content-Transfer-Encoding: quoted-printable"]) + \
            "\n" + body

    def msg_attachments(self, first_size=None):
        parts = [self.alternative_part(self.rng.randint(1 * KB, 20 * KB)) if self.rng.random() < 0.5
                 else self.part_text_plain(self.rng.randint(1 * KB, 20 * KB))]
        for i in range(self.rng.randint(1, 3)):
            parts.append(self.random_attachment(first_size if i == 0 else None))
        ct, body = self.multipart("mixed", parts)
        return self.headers(ct) + "\n" + body

    def msg_nested(self):
        inner_ct, inner_body = self.multipart("mixed", [
            self.part_text_plain(self.rng.randint(1 * KB, 10 * KB)),
            self.random_attachment(self.attachment_size(10 * KB, 5 * MB)),
        ])
        inner_msg = self.headers(inner_ct) + "\n" + inner_body
        rfc822 = 'Content-Type: message/rfc822\nContent-Disposition: attachment; filename="forwarded.eml"\n\n' + \
            inner_msg
        ct, body = self.multipart("mixed", [
            self.alternative_part(self.rng.randint(1 * KB, 10 * KB)),
            rfc822,
            self.random_attachment(self.attachment_size(10 * KB, 2 * MB)),
        ])
        return self.headers(ct) + "\n" + body

    def msg_smime(self):
        size = self.attachment_size(10 * KB, 5 * MB)
        self.smime_count += 1
        if self.smime_count % 2 == 1:  # alternate: enveloped, signed, enveloped, ...
            blob = base64.encodebytes(self.rng.randbytes(size)).decode("ascii")
            return self.headers('application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"',
                                ["Content-Transfer-Encoding: base64",
                                 'Content-Disposition: attachment; filename="smime.p7m"']) + "\n" + blob
        signed_ct, body = self.multipart(
            "signed",
            [self.part_text_plain(self.rng.randint(1 * KB, 20 * KB)),
             self.part_base64(self.rng.randint(2 * KB, 8 * KB), "application/pkcs7-signature", "smime.p7s")],
            params='; protocol="application/pkcs7-signature"; micalg=sha-256')
        return self.headers(signed_ct) + "\n" + body


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--total-mb", type=float, default=300.0, help="stop once this many MB (10^6) are written")
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--crlf-fraction", type=float, default=0.5)
    args = ap.parse_args()

    os.makedirs(args.outdir, exist_ok=True)
    g = Gen(args.seed, args.crlf_fraction)
    kinds = ["plain", "alternative", "attachments", "qp", "nested", "smime", "plain", "attachments"]
    target = int(args.total_mb * MB)
    total, index, sums, counts = 0, 0, [], {}
    while total < target:
        kind = kinds[index % len(kinds)]
        if kind == "attachments" and "attachments" not in counts:
            text = g.msg_attachments(first_size=20 * MB)  # guarantee one 20 MB attachment
        else:
            text = getattr(g, "msg_" + kind)()
        data = text.encode("utf-8")
        if g.rng.random() < args.crlf_fraction:
            data = data.replace(b"\n", b"\r\n")
        name = "%05d-%s.eml" % (index, kind)
        with open(os.path.join(args.outdir, name), "wb") as fh:
            fh.write(data)
        sums.append("%s  %s\n" % (hashlib.sha256(data).hexdigest(), name))
        total += len(data)
        counts[kind] = counts.get(kind, 0) + 1
        index += 1
    with open(os.path.join(args.outdir, "SHA256SUMS"), "w") as fh:
        fh.writelines(sums)
    print("make_corpus: %d files, %d bytes (%.1f MB) in %s; kinds: %s" % (
        index, total, total / MB, args.outdir,
        ", ".join("%s=%d" % kv for kv in sorted(counts.items()))))


if __name__ == "__main__":
    main()
