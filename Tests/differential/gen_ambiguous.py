#!/usr/bin/env python3
"""Generator of MIME structure ambiguities (issue 8, point 4).

Each generated message is a multipart/mixed holding a text part and a small zip
attachment, whose structure fields carry one ambiguity (or none, as a control):
RFC 822 comments where white space may be, RFC 2047 encoded words in the boundary,
duplicate Content-Type / Content-Transfer-Encoding / Content-Disposition fields,
conflicting boundary parameters (plain and RFC 2231 forms), white space before the
colon of a field name. The ambiguous fields sit either in the top-level header
section or in a nested multipart's header section; line ends are LF or CRLF.

    python3 gen_ambiguous.py OUTDIR [--random N] [--seed S]

writes OUTDIR/NAME.eml for every deterministic case and N random combinations.
Used by differential.py; the messages are made here, nothing is fetched.
"""
import base64
import os
import random
import sys

# A stored (method 0) zip local header + a few bytes: enough for "a zip".
ZIP = base64.b64encode(b"PK\x03\x04\x0a\x00\x01\x00\x00\x00secret-zip-bytes").decode()

# name -> (header lines for the multipart carrying the ambiguity (list of str, no
# line ends), boundary used by its body's delimiters)
def ct_variants():
    v = {}
    v["clean"] = (['Content-Type: multipart/mixed; boundary="B"'], "B")
    v["comment-after-subtype"] = (['Content-Type: multipart/mixed (c); boundary="B"'], "B")
    v["comment-before-type"] = (['Content-Type: (c) multipart/mixed; boundary="B"'], "B")
    v["comment-inside-type"] = (['Content-Type: multipart(x)/(y)mixed; boundary="B"'], "B")
    v["comment-around-param"] = (['Content-Type: multipart/mixed; (z)boundary(q)=(r)"B"(s)'], "B")
    v["comment-nested"] = (['Content-Type: multipart/mixed (a (b \\) c) d); boundary="B"'], "B")
    v["comment-after-bare-boundary"] = (['Content-Type: multipart/mixed; boundary=B (c)'], "B")
    v["comment-glued-bare-boundary"] = (['Content-Type: multipart/mixed; boundary=B(c)'], "B")
    v["paren-in-quoted-boundary"] = (['Content-Type: multipart/mixed; boundary="B(c)"'], "B(c)")
    v["comment-folded"] = (['Content-Type: multipart/mixed', ' (a comment on its own line);', ' boundary="B"'], "B")
    v["encoded-word-boundary-literal-body"] = (['Content-Type: multipart/mixed; boundary="=?utf-8?q?B?="'], "=?utf-8?q?B?=")
    v["encoded-word-boundary-decoded-body"] = (['Content-Type: multipart/mixed; boundary="=?utf-8?q?B?="'], "B")
    v["encoded-word-boundary-b64"] = (['Content-Type: multipart/mixed; boundary="=?utf-8?b?Qg==?="'], "B")
    v["dup-ct-multipart-first"] = (['Content-Type: multipart/mixed; boundary="B"', "Content-Type: text/plain"], "B")
    v["dup-ct-text-first"] = (["Content-Type: text/plain", 'Content-Type: multipart/mixed; boundary="B"'], "B")
    v["dup-ct-garbage-first"] = (["Content-Type: garbage", 'Content-Type: multipart/mixed; boundary="B"'], "B")
    v["dup-ct-same"] = (['Content-Type: multipart/mixed; boundary="B"', 'Content-type: multipart/mixed; boundary="B"'], "B")
    v["dup-ct-other-boundary-first"] = (['Content-Type: multipart/mixed; boundary="X"', 'Content-Type: multipart/mixed; boundary="B"'], "B")
    v["dup-boundary-good-first"] = (['Content-Type: multipart/mixed; boundary="B"; boundary="X"'], "B")
    v["dup-boundary-good-second"] = (['Content-Type: multipart/mixed; boundary="X"; boundary="B"'], "B")
    v["boundary-plain-then-2231"] = (["Content-Type: multipart/mixed; boundary=\"X\"; boundary*=utf-8''B"], "B")
    v["boundary-2231-then-plain"] = (['Content-Type: multipart/mixed; boundary*0=B; boundary="X"'], "B")
    v["boundary-2231-only"] = (["Content-Type: multipart/mixed; boundary*0=B; boundary*1=C"], "BC")
    v["space-before-colon"] = (['Content-Type : multipart/mixed; boundary="B"'], "B")
    v["boundary-trailing-space"] = (['Content-Type: multipart/mixed; boundary="B "'], "B")
    v["boundary-trailing-space-in-body"] = (['Content-Type: multipart/mixed; boundary="B "'], "B ")
    v["boundary-empty"] = (['Content-Type: multipart/mixed; boundary=""'], "")
    v["boundary-case"] = (['Content-Type: multipart/mixed; boundary="b"'], "B")
    v["param-name-upper"] = (['Content-Type: Multipart/Mixed; BOUNDARY="B"'], "B")
    return v


