#include "stats.hpp"

#include <gtest/gtest.h>

#include <numeric>

namespace dps::bench {
namespace {

TEST(Percentile, NearestRankOverOneToHundred) {
  std::vector<int64_t> samples(100);
  std::iota(samples.begin(), samples.end(), 1);
  EXPECT_EQ(percentile(samples, 50), 50);
  EXPECT_EQ(percentile(samples, 95), 95);
  EXPECT_EQ(percentile(samples, 99), 99);
  EXPECT_EQ(percentile(samples, 100), 100);
  EXPECT_EQ(percentile(samples, 0.001), 1);
}

TEST(Percentile, RoundsTheRankUp) {
  // 10 samples: p95 is rank ceil(9.5) = 10, p50 rank 5.
  const std::vector<int64_t> samples{10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
  EXPECT_EQ(percentile(samples, 50), 50);
  EXPECT_EQ(percentile(samples, 95), 100);
  EXPECT_EQ(percentile(samples, 51), 60);
}

TEST(Percentile, EmptySetIsZero) { EXPECT_EQ(percentile({}, 50), 0); }

TEST(Summarize, SortsAndReportsEveryFigure) {
  const auto s = summarize({7, 3, 9, 1, 5});
  EXPECT_EQ(s.count, 5u);
  EXPECT_EQ(s.p50, 5);
  EXPECT_EQ(s.p95, 9);
  EXPECT_EQ(s.p99, 9);
  EXPECT_EQ(s.max, 9);
}

TEST(Summarize, OneSampleIsEveryPercentile) {
  const auto s = summarize({42});
  EXPECT_EQ(s.p50, 42);
  EXPECT_EQ(s.p99, 42);
  EXPECT_EQ(s.max, 42);
}

TEST(Summarize, NoSamplesIsAllZero) {
  const auto s = summarize({});
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.max, 0);
}

}  // namespace
}  // namespace dps::bench
