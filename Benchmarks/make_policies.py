#!/usr/bin/env python3
"""Write the policies of the pattern benchmark (deterministic; no randomness).

    make_policies.py DIR

one-keyword.yaml       the default sealbench policy: flag unscannable content, one body keyword rule
body-1000-patterns.yaml  the same plus one rule whose body condition holds 1000 regular expressions
                       (one TextMatcher: one Hyperscan database, one pass per text)
body-1000-rules.yaml   the same plus 1000 rules with one body regular expression each (1000
                       TextMatchers: one pass per rule and text until the engine scans them as
                       one TextMatcherSet)
sensitive-50-rules.yaml  50 rules: the one-keyword rule and 49 rules with every sensitive
                       information detector on (credit_card, iban, us_ssn, eu_vat and three custom
                       types, counts, confidence levels, keyword overrides, lists), some with a body
                       exception; all in the engine's one text scan (compare with one-keyword.yaml)

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

    with open(os.path.join(out, "sensitive-50-rules.yaml"), "w") as fh:
        fh.write(SENSITIVE_TYPES)
        fh.write(HEAD)
        for i in range(49):
            fh.write("  - name: sensitive-%d\n    when:\n      sensitive: %s\n" % (i, sensitive_condition(i)))
            if i % 5 == 4:
                fh.write("    unless:\n      body: {contains: [\"test-data-%d\"]}\n" % i)
            fh.write("    actions:\n      - add_header: {name: X-Sensitive, value: \"%d\"}\n" % i)


SENSITIVE_TYPES = """sensitive_types:
  employee_id:
    pattern: 'EMP-[0-9]{6}'
    keywords: [employee, personnel, staff]
    distance: 100
  project_code:
    pattern: '\\bPRJ[0-9]{4}-[A-Z]{2}\\b'
    keywords: [project]
    ignore_case: true
  patient_id:
    pattern: '\\bMRN[ :]?[0-9]{7}\\b'
    keywords: [patient, medical record]
    confidence: medium
"""


def sensitive_condition(i):
    level = ["low", "medium", "high"][i % 3]
    forms = [
        "{type: credit_card, min_count: %d, confidence: %s}" % (1 + i % 4, level),
        "{type: iban, confidence: %s}" % level,
        "{type: us_ssn, min_count: %d}" % (1 + i % 2),
        "{type: eu_vat, confidence: %s}" % level,
        "{type: employee_id, min_count: %d}" % (1 + i % 3),
        "{type: project_code, confidence: %s}" % level,
        "[{type: credit_card, keywords: [payment, billing], distance: 80}, {type: iban, min_count: 2}, {type: patient_id}]",
    ]
    return forms[i % len(forms)]


if __name__ == "__main__":
    main()
