#!/usr/bin/env python3
"""Stand-in for `sealctl scan --json FILE`, used ONLY by selftest-compare.sh.

It translates `gmime_parse --dump` into sealctl's JSON schema (adding a
non-leaf container entry that the comparator must ignore) and can inject
faults, so the self-test can show that compare_gmime.py fails when it must.
FAKE_MODE: gmime (faithful) | crash (SIGSEGV) | exit3 | unreadable (exit 1)
           | offbyone (last leaf's size + 1) | droplast | badjson
GMIME_PARSE: path of the gmime_parse binary.
"""
import json
import os
import signal
import subprocess
import sys


def main():
    if len(sys.argv) != 4 or sys.argv[1:3] != ["scan", "--json"]:
        print("usage: fake_sealctl.py scan --json FILE", file=sys.stderr)
        return 64
    mode = os.environ.get("FAKE_MODE", "gmime")
    if mode == "crash":
        os.kill(os.getpid(), signal.SIGSEGV)
    if mode == "exit3":
        return 3
    if mode == "unreadable":
        return 1
    if mode == "badjson":
        print("{not json")
        return 0
    p = subprocess.run([os.environ["GMIME_PARSE"], "--dump", sys.argv[3]], capture_output=True)
    if p.returncode != 0:
        return 1  # no message: report "unreadable"
    leaves = json.loads(p.stdout)["parts"]
    parts = [{"path": "", "content_type": "multipart/x-fake-container", "transfer_encoding": "7bit",
              "filename": None, "decoded_size": 0, "leaf": False}]
    for leaf in leaves:
        parts.append({"path": leaf["path"], "content_type": leaf["content_type"],
                      "transfer_encoding": leaf["transfer_encoding"], "filename": None,
                      "decoded_size": leaf["decoded_size"], "leaf": True})
    real = [x for x in parts if x["leaf"]]
    if mode == "offbyone" and real:
        real[-1]["decoded_size"] += 1
    if mode == "droplast" and real:
        parts.remove(real[-1])
    print(json.dumps({"parts": parts, "unscannable": [], "verdict": "accept"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
