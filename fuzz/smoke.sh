#!/usr/bin/env bash
# fuzz/smoke.sh [SECONDS]: the bounded fuzz run of the test command: every target for SECONDS
# (default 20), one per core at a time (fuzz/run.sh all), on DPS_FUZZ_BUILD_DIR (the test command
# passes its sanitizer build; default build-fuzz, built if needed); non-zero on a finding, whose
# reproducer is then in fuzz/regressions/<target>/.
set -euo pipefail
exec "$(dirname "$0")/run.sh" all "${1:-20}"
