#!/usr/bin/env python3
"""Self-test of the acceptance comparator: shows compare-gmime.sh CAN fail.

    python3 Tests/corpus/selftest_compare.py        (from the repo root)

Runs Tests/corpus/compare-gmime.sh against fake_sealctl.py in several fault
modes and checks the outcome; expected counts are derived from the corpus,
the GMime dumps and gmime-overrides.json, not written down here.
Exit status 0 if every check holds.
"""
import glob
import json
import os
import re
import subprocess
import sys

ROOT = os.getcwd()
GMIME = os.environ.get("GMIME_PARSE", os.path.join(ROOT, "Benchmarks/.build/gmime_parse"))
FAKE = os.path.join(ROOT, "Tests/corpus/fake_sealctl.py")


def run(mode):
    env = dict(os.environ, FAKE_MODE=mode, GMIME_PARSE=GMIME)
    p = subprocess.run(["Tests/corpus/compare-gmime.sh", FAKE], capture_output=True, text=True, env=env)
    last = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
    m = re.fullmatch(r"(\d+) passed, (\d+) failed", last)
    if not m:
        sys.exit("selftest: mode %s: no summary line (stderr: %s)" % (mode, p.stderr[-300:]))
    failed_files = {os.path.relpath(l[5:], "../shared/corpus") for l in p.stdout.splitlines() if l.startswith("FAIL ")}
    return p.returncode, int(m.group(1)), int(m.group(2)), failed_files


def main():
    # build gmime_parse via a first run, then derive expectations
    run("crash")
    files = sorted(glob.glob("../shared/corpus/cpython/*")) + sorted(glob.glob("../shared/corpus/mimekit/*"))
    overrides = json.load(open("Tests/corpus/gmime-overrides.json"))
    strict = {k for k, v in overrides.items() if not k.startswith("_") and not v["gmime_ok"]}
    no_leaves = set()
    for f in files:
        p = subprocess.run([GMIME, "--dump", f], capture_output=True)
        key = os.path.relpath(f, "../shared/corpus")
        if p.returncode == 0 and not json.loads(p.stdout)["parts"] and key not in overrides:
            no_leaves.add(key)
    n = len(files)
    checks = []

    rc, ok, bad, failed = run("gmime")
    checks.append(("faithful GMime translation fails exactly the gmime_ok=false overrides %s" % sorted(strict),
                   failed == strict and ok == n - len(strict) and rc == (1 if strict else 0)))
    for mode in ("crash", "exit3", "badjson", "unreadable"):
        rc, ok, bad, _ = run(mode)
        checks.append(("mode %s fails every file" % mode, ok == 0 and bad == n and rc == 1))
    for mode in ("offbyone", "droplast"):
        rc, ok, bad, failed = run(mode)
        checks.append(("mode %s passes only files without leaves %s" % (mode, sorted(no_leaves)),
                       ok == len(no_leaves) and bad == n - len(no_leaves) and rc == 1))
    good = True
    for what, result in checks:
        print("%s  %s" % ("ok  " if result else "FAIL", what))
        good &= result
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
