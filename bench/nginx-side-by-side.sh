#!/usr/bin/env bash
# dps and nginx side by side (issue 17): the server CPU one device-like connection costs each,
# on the same certificates, driven by the same client in the same run. A connection is a mutual
# TLS handshake with the device's two-certificate chain (leaf + manufacturer intermediate), one
# small request and its answer, and a close: CoAP GET /x.plgd.dev/time for dps, HTTP GET / for
# nginx (`return 200`). The client is `dps-bench --connections` for both (--http-get for nginx).
# CPU is utime+stime of the server's processes (/proc/PID/stat: dps; nginx's master and worker)
# before and after each run, divided by the connections served.
#
# Both servers run as the current user from one temp dir, on loopback:
#   dps    its embedded defaults (log level included) but for: data in the temp dir, devices on
#          127.0.0.1 (a free port), no management API, no per-source connection rate (every
#          connection comes from 127.0.0.1), and one enrollment group for the demo manufacturer;
#   nginx  Debian's nginx-light, worker_processes 1, dps's server certificate and key, the
#          group's chain.pem as the client CA (ssl_verify_client on), TLS 1.2 with dps's device
#          suites and 1.3, P-256/P-384, no tickets and no session cache (dps has neither), its
#          default access log (into the temp dir).
#
# Exit codes: 0 every connection was served by both servers and both figures were printed for
# TLS 1.2 and 1.3; 1 otherwise; 2 usage; 77 nginx is not installed (scripts/install-deps.sh
# installs nginx-light).
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bench/nginx-side-by-side.sh [options]

Starts dps and nginx (mutual TLS, same certificates) on loopback, makes N device-like
connections to each with dps-bench --connections, for TLS 1.2 and 1.3, and prints each
server's CPU per connection and the ratio dps/nginx.

Options:
  --connections N   connections per server, TLS version and round (default 2000)
  --concurrency C   connections in flight at once (default 16)
  --rounds R        measure R times, the servers' order alternating (default 1)
  --build-dir DIR   build tree holding tools/dps/dps, tools/dps-bench/dps-bench and
                    tools/dps-device/dps-device (default: build-dev, else build)
  --keep            keep the temp dir (configs, logs, certificates)
  -h, --help        this text

Example (bench/RESULTS.md):
  bench/nginx-side-by-side.sh --connections 2000 --rounds 3
EOF
}

root=$(cd "$(dirname "$0")/.." && pwd)
connections=2000
concurrency=16
rounds=1
build=""
keep=0
while (($# > 0)); do
  case $1 in
    --connections) connections=${2:?--connections needs N}; shift 2 ;;
    --concurrency) concurrency=${2:?--concurrency needs C}; shift 2 ;;
    --rounds) rounds=${2:?--rounds needs R}; shift 2 ;;
    --build-dir) build=${2:?--build-dir needs DIR}; shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "nginx-side-by-side: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
for n in "$connections" "$concurrency" "$rounds"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "nginx-side-by-side: '$n' is not a positive number" >&2; exit 2; }
done
if [[ -z $build ]]; then
  build=$root/build-dev
  [[ -x $build/tools/dps/dps ]] || build=$root/build
fi
dps=$build/tools/dps/dps
bench=$build/tools/dps-bench/dps-bench
device=$build/tools/dps-device/dps-device
for binary in "$dps" "$bench" "$device"; do
  [[ -x $binary ]] || { echo "nginx-side-by-side: $binary not built (see --build-dir)" >&2; exit 2; }
done
nginx=$(command -v nginx || true)
[[ -n $nginx ]] || nginx=/usr/sbin/nginx
if [[ ! -x $nginx ]]; then
  echo "nginx-side-by-side: nginx is not installed (scripts/install-deps.sh installs nginx-light)" >&2
  exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nginx-side-by-side.XXXXXX")
