#include "tpm/software_keys.hpp"

#include <openssl/core_names.h>

#include "tpm/constants.hpp"
#include "tpm/ossl_ptr.hpp"
#include "tpm/public_key.hpp"
#include "tpm/try.hpp"

namespace dps::tpm {

namespace {

// PolicySecret(TPM_RH_ENDORSEMENT) with SHA-256: the authPolicy of the TCG EK templates (EK
// Credential Profile 2.0 §B.3.3), which is why activating a credential needs a policy session.
constexpr std::uint8_t kEkPolicySha256[32] = {
    0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
    0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa};

constexpr std::uint32_t kEkAttributes = kAttrFixedTpm | kAttrFixedParent |
                                        kAttrSensitiveDataOrigin | kAttrAdminWithPolicy |
                                        kAttrRestricted | kAttrDecrypt;  // 0x000300b2

Result<void> fill_key(EVP_PKEY* key, PublicArea& a) {
  if (EVP_PKEY_is_a(key, "RSA")) {
    BIGNUM* n = nullptr;
    BIGNUM* e = nullptr;
    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e);
    const BnPtr bn(n), be(e);
    if (!bn || !be || BN_num_bits(bn.get()) != 2048) {
      return fail(ErrorCode::BadRequest, "key: not an RSA 2048 key");
    }
    a.type = kAlgRsa;
    a.rsa_key_bits = 2048;
    a.rsa_exponent =
        BN_is_word(be.get(), 65537) ? 0 : static_cast<std::uint32_t>(BN_get_word(be.get()));
    a.rsa_modulus.resize(256);
    BN_bn2binpad(bn.get(), a.rsa_modulus.data(), 256);
    return {};
  }
  DPS_TPM_TRY(point, p256_coordinates(key));
  a.type = kAlgEcc;
  a.ecc_curve = kEccNistP256;
  a.ecc_kdf = kAlgNull;
  a.ecc_x = std::move(point->first);
  a.ecc_y = std::move(point->second);
  return {};
}

Result<PublicArea> finish(PublicArea a) {
  // Through the parser: what we hand out is exactly what a peer's bytes would parse to.
  return parse_tpmt_public(encode_tpmt_public(a));
}

}  // namespace

std::uint32_t default_ak_attributes() {
  return kAttrFixedTpm | kAttrFixedParent | kAttrSensitiveDataOrigin | kAttrUserWithAuth |
         kAttrRestricted | kAttrSign;  // 0x00050072, tpm2_createak's default
}

Result<PublicArea> make_ek_public(EVP_PKEY* key) {
  PublicArea a;
  DPS_TPM_CHECK(fill_key(key, a));
  a.name_alg = kAlgSha256;
  a.attributes = kEkAttributes;
  a.auth_policy.assign(std::begin(kEkPolicySha256), std::end(kEkPolicySha256));
  a.symmetric = {.algorithm = kAlgAes, .key_bits = 128, .mode = kAlgCfb};
  a.scheme = kAlgNull;
  return finish(std::move(a));
}

Result<PublicArea> make_ak_public(EVP_PKEY* key) {
  return make_ak_public(key, default_ak_attributes());
}

Result<PublicArea> make_ak_public(EVP_PKEY* key, std::uint32_t attributes) {
  PublicArea a;
  DPS_TPM_CHECK(fill_key(key, a));
  a.name_alg = kAlgSha256;
  a.attributes = attributes;
  a.symmetric = {.algorithm = kAlgNull, .key_bits = 0, .mode = 0};
  a.scheme = a.type == kAlgRsa ? kAlgRsassa : kAlgEcdsa;
  a.scheme_hash = kAlgSha256;
  return finish(std::move(a));
}

}  // namespace dps::tpm
