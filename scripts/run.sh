#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and starts dps on its embedded
# defaults, with a demo manufacturer PKI and one enrollment group so a simulated device can be
# provisioned at once. State lives in ./dps-data (delete it to start afresh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

./scripts/install-deps.sh
./scripts/configure.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDPS_BUILD_TESTS=OFF
echo "run: building dps and dps-device (first build takes a few minutes)"
cmake --build build -j"$(nproc)" --target dps dps-device

data=$root/dps-data
demo=$data/demo
build/tools/dps-device/dps-device demo-pki --out "$demo"
if [[ ! -f $demo/config.yaml ]]; then
  # Everything but the enrollment group and its hub is an embedded default.
  cat >"$demo/config.yaml" <<YAML
dataDirectory: $data
enrollmentGroups:
  - id: 2a3f0c3e-8f0e-4f6a-9d0c-5b1f1e6a7c01
    owner: "1"
    name: demo manufacturer
    attestationMechanism:
      x509:
        certificateChain: $demo/chain.pem
    hubs:
      - hubID: 6e3c5a1e-2d4b-4c8f-9a7e-1f2b3c4d5e6f
        gateways: ["coaps+tcp://127.0.0.1:5684"]
        authorization:
          ownerClaim: https://plgd.dev/owner
          provider:
            name: plgd
YAML
fi

cat <<HELP

dps is starting on coaps+tcp://0.0.0.0:15684 with state in $data.
To provision a simulated device, run in another terminal:

  build/tools/dps-device/dps-device provision --server 127.0.0.1:15684 \\
      --cert $demo/device.pem --key $demo/device.key --ca $data/ca.pem

and to see its provisioning record:

  build/tools/dps/dps records --config $demo/config.yaml

Stop dps with Ctrl-C.
HELP
exec build/tools/dps/dps --config "$demo/config.yaml"
