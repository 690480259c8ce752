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
#   scripts/cluster.sh threads NODE       a thread dump of the node's JVM (jcmd Thread.print, with locks)
#   scripts/cluster.sh down               kill every node of the cluster and heal every partition
#                                         (directories are kept)
#   scripts/cluster.sh clean              down, then remove the cluster directory and the nodes' cgroups
#
# Faults (docs/fault-harness.md). Each node runs in its own cgroup v2 group, tandem/<cluster id>/<node>,
# so that its traffic (its JVM's and its children's, e.g. the embedded Kafka broker) can be told apart
# from the other nodes' on the shared loopback network. Rules live in one iptables chain per cluster,
# TANDEM-<cluster id>, jumped to from OUTPUT; heal, down and clean remove them. The fixtures (database,
# Kafka, S3) run outside the node groups and are never cut. Needs root; installs iptables if missing.
#   scripts/cluster.sh partition NODE PEER...
#                                         drop every packet between NODE and each PEER, both ways
#   scripts/cluster.sh partition --one-way NODE PEER...
#                                         drop NODE -> PEER only (PEER -> NODE still flows)
#   scripts/cluster.sh isolate NODE       partition NODE from every other node of the cluster
#   scripts/cluster.sh heal [NODE]        remove the rules that involve NODE (every rule without NODE)
#   scripts/cluster.sh rules              the cluster's rules (iptables -S of its chain)
#   scripts/cluster.sh clock NODE OFFSET  step NODE's wall clock to real time + OFFSET (+90s, -1h, +5m,
#                                         0), seen by the node within ~2 s; its monotonic clock is
#                                         untouched. Needs a cluster started with "set faults on" (or
#                                         TANDEM_FAULTS=on), whose nodes run under libfaketime
#                                         (installed if missing)
#
# SPEC: one node a line, "name address roles" (address on the loopback network, roles comma
# separated), and "set KEY VALUE" lines: cluster.name, port.ssh, port.health, port.cluster,
# directory.url, kafka (embedded: the core nodes run the cluster's Kafka broker, all of them
# voters; off, the default: no broker runs, a test or the demo sets the global brokers itself),
# and faults (on: the nodes run under libfaketime so that "clock" can step their clocks, and each
# Mailstore journals the changes it commits as owner in data/history/acks.log; off, the default).
#
# Environment: TANDEM_CLUSTER_DIR (default: <repo>/target/cluster), TANDEM_DIST (distribution
# tar.gz, default: karaf-assembly/target/tandem-*.tar.gz), TANDEM_NODE_HEAP (default 384M),
# TANDEM_NODE_JAVA_OPTS (more options for each node's JVM, e.g. -XX:TieredStopAtLevel=1 -XX:+UseSerialGC:
# the tests' setting, a third off a three-node cluster's boot on two cores),
# TANDEM_KAFKA_HEAP (heap of each embedded broker, default 256m), TANDEM_FAULTS (on: as "set faults
# on"), TANDEM_CGROUP_ROOT (the cgroup v2 hierarchy, default /sys/fs/cgroup/unified, else
# /sys/fs/cgroup when that is cgroup v2).
#
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CLUSTER_DIR=$(realpath -m "${TANDEM_CLUSTER_DIR:-$REPO/target/cluster}")
HEAP=${TANDEM_NODE_HEAP:-384M}
# names the cluster's cgroups and iptables chain: two clusters in two directories never share rules
CLUSTER_ID=$(printf '%s' "$CLUSTER_DIR" | sha1sum | cut -c1-8)
CHAIN="TANDEM-$CLUSTER_ID"

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

