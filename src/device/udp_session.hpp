// CoAP over UDP (RFC 7252) on the device's DTLS connection: the message layer under a
// DeviceSession created with SessionOptions::udp. Each request is a Confirmable message with a
// fresh Message ID, retransmitted after ACK_TIMEOUT (2 s, doubling, at most MAX_RETRANSMIT 4
// times); its response comes piggybacked on the ACK or separately (then acknowledged). A request
// body too large for a datagram goes in Block1 blocks, a response too large in Block2 blocks
// (block_transfer.hpp). Meanwhile the server's own Confirmable request (the reverse
// `GET /oic/res`, device-protocol §3.6) is answered on its ACK, its retransmissions with the
// same answer, as an iotivity-lite device does.
//
// Thread-safety: one coroutine at a time drives a session.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "coap/message.hpp"
#include "coap/message_dedup.hpp"
#include "coap/udp_message.hpp"
#include "common/result.hpp"
#include "device/device_types.hpp"
#include "device/dtls_client.hpp"

namespace dps::device {

class UdpSession {
 public:
  using Clock = std::chrono::steady_clock;
  template <class T>
  using awaitable = boost::asio::awaitable<T>;

  /// RFC 7252 §4.8 transmission parameters (the random factor left out: one device, one
  /// exchange at a time).
  static constexpr std::chrono::milliseconds kAckTimeout{2000};
  static constexpr int kMaxRetransmit = 4;

  /// @param max_inbound_message  largest response body the device holds (Block2 reassembly cap).
  UdpSession(std::unique_ptr<DtlsClient> dtls, size_t max_inbound_message);

  /// Sends `request` (in Block1 blocks when too large for a datagram) and returns its whole
  /// response (Block2 blocks reassembled) with the request's token. Fails on `deadline`, a Reset,
  /// the connection closing, or a broken block-wise transfer; with Forbidden when the server
  /// refused the device before serving anything (refusal()).
  awaitable<Result<coap::Message>> request(coap::Message request, Clock::time_point deadline);
  /// One Confirmable message, no wait for its ACK.
  awaitable<Result<void>> send(const coap::Message& message);
  /// One datagram of application data as it is.
  awaitable<Result<void>> send_raw(std::span<const uint8_t> bytes);
  /// The next message the session does not handle itself (a response, an Empty ACK or Reset).
  awaitable<Result<coap::Message>> receive(Clock::time_point deadline);
  /// Serves the server's requests until it closes the session; the messages that arrived
  /// meanwhile. Fails with Unavailable when `deadline` passes first.
  awaitable<Result<std::vector<coap::Message>>> wait_closed(Clock::time_point deadline);
  /// close_notify and close. Idempotent.
  void close() { dtls_->close(); }

  /// "coaps://<local address>:<port>", the endpoint the device reports in /oic/res.
  const std::string& local_endpoint() const { return local_endpoint_; }
  size_t server_requests_answered() const { return server_requests_answered_; }
  size_t retransmissions() const { return retransmissions_; }
  const std::optional<ConnectFailure>& refusal() const { return refusal_; }
  SSL* native_handle() const { return dtls_->native_handle(); }

 private:
  /// One Confirmable exchange: `message` with a fresh Message ID until its response arrives.
  awaitable<Result<coap::Message>> exchange(const coap::Message& message,
                                            Clock::time_point deadline);
  /// `request` whole, or in Block1 blocks: the response to the whole body.
  awaitable<Result<coap::Message>> send_body(const coap::Message& request,
                                             Clock::time_point deadline);
  /// The next decoded datagram, serving what the session handles itself (server requests,
  /// datagrams to reject or ignore); nullopt at `deadline`.
  awaitable<Result<std::optional<coap::Datagram>>> next(Clock::time_point deadline);
  /// Answers a server request piggybacked on its ACK (the same bytes to its duplicates).
  awaitable<Result<void>> serve_request(const coap::Datagram& request);
  awaitable<Result<void>> send_datagram(const coap::Datagram& datagram);
  uint16_t message_id() { return next_message_id_++; }

  std::unique_ptr<DtlsClient> dtls_;
  size_t max_inbound_message_;
  std::string local_endpoint_;
  coap::MessageDeduplicator server_requests_;
  uint16_t next_message_id_;
  size_t server_requests_answered_ = 0;
  size_t retransmissions_ = 0;
  bool answered_ = false;  // a response arrived on this session
  std::optional<ConnectFailure> refusal_;
};

}  // namespace dps::device
