// One DTLS 1.2 association of the UDP listener (net::DtlsServer) with one peer address: the
// handshake, then application datagrams in and out, one record per datagram. It carries bytes
// only; what they mean (CoAP, OCF) is the handler's business. Every member runs on the channel's
// own strand, where the listener spawns the handler: the listener reaches the channel only by
// posting to that strand. Call its members from the handler (on that strand) only.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/openssl_deleter.hpp"
#include "net/session_options.hpp"
#include "net/tls_context.hpp"

namespace dps::net {

class DtlsServer;

class DtlsChannel {
 public:
  using Clock = std::chrono::steady_clock;
  using Executor = boost::asio::strand<boost::asio::io_context::executor_type>;

  /// Only DtlsServer makes channels (it hands over an SSL that has passed the cookie exchange).
  class Passkey {
    friend class DtlsServer;
    Passkey() = default;
  };
  DtlsChannel(Passkey, std::shared_ptr<DtlsServer> server, SSL* ssl,
              boost::asio::ip::udp::endpoint remote, uint64_t id, Executor executor);
  ~DtlsChannel();
  DtlsChannel(const DtlsChannel&) = delete;
  DtlsChannel& operator=(const DtlsChannel&) = delete;

  /// Runs the server side of the handshake, retransmitting its flights on DTLS's timer
  /// (RFC 6347 §4.2.4), until it completes, fails or `deadline` passes. The verify callback fills
  /// outcome(). Records OpenSSL drops (bad MAC, another epoch) do not end it. True once
  /// established; false after that is never true again (see handshake_timed_out(), error()).
  boost::asio::awaitable<bool> handshake(Clock::time_point deadline);
  /// The next application datagram, decrypted; nullopt at `deadline` (is_open() stays true), when
  /// the peer sent close_notify or a fatal alert, on a fatal error, or when the listener stops.
  /// Undecryptable and replayed records are dropped and counted, the session goes on.
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> receive(Clock::time_point deadline);
  /// Sends `payload` as one record in one datagram; false when the session is not open or the
  /// payload is larger than max_payload() (nothing is sent then). A datagram the kernel cannot
  /// take right now is dropped and counted, as the network may drop it: the layer above
  /// retransmits.
  boost::asio::awaitable<bool> send(std::span<const uint8_t> payload);
  /// Sends close_notify once (when the handshake had completed and the peer has not started a new
  /// association since) and ends the session. The listener calls it after the handler returns,
  /// so a handler need not.
  boost::asio::awaitable<void> close();

  const HandshakeOutcome& outcome() const { return outcome_; }
  SSL* native_handle() { return ssl_.get(); }
  /// "address:port", for log lines.
  const std::string& remote() const { return remote_text_; }
  const boost::asio::ip::udp::endpoint& remote_endpoint() const { return remote_; }
  uint64_t id() const { return id_; }
  /// Established and neither closed, failed nor stopped.
  bool is_open() const;
  bool handshake_timed_out() const { return handshake_timed_out_; }
  /// What ended the session or the handshake (OpenSSL's reason), empty if nothing did.
  const std::string& error() const { return error_; }
  /// The largest payload send() takes: the link MTU less IP, UDP and record overhead.
  size_t max_payload() const;
  /// The deadlines of the listener's SessionOptions, for handlers that have no others: the
  /// handshake's (from when the cookie was accepted) and an idle one from now.
  Clock::time_point handshake_deadline() const { return handshake_deadline_; }
  Clock::time_point idle_deadline() const;
  const Executor& get_executor() const { return executor_; }

 private:
  friend class DtlsServer;
  enum class State { Handshaking, Established, Closed, Failed };
  enum class Wake { Datagram, Timer, Deadline, Stopped };

  // Called by the listener, on this strand. terminate(): the session is to end; close_notify
  // only when the peer is still the same association (not when it has started a new one).
  void deliver(std::vector<uint8_t> datagram);
  void terminate(bool send_close_notify);
  // From any strand: whether an epoch-0 ClientHello from the peer is this handshake's own
  // (retransmitted) or a new association.
  bool handshaking() const { return handshaking_.load(std::memory_order_relaxed); }

  boost::asio::awaitable<Wake> wait(Clock::time_point deadline);
  bool on_retransmission_timer();
  void fail(const char* during, int ssl_error);
  void flush();

  std::shared_ptr<DtlsServer> server_;
  std::unique_ptr<SSL, OpenSslDeleter<SSL_free>> ssl_;
  BIO* bio_;  // owned by ssl_
  const boost::asio::ip::udp::endpoint remote_;
  const std::string remote_text_;
  const uint64_t id_;
  Executor executor_;
  boost::asio::steady_timer wake_;
  const SessionOptions& options_;
  const Clock::time_point handshake_deadline_;
  HandshakeOutcome outcome_;
  State state_ = State::Handshaking;
  bool stopped_ = false;
  bool close_notify_ = true;
  bool handshake_timed_out_ = false;
  std::string error_;
  std::atomic<bool> handshaking_{true};
  /// Datagrams the listener posted that deliver() has not taken yet: with the inbox, what bounds
  /// the memory a peer that sends faster than the session reads can hold.
  std::atomic<size_t> in_flight_{0};
};

}  // namespace dps::net
