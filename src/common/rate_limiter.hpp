// Per-key token buckets: at most `rate` events per second per key on average, bursts of up to
// `burst`. Used to cap device connections per source address (net::DeviceServer) and management
// API requests per bearer token (http routes): a client that floods gets refused cheaply while
// everybody else keeps their own budget.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace dps {

struct RateLimit {
  double per_second = 0;  // 0 = no limit
  double burst = 1;       // events allowed at once after a quiet period (at least 1)
  bool enabled() const { return per_second > 0; }
};

/// Thread-safe. Memory is bounded by `max_keys` buckets: when full, buckets that have refilled
/// (keys quiet for burst / per_second seconds) are dropped; if every bucket is still busy, all
/// are forgotten and counting starts again (fail open: a flood from that many distinct keys is
/// the connection limit's job, not this one's).
class KeyedRateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit KeyedRateLimiter(RateLimit limit, size_t max_keys = 65536);

  /// Takes one token from `key`'s bucket; false when it is empty (the event is over the limit).
  /// Always true when the limit is disabled.
  bool allow(uint64_t key, Clock::time_point now = Clock::now());

  size_t tracked_keys() const;

 private:
  struct Bucket {
    double tokens;
    Clock::time_point updated;
  };
  double refilled(const Bucket& bucket, Clock::time_point now) const;
  void make_room(Clock::time_point now);

  const RateLimit limit_;
  const size_t max_keys_;
  mutable std::mutex mutex_;
  std::unordered_map<uint64_t, Bucket> buckets_;
};

}  // namespace dps
