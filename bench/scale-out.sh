#!/usr/bin/env bash
# Provisioning throughput of one and of two dps replicas on one PostgreSQL 15, on this machine:
# starts a throw-away PostgreSQL (loopback, temp dir), two replicas sharing a data directory,
# and runs dps-bench against replica A alone, then against A and B (devices alternate).
#   bench/scale-out.sh [DEVICES] [CONCURRENCY]      (BUILD=build-dev to use another build dir)
# Everything it starts is stopped and removed on exit. Needs postgresql-15 (install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
devices=${1:-2000}
concurrency=${2:-32}
pgbin=/usr/lib/postgresql/15/bin
for tool in "$build/tools/dps/dps" "$build/tools/dps-bench/dps-bench" "$build/tools/dps-device/dps-device"; do
  [[ -x $tool ]] || { echo "scale-out: $tool missing: build it first (cmake --build $build)" >&2; exit 2; }
done
[[ -x $pgbin/postgres ]] || { echo "scale-out: PostgreSQL 15 missing: run scripts/install-deps.sh" >&2; exit 2; }

tmp=$(mktemp -d /tmp/dps-scale-out.XXXXXX)
pids=()
as_pg=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -d $tmp/pg ]] && "${as_pg[@]}" "$pgbin/pg_ctl" -D "$tmp/pg" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# PostgreSQL refuses to run as root: as root, run it as the postgres user.
if [[ $(id -u) == 0 ]]; then
  chown postgres "$tmp"
  as_pg=(runuser -u postgres --)
fi
port=$((20000 + RANDOM % 20000))
"${as_pg[@]}" "$pgbin/initdb" -D "$tmp/pg" -A trust -U postgres >/dev/null
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $tmp" start >/dev/null
"${as_pg[@]}" "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U postgres dps
echo "scale-out: PostgreSQL 15 on 127.0.0.1:$port"

mkdir -p "$tmp/run" && chmod 777 "$tmp/run"
"$build/tools/dps-device/dps-device" demo-pki --out "$tmp/run/mfg" >/dev/null
write_config() {  # $1 = device port of this replica
  cat <<YAML
dataDirectory: $tmp/run/data
log: {level: warn}
apis:
  coap:
    address: 127.0.0.1:$1
    inactivityMonitor: {timeout: 60s}
    connectionRate: {perSource: 0}  # every simulated device is 127.0.0.1
  http: {enabled: false}
clients:
  storage:
    postgres:
      uri: postgresql://postgres@127.0.0.1:$port/dps
enrollmentGroups:
  - id: 3b0c2a4e-1d2f-4e5a-8b6c-7d8e9f0a1b2c
    owner: "1"
    attestationMechanism: {x509: {certificateChain: $tmp/run/mfg/chain.pem}}
    hubs:
      - hubID: 6e3c5a1e-2d4b-4c8f-9a7e-1f2b3c4d5e6f
        gateways: ["coaps+tcp://127.0.0.1:5684"]
        authorization: {ownerClaim: https://plgd.dev/owner, provider: {name: plgd}}
YAML
}
start_replica() {  # $1 = name, $2 = port
  write_config "$2" >"$tmp/run/$1.yaml"
  "$build/tools/dps/dps" --config "$tmp/run/$1.yaml" >"$tmp/run/$1.out" 2>"$tmp/run/$1.log" &
  pids+=($!)
  for _ in $(seq 100); do
    grep -q "coap listening" "$tmp/run/$1.out" && return 0
    sleep 0.1
  done
  echo "scale-out: replica $1 did not start:" >&2; cat "$tmp/run/$1.log" >&2; exit 1
}
port_a=$((port + 1)); port_b=$((port + 2))
start_replica a "$port_a"   # creates the shared keys first
pid_a=${pids[-1]}
start_replica b "$port_b"
pid_b=${pids[-1]}

bench=("$build/tools/dps-bench/dps-bench" --mfg-dir "$tmp/run/mfg" --ca "$tmp/run/data/ca.pem"
       --devices "$devices" --concurrency "$concurrency")
echo; echo "=== one replica: ${bench[*]} --server 127.0.0.1:$port_a --server-pid $pid_a"
"${bench[@]}" --server "127.0.0.1:$port_a" --server-pid "$pid_a"
echo; echo "=== two replicas: ${bench[*]} --server 127.0.0.1:$port_a --server 127.0.0.1:$port_b"
"${bench[@]}" --server "127.0.0.1:$port_a" --server "127.0.0.1:$port_b"
echo; echo "replica CPU seconds (utime+stime, both runs): a $(awk '{print ($14+$15)/100}' /proc/$pid_a/stat), b $(awk '{print ($14+$15)/100}' /proc/$pid_b/stat)"
