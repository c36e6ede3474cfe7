#!/usr/bin/env python3
"""Write the policies of the pattern benchmark (deterministic; no randomness).

    make_policies.py DIR

one-keyword.yaml       the default sealbench policy: flag unscannable content, one body keyword rule
body-1000-patterns.yaml  the same plus one rule whose body condition holds 1000 regular expressions
                       (one TextMatcher: one Hyperscan database, one pass per text)
body-1000-rules.yaml   the same plus 1000 rules with one body regular expression each (1000
                       TextMatchers: one pass per rule and text until the engine scans them as
                       one TextMatcherSet)

None of the expressions matches the benchmark corpus (the worst case: every text is scanned to
its end). They are the kinds a policy holds: words with bounded gaps, alternations, digits.
"""
import os
import sys

HEAD = """flag_unscannable: true
rules:
  - name: bench-keyword
    when:
      body: {contains: ["sealmilter-benchmark-keyword"]}
    actions:
      - add_header: {name: X-Bench, value: hit}
"""


def expression(i):
    forms = [
        r"(?i)\bacct-%d\b",
        r"(?i)urgent.{0,40}transfer-%d",
        r"ref[-_ ]?%d\d{3}x",
        r"(?i)(wire|swift|iban)\s*%dq[a-z]{2}",
        r"(?i)invoice\s+#?%d-[0-9]{4,8}z",
    ]
    return forms[i % len(forms)] % i


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "one-keyword.yaml"), "w") as fh:
        fh.write(HEAD)
    with open(os.path.join(out, "body-1000-patterns.yaml"), "w") as fh:
        fh.write(HEAD)
        fh.write("  - name: bench-1000-patterns\n    when:\n      body:\n        matches:\n")
        for i in range(1000):
            fh.write("          - %s\n" % quote(expression(i)))
        fh.write("    actions:\n      - add_header: {name: X-Bench-Patterns, value: hit}\n")
    with open(os.path.join(out, "body-1000-rules.yaml"), "w") as fh:
        fh.write(HEAD)
        for i in range(1000):
            fh.write("  - name: bench-rule-%d\n    when:\n      body: {matches: [%s]}\n"
                     "    actions:\n      - add_header: {name: X-Bench-Rule, value: \"%d\"}\n" % (i, quote(expression(i)), i))


if __name__ == "__main__":
    main()
