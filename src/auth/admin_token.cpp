#include "auth/admin_token.hpp"

#include "auth/jwt_verifier.hpp"
#include "pki/pem.hpp"

namespace dps::auth {
namespace {

constexpr const char* kAdminTokenFile = "admin.token";
// Tolerated between the configured validity and a kept token's remaining life (clock steps,
// the seconds between minting and this check).
constexpr int64_t kLifetimeSlack = 60;

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Re-minted past half its life: a dps restarted at least that often never hands dpsctl a token
// about to expire, and a stolen copy of an older file dies within one validity period.
bool fresh_enough(const VerifiedToken& token, const AdminTokenRequest& request, int64_t now) {
  const int64_t life = token.expires_at - token.issued_at;
  if (token.issued_at <= 0 || life <= 0) return false;
  if (token.expires_at > now + request.validity.count() + kLifetimeSlack) return false;
  if (!token.string_claims.contains("jti")) return false;
  return now < token.issued_at + life / 2;
}

}  // namespace

Result<std::string> mint_admin_token(const EmbeddedTokenMinter& minter,
                                     const AdminTokenRequest& request) {
  if (request.owner.empty() || request.owner_claim.empty()) {
    return fail(ErrorCode::BadRequest, "admin token without owner or owner claim");
  }
  std::vector<std::string> audience{std::string(kAdminTokenAudience)};
  if (!request.audience.empty() && request.audience != kAdminTokenAudience) {
    audience.push_back(request.audience);
  }
  // mint() sets iss (the minter's issuer, which admin_token_keys() pins) and a random jti.
  return minter.mint({{request.owner_claim, request.owner}}, audience, request.validity);
}

Result<AdminTokenFile> load_or_create_admin_token(const EmbeddedTokenMinter& minter,
                                                  const std::filesystem::path& data_dir,
                                                  const AdminTokenRequest& request) {
  return load_or_create_admin_token_at(minter, data_dir, request, unix_now());
}

Result<AdminTokenFile> load_or_create_admin_token_at(const EmbeddedTokenMinter& minter,
                                                     const std::filesystem::path& data_dir,
                                                     const AdminTokenRequest& request,
                                                     int64_t now) {
  const auto file = data_dir / kAdminTokenFile;
  AdminTokenFile out;
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) {
    auto existing = pki::read_file(file);
    if (!existing) return tl::unexpected(existing.error());
    while (!existing->empty() && (existing->back() == '\n' || existing->back() == '\r')) {
      existing->pop_back();
    }
    auto keys = admin_token_keys(minter);
    if (!keys) return tl::unexpected(keys.error());
    JwtVerifier verifier({request.owner_claim, request.audience, std::chrono::seconds{0}}, *keys);
    if (auto verified = verifier.verify_at(*existing, now); verified) {
      if (verified->owner == request.owner && fresh_enough(*verified, request, now)) {
        out.token = std::move(*existing);
        return out;
      }
      if (auto jti = verified->string_claims.find("jti"); jti != verified->string_claims.end()) {
        out.replaced = TokenId{jti->second, verified->expires_at};
      }
    }
  }
  auto token = mint_admin_token(minter, request);
  if (!token) return tl::unexpected(token.error());
  if (auto written = pki::write_file(file, *token + "\n", pki::FileMode::Secret); !written) {
    return tl::unexpected(written.error());
  }
  out.token = std::move(*token);
  out.minted = true;
  return out;
}

Result<std::shared_ptr<StaticKeyProvider>> admin_token_keys(const EmbeddedTokenMinter& minter) {
  return StaticKeyProvider::from_json(
      minter.jwks_json(), KeySetOptions{minter.issuer(), std::string(kAdminTokenAudience)});
}

}  // namespace dps::auth
