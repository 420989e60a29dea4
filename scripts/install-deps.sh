#!/usr/bin/env bash
# Installs, from Debian 12's own packages, everything dps needs to build, run and test.
# Idempotent: packages already present are skipped, so a second run costs a dpkg query.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache lld pkg-config clang-14 clang-format-14 libclang-rt-14-dev
  libboost1.81-dev libboost-url1.81-dev
  libssl-dev openssl
  nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev libexpected-dev
  prometheus-cpp-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libsqlite3-dev libpq-dev postgresql-15
  libgtest-dev libgmock-dev libbenchmark-dev
  libcoap3-bin
  help2man groff-base  # the man pages in build/man from the tools' --help, and their renderer
  swtpm swtpm-tools tpm2-tools  # TPM attestation tests: a software TPM 2.0 and the TSS CLI (tests/unit/tpm)
  libtss2-dev  # TPM2 Software Stack (ESAPI): the device side of TPM attestation with a real TPM (src/tss)
  tpm2-openssl  # OpenSSL 3 provider for TPM keys: dps-device --key-provider tpm2 (IDevID in a TPM)
  libgnutls28-dev libwolfssl-dev  # dps-microbench's handshake on GnuTLS and wolfSSL (docs/decisions/tls-library.md)
  nginx-light  # bench/nginx-side-by-side.sh: nginx with mutual TLS on dps's certificates, CPU per connection
  chromium  # the web console's browser tests (tests/browser, headless, driven by puppeteer-core)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js runs the tests' OAuth server (tests/support/oauth). Checked by command, not package:
# a Node.js from elsewhere (NodeSource's nodejs bundles npm) is kept, and Debian's npm package
# would conflict with it.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages and Node.js present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
