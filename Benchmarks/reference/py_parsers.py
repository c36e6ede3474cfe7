#!/usr/bin/env python3
"""Python references for the MIME parser benchmark.

    py_parsers.py --tool email|fast_mail_parser [--iterations N] FILE...

email            : email.parser.BytesParser(policy=email.policy.default).parsebytes(),
                   then walk() and get_payload(decode=True) on every leaf
                   (non-multipart part; message/rfc822 is descended into by walk()).
fast_mail_parser : fast_mail_parser.parse_email(bytes) (a Rust parser; it decodes
                   attachments itself while building its result, which is the
                   same "decode every part" work); we touch every attachment's
                   content so the work cannot be skipped lazily.

Per iteration and file the timing includes reading the file into memory.
Prints one line in the same shape as the other tools:
    py_email mode=decode-all bytes=B seconds=S mbps=M decoded_bytes=D files=F iterations=N
bytes = input bytes (file sizes x iterations); mbps = bytes / 1e6 / seconds.
"""
import argparse
import sys
import time


def run_email(paths, iterations):
    from email import policy
    from email.parser import BytesParser

    parser = BytesParser(policy=policy.default)
    total = decoded = 0
    t0 = time.perf_counter()
    for _ in range(iterations):
        for path in paths:
            with open(path, "rb") as fh:
                data = fh.read()
            total += len(data)
            msg = parser.parsebytes(data)
            for part in msg.walk():
                if part.is_multipart():
                    continue
                payload = part.get_payload(decode=True)
                if payload is not None:
                    decoded += len(payload)
    return total, decoded, time.perf_counter() - t0, 0


def run_fast(paths, iterations):
    from fast_mail_parser import parse_email

    total = decoded = 0
    failures = 0
    t0 = time.perf_counter()
    for _ in range(iterations):
        for path in paths:
            with open(path, "rb") as fh:
                data = fh.read()
            try:
                mail = parse_email(data)
            except Exception as exc:  # ParseError on inputs it rejects: not counted
                failures += 1
                print(f"fast_mail_parser: {path}: {exc}", file=sys.stderr)
                continue
            total += len(data)
            for text in mail.text_plain:
                decoded += len(text)
            for text in mail.text_html:
                decoded += len(text)
            for att in mail.attachments:
                decoded += len(att.content)
    secs = time.perf_counter() - t0
    if failures:
        print(f"fast_mail_parser: {failures} parse failures", file=sys.stderr)
    return total, decoded, secs, failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", choices=["email", "fast_mail_parser"], required=True)
    ap.add_argument("--iterations", type=int, default=1)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    run = run_email if args.tool == "email" else run_fast
    total, decoded, secs, failures = run(args.files, args.iterations)
    name = "py_email" if args.tool == "email" else "fast_mail_parser"
    mbps = total / 1e6 / secs if secs > 0 else 0.0
    print(f"{name} mode=decode-all bytes={total} seconds={secs:.6f} mbps={mbps:.2f} "
          f"decoded_bytes={decoded} files={len(args.files)} iterations={args.iterations}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
