// The device's identity key and CSR (device-protocol §3.4): a FRESH ECDSA P-256 key per request,
// subject CN=uuid:<di>, SHA-256, no extensions.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace dps::device {

struct DeviceCsr {
  std::string csr_pem;
  std::string private_key_pem;  // PKCS#8
  std::string public_key_der;   // DER SubjectPublicKeyInfo, to compare with the issued leaf
};

/// Generates a P-256 key and a CSR with subject `CN=uuid:<di>`.
[[nodiscard]] Result<DeviceCsr> make_device_csr(std::string_view di);

/// DER SubjectPublicKeyInfo of the first certificate in `pem`.
[[nodiscard]] Result<std::string> leaf_public_key_der(std::string_view pem);

}  // namespace dps::device
