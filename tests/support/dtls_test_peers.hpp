// The peers the DTLS listener's unit tests and the hostile-network UDP integration tests talk to
// it with, all over real loopback UDP sockets: an OpenSSL DTLS 1.2 client (a device), raw
// datagrams (a spoofer), a ClientHello maker that answers HelloVerifyRequests by hand, and a relay
// that loses chosen datagrams.
#pragma once

#include <netinet/in.h>
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "support/test_pki.hpp"

namespace dps::test {

using Bytes = std::vector<uint8_t>;
using Clock = std::chrono::steady_clock;

/// A UDP socket bound to 127.0.0.1 (port 0: any).
class UdpSocket {
 public:
  explicit UdpSocket(uint16_t port = 0);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  int fd() const { return fd_; }
  uint16_t port() const;
  void send_to(uint16_t port, std::span<const uint8_t> datagram) const;
  /// The next datagram within `timeout` (its sender's port in `from_port`), or nullopt.
  std::optional<Bytes> receive(Clock::duration timeout, uint16_t* from_port = nullptr) const;

 private:
  int fd_;
};

/// A device: OpenSSL's DTLS 1.2 client on a UDP socket connected to the server (BIO_new_dgram),
/// non-blocking, with OpenSSL's own retransmission timer.
class DtlsClient {
 public:
  struct Options {
    const TestCert* certificate = nullptr;  // null: no client certificate
    std::string trusted_ca_pem;             // the server chain is verified against it
    uint16_t local_port = 0;
  };
  DtlsClient(uint16_t server_port, const Options& options);
  ~DtlsClient();
  DtlsClient(const DtlsClient&) = delete;
  DtlsClient& operator=(const DtlsClient&) = delete;

  bool handshake(Clock::duration timeout);
  bool send(std::span<const uint8_t> payload);
  /// The next application datagram; nullopt on timeout, close_notify (peer_closed()) or error.
  std::optional<Bytes> receive(Clock::duration timeout);
  bool peer_closed() const { return peer_closed_; }
  void close();
  /// A datagram from this client's socket that bypasses DTLS.
  void send_raw(std::span<const uint8_t> datagram);
  uint16_t local_port() const { return socket_.port(); }
  const std::string& error() const { return error_; }

 private:
  bool wait_readable(Clock::time_point deadline);

  UdpSocket socket_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bool peer_closed_ = false;
  std::string error_;
};

/// ClientHellos exactly as a DTLS client sends them, made over memory BIOs: the first (no
/// cookie), and the one that echoes the cookie of a HelloVerifyRequest it is given.
class ClientHelloMaker {
 public:
  ClientHelloMaker();
  ~ClientHelloMaker();
  ClientHelloMaker(const ClientHelloMaker&) = delete;
  ClientHelloMaker& operator=(const ClientHelloMaker&) = delete;

  const Bytes& first() const { return first_; }
  Bytes answer(const Bytes& hello_verify_request);

 private:
  SSL_CTX* ctx_;
  SSL* ssl_;
  BIO* in_;
  BIO* out_;
  Bytes first_;
};

/// Where the cookie of a ClientHello datagram starts, and its length (0, 0 if it has none).
std::pair<size_t, size_t> cookie_of_client_hello(const Bytes& client_hello);

/// Forwards datagrams between one client and the server, dropping those `drop` says to.
class UdpRelay {
 public:
  enum class Direction { ToServer, ToClient };
  using Drop = std::function<bool(Direction, const Bytes&)>;

  UdpRelay(uint16_t server_port, Drop drop);
  ~UdpRelay();
  uint16_t port() const { return front_.port(); }
  size_t dropped() const { return dropped_.load(); }
  size_t largest_to_client() const { return largest_to_client_.load(); }

 private:
  void run();

  uint16_t server_port_;
  Drop drop_;
  UdpSocket front_;  // the client talks to this one
  UdpSocket back_;   // the server sees this one
  std::atomic<bool> stop_{false};
  std::atomic<size_t> dropped_{0};
  std::atomic<size_t> largest_to_client_{0};
  std::thread thread_;
};

}  // namespace dps::test
