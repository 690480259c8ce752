#!/usr/bin/env bash
#
# S3Proxy (org.gaul:s3proxy, filesystem backend) for tests and the demo: a real S3 API with SigV4
# on 127.0.0.1, no docker.
#
#   s3proxy.sh start  DIR PORT   start on 127.0.0.1:PORT with its state in DIR (see below); waits
#                                until it answers (at most $S3PROXY_START_TIMEOUT s, default 60),
#                                then prints the env lines (as "env" does). Fails if PORT is taken.
#   s3proxy.sh stop   DIR        stop it (SIGTERM, SIGKILL after 10 s); no-op when not running
#   s3proxy.sh status DIR        exit 0 when running (prints the pid), 1 when not
#   s3proxy.sh env    DIR        print S3_ENDPOINT=, S3_ACCESS_KEY=, S3_SECRET_KEY= (shell syntax)
#   s3proxy.sh bucket DIR NAME   create bucket NAME (a directory of the filesystem backend; works
#                                while running)
#   s3proxy.sh jar               fetch the jar when missing, print its path
#
# DIR holds: s3proxy.properties, s3proxy.env (credentials, mode 600), s3proxy.pid, s3proxy.log and
# data/ (one directory per bucket). The credentials are generated at the first start in DIR and
# kept across restarts (stop + start keeps data and keys). The jar,
# org.gaul:s3proxy:$S3PROXY_VERSION:jar-with-dependencies, is fetched from Maven Central with
# "mvn dependency:copy" into $TANDEM_INFRA_CACHE (default ~/.m2/tandem-infra) the first time.
#
# Example:
#   scripts/infra/s3proxy.sh start target/s3 9000 && eval "$(scripts/infra/s3proxy.sh env target/s3)"
#   scripts/infra/s3proxy.sh bucket target/s3 mail
#   ... S3 at $S3_ENDPOINT with $S3_ACCESS_KEY / $S3_SECRET_KEY ...
#   scripts/infra/s3proxy.sh stop target/s3
#
set -euo pipefail

S3PROXY_VERSION=${S3PROXY_VERSION:-4.1.0}
CACHE=${TANDEM_INFRA_CACHE:-$HOME/.m2/tandem-infra}
JAR="$CACHE/s3proxy-$S3PROXY_VERSION-jar-with-dependencies.jar"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

log() { echo "[s3proxy] $*" >&2; }
die() { log "$*"; exit 1; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2; }

fetch_jar() {
  [ -s "$JAR" ] && return 0
  mkdir -p "$CACHE"
  log "fetching org.gaul:s3proxy:$S3PROXY_VERSION:jar-with-dependencies into $CACHE"
  (cd "$CACHE" && mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
      -Dartifact="org.gaul:s3proxy:$S3PROXY_VERSION:jar:jar-with-dependencies" \
      -DoutputDirectory="$CACHE" -Dmdep.overWriteIfNewer=true >&2) \
    || die "cannot fetch org.gaul:s3proxy:$S3PROXY_VERSION (network to Maven Central, or an offline ~/.m2 without it?)"
  [ -s "$JAR" ] || die "mvn dependency:copy ran but $JAR is missing"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running_pid() {
  local dir=$1 pid
  [ -f "$dir/s3proxy.pid" ] || return 1
  pid=$(cat "$dir/s3proxy.pid")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

print_env() {
  local dir=$1
  [ -f "$dir/s3proxy.env" ] || die "no $dir/s3proxy.env: start S3Proxy in $dir first"
  cat "$dir/s3proxy.env"
}

start() {
  local dir=$1 port=$2
  [[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "port '$port' must be 1..65535"
  mkdir -p "$dir/data"
  dir=$(cd "$dir" && pwd)
  if pid=$(running_pid "$dir"); then die "already running in $dir (pid $pid)"; fi
  port_open "$port" && die "port $port on 127.0.0.1 is already in use"
  fetch_jar
  local identity secret
  if [ -f "$dir/s3proxy.env" ] && grep -q "^S3_ENDPOINT=http://127.0.0.1:$port\$" "$dir/s3proxy.env"; then
    identity=$(sed -n 's/^S3_ACCESS_KEY=//p' "$dir/s3proxy.env")
    secret=$(sed -n 's/^S3_SECRET_KEY=//p' "$dir/s3proxy.env")
  else
    identity="tandem$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
    secret=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
  fi
  (umask 077
   cat > "$dir/s3proxy.env" <<ENV
S3_ENDPOINT=http://127.0.0.1:$port
S3_ACCESS_KEY=$identity
S3_SECRET_KEY=$secret
ENV
   cat > "$dir/s3proxy.properties" <<PROPS
s3proxy.endpoint=http://127.0.0.1:$port
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$identity
s3proxy.credential=$secret
jclouds.provider=filesystem
jclouds.filesystem.basedir=$dir/data
PROPS
  )
  nohup "$JAVA" -Xmx256m -jar "$JAR" --properties "$dir/s3proxy.properties" \
      >"$dir/s3proxy.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" > "$dir/s3proxy.pid"
  local deadline=$(( $(date +%s) + ${S3PROXY_START_TIMEOUT:-60} ))
  until port_open "$port"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$dir/s3proxy.log" >&2 || true
      rm -f "$dir/s3proxy.pid"
      die "S3Proxy exited during startup (log: $dir/s3proxy.log)"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      tail -n 20 "$dir/s3proxy.log" >&2 || true
      kill -KILL "$pid" 2>/dev/null || true
      rm -f "$dir/s3proxy.pid"
      die "S3Proxy did not answer on 127.0.0.1:$port within ${S3PROXY_START_TIMEOUT:-60} s"
    fi
    sleep 0.1
  done
  log "running on http://127.0.0.1:$port (pid $pid, data $dir/data)"
  print_env "$dir"
}

stop() {
  local dir=$1 pid
  if ! pid=$(running_pid "$dir"); then
    rm -f "$dir/s3proxy.pid"
    log "not running in $dir"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$(( $(date +%s) + 10 ))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "pid $pid ignored SIGTERM for 10 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.1
  done
  rm -f "$dir/s3proxy.pid"
  log "stopped (pid $pid)"
}

cmd=${1:-}
case "$cmd" in
  start)  [ $# -eq 3 ] || usage; start "$2" "$3" ;;
  stop)   [ $# -eq 2 ] || usage; stop "$2" ;;
  status) [ $# -eq 2 ] || usage; if pid=$(running_pid "$2"); then echo "$pid"; else exit 1; fi ;;
  env)    [ $# -eq 2 ] || usage; print_env "$2" ;;
  bucket) [ $# -eq 3 ] || usage
          [[ "$3" =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] || die "'$3' is not a valid bucket name"
          mkdir -p "$2/data/$3" ;;
  jar)    [ $# -eq 1 ] || usage; fetch_jar; echo "$JAR" ;;
  *)      usage ;;
esac
