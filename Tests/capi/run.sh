#!/bin/sh
# Builds and runs the C interface test and the daemon smoke test.
#   Tests/capi/run.sh [BUILD_DIR]     (default .build/debug; run `swift build` first)
# Prints one ok/not ok line per check, then "N passed, M failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-.build/debug}
case $build in /*) ;; *) build="$root/$build" ;; esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sealmilter-capi.XXXXXX")
daemon_pid=
cleanup() {
    if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2>/dev/null; wait "$daemon_pid" 2>/dev/null; fi
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

if [ ! -e "$build/libsealmilter.so" ]; then
    echo "not ok - $build/libsealmilter.so is missing (run swift build first)"
    echo "0 passed, 1 failed"
    exit 1
fi
gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -g -I"$root/include" \
    "$here/capi_test.c" -o "$tmp/capi_test" -L"$build" -lsealmilter -Wl,-rpath,"$build" -lpthread \
    || { echo "not ok - capi_test.c does not compile"; echo "0 passed, 1 failed"; exit 1; }

out="$tmp/capi.out"
"$tmp/capi_test" "$here/policy.yaml" "$here/bad-policy.yaml" "$here/policy-actions.yaml" >"$out" 2>&1
status=$?
grep -v -E '^[0-9]+ passed, [0-9]+ failed$' "$out"
passed=$(grep -c '^ok - ' "$out")
failed=$(grep -c '^not ok - ' "$out")
if [ $status -ne 0 ] && [ $failed -eq 0 ]; then
    echo "not ok - capi_test exited with status $status"
    failed=$((failed + 1))
fi

ok() { echo "ok - $*"; passed=$((passed + 1)); }
notok() { echo "not ok - $*"; failed=$((failed + 1)); }

# hostile_policy NAME FILE: writes a hostile policy (issue 8, points 2 and 3) to FILE.
hostile_policy() { sh "$here/hostile-policy.sh" "$1" "$2"; }
# ---- Per-recipient versions through the C interface ------------------------------
if gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -g -I"$root/include" "$here/versions_test.c" \
    -o "$tmp/versions_test" -L"$build" -lsealmilter -Wl,-rpath,"$build" -lpthread; then
    mkdir -p "$tmp/versions"
    vout=$("$tmp/versions_test" "$tmp/versions" 2>&1); st=$?
    echo "$vout" | grep -E '^(ok|not ok) - '
    passed=$((passed + $(echo "$vout" | grep -c '^ok - ')))
    failed=$((failed + $(echo "$vout" | grep -c '^not ok - ')))
    if [ $st -ne 0 ] && ! echo "$vout" | grep -q '^not ok - '; then notok "versions_test exited with status $st: $vout"; fi
else
    notok "versions_test.c does not compile"
fi

# ---- Misuse: stages in random order must not crash ------------------------------
if gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -g -I"$root/include" "$here/random_calls.c" \
    -o "$tmp/random_calls" -L"$build" -lsealmilter -Wl,-rpath,"$build"; then
    for seed in 1 2; do
        out=$("$tmp/random_calls" "$here/policy-random.yaml" "$seed" 3000 2>&1); st=$?
        if [ $st -eq 0 ]; then ok "${out#ok - }"; else notok "random call orders, seed $seed: status $st: $(echo "$out" | grep -m1 -E 'Fatal|error')"; fi
    done
else
    notok "random_calls.c does not compile"
fi

# ---- The daemon: options, then a milter conversation driven by miltertest ----
daemon="$build/sealmilterd"
if [ -x "$daemon" ]; then
    v=$("$daemon" --version 2>&1)
    case $v in "sealmilter "*) ok "sealmilterd --version: $v" ;; *) notok "sealmilterd --version: $v" ;; esac
    if "$daemon" --help | grep -q -- '--test-config'; then ok "sealmilterd --help lists --test-config"; else notok "sealmilterd --help"; fi
    t=$("$daemon" -t --policy "$here/policy.yaml" 2>&1); st=$?
    if [ $st -eq 0 ] && [ "$t" = "$here/policy.yaml: OK" ]; then ok "sealmilterd -t on a valid policy: $t"
    else notok "sealmilterd -t on a valid policy: status $st: $t"; fi
    t=$("$daemon" --test-config --policy "$here/bad-policy.yaml" 2>&1); st=$?
    case "$st:$t" in "1:$here/bad-policy.yaml:2:"*) ok "sealmilterd -t on an invalid policy: status 1: $t" ;;
        *) notok "sealmilterd -t on an invalid policy: status $st: $t" ;; esac
    # Key files: refused when others can read them, at -t and at start.
    printf 'key\n' >"$tmp/gw.key"
    printf 'keys:\n  gateway: %s\n' "$tmp/gw.key" >"$tmp/keys.yaml"
    chmod 640 "$tmp/gw.key"
    t=$("$daemon" -t --policy "$tmp/keys.yaml" 2>&1); st=$?
    case "$st:$t" in "1:$tmp/keys.yaml:2:12: keys.gateway: $tmp/gw.key is open to other users than its owner (mode 0640)"*)
        ok "sealmilterd -t refuses a key file of mode 0640: $t" ;;
        *) notok "sealmilterd -t with a key file of mode 0640: status $st: $t" ;; esac
    t=$("$daemon" --foreground --policy "$tmp/keys.yaml" --socket "unix:$tmp/k.sock" 2>&1); st=$?
    if [ $st -eq 1 ] && [ ! -e "$tmp/k.sock" ] && echo "$t" | grep -q 'keys.gateway: .*mode 0640'; then
        ok "sealmilterd refuses to start with a key file of mode 0640"
    else notok "sealmilterd start with a key file of mode 0640: status $st: $t"; fi
    chmod 600 "$tmp/gw.key"
    t=$("$daemon" -t --policy "$tmp/keys.yaml" 2>&1); st=$?
    if [ $st -eq 0 ]; then ok "sealmilterd -t accepts a key file of mode 0600"; else notok "sealmilterd -t, key file 0600: status $st: $t"; fi
    if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
        t=$("$daemon" -t --user nobody --policy "$tmp/keys.yaml" 2>&1); st=$?
        if [ $st -eq 1 ] && echo "$t" | grep -q 'but the filter runs as nobody'; then
            ok "sealmilterd -t --user nobody refuses root's key file: $t"
        else notok "sealmilterd -t --user nobody, root's key file: status $st: $t"; fi
    fi
    # The spool directory is checked like the key files (issue 8): missing, or not
    # writable by the daemon's user, it is refused at -t and by check-config.
    printf 'spool:\n  directory: %s/no-such-dir\n' "$tmp" >"$tmp/spool.yaml"
    t=$("$daemon" -t --policy "$tmp/spool.yaml" 2>&1); st=$?
    case "$st:$t" in "1:$tmp/spool.yaml:2:14: spool.directory: $tmp/no-such-dir cannot be used: No such file or directory"*)
        ok "sealmilterd -t refuses a missing spool directory: $t" ;;
        *) notok "sealmilterd -t with a missing spool directory: status $st: $t" ;; esac
    if [ -x "$build/sealctl" ]; then
        t=$("$build/sealctl" check-config "$tmp/spool.yaml" 2>&1); st=$?
        if [ $st -eq 1 ] && echo "$t" | grep -q 'spool.directory: .*no-such-dir cannot be used'; then
            ok "sealctl check-config refuses a missing spool directory"
        else notok "sealctl check-config with a missing spool directory: status $st: $t"; fi
    fi
    if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
        mkdir -p "$tmp/rootonly" && chmod 700 "$tmp/rootonly"
        printf 'spool:\n  directory: %s/rootonly\n' "$tmp" >"$tmp/spool2.yaml"
        t=$("$daemon" -t --user nobody --policy "$tmp/spool2.yaml" 2>&1); st=$?
        if [ $st -eq 1 ] && echo "$t" | grep -q 'is not writable by nobody'; then
            ok "sealmilterd -t --user nobody refuses a spool directory only root can write"
        else notok "sealmilterd -t --user nobody, root-only spool directory: status $st: $t"; fi
    fi
    if [ -x "$build/sealctl" ]; then
        chmod 604 "$tmp/gw.key"
        t=$("$build/sealctl" check-config "$tmp/keys.yaml" 2>&1); st=$?
        if [ $st -eq 1 ] && echo "$t" | grep -q 'keys.gateway: .*(mode 0604)'; then ok "sealctl check-config refuses a key file of mode 0604"
        else notok "sealctl check-config, key file 0604: status $st: $t"; fi
        chmod 600 "$tmp/gw.key"
        t=$("$build/sealctl" check-config "$tmp/keys.yaml" 2>&1); st=$?
        if [ $st -eq 0 ]; then ok "sealctl check-config accepts a key file of mode 0600: $t"; else notok "sealctl check-config, key 0600: status $st: $t"; fi
        if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
            t=$("$build/sealctl" check-config --user nobody "$tmp/keys.yaml" 2>&1); st=$?
            if [ $st -eq 1 ] && echo "$t" | grep -q 'chown nobody'; then ok "sealctl check-config --user nobody: root's key file refused"
            else notok "sealctl check-config --user nobody: status $st: $t"; fi
        fi
        t=$("$build/sealctl" check-config --user no-such-user-here "$tmp/keys.yaml" 2>&1); st=$?
        if [ $st -eq 2 ]; then ok "sealctl check-config --user with an unknown user: status 2"; else notok "unknown --user: status $st: $t"; fi
    fi
    "$daemon" --no-such-option >/dev/null 2>&1; st=$?
    if [ $st -eq 2 ]; then ok "unknown option: status 2"; else notok "unknown option: status $st"; fi

    if command -v miltertest >/dev/null 2>&1; then
        sock="$tmp/milter.sock"
        # start_daemon POLICY LOG [ARGS...]: runs the daemon in the foreground on $sock.
        start_daemon() {
            pol=$1; log=$2; shift 2
            rm -f "$sock"
            "$daemon" --foreground --policy "$pol" --socket "unix:$sock" "$@" >"$log" 2>&1 &
            daemon_pid=$!
            i=0
            while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        }
        # stop_daemon SIGNAL LOG: stops it and checks the exit status.
        stop_daemon() {
            kill -"$1" "$daemon_pid"; wait "$daemon_pid" 2>/dev/null; st=$?
            daemon_pid=
            if [ $st -eq 0 ]; then ok "SIG$1: the daemon exited with status 0"; else notok "SIG$1: exit status $st"; fi
            if [ ! -e "$sock" ]; then ok "SIG$1: socket file removed"; else notok "SIG$1: socket file left"; fi
            sed 's/^/    # daemon: /' "$2"
        }
        # miltertest_run SCRIPT NAME: runs a script, counts its ok/not ok lines.
        miltertest_run() {
            # SIGPIPE ignored: a refused connection must give miltertest an error, not kill it.
            (trap '' PIPE; exec miltertest -s "$1") >"$tmp/mt.out" 2>&1; st=$?
            while IFS= read -r line; do
                case $line in "ok - "*) ok "${line#ok - }" ;; "not ok - "*) notok "${line#not ok - }" ;;
                    *) echo "    # miltertest: $line" ;; esac
            done <"$tmp/mt.out"
            if [ $st -eq 0 ]; then ok "miltertest $2 ran to its end"; else notok "miltertest $2 exited with status $st"; fi
        }
        export SOCK="unix:$sock"

        # 1. The test policy: negotiation, replies, header edits, log lines.
        start_daemon "$here/policy.yaml" "$tmp/d1.log" --pidfile "$tmp/pid"
        if [ "$(cat "$tmp/pid" 2>/dev/null)" = "$daemon_pid" ]; then ok "pidfile holds the daemon's PID"; else notok "pidfile"; fi
        miltertest_run "$here/milter.lua" milter.lua
        if grep -q 'MT4242: action=accept .*tag-invoice' "$tmp/d1.log"; then ok "daemon logged \"MT4242: action=accept ...tag-invoice\""
        else notok "daemon log has no \"MT4242: action=accept ...tag-invoice\" line"; fi
        if grep -q 'MT4242: action=reject-recipient rcpt=<secret@example.org> reply="550 5.1.1 No such user"' "$tmp/d1.log"
        then ok "daemon logged the refused recipient"; else notok "daemon log has no refused-recipient line"; fi
        if grep -q 'MT4243: action=reject .*block-evil-sender' "$tmp/d1.log"; then ok "daemon logged \"MT4243: action=reject ...\""
        else notok "daemon log has no \"MT4243: action=reject\" line"; fi
        if grep -q 'MT4244: action=reject .*reject-x-bad.*reply="554 5.7.1 Bad header"' "$tmp/d1.log"; then
            ok "daemon logged \"MT4244: action=reject ...reject-x-bad\""
        else notok "daemon log has no \"MT4244: action=reject ...reject-x-bad\" line"; fi
        stop_daemon TERM "$tmp/d1.log"
        if [ ! -e "$tmp/pid" ]; then ok "pidfile removed at exit"; else notok "pidfile left at exit"; fi

        # 2. Quarantine, body replacement, fail closed.
        start_daemon "$here/policy-actions.yaml" "$tmp/d2.log"
        miltertest_run "$here/actions.lua" actions.lua
        if grep -q 'ACT3: action=tempfail error="smfi_replacebody failed"' "$tmp/d2.log"; then
            ok "daemon logged the fail-closed tempfail"; else notok "no fail-closed tempfail line in the log"; fi
        stop_daemon INT "$tmp/d2.log"

        # 3. SIGHUP: an invalid policy is not taken; a valid one is, for new connections only.
        cp "$here/policy.yaml" "$tmp/policy.yaml"
        sed 's/value: "yes"/value: "v2"/' "$here/policy.yaml" >"$tmp/policy-v2.yaml"
        start_daemon "$tmp/policy.yaml" "$tmp/d3.log"
        cp "$here/bad-policy.yaml" "$tmp/policy.yaml"
        kill -HUP "$daemon_pid"
        i=0
        while ! grep -q 'keeping the policy' "$tmp/d3.log" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        if kill -0 "$daemon_pid" 2>/dev/null && grep -q 'keeping the policy in use' "$tmp/d3.log"; then
            ok "SIGHUP with an invalid policy: still running, old policy kept"
        else notok "SIGHUP with an invalid policy"; fi
        miltertest_run "$here/milter.lua" "milter.lua after a failed reload"
        cp "$here/policy.yaml" "$tmp/policy.yaml"
        PID=$daemon_pid POLICY="$tmp/policy.yaml" V2="$tmp/policy-v2.yaml" LOG="$tmp/d3.log" \
            miltertest_run "$here/reload.lua" reload.lua
        stop_daemon TERM "$tmp/d3.log"

        # 3b. SIGHUP after a key file became readable by others: the policy is refused.
        start_daemon "$tmp/keys.yaml" "$tmp/d3b.log"
        chmod 644 "$tmp/gw.key"
        kill -HUP "$daemon_pid"
        i=0
        while ! grep -q 'keeping the policy' "$tmp/d3b.log" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        if kill -0 "$daemon_pid" 2>/dev/null && grep -q 'policy not loaded: .*keys.gateway: .*mode 0644' "$tmp/d3b.log" &&
            grep -q 'keeping the policy in use' "$tmp/d3b.log"; then
            ok "SIGHUP with a key file of mode 0644: refused, still running"
        else notok "SIGHUP with a key file of mode 0644"; fi
        chmod 600 "$tmp/gw.key"
        stop_daemon TERM "$tmp/d3b.log"

        # 3c. Hostile policy files (issue 8): deep nesting that overflowed the stack, aliases
        # that multiply the file. sealctl check-config and -t refuse each with one error in
        # under a second; on SIGHUP the daemon logs why, keeps its policy and keeps serving.
        cp "$here/policy.yaml" "$tmp/policy.yaml"
        start_daemon "$tmp/policy.yaml" "$tmp/d3c.log"
        for h in deep-lists deep-mappings alias-text alias-rules laughs; do
            hostile_policy "$h" "$tmp/hostile.yaml"
            case $h in deep-*) why="nesting deeper than 64 levels" ;; *) why="aliases copy too much" ;; esac
            if [ -x "$build/sealctl" ]; then
                t0=$(date +%s%N)
                t=$("$build/sealctl" check-config "$tmp/hostile.yaml" 2>&1); st=$?
                ms=$(( ($(date +%s%N) - t0) / 1000000 ))
                n=$(printf '%s\n' "$t" | wc -l)
                if [ $st -eq 1 ] && [ "$n" -eq 1 ] && [ $ms -lt 1000 ] &&
                    echo "$t" | grep -Eq "^$tmp/hostile.yaml:[0-9]+:[0-9]+: YAML error: $why"; then
                    ok "sealctl check-config refuses the hostile policy $h in $ms ms: $(echo "$t" | cut -c1-150)"
                else notok "sealctl check-config, hostile policy $h: status $st, $n lines, $ms ms: $(echo "$t" | head -3 | cut -c1-300)"; fi
            fi
            t0=$(date +%s%N)
            t=$("$daemon" -t --policy "$tmp/hostile.yaml" 2>&1); st=$?
            ms=$(( ($(date +%s%N) - t0) / 1000000 ))
            if [ $st -eq 1 ] && [ $ms -lt 1000 ] && echo "$t" | grep -q "YAML error: $why"; then
                ok "sealmilterd -t refuses the hostile policy $h in $ms ms"
            else notok "sealmilterd -t, hostile policy $h: status $st, $ms ms: $(echo "$t" | head -3 | cut -c1-300)"; fi
            before=$(grep -c 'keeping the policy in use' "$tmp/d3c.log")
            cp "$tmp/hostile.yaml" "$tmp/policy.yaml"
            kill -HUP "$daemon_pid"
            i=0
            while [ "$(grep -c 'keeping the policy in use' "$tmp/d3c.log")" -le "$before" ] && kill -0 "$daemon_pid" 2>/dev/null &&
                [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
            if kill -0 "$daemon_pid" 2>/dev/null && grep -q "policy not loaded: .*YAML error: $why" "$tmp/d3c.log" &&
                [ "$(grep -c 'keeping the policy in use' "$tmp/d3c.log")" -gt "$before" ]; then
                ok "SIGHUP with the hostile policy $h: refused and logged, still running"
            else notok "SIGHUP with the hostile policy $h (daemon $(kill -0 "$daemon_pid" 2>/dev/null && echo alive || echo dead))"; fi
        done
        if kill -0 "$daemon_pid" 2>/dev/null; then
            miltertest_run "$here/milter.lua" "milter.lua after the hostile reloads"
            stop_daemon TERM "$tmp/d3c.log"
        else
            notok "the daemon died on a hostile reload"; sed 's/^/    # daemon: /' "$tmp/d3c.log" | tail -5
            daemon_pid=
        fi

        # 4. SIGTERM with a message under way: it is finished, then the daemon exits.
        start_daemon "$here/policy.yaml" "$tmp/d4.log"
        PID=$daemon_pid miltertest_run "$here/drain.lua" drain.lua
        i=0
        while kill -0 "$daemon_pid" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
        if kill -0 "$daemon_pid" 2>/dev/null; then notok "drain: the daemon did not exit within 15 s of the last connection"
        else
            wait "$daemon_pid"; st=$?
            if [ $st -eq 0 ]; then ok "drain: the daemon exited with status 0 after the connection closed"
            else notok "drain: exit status $st"; fi
        fi
        daemon_pid=
        if grep -q 'DR1: action=accept' "$tmp/d4.log"; then ok "drain: decision logged"; else notok "drain: no decision logged"; fi
        sed 's/^/    # daemon: /' "$tmp/d4.log"

        # 5. The metrics endpoint (--metrics, loopback only), fed by real decisions.
        mport=$((20000 + $$ % 20000))
        start_daemon "$here/policy.yaml" "$tmp/d5.log" --metrics "127.0.0.1:$mport"
        miltertest_run "$here/milter.lua" "milter.lua (for metrics)"
        fetch() { python3 -c 'import sys,urllib.request
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=5); print(r.status); print(r.headers.get("Content-Type")); print(r.read().decode())
except urllib.error.HTTPError as e: print(e.code)' "$1"; }
        m=$(fetch "http://127.0.0.1:$mport/metrics")
        if [ "$(echo "$m" | sed -n 1p)" = 200 ] && echo "$m" | sed -n 2p | grep -q '^text/plain; version=0.0.4'; then
            ok "metrics: GET /metrics answers 200 text/plain; version=0.0.4"; else notok "metrics: GET /metrics: $(echo "$m" | head -2)"; fi
        if echo "$m" | grep -Eq '^sealmilter_messages_total\{action="accept"\} [1-9]'; then ok "metrics: accepted messages counted"
        else notok "metrics: no sealmilter_messages_total{action=\"accept\"} sample"; fi
        if echo "$m" | grep -Eq '^sealmilter_messages_total\{action="reject"\} [1-9]'; then ok "metrics: rejected messages counted"
        else notok "metrics: no rejected messages counted"; fi
        if echo "$m" | grep -Eq '^sealmilter_rule_matches_total\{rule="tag-invoice"\} [1-9]'; then ok "metrics: rule matches by rule"
        else notok "metrics: no sealmilter_rule_matches_total{rule=\"tag-invoice\"}"; fi
        if echo "$m" | grep -Eq '^sealmilter_policy_loads_total\{result="ok"\} 1$'; then ok "metrics: one policy load"
        else notok "metrics: sealmilter_policy_loads_total{result=\"ok\"} is not 1"; fi
        if echo "$m" | grep -q '^sealmilter_message_duration_seconds_bucket'; then ok "metrics: latency histogram"
        else notok "metrics: no latency histogram"; fi
        if [ "$(fetch "http://127.0.0.1:$mport/other" | sed -n 1p)" = 404 ]; then ok "metrics: other paths are 404"
        else notok "metrics: other path not 404"; fi
        stop_daemon TERM "$tmp/d5.log"
        out=$("$daemon" --foreground --policy "$here/policy.yaml" --socket "unix:$tmp/m.sock" --metrics 0.0.0.0:9 2>&1); st=$?
        if [ $st -eq 1 ] && echo "$out" | grep -q 'not a loopback address'; then ok "metrics: a non-loopback address is refused: $out"
        else notok "metrics: non-loopback address: status $st: $out"; fi
    else
        echo "# miltertest not installed: daemon conversation not tested"
    fi
else
    notok "$daemon is missing"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
