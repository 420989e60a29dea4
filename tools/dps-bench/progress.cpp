#include "progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace dps::bench {

using namespace std::chrono_literals;

Progress::Progress(std::string label, size_t total, Unit unit)
    : label_(std::move(label)),
      total_(total),
      unit_(unit),
      tty_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()) {
  printer_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    const auto period = tty_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(5000);
    while (!wake_.wait_for(lock, period, [this] { return stopping_; })) print(false);
  });
}

Progress::~Progress() { finish(); }

void Progress::finish() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  printer_.join();
  print(true);
}

void Progress::print(bool final) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const size_t done = done_.load(std::memory_order_relaxed);
  const size_t failed = failed_.load(std::memory_order_relaxed);
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  char line[256];
  if (unit_ == Unit::Seconds) {
    std::snprintf(line, sizeof line, "%s: %zu/%zu s", label_.c_str(), done, total_);
  } else {
    std::snprintf(line, sizeof line, "%s: %zu/%zu done, %zu failed, %.1f/s, %.1f s", label_.c_str(),
                  done, total_, failed, rate, seconds);
  }
  if (tty_) {
    std::fprintf(stderr, "\r%s\033[K%s", line, final ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", line);
  }
  std::fflush(stderr);
}

}  // namespace dps::bench
