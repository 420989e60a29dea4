// Recognises the identity certificates dps's own CA issued, for a device that reconnects with
// one (the identity-certificate session, device-protocol "Extensions"). A certificate dps did not
// issue is not this class's business (the enrollment groups match it); one it did issue must
// verify up to the CA's root, be valid now and carry clientAuth, and names its device by its CN.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "common/result.hpp"
#include "pki/x509_ptr.hpp"

namespace dps::pki {

class IdentityTrust {
 public:
  /// `ca_chain_pem`: the issuing CA certificate first, then its issuers up to the self-signed root
  /// (EmbeddedCa's intermediates_pem() + root_pem(), or root alone).
  [[nodiscard]] static Result<std::shared_ptr<const IdentityTrust>> create(
      std::string_view ca_chain_pem);

  /// nullopt when `chain` (leaf first) was not issued by this CA. Otherwise the device id
  /// (canonical UUID from CN "uuid:<id>"), or Forbidden saying why the certificate is refused
  /// (expired, does not verify, no clientAuth, CN not a device id).
  std::optional<Result<std::string>> device_of(std::span<X509* const> chain,
                                               std::chrono::system_clock::time_point now) const;

 private:
  IdentityTrust() = default;
  X509Ptr issuer_;      // the CA certificate that signs identity certificates
  X509StorePtr store_;  // every certificate of the CA's chain, trusted as it stands
};

}  // namespace dps::pki
