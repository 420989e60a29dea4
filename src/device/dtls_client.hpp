// The device's DTLS 1.2 connection for CoAP over UDP (device-protocol §1 over coaps://): OpenSSL's
// DTLS client on a connected, non-blocking UDP socket, driven by Asio coroutines. Handshake
// flights are retransmitted on OpenSSL's DTLS timer (DTLSv1_handle_timeout); records fit a
// 1280-byte link MTU, as the server's do. One datagram of application data per send/receive.
//
// Thread-safety: one coroutine at a time drives a connection.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "device/device_types.hpp"

namespace dps::device {

class DtlsClient {
 public:
  using Clock = std::chrono::steady_clock;
  template <class T>
  using awaitable = boost::asio::awaitable<T>;

  /// The IPv6 minimum MTU (RFC 8200 §5), as the server assumes.
  static constexpr long kLinkMtu = 1280;

  /// Resolves `host`, connects a UDP socket and completes the DTLS handshake before `deadline`,
  /// on the current coroutine's executor. `ctx` is a DTLS client context
  /// (ClientTls::dtls_context()) and must outlive the connection. Errors as
  /// DeviceSession::connect's: Unavailable (resolve, nothing listening, timeout), Unauthenticated
  /// (the server's certificate does not verify), Forbidden (the server's alert), BadRequest.
  static awaitable<Result<std::unique_ptr<DtlsClient>>> connect(SSL_CTX* ctx, std::string host,
                                                                uint16_t port,
                                                                bool check_certificate_time,
                                                                Clock::time_point deadline);

  ~DtlsClient();
  DtlsClient(const DtlsClient&) = delete;
  DtlsClient& operator=(const DtlsClient&) = delete;

  /// One datagram of application data.
  awaitable<Result<void>> send(std::span<const uint8_t> datagram);
  /// The next datagram of application data; nullopt when `deadline` passed first. Fails with
  /// Unavailable once the server closed (close_notify, alert) or the socket failed.
  awaitable<Result<std::optional<std::vector<uint8_t>>>> receive(Clock::time_point deadline);
  /// close_notify (one datagram, no wait), then closes the socket. Idempotent.
  void close();

  bool closed() const { return closed_; }
  const std::string& local_address() const { return local_address_; }
  uint16_t local_port() const { return local_port_; }
  SSL* native_handle() const { return ssl_.get(); }

 private:
  DtlsClient(boost::asio::ip::udp::socket socket, SSL* ssl);
  awaitable<Result<void>> handshake(Clock::time_point deadline);
  /// Waits until the socket is readable, OpenSSL's retransmission timer is due (then handled), or
  /// `deadline`; false only at the deadline.
  awaitable<bool> wait_readable(Clock::time_point deadline);
  /// The failure of an SSL call that returned `result`, as an error of this session.
  Error failure(int result, const std::string& what);

  boost::asio::ip::udp::socket socket_;
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl_;
  std::string local_address_;
  uint16_t local_port_ = 0;
  std::vector<uint8_t> buffer_;  // one record's plaintext
  bool closed_ = false;
};

}  // namespace dps::device
