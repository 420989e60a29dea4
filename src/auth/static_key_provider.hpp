// StaticKeyProvider: a fixed JWKS given as text or read from a file once at startup.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "auth/jwks.hpp"
#include "auth/key_provider.hpp"
#include "common/result.hpp"

namespace dps::auth {

class StaticKeyProvider final : public KeyProvider {
 public:
  /// @param options  options.issuer is required: the `iss` of the tokens these keys sign.
  /// @return BadRequest when the JWKS does not parse or holds no usable key (a configured key
  ///         set that can verify nothing is a configuration mistake, reported at startup).
  [[nodiscard]] static Result<std::shared_ptr<StaticKeyProvider>> from_json(
      std::string_view jwks_json, const KeySetOptions& options);
  /// from_json() of the file's content; errors name the file.
  [[nodiscard]] static Result<std::shared_ptr<StaticKeyProvider>> from_file(
      const std::filesystem::path& file, const KeySetOptions& options);

  explicit StaticKeyProvider(std::shared_ptr<const KeySet> keys) : keys_(std::move(keys)) {}

  // auth::KeyProvider
  std::shared_ptr<const KeySet> current() override { return keys_; }
  void refresh_soon() override {}

 private:
  const std::shared_ptr<const KeySet> keys_;  // never reassigned: no lock needed
};

}  // namespace dps::auth
