// JWS signature verification with libcrypto (RFC 7515 §5.2, algorithms per RFC 7518 §3.3-3.5).
// Internal to dps_auth; JwtVerifier calls it after choosing the key.
#pragma once

#include <string_view>

#include "auth/jwks.hpp"
#include "common/result.hpp"

namespace dps::auth {

/// Checks `signature` (already base64url-decoded) over `signing_input` ("<header>.<payload>" as
/// sent) with `key`, which the caller has matched to `alg` (Jwk::accepts).
/// ECDSA signatures must be the exact R || S length of the curve: a DER signature is refused
/// (RFC 7518 §3.4), as some libraries wrongly produce it and accepting both makes signatures
/// malleable.
/// @return Unauthenticated naming what failed.
/// Thread-safe: no shared mutable state (digests are fetched once, read-only afterwards).
[[nodiscard]] Result<void> verify_jws_signature(JwsAlg alg, const Jwk& key,
                                                std::string_view signing_input,
                                                std::string_view signature);

}  // namespace dps::auth
