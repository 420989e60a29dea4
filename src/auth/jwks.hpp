// JSON Web Key Sets (RFC 7517) parsed once into OpenSSL public keys, for verifying bearer tokens.
// A KeySet is immutable and shared (std::shared_ptr<const KeySet>): providers swap in a new set on
// refresh while requests in flight keep the one they started with.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "pki/x509_ptr.hpp"

namespace dps::auth {

/// The JWS algorithms dps verifies (RFC 7518 §3.1). HMAC and "none" are deliberately absent:
/// a verifier that accepts them can be fooled with the public key as an HMAC secret.
enum class JwsAlg { ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384, PS512 };

std::string_view to_string(JwsAlg alg);
/// nullopt for every other name, including "none" and HS256/HS384/HS512.
std::optional<JwsAlg> parse_jws_alg(std::string_view name);

/// One public verification key. Immutable once built.
struct Jwk {
  enum class Type { Ec, Rsa };

  std::string kid;                // empty: the JWK had no "kid"
  Type type = Type::Ec;           // kty
  std::optional<JwsAlg> alg;      // the JWK's "alg"; for EC always set (implied by the curve)
  pki::EvpPkeyPtr key;            // public key, checked on load
  std::string required_audience;  // see KeySetOptions
  std::string issuer;             // see KeySetOptions; never empty

  /// True when a token signed with `token_alg` may be checked with this key: equal to the JWK's
  /// alg when it names one, otherwise any RSA alg for an RSA key (RFC 7517 §4.4: alg optional).
  bool accepts(JwsAlg token_alg) const;
};

struct KeySetOptions {
  /// The `iss` every token verified with one of these keys must carry, byte for byte (RFC 7519
  /// §4.1.1). Required: a key is trusted for one authority only, so a token signed by authority
  /// A's key cannot pass as B's (or as dps's own) by claiming B's issuer. For an OIDC authority
  /// it is the discovery document's "issuer"; for dps's admin-token key, kAdminTokenIssuer.
  std::string issuer;
  /// When not empty, a token verified with one of these keys must list this audience in `aud`,
  /// on top of any audience the verifier itself requires. dps's own signing key also signs hub
  /// tokens handed to devices; pinning its admin tokens to a private audience keeps a device's
  /// hub token from being a management API credential.
  std::string required_audience;
};

class KeySet {
 public:
  /// Parses {"keys":[...]}. Keys dps cannot use (kty oct/OKP, "use" other than "sig", unknown
  /// curves or algs, RSA below 2048 bits, points not on the curve) are skipped and explained in
  /// skipped(); an IdP's set often mixes in encryption keys, and one odd key must not disable
  /// the others. Every key carries `options.issuer` and `options.required_audience`.
  /// @return BadRequest when the text is not JSON or has no "keys" array, or options.issuer is
  ///         empty.
  [[nodiscard]] static Result<std::shared_ptr<const KeySet>> parse(std::string_view jwks_json,
                                                                   const KeySetOptions& options);

  /// The union of `sets` (null entries are ignored); each key keeps its own issuer. `complete` =
  /// false records that some source had no keys yet, so an unknown kid may be a key we could not
  /// fetch rather than a bad token.
  static std::shared_ptr<const KeySet> merge(const std::vector<std::shared_ptr<const KeySet>>& sets,
                                             bool complete);

  /// Keys that may have signed a token with header `kid` (nullopt: the header had none):
  /// a named kid selects the keys with that kid, else the keys without a kid; a token without a
  /// kid selects the keys without a kid, or the only key of a one-key set.
  std::vector<const Jwk*> candidates(const std::optional<std::string>& kid) const;

  size_t size() const { return keys_.size(); }
  bool complete() const { return complete_; }
  /// One line per JWK that was skipped by parse(), for the provider's log.
  const std::vector<std::string>& skipped() const { return skipped_; }

 private:
  std::vector<std::shared_ptr<const Jwk>> keys_;
  std::vector<std::string> skipped_;
  bool complete_ = true;
};

}  // namespace dps::auth
