// The clock of every server-side figure here: CPU time of the calling thread only (user + sys).
// The device half of a handshake runs in the same thread, and other processes share this
// machine's two cores, so neither wall time nor process CPU time would isolate the server's share.
#pragma once

#include <time.h>

#include <cstdint>

namespace dps::microbench {

inline int64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

/// Runs `fn`, adds the thread CPU it took to `total`, returns what it returned.
template <class Fn>
auto timed(int64_t& total, Fn fn) {
  const int64_t start = thread_cpu_ns();
  auto result = fn();
  total += thread_cpu_ns() - start;
  return result;
}

}  // namespace dps::microbench
