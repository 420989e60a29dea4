#!/usr/bin/env bash
# CTest nginx_side_by_side_smoke: bench/nginx-side-by-side.sh briefly, against the build tree
# given. Passes when dps and nginx both served every connection of each run and the figures of
# TLS 1.2 and 1.3 were printed; no timing is asserted (a few dozen connections measure nothing).
# Exit code 77 (skipped) where nginx is not installed.
set -euo pipefail
if [[ $# -ne 1 || $1 == -h || $1 == --help ]]; then
  echo "usage: $0 BUILD_DIR"
  [[ $# -eq 1 ]] && exit 0 || exit 2
fi
connections=40
out=$("$(dirname "$0")/../../bench/nginx-side-by-side.sh" --build-dir "$1" \
  --connections "$connections") || exit $?
echo "$out"
served=$(grep -cE "^1 +1\.[23] +(dps|nginx) +$connections/$connections " <<<"$out" || true)
[[ $served == 4 ]] || { echo "expected 4 runs that served $connections/$connections, got $served"; exit 1; }
for tls in 1.2 1.3; do
  grep -Eq "^TLS $tls: dps [0-9]+\.[0-9]+ ms, nginx [0-9]+\.[0-9]+ ms per connection, dps/nginx [0-9.]+$" \
    <<<"$out" || { echo "no figures for TLS $tls"; exit 1; }
done
