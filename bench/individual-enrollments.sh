#!/usr/bin/env bash
# Does a million individual enrollments slow dps down (issue 14)? Runs the same dps (SQLite in a
# data directory, its embedded CA and defaults) holding 1 individual enrollment, then holding
# PRELOAD of them, and prints for each: the time of WRITES management API creates and of as many
# lookups by key hash (curl, median and max), dps's start-up time and RSS, the database size, and
# dps-bench's provisioning figures. The devices are the normal fleet, admitted by an enrollment
# group: every session still looks its device up among the individual enrollments (a miss).
#   bench/individual-enrollments.sh [DEVICES] [CONCURRENCY] [PRELOAD]   (2000 32 1000000)
#   BUILD=build-dev  build directory          ROUNDS=3  dps-bench runs per case, interleaved
#   WRITES=20        API creates per case     KEEP=1    keep the temp dir (JSON reports, logs)
# The large database is written by `dps-bench --preload-individual-enrollments` (batches of
# 10000 in one transaction each) while dps is stopped. Everything it starts is stopped and removed
# on exit. Needs curl, jq and openssl (the CLI); sqlite3 (optional) prints the query plans.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
devices=${1:-2000}
concurrency=${2:-32}
preload=${3:-1000000}
rounds=${ROUNDS:-3}
writes=${WRITES:-20}
dps=$build/tools/dps/dps
bench=$build/tools/dps-bench/dps-bench
for tool in "$dps" "$bench" "$build/tools/dps-device/dps-device"; do
  [[ -x $tool ]] || { echo "individual-enrollments: $tool missing: build it first" >&2; exit 2; }
done
for tool in curl jq openssl; do
  command -v "$tool" >/dev/null || { echo "individual-enrollments: $tool missing" >&2; exit 2; }
done
((preload > 1 + writes)) || { echo "individual-enrollments: PRELOAD must exceed $((1 + writes))" >&2; exit 2; }

tmp=$(mktemp -d /tmp/dps-individual.XXXXXX)
pid=
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [[ -n ${KEEP:-} ]]; then echo "individual-enrollments: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
log() { echo "individual-enrollments: $*" >&2; }

