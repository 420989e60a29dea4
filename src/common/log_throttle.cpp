#include "common/log_throttle.hpp"

#include <algorithm>

namespace dps {

std::string LogThrottle::Decision::note() const {
  if (suppressed == 0) return {};
  return " (" + std::to_string(suppressed) + " similar line" + (suppressed == 1 ? "" : "s") +
         " suppressed)";
}

LogThrottle::LogThrottle(size_t lines_per_window, Clock::duration window)
    : lines_per_window_(std::max<size_t>(lines_per_window, 1)), window_(window) {}

LogThrottle::Decision LogThrottle::next(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (now >= window_end_) {
    window_end_ = now + window_;
    written_in_window_ = 0;
  }
  if (written_in_window_ == lines_per_window_) {
    ++suppressed_;
    return {};
  }
  ++written_in_window_;
  Decision decision{true, suppressed_};
  suppressed_ = 0;
  return decision;
}

}  // namespace dps
