// A flood (refused connections, failed handshakes) must not become as many log lines: a line
// per event lets any peer fill the operator's disk. Each kind of line gets a LogThrottle; the
// metrics keep the exact counts (dps_limits_triggered_total, dps_handshakes_total).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

namespace dps {

class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  struct Decision {
    bool write = false;
    uint64_t suppressed = 0;  // lines held back since the last one written (when write)
    /// " (N similar lines suppressed)" when lines were held back, else "": appended to the line.
    std::string note() const;
  };

  /// At most `lines_per_window` lines (0 is treated as 1) in each `window`.
  explicit LogThrottle(size_t lines_per_window, Clock::duration window = std::chrono::seconds(1));

  /// Whether to write the line of an event happening at `now`. Thread-safe.
  Decision next(Clock::time_point now = Clock::now());

 private:
  const size_t lines_per_window_;
  const Clock::duration window_;
  std::mutex mutex_;
  Clock::time_point window_end_{};  // guarded by mutex_
  size_t written_in_window_ = 0;    // guarded by mutex_
  uint64_t suppressed_ = 0;         // guarded by mutex_
};

}  // namespace dps
