// Admission at accept, shared by the device listener (net::DeviceServer) and the management API
// listener (http::HttpServer): a cap on connections open at once and a per-source-address rate of
// new connections. Both are decided on the bare socket, before a byte is read or any TLS state
// exists, so a refused connection costs an accept and a close.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "common/log_throttle.hpp"
#include "common/rate_limiter.hpp"
#include "metrics/metrics.hpp"

namespace dps::net {

struct AdmissionOptions {
  std::string section;         // config section named in log lines: "apis.coap", "apis.http"
  size_t max_connections = 1;  // open at once; beyond it new connections are refused
  RateLimit per_source;        // new connections per source address (IPv6: per /64)
  metrics::Limit over_capacity = metrics::Limit::MaxConnections;
  metrics::Limit over_source_rate = metrics::Limit::SourceConnectionRate;
};

/// Thread-safe: accept loops and session completions may call it from any thread.
class ConnectionAdmission {
 public:
  /// `metrics` may be null (nothing counted).
  ConnectionAdmission(AdmissionOptions options, metrics::Metrics* metrics);

  /// Whether to serve a connection just accepted from `remote` (nullopt: address unknown, then
  /// only the cap applies). true: it counts as open until release(). false: the refusal was
  /// logged (throttled) and counted; the caller closes the socket.
  bool admit(const std::optional<boost::asio::ip::address>& remote);
  /// One admitted connection ended.
  void release();

  size_t open() const { return open_.load(); }
  size_t max_connections() const { return options_.max_connections; }

 private:
  const AdmissionOptions options_;
  metrics::Metrics* metrics_;
  std::atomic<size_t> open_{0};
  KeyedRateLimiter per_source_;
  LogThrottle over_capacity_log_{1};
  LogThrottle over_source_rate_log_{5};
};

/// The bucket key of a source address: IPv4 as is, IPv6 as its /64 (one host usually owns a whole
/// /64, so per-address buckets would be free for it to multiply).
uint64_t source_key(const boost::asio::ip::address& address);

/// Waits until the peer has sent something (a ClientHello, a request line) or `deadline` passed;
/// false on timeout or error. Nothing but the socket exists meanwhile: TLS state costs tens of KiB
/// from its creation (the SSL object; for the API, Asio's stream and its two 17 KiB record
/// buffers), so listeners create it only once this returns true, and a silent connection
/// (slow-loris) costs its socket and the coroutine frame.
boost::asio::awaitable<bool> first_bytes_before(boost::asio::ip::tcp::socket& socket,
                                                std::chrono::steady_clock::time_point deadline);

/// After a failed accept: logs it and, when the process is out of descriptors (EMFILE, ENFILE),
/// waits a moment on `timer` so sessions can finish instead of the loop spinning on accept.
boost::asio::awaitable<void> back_off_after_accept_error(const boost::system::error_code& ec,
                                                         boost::asio::steady_timer& timer,
                                                         const std::string& section);

}  // namespace dps::net
