#!/usr/bin/env bash
#
# Active Replica benchmark: mailbox changes replicated end to end (commit on ms1 -> applied on ms2) through a
# real Kafka broker, against Kafka's own producer rate on the same broker, same record size, same run; the
# replication lag at a steady load; the promotion of the accounts of a dead Mailstore. One JVM holds the real
# directory, three mailbox stores (H2 files), the replication hook, agents, HaService and event logs (see
# ReplicationBench). Writes the output to target/replication-<time>.txt, the JVM's log to target/run/bench.log.
#
#   bench/replication/run.sh [THREADS] [CHANGES] [ROUNDS] [RATE] [SECONDS] [PROMOTE] [PROMOTE_THREADS]
#                            defaults: 8 3000 5 200 30 1000 4
#
# Needs the tandem artifacts in the local Maven repository (mvn -B install -DskipTests at the root).
# Environment: KAFKA_PORT (default 19092); TANDEM_MAVEN_REPO_LOCAL (passed as -Dmaven.repo.local, also to
# kafka.sh); BENCH_MVN_FLAGS (extra flags for mvn, e.g. -o); BENCH_JAVA_OPTS (default -Xmx1g; add
# -Dbench.ms3AgentLate=true for the diagnostic with two consuming Mailstores in phases 1 and 2, and
# -Dbench.warmupRounds=N for N unmeasured rounds of each path before the measured ones, default 1).
# Example (a private local repository, offline):
#   TANDEM_MAVEN_REPO_LOCAL=/tmp/m2-bench/repository BENCH_MVN_FLAGS=-o bench/replication/run.sh
#
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE="$REPO/bench/replication"
THREADS=${1:-8}
CHANGES=${2:-3000}
ROUNDS=${3:-5}
RATE=${4:-200}
SECONDS_=${5:-30}
PROMOTE=${6:-1000}
PROMOTE_THREADS=${7:-4}
PORT=${KAFKA_PORT:-19092}
TARGET="$HERE/target"
WORK="$TARGET/run"
KAFKA="$REPO/scripts/infra/kafka.sh"
MVN=(mvn -B -q ${BENCH_MVN_FLAGS:-})
if [ -n "${TANDEM_MAVEN_REPO_LOCAL:-}" ]; then MVN+=("-Dmaven.repo.local=$TANDEM_MAVEN_REPO_LOCAL"); fi

cleanup() {
  "$KAFKA" stop "$WORK/kafka" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup
rm -rf "$WORK"
mkdir -p "$WORK"

echo "[bench] building the driver"
"${MVN[@]}" -f "$HERE/pom.xml" compile dependency:build-classpath -Dmdep.outputFile="$TARGET/cp.txt" >/dev/null

echo "[bench] starting Kafka on 127.0.0.1:$PORT"
"$KAFKA" start "$WORK/kafka" "$PORT" >/dev/null
eval "$("$KAFKA" env "$WORK/kafka")"

OUT="$TARGET/replication-$(date -u +%Y%m%dT%H%M%SZ).txt"
echo "[bench] $THREADS threads, $CHANGES changes x $ROUNDS rounds; lag at $RATE/s for $SECONDS_ s; promotion of $PROMOTE accounts" \
  "with $PROMOTE_THREADS threads (cores: $(nproc)); output $OUT"
# the broker's pid lets the driver read the broker's CPU time (/proc) next to its own
if ! java ${BENCH_JAVA_OPTS:--Xmx1g} -Dbench.kafka.pid="$(cat "$WORK/kafka/kafka.pid")" \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.showDateTime=true \
    -cp "$TARGET/classes:$(cat "$TARGET/cp.txt")" io.tandem.bench.replication.ReplicationBench \
    "$KAFKA_BROKERS" "$WORK/data" "$THREADS" "$CHANGES" "$ROUNDS" "$RATE" "$SECONDS_" "$PROMOTE" "$PROMOTE_THREADS" \
    2>"$WORK/bench.log" | tee "$OUT"; then
  echo "[bench] FAILED; the end of $WORK/bench.log:" >&2
  tail -n 40 "$WORK/bench.log" >&2
  exit 1
fi
