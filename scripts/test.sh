#!/usr/bin/env bash
#
# Runs every test: unit tests (surefire), Pax Exam tests on the real distribution and the
# multi-node cluster tests on the harness (failsafe, module itests). Installs what it needs first.
#
#   scripts/test.sh [extra maven arguments]
#
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
"$REPO/scripts/setup.sh"
exec mvn -B install "$@"
