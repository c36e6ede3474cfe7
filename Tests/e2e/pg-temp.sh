#!/usr/bin/env bash
# Tests/e2e/pg-temp.sh start DIR | stop DIR — a throw-away PostgreSQL server for
# the rights registry's tests: Debian's postgresql, initdb into DIR/data as the
# unprivileged `postgres` user (when run as root), listening on a free loopback
# port with its own socket directory; `start` prints the connection URI (also in
# DIR/uri); `stop` stops it and removes DIR.
set -euo pipefail
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$PGBIN/initdb" ] || { echo "pg-temp: PostgreSQL server binaries not found (Debian package postgresql)" >&2; exit 1; }
cmd=${1:?start|stop}; dir=${2:?DIR}
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
start)
  mkdir -p "$dir"; chmod 755 "$dir"
  install -d -m 700 "$dir/data"; install -d -m 755 "$dir/sock"
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir/data" "$dir/sock"; touch "$dir/log"; chown postgres "$dir/log"; fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  as_pg "$PGBIN/initdb" -D "$dir/data" -A trust -U sealmilter -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
    -o "-p $port -k $dir/sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200" start >/dev/null \
    || { cat "$dir/log" >&2; exit 1; }
  as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U sealmilter sealmilter
  echo "postgresql://sealmilter@127.0.0.1:$port/sealmilter" | tee "$dir/uri"
  ;;
stop)
  [ -d "$dir/data" ] && as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
