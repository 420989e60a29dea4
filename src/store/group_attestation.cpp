#include "store/group_attestation.hpp"

namespace dps::store {

namespace {
constexpr std::string_view kX509 = "x509";
constexpr std::string_view kTpm = "tpm";
}  // namespace

AttestationView attestation_of(const EnrollmentGroup& group) {
  if (group.is_tpm()) {
    return {kTpm, group.tpm.vendor_certificate_chain, group.tpm.lead_certificate_name,
            group.tpm.expired_certificate_enabled};
  }
  return {kX509, group.x509.certificate_chain, group.x509.lead_certificate_name,
          group.x509.expired_certificate_enabled};
}

Result<void> set_attestation(EnrollmentGroup& group, std::string_view mechanism,
                             std::string certificate_chain, std::string lead_certificate_name,
                             bool expired_certificate_enabled) {
  group.x509 = {};
  group.tpm = {};
  if (mechanism == kX509) {
    group.x509 = {std::move(certificate_chain), std::move(lead_certificate_name),
                  expired_certificate_enabled};
    return {};
  }
  if (mechanism == kTpm) {
    group.tpm = {std::move(certificate_chain), std::move(lead_certificate_name),
                 expired_certificate_enabled};
    return {};
  }
  return fail(ErrorCode::Internal, "enrollment group " + group.id +
                                       ": unknown attestation_mechanism \"" +
                                       std::string(mechanism) + "\"");
}

}  // namespace dps::store
