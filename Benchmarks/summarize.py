#!/usr/bin/env python3
"""Summarize the raw results of run-parser-bench.sh into a markdown table.

    summarize.py RAW.tsv

RAW.tsv has one line per run: round, tool, exit status, the tool's result
line ("... bytes=B seconds=S mbps=M ..."; empty if it printed none) and the
/usr/bin/time "Maximum resident set size" in KB.  For each tool we report the
median MB/s over the rounds (MB = 10^6 bytes), min and max, the ratio of the
median to GMime's and to memchr's medians, and the largest peak RSS seen.
A tool with any failed run is reported as FAILED and makes the exit status 1.
"""
import statistics
import sys

ORDER = ["memchr_scan", "sealbench-policy", "sealbench-policy-1000-patterns", "sealbench-policy-1000-rules", "sealbench-policy-sensitive-50", "sealbench-decode-all", "gmime-parse-only", "gmime", "fast_mail_parser", "py_email"]
WHAT = {
    "memchr_scan": "mmap + memchr for \"\\n--\" (ceiling)",
    "sealbench-policy": "SealMIME, policy mode",
    "sealbench-decode-all": "SealMIME, decode every part",
    "sealbench-policy-1000-patterns": "policy mode + 1 rule with 1000 body regexes",
    "sealbench-policy-1000-rules": "policy mode + 1000 rules with 1 body regex each",
    "sealbench-policy-sensitive-50": "policy mode, 50 rules with every sensitive detector",
    "gmime-parse-only": "GMime 3 parse, visit leaves, no decoding",
    "gmime": "GMime 3 parse + decode every leaf",
    "fast_mail_parser": "fast_mail_parser.parse_email (full)",
    "py_email": "Python email, policy.default + decode leaves",
}


def fields(line):
    out = {}
    for tok in line.split():
        if "=" in tok:
            k, v = tok.split("=", 1)
            out[k] = v
    return out


def main():
    runs = {}
    with open(sys.argv[1]) as fh:
        for raw in fh:
            parts = raw.rstrip("\n").split("\t")
            if len(parts) != 5:
                continue
            rnd, tool, status, line, rss = parts
            runs.setdefault(tool, []).append((int(status), fields(line), int(rss) if rss.isdigit() else None))

    med, rows, failed, byte_counts = {}, {}, [], {}
    for tool, rs in runs.items():
        ok = [r for r in rs if r[0] == 0 and "mbps" in r[1]]
        if len(ok) != len(rs):
            failed.append(tool)
        if ok:
            mbps = [float(r[1]["mbps"]) for r in ok]
            med[tool] = statistics.median(mbps)
            byte_counts[tool] = {int(r[1].get("bytes", "0")) // max(1, int(r[1].get("iterations", "1"))) for r in ok}
            rss = [r[2] for r in rs if r[2] is not None]
            rows[tool] = (len(ok), len(rs), min(mbps), max(mbps), max(rss) if rss else None)

    def ratio(tool, ref):
        if tool in med and ref in med and med[ref] > 0:
            return "%.3f" % (med[tool] / med[ref])
        return "n/a"

    print("| tool | what | runs ok | median MB/s | min–max MB/s | ÷ GMime | ÷ memchr | peak RSS (MB) |")
    print("|---|---|---|---|---|---|---|---|")
    for tool in ORDER + sorted(t for t in runs if t not in ORDER):
        if tool not in runs:
            continue
        if tool not in rows:
            print("| %s | %s | 0/%d | FAILED | | | | |" % (tool, WHAT.get(tool, ""), len(runs[tool])))
            continue
        nok, n, lo, hi, rss = rows[tool]
        flag = "" if tool not in failed else " (FAILED runs)"
        print("| %s | %s | %d/%d%s | %.1f | %.1f–%.1f | %s | %s | %s |" % (
            tool, WHAT.get(tool, ""), nok, n, flag, med[tool], lo, hi,
            ratio(tool, "gmime"), ratio(tool, "memchr_scan"),
            "%.1f" % (rss / 1024) if rss else "n/a"))
    # The pattern benchmark's target: a policy of 1000 body patterns costs at most 2 times the
    # one-keyword policy (sealbench-policy), i.e. its time ratio (inverse MB/s ratio) is <= 2.
    for tool in ("sealbench-policy-1000-patterns", "sealbench-policy-1000-rules", "sealbench-policy-sensitive-50"):
        if tool in med and "sealbench-policy" in med and med[tool] > 0:
            print("\n%s costs %.2f times the one-keyword policy (median time ratio; target <= 2)"
                  % (tool, med["sealbench-policy"] / med[tool]))
    sizes = {t: sorted(b) for t, b in byte_counts.items()}
    distinct = {tuple(v) for v in sizes.values()}
    if len(distinct) > 1:
        print("\nWARNING: tools did not all process the same number of input bytes per iteration: %s" % sizes)
    if failed:
        print("\nFAILED tools: %s (see the raw log)" % ", ".join(sorted(failed)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
