#!/usr/bin/env bash
#
# A single-node Apache Kafka (KRaft: broker and controller in one JVM, no ZooKeeper) for tests and
# the demo, on 127.0.0.1, no docker.
#
#   kafka.sh start  DIR PORT [CONTROLLER_PORT]
#                          start on 127.0.0.1:PORT (listener PLAINTEXT) with its controller on
#                          127.0.0.1:CONTROLLER_PORT and its state in DIR (see below). Formats the
#                          storage at the first start in DIR; a restart keeps the data. Without
#                          CONTROLLER_PORT: the one of the previous start in DIR, else a free one.
#                          Waits until the broker answers a metadata request (at most
#                          $KAFKA_START_TIMEOUT s, default 90), then prints the env line (as "env"
#                          does). Fails if a port is taken or the broker does not come up.
#   kafka.sh stop   DIR    stop it (SIGTERM, SIGKILL after $KAFKA_STOP_TIMEOUT s, default 20);
#                          no-op when not running
#   kafka.sh status DIR    exit 0 when running (prints the pid), 1 when not
#   kafka.sh env    DIR    print KAFKA_BROKERS=127.0.0.1:PORT (shell syntax)
#   kafka.sh lib           fetch the broker's jars when missing, print their directory
#
# DIR holds: server.properties, log4j.properties, kafka.env, cluster.id, kafka.pid, kafka.log and
# data/ (the log directory, also the KRaft metadata log). Topics are never created implicitly
# (auto.create.topics.enable=false); internal topics have replication factor 1.
#
# Several nodes form one cluster (each broker and controller, one DIR and port pair each) when
# every node is started with the same DIR/cluster.id (write it before the first start) and:
#   KAFKA_NODE_ID=N            this node's id (default 1)
#   KAFKA_QUORUM_VOTERS=...    the controller quorum, 1@127.0.0.1:CPORT1,2@127.0.0.1:CPORT2,...
#                              (default: this node alone)
#   KAFKA_INTERNAL_RF=R        replication factor of __consumer_offsets and __transaction_state
#                              (default 1; Kafka creates them only once R brokers are live)
# Start the nodes of a new cluster concurrently: each start waits until its broker answers, which
# needs a majority of the voters. (bundles/api/src/test/.../KafkaClusterFixture.java does this.)
#
# The jars (org.apache.kafka:kafka_2.13 and kafka-tools $KAFKA_VERSION, default 3.9.2, with their
# runtime dependencies, ~100 jars / 55 MB) are fetched from Maven Central the first time with
# "mvn dependency:copy-dependencies" on scripts/infra/kafka/pom.xml into
# $TANDEM_INFRA_CACHE/kafka-$KAFKA_VERSION/lib (default cache ~/.m2/tandem-infra). Maven reads
# MAVEN_OPTS as usual; $TANDEM_MAVEN_REPO_LOCAL, when set, is passed as -Dmaven.repo.local.
# The JVM runs with $KAFKA_HEAP_OPTS (default -Xms32m -Xmx256m) and $KAFKA_JVM_PERFORMANCE_OPTS
# (default -XX:+UseSerialGC): ready in ~4 s, ~280 MB RSS idle on a 2-core machine.
#
# Example:
#   scripts/infra/kafka.sh start target/kafka 9092 && eval "$(scripts/infra/kafka.sh env target/kafka)"
#   ... brokers at $KAFKA_BROKERS ...
#   scripts/infra/kafka.sh stop target/kafka
#
set -euo pipefail

KAFKA_VERSION=${KAFKA_VERSION:-3.9.2}
CACHE=${TANDEM_INFRA_CACHE:-$HOME/.m2/tandem-infra}
LIB="$CACHE/kafka-$KAFKA_VERSION/lib"
POM="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/kafka/pom.xml"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
HEAP=${KAFKA_HEAP_OPTS:--Xms32m -Xmx256m}
PERF=${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseSerialGC}

log() { echo "[kafka] $*" >&2; }
die() { log "$*"; exit 1; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2; }

