#include "auth/signing_key.hpp"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "auth/base64url.hpp"
#include "common/private_file.hpp"

namespace dps::auth {
namespace {

constexpr size_t kCoordinateBytes = 32;  // P-256 (RFC 7518 §6.2.1.2: full length, left-padded)

tl::unexpected<Error> os_error(const std::string& what, const std::filesystem::path& file) {
  return fail(ErrorCode::Internal, what + " \"" + file.string() + "\": " + std::strerror(errno));
}

Result<pki::EvpPkeyPtr> read_key(const std::filesystem::path& file) {
  pki::BioPtr bio(BIO_new_file(file.c_str(), "r"));
  if (!bio) return os_error("cannot open", file);
  pki::EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  std::array<char, 64> group{};
  size_t group_len = 0;
  if (!key || !EVP_PKEY_is_a(key.get(), "EC") ||
      !EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group.data(),
                                      group.size(), &group_len) ||
      std::string_view(group.data(), group_len) != "prime256v1") {
    return fail(ErrorCode::Internal, "\"" + file.string() + "\" is not a P-256 private key (PEM)");
  }
  return key;
}

Result<std::string> coordinate(EVP_PKEY* key, const char* name) {
  BIGNUM* raw = nullptr;
  if (!EVP_PKEY_get_bn_param(key, name, &raw)) {
    return fail(ErrorCode::Internal, "cannot read the public key of the token-signing key");
  }
  pki::BignumPtr value(raw);
  std::array<uint8_t, kCoordinateBytes> bytes{};
  if (BN_bn2binpad(value.get(), bytes.data(), bytes.size()) != kCoordinateBytes) {
    return fail(ErrorCode::Internal, "token-signing key coordinate does not fit 32 bytes");
  }
  return base64url_encode(bytes);
}

}  // namespace

Result<pki::EvpPkeyPtr> load_or_create_p256_key(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) return read_key(file);

  pki::EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return fail(ErrorCode::Internal, "cannot generate a P-256 key");
  pki::BioPtr mem(BIO_new(BIO_s_mem()));
  if (!mem ||
      !PEM_write_bio_PrivateKey(mem.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr)) {
    return fail(ErrorCode::Internal, "cannot encode the token-signing key");
  }
  char* pem = nullptr;
  long pem_len = BIO_get_mem_data(mem.get(), &pem);

  if (auto dir = ensure_private_directory(file.parent_path()); !dir) {
    return tl::unexpected(dir.error());
  }
  // Linked into place only if absent: if another process created the key meanwhile, use theirs.
  auto created = create_file_exclusively(file, std::string_view(pem, static_cast<size_t>(pem_len)),
                                         kSecretFileMode);
  if (!created) return tl::unexpected(created.error());
  if (!*created) return read_key(file);
  return key;
}

Result<PublicJwk> public_jwk(EVP_PKEY* key) {
  auto x = coordinate(key, OSSL_PKEY_PARAM_EC_PUB_X);
  if (!x) return tl::unexpected(x.error());
  auto y = coordinate(key, OSSL_PKEY_PARAM_EC_PUB_Y);
  if (!y) return tl::unexpected(y.error());
  PublicJwk jwk{*x, *y, {}, {}};
  // RFC 7638 §3.2: required members only, lexicographic order, no whitespace.
  std::string canonical =
      R"({"crv":"P-256","kty":"EC","x":")" + jwk.x + R"(","y":")" + jwk.y + R"("})";
  std::array<uint8_t, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const uint8_t*>(canonical.data()), canonical.size(), digest.data());
  jwk.kid = base64url_encode(digest);
  jwk.json = R"({"alg":"ES256","crv":"P-256","kid":")" + jwk.kid +
             R"(","kty":"EC","use":"sig","x":")" + jwk.x + R"(","y":")" + jwk.y + R"("})";
  return jwk;
}

Result<void> write_public_file(const std::filesystem::path& file, std::string_view content) {
  return write_file_atomically(file, content, kPublicFileMode);
}

}  // namespace dps::auth
