#!/usr/bin/env bash
#
# LMTP delivery benchmark: 10 KiB messages delivered over LMTP into one Mailstore whose current primary
# volume is a bucket on S3Proxy, against S3Proxy's own PUT rate for the same objects measured in the
# same run (same machine, same threads). Writes the CSV to target/bench/lmtp-delivery.csv.
#
#   bench/lmtp-delivery/run.sh [MESSAGES] [THREADS] [ROUNDS]      defaults: 1000 4 3
#
# Needs the distribution built (mvn -B install -DskipTests).
#
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE="$REPO/bench/lmtp-delivery"
MESSAGES=${1:-1000}
THREADS=${2:-4}
ROUNDS=${3:-3}
SIZE=10240
OUT="$REPO/target/bench"
mkdir -p "$OUT"
export TANDEM_CLUSTER_DIR="$OUT/cluster"
C="$REPO/scripts/cluster.sh"
S3DIR="$OUT/s3"
S3PORT=19100

cleanup() {
  "$C" clean >/dev/null 2>&1 || true
  "$REPO/scripts/infra/s3proxy.sh" stop "$S3DIR" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup
rm -rf "$S3DIR"

echo "[bench] building the driver"
mvn -B -q -f "$HERE/pom.xml" package dependency:build-classpath -Dmdep.outputFile="$OUT/cp.txt" >/dev/null

echo "[bench] starting S3Proxy and one Mailstore (127.0.3.1)"
"$REPO/scripts/infra/s3proxy.sh" start "$S3DIR" $S3PORT >/dev/null
"$REPO/scripts/infra/s3proxy.sh" bucket "$S3DIR" bench >/dev/null
eval "$("$REPO/scripts/infra/s3proxy.sh" env "$S3DIR")"
"$C" up "$HERE/bench.spec"

bucket=$("$C" exec bench1 core doCreateBucket MinIO bench "$S3_ACCESS_KEY" "$S3_SECRET_KEY" "$S3_ENDPOINT" | grep -oE '[0-9a-f]{8}-[0-9a-f-]{27}' | head -n 1)
volume=$("$C" exec bench1 core doCreateVolume s3-primary primary s3 "$bucket" mailstore --centralized | grep -oE '[0-9a-f]{8}-[0-9a-f-]{27}' | head -n 1)
"$C" exec bench1 core setCurrentVolume "$volume" >/dev/null
"$C" exec bench1 prov createDomain bench.example.com >/dev/null
"$C" exec bench1 prov createAccount load@bench.example.com bench1 >/dev/null

echo "[bench] $MESSAGES messages of $SIZE bytes, $THREADS threads, $ROUNDS rounds (cores: $(nproc))"
java -cp "$HERE/target/classes:$(cat "$OUT/cp.txt")" io.tandem.bench.LmtpDeliveryBench \
  "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY" bench 127.0.3.1 7025 load@bench.example.com \
  "$MESSAGES" "$THREADS" "$SIZE" "$ROUNDS" | tee "$OUT/lmtp-delivery.csv"
echo "[bench] mailbox after the run:"
"$C" exec bench1 mailbox info load@bench.example.com | grep -E "sequence|itemId"
