#!/usr/bin/env bash
# fuzz/smoke.sh [SECONDS]: the bounded fuzz run of the test command. Builds build-fuzz if needed and
# runs every target for SECONDS (default 20) one after the other (fuzz/run.sh all); non-zero on a
# finding, whose reproducer is then in fuzz/regressions/<target>/.
set -euo pipefail
exec "$(dirname "$0")/run.sh" all "${1:-20}"
