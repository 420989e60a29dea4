// The operator's admin token: a management API bearer token that dps mints with its own API key
// (api-token-signing.key, never the key of device tokens) and leaves in
// <dataDirectory>/admin.token (0600), so the embedded default works without an external OAuth
// authority. Its lifetime is bounded (apis.http.adminToken.validity), it carries a random `jti`
// (revocable: `dps revoke-token`) and dps's own issuer.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/embedded_token_minter.hpp"
#include "auth/static_key_provider.hpp"
#include "auth/token_id.hpp"
#include "common/result.hpp"

namespace dps::auth {

/// Audience every admin token carries and admin_token_keys() demands. dps's key also signs the
/// hub tokens handed to devices; without this pin, such a token (owner claim included) would be
/// a management API credential for its owner.
inline constexpr std::string_view kAdminTokenAudience = "urn:dps:management-api";
/// `iss` of every admin token, and the only issuer admin_token_keys() accepts: the API key's
/// minter must be created with it.
inline constexpr std::string_view kAdminTokenIssuer = "dps";
/// Default of apis.http.adminToken.validity (see schema.cpp for why a week).
inline constexpr std::chrono::seconds kDefaultAdminTokenValidity = std::chrono::hours(24 * 7);

struct AdminTokenRequest {
  std::string owner;                // value of the owner claim
  std::string owner_claim = "sub";  // the API's configured ownerClaim
  std::string audience;             // the API's configured audience, if any (added to `aud`)
  std::chrono::seconds validity = kDefaultAdminTokenValidity;
};

/// What load_or_create_admin_token() left in the file.
struct AdminTokenFile {
  std::string token;
  bool minted = false;  // false: the file's token was kept
  /// The token the file held before, when it was replaced while still valid (for another owner,
  /// past half its life, or longer-lived than the configured validity): revoke it, or it stays
  /// usable by anyone who copied it until its own expiry.
  std::optional<TokenId> replaced;
};

/// A token with `<owner_claim>: owner`, aud = [kAdminTokenAudience (, audience)], a random jti,
/// iss = the minter's issuer.
/// @return BadRequest for an empty owner, an owner claim dps sets itself (iss, exp, ...) or a
///         non-positive validity.
[[nodiscard]] Result<std::string> mint_admin_token(const EmbeddedTokenMinter& minter,
                                                   const AdminTokenRequest& request);

/// <data_dir>/admin.token: kept when it still verifies for `request` (key, issuer, owner claim,
/// audience), has a jti, is less than half-way through its life and lives no longer than
/// `request.validity`; otherwise minted and written (0600, atomically) again. Whoever can read
/// the file can read the signing key beside it, so re-minting gives nothing away.
[[nodiscard]] Result<AdminTokenFile> load_or_create_admin_token(
    const EmbeddedTokenMinter& minter, const std::filesystem::path& data_dir,
    const AdminTokenRequest& request);
/// load_or_create_admin_token() judging the file's token at `now` (seconds since the Unix
/// epoch) instead of the clock, for tests. A token minted here is still minted at the clock's time.
[[nodiscard]] Result<AdminTokenFile> load_or_create_admin_token_at(
    const EmbeddedTokenMinter& minter, const std::filesystem::path& data_dir,
    const AdminTokenRequest& request, int64_t now);

/// The key provider that accepts admin tokens: the minter's JWKS, pinned to kAdminTokenAudience
/// and to the minter's issuer. Combine it with an OidcKeyProvider in a CompositeKeyProvider to
/// accept both.
[[nodiscard]] Result<std::shared_ptr<StaticKeyProvider>> admin_token_keys(
    const EmbeddedTokenMinter& minter);

}  // namespace dps::auth
