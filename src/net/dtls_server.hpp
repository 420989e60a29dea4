// The device-facing UDP listener for CoAP over DTLS 1.2 (RFC 6347): one UDP socket, one DTLS
// association (DtlsChannel) per peer address, a handler coroutine per association. It carries
// datagrams only.
//
// A peer without a session costs nothing until it proves it receives at its source address: its
// ClientHello is answered with one HelloVerifyRequest carrying a stateless cookie
// (dtls_cookie.hpp, never larger than the ClientHello: no amplification) and forgotten; anything
// else it sends is dropped. Only a ClientHello that echoes a valid cookie creates a channel,
// subject to the session cap and the per-source rate (ConnectionAdmission, as for TCP). Datagrams
// of a known peer go to its channel's bounded inbox.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/log_throttle.hpp"
#include "common/openssl_deleter.hpp"
#include "common/rate_limiter.hpp"
#include "common/result.hpp"
#include "net/connection_admission.hpp"
#include "net/dtls_channel.hpp"
#include "net/session_options.hpp"

namespace dps::metrics {
class Metrics;
}

namespace dps::net {

struct DtlsServerOptions {
  std::string address = "0.0.0.0:15684";  // host:port; port 0 picks a free one; [::] is dual-stack
  size_t max_sessions = 100000;           // beyond it a valid cookie gets no session (counted)
  RateLimit per_source;                   // new sessions per source address (after the cookie)
  /// Datagrams of one peer waiting for its session to read them; more are dropped (counted).
  size_t inbox_datagrams = 16;
  /// Larger datagrams are dropped unread (counted): a DTLS record holds at most 16 KiB.
  size_t max_datagram_size = 16384 + 512;
  size_t link_mtu = 1280;  // handshake flights and records fit datagrams of this size
  /// SO_RCVBUF, so that a burst of ClientHellos waits in the kernel instead of being lost there
  /// (best effort: capped by net.core.rmem_max). 0: the system's default.
  size_t socket_receive_buffer = 1 << 20;
  SessionOptions session;               // handshake and idle deadlines offered to handlers
  metrics::Metrics* metrics = nullptr;  // null: nothing counted in dps's metrics
};

/// What the listener dropped, refused and made; a snapshot (DtlsServer::counters()).
struct DtlsServerCounters {
  uint64_t datagrams_received = 0;
  uint64_t oversized_dropped = 0;   // above max_datagram_size
  uint64_t not_client_hello = 0;    // from a peer without a session, not an epoch-0 ClientHello
  uint64_t bad_client_hello = 0;    // looked like one, OpenSSL dropped it without an answer
  uint64_t hello_verify_sent = 0;   // HelloVerifyRequests (a ClientHello without a valid cookie)
  uint64_t sessions_refused = 0;    // valid cookie, but over max_sessions or the source's rate
  uint64_t sessions_opened = 0;     // valid cookie: a channel and its handler
  uint64_t sessions_replaced = 0;   // a new association from a known address (RFC 6347 §4.2.8)
  uint64_t inbox_full_dropped = 0;  // a session's inbox was full
  uint64_t records_dropped = 0;     // application records OpenSSL dropped (bad MAC, replay, epoch)
  uint64_t retransmissions = 0;     // handshake flights resent on the DTLS timer
  uint64_t send_failures = 0;       // datagrams the kernel did not take
  uint64_t stopping_dropped = 0;    // ClientHellos while stopping
};

class DtlsServer : public std::enable_shared_from_this<DtlsServer> {
 public:
  /// Runs one association; the session ends when it returns (then the listener sends
  /// close_notify if the handler did not, and forgets the peer). It should call
  /// channel.handshake() first and bound every wait with a deadline.
  using Handler = std::function<boost::asio::awaitable<void>(DtlsChannel&)>;

  /// Binds the socket (fails with a precise message if the address is bad or taken); nothing is
  /// read until start(). `dtls` comes from make_device_dtls_context.
  static Result<std::shared_ptr<DtlsServer>> create(boost::asio::io_context& io,
                                                    DtlsServerOptions options,
                                                    std::shared_ptr<boost::asio::ssl::context> dtls,
                                                    Handler handler);
  ~DtlsServer();
  DtlsServer(const DtlsServer&) = delete;
  DtlsServer& operator=(const DtlsServer&) = delete;

