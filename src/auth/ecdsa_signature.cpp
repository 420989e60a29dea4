#include "auth/ecdsa_signature.hpp"

#include <openssl/bn.h>
#include <openssl/ec.h>

#include <memory>

#include "pki/x509_ptr.hpp"

namespace dps::auth {
namespace {

using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, pki::detail::OpenSslDeleter<ECDSA_SIG_free>>;

}  // namespace

Result<std::string> ecdsa_der_to_jose(std::span<const uint8_t> der, size_t coordinate_bytes) {
  const uint8_t* cursor = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size())));
  if (!sig) return fail(ErrorCode::Internal, "cannot decode the ECDSA signature");
  std::string raw(2 * coordinate_bytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  const int width = static_cast<int>(coordinate_bytes);
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, width) < 0 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + coordinate_bytes, width) < 0) {
    return fail(ErrorCode::Internal, "ECDSA signature component too large");
  }
  return raw;
}

Result<std::vector<uint8_t>> ecdsa_jose_to_der(std::string_view raw) {
  if (raw.empty() || raw.size() % 2 != 0) {
    return fail(ErrorCode::BadRequest, "ECDSA signature is not R || S");
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  const int half = static_cast<int>(raw.size() / 2);
  pki::BignumPtr r(BN_bin2bn(bytes, half, nullptr));
  pki::BignumPtr s(BN_bin2bn(bytes + half, half, nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return fail(ErrorCode::Internal, "cannot build an ECDSA signature");
  }
  // ECDSA_SIG_set0 took ownership of r and s.
  (void)r.release();
  (void)s.release();
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) return fail(ErrorCode::Internal, "cannot encode an ECDSA signature");
  pki::OpenSslBytesPtr owned(der);
  return std::vector<uint8_t>(der, der + der_len);
}

}  // namespace dps::auth
