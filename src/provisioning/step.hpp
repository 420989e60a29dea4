// What a provisioning step gets and gives. The core knows nothing of sockets, TLS or SQL
// (design.md): a session hands it a decoded request plus the verified peer, and gets back the
// response to send and the record update that must be durable before that response leaves.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "coap/message.hpp"
#include "provisioning/step_record.hpp"
#include "store/entities.hpp"

namespace dps::auth {
class TokenSource;
}
namespace dps::provisioning {
class HubTokenSources;
class HubCertificateAuthorities;
}  // namespace dps::provisioning
namespace dps::pki {
class CertificateSigner;
}

namespace dps::provisioning {

class Catalog;

/// The device as authenticated at the TLS handshake and admitted (provisioning/admission.hpp).
struct PeerIdentity {
  std::string registration_id;      // UUIDv5 of the leaf's SPKI: the record id
  std::string key_hash;             // SHA-256 of the leaf's SPKI (hex): its individual enrollment
  std::string common_name;          // leaf subject CN
  std::string leaf_pem;             // for the attestation section
  std::string enrollment_group_id;  // the admitting group; empty when none (or individually)
  /// The individual enrollment that admitted the device, in a group's shape (id, owner, name,
  /// hubs), as read once for this session; null when a group admitted it.
  std::shared_ptr<const store::EnrollmentGroup> individual;
  /// Set on an identity-certificate session (the device reconnected with the certificate dps
  /// issued it): its device id. Such a session serves only that device and never ownership.
  std::string identity_device_id;
  /// Set when the device attested with its TPM (device-protocol §5): its EK's SPKI hash, which
  /// its record keeps instead of a certificate.
  std::string tpm_endorsement_key_sha256;
  /// Set for a device whose identity key its TPM certified: the only key (SPKI hash) its CSRs may
  /// carry, so that renewing cannot move its identity out of the TPM.
  std::string certified_key_sha256;
};

/// The services steps call; owned by the server, outlive every session.
struct Services {
  pki::CertificateSigner* signer = nullptr;
  auth::TokenSource* tokens = nullptr;  // dps's own tokens, for hubs naming no authority
  /// The UUID of dps's own server certificate (CN "uuid:<id>"), if it has one: a device given it
  /// would pass for the server. Empty when the CN is not of that form.
  std::string server_id;
  /// Token sources of hubs whose tokens come from an OAuth2 authority; null: such hubs are
  /// refused (5.00).
  HubTokenSources* hub_tokens = nullptr;
  /// Clients of hubs' gRPC certificate authorities (certificateAuthority.grpc); null: such hubs
  /// are refused (5.00).
  HubCertificateAuthorities* hub_cas = nullptr;
};

struct StepContext {
  const PeerIdentity& peer;
  std::shared_ptr<const Catalog> catalog;  // pinned for the whole request
  const Services& services;
  std::chrono::system_clock::time_point now;
  bool first_request_of_session = false;  // adds the attestation section to the record
};

struct StepResult {
  coap::Message response;
  /// Must be durable before `response` is sent; absent when nothing is recorded.
  std::optional<store::ProvisioningRecord> record;
  /// The step that ran (absent when the request reached none).
  std::optional<Step> step;
  /// The session closes (after flushing) once this response is written: plgd closes after
  /// errors, and a device re-runs its steps from the start on a fresh connection anyway.
  bool close_after = false;
};

}  // namespace dps::provisioning
