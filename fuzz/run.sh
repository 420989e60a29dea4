#!/usr/bin/env bash
# fuzz/run.sh TARGET|all [SECONDS]: builds the libFuzzer targets (clang-14, ASan + UBSan, coverage
# feedback in our libraries: DPS_FUZZ in cmake/sanitizers.cmake) and runs TARGET, or every target,
# for SECONDS each (default 60), DPS_FUZZ_PARALLEL targets at a time (default: one per core). Each
# target gets one process and its full SECONDS however many run beside it.
#
# The build is DPS_FUZZ_BUILD_DIR (default build-fuzz, configured on first use). The test command
# points it at its sanitizer build (build-asan, configured with DPS_FUZZ=ON), so the smoke run
# reuses the objects its sanitizer tests were built from.
#
# The working corpus is BUILD/corpus/TARGET (kept between runs), seeded from the committed
# fuzz/seeds/TARGET; fuzz/dicts/TARGET.dict is used when present. Prints the final
# "#N DONE ... exec/s" line and the number of executions of each target. On a finding (crash,
# sanitizer report, leak, timeout, out-of-memory) the reproducer is copied into
# fuzz/regressions/TARGET/, which the normal test suite replays (fuzz/README.md), and the script
# exits non-zero after running the remaining targets.
#
# Environment: DPS_FUZZ_BUILD_DIR, DPS_FUZZ_JOBS (build jobs, default: cores), DPS_FUZZ_PARALLEL,
# DPS_FUZZ_ARGS (extra libFuzzer flags, e.g. "-only_ascii=1").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# Absolute, so a relative DPS_FUZZ_BUILD_DIR means the caller's directory wherever we cd later.
build=$(realpath -m "${DPS_FUZZ_BUILD_DIR:-$root/build-fuzz}")
all_targets=(coap_tcp_framing_fuzz coap_udp_fuzz cbor_step_body_fuzz pki_fuzz api_json_fuzz
             config_yaml_fuzz jwt_fuzz)

usage() {
  echo "usage: $0 TARGET|all [SECONDS]   (targets: ${all_targets[*]})" >&2
  exit 2
}
[[ $# -ge 1 && $# -le 2 ]] || usage
seconds=${2:-60}
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || usage
if [[ $1 == all ]]; then
  targets=("${all_targets[@]}")
elif [[ " ${all_targets[*]} " == *" $1 "* ]]; then
  targets=("$1")
else
  usage
fi

# Inputs larger than this are truncated by libFuzzer (the seeds fit).
max_len_of() {
  case $1 in
    coap_tcp_framing_fuzz | coap_udp_fuzz) echo 4096 ;;
    config_yaml_fuzz) echo 16384 ;;
    *) echo 8192 ;;
  esac
}

cores=$(nproc)
if ! grep -qs '^DPS_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
  echo "fuzz: configuring $build (clang++-14, DPS_FUZZ=ON, no tests)"
  CXX=${CXX_FUZZ:-clang++-14} cmake -S "$root" -B "$build" -G Ninja -DDPS_FUZZ=ON \
    -DDPS_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
fi
echo "fuzz: building ${targets[*]}"
cmake --build "$build" --target "${targets[@]}" -j "${DPS_FUZZ_JOBS:-$cores}" \
  >"$build/fuzz-build.log" 2>&1 || { tail -n 40 "$build/fuzz-build.log"; exit 1; }

# run_target TARGET: fuzzes TARGET for $seconds; writes its summary line to $build/logs/TARGET.summary
# and exits non-zero on a finding.
run_target() {
  local target=$1
  local corpus=$build/corpus/$target artifacts=$build/artifacts/$target
  local log=$build/logs/$target.log result=$build/logs/$target.summary
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  rm -f "$artifacts"/* "$result"
  local args=(-max_total_time="$seconds" -max_len="$(max_len_of "$target")" -timeout=10
              -print_final_stats=1 -artifact_prefix="$artifacts/")
  [[ -f $root/fuzz/dicts/$target.dict ]] && args+=(-dict="$root/fuzz/dicts/$target.dict")
  # shellcheck disable=SC2206 # DPS_FUZZ_ARGS is a list of flags
  args+=(${DPS_FUZZ_ARGS:-})
  echo "fuzz: $target for ${seconds}s (log: $log)"
  local status=0
  (cd "$artifacts" && "$build/fuzz/$target" "${args[@]}" "$corpus" "$root/fuzz/seeds/$target") \
    >"$log" 2>&1 || status=$?

  local done_line execs file
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  local found=()
  for file in "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-*; do
    [[ -f $file ]] && found+=("$file")
  done
  if [[ $status -ne 0 || ${#found[@]} -gt 0 ]]; then
    grep -E 'ERROR: |SUMMARY: |FUZZ_REQUIRE|==[0-9]+== ?ERROR|runtime error' "$log" | head -n 20 || true
    mkdir -p "$root/fuzz/regressions/$target"
    for file in "${found[@]}"; do
      cp "$file" "$root/fuzz/regressions/$target/"
      echo "fuzz: $target FINDING kept as fuzz/regressions/$target/$(basename "$file")"
    done
    [[ ${#found[@]} -gt 0 ]] || echo "fuzz: $target exited $status without a reproducer; see $log"
    echo "$target: FAILED (exit $status) after ${execs:-?} executions" >"$result"
    return 1
  fi
  echo "$target: ${execs:-?} executions in ${seconds}s; ${done_line:-no DONE line}" >"$result"
}

parallel=${DPS_FUZZ_PARALLEL:-$cores}
[[ $parallel =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: DPS_FUZZ_PARALLEL must be a positive number" >&2; exit 2; }
failed=0
running=0
for target in "${targets[@]}"; do
  if ((running >= parallel)); then
    wait -n || failed=1
    running=$((running - 1))
  fi
  run_target "$target" &
  running=$((running + 1))
done
while ((running > 0)); do
  wait -n || failed=1
  running=$((running - 1))
done

echo "fuzz: summary"
for target in "${targets[@]}"; do
  echo "  $(cat "$build/logs/$target.summary" 2>/dev/null || echo "$target: no result")"
done
exit $failed
