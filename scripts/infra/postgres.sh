#!/usr/bin/env bash
#
# A throw-away PostgreSQL server for tests and the demo (Debian's package, no systemd).
#
#   scripts/infra/postgres.sh start DIR PORT   initdb DIR if new, start on 127.0.0.1:PORT, create database
#                                              "tandem"; prints the JDBC URL. Installs the package if missing.
#   scripts/infra/postgres.sh stop DIR [MODE]  shutdown, MODE fast (default) or immediate (a crash: no
#                                              checkpoint, the next start recovers from the WAL)
#   scripts/infra/postgres.sh status DIR       exit 0 when running, else non-zero
#   scripts/infra/postgres.sh standby DIR PORT PRIMARY_PORT
#                                              a streaming standby of the server on PRIMARY_PORT (a base backup
#                                              into DIR, asynchronous until "sync on"), started on PORT
#   scripts/infra/postgres.sh promote DIR      the standby in DIR becomes a primary (pg_ctl promote)
#   scripts/infra/postgres.sh sync DIR PORT on|off
#                                              on: every standby of the primary in DIR is synchronous (commit
#                                              waits for one: synchronous_standby_names = '*'); off: none
#
# Authentication is "trust" on 127.0.0.1 only: never use this for anything but tests and demos.
#
set -euo pipefail
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '3,20p' "$0" >&2; exit 2; }

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$d" ]; then
    echo "[postgres] installing Debian's postgresql package" >&2
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
    d=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "$d"
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    port=${3:?port}
    bin=$(bindir)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_pg "$bin/initdb" -D "$dir" --auth=trust --username=postgres -E UTF8 >/dev/null
    fi
    as_pg "$bin/pg_ctl" -D "$dir" -w -t 60 -l "$dir/server.log" \
      -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c fsync=off" start >/dev/null
    as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='tandem'" | grep -q 1 \
      || as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE DATABASE tandem"
    echo "jdbc:postgresql://127.0.0.1:$port/tandem?user=postgres"
    ;;
  stop)
    mode=${3:-fast}
    case "$mode" in fast|immediate) ;; *) echo "postgres.sh: stop mode '$mode' must be fast or immediate" >&2; exit 2 ;; esac
    bin=$(bindir)
    [ -f "$dir/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$dir" -m "$mode" -w stop >/dev/null || true
    ;;
  status)
    bin=$(bindir)
    as_pg "$bin/pg_ctl" -D "$dir" status >/dev/null
    ;;
  standby)
    port=${3:?port}; primary=${4:?primary port}
    bin=$(bindir)
    [ ! -e "$dir" ] || [ -z "$(ls -A "$dir")" ] || { echo "postgres.sh: $dir is not empty: a standby starts from a base backup" >&2; exit 2; }
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    chmod 700 "$dir"
    # -R: standby.signal and primary_conninfo (initdb's trust rules allow replication from 127.0.0.1)
    as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$primary" -U postgres -D "$dir" -R -X stream -c fast >/dev/null
    as_pg "$bin/pg_ctl" -D "$dir" -w -t 60 -l "$dir/server.log" \
      -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c fsync=off" start >/dev/null
    echo "jdbc:postgresql://127.0.0.1:$port/tandem?user=postgres"
    ;;
  promote)
    bin=$(bindir)
    as_pg "$bin/pg_ctl" -D "$dir" -w -t 60 promote >/dev/null
    ;;
  sync)
    port=${3:?port}; mode=${4:?on or off}
    case "$mode" in on) names="*" ;; off) names="" ;; *) echo "postgres.sh: sync '$mode' must be on or off" >&2; exit 2 ;; esac
    bin=$(bindir)
    as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "ALTER SYSTEM SET synchronous_standby_names = '$names'"
    as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qtAc "SELECT pg_reload_conf()" >/dev/null
    ;;
  *) echo "postgres.sh: unknown command '$cmd'" >&2; exit 2 ;;
esac
