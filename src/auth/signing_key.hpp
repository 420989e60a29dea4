// The token-signing key on disk and its public JWK. Internal to dps_auth.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "pki/x509_ptr.hpp"

namespace dps::auth {

/// Loads the P-256 private key in `file` (PEM), or creates it (mode 0600) when absent.
/// Creation is race-free between processes: the key is written to a temporary file and linked
/// into place, so if two start together, both end up using the one that won.
Result<pki::EvpPkeyPtr> load_or_create_p256_key(const std::filesystem::path& file);

struct PublicJwk {
  std::string x;     // base64url of the 32-byte affine X coordinate
  std::string y;     // base64url of the 32-byte affine Y coordinate
  std::string kid;   // RFC 7638 thumbprint
  std::string json;  // {"alg":"ES256","crv":"P-256","kid":..,"kty":"EC","use":"sig","x":..,"y":..}
};

Result<PublicJwk> public_jwk(EVP_PKEY* key);

/// Writes `content` to `file` atomically (temporary file + rename), world-readable (0644).
Result<void> write_public_file(const std::filesystem::path& file, std::string_view content);

}  // namespace dps::auth
