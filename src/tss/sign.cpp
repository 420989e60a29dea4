#include "tss/sign.hpp"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>

#include <algorithm>
#include <string>

#include "tpm/ossl_ptr.hpp"
#include "tss/esys.hpp"

namespace dps::tss {

Result<tpm::Bytes> sign_digest(ESYS_CONTEXT* esys, ESYS_TR key,
                               std::span<const std::uint8_t> digest) {
  TPM2B_DIGEST in{};
  if (digest.size() != 32) {
    return fail(ErrorCode::BadRequest, "TPM2_Sign: signs SHA-256 digests only, not " +
                                           std::to_string(digest.size()) + " bytes");
  }
  in.size = static_cast<UINT16>(digest.size());
  std::copy(digest.begin(), digest.end(), in.buffer);
  // Named rather than the key's (TPM2_ALG_NULL): a key made without a scheme signs too, and the
  // answer is an ECDSA signature whichever key it is.
  TPMT_SIG_SCHEME scheme{};
  scheme.scheme = TPM2_ALG_ECDSA;
  scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  // A NULL ticket: the digest is not of TPM-made data, which only restricted keys care about.
  TPMT_TK_HASHCHECK validation{};
  validation.tag = TPM2_ST_HASHCHECK;
  validation.hierarchy = TPM2_RH_NULL;
  TPMT_SIGNATURE* raw = nullptr;
  if (const TSS2_RC rc = Esys_Sign(esys, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &in,
                                   &scheme, &validation, &raw);
      rc != TSS2_RC_SUCCESS) {
    return tss_error("TPM2_Sign", rc);
  }
  const EsysPtr<TPMT_SIGNATURE> signature(raw);
  if (signature->sigAlg != TPM2_ALG_ECDSA) {
    return fail(ErrorCode::Internal, "TPM2_Sign: the TPM answered another signature scheme");
  }
  const TPMS_SIGNATURE_ECC& ecdsa = signature->signature.ecdsa;
  tpm::EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(ecdsa.signatureR.buffer, ecdsa.signatureR.size, nullptr);
  BIGNUM* s = BN_bin2bn(ecdsa.signatureS.buffer, ecdsa.signatureS.size, nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return fail(ErrorCode::Internal, "TPM2_Sign: cannot hold the signature");
  }
  unsigned char* der = nullptr;
  const int n = i2d_ECDSA_SIG(sig.get(), &der);
  if (n <= 0) return fail(ErrorCode::Internal, "TPM2_Sign: cannot encode the signature");
  tpm::Bytes out(der, der + n);
  OPENSSL_free(der);
  return out;
}

}  // namespace dps::tss
