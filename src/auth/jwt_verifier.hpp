// JwtVerifier: checks the bearer token of a management API request (management-api.md,
// "Authorization and tenancy"): signature with a key from a KeyProvider, `iss` equal to that key's
// issuer, exp/nbf/iat, audience when configured, the owner claim every read and write is scoped
// to, and that its `jti` is not revoked.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "auth/key_provider.hpp"
#include "auth/revoked_token_ids.hpp"
#include "common/result.hpp"

namespace dps::auth {

struct JwtVerifierOptions {
  /// Claim holding the owner; may be a URL such as "https://plgd.dev/owner" (plgd's ownerClaim).
  std::string owner_claim = "sub";
  /// When not empty, `aud` (a string or an array of strings) must contain it.
  std::string audience;
  /// Clock skew tolerated on exp, nbf and iat.
  std::chrono::seconds leeway{60};
};

struct VerifiedToken {
  std::string owner;       // value of the owner claim, never empty
  int64_t expires_at = 0;  // `exp`, seconds since the Unix epoch
  int64_t issued_at = 0;   // `iat`, 0 when the token has none
  std::string key_id;      // `kid` of the header, empty when it had none (for logs)
  /// Every top-level claim whose value is a string (iss, sub, jti, the owner claim, ...).
  std::map<std::string, std::string> string_claims;
};

class JwtVerifier {
 public:
  /// @param revoked  revoked `jti`s; null = no revocation list.
  JwtVerifier(JwtVerifierOptions options, std::shared_ptr<KeyProvider> keys,
              std::shared_ptr<const RevokedTokenIds> revoked = nullptr);

  /// @param authorization  the Authorization header value ("Bearer <jwt>", scheme matched
  ///        case-insensitively) or the bare compact JWT.
  /// @return the owner and claims, or
  ///   - Unauthenticated with the precise reason: missing or malformed token, alg "none" or HMAC
  ///     (always refused), alg not matching the key, unknown kid, bad signature, `iss` missing or
  ///     not the issuer of the key that signed it, expired, not yet valid, audience mismatch, no
  ///     owner claim, revoked `jti`;
  ///   - Unavailable while the key provider has no keys yet (authority unreachable), or when an
  ///     unknown kid may belong to an authority whose keys could not be fetched.
  /// An unknown kid also asks the provider to refresh (rate-limited, in the background), so a
  /// key rotated in at the authority is picked up for the client's next attempt.
  /// Thread-safe; no I/O.
  [[nodiscard]] Result<VerifiedToken> verify(std::string_view authorization) const;

  /// verify() at a given time (seconds since the Unix epoch), for tests and replay analysis.
  [[nodiscard]] Result<VerifiedToken> verify_at(std::string_view authorization, int64_t now) const;

 private:
  const JwtVerifierOptions options_;
  const std::shared_ptr<KeyProvider> keys_;
  const std::shared_ptr<const RevokedTokenIds> revoked_;
};

}  // namespace dps::auth
