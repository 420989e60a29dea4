// The device-facing TLS configuration (device-protocol §1): TLS 1.2 and 1.3, the device cipher
// suites, P-256/P-384, a client certificate required, and certificate verification replaced by
// enrollment-group matching. The handshake completes for any device that proves the key of its
// certificate: whether an enrollment admits it is decided once its individual enrollment has been
// read from the store (provisioning/admission.hpp), which the handshake cannot wait for.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "provisioning/admission.hpp"
#include "provisioning/step.hpp"

namespace dps::provisioning {
class CatalogHolder;
}
namespace dps::pki {
class IdentityTrust;
}

namespace dps::net {

struct ServerTlsIdentity {
  std::string certificate_chain_pem;  // server leaf first
  std::string private_key_pem;
};

/// What the verify callback learnt about the device; the session attaches one to each SSL
/// before the handshake (attach_handshake_outcome) and reads it afterwards.
struct HandshakeOutcome {
  provisioning::PeerIdentity peer;  // who the certificate names; not yet admitted
  provisioning::GroupVerdict group;
  provisioning::LeafValidity leaf_validity;
  std::string leaf_serial;  // hex, as revocation lists name certificates
  /// Set when dps's own CA issued the certificate (an identity-certificate session): the device
  /// id it names, or why it is refused. Groups are not consulted for such a certificate.
  std::optional<Result<std::string>> identity;
};

/// Builds the server context. `catalogs` must outlive the context: the verify callback reads the
/// current snapshot on every handshake. `identities` recognises the identity certificates dps
/// issued (null: none are, every certificate is matched against the groups).
/// `client_certificate_required` false lets a device without a certificate complete the handshake
/// (apis.coap.tls.clientCertificateRequired): its session serves TPM attestation only.
Result<std::shared_ptr<boost::asio::ssl::context>> make_device_tls_context(
    const ServerTlsIdentity& identity, provisioning::CatalogHolder& catalogs,
    std::shared_ptr<const pki::IdentityTrust> identities = nullptr,
    bool client_certificate_required = true);

/// Points the verify callback of `ssl` at `outcome` (which must outlive the handshake).
void attach_handshake_outcome(SSL* ssl, HandshakeOutcome* outcome);

}  // namespace dps::net