# the header comment, without the shebang
usage() { awk 'NR > 1 { if (!/^#/) exit; sub(/^# ?/, ""); print }' "$0"; }

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
  local cluster_name=tandem port_ssh=8101 port_health=8405 port_cluster=5701 kafka=off faults=${TANDEM_FAULTS:-off}
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
        faults) case "$third" in on|off) faults=$third ;; *) die "$spec:$lineno: faults '$third': expected on or off" ;; esac ;;
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
  # kept for the later starts of a node (after a kill), which must run it the same way
  echo "$faults" > "$CLUSTER_DIR/faults"
  if [ "$faults" = on ]; then faketime_lib >/dev/null; fi

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
    if [ "$faults" = on ]; then
      # the journal of the changes each Mailstore commits as owner, read by the nemesis test's checker
      set_prop "$dir/etc/tandem.replication.cfg" history.file "$dir/data/history/acks.log"
    fi
    "$dir/bin/tandem-init" 2>/dev/null
    echo "+0" > "$dir/faketime" # the node's clock offset (see clock), real time at first
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
  log "starting $name ($(node_address "$name"))"
  local procs=""
  if procs=$(group_dir "$name") && mkdir -p "$procs" 2>/dev/null; then
    procs="$procs/cgroup.procs"
  else
    procs=""
    log "no writable cgroup v2 hierarchy: $name runs outside a cgroup (partition and isolate will refuse it)"
  fi
  local -a env=("JAVA_HOME=$(java_home)" "JAVA_MAX_MEM=$HEAP")
  # options of the node's JVM besides bin/setenv's (the tests give the JIT and GC settings that boot fastest)
  [ -z "${TANDEM_NODE_JAVA_OPTS:-}" ] || env+=("EXTRA_JAVA_OPTS=$TANDEM_NODE_JAVA_OPTS")
  if clock_faults_on; then
    [ -f "$dir/faketime" ] || echo "+0" > "$dir/faketime"
    # the wall clock follows the file (re-read every second); System.nanoTime (CLOCK_MONOTONIC) stays true.
    # libfaketimeMT: the JVM calls the clock from many threads, and the plain library caches its state in
    # static variables without synchronisation (its README); the MT one serialises those calls.
    # FAKETIME_FORCE_MONOTONIC_FIX=0: with libfaketime 0.9.10's default, the JVM's timed waits on monotonic
    # condition variables return early (measured: three Object.wait(1000), a park and a sleep of 1 s each
    # returned after 1.2 s in all instead of 5 s; every idle thread spun and a node took minutes to start)
    env+=("LD_PRELOAD=$(faketime_lib)" FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_FORCE_MONOTONIC_FIX=0
      "FAKETIME_TIMESTAMP_FILE=$dir/faketime" FAKETIME_CACHE_DURATION=1)
  fi
  faketime_cleanup "$name"
  # the subshell enters the node's group first: the JVM, its children and every socket they open belong to
  # it (exec: the subshell's pid is the first under libfaketime, which names its shared memory after it)
  (cd "$dir" && { [ -z "$procs" ] || echo "$BASHPID" > "$procs"; } && echo "$BASHPID" > "$dir/faketime.creator" \
    && exec env "${env[@]}" setsid bin/start </dev/null >/dev/null 2>&1)
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
  faketime_cleanup "$name"
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

