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

namespace dps::net {

struct DeviceServerOptions {
  std::string address = "0.0.0.0:15684";  // host:port; port 0 picks a free one
  unsigned workers = 0;                   // I/O threads; 0 = one per core
  size_t max_connections = 100000;        // beyond it new connections are closed at once
  RateLimit per_source;                   // new connections per source address
};

class DeviceServer {
 public:
  /// Binds and listens (fails with a precise message if the address is bad or taken); does not
  /// accept until run().
  static Result<std::unique_ptr<DeviceServer>> create(const DeviceServerOptions& options,
                                                      SessionDependencies deps);
  ~DeviceServer();

  boost::asio::ip::tcp::endpoint local_endpoint() const;
  /// Accepts and serves until stop(); blocks the calling thread, which is one of the workers.
  void run();
  /// Thread-safe and signal-safe to call from an Asio signal handler: stops accepting and ends the
  /// I/O threads.
  void stop();
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
  boost::asio::awaitable<void> accept_loop();

  DeviceServerOptions options_;
  /// Runs the requests that may wait on the network (SessionDependencies::blocking), so that a
  /// slow OAuth2 authority holds these threads, never the I/O threads.
  boost::asio::thread_pool blocking_{kBlockingThreads};
  /// Reads each session's individual enrollment (SessionDependencies::store_reads): apart from
  /// `blocking_`, so that owners' slow authorities never delay another owner's admissions.
  boost::asio::thread_pool store_reads_{kStoreReadThreads};
  SessionDependencies deps_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  ConnectionAdmission admission_;
  std::atomic<uint64_t> next_connection_id_{1};
};

/// Opens, binds and listens `acceptor` on "host:port"; the message names the address on failure.
Result<void> listen_on(boost::asio::ip::tcp::acceptor& acceptor, const std::string& address);

/// "host:port" → endpoint; BadRequest naming the text when it does not parse.
Result<boost::asio::ip::tcp::endpoint> parse_endpoint(const std::string& address);

}  // namespace dps::net
