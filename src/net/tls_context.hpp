// The device-facing TLS configuration (device-protocol §1): TLS 1.2 and 1.3 (DTLS 1.2 over UDP),
// the device cipher suites, P-256/P-384, a client certificate required, and certificate
// verification replaced by enrollment-group matching. The handshake completes for any device that
// proves the key of its certificate: whether an enrollment admits it is decided once its
// individual enrollment has been read from the store (provisioning/admission.hpp), which the
// handshake cannot wait for.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "provisioning/handshake_outcome.hpp"

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
/// before the handshake (attach_handshake_outcome) and hands it to its conversation afterwards.
using provisioning::HandshakeOutcome;

/// Builds the server context. `catalogs` must outlive the context: the verify callback reads the
/// current snapshot on every handshake. `identities` recognises the identity certificates dps
/// issued (null: none are, every certificate is matched against the groups).
/// `client_certificate_required` false lets a device without a certificate complete the handshake
/// (apis.coap.tls.clientCertificateRequired): its session serves TPM attestation only.
Result<std::shared_ptr<boost::asio::ssl::context>> make_device_tls_context(
    const ServerTlsIdentity& identity, provisioning::CatalogHolder& catalogs,
    std::shared_ptr<const pki::IdentityTrust> identities = nullptr,
    bool client_certificate_required = true);

/// The same for CoAP over UDP (RFC 6347): DTLS 1.2 only, the same suites, groups, verification
/// and client-certificate rule, and stateless cookie exchange (dtls_cookie.hpp) with a secret the
/// context owns. Its SSLs need a datagram BIO whose peer is set (datagram_bio.hpp, DtlsServer).
Result<std::shared_ptr<boost::asio::ssl::context>> make_device_dtls_context(
    const ServerTlsIdentity& identity, provisioning::CatalogHolder& catalogs,
    std::shared_ptr<const pki::IdentityTrust> identities = nullptr,
    bool client_certificate_required = true);

/// apis.coap.tls.disconnectOnExpiredCertificate (plgd's): when `enabled`, the steady-clock time at
/// which the session's client certificate expires (now if it already has), after which the session
/// may not go on; time_point::max() otherwise or without a certificate. notAfter is wall-clock
/// time; the deadline is kept on the steady clock like the others, so a clock step during the
/// short session does not matter.
std::chrono::steady_clock::time_point client_certificate_deadline(SSL* ssl, bool enabled);

/// Points the verify callback of `ssl` at `outcome` (which must outlive the handshake).
void attach_handshake_outcome(SSL* ssl, HandshakeOutcome* outcome);

}  // namespace dps::net