cmd_threads() {
  local pid
  pid=$(node_pid "$1") || die "$1 is not running"
  # bounded: a paused JVM does not answer the attach
  timeout 30 "$(java_home)/bin/jcmd" "$pid" Thread.print -l || die "no thread dump of $1 (pid $pid) within 30 s"
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

# health_members NODE -> the live members NODE's /health counts (its cluster:node-list's), or nothing. An HTTP
# request, not a client JVM per look: while a cluster boots on two cores those JVMs took the CPU its nodes needed
# (a look took 2-3 s, and each node's wait ended with one)
health_members() {
  local port
  port=$(sed -n -E 's/^[[:space:]]*port[[:space:]]*=[[:space:]]*([0-9]+).*/\1/p' "$(node_dir "$1")/etc/tandem.health.cfg" | tail -1)
  curl -s -m 2 "http://$(node_address "$1"):${port:-8405}/health" 2>/dev/null | grep -o '"members": *[0-9]*' | grep -o '[0-9]*$' || true
}

cmd_wait() {
  local name=$1 count=$2 timeout=${3:-60}
  local deadline=$((SECONDS + timeout)) seen=""
  while [ $SECONDS -lt $deadline ]; do
    # the count cluster:node-list gives, from the node's /health (bin/tandem retries its connection meanwhile)
    seen=$(health_members "$name")
    [ "$seen" = "$count" ] && { log "$name sees $count members"; return 0; }
    sleep 0.5 # polling interval of a bounded wait
  done
  seen=$(members "$name")
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
  [ -f "$(nodes_file)" ] || { remove_chain; return 0; }
  while read -r name _; do
    local pid
    if pid=$(node_pid "$name"); then
      kill -CONT "$pid" 2>/dev/null || true
      kill -9 "$pid" 2>/dev/null || true
      log "killed $name"
    fi
    # what the JVM left running in its group (an embedded broker of a node killed earlier)
    kill_group "$name"
    faketime_cleanup "$name"
  done < "$(nodes_file)"
  remove_chain
}

cmd_clean() {
  cmd_down
  remove_groups
  rm -rf "$CLUSTER_DIR"
}

# ---- faults: cgroups, iptables, clocks ----

node_address() { node_line "$1" | awk '{print $2}'; }

install_package() { # Debian package
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  log "installing Debian's $1 package"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$1" >/dev/null \
    || die "cannot install the $1 package"
}

# the cgroup v2 hierarchy (hybrid systems mount it at /sys/fs/cgroup/unified, pure v2 ones at /sys/fs/cgroup)
cgroup_root() {
  if [ -n "${TANDEM_CGROUP_ROOT:-}" ]; then echo "$TANDEM_CGROUP_ROOT"; return; fi
  local d
  for d in /sys/fs/cgroup/unified /sys/fs/cgroup; do
    if [ "$(stat -fc %T "$d" 2>/dev/null)" = cgroup2fs ]; then echo "$d"; return; fi
  done
  return 1
}
# the node's group, relative to the hierarchy (as iptables' --path wants it)
node_group() { echo "tandem/$CLUSTER_ID/$1"; }
group_dir() { local root; root=$(cgroup_root) || return 1; echo "$root/$(node_group "$1")"; }

# kills every process left in the node's group; bounded wait until it is empty
kill_group() {
  local g pid
  g=$(group_dir "$1") && [ -f "$g/cgroup.procs" ] || return 0
  [ -s "$g/cgroup.procs" ] || return 0
  if [ -f "$g/cgroup.kill" ]; then
    echo 1 > "$g/cgroup.kill"
  else
    while read -r pid; do kill -CONT "$pid" 2>/dev/null; kill -9 "$pid" 2>/dev/null || true; done < "$g/cgroup.procs"
  fi
  await_empty "$g" || { log "processes of $1 still alive in $g: $(tr '\n' ' ' < "$g/cgroup.procs")"; return 0; }
  log "killed what was left in the group of $1"
}

# bounded wait until no process (zombies included) is left in the group
await_empty() {
  local deadline=$((SECONDS + 10))
  until grep -qx 'populated 0' "$1/cgroup.events"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1 # polling interval of a bounded wait
  done
}

remove_groups() {
  local root base g
  root=$(cgroup_root) || return 0
  base="$root/tandem/$CLUSTER_ID"
  [ -d "$base" ] || return 0
  for g in "$base"/*/; do
    [ -d "$g" ] || continue
    kill_group "$(basename "$g")"
    await_empty "$g" || die "cannot remove the cgroup $g: processes $(tr '\n' ' ' < "$g/cgroup.procs") are still in it"
    rmdir "$g" || die "cannot remove the cgroup $g"
  done
  rmdir "$base"
  rmdir "$root/tandem" 2>/dev/null || true # other clusters' groups may still be there
}

# the node runs in its group, or the rules would not cut it
need_group() {
  local g pid
  g=$(group_dir "$1") || die "no cgroup v2 hierarchy (looked at /sys/fs/cgroup/unified and /sys/fs/cgroup; set TANDEM_CGROUP_ROOT)"
  [ -d "$g" ] || die "node $1 has no cgroup ($g): start it with this script"
  if pid=$(node_pid "$1"); then
    grep -qx "$pid" "$g/cgroup.procs" || die "node $1 (pid $pid) runs outside its cgroup $g: stop and start it with this script"
  fi
}

ipt() { iptables -w 10 "$@"; }

need_iptables() {
  [ "$(id -u)" = 0 ] || die "network faults need root (iptables)"
  command -v iptables >/dev/null 2>&1 || install_package iptables
  command -v iptables >/dev/null 2>&1 || die "iptables not found after installing it"
}

ensure_chain() {
  ipt -n -L "$CHAIN" >/dev/null 2>&1 || ipt -N "$CHAIN"
  ipt -C OUTPUT -j "$CHAIN" 2>/dev/null || ipt -I OUTPUT 1 -j "$CHAIN"
}

# drops what FROM's group sends to TO's address (DROP, not REJECT: a real partition answers nothing)
drop() {
  local from=$1 to=$2
  local -a rule=(-d "$(node_address "$to")/32" -m cgroup --path "$(node_group "$from")" -m comment --comment "$from>$to" -j DROP)
  ipt -C "$CHAIN" "${rule[@]}" 2>/dev/null || ipt -A "$CHAIN" "${rule[@]}"
}

remove_chain() {
  command -v iptables >/dev/null 2>&1 && [ "$(id -u)" = 0 ] || return 0
  while ipt -D OUTPUT -j "$CHAIN" 2>/dev/null; do :; done
  if ipt -n -L "$CHAIN" >/dev/null 2>&1; then
    ipt -F "$CHAIN"
    ipt -X "$CHAIN"
    log "removed the iptables chain $CHAIN"
  fi
}

cmd_partition() {
  local oneway=no
  if [ "${1:-}" = --one-way ]; then oneway=yes; shift; fi
  [ $# -ge 2 ] || die "usage: partition [--one-way] NODE PEER..."
  local node=$1 peer
  shift
  need_iptables
  need_group "$node"
  for peer in "$@"; do
    [ "$peer" != "$node" ] || die "cannot partition $node from itself"
    node_line "$peer" >/dev/null
    [ $oneway = yes ] || need_group "$peer"
  done
  ensure_chain
  for peer in "$@"; do
    drop "$node" "$peer"
    [ $oneway = yes ] || drop "$peer" "$node"
  done
  if [ $oneway = yes ]; then log "partitioned $node -> $* (one way)"; else log "partitioned $node <-> $*"; fi
}

cmd_isolate() {
  local node=${1:-}
  [ -n "$node" ] || die "usage: isolate NODE"
  node_line "$node" >/dev/null
  local -a peers
  mapfile -t peers < <(awk -v n="$node" '$1 != n {print $1}' "$(nodes_file)")
  [ ${#peers[@]} -gt 0 ] || die "node $node is alone in the cluster"
  cmd_partition "$node" "${peers[@]}"
}

cmd_heal() {
  local node=${1:-}
  need_iptables
  if ! ipt -n -L "$CHAIN" >/dev/null 2>&1; then log "no partition to heal"; return 0; fi
  if [ -z "$node" ]; then
    ipt -F "$CHAIN"
    log "healed every partition"
    return 0
  fi
  node_line "$node" >/dev/null
  # rule numbers of the rules whose comment "FROM>TO" names the node, deleted from the last one
  local n
  for n in $(ipt -n -L "$CHAIN" --line-numbers | awk -v node="$node" '
      match($0, /\/\* [^ ]+ \*\//) { split(substr($0, RSTART + 3, RLENGTH - 6), p, ">"); if (p[1] == node || p[2] == node) print $1 }' | sort -rn); do
    ipt -D "$CHAIN" "$n"
  done
  log "healed the partitions of $node"
}

cmd_rules() {
  need_iptables
  ipt -n -L "$CHAIN" >/dev/null 2>&1 || return 0
  ipt -S "$CHAIN" | grep -- '^-A ' || true
}

clock_faults_on() {
  [ "${TANDEM_FAULTS:-}" = on ] || [ "$(cat "$CLUSTER_DIR/faults" 2>/dev/null)" = on ]
}

faketime_lib() {
  local lib
  lib=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -n 1 || true)
  if [ -z "$lib" ]; then
    install_package libfaketime
    lib=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -n 1 || true)
  fi
  [ -n "$lib" ] || die "libfaketimeMT.so.1 not found after installing libfaketime"
  echo "$lib"
}

# libfaketime's first process in a node (the start subshell) shares its state with the node's processes
# through /dev/shm/faketime_shm_<pid> and sem.faketime_sem_<pid>, removed only at a normal exit: those
# of a stopped or killed node are removed here (a later process with that pid would fail to start)
faketime_cleanup() {
  local f pid
  f="$(node_dir "$1")/faketime.creator"
  [ -f "$f" ] || return 0
  node_pid "$1" >/dev/null && return 0 # still in use
  pid=$(cat "$f")
  rm -f "/dev/shm/faketime_shm_$pid" "/dev/shm/sem.faketime_sem_$pid" "$f"
}

cmd_clock() {
  local node=${1:-} offset=${2:-} value pid
  [ -n "$node" ] && [ -n "$offset" ] || die "usage: clock NODE OFFSET (e.g. +90s, -1h, +5m, 0)"
  clock_faults_on || die "the nodes do not run under libfaketime: start the cluster with 'set faults on' in its spec (or TANDEM_FAULTS=on)"
  if [[ "$offset" =~ ^[+-]?0+[smhd]?$ ]]; then
    value=+0
  elif [[ "$offset" =~ ^([+-][0-9]+)([smhd]?)$ ]]; then
    # libfaketime's offsets are seconds unless m, h or d follow
    value=${BASH_REMATCH[1]}
    [ "${BASH_REMATCH[2]}" = s ] || value+=${BASH_REMATCH[2]}
  else
    die "clock offset '$offset': expected a sign, a number and s, m, h or d (e.g. +90s, -1h) or 0"
  fi
  local dir
  dir=$(node_dir "$node")
  if pid=$(node_pid "$node"); then
    tr '\0' '\n' < "/proc/$pid/environ" | grep -qx "FAKETIME_TIMESTAMP_FILE=$dir/faketime" \
      || die "node $node (pid $pid) does not run under libfaketime: stop and start it with this script"
  fi
  # a rename: libfaketime never reads a half-written file
  printf '%s\n' "$value" > "$dir/faketime.tmp"
  mv "$dir/faketime.tmp" "$dir/faketime"
  log "clock of $node: real time $value"
}

main() {
  local cmd=${1:-}
  [ -n "$cmd" ] || { usage; exit 2; }
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
    threads) cmd_threads "$1" ;;
    dir) node_dir "$1" ;;
    log) echo "$(node_dir "$1")/data/log/karaf.log" ;;
    down) cmd_down ;;
    clean) cmd_clean ;;
    partition) cmd_partition "$@" ;;
    isolate) cmd_isolate "$@" ;;
    heal) cmd_heal "$@" ;;
    rules) cmd_rules ;;
    clock) cmd_clock "$@" ;;
    -h|--help|help) usage ;;
    *) die "unknown command '$cmd' (see scripts/cluster.sh --help)" ;;
  esac
}

# on one line with main: bash reads a script as it runs, and one edited meanwhile must not run on past main
main "$@"; exit $?
