#include "pki/identity_trust.hpp"

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki/pem.hpp"
#include "pki/uuid.hpp"
#include "pki/x509_util.hpp"

namespace dps::pki {
namespace {}  // namespace

Result<std::shared_ptr<const IdentityTrust>> IdentityTrust::create(std::string_view ca_chain_pem) {
  auto certs = parse_certificates_pem(ca_chain_pem);
  if (!certs) return tl::unexpected(certs.error());
  std::shared_ptr<IdentityTrust> trust(new IdentityTrust());
  trust->issuer_ = share(certs->front().get());
  trust->store_.reset(X509_STORE_new());
  if (!trust->store_) return fail(ErrorCode::Internal, "out of memory");
  // Our own CA's certificates are trusted as they are (no need to reach the root through the
  // device's chain): partial chains end at any of them.
  for (const auto& cert : *certs) {
    if (X509_STORE_add_cert(trust->store_.get(), cert.get()) != 1) {
      return fail(ErrorCode::Internal, "identity trust store: " + openssl_error_string());
    }
  }
  X509_STORE_set_flags(trust->store_.get(), X509_V_FLAG_PARTIAL_CHAIN);
  X509_STORE_set_purpose(trust->store_.get(), X509_PURPOSE_SSL_CLIENT);
  return std::shared_ptr<const IdentityTrust>(std::move(trust));
}

std::optional<Result<std::string>> IdentityTrust::device_of(
    std::span<X509* const> chain, std::chrono::system_clock::time_point now) const {
  if (chain.empty()) return std::nullopt;
  X509* leaf = chain.front();
  // Issued by our CA (name and key identifier): anything else is a manufacturer certificate.
  if (X509_check_issued(issuer_.get(), leaf) != X509_V_OK) return std::nullopt;
  StackOfX509ViewPtr untrusted(sk_X509_new_null());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!untrusted || !ctx) return fail(ErrorCode::Internal, "out of memory");
  for (X509* cert : chain.subspan(1)) sk_X509_push(untrusted.get(), cert);
  if (X509_STORE_CTX_init(ctx.get(), store_.get(), leaf, untrusted.get()) != 1) {
    return fail(ErrorCode::Internal, "identity verification: " + openssl_error_string());
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, std::chrono::system_clock::to_time_t(now));
  if (X509_verify_cert(ctx.get()) != 1) {
    const int error = X509_STORE_CTX_get_error(ctx.get());
    openssl_error_string();  // drain: the verify error says it
    return fail(
        ErrorCode::Forbidden,
        std::string("identity certificate refused: ") + X509_verify_cert_error_string(error),
        std::string("identity certificate refused: ") + X509_verify_cert_error_string(error));
  }
  const std::string cn = common_name(X509_get_subject_name(leaf));
  auto id = Uuid::from_ocf_common_name(cn);
  if (!id) {
    return fail(ErrorCode::Forbidden, "identity certificate CN is not uuid:<device id>",
                "identity certificate names no device");
  }
  return id->to_string();
}

}  // namespace dps::pki
