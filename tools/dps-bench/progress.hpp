// The live progress line on stderr: rewritten in place with \r about five times a second when
// stderr is a terminal, one plain line every five seconds otherwise (logs, CI).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>

namespace dps::bench {

class Progress {
 public:
  /// What is counted: items ("<label>: done/total done, failed, rate/s, elapsed") or seconds
  /// ("<label>: done/total s").
  enum class Unit { Items, Seconds };

  /// Starts printing the line until finish().
  Progress(std::string label, size_t total, Unit unit = Unit::Items);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// Thread-safe; cheap enough to call after every device.
  void update(size_t done, size_t failed = 0) {
    done_.store(done, std::memory_order_relaxed);
    failed_.store(failed, std::memory_order_relaxed);
  }
  /// Prints the final line and stops the printer thread. Idempotent.
  void finish();

 private:
  void print(bool final);

  std::string label_;
  size_t total_;
  Unit unit_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  std::atomic<size_t> done_{0};
  std::atomic<size_t> failed_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread printer_;
};

}  // namespace dps::bench
