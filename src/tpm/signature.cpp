#include "tpm/signature.hpp"

#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "tpm/constants.hpp"
#include "tpm/hash_alg.hpp"
#include "tpm/ossl_ptr.hpp"
#include "tpm/try.hpp"

namespace dps::tpm {

namespace {

Result<Bytes> ecdsa_der(const Signature& s) {
  const EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(s.ecc_r.data(), static_cast<int>(s.ecc_r.size()), nullptr);
  BIGNUM* sv = BN_bin2bn(s.ecc_s.data(), static_cast<int>(s.ecc_s.size()), nullptr);
  if (!sig || r == nullptr || sv == nullptr || ECDSA_SIG_set0(sig.get(), r, sv) != 1) {
    BN_free(r);
    BN_free(sv);
    return fail(ErrorCode::Internal, "building an ECDSA signature failed");
  }
  const int size = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (size <= 0) return fail(ErrorCode::Internal, "i2d_ECDSA_SIG failed");
  Bytes der(static_cast<std::size_t>(size));
  unsigned char* at = der.data();
  i2d_ECDSA_SIG(sig.get(), &at);
  return der;
}

}  // namespace

Result<Signature> parse_signature(ByteView data) {
  Reader r(data);
  Signature s;
  DPS_TPM_TRY(alg, r.u16("TPMT_SIGNATURE.sigAlg"));
  if (*alg != kAlgRsassa && *alg != kAlgRsapss && *alg != kAlgEcdsa) {
    return fail(ErrorCode::BadRequest,
                "TPMT_SIGNATURE.sigAlg: " + alg_hex(*alg) +
                    " unsupported (expected RSASSA 0x0014, RSAPSS 0x0016 or ECDSA 0x0018)");
  }
  s.sig_alg = *alg;
  DPS_TPM_TRY(hash_alg, r.u16("TPMT_SIGNATURE.signature.hash"));
  if (*hash_alg != kAlgSha256) {
    return fail(ErrorCode::BadRequest, "TPMT_SIGNATURE.signature.hash: " + alg_hex(*hash_alg) +
                                           " unsupported (expected SHA-256 0x000b)");
  }
  s.hash_alg = *hash_alg;
  if (s.sig_alg == kAlgEcdsa) {
    DPS_TPM_TRY(sr, r.sized(kMaxEccKeyBytes, "TPMT_SIGNATURE.signature.ecdsa.signatureR"));
    DPS_TPM_TRY(ss, r.sized(kMaxEccKeyBytes, "TPMT_SIGNATURE.signature.ecdsa.signatureS"));
    s.ecc_r = std::move(*sr);
    s.ecc_s = std::move(*ss);
  } else {
    DPS_TPM_TRY(sig, r.sized(kMaxRsaKeyBytes, "TPMT_SIGNATURE.signature.rsa.sig"));
    s.rsa = std::move(*sig);
  }
  DPS_TPM_CHECK(r.expect_end("TPMT_SIGNATURE"));
  return s;
}

Bytes encode_signature(const Signature& s) {
  Writer w;
  w.u16(s.sig_alg).u16(s.hash_alg);
  if (s.sig_alg == kAlgEcdsa) {
    w.sized(s.ecc_r).sized(s.ecc_s);
  } else {
    w.sized(s.rsa);
  }
  return w.take();
}

Result<void> verify_signature(EVP_PKEY* key, ByteView signed_data, const Signature& s) {
  const bool ecdsa = s.sig_alg == kAlgEcdsa;
  if (ecdsa ? !EVP_PKEY_is_a(key, "EC") : !EVP_PKEY_is_a(key, "RSA")) {
    return fail(ErrorCode::BadRequest, "TPMT_SIGNATURE.sigAlg: " + alg_hex(s.sig_alg) +
                                           " does not match the AK's key type");
  }
  Bytes der;
  if (ecdsa) {
    DPS_TPM_TRY(encoded, ecdsa_der(s));
    der = std::move(*encoded);
  }
  const ByteView sig = ecdsa ? ByteView(der) : ByteView(s.rsa);
  const MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key) != 1) {
    return fail(ErrorCode::Internal, "EVP_DigestVerifyInit failed");
  }
  if (s.sig_alg == kAlgRsapss &&
      (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
       // A TPM uses the largest salt (or the digest size, Part 1 B.7); accept either.
       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1)) {
    return fail(ErrorCode::Internal, "RSA-PSS setup failed");
  }
  if (EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), signed_data.data(), signed_data.size()) !=
      1) {
    ERR_clear_error();
    return fail(ErrorCode::Forbidden, "TPMT_SIGNATURE: does not verify with the AK's key");
  }
  return {};
}

Result<SignedAttest> certify_in_software(EVP_PKEY* ak_private, const PublicArea& ak,
                                         const PublicArea& certified, ByteView nonce) {
  if (nonce.size() > kMaxDataSize) {
    return fail(ErrorCode::BadRequest, "nonce: above the TPM2B_DATA maximum");
  }
  Attest a;
  a.type = kStAttestCertify;
  a.qualified_signer = ak.name();
  a.extra_data.assign(nonce.begin(), nonce.end());
  a.safe = true;
  a.certified_name = certified.name();
  a.certified_qualified_name = certified.name();
  SignedAttest out{encode_attest(a), {}};

  const MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t size = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, ak_private) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size, out.attest.data(), out.attest.size()) != 1) {
    return fail(ErrorCode::Internal, "EVP_DigestSign failed");
  }
  Bytes raw(size);
  if (EVP_DigestSign(ctx.get(), raw.data(), &size, out.attest.data(), out.attest.size()) != 1) {
    return fail(ErrorCode::Internal, "EVP_DigestSign failed");
  }
  raw.resize(size);
  Signature s;
  s.hash_alg = kAlgSha256;
  if (ak.type == kAlgRsa) {
    s.sig_alg = kAlgRsassa;
    s.rsa = std::move(raw);
  } else {
    s.sig_alg = kAlgEcdsa;
    const unsigned char* at = raw.data();
    const EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &at, static_cast<long>(raw.size())));
    if (!sig) return fail(ErrorCode::Internal, "d2i_ECDSA_SIG failed");
    s.ecc_r.resize(32);
    s.ecc_s.resize(32);
    BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), s.ecc_r.data(), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), s.ecc_s.data(), 32);
  }
  out.signature = encode_signature(s);
  return out;
}

}  // namespace dps::tpm
