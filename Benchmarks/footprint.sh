#!/usr/bin/env bash
# footprint.sh — the daemon's start-up time and resident memory: after start,
# and after 1000 messages (miltertest, one connection per message). For the
# figures in docs/install.md (a benchmark, not a test).
#
#   Benchmarks/footprint.sh DAEMON [POLICY] [COUNT]
# DAEMON: a sealmilterd (e.g. .build/release/sealmilterd, or /usr/sbin/sealmilter);
# POLICY: default packaging/sealmilter.yaml; COUNT: default 1000.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
daemon=$1; policy=${2:-$ROOT/packaging/sealmilter.yaml}; count=${3:-1000}
command -v miltertest >/dev/null || { echo "footprint: miltertest not found (Debian package miltertest)" >&2; exit 1; }
tmp=$(mktemp -d); pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
sock=$tmp/fp.sock
t0=$(date +%s.%N)
"$daemon" --foreground --socket "unix:$sock" --policy "$policy" >"$tmp/log" 2>&1 &
pid=$!
while [ ! -S "$sock" ]; do
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/log" >&2; exit 1; }
    sleep 0.005
done
t1=$(date +%s.%N)
rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
rss_start=$(rss)
t2=$(date +%s.%N)
SOCK=$sock COUNT=$count miltertest -s "$ROOT/Benchmarks/footprint.lua" >/dev/null
t3=$(date +%s.%N)
rss_after=$(rss)
decided=$(grep -c 'action=' "$tmp/log" || true)
python3 - "$t0" "$t1" "$t2" "$t3" "$rss_start" "$rss_after" "$count" "$decided" <<'PY'
import sys
t0, t1, t2, t3 = map(float, sys.argv[1:5]); rs, ra, n, d = map(int, sys.argv[5:9])
print(f"start-up {1000 * (t1 - t0):.0f} ms; RSS after start {rs / 1024:.1f} MiB; "
      f"after {n} messages {ra / 1024:.1f} MiB ({d} decisions logged, {n / (t3 - t2):.0f} msg/s)")
PY
