// Failed authentications on the management API, per source address. The per-token rate limit
// (apis.http.rateLimit) keys on the token's text, so a client that sends a fresh token with every
// request is never limited by it, and every such request costs a signature verification and a
// log line. This counts failures per source (IPv4 address, IPv6 /64) in fixed windows: after
// `per_source` failures in one window the source is answered 429 until the window ends, before
// its token is looked at, whatever token it sends. The 401 log lines are throttled here too.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/log_throttle.hpp"
#include "common/result.hpp"

namespace dps::metrics {
class Metrics;
}

namespace dps::http {

struct Reply;  // http/routes.hpp

struct AuthFailureLimit {
  size_t per_source = 0;  // failed authentications per source in one window; 0 = no limit
  std::chrono::milliseconds window{60000};
  bool enabled() const { return per_source > 0 && window.count() > 0; }
};

/// Thread-safe. Memory is bounded by `max_sources` entries: when full, sources whose window has
/// ended are dropped; if none has, all are forgotten (fail open, as KeyedRateLimiter: a flood
/// from that many addresses is the connection limits' job).
class AuthFailureCounter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit AuthFailureCounter(AuthFailureLimit limit, size_t max_sources = 65536);

  /// When `source` is over the limit: how long until its window ends (whole seconds, at least 1);
  /// nullopt while it may still try.
  std::optional<std::chrono::seconds> retry_after(uint64_t source,
                                                  Clock::time_point now = Clock::now()) const;
  /// One failed authentication from `source`.
  void on_failure(uint64_t source, Clock::time_point now = Clock::now());

  size_t tracked_sources() const;

 private:
  struct Window {
    Clock::time_point ends;
    size_t failures = 0;
  };
  const AuthFailureLimit limit_;
  const size_t max_sources_;
  mutable std::mutex mutex_;
  std::unordered_map<uint64_t, Window> windows_;  // guarded by mutex_
};

/// What the routes call around token verification (HttpEndpoints::auth_failures).
class AuthFailures {
 public:
  /// `metrics` may be null.
  AuthFailures(AuthFailureLimit limit, metrics::Metrics* metrics);

  /// 429 with Retry-After for a `peer` (an IP address as text) over the limit, counted in
  /// dps_limits_triggered_total{limit="api_auth_failures"}; nullopt to go on and verify.
  std::optional<Reply> refuse(const std::string& peer) const;
  /// A token that did not verify: counts it against `peer` (unless the cause is ours,
  /// Unavailable) and logs a line (at most kLinesPerSecond per second, then a "suppressed"
  /// note). The line names the peer, method, path and the reason, never the token.
  void on_failure(const std::string& peer, std::string_view method, std::string_view path,
                  const Error& error);

  static constexpr size_t kLinesPerSecond = 5;

 private:
  metrics::Metrics* metrics_;
  AuthFailureCounter counter_;
  LogThrottle log_{kLinesPerSecond};
};

}  // namespace dps::http
