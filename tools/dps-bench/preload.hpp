// Bench set-up, not a measurement: writes N individual enrollments straight into a dps database
// (the data directory's SQLite file, or PostgreSQL), so dps can be measured holding a million of
// them (bench/individual-enrollments.sh). Lives here, not in dps: the server has no bulk path
// that bypasses the management API's owner checks and quotas.
#pragma once

#include "options.hpp"

namespace dps::bench {

/// Creates options.preload enrollments (random P-256-shaped key hashes, one owner, one hub) in
/// batches of kPreloadBatch through Store::create_individual_enrollments, progress on stderr, the
/// rate on stdout. 0 when all were written, 1 on the first store error (earlier batches stay).
int run_preload(const BenchOptions& options);

inline constexpr size_t kPreloadBatch = 10'000;

}  // namespace dps::bench
