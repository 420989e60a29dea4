#include "pki/device_key.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cctype>

#include "common/hex.hpp"
#include "pki/pem.hpp"
#include "pki/x509_util.hpp"

namespace dps::pki {
namespace {

constexpr size_t kHashHexDigits = 64;

Result<void> check_device_key(EVP_PKEY* key) {
  if (device_curve(key)) return {};
  return fail(ErrorCode::BadRequest,
              "the device key is " + describe_key(key) + "; devices hold EC P-256 or P-384 keys");
}

Result<std::string> hash_of(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  if (len <= 0) return fail(ErrorCode::BadRequest, "public key does not encode");
  OpenSslBytesPtr owned(der);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(der, static_cast<size_t>(len), digest, &digest_len, EVP_sha256(), nullptr) != 1) {
    return fail(ErrorCode::Internal, "SHA-256: " + openssl_error_string());
  }
  return to_hex(std::span<const unsigned char>(digest, digest_len));
}

}  // namespace

Result<std::string> device_key_hash_of_certificate(std::string_view pem) {
  auto certs = parse_certificates_pem(pem);
  if (!certs) return tl::unexpected(certs.error());
  EVP_PKEY* key = X509_get0_pubkey(certs->front().get());
  if (key == nullptr) return fail(ErrorCode::BadRequest, "certificate holds no usable public key");
  if (auto ok = check_device_key(key); !ok) return tl::unexpected(ok.error());
  auto hash = spki_sha256_hex(certs->front().get());
  if (hash.empty()) return fail(ErrorCode::BadRequest, "certificate key does not encode");
  return hash;
}

Result<std::string> device_key_hash_of_public_key(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return fail(ErrorCode::Internal, "out of memory");
  EvpPkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    openssl_error_string();  // drain: the reason is always "not a PEM public key" here
    return fail(ErrorCode::BadRequest, "not a PEM public key (\"-----BEGIN PUBLIC KEY-----\")");
  }
  if (auto ok = check_device_key(key.get()); !ok) return tl::unexpected(ok.error());
  return hash_of(key.get());
}

Result<std::string> parse_device_key_hash(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) break;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (out.size() != kHashHexDigits || text.size() != kHashHexDigits) {
    return fail(ErrorCode::BadRequest,
                "must be the SHA-256 of the device's SubjectPublicKeyInfo: 64 hex digits");
  }
  return out;
}

}  // namespace dps::pki
