// Keeps the device-side Catalog equal to the store, also when another process (a second replica
// on the same database) changed it: a background thread compares the store's
// configuration_version with the one its snapshot was built from and rebuilds on a difference.
// A ChangeSignal (PostgreSQL LISTEN/NOTIFY) wakes it as soon as a change commits; without one, or
// while the signal is down, the comparison runs every poll interval, so a missed notification
// delays a change by one interval at most and never leaves a replica on stale data.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "common/result.hpp"
#include "provisioning/catalog.hpp"

namespace dps::store {
class Store;
}
namespace dps::metrics {
class Metrics;
}

namespace dps::provisioning {

/// A source of "the configuration may have changed" events (e.g. a LISTEN connection).
class ChangeSignal {
 public:
  enum class Outcome {
    kNotified,  // a change was announced
    kTimeout,   // nothing within the timeout
    kLost,      // the signal was down (some announcements may be lost): the caller must re-check
  };
  virtual ~ChangeSignal() = default;
  /// Blocks up to `timeout`; must return within it (it bounds how fast the refresher stops).
  virtual Outcome wait(std::chrono::milliseconds timeout) = 0;
};

struct CatalogRefresherOptions {
  std::chrono::milliseconds poll_interval{250};
  /// Counts each (re)build and its configuration version; null = not counted. Must outlive the
  /// refresher.
  metrics::Metrics* metrics = nullptr;
  /// Called on the refresher's thread after each snapshot is swapped in (e.g. to drop per-hub
  /// clients of deleted hubs); must not block long. What it uses must outlive the refresher.
  std::function<void(const Catalog&)> on_loaded;
};

class CatalogRefresher {
 public:
  /// Builds the first snapshot (failing when the store cannot be read) and starts the thread.
  [[nodiscard]] static Result<std::unique_ptr<CatalogRefresher>> start(
      store::Store& store, CatalogRefresherOptions options,
      std::unique_ptr<ChangeSignal> signal = nullptr);
  ~CatalogRefresher();
  CatalogRefresher(const CatalogRefresher&) = delete;
  CatalogRefresher& operator=(const CatalogRefresher&) = delete;

  CatalogHolder& catalogs() { return *catalogs_; }

  /// Re-checks now, on the calling thread: after a change made through this process's API, so
  /// the next device connection sees it without waiting for the thread.
  void refresh_now();

  /// Version of the configuration the current snapshot was built from.
  int64_t loaded_version() const;

 private:
  CatalogRefresher(store::Store& store, CatalogRefresherOptions options,
                   std::unique_ptr<ChangeSignal> signal);
  /// Rebuilds when the store's version differs from the loaded one (or always, when `force`).
  Result<void> refresh(bool force);
  void run();

  store::Store& store_;
  CatalogRefresherOptions options_;
  std::unique_ptr<ChangeSignal> signal_;
  std::unique_ptr<CatalogHolder> catalogs_;

  std::mutex refresh_mutex_;  // one rebuild at a time (thread and refresh_now())
  mutable std::mutex state_mutex_;
  std::condition_variable wake_;
  std::optional<int64_t> loaded_version_;  // empty = never loaded, or forced reload pending
  bool stopping_ = false;
  bool store_down_logged_ = false;
  std::thread thread_;
};

}  // namespace dps::provisioning
