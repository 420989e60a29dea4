#include "auth/static_key_provider.hpp"

#include "pki/pem.hpp"

namespace dps::auth {

Result<std::shared_ptr<StaticKeyProvider>> StaticKeyProvider::from_json(
    std::string_view jwks_json, const KeySetOptions& options) {
  auto keys = KeySet::parse(jwks_json, options);
  if (!keys) return tl::unexpected(keys.error());
  if ((*keys)->size() == 0) {
    std::string why;
    for (const auto& line : (*keys)->skipped()) why += "; " + line;
    return fail(ErrorCode::BadRequest, "JWKS has no usable verification key" + why);
  }
  return std::make_shared<StaticKeyProvider>(std::move(*keys));
}

Result<std::shared_ptr<StaticKeyProvider>> StaticKeyProvider::from_file(
    const std::filesystem::path& file, const KeySetOptions& options) {
  auto text = pki::read_file(file);
  if (!text) return tl::unexpected(text.error());
  auto provider = from_json(*text, options);
  if (!provider) {
    return fail(provider.error().code, "\"" + file.string() + "\": " + provider.error().internal);
  }
  return provider;
}

}  // namespace dps::auth
