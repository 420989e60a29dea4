#!/usr/bin/env bash
# The README's second command: installs what is missing, builds, and runs the whole test suite
# in two passes, then fuzzes:
#   1. plain: GCC, RelWithDebInfo (the optimised code dps ships), every test;
#   2. sanitizers: clang-14, AddressSanitizer + UndefinedBehaviorSanitizer, every test again; the
#      same build holds the libFuzzer targets (DPS_FUZZ), so
#   3. fuzz smoke: every libFuzzer target runs DPS_FUZZ_SECONDS (default 20) on that build
#      (fuzz/smoke.sh), one target per core at a time.
# Prints the wall time of every phase and the total at the end (also when a phase fails), and the
# slowest compilations and tests of each pass (scripts/slowest.sh).
# DPS_SKIP_SANITIZERS=1 skips pass 2, DPS_SKIP_FUZZ=1 skips 3 (quicker local runs).
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc)
phase_lines=()
started=$SECONDS

# phase NAME COMMAND...: runs COMMAND and records how long it took.
phase() {
  local name=$1 t0=$SECONDS
  shift
  echo "test: $name"
  "$@"
  phase_lines+=("$(printf '  %-22s %5d s' "$name" $((SECONDS - t0)))")
}

report() {
  local status=$?
  echo "test: wall time per phase"
  ((${#phase_lines[@]} == 0)) || printf '%s\n' "${phase_lines[@]}"
  printf '  %-22s %5d s (%d min %d s)%s\n' total $((SECONDS - started)) \
    $(((SECONDS - started) / 60)) $(((SECONDS - started) % 60)) \
    "$( ((status == 0)) || echo ", FAILED with status $status")"
}
trap report EXIT

# Integration tests start dps processes; two at a time fits two cores.
run_tests() { ctest --test-dir "$1" --output-on-failure -j2 --timeout 120; }

phase "install dependencies" ./scripts/install-deps.sh
# The tests' OAuth server (oidc-provider) from the committed package-lock.json.
phase "npm ci (oauth server)" npm ci --prefix tests/support/oauth --no-audit --no-fund \
  --loglevel=error
# puppeteer-core, which drives Debian's Chromium in the console's browser tests (tests/browser).
phase "npm ci (browser tests)" npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error

# -g1 (line tables) instead of -g: backtraces keep file and line, the build takes ~30% less.
phase "plain: configure" ./scripts/configure.sh build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"
phase "plain: build" cmake --build build-test -j"$jobs"
phase "plain: tests" run_tests build-test
./scripts/slowest.sh build-test || echo "slowest: could not read the timings of build-test"

fuzz_build=build-fuzz
if [[ ${DPS_SKIP_SANITIZERS:-0} != 1 ]]; then
  # halt_on_error: a sanitizer finding fails the test that triggered it.
  export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  # Libraries one object per file here (the plain pass batches them): a file that compiles only
  # thanks to its batch neighbours' includes or `using`s fails this pass.
  # Line tables only (-gline-tables-only instead of -g): sanitizer reports keep file and line,
  # and the compiles and links of this, the longest phase, write a fraction of the debug info.
  phase "sanitizers: configure" env CXX=clang++-14 ./scripts/configure.sh build-asan \
    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-gline-tables-only -DDPS_FUZZ=ON \
    -DDPS_UNITY_LIBRARIES=OFF
  phase "sanitizers: build" cmake --build build-asan -j"$jobs"
  phase "sanitizers: tests" run_tests build-asan
  ./scripts/slowest.sh build-asan || echo "slowest: could not read the timings of build-asan"
  fuzz_build=build-asan
fi

if [[ ${DPS_SKIP_FUZZ:-0} != 1 ]]; then
  phase "fuzz smoke" env DPS_FUZZ_BUILD_DIR="$fuzz_build" ./fuzz/smoke.sh "${DPS_FUZZ_SECONDS:-20}"
fi
