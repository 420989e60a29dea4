#include "auth/admin_token.hpp"

#include "auth/jwt_verifier.hpp"
#include "pki/pem.hpp"

namespace dps::auth {
namespace {

constexpr const char* kAdminTokenFile = "admin.token";

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
  return minter.mint({{request.owner_claim, request.owner}}, audience, request.validity);
}

Result<std::string> load_or_create_admin_token(const EmbeddedTokenMinter& minter,
                                               const std::filesystem::path& data_dir,
                                               const AdminTokenRequest& request) {
  const auto file = data_dir / kAdminTokenFile;
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) {
    auto existing = pki::read_file(file);
    if (!existing) return existing;
    while (!existing->empty() && (existing->back() == '\n' || existing->back() == '\r')) {
      existing->pop_back();
    }
    auto keys = admin_token_keys(minter);
    if (!keys) return tl::unexpected(keys.error());
    JwtVerifier verifier({request.owner_claim, request.audience, std::chrono::seconds{0}}, *keys);
    auto verified = verifier.verify(*existing);
    if (verified && verified->owner == request.owner) return existing;
  }
  auto token = mint_admin_token(minter, request);
  if (!token) return token;
  if (auto written = pki::write_file(file, *token + "\n", pki::FileMode::Secret); !written) {
    return tl::unexpected(written.error());
  }
  return token;
}

Result<std::shared_ptr<StaticKeyProvider>> admin_token_keys(const EmbeddedTokenMinter& minter) {
  return StaticKeyProvider::from_json(minter.jwks_json(),
                                      KeySetOptions{std::string(kAdminTokenAudience)});
}

}  // namespace dps::auth
