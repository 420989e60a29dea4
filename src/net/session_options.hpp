// Per-connection limits, from apis.coap.* in the config.
#pragma once

#include <chrono>
#include <cstddef>

namespace dps::net {

struct SessionOptions {
  size_t max_message_size = 262144;                     // inbound frames above it: Abort + close
  std::chrono::milliseconds handshake_timeout{10000};   // TCP accept → TLS established
  std::chrono::milliseconds inactivity_timeout{20000};  // no complete frame for this long: close
  std::chrono::milliseconds close_timeout{2000};        // TLS close_notify exchange at the end
  size_t max_messages = 64;  // inbound messages per session, signals included: then Abort + close
  // apis.coap.tls.disconnectOnExpiredCertificate: close at the client certificate's notAfter.
  bool disconnect_on_expired_certificate = false;
};

}  // namespace dps::net
