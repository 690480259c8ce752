#!/usr/bin/env bash
#
# Automatic failover benchmark: a real three-node cluster (b1..b3, core+mailstore, harness), a real Kafka
# broker, the directory on a real PostgreSQL, blobs on S3Proxy. ACCOUNTS accounts hosted on b1 are
# replicated to b2 (priority 10) and b3 (20). Then:
#   1. kill -9 of b1: time from the kill to the moment every account is writable on its new owner, with
#      no command typed (automatic failover);
#   2. b1 restarted rejoins as a replica of the accounts it lost and re-syncs; then SIGSTOP of b2 (their
#      owner now): time from the SIGSTOP to every account writable on b1.
# "Writable" is measured two ways: the end of the automatic promotion operation (ha:monitor, the last
# take-over), and from outside by LMTP probes of SAMPLE random accounts, each retried every 20 ms until
# a 250 (bench/failover/probe.py); the later of the two is the figure.
#
#   bench/failover/run.sh [ACCOUNTS] [SAMPLE]        defaults: 1000 50
#
# Needs the distribution built (mvn -B install -DskipTests at the root). Output: target/failover-<time>.txt
# under bench/failover; the cluster is left in bench/failover/target/cluster (stopped at the end).
#
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE="$REPO/bench/failover"
ACCOUNTS=${1:-1000}
SAMPLE=${2:-50}
TARGET="$HERE/target"
WORK="$TARGET/run"
export TANDEM_CLUSTER_DIR="$TARGET/cluster"
CLUSTER="$REPO/scripts/cluster.sh"
OUT="$TARGET/failover-$(date -u +%Y%m%dT%H%M%SZ).txt"

