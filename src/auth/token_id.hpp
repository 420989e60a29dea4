// A token's identity for revocation: its `jti` and `exp` (RFC 7519 §4.1.7, §4.1.4).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace dps::auth {

struct TokenId {
  std::string jti;
  int64_t expires_at = 0;  // `exp`, seconds since the Unix epoch
};

/// Longest jti accepted for revocation: far above dps's own (22 characters) and common IdPs'.
inline constexpr size_t kMaxJtiLength = 256;

/// @return BadRequest unless `jti` is 1..kMaxJtiLength printable ASCII characters.
[[nodiscard]] Result<void> check_jti(std::string_view jti);

/// jti and exp read from a compact JWS's payload. The signature is NOT verified: revoking names
/// a token the operator holds, and revoking a forged one only refuses that jti.
/// @return BadRequest naming what is missing (not a JWS, payload not JSON, no jti, no exp).
[[nodiscard]] Result<TokenId> read_token_id(std::string_view token);

}  // namespace dps::auth
