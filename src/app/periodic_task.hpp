// A task run on a thread of its own every `interval` until destruction: the admin token's
// renewal, which writes a file and the store and so stays off the I/O threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace dps::app {

class PeriodicTask {
 public:
  /// Starts the thread; the first run is one `interval` from now. `task` must not throw.
  PeriodicTask(std::chrono::milliseconds interval, std::function<void()> task);
  /// Wakes the thread and joins it; a run in progress finishes first.
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

 private:
  void run();

  const std::chrono::milliseconds interval_;
  const std::function<void()> task_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread worker_;     // last: started once the rest is initialised
};

}  // namespace dps::app
