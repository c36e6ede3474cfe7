#!/usr/bin/env bash
# Benchmarks/postfix/run.sh DAEMON [ROUNDS] — Postfix throughput with and without
# Sealmilter (not a test: it reports numbers, see docs/e2e.md "Postfix throughput").
#
# A private Postfix (Tests/e2e/postfix-harness.sh) relays to smtp-sink (no dumps);
# smtp-source injects messages of BENCH_SIZE body bytes (default 4096) on
# 127.0.0.1:10025. Configurations, run round-robin so that drift hits all alike:
#   postfix   no milter
#   unix      smtpd_milters = unix:<dir>/run/bench.sock   (sealmilterd --socket unix:...)
#   inet      smtpd_milters = inet:127.0.0.1:$BENCH_INET_PORT (sealmilterd --socket inet:PORT@127.0.0.1)
#   null-unix, null-inet   the do-nothing nullmilter.c on both socket kinds (BENCH_NULL=0: left out)
#   unix-macros  sealmilterd on a unix socket with "milter: {macros: all}" (the client,
#             AUTH and TLS macros asked for too; BENCH_MACROS=0: left out)
# each with 1 and 8 parallel sessions. Policy: Benchmarks/postfix/passthrough.yaml
# (rules: [], flag_unscannable default true). Prints a markdown table of medians
# (msg/s) and ratios to Postfix alone; raw figures go to $BENCH_OUT (default
# ./postfix-bench.csv).
#
# Environment: BENCH_MSGS_8 (default 3000), BENCH_MSGS_1 (default 1000), BENCH_SIZE
# (4096), BENCH_INET_PORT (default: a free port from 10128), BENCH_REUSE=1 to send all messages of a session
# over one SMTP connection (smtp-source -d) instead of one connection per message.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DAEMON=${1:?usage: run.sh DAEMON [ROUNDS]}
ROUNDS=${2:-5}
M8=${BENCH_MSGS_8:-3000}
M1=${BENCH_MSGS_1:-1000}
SIZE=${BENCH_SIZE:-4096}
IPORT=${BENCH_INET_PORT:-}
OUT=${BENCH_OUT:-$PWD/postfix-bench.csv}
REUSE=(); [ -n "${BENCH_REUSE:-}" ] && REUSE=(-d)

. "$ROOT/Tests/e2e/postfix-harness.sh"

PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
    sleep 0.3
    for p in "${PIDS[@]}"; do [ -n "$p" ] && { kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; }; done
    pfh_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pfh_init || exit 1
# The daemon's inet port: given, or the first free one above the harness's own
# (its submission listener takes the first free port from 10027).
if [ -z "$IPORT" ]; then
    for p in $(seq 10128 10228); do pfh_port_busy "$p" || pfh_port_busy "$((p + 1))" || { IPORT=$p; break; }; done
    [ -n "$IPORT" ] || { echo "no free port for the daemon" >&2; exit 1; }
fi
W=$PFH_DIR
# A benchmark, not a test: keep the log quiet and let smtpd take many sessions.
pfh_postconf "smtpd_tls_loglevel = 0" "milter_command_timeout = 30s"
pfh_start nodump || exit 1

POLICY=$W/passthrough.yaml
cp "$HERE/passthrough.yaml" "$POLICY"; chmod 644 "$POLICY"
SOCK=$W/run/bench.sock

start() {  # start SPEC LOG
    ( exec "$DAEMON" --socket "$1" --policy "$POLICY" --foreground --user postfix ) >"$2" 2>&1 &
    PIDS+=($!)
}
start "unix:$SOCK" "$W/log/daemon-unix.log"
start "inet:$IPORT@127.0.0.1" "$W/log/daemon-inet.log"
CONFIGS="postfix unix inet"
# PIDS: 0 unix, 1 inet, 2 null-unix, 3 null-inet, 4 unix-macros ("" when left out).
NSOCK=$W/run/null.sock; NPORT=$((IPORT + 1))
if [ "${BENCH_NULL:-1}" != 0 ]; then
    # Baseline: a milter that does nothing (nullmilter.c), on both socket kinds.
    if cc -O2 -o "$W/nullmilter" "$HERE/nullmilter.c" /usr/lib/x86_64-linux-gnu/libmilter.a -Wl,--wrap=accept -Wl,--wrap=read -lpthread 2>"$W/log/nullmilter-cc.log"; then
        "$W/nullmilter" "unix:$NSOCK" >"$W/log/null-unix.log" 2>&1 & PIDS+=($!)
        "$W/nullmilter" "inet:$NPORT@127.0.0.1" >"$W/log/null-inet.log" 2>&1 & PIDS+=($!)
        CONFIGS="postfix null-unix null-inet unix inet"
    else
        echo "# nullmilter does not build (libmilter-dev?): $(head -1 "$W/log/nullmilter-cc.log"); no baseline" >&2
        PIDS+=("" "")
    fi
