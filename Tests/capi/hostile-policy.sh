#!/bin/sh
# Tests/capi/hostile-policy.sh NAME FILE — writes the hostile policy NAME to FILE
# (issue 8, points 2 and 3), for Tests/capi/run.sh and Tests/e2e/run.sh. The files
# are made at run time (up to 1 MB each); none is committed.
#   deep-lists deep-mappings alias-text alias-rules laughs
set -u
[ $# -eq 2 ] || { echo "usage: $0 NAME FILE" >&2; exit 2; }
case $1 in
deep-lists) # 5000 nested flow lists under a rule (overflowed the stack in Yams)
    awk 'BEGIN { printf "rules:\n  - name: r\n    actions: "
        for (i = 0; i < 5000; i++) printf "["; for (i = 0; i < 5000; i++) printf "]"; print "" }' ;;
deep-mappings) # 5000 nested flow mappings
    awk 'BEGIN { printf "rules:\n  - when: "
        for (i = 0; i < 5000; i++) printf "{a: "; printf "x"; for (i = 0; i < 5000; i++) printf "}"; print "" }' ;;
alias-text) # one 20 KB anchor aliased 300,000 times (0.9 MB that stands for 6 GB)
    awk 'BEGIN { printf "rules:\n  - name: &a "; for (i = 0; i < 20000; i++) printf "x"
        printf "\n    actions: [discard]\n  - {name: y, actions: [discard], when: {subject: {contains: [*a"
        for (i = 1; i < 300000; i++) printf ",*a"; print "]}}}" }' ;;
alias-rules) # 100,000 aliased copies of a rule
    awk 'BEGIN { print "rules:"; print "  - &r {name: r, when: {subject: {contains: [invoice]}}, actions: [discard]}"
        for (i = 0; i < 100000; i++) print "  - *r" }' ;;
laughs) # "billion laughs": 12 levels of ten aliases of the level before
    awk 'BEGIN { print "rules:"
        print "  - {name: r0, actions: [discard], when: {subject: {contains: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]}}}"
        for (i = 1; i <= 12; i++) {
            printf "  - {name: r%d, actions: [discard], when: {subject: {contains: &l%d [*l%d", i, i, i - 1
            for (j = 1; j < 10; j++) printf ", *l%d", i - 1
            print "]}}}" } }' ;;
*) echo "hostile_policy: unknown $1" >&2; exit 2 ;;
esac >"$2"
