// Makes `count` objects on `threads` threads (the calling one included): device identities and
// software TPMs, whose key generation would otherwise make a large run's set-up single-threaded.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/result.hpp"

namespace dps::bench {

/// `make(i)` for i in [0, count), in parallel; `progress(done)` after each (may be empty).
/// Stops at the first failure and throws std::runtime_error "<what>: <its error>".
template <class T>
std::vector<T> parallel_make(size_t count, unsigned threads, const std::string& what,
                             const std::function<Result<T>(size_t)>& make,
                             const std::function<void(size_t done)>& progress) {
  std::vector<std::optional<T>> made(count);
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::mutex error_mutex;
  std::string first_error;
  auto work = [&] {
    for (size_t i = next++; i < count; i = next++) {
      auto one = make(i);
      if (!one) {
        std::lock_guard lock(error_mutex);
        if (first_error.empty()) first_error = one.error().internal;
        next = count;  // stop every worker
        return;
      }
      made[i].emplace(std::move(*one));
      if (progress) progress(++done);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::max(1u, threads); ++t) pool.emplace_back(work);
  work();
  for (auto& thread : pool) thread.join();
  if (!first_error.empty()) throw std::runtime_error(what + ": " + first_error);
  std::vector<T> out;
  out.reserve(count);
  for (auto& one : made) out.push_back(std::move(*one));
  return out;
}

}  // namespace dps::bench
