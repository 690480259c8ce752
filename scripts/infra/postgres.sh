#!/usr/bin/env bash
#
# A throw-away PostgreSQL server for tests and the demo (Debian's package, no systemd).
#
#   scripts/infra/postgres.sh start DIR PORT   initdb DIR if new, start on 127.0.0.1:PORT, create database
#                                              "tandem"; prints the JDBC URL. Installs the package if missing.
#   scripts/infra/postgres.sh stop DIR [MODE]  shutdown, MODE fast (default) or immediate (a crash: no
#                                              checkpoint, the next start recovers from the WAL)
#   scripts/infra/postgres.sh status DIR       exit 0 when running, else non-zero
#
# Authentication is "trust" on 127.0.0.1 only: never use this for anything but tests and demos.
#
set -euo pipefail
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '3,13p' "$0" >&2; exit 2; }

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
  *) echo "postgres.sh: unknown command '$cmd'" >&2; exit 2 ;;
esac
