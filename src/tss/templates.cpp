#include "tss/templates.hpp"

#include <algorithm>
#include <iterator>

namespace dps::tss {
namespace {

// PolicySecret(TPM_RH_ENDORSEMENT) with SHA-256 (EK Credential Profile 2.0 §B.3.3).
constexpr BYTE kEkPolicySha256[32] = {
    0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
    0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa};

constexpr TPMA_OBJECT kEkAttributes =
    TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
    TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;

constexpr TPMA_OBJECT kSigningKeyAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                              TPMA_OBJECT_SENSITIVEDATAORIGIN |
                                              TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_SIGN_ENCRYPT;

void aes128_cfb(TPMT_SYM_DEF_OBJECT& symmetric) {
  symmetric.algorithm = TPM2_ALG_AES;
  symmetric.keyBits.aes = 128;
  symmetric.mode.aes = TPM2_ALG_CFB;
}

// ECC P-256 with `unique_size` zero bytes in x and y (0 for keys whose unique the TPM ignores).
TPM2B_PUBLIC ecc_p256(TPMA_OBJECT attributes, TPM2_ALG_ID scheme, UINT16 unique_size) {
  TPM2B_PUBLIC out{};
  TPMT_PUBLIC& area = out.publicArea;
  area.type = TPM2_ALG_ECC;
  area.nameAlg = TPM2_ALG_SHA256;
  area.objectAttributes = attributes;
  TPMS_ECC_PARMS& ecc = area.parameters.eccDetail;
  ecc.symmetric.algorithm = TPM2_ALG_NULL;
  ecc.scheme.scheme = scheme;
  if (scheme == TPM2_ALG_ECDSA) ecc.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  ecc.curveID = TPM2_ECC_NIST_P256;
  ecc.kdf.scheme = TPM2_ALG_NULL;
  area.unique.ecc.x.size = unique_size;
  area.unique.ecc.y.size = unique_size;
  return out;
}

TPM2B_PUBLIC signing_key(TPMA_OBJECT attributes) { return ecc_p256(attributes, TPM2_ALG_ECDSA, 0); }

}  // namespace

TPM2B_PUBLIC ek_template(EkKind kind) {
  TPM2B_PUBLIC out{};
  if (kind == EkKind::P256) {
    out = ecc_p256(kEkAttributes, TPM2_ALG_NULL, 32);
    aes128_cfb(out.publicArea.parameters.eccDetail.symmetric);
  } else {
    TPMT_PUBLIC& area = out.publicArea;
    area.type = TPM2_ALG_RSA;
    area.nameAlg = TPM2_ALG_SHA256;
    area.objectAttributes = kEkAttributes;
    TPMS_RSA_PARMS& rsa = area.parameters.rsaDetail;
    aes128_cfb(rsa.symmetric);
    rsa.scheme.scheme = TPM2_ALG_NULL;
    rsa.keyBits = 2048;
    rsa.exponent = 0;  // 65537
    area.unique.rsa.size = 256;
  }
  TPM2B_DIGEST& policy = out.publicArea.authPolicy;
  policy.size = sizeof(kEkPolicySha256);
  std::copy(std::begin(kEkPolicySha256), std::end(kEkPolicySha256), policy.buffer);
  return out;
}

TPM2B_PUBLIC ak_template() { return signing_key(kSigningKeyAttributes | TPMA_OBJECT_RESTRICTED); }

TPM2B_PUBLIC identity_key_template() { return signing_key(kSigningKeyAttributes); }

TPM2B_PUBLIC storage_key_template() {
  TPM2B_PUBLIC out = ecc_p256(TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                  TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                                  TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT,
                              TPM2_ALG_NULL, 32);
  aes128_cfb(out.publicArea.parameters.eccDetail.symmetric);
  return out;
}

}  // namespace dps::tss
