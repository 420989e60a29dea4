#!/usr/bin/env bash
# fuzz/run.sh [SECONDS] [BUILD_DIR]: builds the libFuzzer targets with clang (ASan + UBSan) into
# BUILD_DIR (default build-fuzz) and runs each for SECONDS (default 60). Seeds come from
# hand-written frames below; the corpus grows in BUILD_DIR/corpus/<target>.
set -euo pipefail
seconds=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${2:-$root/build-fuzz}
mkdir -p "$build"

flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
       -I"$root/src")
coap_sources=("$root"/src/coap/message.cpp "$root"/src/coap/tcp_framing.cpp
              "$root"/src/coap/options.cpp "$root"/src/coap/signaling.cpp)

target=coap_tcp_framing_fuzz
clang++ "${flags[@]}" "$root/fuzz/$target.cpp" "${coap_sources[@]}" -o "$build/$target"

corpus="$build/corpus/$target"
mkdir -p "$corpus"
# RFC 8323 ping example; our CSM; a device GET /api/v1/provisioning/ownership (see the unit tests).
printf '\x01\xe2\x42' >"$corpus/rfc8323_ping"
printf '\x50\xe1\x23\x00\x04\x80\x20' >"$corpus/csm"
printf '\xd8\x19\x01\x11\x22\x33\x44\x55\x66\x77\x88\xb3api\x02v1\x0cprovisioning\x09ownership\x62\x27\x10\xe2\x06\xe3\x08\x00' \
  >"$corpus/device_get_ownership"

"$build/$target" -max_total_time="$seconds" -max_len=4096 "$corpus"
