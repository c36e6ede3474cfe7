#!/usr/bin/env bash
# Benchmarks/rights/run.sh — the cost per outbound message of the Do Not Forward
# registry check with MESSAGES (1,000,000) protected messages registered, on SQLite
# and on a PostgreSQL server started here (Tests/e2e/pg-temp.sh), next to the same
# message with no rights rules. Not a test. Results go to stdout; docs/benchmarks.md
# has the numbers measured.
#   MESSAGES=1000000 SAMPLE=16 ITERATIONS=2000 Benchmarks/rights/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
MESSAGES=${MESSAGES:-1000000}; SAMPLE=${SAMPLE:-16}; ITERATIONS=${ITERATIONS:-2000}
command -v sqlite3 psql >/dev/null || { echo "needs sqlite3 and psql (Debian sqlite3, postgresql-client)" >&2; exit 1; }
swift build -c release --product rightsbench >/dev/null
BIN=$(swift build -c release --show-bin-path)/rightsbench
W=$(mktemp -d /tmp/sealmilter-rightsbench.XXXXXX); chmod 755 "$W"
trap 'Tests/e2e/pg-temp.sh stop "$W/pg" >/dev/null 2>&1 || true; rm -rf "$W"' EXIT
echo "## $(date -u +%FT%TZ) $(uname -m), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); messages=$MESSAGES sample=$SAMPLE iterations=$ITERATIONS"
# measure REGISTRY: empty (creates the schema), filled by fill.sh, then measured full.
measure() {
    "$BIN" --registry "$1" --messages 0 --iterations 200
    Benchmarks/rights/fill.sh "$1" "$MESSAGES" "$SAMPLE"
    "$BIN" --registry "$1" --messages "$MESSAGES" --sample "$SAMPLE" --iterations "$ITERATIONS"
}
echo "### SQLite"
measure "sqlite:$W/rights.db"
du -sh "$W/rights.db" | sed 's/^/registry file: /'
echo "### PostgreSQL $(ls -d /usr/lib/postgresql/*/ | sort -V | tail -1 | xargs basename) (loopback TCP)"
URI=$(Tests/e2e/pg-temp.sh start "$W/pg")
measure "$URI"
