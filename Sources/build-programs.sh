#!/usr/bin/env bash
# build-programs.sh — builds the C programs of Sealmilter, the daemon
# (sealmilterd) and sealctl, as hosts of libsealmilter.so: each is compiled
# against include/sealmilter.h and linked with the library, like any C program
# that uses it. Run after `swift build` has made the library.
#
#   Sources/build-programs.sh BUILD_DIR [--rpath DIR | --no-rpath] [CC_FLAG...]
#
# BUILD_DIR holds libsealmilter.so (e.g. .build/debug); the programs are written
# there. By default they find the library through an RPATH of $ORIGIN (the build
# directory); packages use --no-rpath (the library is installed in the system's
# library directory). Extra flags go to the compiler and linker (hardening).
# libmilter is linked statically so that its accept/read/close/sigwait calls can
# be wrapped (Sources/sealmilter/wrap.c): TCP_NODELAY/TCP_QUICKACK on milter
# sockets, and SIGHUP kept for policy reloads.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
[ $# -ge 1 ] || { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
build=$(cd "$1" && pwd); shift
rpath=(-Wl,-rpath,'$ORIGIN')
if [ "${1:-}" = --no-rpath ]; then rpath=(); shift
elif [ "${1:-}" = --rpath ]; then rpath=(-Wl,-rpath,"$2"); shift 2; fi
[ -f "$build/libsealmilter.so" ] || { echo "build-programs: $build/libsealmilter.so not found (run swift build first)" >&2; exit 1; }
ls /usr/lib/*/libmilter.a >/dev/null 2>&1 \
    || { echo "build-programs: libmilter.a not found (Debian package libmilter-dev)" >&2; exit 1; }
cc=${CC:-cc}
common=(-std=gnu11 -D_GNU_SOURCE -Wall -Wextra -O2 -g -I"$root/include" "$@")
"$cc" "${common[@]}" "$here/sealmilter/main.c" "$here/sealmilter/metrics.c" "$here/sealmilter/wrap.c" \
    -o "$build/sealmilterd.tmp" -L"$build" -lsealmilter "${rpath[@]}" \
    -Wl,--wrap=accept -Wl,--wrap=read -Wl,--wrap=close -Wl,--wrap=sigwait -l:libmilter.a -lpthread
mv -f "$build/sealmilterd.tmp" "$build/sealmilterd"
"$cc" "${common[@]}" "$here/sealctl/main.c" -o "$build/sealctl.tmp" -L"$build" -lsealmilter "${rpath[@]}"
mv -f "$build/sealctl.tmp" "$build/sealctl"
