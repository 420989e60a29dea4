#!/usr/bin/env bash
# scripts/slowest.sh BUILD_DIR [N]: the N (default 5) slowest compile or link steps of the last
# build of BUILD_DIR (.ninja_log) and its N slowest tests (CTest's cost data: mean seconds per
# run), so the test command's output shows where its time goes. Prints nothing it cannot find.
set -euo pipefail
dir=$1
n=${2:-5}
# `head` would exit early and leave sort writing into a closed pipe: with pipefail the SIGPIPE
# (status 141) then fails the whole test command. awk reads its input to the end.
first_lines() { awk -v n="$n" 'NR <= n'; }
if [[ -f $dir/.ninja_log ]]; then
  echo "slowest: build steps of $dir (seconds)"
  # .ninja_log v5: start_ms end_ms mtime output hash; a rebuilt output appears again later.
  awk 'NR > 1 { took[$4] = ($2 - $1) / 1000 } END { for (o in took) printf "%8.1f  %s\n", took[o], o }' \
    "$dir/.ninja_log" | sort -rn | first_lines
fi
costs=$dir/Testing/Temporary/CTestCostData.txt
if [[ -f $costs ]]; then
  echo "slowest: tests of $dir (seconds)"
  # Lines "name runs cost" until the "---" that starts the list of failed tests.
  awk '$0 == "---" { exit } NF == 3 { printf "%8.1f  %s\n", $3, $1 }' "$costs" | sort -rn | first_lines
fi
