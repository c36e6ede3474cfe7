# Benchmarks/smime/interleave.sh — what run.sh (outbound) and inbound.sh share:
# three ways of doing the same S/MIME work measured round by round, interleaved, so
# that a busy moment of the machine falls on all of them alike, and their medians.
# Sourced; the caller defines, for each MODE it measures,
#   engine_rate MODE SIZE N    smimebench on the SIZE-byte message, N iterations
#   direct_rate MODE SIZE N    cms-direct(-in) on the same entity, N iterations
#   command_rate MODE SIZE N   the `openssl cms` command, N times (see timed)
# each printing messages per second, and optionally before_modes SIZE N (run first
# for each size in each round).

# The message sizes, and how many messages a measurement takes at each.
SIZES="50000 5000000"
iterations() { if [ "$1" = 50000 ]; then echo 300; else echo 8; fi; }
size_label() { if [ "$1" = 50000 ]; then echo 50KB; else echo 5MB; fi; }

# rate — the per_second=RATE figure of smimebench's or cms-direct's output line.
rate() { sed -n 's/.*per_second=\([0-9.]*\).*/\1/p'; }

# timed N COMMAND... — runs COMMAND N times; prints how many ran a second.
timed() {
    local n=$1 i t0 t1; shift
    t0=$(date +%s.%N)
    for i in $(seq "$n"); do "$@"; done
    t1=$(date +%s.%N)
    python3 -c "print('%.2f' % ($n / ($t1 - $t0)))"
}

# R[SIZE.MODE.engine|direct|command] — the rates of each round, space-separated.
declare -A R

# interleave ROUNDS MODE... — ROUNDS rounds; in each, for each size, before_modes
# (when defined), then for each MODE the engine, direct and command rates (the
# command with a quarter of the iterations, one process a message being slow).
interleave() {
    local rounds=$1 round size n mode; shift
    for round in $(seq "$rounds"); do
        for size in $SIZES; do
            n=$(iterations "$size")
            if declare -F before_modes >/dev/null; then before_modes "$size" "$n"; fi
            for mode in "$@"; do
                R[$size.$mode.engine]+=" $(engine_rate "$mode" "$size" "$n")"
                R[$size.$mode.direct]+=" $(direct_rate "$mode" "$size" "$n")"
                R[$size.$mode.command]+=" $(command_rate "$mode" "$size" $((n / 4 + 1)))"
            done
        done
    done
}

# median — the median of the numbers on standard input (space- or line-separated).
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# rates_head WIDTH — the table's head line (mode column WIDTH wide).
rates_head() { printf "%-8s %-${1}s %12s %12s %12s %14s\n" size mode engine/s direct/s command/s direct/engine; }

# rates_row WIDTH SIZE MODE — the table row of MODE at SIZE (mode column WIDTH wide):
# the median engine, direct and command rates and direct/engine.
rates_row() {
    local w=$1 size=$2 mode=$3 e d c
    e=$(median <<<"${R[$size.$mode.engine]}"); d=$(median <<<"${R[$size.$mode.direct]}"); c=$(median <<<"${R[$size.$mode.command]}")
    printf "%-8s %-${w}s %12s %12s %12s %14s\n" "$(size_label "$size")" "$mode" "$e" "$d" "$c" \
        "$(python3 -c "print('%.2fx' % ($d / $e))")"
}
