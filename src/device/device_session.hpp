// One TLS session of a device with the DPS (device-protocol §1): CoAP over TCP (RFC 8323) on
// ssl::stream<tcp::socket>, every operation under a deadline. While one of its own requests is
// pending it accepts the server's CSM, answers Ping with Pong and answers the server's reverse
// `GET /oic/res` (§3.6), as an iotivity-lite device does.
//
// With SessionOptions::udp the same session runs CoAP over UDP (RFC 7252) on DTLS 1.2 instead
// (udp_session.hpp): the steps of a Provisioner do not tell the transports apart. stream() and
// server_csm() belong to TCP only.
//
// Thread-safety: one coroutine at a time drives a session (run it on one strand or thread).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "coap/message.hpp"
#include "common/result.hpp"
#include "device/device_types.hpp"
#include "device/tls_client.hpp"

namespace dps::device {

struct SessionOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 15684;
  /// false for the time step: the device's clock is unknown (X509_V_FLAG_NO_CHECK_TIME).
  bool check_certificate_time = true;
  std::chrono::milliseconds connect_timeout{10'000};  // resolve + connect + handshake
  std::chrono::milliseconds request_timeout{10'000};  // default for request()/receive()
  /// Inbound frames larger than this fail the session (the device's buffer is ~8 KiB).
  size_t max_inbound_message = 8 * 1024;
  /// Fail on server messages shorter than 7 bytes: a real device stalls or crashes on them.
  bool reject_short_messages = true;
  /// Send a CSM after the handshake, as generic CoAP clients do. Devices send none.
  bool send_csm = false;
  /// The client certificate is the identity dps issued (not the manufacturer's): a Provisioner
  /// records the steps run on this session as Session::Identity.
  bool identity = false;
  /// CoAP over UDP+DTLS 1.2 (coaps://) to host:port instead of CoAP over TCP+TLS.
  bool udp = false;
};

class UdpSession;

class DeviceSession {
 public:
  using Stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;
  using Clock = std::chrono::steady_clock;
  template <class T>
  using awaitable = boost::asio::awaitable<T>;

  /// Resolves, connects and completes the TLS handshake on the current coroutine's executor.
  /// Errors (connect_failure_of() reads them back): Unavailable (resolve/connect/timeout),
  /// Unauthenticated (the server's certificate does not verify against the CA), Forbidden (the
  /// server answered the handshake with an alert), BadRequest (any other TLS failure).
  static awaitable<Result<std::unique_ptr<DeviceSession>>> connect(std::shared_ptr<ClientTls> tls,
                                                                   SessionOptions options);

  ~DeviceSession();
  DeviceSession(const DeviceSession&) = delete;
  DeviceSession& operator=(const DeviceSession&) = delete;

  /// Sends `request` and returns the response carrying its token, serving signals and server
  /// requests meanwhile. Fails on timeout, close, Abort/Release, or a malformed/short frame;
  /// with Forbidden when the server refused the device before serving anything (refusal()).
  awaitable<Result<coap::Message>> request(coap::Message request);
  awaitable<Result<coap::Message>> request(coap::Message request,
                                           std::chrono::milliseconds timeout);

  /// Sends one message (no wait for an answer).
  awaitable<Result<void>> send(const coap::Message& message);
  /// Writes bytes as they are (broken frames, garbage).
  awaitable<Result<void>> send_raw(std::span<const uint8_t> bytes);
  /// The next message the session does not handle itself (responses, Pong, Abort, Release). Server
  /// requests are answered, not returned.
  awaitable<Result<coap::Message>> receive(std::chrono::milliseconds timeout);
  /// Reads (serving signals) until the server closes the connection. Returns the messages that
  /// arrived meanwhile; fails with Unavailable when `timeout` passes first.
  awaitable<Result<std::vector<coap::Message>>> wait_closed(std::chrono::milliseconds timeout);
  /// TLS close_notify under a short deadline, then closes the socket. Idempotent.
  awaitable<void> close();

  /// "coaps+tcp://<local address>:<port>" ("coaps://..." over UDP), the endpoint the device
  /// reports in /oic/res.
  const std::string& local_endpoint() const { return local_endpoint_; }
  /// The server's CSM once it arrived.
  const std::optional<coap::Message>& server_csm() const { return server_csm_; }
  size_t server_requests_answered() const { return server_requests_answered_; }
  size_t pings_answered() const { return pings_answered_; }
  /// Set once the server refused the device on this session before serving it: an Abort
  /// before its CSM (Refused: dps's admission), or a TLS alert on the first read
  /// (HandshakeRefused: TLS 1.3 judges the client certificate after the client's handshake).
  const std::optional<ConnectFailure>& refusal() const { return refusal_; }
  /// "TLSv1.2" / "TLSv1.3" ("DTLSv1.2" over UDP).
  std::string tls_version() const;
  std::string cipher() const;
  Stream& stream() { return stream_; }
  const SessionOptions& options() const { return options_; }

 private:
  DeviceSession(boost::asio::ip::tcp::socket socket, std::shared_ptr<ClientTls> tls,
                SessionOptions options);
  static awaitable<Result<std::unique_ptr<DeviceSession>>> connect_udp(
      std::shared_ptr<ClientTls> tls, SessionOptions options);
  /// Copies what the UDP session learnt (refusal, counters) into this one's accessors.
  void sync_from_udp();
  SSL* native_handle() const;
  awaitable<Result<void>> handshake(Clock::time_point deadline);

  /// Next frame from the wire (any kind), before `deadline`.
  awaitable<Result<coap::Message>> read_message(Clock::time_point deadline);
  /// Handles CSM, Ping and server requests; true when consumed.
  awaitable<Result<bool>> serve(const coap::Message& message, Clock::time_point deadline);
  awaitable<Result<void>> write(std::vector<uint8_t> bytes, Clock::time_point deadline);

  std::shared_ptr<ClientTls> tls_;  // keeps the SSL_CTX alive as long as the stream
  Stream stream_;
  SessionOptions options_;
  std::vector<uint8_t> inbox_;
  std::string local_endpoint_;
  std::optional<coap::Message> server_csm_;
  size_t server_requests_answered_ = 0;
  size_t pings_answered_ = 0;
  bool closed_ = false;
  bool heard_from_server_ = false;  // a frame arrived
  std::optional<ConnectFailure> refusal_;
  std::unique_ptr<UdpSession> udp_;  // set for CoAP over UDP: every operation goes to it
};

using DeviceSessionPtr = std::unique_ptr<DeviceSession>;

}  // namespace dps::device
