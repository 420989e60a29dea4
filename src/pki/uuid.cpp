#include "pki/uuid.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

#include "common/hex.hpp"
#include "pki/pem.hpp"
#include "pki/x509_ptr.hpp"

namespace dps::pki {

namespace {

// Offsets of the dashes in the canonical form 8-4-4-4-12.
constexpr bool is_dash_position(size_t i) { return i == 8 || i == 13 || i == 18 || i == 23; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 4122 §4.1.1 variant (10xx) and §4.1.3 version nibble.
void set_version(Uuid& id, uint8_t version) {
  id.bytes[6] = static_cast<uint8_t>((id.bytes[6] & 0x0f) | (version << 4));
  id.bytes[8] = static_cast<uint8_t>((id.bytes[8] & 0x3f) | 0x80);
}

// These functions have no error path (an id is always produced), and a process whose CSPRNG or
// SHA-1 does not work cannot issue anything safely: a zero "random" UUID would be a guessable
// verification code. So stop loudly, in release builds too (assert vanishes under NDEBUG).
[[noreturn]] void crypto_failure(const char* what) {
  std::fprintf(stderr, "dps: fatal: %s failed: %s; stopping\n", what,
               openssl_error_string().c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace

std::string Uuid::to_string() const {
  std::string out = to_hex(std::span<const unsigned char>(bytes));
  // 8-4-4-4-12: the dashes go in from the back, so earlier positions stay where they were.
  for (size_t at : {20, 16, 12, 8}) out.insert(at, 1, '-');
  return out;
}

bool Uuid::is_nil() const {
  for (uint8_t b : bytes) {
    if (b != 0) return false;
  }
  return true;
}

std::optional<Uuid> Uuid::from_ocf_common_name(std::string_view cn) {
  constexpr std::string_view kPrefix = "uuid:";
  if (!cn.starts_with(kPrefix)) return std::nullopt;
  auto id = parse(cn.substr(kPrefix.size()));
  if (!id || id->is_nil()) return std::nullopt;
  return id;
}

std::optional<Uuid> Uuid::parse(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  Uuid id;
  size_t nibble = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (is_dash_position(i)) {
      if (text[i] != '-') return std::nullopt;
      continue;
    }
    const int v = hex_value(text[i]);
    if (v < 0) return std::nullopt;
    uint8_t& b = id.bytes[nibble / 2];
    b = static_cast<uint8_t>(nibble % 2 == 0 ? v << 4 : b | v);
    ++nibble;
  }
  return id;
}

Uuid uuid_v5(const Uuid& name_space, std::span<const uint8_t> name) {
  unsigned char digest[EVP_MAX_MD_SIZE] = {};
  unsigned int digest_len = 0;
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  // SHA-1 over namespace || name; these calls fail only on allocation failure.
  const bool ok =
      ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha1(), nullptr) == 1 &&
      EVP_DigestUpdate(ctx.get(), name_space.bytes.data(), name_space.bytes.size()) == 1 &&
      EVP_DigestUpdate(ctx.get(), name.data(), name.size()) == 1 &&
      EVP_DigestFinal_ex(ctx.get(), digest, &digest_len) == 1;
  if (!ok || digest_len < 16) crypto_failure("SHA-1 for a UUIDv5");
  Uuid id;
  for (size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = digest[i];
  set_version(id, 5);
  return id;
}

Uuid random_uuid_v4() {
  Uuid id;
  // RAND_bytes fails only when the DRBG cannot be seeded; the process is then unusable for any
  // cryptography.
  if (RAND_bytes(id.bytes.data(), static_cast<int>(id.bytes.size())) != 1) {
    crypto_failure("RAND_bytes for a UUIDv4");
  }
  set_version(id, 4);
  return id;
}

std::string owner_to_uuid(std::string_view owner) {
  if (auto id = Uuid::parse(owner); id && !id->is_nil()) return id->to_string();
  const auto* data = reinterpret_cast<const uint8_t*>(owner.data());
  return uuid_v5(kNamespaceUrl, std::span<const uint8_t>(data, owner.size())).to_string();
}

std::string registration_id(X509* leaf) {
  unsigned char* der = nullptr;
  const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(leaf), &der);
  if (len <= 0) return {};
  OpenSslBytesPtr owned(der);
  return uuid_v5(kNamespaceX500, std::span<const uint8_t>(der, static_cast<size_t>(len)))
      .to_string();
}

}  // namespace dps::pki
