#!/usr/bin/env python3
"""Write the policies of the rule-engine benchmark (issue 14; deterministic).

    make_rule_policies.py DIR

one.yaml    one rule (a subject keyword)
fifty.yaml  50 rules of the rule engine's conditions (subject, header exists/absent,
            from_domain, recipient_location with match: all, sender_list and recipient_list
            files, attachment_content, password_protected, attachment_unscannable, body),
            each with an auth_user exception; priorities reverse the file order, every
            7th rule is in audit mode, every 5th has a date window
list.txt    the address list the list conditions read

Run: sealbench --mode policy --iterations 3 --policy DIR/one.yaml CORPUS/*.eml, then fifty.yaml.
"""
import os
import sys

KINDS = [
    'subject: {contains: [sealmilter-bench-%d]}',
    'header: {name: X-Bench-%d, exists: true}',
    'from_domain: ["bench%d.example"]',
    'recipient_location: {is: outside, match: all}\n      subject: {matches: ["(?i)quarter-%d"]}',
    'sender_list: list.txt\n      subject: {contains: [sb-%d]}',
    'recipient_list: {files: list.txt, match: all}\n      header: {name: X-B%d, absent: false}',
    'attachment_content: {contains: ["sealmilter-att-%d"]}',
    'password_protected: true\n      subject: {contains: [pp-%d]}',
    'attachment_unscannable: any\n      subject: {contains: [au-%d]}',
    'body: {matches: ["(?i)bench-body-%d[a-z]{3}"]}',
]


def rule(i):
    mode = '\n    mode: audit' if i % 7 == 3 else ''
    active = '\n    active: {from: 2020-01-01, until: 2099-12-31}' if i % 5 == 1 else ''
    return (f'  - name: r{i}\n    priority: {50 - i}{mode}{active}\n    when:\n      {KINDS[i % len(KINDS)] % i}\n'
            f'    unless:\n      auth_user: nobody-{i}\n'
            f'    actions: [{{add_header: {{name: X-R{i}, value: "1"}}}}]\n')


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    head = 'internal_domains: [example.com]\nrules:\n'
    with open(os.path.join(out, 'one.yaml'), 'w') as f:
        f.write(head + '  - name: r0\n    when: {subject: {contains: [sealmilter-bench-0]}}\n'
                '    actions: [{add_header: {name: X-R0, value: "1"}}]\n')
    with open(os.path.join(out, 'fifty.yaml'), 'w') as f:
        f.write(head + ''.join(rule(i) for i in range(50)))
    with open(os.path.join(out, 'list.txt'), 'w') as f:
        f.write('# partners\npartner.example\n*.gov.example\nceo@example.com\n')


if __name__ == '__main__':
    main()
