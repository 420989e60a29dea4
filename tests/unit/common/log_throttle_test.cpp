#include "common/log_throttle.hpp"

#include <gtest/gtest.h>

namespace dps {
namespace {

using namespace std::chrono_literals;
using Clock = LogThrottle::Clock;

TEST(LogThrottle, WritesUpToTheLimitPerWindowThenHoldsBack) {
  LogThrottle throttle(3, 1s);
  const auto t0 = Clock::time_point{} + 100s;
  for (int i = 0; i < 3; ++i) {
    const auto d = throttle.next(t0 + i * 10ms);
    EXPECT_TRUE(d.write) << i;
    EXPECT_EQ(d.suppressed, 0u);
    EXPECT_EQ(d.note(), "");
  }
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(throttle.next(t0 + 500ms).write);
}

TEST(LogThrottle, TheFirstLineOfTheNextWindowCountsWhatWasHeldBack) {
  LogThrottle throttle(1, 1s);
  const auto t0 = Clock::time_point{} + 100s;
  EXPECT_TRUE(throttle.next(t0).write);
  EXPECT_FALSE(throttle.next(t0 + 1ms).write);
  EXPECT_FALSE(throttle.next(t0 + 999ms).write);
  const auto d = throttle.next(t0 + 1s);
  EXPECT_TRUE(d.write);
  EXPECT_EQ(d.suppressed, 2u);
  EXPECT_EQ(d.note(), " (2 similar lines suppressed)");
  EXPECT_FALSE(throttle.next(t0 + 1500ms).write);
  EXPECT_EQ(throttle.next(t0 + 5s).note(), " (1 similar line suppressed)");
  EXPECT_EQ(throttle.next(t0 + 10s).suppressed, 0u);
}

TEST(LogThrottle, ZeroLinesPerWindowStillWritesOne) {
  LogThrottle throttle(0, 1s);
  const auto t0 = Clock::time_point{} + 100s;
  EXPECT_TRUE(throttle.next(t0).write);
  EXPECT_FALSE(throttle.next(t0).write);
}

}  // namespace
}  // namespace dps
