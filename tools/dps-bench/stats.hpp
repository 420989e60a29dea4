// Latency summaries for the bench report: nearest-rank percentiles over microsecond samples.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dps::bench {

/// count, p50, p95, p99 and max of a set of samples (all zero when there are none).
struct LatencySummary {
  size_t count = 0;
  int64_t p50 = 0;
  int64_t p95 = 0;
  int64_t p99 = 0;
  int64_t max = 0;
};

/// The nearest-rank percentile `p` (0 < p <= 100) of `sorted` (ascending): the smallest sample
/// with at least p% of the samples at or below it. 0 for an empty set.
int64_t percentile(const std::vector<int64_t>& sorted, double p);

/// Sorts `samples` and summarises them.
LatencySummary summarize(std::vector<int64_t> samples);

}  // namespace dps::bench
