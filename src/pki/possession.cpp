#include "pki/possession.hpp"

#include <openssl/err.h>

#include "pki/pem.hpp"
#include "pki/x509_util.hpp"

namespace dps::pki {

Result<void> verify_possession(const TrustGroup& group, std::string_view code,
                               std::string_view certificate_pem) {
  auto certs = parse_certificates_pem(certificate_pem);
  if (!certs) {
    return fail(ErrorCode::BadRequest, "proofOfPossession.certificate: " + certs.error().internal);
  }
  if (certs->size() != 1) {
    return fail(ErrorCode::BadRequest,
                "proofOfPossession.certificate: exactly one certificate expected, got " +
                    std::to_string(certs->size()));
  }
  X509* proof = certs->front().get();
  if (common_name(X509_get_subject_name(proof)) != code) {
    return fail(ErrorCode::BadRequest,
                "proofOfPossession.certificate: its subject CN must be the verification code");
  }
  for (X509* cert : group.path_certificates()) {
    const bool signed_by = X509_verify(proof, X509_get0_pubkey(cert)) == 1;
    ERR_clear_error();
    if (signed_by) return {};
  }
  return fail(ErrorCode::Forbidden,
              "proofOfPossession.certificate: not signed by the key of the lead certificate or of "
              "a certificate above it in the chain");
}

}  // namespace dps::pki
