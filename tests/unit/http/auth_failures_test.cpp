#include "http/auth_failures.hpp"

#include <gtest/gtest.h>

#include "http/routes.hpp"

namespace dps::http {
namespace {

using namespace std::chrono_literals;
using Clock = AuthFailureCounter::Clock;

TEST(AuthFailureCounter, RefusesASourceAfterTheLimitUntilItsWindowEnds) {
  AuthFailureCounter counter({.per_source = 3, .window = 60s});
  const auto t0 = Clock::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(counter.retry_after(1, t0 + 1s * i)) << "failure " << i << " is within the limit";
    counter.on_failure(1, t0 + 1s * i);
  }
  // The window started at the first failure: 60 s from t0.
  EXPECT_EQ(counter.retry_after(1, t0 + 2s), 58s);
  EXPECT_EQ(counter.retry_after(1, t0 + 59500ms), 1s);  // rounded up, never 0
  EXPECT_FALSE(counter.retry_after(1, t0 + 60s));       // the window is over
  counter.on_failure(1, t0 + 60s);                      // and a new one starts from 1
  EXPECT_FALSE(counter.retry_after(1, t0 + 61s));
}

TEST(AuthFailureCounter, SourcesHaveTheirOwnCounts) {
  AuthFailureCounter counter({.per_source = 1, .window = 10s});
  const auto t0 = Clock::time_point{} + 1h;
  counter.on_failure(1, t0);
  EXPECT_TRUE(counter.retry_after(1, t0));
  EXPECT_FALSE(counter.retry_after(2, t0));
}

TEST(AuthFailureCounter, DisabledCountsNothing) {
  AuthFailureCounter counter({.per_source = 0, .window = 10s});
  for (int i = 0; i < 100; ++i) counter.on_failure(1);
  EXPECT_FALSE(counter.retry_after(1));
  EXPECT_EQ(counter.tracked_sources(), 0u);
}

TEST(AuthFailureCounter, MemoryIsBoundedDroppingEndedWindowsFirst) {
  AuthFailureCounter counter({.per_source = 1, .window = 10s}, 4);
  const auto t0 = Clock::time_point{} + 1h;
  counter.on_failure(1, t0);
  for (uint64_t source = 2; source <= 4; ++source) counter.on_failure(source, t0 + 9s);
  counter.on_failure(5, t0 + 10s);  // full: source 1's window has ended and is dropped
  EXPECT_EQ(counter.tracked_sources(), 4u);
  EXPECT_TRUE(counter.retry_after(4, t0 + 10s)) << "a source still in its window is kept";
  counter.on_failure(6, t0 + 11s);  // full of live windows: forgotten (fail open), then counted
  EXPECT_EQ(counter.tracked_sources(), 1u);
}

TEST(AuthFailures, RefusesWith429AndRetryAfterOnlyTheSourceOverTheLimit) {
  AuthFailures failures({.per_source = 2, .window = 30s}, nullptr);
  const Error bad{ErrorCode::Unauthenticated, "token signature does not verify (ES256)", ""};
  failures.on_failure("192.0.2.7", "GET", "/api/v1/hubs", bad);
  EXPECT_FALSE(failures.refuse("192.0.2.7"));
  failures.on_failure("192.0.2.7", "GET", "/api/v1/hubs", bad);
  const auto refused = failures.refuse("192.0.2.7");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429u);
  ASSERT_EQ(refused->headers.size(), 1u);
  EXPECT_EQ(refused->headers[0].first, "Retry-After");
  const int retry = std::stoi(refused->headers[0].second);
  EXPECT_GE(retry, 29);
  EXPECT_LE(retry, 30);
  EXPECT_FALSE(failures.refuse("192.0.2.8"));
  EXPECT_FALSE(failures.refuse("?")) << "an unknown peer is never refused";
}

TEST(AuthFailures, OurOwnUnavailabilityIsNotCountedAgainstTheCaller) {
  AuthFailures failures({.per_source = 1, .window = 30s}, nullptr);
  const Error down{ErrorCode::Unavailable, "JWKS of https://issuer unreachable", ""};
  for (int i = 0; i < 5; ++i) failures.on_failure("192.0.2.7", "GET", "/api/v1/hubs", down);
  EXPECT_FALSE(failures.refuse("192.0.2.7"));
}

TEST(AuthFailures, AnIpv6SourceIsCountedPerSlash64) {
  AuthFailures failures({.per_source = 2, .window = 30s}, nullptr);
  const Error bad{ErrorCode::Unauthenticated, "missing bearer token", ""};
  failures.on_failure("2001:db8:1:2::1", "GET", "/api/v1/hubs", bad);
  failures.on_failure("2001:db8:1:2::ffff", "GET", "/api/v1/hubs", bad);  // same /64
  EXPECT_TRUE(failures.refuse("2001:db8:1:2::abcd"));
  EXPECT_FALSE(failures.refuse("2001:db8:1:3::1"));
}

}  // namespace
}  // namespace dps::http