else
    PIDS+=("" "")
fi
MSOCK=$W/run/macros.sock
if [ "${BENCH_MACROS:-1}" != 0 ]; then
    { cat "$POLICY"; echo "milter: {macros: all}"; } > "$W/passthrough-macros.yaml"; chmod 644 "$W/passthrough-macros.yaml"
    ( exec "$DAEMON" --socket "unix:$MSOCK" --policy "$W/passthrough-macros.yaml" --foreground --user postfix ) >"$W/log/daemon-unix-macros.log" 2>&1 &
    PIDS+=($!)
    CONFIGS="$CONFIGS unix-macros"
fi
for i in $(seq 1 300); do
    [ -S "$SOCK" ] && pfh_port_busy "$IPORT" && { [ "${BENCH_MACROS:-1}" = 0 ] || [ -S "$MSOCK" ]; } && break
    sleep 0.1
done
if ! [ -S "$SOCK" ] || ! pfh_port_busy "$IPORT"; then
    echo "daemon did not come up on unix:$SOCK and inet:$IPORT@127.0.0.1" >&2
    tail -5 "$W"/log/daemon-*.log >&2; exit 1
fi

queue_empty() { [ -z "$(find "$W/queue/incoming" "$W/queue/active" "$W/queue/deferred" -type f -print -quit 2>/dev/null)" ]; }
drain() {
    local i
    for i in $(seq 1 600); do queue_empty && return 0; sleep 0.1; done
    echo "# queue not drained after 60 s" >&2
}

spec_of() {
    case $1 in
        postfix) echo none ;;
        unix) echo "unix:$SOCK" ;;
        inet) echo "inet:127.0.0.1:$IPORT" ;;
        null-unix) echo "unix:$NSOCK" ;;
        null-inet) echo "inet:127.0.0.1:$NPORT" ;;
        unix-macros) echo "unix:$MSOCK" ;;
    esac
}

TCK=$(getconf CLK_TCK)
# CPU time (user+system, in ms) the daemon serving configuration $1 has used so far.
daemon_cpu_ms() {
    local pid
    case $1 in
        unix) pid=${PIDS[0]} ;; inet) pid=${PIDS[1]} ;;
        null-unix) pid=${PIDS[2]} ;; null-inet) pid=${PIDS[3]} ;;
        unix-macros) pid=${PIDS[4]} ;;
        *) echo 0; return ;;
    esac
    awk -v t="$TCK" '{ sub(/^.*\) /, ""); print ($12 + $13) * 1000 / t }' "/proc/$pid/stat"
}

echo "config,sessions,round,messages,seconds,msg_per_s,failed_replies,daemon_cpu_ms" > "$OUT"
echo "# Postfix $(postconf -dh mail_version), $(nproc) CPUs, body $SIZE bytes, rounds $ROUNDS, daemon $DAEMON" >&2
for round in $(seq 1 "$ROUNDS"); do
    for s in 1 8; do
        for cfg in $CONFIGS; do
            m=$M8; [ "$s" = 1 ] && m=$M1
            pfh_milter "$(spec_of $cfg)"
            drain; sleep 0.5
            before=$(grep -c 'milter-reject\|reject:' "$W/log/maillog" 2>/dev/null)
            c0=$(daemon_cpu_ms $cfg)
            t0=$(date +%s.%N)
            smtp-source "${REUSE[@]}" -s "$s" -l "$SIZE" -m "$m" -f bench@ext.test -t sink@int.test \
                -M client.bench.test "127.0.0.1:$PFH_SMTP_PORT" >"$W/log/source.log" 2>&1
            rc=$?
            t1=$(date +%s.%N)
            c1=$(daemon_cpu_ms $cfg)
            after=$(grep -c 'milter-reject\|reject:' "$W/log/maillog" 2>/dev/null)
            secs=$(echo "$t1 - $t0" | bc -l)
            rate=$(echo "$m / $secs" | bc -l)
            bad=$((after - before)); [ "$rc" != 0 ] && bad="exit$rc"
            cpu=$(echo "$c1 - $c0" | bc -l)
            printf '%s,%s,%s,%s,%.3f,%.1f,%s,%.0f\n' "$cfg" "$s" "$round" "$m" "$secs" "$rate" "$bad" "$cpu" >> "$OUT"
            printf '# round %s sessions %s %-9s %6.1f msg/s (%s msgs in %.2f s)%s\n' "$round" "$s" "$cfg" "$rate" "$m" "$secs" \
                "$([ "$bad" != 0 ] && echo " — failures: $bad; $(tail -1 "$W/log/source.log")")" >&2
        done
    done
