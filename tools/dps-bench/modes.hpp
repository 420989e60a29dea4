// The two things dps-bench measures, each from set-up target to printed report and exit code.
#pragma once

#include "options.hpp"
#include "target.hpp"

namespace dps::bench {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

/// N devices through the whole flow; 0 when every one succeeded, else 1.
int run_provision(const BenchOptions& options, Target& target);

/// K idle connections held for a while; 0 when every one opened, else 1.
int run_idle(const BenchOptions& options, Target& target);

/// Client threads: the option, or one per core.
unsigned client_threads(const BenchOptions& options);

}  // namespace dps::bench
