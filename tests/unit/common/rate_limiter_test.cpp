#include "common/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace dps {
namespace {

using namespace std::chrono_literals;
using Clock = KeyedRateLimiter::Clock;

TEST(KeyedRateLimiter, AllowsTheBurstThenRefusesUntilTokensRefill) {
  KeyedRateLimiter limiter({.per_second = 10, .burst = 3});
  const auto t0 = Clock::time_point{} + 1h;
  EXPECT_TRUE(limiter.allow(1, t0));
  EXPECT_TRUE(limiter.allow(1, t0));
  EXPECT_TRUE(limiter.allow(1, t0));
  EXPECT_FALSE(limiter.allow(1, t0));
  EXPECT_FALSE(limiter.allow(1, t0 + 50ms));  // half a token
  EXPECT_TRUE(limiter.allow(1, t0 + 100ms));  // one token after 1/10 s
  EXPECT_FALSE(limiter.allow(1, t0 + 100ms));
  EXPECT_TRUE(limiter.allow(1, t0 + 10s));  // refills to the burst, not beyond
  EXPECT_TRUE(limiter.allow(1, t0 + 10s));
  EXPECT_TRUE(limiter.allow(1, t0 + 10s));
  EXPECT_FALSE(limiter.allow(1, t0 + 10s));
}

TEST(KeyedRateLimiter, KeysHaveTheirOwnBudgets) {
  KeyedRateLimiter limiter({.per_second = 1, .burst = 1});
  const auto t0 = Clock::time_point{} + 1h;
  EXPECT_TRUE(limiter.allow(1, t0));
  EXPECT_FALSE(limiter.allow(1, t0));
  EXPECT_TRUE(limiter.allow(2, t0));  // the flooder's empty bucket is not the others'
  EXPECT_FALSE(limiter.allow(2, t0));
}

TEST(KeyedRateLimiter, DisabledAllowsEverything) {
  KeyedRateLimiter limiter({.per_second = 0, .burst = 1});
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.allow(7));
  EXPECT_EQ(limiter.tracked_keys(), 0u);
}

TEST(KeyedRateLimiter, MemoryStaysBoundedByMaxKeys) {
  KeyedRateLimiter limiter({.per_second = 1, .burst = 2}, /*max_keys=*/100);
  const auto t0 = Clock::time_point{} + 1h;
  for (uint64_t key = 0; key < 10000; ++key) {
    EXPECT_TRUE(limiter.allow(key, t0)) << key;  // a new key always starts with a full bucket
    EXPECT_LE(limiter.tracked_keys(), 100u);
  }
  // Quiet keys are dropped first: after the refill time the table makes room without a reset.
  KeyedRateLimiter quiet({.per_second = 1, .burst = 2}, /*max_keys=*/2);
  EXPECT_TRUE(quiet.allow(1, t0));
  EXPECT_TRUE(quiet.allow(2, t0 + 5s));
  EXPECT_TRUE(quiet.allow(2, t0 + 5s));
  EXPECT_TRUE(quiet.allow(3, t0 + 5s));   // key 1 has refilled: dropped to make room
  EXPECT_FALSE(quiet.allow(2, t0 + 5s));  // key 2 is still tracked with an empty bucket
}

}  // namespace
}  // namespace dps
