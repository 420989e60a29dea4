#include "tpm/hash_alg.hpp"

#include <openssl/hmac.h>

#include <cassert>
#include <cstdio>

#include "tpm/constants.hpp"

namespace dps::tpm {

Result<const EVP_MD*> digest_of(std::uint16_t hash_alg, const std::string& field) {
  switch (hash_alg) {
    case kAlgSha256:
      return EVP_sha256();
    case kAlgSha384:
      return EVP_sha384();
    case kAlgSha1:
      return fail(ErrorCode::BadRequest,
                  field + ": hash algorithm 0x0004 (SHA-1) refused; use SHA-256");
    default:
      return fail(ErrorCode::BadRequest,
                  field + ": unsupported hash algorithm " + alg_hex(hash_alg));
  }
}

std::size_t digest_size(std::uint16_t hash_alg) {
  switch (hash_alg) {
    case kAlgSha256:
      return 32;
    case kAlgSha384:
      return 48;
    default:
      return 0;
  }
}

Bytes hash(std::uint16_t hash_alg, ByteView data) {
  const auto md = digest_of(hash_alg, "hash");
  assert(md);
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int size = 0;
  // One-shot EVP_Digest fails only on allocation failure: then the result is empty and every
  // comparison with it fails, which is safe.
  if (EVP_Digest(data.data(), data.size(), out.data(), &size, *md, nullptr) != 1) return {};
  out.resize(size);
  return out;
}

Bytes hmac(std::uint16_t hash_alg, ByteView key, ByteView data) {
  const auto md = digest_of(hash_alg, "hmac");
  assert(md);
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int size = 0;
  static const std::uint8_t kEmptyKey = 0;  // HMAC() wants a non-null key pointer
  if (HMAC(*md, key.empty() ? &kEmptyKey : key.data(), static_cast<int>(key.size()), data.data(),
           data.size(), out.data(), &size) == nullptr) {
    return {};
  }
  out.resize(size);
  return out;
}

std::string alg_hex(std::uint16_t alg) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%04x", alg);
  return text;
}

}  // namespace dps::tpm