"$build/tools/dps-device/dps-device" demo-pki --out "$tmp/mfg" >/dev/null
hub=3c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f  # the preloaded enrollments' hub (dps-bench's default)
port=$((20000 + RANDOM % 20000))
write_config() {  # $1 = case name (small, large)
  cat >"$tmp/$1.yaml" <<YAML
dataDirectory: $tmp/data-$1
log: {level: warn}
apis:
  coap:
    address: 127.0.0.1:0
    inactivityMonitor: {timeout: 20s}
    connectionRate: {perSource: 0}  # every simulated device is 127.0.0.1
  http:
    address: 127.0.0.1:$port
    tls: {enabled: false}  # loopback only: the figure is the write, not a TLS handshake
    rateLimit: {perToken: 0}
    connectionRate: {perSource: 0}  # one connection per curl
    quotas: {individualEnrollments: $((preload + 2 * writes))}  # every enrollment is owner 1's
enrollmentGroups:
  - id: 7b1e5a2c-4d3f-4e6a-8b9c-0d1e2f3a4b5c
    owner: "1"
    attestationMechanism: {x509: {certificateChain: $tmp/mfg/chain.pem}}
    hubs:
      - hubID: $hub
        gateways: ["coaps+tcp://127.0.0.1:5684"]
        authorization: {ownerClaim: https://plgd.dev/owner, provider: {name: plgd}}
YAML
}
write_config small
write_config large

db_size() {  # $1 = data dir: the database and its write-ahead log, in MiB
  local bytes=0 f
  for f in "$1/dps.db" "$1/dps.db-wal"; do [[ -f $f ]] && bytes=$((bytes + $(stat -c %s "$f"))); done
  awk -v b="$bytes" 'BEGIN {printf "%.1f MiB", b / 1048576}'
}
median_max() {  # stdin: one figure a line → "p50 X ms, max Y ms"
  sort -n | awk '{v[NR] = $1} END {printf "p50 %6.1f ms, max %6.1f ms", v[int((NR + 1) / 2)], v[NR]}'
}

# One dps start: WRITES creates over the API, then WRITES lists by key hash (the API's indexed
# read), then dps's start-up time and peak RSS so far; stopped before the provisioning runs.
api_phase() {  # $1 = case name
  local config=$tmp/$1.yaml data=$tmp/data-$1 start ready i out code hash
  : >"$tmp/dps.out"
  start=$(date +%s.%N)
  "$dps" --config "$config" >"$tmp/dps.out" 2>"$tmp/dps-$1.log" &
  pid=$!
  for _ in $(seq 600); do
    grep -q "api listening" "$tmp/dps.out" && break
    kill -0 "$pid" 2>/dev/null || { log "dps exited:"; cat "$tmp/dps-$1.log" >&2; exit 1; }
    sleep 0.05
  done
  grep -q "api listening" "$tmp/dps.out" || { log "dps not ready"; exit 1; }
  ready=$(date +%s.%N)
  local token url=http://127.0.0.1:$port/api/v1/individual-enrollments
  token=$(cat "$data/admin.token")
  : >"$tmp/$1.writes"; : >"$tmp/$1.reads"; : >"$tmp/$1.hashes"
  for i in $(seq "$writes"); do
    hash=$(openssl rand -hex 32)
    echo "$hash" >>"$tmp/$1.hashes"
    printf '{"name":"api-%s","attestationMechanism":{"publicKeySha256":"%s"},"hubIds":["%s"]}' \
      "$i" "$hash" "$hub" >"$tmp/body.json"
    out=$(curl -sS --max-time 30 -o "$tmp/reply.json" -w '%{http_code} %{time_total}' -X POST \
      -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      --data-binary "@$tmp/body.json" "$url")
    code=${out% *}
    [[ $code == 200 ]] || { log "create $i answered $code:"; cat "$tmp/reply.json" >&2; exit 1; }
    awk -v t="${out#* }" 'BEGIN {print t * 1000}' >>"$tmp/$1.writes"
  done
  while read -r hash; do
    out=$(curl -sS --max-time 30 -o "$tmp/reply.json" -w '%{http_code} %{time_total}' \
      -H "Authorization: Bearer $token" "$url?publicKeySha256Filter=$hash")
    code=${out% *}
    [[ $code == 200 ]] && grep -q "$hash" "$tmp/reply.json" ||
      { log "lookup answered $code:"; cat "$tmp/reply.json" >&2; exit 1; }
    awk -v t="${out#* }" 'BEGIN {print t * 1000}' >>"$tmp/$1.reads"
  done <"$tmp/$1.hashes"
  local rss
  rss=$(awk '/^VmHWM/ {printf "%.1f MiB", $2 / 1024}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" || true; pid=
  {
    printf '  API create (POST, %d):      %s\n' "$writes" "$(median_max <"$tmp/$1.writes")"
    printf '  API lookup by key hash (%d): %s\n' "$writes" "$(median_max <"$tmp/$1.reads")"
    awk -v s="$start" -v r="$ready" 'BEGIN {printf "  dps start-up to api listening: %.2f s\n", r - s}'
    printf '  dps peak RSS after start-up and the API calls: %s\n' "$rss"
    printf '  database: %s\n' "$(db_size "$data")"
  } >"$tmp/$1.api"
  cat "$tmp/$1.api"
}

provision() {  # $1 = case name, $2 = round
  log "$1: dps-bench --devices $devices --concurrency $concurrency (round $2)"
  "$bench" --start-dps "$dps" --dps-config "$tmp/$1.yaml" --mfg-dir "$tmp/mfg" \
    --devices "$devices" --concurrency "$concurrency" --json >"$tmp/$1-$2.json" 2>"$tmp/$1-$2.err" ||
    { log "dps-bench failed:"; tail -20 "$tmp/$1-$2.err" >&2; exit 1; }
}

mkdir -m 700 "$tmp/data-small"
"$bench" --preload-individual-enrollments 1 --data-dir "$tmp/data-small" >/dev/null
echo "=== 1 individual enrollment (preloaded), then $writes API creates"
api_phase small
# The large case is the same dps (same data directory: CA, keys) plus the preload, so the two
# differ only in how many enrollments the database holds.
cp -a "$tmp/data-small" "$tmp/data-large"
echo "=== $preload individual enrollments, then $writes API creates"
log "preloading $((preload - 1 - writes)) into $tmp/data-large (dps stopped)"
start=$(date +%s.%N)
"$bench" --preload-individual-enrollments "$((preload - 1 - writes))" --data-dir "$tmp/data-large" \
  2>"$tmp/preload.err" | sed 's/^/  /'
awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "  preload wall time (ids and hashes included): %.1f s\n", e - s}'
api_phase large
if command -v sqlite3 >/dev/null; then
  echo "  query plans (sqlite3 EXPLAIN QUERY PLAN):"
  sqlite3 "$tmp/data-large/dps.db" "EXPLAIN QUERY PLAN SELECT * FROM individual_enrollments
    WHERE public_key_sha256 = 'x'" | grep -v 'QUERY PLAN' | sed 's/^/    handshake lookup: /'
  sqlite3 "$tmp/data-large/dps.db" "EXPLAIN QUERY PLAN SELECT count FROM individual_enrollment_counts
    WHERE owner = '1'" | grep -v 'QUERY PLAN' | sed 's/^/    quota count on create: /'
fi

# Back to back, interleaved: the machine's noise hits both cases alike.
for round in $(seq "$rounds"); do
  provision small "$round"
  provision large "$round"
done

echo
echo "=== dps-bench --devices $devices --concurrency $concurrency, $rounds round(s) per case, interleaved"
printf '%-9s %-6s %9s %10s %10s %10s %10s %10s %9s %7s %9s\n' enrolled round "prov/s" \
  "time p50" "own p50" "cloud p50" "cred p50" "acls p50" "cpu us" "xfloor" "peak RSS"
for round in $(seq "$rounds"); do
  for c in small large; do
    label=1; [[ $c == large ]] && label=$preload
    jq -r --arg c "$label" --arg r "$round" '[$c, $r, .provisioningsPerSecond,
        .latencyUs.time.p50, .latencyUs.ownership.p50, .latencyUs["cloud-configuration"].p50,
        .latencyUs.credentials.p50, .latencyUs.acls.p50, .server.cpuUsPerProvisioning,
        .server.floorMultiple, .server.peakRssKiB / 1024] | @tsv' "$tmp/$c-$round.json" |
      awk -F'\t' '{printf "%-9s %-6s %9.1f %10d %10d %10d %10d %10d %9d %7.2f %6.1f MiB\n",
                   $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11}'
    [[ $(jq .failed "$tmp/$c-$round.json") == 0 ]] || log "$c round $round: some devices failed"
  done
done
echo "(latencies in us; cpu us = server CPU per provisioning; xfloor = that over the crypto floor)"
jq -s 'map(.provisioningsPerSecond) | add / length' "$tmp"/small-*.json >"$tmp/small.mean"
jq -s 'map(.provisioningsPerSecond) | add / length' "$tmp"/large-*.json >"$tmp/large.mean"
awk -v s="$(cat "$tmp/small.mean")" -v l="$(cat "$tmp/large.mean")" -v n="$preload" 'BEGIN {
  printf "mean provisionings/s: %.1f with 1, %.1f with %d: ratio %.3f\n", s, l, n, l / s}'
