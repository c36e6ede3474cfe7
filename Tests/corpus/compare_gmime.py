#!/usr/bin/env python3
"""Compare `sealctl scan --json` with the GMime reference on the shared corpus.

    compare_gmime.py --sealctl PATH --gmime PATH [--overrides FILE] [--timeout S] FILE...

For every FILE:
  1. run `sealctl scan --json FILE`.  Exit status 0 (scanned) or 1
     (unreadable) is acceptable; any other status, death by a signal or a
     timeout is a failure ("sealctl must never crash").  With status 0 the
     stdout must be one JSON object with a `parts` list whose entries carry
     `content_type`, `decoded_size` and `leaf`.
  2. run `gmime_parse --dump FILE` (the reference).
  3. compare the LEAF parts (leaf == true) in document order: same count, and
     for each leaf the same lowercased content type and the same decoded size.
     sealctl exiting 1 while GMime parsed the file is a mismatch.

Overrides (Tests/corpus/gmime-overrides.json) correct the expectation for
files where GMime's answer is a known GMime quirk; each entry carries a
reason.  An entry is {"reason": ..., "expect_any": [LEAVES, ...],
"gmime_ok": bool}: the file passes if sealctl's leaves equal one of the
listed LEAVES lists (each a list of [content_type, decoded_size]) or, when
gmime_ok is true, GMime's own answer.  Overrides are keyed by the path
relative to the corpus root ("cpython/msg_19.txt").

Prints one block per mismatching file and finally exactly `N passed, M failed`.
Exit status: 0 if nothing failed, 1 otherwise, 2 on a usage/setup error.
"""
import argparse
import json
import os
import signal
import subprocess
import sys


def rel_key(path):
    parts = os.path.normpath(path).split(os.sep)
    return "/".join(parts[-2:])


def run(cmd, timeout):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        return p.returncode, p.stdout, p.stderr, False
    except subprocess.TimeoutExpired as exc:
        return None, exc.stdout or b"", exc.stderr or b"", True


def describe_status(code, timed_out):
    if timed_out:
        return "timed out"
    if code < 0:
        try:
            return "killed by signal %s" % signal.Signals(-code).name
        except ValueError:
            return "killed by signal %d" % -code
    return "exit status %d" % code


def leaves_from_sealctl(doc):
    """[(content_type, decoded_size)] for leaf parts, or raise ValueError."""
    if not isinstance(doc, dict) or not isinstance(doc.get("parts"), list):
        raise ValueError("no `parts` list in sealctl output")
    out = []
    for i, p in enumerate(doc["parts"]):
        if not isinstance(p, dict):
            raise ValueError("parts[%d] is not an object" % i)
        for key in ("content_type", "decoded_size", "leaf"):
            if key not in p:
                raise ValueError("parts[%d] lacks `%s`" % (i, key))
        if not isinstance(p["leaf"], bool):
            raise ValueError("parts[%d].leaf is not a boolean" % i)
        if p["leaf"]:
            size = p["decoded_size"]
            if not isinstance(size, int) or isinstance(size, bool):
                raise ValueError("parts[%d].decoded_size is not an integer" % i)
            out.append((str(p["content_type"]).lower(), size, p.get("path")))
    return out


def diff_leaves(expected, got):
    """Human-readable differences between two leaf lists ([] if equal)."""
    lines = []
    if len(expected) != len(got):
        lines.append("  leaf count: expected %d, sealctl %d" % (len(expected), len(got)))
    for i in range(max(len(expected), len(got))):
        e = expected[i] if i < len(expected) else None
        g = got[i] if i < len(got) else None
        if e is not None and g is not None and e[0] == g[0] and e[1] == g[1]:
            continue
        es = "%s %d bytes" % (e[0], e[1]) if e else "-"
        gs = "%s %d bytes" % (g[0], g[1]) if g else "-"
        where = (" (sealctl path %s)" % g[2]) if g and len(g) > 2 and g[2] is not None else ""
        lines.append("  leaf %d: expected %s, sealctl %s%s" % (i + 1, es, gs, where))
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sealctl", required=True)
    ap.add_argument("--gmime", required=True)
    ap.add_argument("--overrides")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()

    overrides = {}
    if args.overrides:
        with open(args.overrides) as fh:
            overrides = json.load(fh)
        for key, ov in overrides.items():
            if key.startswith("_"):
                continue
            if not ov.get("reason") or not isinstance(ov.get("expect_any"), list) or "gmime_ok" not in ov:
                print("overrides: entry %s needs reason, expect_any and gmime_ok" % key, file=sys.stderr)
                return 2
    seen_overrides = set()

    passed = failed = 0
    for path in args.files:
        key = rel_key(path)
        problems = []

        # --- the reference
        gcode, gout, gerr, gto = run([args.gmime, "--dump", path], args.timeout)
        gmime_leaves = None
        if gcode == 0 and not gto:
            gdoc = json.loads(gout)
            gmime_leaves = [(p["content_type"], p["decoded_size"]) for p in gdoc["parts"]]

        ov = overrides.get(key)
        if ov is not None:
            seen_overrides.add(key)
            accepted = [[(str(ct).lower(), int(n)) for ct, n in alt] for alt in ov["expect_any"]]
            if ov["gmime_ok"] and gmime_leaves is not None:
                accepted.append(gmime_leaves)
        elif gmime_leaves is not None:
            accepted = [gmime_leaves]
        else:
            accepted = []
            problems.append("  no reference: gmime_parse %s (%s) and no override entry"
                            % (describe_status(gcode, gto), gerr.decode(errors="replace").strip()))

        # --- the subject
        code, out, err, to = run([args.sealctl, "scan", "--json", path], args.timeout)
        if to or code not in (0, 1):
            problems.append("  CRASH: sealctl %s; stderr: %s"
                            % (describe_status(code, to), err.decode(errors="replace").strip()[-500:]))
        elif code == 1:
            problems.append("  sealctl reported the file unreadable (exit 1); expected leaves: %s"
                            % (accepted[0] if accepted else "none"))
        else:
            try:
                doc = json.loads(out)
                got = leaves_from_sealctl(doc)
            except (ValueError, json.JSONDecodeError) as exc:
                problems.append("  bad sealctl JSON: %s" % exc)
                got = None
            if got is not None and accepted:
                pairs = [(g[0], g[1]) for g in got]
                if pairs not in accepted:
                    problems.extend(diff_leaves(accepted[0], got))
                    if len(accepted) > 1:
                        problems.append("  (also accepted by %s: %s)" % (
                            "gmime-overrides.json", "; ".join(str(a) for a in accepted[1:])))
                    if ov is not None:
                        problems.append("  override reason: %s" % ov["reason"])

        if problems:
            failed += 1
            print("FAIL %s" % path)
            for line in problems:
                print(line)
        else:
            passed += 1

    unused = sorted(k for k in overrides if not k.startswith("_") and k not in seen_overrides)
    if unused:
        print("note: override entries for files not in this run: %s" % ", ".join(unused))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
