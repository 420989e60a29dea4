#!/usr/bin/env bash
# What one enrollment-group create costs as the number of groups grows (issue 12): starts a real
# dps (SQLite, management API on loopback), creates GROUPS groups one after another with curl over
# the management API, each with a CA of its own (groups may not share trust), and prints the
# latency of the creates around each checkpoint (the Nth create finds N-1 groups in place).
#   bench/group-writes.sh [GROUPS] [CHECKPOINT...]     (defaults: 1000; 1 10 100 1000 ...)
#   BUILD=build-dev   build directory of dps        DPS=path   another dps binary (before/after)
#   KEEP=1            keep the temp dir (dps.log, the database, per-create times in `times`)
# Everything it starts is stopped and removed on exit. Needs curl and openssl (the CLI).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
dps=${DPS:-$build/tools/dps/dps}
groups=${1:-1000}
shift || true
checkpoints=("$@")
if [[ ${#checkpoints[@]} == 0 ]]; then
  for c in 1 10 100 1000 10000 100000; do ((c <= groups)) && checkpoints+=("$c"); done
fi
[[ -x $dps ]] || { echo "group-writes: $dps missing: build target dps first" >&2; exit 2; }
for tool in curl openssl; do
  command -v "$tool" >/dev/null || { echo "group-writes: $tool missing" >&2; exit 2; }
done
window=10  # creates per checkpoint: the checkpoint's own and the 9 before it (fewer at the start)

tmp=$(mktemp -d /tmp/dps-group-writes.XXXXXX)
pid=
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [[ -n ${KEEP:-} ]]; then echo "group-writes: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

# One self-signed P-256 CA per group, made before the clock starts (two at a time).
mkdir -p "$tmp/cas"
echo "group-writes: generating $groups CA certificates" >&2
seq "$groups" | xargs -P 2 -I{} openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
  -nodes -keyout /dev/null -subj "/CN=group-writes CA {}" -days 3650 -out "$tmp/cas/{}.pem" \
  2>/dev/null

port=$((20000 + RANDOM % 20000))
# Off for the run where this dps has them (an older one knows no such keys, and has neither):
# the proof of possession is a second round trip per create, not what is measured here; the
# per-owner quota would stop the run (every group is the admin token's owner), and so would the
# per-source connection rate (one connection per create, all from 127.0.0.1).
keys=$("$dps" --config-help 2>/dev/null || true)
extra=
grep -q requireProofOfPossession <<<"$keys" && extra+=$'\n    requireProofOfPossession: false'
grep -q quotas.enrollmentGroups <<<"$keys" && extra+=$'\n    quotas: {enrollmentGroups: '"$groups}"
grep -q http.connectionRate <<<"$keys" && extra+=$'\n    connectionRate: {perSource: 0}'
cat >"$tmp/config.yaml" <<YAML
dataDirectory: $tmp/data
log: {level: warn}
apis:
  coap: {address: 127.0.0.1:0}
  http:
    address: 127.0.0.1:$port
    tls: {enabled: false}  # loopback only: the figure is the write, not a TLS handshake
    rateLimit: {perToken: 0}$extra
YAML
: >"$tmp/dps.out"
"$dps" --config "$tmp/config.yaml" >"$tmp/dps.out" 2>"$tmp/dps.log" &
pid=$!
for _ in $(seq 300); do
  grep -q "api listening" "$tmp/dps.out" && break
  kill -0 "$pid" 2>/dev/null || { echo "group-writes: dps exited:" >&2; cat "$tmp/dps.log" >&2; exit 1; }
  sleep 0.1
done
grep -q "api listening" "$tmp/dps.out" || { echo "group-writes: dps not ready" >&2; exit 1; }
token=$(cat "$tmp/data/admin.token")
url="http://127.0.0.1:$port/api/v1/enrollment-groups"
echo "group-writes: dps $dps (pid $pid), $groups creates" >&2

hub=6e3c5a1e-2d4b-4c8f-9a7e-1f2b3c4d5e6f
: >"$tmp/times"
start=$(date +%s.%N)
for i in $(seq "$groups"); do
  # The PEM goes inline as a JSON string: newlines escaped.
  chain=$(awk '{printf "%s\\n", $0}' "$tmp/cas/$i.pem")
  printf '{"name":"g%s","hubIds":["%s"],"attestationMechanism":{"x509":{"certificateChain":"%s"}}}' \
    "$i" "$hub" "$chain" >"$tmp/body.json"
  out=$(curl -sS --max-time 30 -o "$tmp/reply.json" -w '%{http_code} %{time_total}' -X POST \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    --data-binary "@$tmp/body.json" "$url")
  code=${out% *}
  if [[ $code != 200 ]]; then
    echo "group-writes: create $i answered $code:" >&2; cat "$tmp/reply.json" >&2; exit 1
  fi
  echo "$i ${out#* }" >>"$tmp/times"
  ((i % 1000 == 0)) && echo "group-writes: $i created" >&2
done
end=$(date +%s.%N)

# Per checkpoint C: the creates C-9..C, in ms (curl's time_total: request sent to reply read).
printf '%-28s %8s %8s %8s\n' "groups already there" "creates" "p50 ms" "max ms"
for c in "${checkpoints[@]}"; do
  from=$((c - window + 1 < 1 ? 1 : c - window + 1))
  awk -v from="$from" -v to="$c" '$1 >= from && $1 <= to {print $2 * 1000}' "$tmp/times" |
    sort -n | awk -v label="$((from - 1))-$((c - 1))" '
      {v[NR] = $1} END {if (NR) printf "%-28s %8d %8.1f %8.1f\n", label, NR, v[int((NR + 1) / 2)], v[NR]}'
done
awk -v s="$start" -v e="$end" -v n="$groups" 'BEGIN {
  printf "all %d creates: %.1f s wall (%.1f ms each, curl start-up included)\n", n, e - s, (e - s) * 1000 / n}'
awk '{t += $2} END {printf "sum of create latencies: %.1f s\n", t}' "$tmp/times"
