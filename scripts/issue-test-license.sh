#!/usr/bin/env bash
#
# Issues a TEST license signed by the test issuer "tandem-test", for tests, demos and development
# clusters. Its private key is in bundles/license/src/test/resources only: a license it signs shows
# "issuer tandem-test" in core:getLicenseInfo, and a release build does not trust it
# (docs/decisions/0008-license-verification.md).
#
#   scripts/issue-test-license.sh OUT_FILE [NAME=QTY[:disabled] ...] [--customer C]
#                                 [--valid-until YYYY-MM-DD] [--license-id ID]
#
#   NAME=QTY    a licensed feature: ZxHA (the HA module), ha_basic (replicated accounts), ...;
#               QTY a number, or -1 / unlimited; ":disabled" licenses it switched off.
#               Default: ZxHA=1000 ha_basic=1000.
#   --customer, --valid-until (default: one year from today; a past date gives an expired license),
#   --license-id (default TEST-xxxxxxxx).
#
# OUT_FILE is replaced atomically; a node reading it picks the new license up at its next check.
# Install on a node: scripts/issue-test-license.sh <node dir>/etc/tandem.license ha_basic=50
#
# Runs io.tandem.license.tool.IssueLicense from bundles/license/target/{classes,test-classes};
# compiles them first when missing (mvn test-compile of that module; extra Maven arguments in
# $TANDEM_MVN_ARGS, e.g. "-o -Dmaven.repo.local=...").
#
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODULE="$REPO/bundles/license"
CLASSES="$MODULE/target/classes"
TEST_CLASSES="$MODULE/target/test-classes"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

die() { echo "issue-test-license: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2; }

[ $# -ge 1 ] || usage
case "$1" in -h|--help|-*) usage ;; esac
args=(--out "$1")
shift
while [ $# -gt 0 ]; do
  case "$1" in
    --customer|--valid-until|--license-id)
      [ $# -ge 2 ] || die "$1 needs a value"
      args+=("$1" "$2"); shift 2 ;;
    -*) die "unknown option $1 (see $0 --help)" ;;
    *=*) args+=(--feature "$1"); shift ;;
    *) die "'$1' is not NAME=QTY (see $0 --help)" ;;
  esac
done

if [ ! -f "$TEST_CLASSES/io/tandem/license/tool/IssueLicense.class" ] \
   || [ ! -f "$TEST_CLASSES/io/tandem/license/tool/tandem-test.private.key" ] \
   || [ ! -f "$CLASSES/io/tandem/license/internal/LicenseFormat.class" ]; then
  echo "[issue-test-license] compiling bundles/license (mvn test-compile)" >&2
  # shellcheck disable=SC2086 # TANDEM_MVN_ARGS holds several arguments
  mvn -B -q ${TANDEM_MVN_ARGS:-} -f "$MODULE/pom.xml" test-compile >&2 \
    || die "mvn test-compile of bundles/license failed (tandem-api and tandem-shell installed? mvn -B install -DskipTests)"
fi

exec "$JAVA" -cp "$TEST_CLASSES:$CLASSES" io.tandem.license.tool.IssueLicense "${args[@]}"