dps_pid=""
nginx_pid=""
cleanup() {
  local status=$?
  # Only the two servers this script started, by their pids.
  [[ -z $nginx_pid ]] || { kill -TERM "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null; } || true
  [[ -z $dps_pid ]] || { kill -TERM "$dps_pid" 2>/dev/null && wait "$dps_pid" 2>/dev/null; } || true
  if ((keep)); then
    echo "nginx-side-by-side: kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
  exit "$status"
}
trap cleanup EXIT

die() {
  echo "nginx-side-by-side: $*" >&2
  exit 1
}

# --- certificates: the demo manufacturer (device chain, group chain); dps makes its server's ---
"$device" demo-pki --out "$tmp/mfg" >/dev/null

# --- dps ---
cat >"$tmp/dps.yaml" <<YAML
# Written by bench/nginx-side-by-side.sh: embedded defaults but for these keys.
dataDirectory: "$tmp/dps-data"
apis:
  coap:
    address: "127.0.0.1:0"
    connectionRate:
      perSource: 0  # every connection comes from 127.0.0.1
  http:
    enabled: false
enrollmentGroups:
  - id: "7b1e5a2c-4d3f-4e6a-8b9c-0d1e2f3a4b5c"
    owner: "1"
    name: "side-by-side manufacturer"
    attestationMechanism:
      x509:
        certificateChain: "$tmp/mfg/chain.pem"
    hubs:
      - hubID: "3c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f"
        gateways: ["coaps+tcp://127.0.0.1:5684"]
        authorization:
          ownerClaim: "https://plgd.dev/owner"
          provider:
            name: "plgd"
YAML
"$dps" --config "$tmp/dps.yaml" >"$tmp/dps.out" 2>"$tmp/dps.log" &
dps_pid=$!
dps_port=""
for _ in $(seq 300); do
  line=$(grep -m1 -o 'dps: coap listening on [0-9.]*:[0-9]*' "$tmp/dps.out" || true)
  if [[ -n $line ]] && grep -q 'devices trust' "$tmp/dps.out"; then
    dps_port=${line##*:}
    break
  fi
  kill -0 "$dps_pid" 2>/dev/null || break
  sleep 0.1
done
[[ -n $dps_port ]] || die "dps did not start; its log:
$(tail -n 20 "$tmp/dps.log")"
server_ca=$tmp/dps-data/ca.pem
for f in "$server_ca" "$tmp/dps-data/server.pem" "$tmp/dps-data/server.key"; do
  [[ -s $f ]] || die "dps wrote no $f"
done

# --- nginx, on dps's server certificate and the group's CA chain ---
mkdir -p "$tmp/nginx"
user_line=""
# As root, nginx's workers would switch to "nobody" and lose the key; run them as this user.
(($(id -u) == 0)) && user_line="user $(id -un) $(id -gn);"
write_nginx_conf() {
  cat >"$tmp/nginx/nginx.conf" <<NGINX
# Written by bench/nginx-side-by-side.sh.
$user_line
worker_processes 1;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log $tmp/nginx/access.log;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  server {
    listen 127.0.0.1:$1 ssl;
    ssl_certificate $tmp/dps-data/server.pem;
    ssl_certificate_key $tmp/dps-data/server.key;
    ssl_client_certificate $tmp/mfg/chain.pem;
    ssl_verify_client on;
    ssl_verify_depth 4;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384;
    ssl_prefer_server_ciphers on;
    ssl_ecdh_curve prime256v1:secp384r1;
    ssl_session_tickets off;
    ssl_session_cache off;
    location / { return 200; }
  }
}
NGINX
}
# nginx cannot listen on port 0: try free-looking ports until one binds.
nginx_port=""
for _ in 1 2 3 4 5 6 7 8; do
  port=$((20000 + RANDOM % 40000))
  # Something already answering there would pass for nginx below.
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
  write_nginx_conf "$port"
  : >"$tmp/nginx/error.log"
  "$nginx" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" &
  nginx_pid=$!
  for _ in $(seq 100); do
    kill -0 "$nginx_pid" 2>/dev/null || break
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      nginx_port=$port
      break
    fi
    sleep 0.05
  done
  [[ -z $nginx_port ]] || break
  kill -TERM "$nginx_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
  nginx_pid=""
  grep -q 'Address already in use' "$tmp/nginx/error.log" ||
    die "nginx did not start; its log:
$(tail -n 20 "$tmp/nginx/error.log")"
done
[[ -n $nginx_port ]] || die "nginx found no free port"

# --- measuring ---
ticks_per_second=$(getconf CLK_TCK)

# utime+stime (clock ticks) of a process: fields 14 and 15 of /proc/PID/stat, counted after the
# last ')' (the command name may hold spaces).
ticks_of() {
  local stat
  stat=$(<"/proc/$1/stat") || die "process $1 is gone"
  local -a f
  read -r -a f <<<"${stat##*) }"
  echo $((f[11] + f[12]))
}

# The server's processes: dps is one; nginx is its master and the master's children (worker).
pids_of() {
  if [[ $1 == dps ]]; then
    echo "$dps_pid"
    return
  fi
  local children=/proc/$nginx_pid/task/$nginx_pid/children
  if [[ -r $children ]]; then
    echo "$nginx_pid $(<"$children")"
    return
  fi
  local pids=$nginx_pid stat d
  for d in /proc/[0-9]*; do  # kernels without CONFIG_PROC_CHILDREN: parents by field 4
    { stat=$(<"$d/stat"); } 2>/dev/null || continue
    local -a f
    read -r -a f <<<"${stat##*) }"
    [[ ${f[1]} == "$nginx_pid" ]] && pids+=" ${d#/proc/}"
  done
  echo "$pids"
}

ticks_sum() {
  local total=0 pid
  for pid in $(pids_of "$1"); do total=$((total + $(ticks_of "$pid"))); done
  echo "$total"
}

# run SERVER TLS COUNT: one dps-bench --connections run; prints "served ticks".
run() {
  local server=$1 tls=$2 count=$3 port=$dps_port
  local -a args=(--server "127.0.0.1:$port" --mfg-dir "$tmp/mfg" --ca "$server_ca"
    --connections "$count" --concurrency "$concurrency")
  if [[ $server == nginx ]]; then
    args[1]="127.0.0.1:$nginx_port"
    args+=(--http-get /)
  fi
  [[ $tls == 1.2 ]] && args+=(--tls12)
  local before after out
  before=$(ticks_sum "$server")
  out=$("$bench" "${args[@]}" 2>"$tmp/bench.err") ||
    die "$server, TLS $tls: dps-bench failed:
$out
$(tail -n 8 "$tmp/bench.err")"
  after=$(ticks_sum "$server")
  local served
  served=$(sed -n 's/^served: \([0-9]*\) of .*/\1/p' <<<"$out")
  [[ $served == "$count" ]] || die "$server, TLS $tls: served ${served:-?} of $count:
$out"
  grep -q "^tls: TLSv$tls " <<<"$out" || die "$server: not TLS $tls:
$out"
  echo "$served $((after - before))"
}

ms() { awk -v t="$1" -v n="$2" -v hz="$ticks_per_second" 'BEGIN { printf "%.3f", t / hz / n * 1000 }'; }

# Warm-up, not measured: lazily built state (caches, first log lines, page faults) on both.
for tls in 1.2 1.3; do
  run dps "$tls" 20 >/dev/null
  run nginx "$tls" 20 >/dev/null
done

echo "nginx-side-by-side: dps (pid $dps_pid, 127.0.0.1:$dps_port) and nginx $("$nginx" -v 2>&1 |
  sed 's/.*nginx\///') (master $nginx_pid, 127.0.0.1:$nginx_port); $connections connections per" \
  "server, TLS version and round, $concurrency at once, $rounds round(s)"
printf '%-6s %-4s %-6s %-12s %s\n' round tls server served "cpu/connection"
declare -A total_ticks=()
for ((round = 1; round <= rounds; round++)); do
  order=(dps nginx)
  ((round % 2 == 0)) && order=(nginx dps)
  for tls in 1.2 1.3; do
    for server in "${order[@]}"; do
      read -r served ticks < <(run "$server" "$tls" "$connections")
      total_ticks[$server$tls]=$((${total_ticks[$server$tls]:-0} + ticks))
      printf '%-6s %-4s %-6s %-12s %s ms\n' "$round" "$tls" "$server" "$served/$connections" \
        "$(ms "$ticks" "$served")"
    done
  done
done
total=$((connections * rounds))
for tls in 1.2 1.3; do
  d=${total_ticks[dps$tls]}
  n=${total_ticks[nginx$tls]}
  ratio=$(awk -v d="$d" -v n="$n" 'BEGIN { if (n > 0) printf "%.2f", d / n; else print "n/a" }')
  echo "TLS $tls: dps $(ms "$d" "$total") ms, nginx $(ms "$n" "$total") ms per connection," \
    "dps/nginx $ratio"
done
