#!/usr/bin/env bash
#
# Multi-node harness: runs several Tandem nodes from the built distribution on one machine, each
# in its own directory and on its own loopback address, and acts on them (stop, kill -9, pause,
# resume, run commands). The base of the demo and of the multi-node tests.
#
#   scripts/cluster.sh up SPEC            unpack, configure and start every node of SPEC; wait until
#                                         each node sees all the others (exit 1 on timeout)
#   scripts/cluster.sh status             nodes with address, pid and state
#   scripts/cluster.sh exec NODE SCOPE CMD [ARGS...]
#                                         bin/tandem on NODE, e.g. exec core1 cluster node-list
#   scripts/cluster.sh wait NODE COUNT [SECONDS]
#                                         wait until NODE sees COUNT live members
#   scripts/cluster.sh stop NODE          graceful stop
#   scripts/cluster.sh kill NODE          kill -9 of the node's JVM
#   scripts/cluster.sh pause NODE         SIGSTOP (a hung node)     resume NODE: SIGCONT
#   scripts/cluster.sh start NODE         start a stopped or killed node again (same directory)
#   scripts/cluster.sh pid NODE | dir NODE | log NODE
#   scripts/cluster.sh down               kill every node of the cluster (directories are kept)
#   scripts/cluster.sh clean              down, then remove the cluster directory
#
# SPEC: one node a line, "name address roles" (address on the loopback network, roles comma
# separated), and "set KEY VALUE" lines: cluster.name, port.ssh, port.health, port.cluster,
# directory.url, and kafka (embedded: the core nodes run the cluster's Kafka broker, all of them
# voters; off, the default: no broker runs, a test or the demo sets the global brokers itself).
#
# Environment: TANDEM_CLUSTER_DIR (default: <repo>/target/cluster), TANDEM_DIST (distribution
# tar.gz, default: karaf-assembly/target/tandem-*.tar.gz), TANDEM_NODE_HEAP (default 384M),
# TANDEM_KAFKA_HEAP (heap of each embedded broker, default 256m).
#
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CLUSTER_DIR=$(realpath -m "${TANDEM_CLUSTER_DIR:-$REPO/target/cluster}")
HEAP=${TANDEM_NODE_HEAP:-384M}

die() { echo "cluster: $*" >&2; exit 1; }
log() { echo "[cluster] $*" >&2; }

dist() {
  if [ -n "${TANDEM_DIST:-}" ]; then echo "$TANDEM_DIST"; return; fi
  local f
  f=$(ls -1t "$REPO"/karaf-assembly/target/tandem-*.tar.gz 2>/dev/null | head -n 1 || true)
  [ -n "$f" ] || die "no distribution found in karaf-assembly/target (build it: mvn -B install -DskipTests)"
  echo "$f"
}

java_home() {
  if [ -n "${JAVA_HOME:-}" ]; then echo "$JAVA_HOME"; return; fi
  dirname "$(dirname "$(readlink -f "$(command -v java)")")"
}

nodes_file() { echo "$CLUSTER_DIR/nodes"; }

# node NAME -> "name address roles"
node_line() {
  [ -f "$(nodes_file)" ] || die "no cluster in $CLUSTER_DIR (run: scripts/cluster.sh up SPEC)"
  local line
  line=$(awk -v n="$1" '$1 == n' "$(nodes_file)")
  [ -n "$line" ] || die "unknown node '$1' (nodes: $(awk '{printf "%s ", $1}' "$(nodes_file)"))"
  echo "$line"
}
node_dir() { node_line "$1" >/dev/null; echo "$CLUSTER_DIR/$1/node"; }
node_pid() {
  local f
  f="$(node_dir "$1")/karaf.pid"
  [ -f "$f" ] || return 1
  local pid
  pid=$(tr -d ' \n' < "$f")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # the pid file survives a kill -9: check that the process is this node's Karaf
  grep -q "$(node_dir "$1")" "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}
node_state() {
  local pid
  if ! pid=$(node_pid "$1"); then echo stopped; return; fi
  case "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" in
    T|t) echo paused ;;
    *) echo running ;;
  esac
}

set_prop() { # file key value: replace "key = ..." or append
  local file=$1 key=$2 value=$3
  if grep -q -E "^[[:space:]]*${key//./\\.}[[:space:]]*=" "$file"; then
    local esc
    esc=$(printf '%s' "$value" | sed 's/[&|\\]/\\&/g')
    sed -i -E "s|^[[:space:]]*${key//./\\.}[[:space:]]*=.*|${key} = ${esc}|" "$file"
  else
    printf '%s = %s\n' "$key" "$value" >> "$file"
  fi
}

