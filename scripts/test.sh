#!/usr/bin/env bash
# The README's second command: installs what is missing, builds, and runs the whole test suite,
# once as built and once under AddressSanitizer + UndefinedBehaviorSanitizer.
# DPS_SKIP_SANITIZERS=1 skips the second pass (quicker local runs). Then every libFuzzer target
# runs for DPS_FUZZ_SECONDS (default 20) each (fuzz/smoke.sh; DPS_SKIP_FUZZ=1 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
jobs=$(nproc)

run_suite() {
  local dir=$1; shift
  echo "test: configuring $dir $*"
  ./scripts/configure.sh "$dir" "$@"
  echo "test: building $dir with $jobs jobs"
  cmake --build "$dir" -j"$jobs"
  echo "test: running the suite in $dir"
  # Integration tests start dps processes; two at a time fits two cores.
  ctest --test-dir "$dir" --output-on-failure -j2 --timeout 120
}

run_suite build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo
if [[ ${DPS_SKIP_SANITIZERS:-0} != 1 ]]; then
  # halt_on_error: a sanitizer finding fails the test that triggered it.
  export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DDPS_SANITIZE=ON
fi

if [[ ${DPS_SKIP_FUZZ:-0} != 1 ]]; then
  echo "test: fuzzing every target for ${DPS_FUZZ_SECONDS:-20} s (fuzz/README.md)"
  ./fuzz/smoke.sh "${DPS_FUZZ_SECONDS:-20}"
fi
