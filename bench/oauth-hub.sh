#!/usr/bin/env bash
# Provisioning through a hub whose tokens come from an OAuth2 authority (client credentials, as
# plgd deploys its hubs), against the same devices through a hub with dps-minted tokens, in one
# run on this machine. The authority is the tests' real OpenID Connect server (oidc-provider on
# Node.js, tests/support/oauth); dps caches its tokens per hub and claim set.
#   bench/oauth-hub.sh [DEVICES] [CONCURRENCY]      (BUILD=build-dev to use another build dir)
# Prints both dps-bench reports, the authority's token requests and the token cache hit rate.
# Everything it starts is stopped and removed on exit. Needs Node.js (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
devices=${1:-2000}
concurrency=${2:-32}
for tool in "$build/tools/dps/dps" "$build/tools/dps-bench/dps-bench" "$build/tools/dps-device/dps-device"; do
  [[ -x $tool ]] || { echo "oauth-hub: $tool missing: build it first (cmake --build $build)" >&2; exit 2; }
done
command -v node >/dev/null || { echo "oauth-hub: node missing: run scripts/install-deps.sh" >&2; exit 2; }
[[ -d tests/support/oauth/node_modules ]] || (cd tests/support/oauth && npm ci --no-audit --no-fund >/dev/null)

tmp=$(mktemp -d /tmp/dps-oauth-hub.XXXXXX)
oauth_pid=
cleanup() {
  exec 3>&- 2>/dev/null || true  # closing its standard input stops the authority
  [[ -n $oauth_pid ]] && kill "$oauth_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# The authority: one client, the owner claim taken from the request (as plgd's DPS asks for it).
mkfifo "$tmp/oauth.in"
secret=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
cat >"$tmp/oauth.json" <<JSON
{"clients": [{"clientId": "dps-bench", "clientSecret": "$secret", "scopes": ["hub"]}],
 "audiences": ["https://hub.bench/api"], "claimParams": ["https://plgd.dev/owner"],
 "accessTokenTtl": 3600}
JSON
node tests/support/oauth/server.mjs --config "$tmp/oauth.json" <"$tmp/oauth.in" >"$tmp/oauth.out" 2>"$tmp/oauth.log" &
oauth_pid=$!
exec 3>"$tmp/oauth.in"
for _ in $(seq 300); do grep -q "listening on" "$tmp/oauth.out" && break; sleep 0.1; done
authority=$(sed -n 's/^oauth: listening on \(http:[^ ]*\).*/\1/p' "$tmp/oauth.out")
[[ -n $authority ]] || { echo "oauth-hub: the authority did not start:" >&2; cat "$tmp/oauth.log" >&2; exit 1; }
echo "oauth-hub: authority $authority"
printf '%s' "$secret" >"$tmp/client.secret"

"$build/tools/dps-device/dps-device" demo-pki --out "$tmp/mfg" >/dev/null
write_config() {  # $1 = name, $2 = the hub's authorization block
  cat >"$tmp/$1.yaml" <<YAML
dataDirectory: $tmp/data-$1
log: {level: warn}
apis:
  coap:
    address: 127.0.0.1:0
    inactivityMonitor: {timeout: 60s}
    connectionRate: {perSource: 0}  # every simulated device is 127.0.0.1
  http: {enabled: false}
enrollmentGroups:
  - id: 3b0c2a4e-1d2f-4e5a-8b6c-7d8e9f0a1b2c
    owner: "1"
    attestationMechanism: {x509: {certificateChain: $tmp/mfg/chain.pem}}
    hubs:
      - hubID: 6e3c5a1e-2d4b-4c8f-9a7e-1f2b3c4d5e6f
        gateways: ["coaps+tcp://127.0.0.1:5684"]
        authorization: $2
YAML
}
write_config builtin '{ownerClaim: https://plgd.dev/owner, provider: {name: plgd}}'
write_config oauth "{ownerClaim: https://plgd.dev/owner, provider: {name: plgd, authority: \"$authority\", clientID: dps-bench, clientSecretFile: $tmp/client.secret, scopes: [hub], audience: \"https://hub.bench/api\"}}"

token_requests() {
  echo count >&3
  for _ in $(seq 50); do
    line=$(grep "oauth: count" "$tmp/oauth.out" | tail -1 || true)
    [[ -n $line && $line != "${1:-}" ]] && { echo "$line"; return; }
    sleep 0.1
  done
}
bench=("$build/tools/dps-bench/dps-bench" --start-dps "$build/tools/dps/dps" --mfg-dir "$tmp/mfg"
       --devices "$devices" --concurrency "$concurrency")
echo; echo "=== hub with dps-minted tokens: ${bench[*]} --dps-config builtin.yaml"
"${bench[@]}" --dps-config "$tmp/builtin.yaml"
before=$(token_requests)
echo; echo "=== hub with an OAuth2 client: ${bench[*]} --dps-config oauth.yaml"
"${bench[@]}" --dps-config "$tmp/oauth.yaml"
after=$(token_requests "$before")
fetched=$(( $(sed 's/.*token=\([0-9]*\).*/\1/' <<<"$after") - $(sed 's/.*token=\([0-9]*\).*/\1/' <<<"$before") ))
echo
echo "authority token requests during the OAuth run: $fetched for $devices devices"
awk -v f="$fetched" -v d="$devices" 'BEGIN { printf "token cache hit rate: %.4f (1 - requests / cloud-configuration answers)\n", 1 - f / d }'
