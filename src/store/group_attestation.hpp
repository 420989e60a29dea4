// A group's attestation whichever its kind (x509 or tpm): what its trust is built from, and how
// both SQL adapters keep it. The chain, lead certificate name and expired flag go in the same
// three columns for either kind and the kind in `attestation_mechanism` (migration 7): the
// lead-name filter and quota see TPM groups as they see certificate groups, and a row cannot hold
// both kinds.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "store/entities.hpp"

namespace dps::store {

/// The attestation of a group, borrowed from it.
struct AttestationView {
  std::string_view mechanism;  // "x509" or "tpm"
  const std::string& certificate_chain;
  const std::string& lead_certificate_name;  // empty = CN of the chain's first certificate
  bool expired_certificate_enabled;
};

/// Its x509 attestation, or its tpm one when is_tpm().
AttestationView attestation_of(const EnrollmentGroup& group);

/// Sets x509 or tpm of `group` from the columns (the other stays empty). Internal for a
/// mechanism this dps does not know (a row written by a newer one).
Result<void> set_attestation(EnrollmentGroup& group, std::string_view mechanism,
                             std::string certificate_chain, std::string lead_certificate_name,
                             bool expired_certificate_enabled);

}  // namespace dps::store
