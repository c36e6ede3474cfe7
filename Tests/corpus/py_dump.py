#!/usr/bin/env python3
"""Second-opinion leaf dump using Python's email package (exploration aid only).

Prints the same JSON shape as `gmime_parse --dump` so the two references can
be diffed:  python3 Tests/corpus/py_dump.py FILE
Leaves: non-multipart parts; message/rfc822 is descended into (not a leaf).
message/delivery-status etc., which Python models as a list of header
blocks, are reported as one leaf whose size is the undecoded body length.
Python also records parse defects, printed as "warnings".
"""
import json
import sys
from email import policy
from email.parser import BytesParser


def leaves(msg, out):
    ctype = msg.get_content_type()
    if ctype in ("message/rfc822", "message/global", "message/news"):
        payload = msg.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if inner is not None:
            leaves(inner, out)
        return
    if msg.is_multipart() and ctype.startswith("multipart/"):
        for sub in msg.get_payload():
            leaves(sub, out)
        return
    if msg.is_multipart():  # e.g. message/delivery-status: header blocks
        body = msg.as_bytes().split(b"\n\n", 1)[-1]
        out.append({"content_type": ctype, "decoded_size": len(body), "note": "header-blocks"})
        return
    data = msg.get_payload(decode=True)
    out.append({"content_type": ctype, "decoded_size": len(data or b""),
                "transfer_encoding": str(msg.get("content-transfer-encoding", "")).lower()})


def main():
    with open(sys.argv[1], "rb") as fh:
        msg = BytesParser(policy=policy.compat32).parse(fh)
    out = []
    leaves(msg, out)
    defects = [type(d).__name__ for p in msg.walk() for d in p.defects]
    print(json.dumps({"file": sys.argv[1], "parts": out, "warnings": defects}))


if __name__ == "__main__":
    main()
