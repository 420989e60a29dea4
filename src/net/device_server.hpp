// The device-facing listener: accepts TCP connections and runs one session coroutine per
// connection on its own strand, over a pool of I/O threads.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/rate_limiter.hpp"
#include "common/result.hpp"
#include "net/connection_admission.hpp"
#include "net/device_session.hpp"
#include "net/dtls_server.hpp"
#include "net/listener.hpp"

namespace dps::net {

struct DeviceServerOptions {
  std::string address = "0.0.0.0:15684";  // host:port; port 0 picks a free one
  bool tcp = true;                        // CoAP over TCP+TLS on `address`
  bool udp = false;      // CoAP over UDP+DTLS on `address` too (SessionDependencies::dtls set)
  unsigned workers = 0;  // I/O threads; 0 = one per core
  size_t max_connections = 100000;  // beyond it new connections are closed at once
  RateLimit per_source;             // new connections per source address
};

class DeviceServer {
 public:
  /// Binds and listens (fails with a precise message if the address is bad or taken); does not
  /// accept until run().
  static Result<std::unique_ptr<DeviceServer>> create(const DeviceServerOptions& options,
                                                      SessionDependencies deps);
  ~DeviceServer();

  /// The TCP listener's address (unbound when tcp is off).
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  /// The UDP listener's address, when udp is on.
  std::optional<boost::asio::ip::udp::endpoint> udp_endpoint() const;
  /// Accepts and serves until stop(); blocks the calling thread, which is one of the workers.
  void run();
  /// Thread-safe and signal-safe to call from an Asio signal handler: stops accepting and ends the
  /// I/O threads.
  void stop();
  /// Stops accepting, lets the open sessions finish (a step under way completes and is answered)
  /// for up to `grace`, then ends the I/O threads as stop() does. Returns at once.
  void stop_gracefully(std::chrono::steady_clock::duration grace);
  boost::asio::io_context& io_context() { return io_; }

  /// Threads of the pool that runs requests which may wait on the network (hubs' authorities
  /// and certificate authorities), and the calls one owner's hubs may hold of them at once
  /// (enforced by the callers, see app/service.cpp): an owner whose endpoints never answer
  /// holds at most a quarter of the pool.
  static constexpr size_t kBlockingThreads = 16;
  static constexpr size_t kOutboundCallsPerOwner = 4;
  /// One indexed read each; SQLite serialises them on one connection anyway, PostgreSQL's pool
  /// gets a few at once.
  static constexpr size_t kStoreReadThreads = 4;

 private:
  DeviceServer(const DeviceServerOptions& options, SessionDependencies deps);
  Listener::Hooks tcp_hooks();
  Result<std::shared_ptr<DtlsServer>> make_udp_listener();
  void finish_udp_listener();

  DeviceServerOptions options_;
  /// Runs the requests that may wait on the network (SessionDependencies::blocking), so that a
  /// slow OAuth2 authority holds these threads, never the I/O threads.
  boost::asio::thread_pool blocking_{kBlockingThreads};
  /// Reads each session's individual enrollment (SessionDependencies::store_reads): apart from
  /// `blocking_`, so that owners' slow authorities never delay another owner's admissions.
  boost::asio::thread_pool store_reads_{kStoreReadThreads};
  SessionDependencies deps_;
  boost::asio::io_context io_;
  std::atomic<uint64_t> next_connection_id_{1};
  Listener tcp_;                     // CoAP over TCP+TLS
  std::shared_ptr<DtlsServer> udp_;  // CoAP over UDP+DTLS; null when apis.coap.protocols lacks it
};

}  // namespace dps::net