done
drain
# The milter path really was taken: each daemon logged one decision per message.
for k in unix inet $(case $CONFIGS in *unix-macros*) echo unix-macros ;; esac); do
    echo "# sealmilterd ($k) logged $(grep -c ': action=' "$W/log/daemon-$k.log") decisions; expected $((ROUNDS * (M1 + M8)))" >&2
done
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "# load average at the end: $load" >&2

python3 - "$OUT" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
cfgs = [c for c in ("postfix", "null-unix", "null-inet", "unix", "inet", "unix-macros") if any(r["config"] == c for r in rows)]
med = {}
for cfg in cfgs:
    for s in ("1", "8"):
        v = [float(r["msg_per_s"]) for r in rows if r["config"] == cfg and r["sessions"] == s]
        med[cfg, s] = (statistics.median(v), min(v), max(v), len(v))
def f(x): return f"{x[0]:.0f} ({x[1]:.0f}–{x[2]:.0f})"
print("| sessions | Postfix alone (msg/s) | Sealmilter unix (msg/s) | ratio | Sealmilter inet (msg/s) | ratio | inet/unix |")
print("|---:|---:|---:|---:|---:|---:|---:|")
for s in ("1", "8"):
    p, u, i = med["postfix", s], med["unix", s], med["inet", s]
    print(f"| {s} | {f(p)} | {f(u)} | {u[0]/p[0]:.0%} | {f(i)} | {i[0]/p[0]:.0%} | {i[0]/u[0]:.0%} |")
n = med["postfix", "1"][3]
print(f"\nMedians of {n} interleaved rounds (min–max in brackets).")
if "null-unix" in cfgs:
    print("\nBaseline, a milter that does nothing (Benchmarks/postfix/nullmilter.c), same stages:\n")
    print("| sessions | null milter unix (msg/s) | ratio to Postfix | null milter inet (msg/s) | ratio to Postfix | Sealmilter unix / null unix | Sealmilter inet / null inet |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for s in ("1", "8"):
        p, nu, ni, u, i = med["postfix", s], med["null-unix", s], med["null-inet", s], med["unix", s], med["inet", s]
        print(f"| {s} | {f(nu)} | {nu[0]/p[0]:.0%} | {f(ni)} | {ni[0]/p[0]:.0%} | {u[0]/nu[0]:.0%} | {i[0]/ni[0]:.0%} |")
if "unix-macros" in cfgs:
    print("\nThe cost of macros: Sealmilter on a unix socket asking only for the queue ID (the default)")
    print("and with `milter: {macros: all}` (client, AUTH and TLS macros too):\n")
    print("| sessions | unix, macros: needed (msg/s) | ratio to Postfix | unix, macros: all (msg/s) | ratio to Postfix | all / needed |")
    print("|---:|---:|---:|---:|---:|---:|")
    for s in ("1", "8"):
        p, u, a = med["postfix", s], med["unix", s], med["unix-macros", s]
        print(f"| {s} | {f(u)} | {u[0]/p[0]:.0%} | {f(a)} | {a[0]/p[0]:.0%} | {a[0]/u[0]:.0%} |")
cpu = {}
for cfg in cfgs:
    for s in ("1", "8"):
        v = [float(r["daemon_cpu_ms"]) * 1000 / float(r["messages"]) for r in rows if r["config"] == cfg and r["sessions"] == s]
        cpu[cfg, s] = statistics.median(v) if v else 0
print("\nCPU time (user+system) of the milter process per message, medians:\n")
hdr = [c for c in cfgs if c != "postfix"]
print("| sessions | " + " | ".join(f"{c} (µs)" for c in hdr) + " |")
print("|---:|" + "---:|" * len(hdr))
for s in ("1", "8"):
    print(f"| {s} | " + " | ".join(f"{cpu[c, s]:.0f}" for c in hdr) + " |")
bad = [r for r in rows if r["failed_replies"] != "0"]
if bad:
    print(f"\nWARNING: {len(bad)} runs saw rejected messages or smtp-source errors: " + ", ".join(f"{r['config']}/{r['sessions']}/r{r['round']}={r['failed_replies']}" for r in bad))
t8u, t8i = med["unix", "8"][0] / med["postfix", "8"][0], med["inet", "8"][0] / med["postfix", "8"][0]
t1 = med["inet", "1"][0] / med["unix", "1"][0]
print(f"\nTargets: 8 sessions ≥90% of Postfix: unix {'met' if t8u >= 0.9 else 'NOT met'} ({t8u:.0%}), "
      f"inet {'met' if t8i >= 0.9 else 'NOT met'} ({t8i:.0%}); 1 session inet within 10% of unix: "
      f"{'met' if abs(1 - t1) <= 0.10 else 'NOT met'} ({t1:.0%}).")
EOF
