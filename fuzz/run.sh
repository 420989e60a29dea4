#!/usr/bin/env bash
# fuzz/run.sh TARGET|all [SECONDS]: builds the libFuzzer targets (clang-14, ASan + UBSan, fuzz
# coverage in our libraries too) in build-fuzz (configured on first use, DPS_FUZZ=ON) and runs
# TARGET, or every target one after the other, for SECONDS each (default 60).
#
# The working corpus is build-fuzz/corpus/TARGET (kept between runs), seeded from the committed
# fuzz/seeds/TARGET; fuzz/dicts/TARGET.dict is used when present. Prints the final
# "#N DONE ... exec/s" line and the number of executions of each target. On a finding (crash,
# sanitizer report, leak, timeout, out-of-memory) the reproducer is copied into
# fuzz/regressions/TARGET/, which the normal test suite replays (fuzz/README.md), and the script
# exits non-zero after running the remaining targets.
#
# Environment: DPS_FUZZ_BUILD_DIR (default build-fuzz), DPS_FUZZ_JOBS (build jobs, default 2),
# DPS_FUZZ_ARGS (extra libFuzzer flags, e.g. "-jobs=2 -workers=2" or "-only_ascii=1").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# Absolute, so a relative DPS_FUZZ_BUILD_DIR means the caller's directory wherever we cd later.
build=$(realpath -m "${DPS_FUZZ_BUILD_DIR:-$root/build-fuzz}")
all_targets=(coap_tcp_framing_fuzz cbor_step_body_fuzz pki_fuzz api_json_fuzz config_yaml_fuzz
             jwt_fuzz)

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
    coap_tcp_framing_fuzz) echo 4096 ;;
    config_yaml_fuzz) echo 16384 ;;
    *) echo 8192 ;;
  esac
}

if ! grep -qs '^DPS_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
  echo "fuzz: configuring $build (clang++-14, DPS_FUZZ=ON)"
  CXX=${CXX_FUZZ:-clang++-14} cmake -S "$root" -B "$build" -G Ninja -DDPS_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" >/dev/null
fi
echo "fuzz: building ${targets[*]}"
cmake --build "$build" --target "${targets[@]}" -j "${DPS_FUZZ_JOBS:-2}" >"$build/fuzz-build.log" 2>&1 ||
  { tail -n 40 "$build/fuzz-build.log"; exit 1; }

summary=()
failed=0
for target in "${targets[@]}"; do
  corpus=$build/corpus/$target
  artifacts=$build/artifacts/$target
  log=$build/logs/$target.log
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  rm -f "$artifacts"/*
  args=(-max_total_time="$seconds" -max_len="$(max_len_of "$target")" -timeout=10
        -print_final_stats=1 -artifact_prefix="$artifacts/")
  [[ -f $root/fuzz/dicts/$target.dict ]] && args+=(-dict="$root/fuzz/dicts/$target.dict")
  # shellcheck disable=SC2206 # DPS_FUZZ_ARGS is a list of flags
  args+=(${DPS_FUZZ_ARGS:-})
  echo "fuzz: $target for ${seconds}s (log: $log)"
  status=0
  (cd "$artifacts" && "$build/fuzz/$target" "${args[@]}" "$corpus" "$root/fuzz/seeds/$target") \
    >"$log" 2>&1 || status=$?

  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  findings=("$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-*)
  found=()
  for file in "${findings[@]}"; do [[ -f $file ]] && found+=("$file"); done
  if [[ $status -ne 0 || ${#found[@]} -gt 0 ]]; then
    failed=1
    grep -E 'ERROR: |SUMMARY: |FUZZ_REQUIRE|==[0-9]+== ?ERROR|runtime error' "$log" | head -n 20 || true
    mkdir -p "$root/fuzz/regressions/$target"
    for file in "${found[@]}"; do
      cp "$file" "$root/fuzz/regressions/$target/"
      echo "fuzz: $target FINDING kept as fuzz/regressions/$target/$(basename "$file")"
    done
    [[ ${#found[@]} -gt 0 ]] || echo "fuzz: $target exited $status without a reproducer; see $log"
    summary+=("$target: FAILED (exit $status) after ${execs:-?} executions")
  else
    echo "$done_line"
    summary+=("$target: ${execs:-?} executions in ${seconds}s; ${done_line:-no DONE line}")
  fi
done

echo "fuzz: summary"
printf '  %s\n' "${summary[@]}"
exit $failed
