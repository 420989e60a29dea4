#include "auth/jws_signature.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <memory>
#include <vector>

#include "auth/ecdsa_signature.hpp"

namespace dps::auth {
namespace {

using EvpMdPtr = std::unique_ptr<EVP_MD, pki::detail::OpenSslDeleter<EVP_MD_free>>;

// Explicitly fetched once: EVP_sha256() and friends make OpenSSL 3 fetch the implementation on
// every use, which shows up in per-request profiles.
struct Digests {
  EvpMdPtr sha256{EVP_MD_fetch(nullptr, "SHA2-256", nullptr)};
  EvpMdPtr sha384{EVP_MD_fetch(nullptr, "SHA2-384", nullptr)};
  EvpMdPtr sha512{EVP_MD_fetch(nullptr, "SHA2-512", nullptr)};
};

const EVP_MD* digest_for(JwsAlg alg) {
  static const Digests digests;
  switch (alg) {
    case JwsAlg::ES256:
    case JwsAlg::RS256:
    case JwsAlg::PS256:
      return digests.sha256.get();
    case JwsAlg::ES384:
    case JwsAlg::RS384:
    case JwsAlg::PS384:
      return digests.sha384.get();
    case JwsAlg::ES512:
    case JwsAlg::RS512:
    case JwsAlg::PS512:
      return digests.sha512.get();
  }
  return nullptr;
}

// RFC 7518 §3.4: R and S are each exactly as long as the curve order.
size_t ecdsa_signature_bytes(JwsAlg alg) {
  switch (alg) {
    case JwsAlg::ES256:
      return 64;
    case JwsAlg::ES384:
      return 96;
    case JwsAlg::ES512:
      return 132;
    default:
      return 0;
  }
}

bool is_pss(JwsAlg alg) {
  return alg == JwsAlg::PS256 || alg == JwsAlg::PS384 || alg == JwsAlg::PS512;
}

}  // namespace

Result<void> verify_jws_signature(JwsAlg alg, const Jwk& key, std::string_view signing_input,
                                  std::string_view signature) {
  const std::string alg_name(to_string(alg));
  std::vector<uint8_t> der;
  std::string_view to_check = signature;
  if (const size_t expected = ecdsa_signature_bytes(alg); expected != 0) {
    if (signature.size() != expected) {
      return fail(ErrorCode::Unauthenticated,
                  alg_name + " signature must be " + std::to_string(expected) +
                      " bytes (R || S, RFC 7518 §3.4), got " + std::to_string(signature.size()));
    }
    auto converted = ecdsa_jose_to_der(signature);
    if (!converted) return tl::unexpected(converted.error());
    der = std::move(*converted);
    to_check = std::string_view(reinterpret_cast<const char*>(der.data()), der.size());
  }

  const EVP_MD* md = digest_for(alg);
  pki::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (!md || !ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, key.key.get()) != 1) {
    return fail(ErrorCode::Internal, "cannot initialise " + alg_name + " verification");
  }
  // RFC 7518 §3.5: PSS with MGF1 over the same hash and a salt as long as the hash.
  if (is_pss(alg) && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)) {
    return fail(ErrorCode::Internal, "cannot configure RSA-PSS verification");
  }
  const int verified = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(to_check.data()), to_check.size(),
      reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size());
  if (verified != 1) {
    ERR_clear_error();  // a bad signature is normal flow: leave no stale reason for the next caller
    return fail(ErrorCode::Unauthenticated, "token signature does not verify (" + alg_name + ")");
  }
  return {};
}

}  // namespace dps::auth