cleanup() {
  "$CLUSTER" down >/dev/null 2>&1 || true
  "$REPO/scripts/infra/kafka.sh" stop "$WORK/kafka" >/dev/null 2>&1 || true
  "$REPO/scripts/infra/s3proxy.sh" stop "$WORK/s3" >/dev/null 2>&1 || true
  "$REPO/scripts/infra/postgres.sh" stop "$WORK/pg" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup
rm -rf "$WORK" "$TANDEM_CLUSTER_DIR"
mkdir -p "$WORK"
say() { echo "$*" | tee -a "$OUT"; }
ex() { "$CLUSTER" exec "$@"; }
now_ms() { date +%s%3N; }

say "[bench] failover of $ACCOUNTS replicated accounts; LMTP probes of $SAMPLE of them; cores: $(nproc); $(date -u +%FT%TZ)"
"$REPO/scripts/infra/kafka.sh" start "$WORK/kafka" 19094 >/dev/null
eval "$("$REPO/scripts/infra/kafka.sh" env "$WORK/kafka")"
"$REPO/scripts/infra/s3proxy.sh" start "$WORK/s3" 19000 >/dev/null
"$REPO/scripts/infra/s3proxy.sh" bucket "$WORK/s3" mail >/dev/null
eval "$("$REPO/scripts/infra/s3proxy.sh" env "$WORK/s3")"
JDBC=$("$REPO/scripts/infra/postgres.sh" start "$WORK/pg" 15439 | tail -n 1)

cat > "$WORK/bench.spec" <<EOF
set cluster.name tandem-bench-failover
set directory.url $JDBC
b1   127.0.9.1   core,mailstore
b2   127.0.9.2   core,mailstore
b3   127.0.9.3   core,mailstore
EOF
"$CLUSTER" up "$WORK/bench.spec" >/dev/null
for n in b1 b2 b3; do
  "$REPO/scripts/issue-test-license.sh" "$("$CLUSTER" dir "$n")/etc/tandem.license" ZxHA=100000 ha_basic=50000 >/dev/null
done
uuid() { grep -oE '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' | head -n 1; }
BUCKET=$(ex b1 core doCreateBucket MinIO mail "$S3_ACCESS_KEY" "$S3_SECRET_KEY" "$S3_ENDPOINT" | uuid)
VOLUME=$(ex b1 core doCreateVolume s3-primary primary s3 "$BUCKET" mailstore --centralized | uuid)
ex b1 core setCurrentVolume "$VOLUME" >/dev/null
ex b1 prov createDomain example.com >/dev/null
ex b1 global set brokers "$KAFKA_BROKERS" >/dev/null

# the accounts: 200 commands per client session, fed in batch mode as bin/tandem does (one client JVM per
# session, not per account)
LIST="$WORK/accounts.txt"
: > "$LIST"
for i in $(seq -w 1 "$ACCOUNTS"); do echo "bench$i@example.com" >> "$LIST"; done
B1="$("$CLUSTER" dir b1)"
CLIENT=("$B1/bin/client" -r 3 -h 127.0.9.1 -a "$(sed -n 's/^sshPort *= *//p' "$B1/etc/org.apache.karaf.shell.cfg")"
  -u "$(sed -n 's/^user *= *//p' "$B1/etc/tandem.admin.properties")"
  -p "$(sed -n 's/^password *= *//p' "$B1/etc/tandem.admin.properties")")
t0=$(now_ms)
split -l 200 "$LIST" "$WORK/chunk."
for chunk in "$WORK"/chunk.*; do
  awk '{print "prov:createAccount " $1 " b1"}' "$chunk" | "${CLIENT[@]}" -b > "$chunk.out" 2>&1 \
    || { echo "[bench] creating the accounts of $chunk failed:"; tail -n 5 "$chunk.out"; exit 1; }
done
say "[bench] created $ACCOUNTS accounts on b1 in $(( $(now_ms) - t0 )) ms"

await_op() { # NODE OPERATION -> prints the operation's JSON once finished
  local j
  for _ in $(seq 1 1200); do
    j=$(ex "$1" ha monitor --json "$2" 2>/dev/null || true)
    if echo "$j" | grep -q '"state" *: *"\(done\|failed\)"'; then echo "$j"; return 0; fi
    sleep 0.5 # polling interval of a bounded wait (10 minutes)
  done
  echo "operation $2 did not finish" >&2; return 1
}
t0=$(now_ms)
OP2=$(ex b1 ha setAccountDestination b2 10 input_file "$LIST" | uuid)
OP3=$(ex b1 ha setAccountDestination b3 20 input_file "$LIST" | uuid)
await_op b1 "$OP2" >/dev/null
await_op b1 "$OP3" >/dev/null
say "[bench] $ACCOUNTS accounts in sync on b2 and b3 after $(( $(now_ms) - t0 )) ms"
shuf -n "$SAMPLE" "$LIST" > "$WORK/sample.txt"
python3 "$HERE/probe.py" check 127.0.9.1 7025 "$WORK/sample.txt" | tee -a "$OUT"

# finds the autoFailover operation newer than the given ms and prints "created updated total done failed"
last_failover() {
  ex "$1" ha getFailoverStatus --json | python3 -c '
import json, sys, datetime
s = json.load(sys.stdin)
runs = [r for r in s["automaticPromotions"] if r["operation"]]
if not runs: sys.exit(1)
r = runs[0]
ms = lambda t: int(datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() * 1000)
print(ms(r["created"]), ms(r["updated"]), r["total"], r["done"], r["failed"], r["state"], r["operation"])'
}
await_failover() { # NODE SINCE_MS
  local line
  for _ in $(seq 1 600); do
    if line=$(last_failover "$1" 2>/dev/null) && [ "$(echo "$line" | cut -d' ' -f1)" -ge "$2" ] \
        && echo "$line" | grep -q ' \(done\|failed\) '; then echo "$line"; return 0; fi
    sleep 0.5 # polling interval of a bounded wait (5 minutes)
  done
  echo "no automatic failover finished on $1" >&2; return 1
}
report() { # WHAT START_MS PROBE_LINE FAILOVER_LINE
  local created updated total done failed
  read -r created updated total done failed _ _ <<< "$4"
  local probe_ms; probe_ms=$(echo "$3" | sed -n 's/.*last writable after \([0-9]*\) ms.*/\1/p')
  say "[bench] $1: automatic promotion started $(( created - $2 )) ms after, finished $(( updated - $2 )) ms after" \
      "($done of $total promoted, $failed failed); LMTP probes: $3"
  local worst=$(( updated - $2 )); [ -n "$probe_ms" ] && [ "$probe_ms" -gt "$worst" ] && worst=$probe_ms
  say "[bench] $1: all $ACCOUNTS accounts writable on their replicas after $worst ms"
}

# 1. kill -9 of b1
T=$(now_ms)
"$CLUSTER" kill b1 >/dev/null
PROBE=$(PROBE_TRACE="$WORK/probe-kill.trace" python3 "$HERE/probe.py" await 127.0.9.2 7025 "$WORK/sample.txt" "$T" 120)
FAIL=$(await_failover b2 "$T")
report "kill -9 of b1" "$T" "$PROBE" "$FAIL"

# 2. b1 back as a replica, in sync; then SIGSTOP of b2
t0=$(now_ms)
"$CLUSTER" start b1 >/dev/null
for _ in $(seq 1 1200); do
  n=$(ex b3 ha getAccountStatus --json replicaServer b1 replicaStatus available | grep -o '"destination" *: *"b1"' | wc -l || true)
  [ "$n" -ge "$ACCOUNTS" ] && break
  sleep 0.5 # polling interval of a bounded wait (10 minutes)
done
say "[bench] b1 back and in sync for $n accounts after $(( $(now_ms) - t0 )) ms (rejoined as a replica)"
T=$(now_ms)
"$CLUSTER" pause b2 >/dev/null
PROBE=$(PROBE_TRACE="$WORK/probe-stop.trace" python3 "$HERE/probe.py" await 127.0.9.1 7025 "$WORK/sample.txt" "$T" 120)
FAIL=$(await_failover b1 "$T")
"$CLUSTER" resume b2 >/dev/null
report "SIGSTOP of b2" "$T" "$PROBE" "$FAIL"
say "[bench] output in $OUT"