cmd_up() {
  local spec=${1:-}
  [ -f "$spec" ] || die "cluster spec '$spec' not found (example: scripts/clusters/demo.spec)"
  local tarball
  tarball=$(dist)
  local cluster_name=tandem port_ssh=8101 port_health=8405 port_cluster=5701 kafka=off
  # every node uses the same directory: an H2 file shared through AUTO_SERVER unless the spec names a database
  local directory_url="jdbc:h2:file:$CLUSTER_DIR/directory/tandem;AUTO_SERVER=TRUE;WRITE_DELAY=0"
  mkdir -p "$CLUSTER_DIR"
  : > "$(nodes_file).tmp"
  local lineno=0
  while read -r first second third rest; do
    lineno=$((lineno + 1))
    case "$first" in ""|\#*) continue ;; esac
    if [ "$first" = set ]; then
      case "$second" in
        cluster.name) cluster_name=$third ;;
        port.ssh) port_ssh=$third ;;
        port.health) port_health=$third ;;
        port.cluster) port_cluster=$third ;;
        directory.url) directory_url=$third ;;
        kafka) case "$third" in embedded|off) kafka=$third ;; *) die "$spec:$lineno: kafka '$third': expected embedded or off" ;; esac ;;
        *) die "$spec:$lineno: unknown setting '$second'" ;;
      esac
      continue
    fi
    [ -n "$second" ] && [ -n "${third:-}" ] || die "$spec:$lineno: expected 'name address roles'"
    [[ "$second" =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "$spec:$lineno: address '$second' is not a loopback address"
    echo "$first $second $third" >> "$(nodes_file).tmp"
  done < "$spec"
  mv "$(nodes_file).tmp" "$(nodes_file)"
  [ -s "$(nodes_file)" ] || die "$spec: no node"

  local seeds expected voters
  seeds=$(awk -v p="$port_cluster" '{printf "%s%s:%s", (NR>1?",":""), $2, p}' "$(nodes_file)")
  # the KRaft voters: every core node, in the order of the spec (node id = position)
  voters=$(awk '$3 ~ /(^|,)core(,|$)/ {printf "%s%s", (n++?",":""), $2}' "$(nodes_file)")
  expected=$(awk '{n=split($3, r, ","); for (i=1;i<=n;i++) c[r[i]]++} END {s=""; for (k in c) s=s (s==""?"":",") k "=" c[k]; print s}' "$(nodes_file)")

  while read -r name address roles; do
    local dir="$CLUSTER_DIR/$name/node"
    if [ ! -d "$dir" ]; then
      mkdir -p "$CLUSTER_DIR/$name"
      tar xzf "$tarball" -C "$CLUSTER_DIR/$name"
      mv "$CLUSTER_DIR/$name"/tandem-* "$dir"
    fi
    set_prop "$dir/etc/tandem.node.cfg" node.name "$name"
    set_prop "$dir/etc/tandem.node.cfg" node.fqdn "$name.tandem.test"
    set_prop "$dir/etc/tandem.node.cfg" node.address "$address"
    set_prop "$dir/etc/tandem.node.cfg" roles "$roles"
    set_prop "$dir/etc/tandem.cluster.cfg" cluster.name "$cluster_name"
    set_prop "$dir/etc/tandem.cluster.cfg" seeds "$seeds"
    set_prop "$dir/etc/tandem.cluster.cfg" port "$port_cluster"
    set_prop "$dir/etc/tandem.cluster.cfg" expected.roles "$expected"
    set_prop "$dir/etc/tandem.health.cfg" port "$port_health"
    [ -f "$dir/etc/tandem.directory.cfg" ] && set_prop "$dir/etc/tandem.directory.cfg" jdbc.url "$directory_url"
    if [ "$kafka" = embedded ]; then
      set_prop "$dir/etc/tandem.kafka.cfg" enabled true
      set_prop "$dir/etc/tandem.kafka.cfg" voters "$voters"
      set_prop "$dir/etc/tandem.kafka.cfg" heap "${TANDEM_KAFKA_HEAP:-256m}"
      set_prop "$dir/etc/tandem.kafka.cfg" jvm.options "-XX:+UseSerialGC"
    else
      set_prop "$dir/etc/tandem.kafka.cfg" enabled false
    fi
    set_prop "$dir/etc/org.apache.karaf.shell.cfg" sshHost "$address"
    set_prop "$dir/etc/org.apache.karaf.shell.cfg" sshPort "$port_ssh"
    set_prop "$dir/etc/org.apache.karaf.management.cfg" rmiRegistryHost "$address"
    set_prop "$dir/etc/org.apache.karaf.management.cfg" rmiServerHost "$address"
    "$dir/bin/tandem-init" 2>/dev/null
  done < "$(nodes_file)"

  while read -r name _; do
    if [ "$(node_state "$name")" = stopped ]; then cmd_start "$name" --no-wait; fi
  done < "$(nodes_file)"

  local count
  count=$(wc -l < "$(nodes_file)")
  while read -r name _; do
    cmd_wait "$name" "$count" "${TANDEM_UP_TIMEOUT:-120}"
  done < "$(nodes_file)"
  log "cluster up: $count nodes in $CLUSTER_DIR"
}

cmd_start() {
  local name=$1
  local dir
  dir=$(node_dir "$name")
  [ "$(node_state "$name")" = stopped ] || die "node $name is already $(node_state "$name")"
  rm -f "$dir/karaf.pid"
  log "starting $name ($(node_line "$name" | awk '{print $2}'))"
  (cd "$dir" && JAVA_HOME=$(java_home) JAVA_MAX_MEM=$HEAP setsid bin/start </dev/null >/dev/null 2>&1)
  if [ "${2:-}" != "--no-wait" ]; then
    local deadline=$((SECONDS + 60))
    until node_pid "$name" >/dev/null; do
      [ $SECONDS -lt $deadline ] || die "node $name did not start (see $dir/data/log/karaf.log)"
      sleep 0.2
    done
  fi
}

cmd_stop() {
  local name=$1 pid
  pid=$(node_pid "$name") || { log "$name is not running"; return 0; }
  kill -CONT "$pid" 2>/dev/null || true
  (cd "$(node_dir "$name")" && JAVA_HOME=$(java_home) bin/stop >/dev/null 2>&1) || kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 60))
  while kill -0 "$pid" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { log "$name did not stop in 60 s: killing it"; kill -9 "$pid" 2>/dev/null || true; break; }
    sleep 0.2
  done
  log "stopped $name"
}

