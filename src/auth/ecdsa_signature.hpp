// ECDSA signatures in their two encodings: JWS uses fixed-width R || S (RFC 7518 §3.4), libcrypto
// signs and verifies DER (SEQUENCE { INTEGER r, INTEGER s }, SEC 1 / RFC 3279 §2.2.3).
// Internal to dps_auth.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace dps::auth {

/// DER -> R || S, each left-padded to `coordinate_bytes` (32 for P-256, 48 for P-384, 66 for
/// P-521). Internal error when the DER does not parse or a component is too large.
[[nodiscard]] Result<std::string> ecdsa_der_to_jose(std::span<const uint8_t> der,
                                                    size_t coordinate_bytes);

/// R || S -> DER. The caller has already checked that `raw` has the curve's exact length; here
/// it only has to be non-empty and even.
[[nodiscard]] Result<std::vector<uint8_t>> ecdsa_jose_to_der(std::string_view raw);

}  // namespace dps::auth