# The jars are complete when the broker's own jar is there (the directory is renamed into place
# only after a successful copy, so a half-finished fetch is never used).
fetch_lib() {
  [ -s "$LIB/kafka_2.13-$KAFKA_VERSION.jar" ] && return 0
  [ -f "$POM" ] || die "missing $POM"
  mkdir -p "$(dirname "$LIB")"
  local tmp="$LIB.partial.$$"
  rm -rf "$tmp"
  log "fetching kafka_2.13 + kafka-tools $KAFKA_VERSION and their runtime dependencies into $LIB"
  local repo=()
  [ -n "${TANDEM_MAVEN_REPO_LOCAL:-}" ] && repo=("-Dmaven.repo.local=$TANDEM_MAVEN_REPO_LOCAL")
  mvn -B -q "${repo[@]}" -f "$POM" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
      -Dkafka.version="$KAFKA_VERSION" -DincludeScope=runtime -DoutputDirectory="$tmp" >&2 \
    || { rm -rf "$tmp"; die "cannot fetch Kafka $KAFKA_VERSION (network to Maven Central, or an offline ~/.m2 without it?)"; }
  [ -s "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ] || { rm -rf "$tmp"; die "mvn copy-dependencies ran but kafka_2.13-$KAFKA_VERSION.jar is missing"; }
  # another fetch may have finished first: keep its directory
  mv -T "$tmp" "$LIB" 2>/dev/null || rm -rf "$tmp"
  [ -s "$LIB/kafka_2.13-$KAFKA_VERSION.jar" ] || die "$LIB is incomplete: remove it and retry"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A port nothing listens on, from the ephemeral range (the JDK is not needed for that).
free_port() {
  local p i
  for i in $(seq 1 50); do
    p=$(( 20000 + RANDOM % 30000 ))
    port_open "$p" || { echo "$p"; return 0; }
  done
  die "found no free port"
}

# Sends a Metadata request (v4, no topics) and succeeds when the answer lists at least one broker.
# Bytes: size 23 | api key 3 | version 4 | correlation id 7 | client id "kafka.sh" | topics: empty
# array | allow auto topic creation: false. Answer: size | correlation id | throttle ms | broker
# count | ... (all big-endian int32). Bounded by 5 s.
metadata_ok() {
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "\x00\x00\x00\x17\x00\x03\x00\x04\x00\x00\x00\x07\x00\x08kafka.sh\x00\x00\x00\x00\x00" >&3
    hex=$(dd bs=1 count=16 <&3 2>/dev/null | od -An -tx1 -v | tr -d " \n")
    [ "${#hex}" -eq 32 ] && [ "${hex:8:8}" = 00000007 ] && [ $((16#${hex:24:8})) -ge 1 ]
  ' metadata "$1" 2>/dev/null
}

running_pid() {
  local dir=$1 pid
  [ -f "$dir/kafka.pid" ] || return 1
  pid=$(cat "$dir/kafka.pid")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

print_env() {
  local dir=$1
  [ -f "$dir/kafka.env" ] || die "no $dir/kafka.env: start Kafka in $dir first"
  cat "$dir/kafka.env"
}

check_port() {
  [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ] || die "port '$1' must be 1..65535"
}

start() {
  local dir=$1 port=$2 cport=${3:-}
  check_port "$port"
  mkdir -p "$dir/data"
  dir=$(cd "$dir" && pwd)
  if pid=$(running_pid "$dir"); then die "already running in $dir (pid $pid)"; fi
  if [ -z "$cport" ] && [ -f "$dir/server.properties" ]; then
    cport=$(sed -n 's/^listeners=.*CONTROLLER:\/\/127\.0\.0\.1:\([0-9]*\).*$/\1/p' "$dir/server.properties")
  fi
  [ -n "$cport" ] || cport=$(free_port)
  check_port "$cport"
  [ "$cport" != "$port" ] || die "PORT and CONTROLLER_PORT must differ ($port)"
  port_open "$port" && die "port $port on 127.0.0.1 is already in use"
  port_open "$cport" && die "controller port $cport on 127.0.0.1 is already in use"
  fetch_lib
  local node_id=${KAFKA_NODE_ID:-1} voters=${KAFKA_QUORUM_VOTERS:-} internal_rf=${KAFKA_INTERNAL_RF:-1}
  [ -n "$voters" ] || voters="$node_id@127.0.0.1:$cport"
  [[ "$node_id" =~ ^[0-9]+$ ]] || die "KAFKA_NODE_ID '$node_id' must be a number"
  [[ "$internal_rf" =~ ^[1-9][0-9]*$ ]] || die "KAFKA_INTERNAL_RF '$internal_rf' must be a number >= 1"
  [[ ",$voters," == *",$node_id@127.0.0.1:$cport,"* ]] || die "KAFKA_QUORUM_VOTERS '$voters' lacks this node ($node_id@127.0.0.1:$cport)"

  cat > "$dir/server.properties" <<PROPS
# written by scripts/infra/kafka.sh at every start
process.roles=broker,controller
node.id=$node_id
controller.quorum.voters=$voters
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=$internal_rf
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$internal_rf
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
PROPS
  cat > "$dir/log4j.properties" <<'LOG4J'
log4j.rootLogger=INFO, out
log4j.appender.out=org.apache.log4j.ConsoleAppender
log4j.appender.out.layout=org.apache.log4j.PatternLayout
log4j.appender.out.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
LOG4J
  echo "KAFKA_BROKERS=127.0.0.1:$port" > "$dir/kafka.env"

  local jvm=("$JAVA" $HEAP $PERF -Djava.awt.headless=true
             "-Dlog4j.configuration=file:$dir/log4j.properties" "-Dkafka.logs.dir=$dir" -cp "$LIB/*")
  if [ ! -f "$dir/data/meta.properties" ]; then
    if [ ! -s "$dir/cluster.id" ]; then
      # 16 random bytes, URL-safe base64 as Kafka's own ids; never starting with '-' (the format tool would
      # take it for an option); written atomically so an interrupted start leaves no empty id behind
      head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' | sed 's/^-/A/' > "$dir/cluster.id.tmp"
      mv "$dir/cluster.id.tmp" "$dir/cluster.id"
    fi
    "${jvm[@]}" kafka.tools.StorageTool format -t "$(cat "$dir/cluster.id")" -c "$dir/server.properties" \
        >"$dir/kafka.log" 2>&1 \
      || { tail -n 20 "$dir/kafka.log" >&2; die "formatting $dir/data failed (log: $dir/kafka.log)"; }
  fi

  nohup "${jvm[@]}" kafka.Kafka "$dir/server.properties" >>"$dir/kafka.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" > "$dir/kafka.pid"
  local timeout=${KAFKA_START_TIMEOUT:-90}
  local deadline=$(( $(date +%s) + timeout ))
  until port_open "$port" && metadata_ok "$port"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$dir/kafka.log" >&2 || true
      rm -f "$dir/kafka.pid"
      die "Kafka exited during startup (log: $dir/kafka.log)"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      tail -n 20 "$dir/kafka.log" >&2 || true
      kill -KILL "$pid" 2>/dev/null || true
      rm -f "$dir/kafka.pid"
      die "Kafka did not answer a metadata request on 127.0.0.1:$port within $timeout s"
    fi
    sleep 0.2
  done
  log "running on 127.0.0.1:$port, controller 127.0.0.1:$cport (pid $pid, data $dir/data)"
  print_env "$dir"
}

stop() {
  local dir=$1 pid
  if ! pid=$(running_pid "$dir"); then
    rm -f "$dir/kafka.pid"
    log "not running in $dir"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local bound=${KAFKA_STOP_TIMEOUT:-20}
  local deadline=$(( $(date +%s) + bound ))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "pid $pid ignored SIGTERM for $bound s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.1
  done
  rm -f "$dir/kafka.pid"
  log "stopped (pid $pid)"
}

cmd=${1:-}
case "$cmd" in
  start)  [ $# -eq 3 ] || [ $# -eq 4 ] || usage; start "$2" "$3" "${4:-}" ;;
  stop)   [ $# -eq 2 ] || usage; stop "$2" ;;
  status) [ $# -eq 2 ] || usage; if pid=$(running_pid "$2"); then echo "$pid"; else exit 1; fi ;;
  env)    [ $# -eq 2 ] || usage; print_env "$2" ;;
  lib)    [ $# -eq 1 ] || usage; fetch_lib; echo "$LIB" ;;
  *)      usage ;;
esac
