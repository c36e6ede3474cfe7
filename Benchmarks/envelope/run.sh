#!/bin/sh
# Benchmarks/envelope/run.sh [ROUNDS] — what envelopes cost (docs/benchmarks.md,
# "Envelopes"). Not a test. Builds envelope-bench in release, then, ROUNDS times
# (default 3), interleaved:
#   - the encryption step alone (64 KiB chunks, AES-256-GCM with its AAD and tag per
#     chunk) over 5 MB, bytes/s, next to `openssl speed -evp aes-256-gcm -bytes 65536`
#     (the same block size, the same machine, in the same round);
#   - the whole page (chunks, base64 lines, one recipient wrap at 600000 PBKDF2
#     rounds, recovery wrap) for 50 KB and 5 MB;
#   - envelopes built per second through the engine (a session per message, the
#     encrypt action, dry run) for 50 KB and 5 MB messages, at 600000 iterations.
set -eu
cd "$(dirname "$0")/../.."
rounds=${1:-3}
swift build -c release --product envelope-bench >/dev/null
bench=.build/release/envelope-bench
echo "# $(uname -m), $(nproc) cores, $(openssl version)"
i=1
while [ "$i" -le "$rounds" ]; do
    echo "## round $i"
    $bench seal 5000000 3
    openssl speed -evp aes-256-gcm -bytes 65536 -seconds 3 2>/dev/null | awk '/^AES-256-GCM|^aes-256-gcm/ { v=$NF; sub(/k$/, "", v); printf "openssl-speed aes-256-gcm 65536-byte blocks bytes_per_second %.0f\n", v * 1000 }'
    $bench write 50000 3
    $bench write 5000000 5
    $bench engine 50000 5 600000
    $bench engine 5000000 8 600000
    i=$((i + 1))
done