def zip_part_variants():
    """Header lines of the zip part: name -> lines."""
    z = {}
    z["clean"] = ['Content-Type: application/zip; name="a.zip"', "Content-Transfer-Encoding: base64"]
    z["dup-cte-base64-first"] = ['Content-Type: application/zip; name="a.zip"', "Content-Transfer-Encoding: base64",
                                 "Content-Transfer-Encoding: 7bit"]
    z["dup-cte-7bit-first"] = ['Content-Type: application/zip; name="a.zip"', "Content-Transfer-Encoding: 7bit",
                               "Content-Transfer-Encoding: base64"]
    z["cte-comment"] = ['Content-Type: application/zip; name="a.zip"', "Content-Transfer-Encoding: base64 (c)"]
    z["dup-disposition"] = ['Content-Type: application/zip', "Content-Transfer-Encoding: base64",
                            "Content-Disposition: attachment; filename=a.zip", "Content-Disposition: attachment; filename=a.txt"]
    z["encoded-word-name"] = ['Content-Type: application/zip; name="=?utf-8?q?a=2Ezip?="', "Content-Transfer-Encoding: base64"]
    return z


def message(ct_name, zip_name, nested, eol):
    ct_lines, boundary = ct_variants()[ct_name]
    zip_lines = zip_part_variants()[zip_name]
    inner = []
    inner += ct_lines
    inner += [""]
    inner += ["--" + boundary, "Content-Type: text/plain", "", "hello"]
    inner += ["--" + boundary] + zip_lines + ["", ZIP]
    inner += ["--" + boundary + "--", ""]
    top = ["From: a@example.com", "To: b@example.com", "Subject: " + ct_name + " / " + zip_name, "MIME-Version: 1.0"]
    if nested:
        lines = top + ['Content-Type: multipart/mixed; boundary="OUTER"', "", "--OUTER", "Content-Type: text/plain", "",
                       "outer text", "--OUTER"] + inner + ["--OUTER--", ""]
    else:
        lines = top + inner
    return eol.join(lines).encode()


def cases(random_count=0, seed=1):
    """Yields (name, bytes): every variant once (top level, LF), nested and CRLF
    forms of each, then random combinations."""
    cts = sorted(ct_variants())
    zips = sorted(zip_part_variants())
    for c in cts:
        yield f"top-{c}", message(c, "clean", False, "\n")
        yield f"nested-{c}-crlf", message(c, "clean", True, "\r\n")
    for z in zips:
        yield f"zip-{z}", message("clean", z, False, "\n")
        yield f"zip-nested-{z}-crlf", message("clean", z, True, "\r\n")
    rng = random.Random(seed)
    for k in range(random_count):
        c, z = rng.choice(cts), rng.choice(zips)
        nested, eol = rng.random() < 0.5, rng.choice(["\n", "\r\n"])
        yield f"rand{k:03d}-{c}-{z}-{'nested' if nested else 'top'}-{'crlf' if eol == chr(13) + chr(10) else 'lf'}", \
            message(c, z, nested, eol)


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    out = sys.argv[1]
    n = int(sys.argv[sys.argv.index("--random") + 1]) if "--random" in sys.argv else 0
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 1
    os.makedirs(out, exist_ok=True)
    count = 0
    for name, data in cases(n, seed):
        with open(os.path.join(out, name + ".eml"), "wb") as fh:
            fh.write(data)
        count += 1
    print(f"{count} messages in {out}")


if __name__ == "__main__":
    main()
