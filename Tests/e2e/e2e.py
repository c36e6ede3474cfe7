#!/usr/bin/env python3
"""Helpers for Tests/e2e/run.sh: build test messages, check delivered ones, drive a
slow SMTP session. Standard library only. Each check prints a reason and exits 1
when it does not hold.

  e2e.py passthrough OUT TOKEN            a plain message with awkward but legal bytes
  e2e.py forged OUT TOKEN                 a message carrying forged X-Sealmilter-* fields
  e2e.py zipmsg OUT TOKEN ZIPFILE [N]     multipart/mixed: text, notes.txt (N pseudo-random bytes
                                          if given), the encrypted zip
  e2e.py split ORIG DELIVERED [FIELD...]  compare: header fields kept in order, body identical;
                                          added fields only Received (and the FIELDs named)
  e2e.py header-re FILE REGEX             a header field (unfolded "Name: value") matches REGEX
  e2e.py no-header-re FILE REGEX          no header field matches REGEX
  e2e.py zipcheck ORIG DELIVERED          zip part gone, other parts byte-identical, a text part added
  e2e.py ambigzipmsg KIND OUT TOKEN ZIPFILE   zipmsg with an ambiguous top-level structure
                                          (KIND: comment, ewboundary, dupct, dupct-text-first,
                                          pad1000: 1000 extra header fields before Content-Type)
  e2e.py slowsmtp PORT FROM TO MSG READY GO   send up to half the body, touch READY,
                                          wait for GO, send the rest; print the final reply
  e2e.py unixconnect PATH                 exit 0 when a unix socket accepts a connection
  e2e.py hostile OUT TOKEN MATCH          a 1 MB message for the hostile-pattern rules (issue 8):
                                          long body lines full of "account" and a folded 20 KB
                                          subject full of "urgent"; with MATCH=1 the last body
                                          line ends in "NUMBER" (so (?i)account.*number holds)
  e2e.py marker KEYFILE MSGID SENDER T RCPT...  an X-Sealmilter-Submitted value made as
                                          sealmilter.yaml(5) documents it (an independent
                                          implementation of the format)
"""
import email
import email.policy
import os
import re
import socket
import sys
import time


def fail(msg):
    print(msg)
    sys.exit(1)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def split_message(data):
    """(header lines as a list of fields, each field a list of raw lines; body bytes)."""
    idx = data.find(b"\n\n")
    if idx < 0:
        return data, b""
    head, body = data[: idx + 1], data[idx + 2:]
    fields = []
    for line in head.split(b"\n")[:-1]:
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1].append(line)
        else:
            fields.append([line])
    return fields, body


def unfold(field):
    return b" ".join(l.strip() if i else l.rstrip() for i, l in enumerate(field)).decode("utf-8", "replace")


def cmd_passthrough(out, token):
    text = (
        "From: Alice Sender <alice@ext.test>\n"
        "To: Bob <bob@int.test>\n"
        "Subject: e2e pass-through =?UTF-8?B?w6TDtsO8?= check\n"
        "Date: Mon, 23 Nov 2026 04:00:00 +0000\n"
        f"Message-ID: <{token}@e2e.test>\n"
        "X-Folded: first part\n"
        "\tsecond part after a tab\n"
        "  third part after spaces\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n"
        "\n"
        "Plain text with UTF-8: grüße, 日本語, emoji 🙂.\n"
        ".a line that starts with a dot (dot-stuffed on the wire)\n"
        "..two dots\n"
        "trailing spaces   \n"
        "\ttab-indented line\n"
        "From the start of a line (mbox would quote it)\n"
        "\n"
        "\n"
        "X-Sealmilter-Unscannable: this is body text, not a header\n"
        + "long line " + "x" * 900 + "\n"
        "last line\n"
    )
    with open(out, "wb") as f:
        f.write(text.encode("utf-8"))


