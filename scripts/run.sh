#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and starts dps on its embedded
# defaults, with a demo manufacturer PKI and one enrollment group so a simulated device can be
# provisioned at once. State lives in ./dps-data (delete it to start afresh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

./scripts/install-deps.sh
./scripts/configure.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDPS_BUILD_TESTS=OFF
echo "run: building dps, dpsctl and dps-device (first build takes a few minutes)"
cmake --build build -j"$(nproc)" --target dps dpsctl dps-device

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

dps is starting: devices on coaps+tcp://0.0.0.0:15684, the management API on
https://0.0.0.0:9100, state in $data. On first start it creates $data/admin.token,
a management API token for owner "1" (the demo group's owner) that dpsctl picks up with
--data-dir. In another terminal:

  build/tools/dpsctl/dpsctl --data-dir $data enrollment-groups list
  build/tools/dpsctl/dpsctl --data-dir $data hubs list

To provision a simulated device:

  build/tools/dps-device/dps-device provision --server 127.0.0.1:15684 \\
      --cert $demo/device.pem --key $demo/device.key --ca $data/ca.pem

and to see its provisioning record:

  build/tools/dpsctl/dpsctl --data-dir $data records list

Stop dps with Ctrl-C.
HELP
exec build/tools/dps/dps --config "$demo/config.yaml"
