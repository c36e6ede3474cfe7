#!/usr/bin/env python3
"""A stand-in milter for checking the e2e HARNESS itself — not Sealmilter, and not a
test of Sealmilter. It speaks milter protocol 6 and behaves the way the e2e cases
expect of Sealmilter with Tests/e2e/policy.yaml (hard-wired here, the policy file is
ignored), so that `run.sh Tests/e2e/mock-milter.py none` shows every case can pass,
while `run.sh none none` (Postfix alone) shows the milter cases fail.

Usage as run.sh calls a daemon: mock-milter.py --socket unix:PATH [--policy F]
[--foreground] [--user USER]
"""
import base64
import os
import pwd
import re
import socket
import struct
import sys
import threading

SMFIF = 0x01 | 0x02 | 0x04 | 0x08 | 0x10 | 0x20  # add/chg headers, body, rcpts, quarantine


def log(*a):
    print("mock-milter:", *a, file=sys.stderr, flush=True)


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError
        b += c
    return b


def send(s, cmd, data=b""):
    s.sendall(struct.pack(">I", len(data) + 1) + cmd + data)


def zip_encrypted(data):
    # local file headers: PK\3\4, general purpose flag bit 0 = encrypted
    i = data.find(b"PK\x03\x04")
    while i >= 0 and i + 8 <= len(data):
        if struct.unpack("<H", data[i + 6:i + 8])[0] & 1:
            return True
        i = data.find(b"PK\x03\x04", i + 4)
    return False


def handle(s):
    macros, headers, body, rcpt_reject = {}, [], b"", None
    while True:
        try:
            (n,) = struct.unpack(">I", recv_exact(s, 4))
            pkt = recv_exact(s, n)
        except EOFError:
            return
        cmd, data = pkt[:1], pkt[1:]
        if cmd == b"O":
            ver, act, proto = struct.unpack(">III", data[:12])
            send(s, b"O", struct.pack(">III", 6, act & SMFIF, 0))
        elif cmd == b"D":
            parts = data[1:].split(b"\0")
            for k, v in zip(parts[0::2], parts[1::2]):
                macros[k.decode(errors="replace")] = v.decode(errors="replace")
        elif cmd in (b"C", b"H", b"T", b"U"):
            if cmd == b"H":
                log("helo macros", {k: v for k, v in macros.items() if k.strip("{}") in ("tls_version", "cipher")})
            send(s, b"c")
        elif cmd == b"M":
            headers, body = [], b""
            send(s, b"c")
        elif cmd == b"R":
            addr = data.split(b"\0")[0].decode().strip("<>").lower()
            if addr == "blocked@int.test":
                send(s, b"y", b"550 5.7.1 e2e blocked recipient\0")
            else:
                send(s, b"c")
        elif cmd == b"L":
            name, value = data.split(b"\0")[:2]
            headers.append((name.decode(errors="replace"), value.decode(errors="replace")))
            send(s, b"c")
        elif cmd == b"N":
            send(s, b"c")
        elif cmd == b"B":
            body += data
            send(s, b"c")
        elif cmd == b"E":
            eom(s, headers, body, macros)
        elif cmd == b"A":
            headers, body = [], b""
        elif cmd in (b"Q", b"K"):
            if cmd == b"Q":
                return
        else:
            send(s, b"c")


def eom(s, headers, body, macros):
    subject = next((v for n, v in headers if n.lower() == "subject"), "")
    log(f"{macros.get('i', '?')}: eom, tls_version={macros.get('{tls_version}', '')}")
    if "E2E-REJECT" in subject:
        send(s, b"y", b"550 5.7.1 Rejected by e2e reject rule\0"); return
    if "E2E-TEMPFAIL" in subject:
        send(s, b"y", b"451 4.7.1 Deferred by e2e tempfail rule\0"); return
    # delete every X-Sealmilter-* field; the index counts fields of that name, and
    # deleting from the last one keeps the indexes of the earlier ones valid
    seen = {}
    for n, v in headers:
        seen[n.lower()] = seen.get(n.lower(), 0) + 1
    for n, v in reversed(headers):
        if n.lower().startswith("x-sealmilter-"):
            idx = seen[n.lower()]
            send(s, b"m", struct.pack(">I", idx) + n.encode() + b"\0" + b"\0")
        seen[n.lower()] -= 1
    kinds = []
    ctype = next((v for n, v in headers if n.lower() == "content-type"), "")
    if re.search(r"application/(x-)?pkcs7-mime", ctype, re.I) and re.search(r"smime-type=\"?enveloped-data", ctype, re.I):
        kinds.append("smime-enveloped")
    m = re.search(r'boundary="?([^";]+)"?', ctype, re.I)
    if m and ctype.lower().startswith("multipart/"):
        b = m.group(1).encode()
        raw = body.replace(b"\r\n", b"\n")
        pieces = raw.split(b"\n--" + b + b"\n")
        last = pieces[-1].split(b"\n--" + b + b"--", 1)
        pieces = pieces[:-1] + [last[0]]
        epilogue = b"\n--" + b + b"--" + (last[1] if len(last) > 1 else b"\n")
        keep, removed = [pieces[0]], []
        for p in pieces[1:]:
            ph, _, pb = p.partition(b"\n\n")
            if b"application/zip" in ph.lower():
                try:
                    dec = base64.b64decode(b"".join(pb.split()))
                except Exception:
                    dec = b""
                if zip_encrypted(dec):
                    removed.append(p); continue
            keep.append(p)
        if removed:
            kinds.append("zip-encrypted")
            keep.append(b"Content-Type: text/plain; charset=us-ascii\n\nAn encrypted zip attachment was removed.\n")
            new = (b"\n--" + b + b"\n").join(keep) + epilogue
            new = new.replace(b"\n", b"\r\n")
            for i in range(0, len(new), 65535):
                send(s, b"b", new[i:i + 65535])
    if kinds:
        send(s, b"h", b"X-Sealmilter-Unscannable\0" + ", ".join(kinds).encode() + b"\0")
    if "E2E-QUARANTINE" in subject:
        send(s, b"q", b"e2e quarantine rule\0")
    if "E2E-HOSTILE" in subject:
        # policy.yaml's e2e-hostile-body, (?i)account.*number per line, without backtracking
        for line in body.lower().split(b"\n"):
            a, n = line.find(b"account"), line.rfind(b"number")
            if a >= 0 and n > a:
                send(s, b"h", b"X-E2E-Hostile-Body\0matched\0")
                break
    send(s, b"a")


def main():
    args = sys.argv[1:]
    spec = user = None
    while args:
        a = args.pop(0)
        if a in ("--socket", "-s"):
            spec = args.pop(0)
        elif a in ("--user", "-u"):
            user = args.pop(0)
        elif a in ("--policy", "-p"):
            args.pop(0)
    if not spec or not spec.startswith("unix:"):
        sys.exit("mock-milter: --socket unix:PATH required")
    path = spec[5:]
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    os.chmod(path, 0o777)
    if user and os.getuid() == 0:
        pw = pwd.getpwnam(user)
        os.setgid(pw.pw_gid); os.setuid(pw.pw_uid)
    srv.listen(64)
    log("listening on", path)
    while True:
        c, _ = srv.accept()
        threading.Thread(target=lambda c=c: (handle(c), c.close()), daemon=True).start()


if __name__ == "__main__":
    main()
