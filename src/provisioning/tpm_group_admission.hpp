// Which TPM enrollment group admits a TPM, by the EK certificate the device sends with its
// challenge request (docs/device-protocol.md §5). A TPM group trusts a TPM vendor's CA: any TPM
// whose endorsement key that CA certified is the group's. Transport-free and pure: the session
// asks once per challenge, with the catalog snapshot it holds.
#pragma once

#include <chrono>

#include "common/result.hpp"
#include "pki/chain_verifier.hpp"
#include "store/entities.hpp"
#include "tpm/marshal.hpp"
#include "tpm/public_area.hpp"

namespace dps::provisioning {

class Catalog;

/// The enabled TPM group of `catalog` whose vendor CA certified `endorsement_key`, by its EK
/// certificate. Checks, in this order:
///  - the certificate is one DER X.509 certificate (BadRequest "ekCertificate: ..." otherwise);
///  - its public key is `endorsement_key` (the EK the challenge is made for), and it is fit for
///    an EK: not a CA, and an extended key usage, if present, holds tcg-kp-EKCertificate
///    (2.23.133.8.1), so a TLS certificate its vendor CA issued is no EK certificate;
///  - it verifies, through the group's lead certificate (the chain's first), up to the group's
///    root, completed only with the group's own certificates (the device sends none). Real EK
///    certificates have an empty or meaningless subject, a critical subjectAltName of TPM
///    manufacturer attributes and TCG extensions: no purpose and no strict-mode rules apply.
///    Dates are checked at `now`, not at all when the group sets expired_certificate_enabled
///    (EK certificates often outlive their vendor's CA: the midpoint a certificate group uses
///    would land after the CA's own expiry);
///  - the group is enabled, and neither its revocation list (the EK certificate's serial, or its
///    key's SPKI SHA-256, which is the EK's hash) nor its CRLs name the certificate or its CA.
/// Certificate groups are never asked, and TPM groups never admit a TLS client certificate
/// (Catalog::trust()).
///
/// @return the group (borrowed from `catalog`), or Forbidden whose external text is fit for the
///         device: "ekCertificate: its key is not the endorsement key", "ekCertificate: does not
///         chain to any TPM enrollment group", "ekCertificate: expired", "ekCertificate:
///         revoked", "enrollment group disabled", "enrollment is ambiguous" (two groups of
///         different owners admit it: data written before the store refused that); the internal
///         text names the groups, for the log.
/// @param refused_by when not null and the TPM is refused, receives the kind of refusal and the
///        group whose own policy refused a TPM that is authentically its (the certificate verified
///        through its lead): disabled, revoked or expired. A certificate that merely names a
///        group's CA as its issuer names no group.
[[nodiscard]] Result<const store::EnrollmentGroup*> find_tpm_group(
    const Catalog& catalog, tpm::ByteView ek_certificate_der,
    const tpm::PublicArea& endorsement_key, std::chrono::system_clock::time_point now,
    pki::TrustGroupIndex::RefusedBy* refused_by = nullptr);

}  // namespace dps::provisioning
