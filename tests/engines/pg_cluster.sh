#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests/cli/sql_engines.rs: no TCP, a Unix socket in DIR,
# trust authentication, owned by the `postgres` user when run as root (the server refuses root).
#
#   pg_cluster.sh start DIR [BINDIR]   initdb DIR/data, start it, socket in DIR; prints DIR
#   pg_cluster.sh stop DIR [BINDIR]    stop it (DIR may then be removed)
#
# BINDIR: where initdb and pg_ctl are (default: $LEADSCORE_PG_BIN, else the newest
# /usr/lib/postgresql/*/bin, else the PATH).
set -euo pipefail
action=$1 dir=$2
bin=${3:-${LEADSCORE_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}}
pg() { # runs a PostgreSQL program as the cluster's owner
  local prog=$1; shift
  local path=${bin:+$bin/}$prog
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$path" "$@"; else "$path" "$@"; fi
}
case $action in
start)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  pg initdb -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  pg pg_ctl -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off" start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
  echo "$dir"
  ;;
stop)
  pg pg_ctl -D "$dir/data" -m fast -w stop >/dev/null
  ;;
*) echo "usage: $0 start|stop DIR [BINDIR]" >&2; exit 2 ;;
esac
