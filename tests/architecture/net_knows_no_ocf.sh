#!/usr/bin/env bash
# The transport (src/net) carries bytes, TLS, framing, deadlines and limits; what a request means
# (OCF resources, the reverse /oic/res request, steps, records) is provisioning's. net may reach
# provisioning only through the conversation a session hands its messages to, the facts its
# handshake gathered, and the catalog its verify callback matches enrollment groups against.
# Fails, naming the line, when a file in src/net includes any other provisioning header.
set -euo pipefail
if [[ "${1:-}" == "--help" ]]; then
  sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
  echo "usage: $0 [SOURCE_ROOT]"
  exit 0
fi
root="${1:-$(cd "$(dirname "$0")/../.." && pwd)}"
allowed='provisioning/(device_conversation|handshake_outcome|catalog)\.hpp'
offending=$(grep -rnE '#include "provisioning/' "$root/src/net" | grep -vE "\"$allowed\"" || true)
if [[ -n "$offending" ]]; then
  echo "src/net includes provisioning headers beyond the conversation interface:" >&2
  echo "$offending" >&2
  exit 1
fi
echo "src/net reaches provisioning only through $allowed"