cmd_kill() {
  local name=$1 pid
  pid=$(node_pid "$name") || die "node $name is not running"
  kill -9 "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  log "killed $name (pid $pid)"
}

cmd_pause() {
  local pid
  pid=$(node_pid "$1") || die "node $1 is not running"
  kill -STOP "$pid"
  log "paused $1 (pid $pid)"
}

cmd_resume() {
  local pid
  pid=$(node_pid "$1") || die "node $1 is not running"
  kill -CONT "$pid"
  log "resumed $1 (pid $pid)"
}

cmd_exec() {
  local name=$1
  shift
  [ $# -ge 2 ] || die "usage: exec NODE SCOPE COMMAND [ARGS...]"
  JAVA_HOME=$(java_home) "$(node_dir "$name")/bin/tandem" "$@"
}

# members NODE -> number of live members NODE sees, or nothing when it does not answer
members() {
  cmd_exec "$1" cluster node-list --json 2>/dev/null | grep -c '"name"' || true
}

cmd_wait() {
  local name=$1 count=$2 timeout=${3:-60}
  local deadline=$((SECONDS + timeout)) seen=""
  while [ $SECONDS -lt $deadline ]; do
    seen=$(members "$name")
    [ "$seen" = "$count" ] && { log "$name sees $count members"; return 0; }
    sleep 0.5
  done
  die "$name sees ${seen:-no} members after ${timeout} s, expected $count (see $(node_dir "$name")/data/log/karaf.log)"
}

cmd_status() {
  [ -f "$(nodes_file)" ] || die "no cluster in $CLUSTER_DIR"
  printf '%-10s %-12s %-8s %-8s %s\n' NODE ADDRESS PID STATE ROLES
  while read -r name address roles; do
    printf '%-10s %-12s %-8s %-8s %s\n' "$name" "$address" "$(node_pid "$name" || echo -)" "$(node_state "$name")" "$roles"
  done < "$(nodes_file)"
}

cmd_down() {
  [ -f "$(nodes_file)" ] || return 0
  while read -r name _; do
    local pid
    if pid=$(node_pid "$name"); then
      kill -CONT "$pid" 2>/dev/null || true
      kill -9 "$pid" 2>/dev/null || true
      log "killed $name"
    fi
  done < "$(nodes_file)"
}

main() {
  local cmd=${1:-}
  [ -n "$cmd" ] || { sed -n '3,29p' "$0"; exit 2; }
  shift
  case "$cmd" in
    up) cmd_up "$@" ;;
    status) cmd_status ;;
    exec) cmd_exec "$@" ;;
    wait) cmd_wait "$@" ;;
    start) cmd_start "$1" ;;
    stop) cmd_stop "$1" ;;
    kill) cmd_kill "$1" ;;
    pause) cmd_pause "$1" ;;
    resume) cmd_resume "$1" ;;
    pid) node_pid "$1" ;;
    dir) node_dir "$1" ;;
    log) echo "$(node_dir "$1")/data/log/karaf.log" ;;
    down) cmd_down ;;
    clean) cmd_down; rm -rf "$CLUSTER_DIR" ;;
    -h|--help|help) sed -n '3,29p' "$0" ;;
    *) die "unknown command '$cmd' (see scripts/cluster.sh --help)" ;;
  esac
}

main "$@"
