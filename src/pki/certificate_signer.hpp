// Port: who turns a validated CSR into a device identity certificate. Implementations: EmbeddedCa
// (built-in, this folder) and, later, a plgd certificate-authority client over gRPC.
// Includes only std and common/ (style.md: interfaces are light headers).
#pragma once

#include <chrono>
#include <string>

#include "common/result.hpp"

namespace dps::pki {

struct ValidatedCsr;  // pki/csr.hpp

/// What the credentials step sends the device (device-protocol §3.4).
struct IssuedCertificate {
  /// Leaf followed by the intermediates of the issuing chain, no root: the "oic.sec.cred.cert"
  /// credential's publicdata.
  std::string chain_pem;
  /// The self-signed root of the issuing chain: the "oic.sec.cred.trustca" credential.
  std::string root_pem;
  /// The leaf alone (for checks).
  std::string leaf_pem;
};

class CertificateSigner {
 public:
  virtual ~CertificateSigner() = default;

  /// Issues an identity certificate whose subject and public key are the CSR's.
  /// @param csr a request that passed validate_csr() (signature, key policy, CN form).
  /// @return the issued chain; Unavailable when a remote CA is temporarily unreachable (the
  ///         device retries the same step), Internal for local failures.
  /// @warning Called concurrently from many sessions: implementations must be thread-safe.
  virtual Result<IssuedCertificate> sign(const ValidatedCsr& csr) = 0;
  /// The same with a validity of its own (an enrollment template's), clamped as the signer clamps
  /// its default; zero = the default.
  virtual Result<IssuedCertificate> sign(const ValidatedCsr& csr,
                                         std::chrono::seconds validity) = 0;
};

}  // namespace dps::pki
