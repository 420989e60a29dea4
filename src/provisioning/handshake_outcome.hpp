// What the device's TLS (or DTLS) handshake learnt about its certificate. The transport's verify
// callback fills it (net/tls_context.hpp); the device conversation decides admission from it
// (provisioning/device_conversation.hpp). Kept here so that both transports hand the same facts
// to the same conversation.
#pragma once

#include <optional>
#include <string>

#include "common/result.hpp"
#include "provisioning/admission.hpp"
#include "provisioning/step.hpp"

namespace dps::provisioning {

struct HandshakeOutcome {
  PeerIdentity peer;  // who the certificate names; not yet admitted
  GroupVerdict group;
  LeafValidity leaf_validity;
  std::string leaf_serial;  // hex, as revocation lists name certificates
  /// Set when dps's own CA issued the certificate (an identity-certificate session): the device
  /// id it names, or why it is refused. Groups are not consulted for such a certificate.
  std::optional<Result<std::string>> identity;
};

}  // namespace dps::provisioning
