#!/usr/bin/env bash
#
# HAProxy (Debian's package) in front of Tandem nodes, for tests and the demo: TCP balancing of the
# MTA (SMTP) and the Proxy (HTTP) with health checks on each node's /health/<role>.
#
#   scripts/infra/haproxy.sh start DIR CONFIG   check CONFIG, start HAProxy in the background with its pid
#                                               and log in DIR; installs the package if missing
#   scripts/infra/haproxy.sh stop DIR           stop it (no-op when not running)
#   scripts/infra/haproxy.sh bin                install if missing, print the haproxy binary
#
# A commented example configuration for a real cluster: docs/haproxy/tandem.cfg.
#
set -euo pipefail
cmd=${1:-}

binary() {
  local b
  b=$(command -v haproxy || ls /usr/sbin/haproxy 2>/dev/null || true)
  if [ -z "$b" ]; then
    echo "[haproxy] installing Debian's haproxy package" >&2
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq haproxy >/dev/null
    b=$(command -v haproxy || echo /usr/sbin/haproxy)
  fi
  [ -x "$b" ] || { echo "[haproxy] haproxy not found after installation" >&2; exit 1; }
  echo "$b"
}

case "$cmd" in
  start)
    dir=${2:?dir}; config=${3:?config}
    b=$(binary)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    "$b" -c -q -f "$config" || { echo "[haproxy] invalid configuration $config" >&2; exit 1; }
    "$b" -f "$config" -D -p "$dir/haproxy.pid" >"$dir/haproxy.log" 2>&1
    for _ in $(seq 1 50); do
      [ -s "$dir/haproxy.pid" ] && kill -0 "$(head -n 1 "$dir/haproxy.pid")" 2>/dev/null && exit 0
      sleep 0.1 # polling interval of a bounded wait (5 s)
    done
    echo "[haproxy] did not start; see $dir/haproxy.log" >&2; exit 1
    ;;
  stop)
    dir=${2:?dir}
    if [ -s "$dir/haproxy.pid" ]; then
      while read -r pid; do kill "$pid" 2>/dev/null || true; done < "$dir/haproxy.pid"
      rm -f "$dir/haproxy.pid"
    fi
    ;;
  bin) binary ;;
  *) sed -n '3,12p' "$0" >&2; exit 2 ;;
esac
