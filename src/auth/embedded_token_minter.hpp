// EmbeddedTokenMinter: hub access tokens signed by dps itself (ES256 JWTs, RFC 7519/7515/7518),
// for hubs configured without an external OAuth authority. The hub verifies them with the public
// key published in <dataDirectory>/jwks.json.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "auth/token_source.hpp"

// libcrypto types, forward-declared so this header does not pull in OpenSSL.
struct evp_pkey_st;
struct evp_md_st;

namespace dps::auth {

/// Which key a minter signs with, and where its public key is published. Device tokens and
/// management API tokens are signed with different keys (design.md "Trust boundaries"): a
/// verifier of one kind never holds the other's key, so a device's hub token cannot open the API
/// whatever its claims say.
struct MinterFiles {
  std::string key_file;   // in the data directory, created 0600 on first start
  std::string jwks_file;  // in the data directory, rewritten at start; empty = not written
};
/// Hub access tokens for devices; hubs verify them with jwks.json (also served at
/// /.well-known/jwks.json).
inline const MinterFiles kDeviceTokenFiles{"token-signing.key", "jwks.json"};
/// The operator's management API tokens (admin.token); the key is never published.
inline const MinterFiles kApiTokenFiles{"api-token-signing.key", ""};

class EmbeddedTokenMinter final : public TokenSource {
 public:
  /// Loads <data_dir>/<files.key_file> (P-256), creating it with mode 0600 on first start, and
  /// (re)writes <data_dir>/<files.jwks_file> with its public key. The key is parsed once, here.
  /// @param issuer  `iss` of every token; empty = "dps".
  /// @param validity  exp - iat; must be positive.
  [[nodiscard]] static Result<std::unique_ptr<EmbeddedTokenMinter>> load_or_create(
      std::filesystem::path data_dir, std::string issuer, std::chrono::seconds validity,
      const MinterFiles& files = kDeviceTokenFiles);

  ~EmbeddedTokenMinter() override;
  EmbeddedTokenMinter(const EmbeddedTokenMinter&) = delete;
  EmbeddedTokenMinter& operator=(const EmbeddedTokenMinter&) = delete;

  // auth::TokenSource
  /// Claims: iss, iat, exp, jti, `<owner_claim>: owner`, `<device_id_claim>: device_id` when
  /// both are set, aud when set. owner and owner_claim are required; a claim name that collides
  /// with a registered claim dps sets (iss, iat, exp, jti, aud, nbf) is refused.
  /// Thread-safe: the key is shared read-only; each call has its own signing context.
  [[nodiscard]] Result<std::string> token_for(const TokenRequest& request) override;

  /// A general token: `claims` (string values, e.g. {"sub": owner}) plus iss, iat,
  /// exp = iat + `validity`, jti, and `aud` (a string for one audience, an array for several,
  /// omitted for none). Used for the operator's admin token (admin_token.hpp).
  /// @return BadRequest for a registered claim name dps sets (iss, iat, exp, jti, aud, nbf) or
  ///         a non-positive validity. Thread-safe.
  [[nodiscard]] Result<std::string> mint(const std::map<std::string, std::string>& claims,
                                         const std::vector<std::string>& audience,
                                         std::chrono::seconds validity) const;

  /// {"keys":[<the public JWK>]}: what the JWKS file holds.
  std::string jwks_json() const { return jwks_json_; }
  std::string issuer() const { return issuer_; }
  /// RFC 7638 thumbprint of the public key; the `kid` of every token.
  std::string key_id() const { return kid_; }

 private:
  struct KeyFree {
    void operator()(evp_pkey_st* key) const noexcept;
  };
  struct MdFree {
    void operator()(evp_md_st* md) const noexcept;
  };

  EmbeddedTokenMinter() = default;
  Result<std::string> sign(std::string_view signing_input) const;

  std::unique_ptr<evp_pkey_st, KeyFree> key_;
  std::unique_ptr<evp_md_st, MdFree> sha256_;  // fetched once: an implicit fetch per call is slow
  std::string issuer_;
  std::chrono::seconds validity_{0};
  std::string kid_;
  std::string encoded_header_;  // base64url of the fixed JOSE header, with the trailing '.'
  std::string jwks_json_;
};

}  // namespace dps::auth
