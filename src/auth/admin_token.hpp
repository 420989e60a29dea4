// The operator's admin token: a long-lived management API bearer token that dps mints with its
// own signing key on first start and leaves in <dataDirectory>/admin.token (0600), so the
// embedded default works without an external OAuth authority.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "auth/embedded_token_minter.hpp"
#include "auth/static_key_provider.hpp"
#include "common/result.hpp"

namespace dps::auth {

/// Audience every admin token carries and admin_token_keys() demands. dps's key also signs the
/// hub tokens handed to devices; without this pin, such a token (owner claim included) would be
/// a management API credential for its owner.
inline constexpr std::string_view kAdminTokenAudience = "urn:dps:management-api";

struct AdminTokenRequest {
  std::string owner;                // value of the owner claim
  std::string owner_claim = "sub";  // the API's configured ownerClaim
  std::string audience;             // the API's configured audience, if any (added to `aud`)
  std::chrono::seconds validity = std::chrono::hours(24 * 365 * 10);
};

/// A token with `<owner_claim>: owner` and aud = [kAdminTokenAudience (, audience)].
/// @return BadRequest for an empty owner, an owner claim dps sets itself (iss, exp, ...) or a
///         non-positive validity.
[[nodiscard]] Result<std::string> mint_admin_token(const EmbeddedTokenMinter& minter,
                                                   const AdminTokenRequest& request);

/// <data_dir>/admin.token: kept when it exists and still verifies (key, expiry, owner claim,
/// audience) for `request`; otherwise minted and written (0600, atomically) again. Returns the
/// token. Whoever can read the file can read the signing key beside it, so re-minting a stale
/// token gives nothing away.
[[nodiscard]] Result<std::string> load_or_create_admin_token(const EmbeddedTokenMinter& minter,
                                                             const std::filesystem::path& data_dir,
                                                             const AdminTokenRequest& request);

/// The key provider that accepts admin tokens: the minter's JWKS, pinned to kAdminTokenAudience.
/// Combine it with an OidcKeyProvider in a CompositeKeyProvider to accept both.
[[nodiscard]] Result<std::shared_ptr<StaticKeyProvider>> admin_token_keys(
    const EmbeddedTokenMinter& minter);

}  // namespace dps::auth
