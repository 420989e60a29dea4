#include "handshake.hpp"

#include <openssl/err.h>

#include "pki/pem.hpp"
#include "thread_cpu.hpp"

namespace dps::microbench {
namespace {

// A full handshake takes each side two or three SSL_do_handshake calls (TLS 1.2 and 1.3 alike:
// ClientHello, the server's flight, the client's certificate flight, the server's Finished); many
// more rounds than that means neither side can progress.
constexpr int kMaxRounds = 16;

bool wants_io(SSL* ssl, int rc) {
  const int error = SSL_get_error(ssl, rc);
  return error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE;
}

// The server's work, in three functions that are never inlined, so that a profiler can collect
// the server side alone: `valgrind --tool=callgrind --toggle-collect='*server_side_*'`.

// What boost::asio::ssl::stream's engine does for every accepted connection: SSL_new, its modes, a
// BIO pair (whose other end is the device here, Asio's socket pump in dps), then what
// net/device_session.cpp attaches before the handshake. Returns the device's end of the pair.
[[gnu::noinline]] SSL* server_side_open(SSL_CTX* ctx, net::HandshakeOutcome* outcome,
                                        BIO** device_end) {
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) return nullptr;
  SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                        SSL_MODE_RELEASE_BUFFERS);
  BIO* server_end = nullptr;
  if (BIO_new_bio_pair(&server_end, 0, device_end, 0) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_bio(ssl, server_end, server_end);
  net::attach_handshake_outcome(ssl, outcome);
  SSL_set_accept_state(ssl);
  return ssl;
}

[[gnu::noinline]] int server_side_handshake(SSL* ssl) { return SSL_do_handshake(ssl); }

[[gnu::noinline]] void server_side_free(SSL* ssl) {
  SSL_free(ssl);  // and the server's end of the BIO pair
}

}  // namespace

HandshakeRun run_handshake(SSL_CTX* server_ctx, SSL_CTX* client_ctx) {
  HandshakeRun run;
  ERR_clear_error();
  BIO* client_bio = nullptr;
  SSL* server = timed(run.server_cpu_ns,
                      [&] { return server_side_open(server_ctx, &run.outcome, &client_bio); });
  SSL* client = SSL_new(client_ctx);
  if (server == nullptr || client == nullptr) {
    run.error = "SSL_new: " + pki::openssl_error_string();
  } else {
    SSL_set_bio(client, client_bio, client_bio);
    client_bio = nullptr;  // the client SSL owns it now
    SSL_set_connect_state(client);
    bool client_done = false;
    bool server_done = false;
    for (int round = 0; round < kMaxRounds && !(client_done && server_done); ++round) {
      if (!client_done) {
        const int rc = SSL_do_handshake(client);
        client_done = rc == 1;
        if (!client_done && !wants_io(client, rc)) {
          run.error = "device side: " + pki::openssl_error_string();
          break;
        }
      }
      if (!server_done) {
        ++run.server_calls;
        const int rc = timed(run.server_cpu_ns, [&] { return server_side_handshake(server); });
        server_done = rc == 1;
        if (!server_done && !wants_io(server, rc)) {
          run.error = "server side: " + pki::openssl_error_string();
          break;
        }
      }
    }
    if (run.error.empty() && !(client_done && server_done)) {
      run.error = "handshake made no progress in " + std::to_string(kMaxRounds) + " rounds";
    }
    run.version = SSL_version(server);
  }
  if (!run.outcome.group.refusal.empty()) {
    run.error += " (refused: " + run.outcome.group.refusal + ")";
  }
  run.ok = run.error.empty() && !run.outcome.group.group_id.empty();
  if (run.error.empty() && !run.ok) run.error = "the verify callback admitted no group";
  SSL_free(client);      // null-safe; frees the device's end of the pair once it owns it
  BIO_free(client_bio);  // null-safe; the device's end when no client SSL took it
  if (server != nullptr) {
    timed(run.server_cpu_ns, [&] {
      server_side_free(server);
      return 0;
    });
  }
  ERR_clear_error();
  return run;
}

}  // namespace dps::microbench
