#include "tpm/public_key.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>

#include "tpm/constants.hpp"
#include "tpm/hash_alg.hpp"
#include "tpm/try.hpp"

namespace dps::tpm {

namespace {

constexpr std::uint32_t kDefaultRsaExponent =
    65537;  // TPMS_RSA_PARMS.exponent 0 (Part 2 §12.2.3.5)

Result<PkeyPtr> pkey_from_params(const char* type, OSSL_PARAM_BLD* bld) {
  const ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  const PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    // For EC this is also where a point off the curve is refused. The peer's bad key must not
    // leave entries in this thread's OpenSSL error queue for unrelated code to find.
    ERR_clear_error();
    return fail(ErrorCode::BadRequest,
                std::string("TPMT_PUBLIC.unique: not a valid ") + type + " public key");
  }
  return PkeyPtr(raw);
}

}  // namespace

Result<PkeyPtr> to_evp_pkey(const PublicArea& area) {
  const ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld) return fail(ErrorCode::Internal, "OSSL_PARAM_BLD_new failed");
  if (area.type == kAlgRsa) {
    const BnPtr n(
        BN_bin2bn(area.rsa_modulus.data(), static_cast<int>(area.rsa_modulus.size()), nullptr));
    const BnPtr e(BN_new());
    if (!n || !e ||
        BN_set_word(e.get(), area.rsa_exponent == 0 ? kDefaultRsaExponent : area.rsa_exponent) !=
            1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
      return fail(ErrorCode::Internal, "building RSA parameters failed");
    }
    return pkey_from_params("RSA", bld.get());
  }
  if (area.type != kAlgEcc || area.ecc_curve != kEccNistP256) {
    return fail(ErrorCode::BadRequest, "TPMT_PUBLIC.type: not an RSA or P-256 key");
  }
  return p256_public_key(area.ecc_x, area.ecc_y, "TPMT_PUBLIC.unique.ecc");
}

Result<PkeyPtr> p256_public_key(ByteView x, ByteView y, std::string_view field) {
  if (x.size() != 32 || y.size() != 32) {
    return fail(ErrorCode::BadRequest, std::string(field) + ": not a P-256 point (32-byte x, y)");
  }
  // Uncompressed SEC1 point 04 || x || y.
  Bytes point{0x04};
  point.insert(point.end(), x.begin(), x.end());
  point.insert(point.end(), y.begin(), y.end());
  const ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, SN_X9_62_prime256v1,
                                      0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return fail(ErrorCode::Internal, "building EC parameters failed");
  }
  auto key = pkey_from_params("EC", bld.get());
  if (!key) return fail(ErrorCode::BadRequest, std::string(field) + ": not a point of P-256");
  return key;
}

Result<std::pair<Bytes, Bytes>> p256_coordinates(EVP_PKEY* key) {
  char group[32] = {};
  if (!EVP_PKEY_is_a(key, "EC") ||
      EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                     nullptr) != 1 ||
      std::strcmp(group, SN_X9_62_prime256v1) != 0) {
    return fail(ErrorCode::BadRequest, "key: not an EC P-256 key");
  }
  BIGNUM* x = nullptr;
  BIGNUM* y = nullptr;
  EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x);
  EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
  const BnPtr bx(x), by(y);
  Bytes xb(32), yb(32);
  if (!bx || !by || BN_bn2binpad(bx.get(), xb.data(), 32) < 0 ||
      BN_bn2binpad(by.get(), yb.data(), 32) < 0) {
    return fail(ErrorCode::Internal, "reading an EC point failed");
  }
  return std::pair{std::move(xb), std::move(yb)};
}

Result<Bytes> spki_der(EVP_PKEY* key) {
  // One call that allocates: OpenSSL 3.0 runs its whole encoder lookup on every i2d_PUBKEY, so
  // asking for the size first would pay it twice (most of a TPM challenge's cost).
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(key, &der);
  if (size <= 0 || der == nullptr) return fail(ErrorCode::Internal, "i2d_PUBKEY failed");
  Bytes out(der, der + size);
  OPENSSL_free(der);
  return out;
}

Result<std::string> spki_sha256_hex(EVP_PKEY* key) {
  DPS_TPM_TRY(der, spki_der(key));
  return to_hex(hash(kAlgSha256, *der));
}

Result<std::string> key_hash(const PublicArea& area) {
  DPS_TPM_TRY(key, to_evp_pkey(area));  // also refuses a point that is not on the curve
  if (area.type != kAlgEcc || area.ecc_x.size() > 32 || area.ecc_y.size() > 32) {
    return spki_sha256_hex(key->get());
  }
  // A P-256 SubjectPublicKeyInfo is a fixed header and the uncompressed point: written here, it
  // costs nothing, where OpenSSL 3.0's i2d_PUBKEY looks its encoders up on every call (most of a
  // TPM challenge's cost). The unit tests compare it with i2d_PUBKEY's.
  static constexpr std::uint8_t kP256SpkiHeader[] = {
      0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
      0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04};
  constexpr std::size_t kCoordinate = 32;
  Bytes der(std::begin(kP256SpkiHeader), std::end(kP256SpkiHeader));
  for (const Bytes* coordinate : {&area.ecc_x, &area.ecc_y}) {
    der.insert(der.end(), kCoordinate - coordinate->size(), 0);  // left-pad a short TPM2B
    der.insert(der.end(), coordinate->begin(), coordinate->end());
  }
  return to_hex(hash(kAlgSha256, der));
}

Result<std::string> key_hash_of_pem(std::string_view pem) {
  static constexpr std::string_view kEnd = "-----END PUBLIC KEY-----";
  const std::size_t end = pem.find(kEnd);
  if (end == std::string_view::npos) {
    return fail(ErrorCode::BadRequest, "EK PEM: no \"PUBLIC KEY\" block");
  }
  // Only whitespace may follow the block: a second key would otherwise be ignored silently.
  for (const char c : pem.substr(end + kEnd.size())) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') {
      return fail(ErrorCode::BadRequest, "EK PEM: data after the PUBLIC KEY block");
    }
  }
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return fail(ErrorCode::Internal, "BIO_new_mem_buf failed");
  const PkeyPtr key(PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  if (!key) {
    ERR_clear_error();
    return fail(ErrorCode::BadRequest, "EK PEM: not a PEM SubjectPublicKeyInfo");
  }
  const bool rsa2048 = EVP_PKEY_is_a(key.get(), "RSA") && EVP_PKEY_get_bits(key.get()) == 2048;
  char group[32] = {};
  const bool p256 = EVP_PKEY_is_a(key.get(), "EC") &&
                    EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group,
                                                   sizeof group, nullptr) == 1 &&
                    std::strcmp(group, SN_X9_62_prime256v1) == 0;
  if (!rsa2048 && !p256) {
    return fail(ErrorCode::BadRequest, "EK PEM: key is neither RSA 2048 nor EC P-256");
  }
  return spki_sha256_hex(key.get());
}

}  // namespace dps::tpm
