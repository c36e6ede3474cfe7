#!/usr/bin/env python3
"""Differential test of SealMIME's structure against GMime 3 and Python's email on
generated ambiguities (gen_ambiguous.py; issue 8, point 4).

For every generated message the leaf parts (document order, message/rfc822
descended into; each as lowercased type/subtype and decoded size) are taken from
three references: GMime 3 (Benchmarks/reference/gmime_parse.c --dump, as in
Tests/corpus), Python's email with policy.compat32 (what email.message_from_bytes
uses) and with policy.default. A multipart whose delimiters were not found counts
as no leaves in all three.

  * The references agree: ours must give the same leaves.
  * They disagree: the message must be marked ambiguous-structure (its leaves may
    combine their readings when one message holds two ambiguities).
Python's email turns CRLF into LF in payloads: for CRLF messages the sizes of text
leaves are not compared.

Modes (run from the repository root):
  differential.py --sealctl .build/debug/sealctl [--random N]
      end to end: `sealctl scan --json`; "ambiguous-structure" must be in the
      message's unscannable kinds. Prints per-case failures, then exactly
      "N passed, M failed"; exit 1 on any failure.
  differential.py --emit DIR [--random N]
      writes the messages and DIR/references.json (the references' leaves) for
      Tests/SealMIMETests/DifferentialTests.swift, which checks the parser itself.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_ambiguous  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
GMIME_SRC = os.path.join(ROOT, "Benchmarks/reference/gmime_parse.c")
GMIME = os.environ.get("GMIME_PARSE", os.path.join(ROOT, "Benchmarks/.build/gmime_parse"))


def build_gmime():
    if os.path.exists(GMIME) and os.path.getmtime(GMIME) >= os.path.getmtime(GMIME_SRC):
        return
    os.makedirs(os.path.dirname(GMIME), exist_ok=True)
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "gmime-3.0"], capture_output=True, text=True)
    if flags.returncode != 0:
        sys.exit("differential: pkg-config gmime-3.0 failed (needs libgmime-3.0-dev): " + flags.stderr.strip())
    r = subprocess.run(["gcc", "-O2", "-o", GMIME, GMIME_SRC] + flags.stdout.split(), capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("differential: cannot build " + GMIME + ": " + r.stderr.strip())


def gmime_leaves(path):
    r = subprocess.run([GMIME, "--dump", path], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"gmime_parse failed on {path}: {r.stderr.strip()}")
    return [f"{p['content_type'].lower()}:{p['decoded_size']}" for p in json.loads(r.stdout)["parts"]]


def python_leaves(path, policy_name):
    from email import policy
    from email.parser import BytesParser
    pol = policy.compat32 if policy_name == "compat32" else policy.default
    with open(path, "rb") as fh:
        msg = BytesParser(policy=pol).parse(fh)
    out = []

    def walk(m):
        ctype = m.get_content_type()
        if ctype in ("message/rfc822", "message/global"):
            payload = m.get_payload()
            if isinstance(payload, list) and payload:
                walk(payload[0])
            return
        if m.is_multipart():
            for sub in m.get_payload():
                walk(sub)
            return
        if ctype.startswith("multipart/"):
            return  # delimiters not found: no leaves (as GMime and SealMIME report it)
        data = m.get_payload(decode=True) or b""
        out.append(f"{ctype}:{len(data)}")

    walk(msg)
    return out


def references(path):
    with open(path, "rb") as fh:
        crlf = b"\r\n" in fh.read()
    return {"gmime": normalize(gmime_leaves(path), crlf), "compat32": normalize(python_leaves(path, "compat32"), crlf),
            "default": normalize(python_leaves(path, "default"), crlf)}


def normalize(leaves, crlf):
    """Python's email turns CRLF into LF in payloads, so for CRLF messages the sizes of
    text leaves are not comparable: they become '*' (binary leaves keep theirs)."""
    if not crlf:
        return leaves
    return [l.rsplit(":", 1)[0] + ":*" if l.startswith("text/") else l for l in leaves]


def judge(refs, ours, ambiguous):
    """None when ours is acceptable, else why not. When the references disagree, ours
    may combine their readings (one field read as one of them does, another as
    another), so only the mark is required."""
    views = list(refs.values())
    if all(v == views[0] for v in views):
        if ours != views[0]:
            return f"references agree on {views[0]}, ours {ours}"
        return None
    if not ambiguous:
        return f"references disagree ({refs}) but the message is not marked ambiguous-structure"
    return None


def generate(directory, n):
    names = []
    for name, data in gen_ambiguous.cases(n, seed=int(os.environ.get("DIFF_SEED", "1"))):
        with open(os.path.join(directory, name + ".eml"), "wb") as fh:
            fh.write(data)
        names.append(name)
    return names


def main():
    args = sys.argv[1:]
    n = int(args[args.index("--random") + 1]) if "--random" in args else 60
    build_gmime()
    if "--emit" in args:
        out = args[args.index("--emit") + 1]
        os.makedirs(out, exist_ok=True)
        refs = {name: references(os.path.join(out, name + ".eml")) for name in generate(out, n)}
        with open(os.path.join(out, "references.json"), "w") as fh:
            json.dump(refs, fh, indent=1, sort_keys=True)
        disagree = sum(1 for r in refs.values() if len({json.dumps(v) for v in r.values()}) > 1)
        print(f"{len(refs)} messages, references disagree on {disagree}, in {out}")
        return
    if "--sealctl" not in args:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sealctl = args[args.index("--sealctl") + 1]
    if not os.access(sealctl, os.X_OK):
        sys.exit(f"differential: no sealctl at {sealctl}")
    passed = failed = disagree = 0
    with tempfile.TemporaryDirectory(prefix="sealmilter-diff-") as d:
        for name in generate(d, n):
            path = os.path.join(d, name + ".eml")
            refs = references(path)
            if len({json.dumps(v) for v in refs.values()}) > 1:
                disagree += 1
            r = subprocess.run([sealctl, "scan", "--json", path], capture_output=True, text=True, timeout=60)
            if r.returncode not in (0, 1):
                failed += 1
                print(f"FAIL {name}: sealctl exit {r.returncode}: {r.stderr.strip()[:200]}")
                continue
            rep = json.loads(r.stdout)
            with open(path, "rb") as fh:
                crlf = b"\r\n" in fh.read()
            ours = normalize([f"{p['content_type']}:{p['decoded_size']}" for p in rep["parts"] if p["leaf"]], crlf)
            why = judge(refs, ours, "ambiguous-structure" in rep.get("unscannable", []))
            if why:
                failed += 1
                print(f"FAIL {name}: {why}")
            else:
                passed += 1
    print(f"(references disagree on {disagree} messages)")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
