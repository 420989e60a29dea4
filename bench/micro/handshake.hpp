// One mutually authenticated TLS handshake between a device client SSL and a server SSL, driven
// in the calling thread over a BIO pair (no sockets, no kernel, no Asio), with the server's CPU
// time measured apart from the device's.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <string>

#include "net/tls_context.hpp"

namespace dps::microbench {

struct HandshakeRun {
  bool ok = false;
  std::string error;  // why not ok: the failing side's OpenSSL error or the server's refusal
  /// Thread CPU of the server object's whole life: SSL_new (+ the BIO pair Asio's engine makes
  /// per stream), every SSL_do_handshake call on it, SSL_free.
  int64_t server_cpu_ns = 0;
  int server_calls = 0;           // SSL_do_handshake calls on the server (flights it handled)
  int version = 0;                // negotiated, as SSL_version() of the server
  net::HandshakeOutcome outcome;  // what the server's verify callback decided
};

/// Runs one full handshake of a fresh server SSL from `server_ctx` against a fresh client SSL
/// from `client_ctx`. Leaves OpenSSL's error queue empty.
HandshakeRun run_handshake(SSL_CTX* server_ctx, SSL_CTX* client_ctx);

}  // namespace dps::microbench
