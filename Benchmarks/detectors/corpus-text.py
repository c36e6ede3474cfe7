#!/usr/bin/env python3
"""Write the decoded text of messages, as the engine's text conditions see it.

    python3 Benchmarks/detectors/corpus-text.py OUT.txt DIR_OR_FILE...

Every text/* part of every message (.eml or any file under the directories given), with
its transfer encoding undone and converted from its charset to UTF-8 (Python's email
package, an independent parser), written one after the other. For
`sealbench --mode detectors --text-file OUT.txt`: the detectors on real text.
"""
import email
import email.policy
import os
import sys


def messages(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _, files in sorted(os.walk(p)):
                for f in sorted(files):
                    yield os.path.join(root, f)
        else:
            yield p


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__.strip())
    out, parts, total = sys.argv[1], 0, 0
    with open(out, "wb") as w:
        for path in messages(sys.argv[2:]):
            with open(path, "rb") as f:
                msg = email.message_from_binary_file(f, policy=email.policy.compat32)
            for part in msg.walk():
                if part.get_content_maintype() != "text" or part.is_multipart():
                    continue
                raw = part.get_payload(decode=True) or b""
                charset = part.get_content_charset() or "us-ascii"
                try:
                    text = raw.decode(charset, errors="replace")
                except LookupError:
                    text = raw.decode("latin-1")
                data = text.encode("utf-8") + b"\n"
                w.write(data)
                parts += 1
                total += len(data)
    if total == 0:
        sys.exit("corpus-text.py: no text parts found in " + " ".join(sys.argv[2:]))
    digits = 0
    with open(out, "rb") as f:
        data = f.read()
        digits = sum(1 for b in data if 48 <= b <= 57)
    print(f"corpus-text: {parts} text parts, {total} bytes, {digits * 100 / total:.1f} % digits -> {out}")


if __name__ == "__main__":
    main()