def cmd_forged(out, token):
    text = (
        "From: mallory@ext.test\n"
        "To: bob@int.test\n"
        "X-Sealmilter-Unscannable: none\n"
        "Subject: e2e forged headers\n"
        "x-sealmilter-foo: bar\n"
        "X-SEALMILTER-Verdict: accept;\n"
        "\tfolded=continuation\n"
        "X-SealMilter-Unscannable:\n"
        " smime-enveloped\n"
        "X-Sealmilterish: not our prefix, must stay\n"
        "X-Other: keep me\n"
        f"Message-ID: <{token}@e2e.test>\n"
        "\n"
        "Body of a message with forged headers.\n"
    )
    with open(out, "wb") as f:
        f.write(text.encode())


def b64_lines(data):
    import base64
    s = base64.b64encode(data).decode()
    return "\n".join(s[i:i + 76] for i in range(0, len(s), 76))


def cmd_zipmsg(out, token, zipfile, size=None):
    zipdata = read(zipfile)
    notes = b"Notes attachment, must arrive intact.\nSecond line.\n"
    if size is not None:
        import random
        notes = random.Random(token).randbytes(int(size))
    text = (
        "From: carol@ext.test\n"
        "To: bob@int.test\n"
        "Subject: e2e encrypted zip\n"
        f"Message-ID: <{token}@e2e.test>\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="e2e-outer-boundary"\n'
        "\n"
        "This is a multi-part message in MIME format.\n"
        "--e2e-outer-boundary\n"
        "Content-Type: text/plain; charset=us-ascii\n"
        "\n"
        "Hello Bob, the report is attached (password by phone).\n"
        "--e2e-outer-boundary\n"
        'Content-Type: text/plain; charset=us-ascii; name="notes.txt"\n'
        'Content-Disposition: attachment; filename="notes.txt"\n'
        "Content-Transfer-Encoding: base64\n"
        "\n" + b64_lines(notes) + "\n"
        "--e2e-outer-boundary\n"
        'Content-Type: application/zip; name="secret.zip"\n'
        'Content-Disposition: attachment; filename="secret.zip"\n'
        "Content-Transfer-Encoding: base64\n"
        "\n" + b64_lines(zipdata) + "\n"
        "--e2e-outer-boundary--\n"
    )
    with open(out, "wb") as f:
        f.write(text.encode())


# Issue 8, point 4: the zip message with its structure written so that readers
# disagree, or so that a parser that skips a rule of RFC 2045/2047 misses the zip.
AMBIGUOUS_KINDS = {
    # an RFC 2045 comment after the subtype: read as text/plain by the parser before
    "comment": lambda t: t.replace('Content-Type: multipart/mixed; boundary="e2e-outer-boundary"\n',
                                   'Content-Type: multipart/mixed (e2e comment); boundary="e2e-outer-boundary"\n'),
    # an encoded word as the boundary, with the literal delimiters (Python's compat32 and
    # Thunderbird find the parts; a parser decoding it found none)
    "ewboundary": lambda t: t.replace('boundary="e2e-outer-boundary"', 'boundary="=?utf-8?q?e2e-outer-boundary?="')
                             .replace("\n--e2e-outer-boundary", "\n--=?utf-8?q?e2e-outer-boundary?="),
    # a second Content-Type after the multipart one (Python, MimeKit, Thunderbird take the first)
    "dupct": lambda t: t.replace('Content-Type: multipart/mixed; boundary="e2e-outer-boundary"\n',
                                 'Content-Type: multipart/mixed; boundary="e2e-outer-boundary"\n'
                                 "Content-Type: text/plain; charset=us-ascii\n"),
    # issue 8, point 5: 1000 extra header fields (about 16 KB) before the Content-Type,
    # past the parser's max_headers; the structure must still be read
    "pad1000": lambda t: t.replace('Content-Type: multipart/mixed; boundary="e2e-outer-boundary"\n',
                                   "".join(f"X-Pad-{i:04d}: padding\n" for i in range(1000))
                                   + 'Content-Type: multipart/mixed; boundary="e2e-outer-boundary"\n'),
    # text/plain first, multipart second: GMime finds the zip, the majority a text part
    "dupct-text-first": lambda t: t.replace('Content-Type: multipart/mixed; boundary="e2e-outer-boundary"\n',
                                            "Content-Type: text/plain; charset=us-ascii\n"
                                            'Content-Type: multipart/mixed; boundary="e2e-outer-boundary"\n'),
}


