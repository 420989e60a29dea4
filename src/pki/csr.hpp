// Validation of the device's certificate signing request (device-protocol §3.4, "(improve)":
// plgd forwards CSRs unchecked; we check proof of possession, key policy and the CN form here).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "pki/x509_ptr.hpp"

namespace dps::pki {

/// A CSR that passed validate_csr(): safe to hand to a CertificateSigner.
struct ValidatedCsr {
  X509ReqPtr request;
  /// Lowercase canonical UUID from the subject "CN=uuid:<UUID>".
  std::string device_id;
};

/// Parses and checks a PEM CSR, in this order:
///  1. one PEM "CERTIFICATE REQUEST" block parses;
///  2. its signature verifies with its own public key (proof of possession);
///  3. the key is EC P-256 or P-384 (RSA, Ed25519, other curves refused);
///  4. the signature digest is SHA-256 or stronger (SHA-1 signed requests are refused);
///  5. the subject has exactly one CN, of the form "uuid:<UUID>" with a non-nil UUID;
///  6. that UUID equals `expected_device_id` when given (compared as parsed UUIDs, so case does
///     not matter).
/// @return BadRequest with a precise message for every failure; the message holds no secrets and
///         may go to the device as is.
/// Thread-safe (no shared state).
[[nodiscard]] Result<ValidatedCsr> validate_csr(std::string_view pem,
                                                std::optional<std::string_view> expected_device_id);

}  // namespace dps::pki
