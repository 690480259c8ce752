#!/usr/bin/env bash
#
# Long nemesis run: NemesisIT (itests) with faults applied for SECONDS (default 3600) under a given or
# random SEED, on the built distribution. Three core Mailstores (127.0.9.1-3), Kafka, PostgreSQL and
# S3Proxy started by the test; twelve replicated accounts under continuous LMTP load; random kill -9,
# SIGSTOP, partitions and clock steps of the nodes, kill -9 and SIGSTOP of the Kafka broker, PostgreSQL
# and S3Proxy stopped and restarted, one at a time (docs/fault-harness.md).
#
#   bench/nemesis/run.sh [SECONDS] [SEED] [MAVEN ARGS...]     e.g. bench/nemesis/run.sh 3600 42 -o
#
# TANDEM_NEMESIS_PACE=MIN_HOLD-MAX_HOLD/MAX_GAP (ms, default 4000-20000/4000) sets how long faults are held
# and the gaps between them: 1000-6000/1000 applies several times as many faults an hour.
#
# Needs root (iptables, cgroups). Builds the distribution from the working tree first (mvn -B install
# -DskipTests with the MAVEN ARGS, output in itests/target/nemesis-<SEED>-build.log), so the run tests the
# code it names: its commit (git describe --dirty) heads the summary. TANDEM_DIST=FILE tests another tar.gz
# as it is, without a build. Writes the run's summary to
# bench/nemesis/results/<UTC time>-seed-<SEED>-<SECONDS>s.txt, with the test's verdict; the history
# (every attempt and fault), the nodes' and fixtures' logs and thread dumps at the end (kept whatever the
# verdict: they explain a slow recovery) stay in itests/target/nemesis-<SEED>/,
# Maven's output in itests/target/nemesis-<SEED>-maven.log.
# Exits with the test's status.
#
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SECONDS_OF_FAULTS=${1:-3600}
SEED=${2:-$(od -An -N6 -tu8 /dev/urandom | tr -d ' ')}
shift $(( $# < 2 ? $# : 2 ))
[[ "$SECONDS_OF_FAULTS" =~ ^[0-9]+$ ]] || { echo "nemesis: SECONDS '$SECONDS_OF_FAULTS' is not a number" >&2; exit 2; }
[[ "$SEED" =~ ^-?[0-9]+$ ]] || { echo "nemesis: SEED '$SEED' is not a whole number" >&2; exit 2; }
RESULTS="$REPO/bench/nemesis/results"
OUT="$RESULTS/$(date -u +%Y%m%dT%H%M%SZ)-seed-$SEED-${SECONDS_OF_FAULTS}s.txt"
mkdir -p "$RESULTS"

args=(-B verify -pl itests -Dit.test=NemesisIT -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false
  "-Dtandem.nemesis.seed=$SEED" "-Dtandem.nemesis.seconds=$SECONDS_OF_FAULTS" -Dtandem.nemesis.keep.logs=true)
[ -z "${TANDEM_DIST:-}" ] || args+=("-Dtandem.dist=$TANDEM_DIST")
[ -z "${TANDEM_NEMESIS_PACE:-}" ] || args+=("-Dtandem.nemesis.pace=$TANDEM_NEMESIS_PACE")
mkdir -p "$REPO/itests/target"
commit=$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo "unknown")
if [ -z "${TANDEM_DIST:-}" ]; then
  # the itests take the tar.gz as it is: a run on an old build would report on code that is not the commit's
  build_log="$REPO/itests/target/nemesis-$SEED-build.log"
  if ! (cd "$REPO" && mvn -B install -DskipTests "$@") > "$build_log" 2>&1; then
    echo "nemesis: building the distribution failed, see $build_log" >&2
    exit 1
  fi
  built="built from commit $commit"
else
  built="distribution $TANDEM_DIST as given (working tree at $commit)"
fi
echo "[nemesis] seed $SEED, $SECONDS_OF_FAULTS s of faults, pace ${TANDEM_NEMESIS_PACE:-4000-20000/4000}; $(nproc) cores; $(date -u +%FT%TZ); $built" > "$OUT"
status=0
(cd "$REPO" && mvn "${args[@]}" "$@") > "$REPO/itests/target/nemesis-$SEED-maven.log" 2>&1 || status=$?

summary="$REPO/itests/target/nemesis-$SEED/summary.txt"
if [ -f "$summary" ]; then cat "$summary" >> "$OUT"; else echo "no summary: the test ended before its checks" >> "$OUT"; fi
report="$REPO/itests/target/failsafe-reports/io.tandem.itests.cluster.NemesisIT.txt"
[ -f "$report" ] && sed -n '4,$p' "$report" | head -n 40 >> "$OUT"
echo "verdict: $([ $status = 0 ] && echo passed || echo "FAILED (maven exit $status; history and logs in itests/target/nemesis-$SEED/)")" >> "$OUT"
cat "$OUT"
exit $status
