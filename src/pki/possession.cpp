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
  // The lead's key only: a certificate above the lead is the requester's own statement (anyone
  // can issue a certificate for another's public key under a root of their own), so a signature
  // by such a key proves nothing about the lead.
  X509* lead = group.path_certificates().front();
  const bool signed_by_lead = X509_verify(proof, X509_get0_pubkey(lead)) == 1;
  ERR_clear_error();
  if (signed_by_lead) return {};
  return fail(ErrorCode::Forbidden,
              "proofOfPossession.certificate: not signed by the key of the lead certificate");
}

}  // namespace dps::pki