  boost::asio::ip::udp::endpoint local_endpoint() const;
  /// Starts reading datagrams. The listener keeps itself alive until it has stopped.
  void start();
  /// Stops admitting new peers, lets sessions finish for up to `grace`, then ends the remaining
  /// ones (their receive() returns nullopt, they send close_notify), waits for every handler to
  /// return and closes the socket. Completes when all of that is done.
  boost::asio::awaitable<void> shutdown(std::chrono::steady_clock::duration grace);
  /// shutdown(0) without waiting for it. Thread-safe.
  void stop();

  /// Sessions in the table (with a channel); thread-safe.
  size_t session_count() const { return session_count_.load(); }
  DtlsServerCounters counters() const;
  const DtlsServerOptions& options() const { return options_; }

 private:
  friend class DtlsChannel;
  struct Counters;
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

  DtlsServer(boost::asio::io_context& io, DtlsServerOptions options,
             std::shared_ptr<boost::asio::ssl::context> dtls, Handler handler);
  boost::asio::awaitable<void> receive_loop();
  boost::asio::awaitable<void> shutdown_on_strand(std::chrono::steady_clock::duration grace);
  boost::asio::awaitable<void> run_channel(std::shared_ptr<DtlsChannel> channel);
  void on_datagram(const boost::asio::ip::udp::endpoint& sender, std::span<const uint8_t> data);
  /// The stateless cookie exchange for a ClientHello; true when it echoed a valid cookie (the
  /// scratch SSL then holds its state).
  bool check_cookie(const boost::asio::ip::udp::endpoint& sender, std::span<const uint8_t> data);
  void open_session(const boost::asio::ip::udp::endpoint& sender);
  void on_session_end(const std::shared_ptr<DtlsChannel>& channel);
  void route(const std::shared_ptr<DtlsChannel>& channel, std::span<const uint8_t> data);
  boost::asio::awaitable<void> wait_for_handlers(std::chrono::steady_clock::time_point deadline);
  bool reset_scratch();
  void dropped(std::atomic<uint64_t>& counter, metrics::UdpDrop reason, uint64_t count = 1);
  /// Sends one datagram now, from any strand; false (and counted) if the kernel did not take it.
  bool send_datagram(const boost::asio::ip::udp::endpoint& to, std::span<const uint8_t> data);
  // What channels count, from their strands.
  void count_inbox_full();
  void count_retransmission();
  void count_records_dropped(uint64_t records);

  boost::asio::io_context& io_;
  const DtlsServerOptions options_;
  std::shared_ptr<boost::asio::ssl::context> dtls_;
  Handler handler_;
  Strand strand_;
  boost::asio::ip::udp::socket socket_;
  int native_socket_ = -1;  // for sends from the sessions' strands (sendto is thread-safe)
  std::vector<uint8_t> receive_buffer_;
  /// The SSL that DTLSv1_listen runs on for peers without a session; it becomes the session's SSL
  /// when a cookie checks out, and a new one takes its place.
  std::unique_ptr<SSL, OpenSslDeleter<SSL_free>> scratch_;
  std::unique_ptr<BIO_ADDR, OpenSslDeleter<BIO_ADDR_free>> scratch_peer_;
  std::unordered_map<boost::asio::ip::udp::endpoint, std::shared_ptr<DtlsChannel>> sessions_;
  ConnectionAdmission admission_;
  size_t running_ = 0;  // handlers not yet returned, replaced sessions included
  bool stopping_ = false;
  std::vector<boost::asio::steady_timer*> drain_waiters_;  // shutdowns waiting for running_ == 0
  std::unique_ptr<Counters> counters_;
  std::atomic<size_t> session_count_{0};
  std::atomic<uint64_t> next_id_{1};
  LogThrottle listen_error_log_{1};
  LogThrottle receive_error_log_{1};
};

}  // namespace dps::net
