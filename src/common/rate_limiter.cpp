#include "common/rate_limiter.hpp"

#include <algorithm>

namespace dps {

KeyedRateLimiter::KeyedRateLimiter(RateLimit limit, size_t max_keys)
    : limit_{limit.per_second, std::max(1.0, limit.burst)},
      max_keys_(std::max<size_t>(1, max_keys)) {}

double KeyedRateLimiter::refilled(const Bucket& bucket, Clock::time_point now) const {
  const std::chrono::duration<double> elapsed = now - bucket.updated;
  return std::min(limit_.burst, bucket.tokens + std::max(0.0, elapsed.count()) * limit_.per_second);
}

void KeyedRateLimiter::make_room(Clock::time_point now) {
  std::erase_if(buckets_,
                [&](const auto& entry) { return refilled(entry.second, now) >= limit_.burst; });
  if (buckets_.size() >= max_keys_) buckets_.clear();
}

bool KeyedRateLimiter::allow(uint64_t key, Clock::time_point now) {
  if (!limit_.enabled()) return true;
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) make_room(now);
    buckets_.emplace(key, Bucket{limit_.burst - 1, now});
    return true;
  }
  Bucket& bucket = it->second;
  bucket.tokens = refilled(bucket, now);
  bucket.updated = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

size_t KeyedRateLimiter::tracked_keys() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace dps
