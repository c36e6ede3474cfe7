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
"$tmp/capi_test" "$here/policy.yaml" "$here/bad-policy.yaml" >"$out" 2>&1
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
    "$daemon" --no-such-option >/dev/null 2>&1; st=$?
    if [ $st -eq 2 ]; then ok "unknown option: status 2"; else notok "unknown option: status $st"; fi

    if command -v miltertest >/dev/null 2>&1; then
        sock="$tmp/milter.sock"
        "$daemon" --foreground --policy "$here/policy.yaml" --socket "unix:$sock" --pidfile "$tmp/pid" \
            >"$tmp/daemon.log" 2>&1 &
        daemon_pid=$!
        i=0
        while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        if [ "$(cat "$tmp/pid" 2>/dev/null)" = "$daemon_pid" ]; then ok "pidfile holds the daemon's PID"; else notok "pidfile"; fi
        SOCK="unix:$sock" miltertest -s "$here/milter.lua" >"$tmp/mt.out" 2>&1; st=$?
        sed 's/^/    # miltertest: /' "$tmp/mt.out"
        while IFS= read -r line; do
            case $line in "ok - "*) ok "${line#ok - }" ;; "not ok - "*) notok "${line#not ok - }" ;; esac
        done <"$tmp/mt.out"
        if [ $st -eq 0 ]; then ok "miltertest script ran to its end"; else notok "miltertest exited with status $st"; fi
        if grep -q 'MT4242: action=accept' "$tmp/daemon.log"; then ok "daemon logged \"MT4242: action=accept ...\""
        else notok "daemon log has no \"MT4242: action=accept\" line"; fi
        if grep -q 'MT4243: action=reject' "$tmp/daemon.log"; then ok "daemon logged \"MT4243: action=reject ...\""
        else notok "daemon log has no \"MT4243: action=reject\" line"; fi
        kill -TERM "$daemon_pid"; wait "$daemon_pid" 2>/dev/null; st=$?
        daemon_pid=
        if [ $st -eq 0 ]; then ok "SIGTERM: the daemon exited with status 0"; else notok "SIGTERM: exit status $st"; fi
        sed 's/^/    # daemon: /' "$tmp/daemon.log"

        # SIGHUP with a broken policy keeps the old one; with a good one reloads.
        cp "$here/policy.yaml" "$tmp/policy.yaml"
        "$daemon" -f --policy "$tmp/policy.yaml" --socket "unix:$sock" >"$tmp/daemon2.log" 2>&1 &
        daemon_pid=$!
        i=0
        while ! grep -q starting "$tmp/daemon2.log" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        cp "$here/bad-policy.yaml" "$tmp/policy.yaml"
        kill -HUP "$daemon_pid"; sleep 0.5
        if kill -0 "$daemon_pid" 2>/dev/null && grep -q 'keeping the policy in use' "$tmp/daemon2.log"; then
            ok "SIGHUP with an invalid policy: still running, old policy kept"
        else notok "SIGHUP with an invalid policy"; fi
        cp "$here/policy.yaml" "$tmp/policy.yaml"
        kill -HUP "$daemon_pid"; sleep 0.5
        if kill -0 "$daemon_pid" 2>/dev/null && grep -q 'reloaded' "$tmp/daemon2.log"; then
            ok "SIGHUP with a valid policy: reloaded"
        else notok "SIGHUP with a valid policy"; fi
        SOCK="unix:$sock" miltertest -s "$here/milter.lua" >"$tmp/mt2.out" 2>&1; st=$?
        if [ $st -eq 0 ] && ! grep -q '^not ok' "$tmp/mt2.out"; then ok "milter conversation after two SIGHUPs"
        else notok "milter conversation after two SIGHUPs (status $st)"; fi
        kill -INT "$daemon_pid"; wait "$daemon_pid" 2>/dev/null; st=$?
        daemon_pid=
        if [ $st -eq 0 ]; then ok "SIGINT: the daemon exited with status 0"; else notok "SIGINT: exit status $st"; fi
        sed 's/^/    # daemon: /' "$tmp/daemon2.log"
    else
        echo "# miltertest not installed: daemon conversation not tested"
    fi
else
    notok "$daemon is missing"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