def cmd_ambigzipmsg(kind, out, token, zipfile):
    cmd_zipmsg(out, token, zipfile)
    text = read(out).decode()
    changed = AMBIGUOUS_KINDS[kind](text)
    if changed == text:
        fail(f"ambigzipmsg {kind}: the template did not change")
    changed = changed.replace("Subject: e2e encrypted zip\n", f"Subject: e2e ambiguous {kind}\n")
    with open(out, "wb") as f:
        f.write(changed.encode())


def cmd_split(orig, delivered, *allowed):
    of, ob = split_message(read(orig))
    df, db = split_message(read(delivered))
    if ob != db:
        # find the first difference to say where
        n = next((i for i, (a, b) in enumerate(zip(ob, db)) if a != b), min(len(ob), len(db)))
        fail(f"body differs at byte {n} (sent {len(ob)} bytes, delivered {len(db)}): "
             f"sent {ob[n:n+40]!r} delivered {db[n:n+40]!r}")
    # every original field, raw lines included, appears in the same order
    pos = 0
    for f in of:
        while pos < len(df) and df[pos] != f:
            pos += 1
        if pos == len(df):
            fail(f"header field missing or altered: {b'|'.join(f)!r}")
        pos += 1
    # the only additions allowed are Postfix's own trace field (Received)
    extra = [unfold(f) for f in df if f not in of]
    ok = ("received:",) + tuple(a.lower() + ":" for a in allowed)
    bad = [e for e in extra if not e.lower().startswith(ok)]
    if bad:
        fail(f"unexpected header fields added: {bad!r}")


def cmd_header_re(path, regex, want=True):
    fields, _ = split_message(read(path))
    rx = re.compile(regex, re.I)
    hits = [unfold(f) for f in fields if rx.search(unfold(f))]
    if want and not hits:
        fail(f"no header field matches /{regex}/; X-Sealmilter fields: "
             f"{[unfold(f) for f in fields if unfold(f).lower().startswith('x-sealmilter')]!r}")
    if not want and hits:
        fail(f"header fields that should be gone: {hits!r}")


def leaf_parts(msg):
    out = []
    for p in msg.walk():
        if p.is_multipart():
            continue
        out.append((p.get_content_type(), p.get_filename(), p.get_payload(decode=True) or b""))
    return out


def cmd_zipcheck(orig, delivered):
    pol = email.policy.compat32
    o = email.message_from_bytes(read(orig), policy=pol)
    d = email.message_from_bytes(read(delivered), policy=pol)
    op, dp = leaf_parts(o), leaf_parts(d)
    zipdata = [p for p in op if p[1] == "secret.zip"][0][2]
    if any(p[2] == zipdata for p in dp):
        fail("the encrypted zip is still in the delivered message")
    if any(p[0] == "application/zip" or p[1] == "secret.zip" for p in dp):
        fail("a part named secret.zip / application/zip is still there")
    for p in op:
        if p[1] == "secret.zip":
            continue
        if p not in dp:
            fail(f"part {p[0]} {p[1]!r} is missing or altered")
    added = [p for p in dp if p not in op]
    if not any(p[0] == "text/plain" and p[2].strip() for p in added):
        fail(f"no text part explaining the removal was added (added parts: {[(a[0], a[1]) for a in added]!r})")


def smtp_reply(f):
    lines = []
    while True:
        l = f.readline()
        if not l:
            return "".join(lines) or "(connection closed)"
        lines.append(l.decode(errors="replace"))
        if len(l) < 4 or l[3:4] != b"-":
            return "".join(lines).strip()


def cmd_slowsmtp(port, sender, rcpt, msgfile, ready, go):
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=60)
    f = s.makefile("rb")

    def cmd(line, expect):
        if line is not None:
            s.sendall(line.encode() + b"\r\n")
        r = smtp_reply(f)
        if not r.startswith(expect):
            print(f"unexpected reply to {line!r}: {r}")
            sys.exit(2)
        return r

    cmd(None, "220")
    cmd("EHLO slow.e2e.test", "250")
    cmd(f"MAIL FROM:<{sender}>", "250")
    cmd(f"RCPT TO:<{rcpt}>", "250")
    cmd("DATA", "354")
    lines = read(msgfile).split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    wire = [(b"." + l if l.startswith(b".") else l) + b"\r\n" for l in lines]
    half = max(1, len(wire) // 2)
    s.sendall(b"".join(wire[:half]))
    open(ready, "w").close()
    for _ in range(300):
        if os.path.exists(go):
            break
        time.sleep(0.05)
    s.sendall(b"".join(wire[half:]) + b".\r\n")
    r = smtp_reply(f)
    print(r)
    try:
        s.sendall(b"QUIT\r\n")
        smtp_reply(f)
    except OSError:
        pass


def cmd_marker(keyfile, msgid, sender, t, *rcpts):
    import base64
    import hashlib
    import hmac
    key = read(keyfile).rstrip(b" \t\r\n")
    norm = "".join(c for c in msgid if c not in " \t\r\n")
    data = ("sealmilter-submitted-v1\n" + norm + "\n" + sender.lower() + "\n"
            + "\n".join(sorted(r.lower() for r in rcpts)) + "\n" + str(t)).encode()
    mac = hmac.new(key, data, hashlib.sha256).digest()
    print(f"v=1; t={t}; h={base64.b64encode(mac).decode()}")


def cmd_unixconnect(path):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(2)
    try:
        s.connect(path)
    except OSError as e:
        fail(str(e))


def cmd_hostile(out, token, match):
    # Backtracking engines try every "account" against every later position of its line:
    # quadratic per line, so the lines are long (64 KB; Postfix rebuilds long lines).
    line = ("Account account ACCOUNT numbe accoun " * 1800)[:65536]
    lines = [line] * 16
    if match == "1":
        lines[-1] = lines[-1] + " NUMBER"
    words = ["E2E-HOSTILE"] + ["urgent"] * 2900
    subject, cur = [], ""
    for w in words:  # folded at about 70 columns
        if cur and len(cur) + len(w) + 1 > 70:
            subject.append(cur)
            cur = w
        else:
            cur = (cur + " " + w) if cur else w
    subject.append(cur)
    text = (
        "From: Eve <eve@ext.test>\n"
        "To: Bob <bob@int.test>\n"
        "Subject: " + "\n ".join(subject) + "\n"
        f"Message-ID: <{token}@e2e.test>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "\n"
        + "\n".join(lines) + "\n"
        + "aaaaaaaaaaaaaaaaaaa!\n"  # (a+)+$ does not hold: the text ends in "!"
    )
    with open(out, "w") as f:
        f.write(text)


def main():
    a = sys.argv[1:]
    if not a:
        fail(__doc__)
    c, args = a[0], a[1:]
    {
        "passthrough": cmd_passthrough,
        "forged": cmd_forged,
        "zipmsg": cmd_zipmsg,
        "split": cmd_split,
        "header-re": cmd_header_re,
        "no-header-re": lambda p, r: cmd_header_re(p, r, want=False),
        "zipcheck": cmd_zipcheck,
        "ambigzipmsg": cmd_ambigzipmsg,
        "slowsmtp": cmd_slowsmtp,
        "unixconnect": cmd_unixconnect,
        "hostile": cmd_hostile,
        "marker": cmd_marker,
    }[c](*args)


if __name__ == "__main__":
    main()
