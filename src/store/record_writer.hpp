// Group commit for provisioning records: concurrent devices share one transaction and one fsync.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "common/result.hpp"
#include "store/store.hpp"

namespace dps::metrics {
class Metrics;
}

namespace dps::store {

struct RecordWriterOptions {
  /// Most updates committed in one Store::apply_record_updates call. Bounds one transaction's size
  /// (and so the latency of the devices in it); 0 is treated as 1.
  size_t max_batch = 256;
  /// Receives each transaction's duration and size; null = not counted. Must outlive the writer.
  metrics::Metrics* metrics = nullptr;
};

/// Owns one writer thread that drains a queue of record updates into the Store. While a batch is
/// being committed, new submissions queue up and all go into the next batch, so N devices that
/// finish a step at the same moment cost one fsync, not N, without any added delay (no timer: an
/// idle writer commits a lone update at once).
///
/// Thread-safety: submit() and stats() may be called from any thread.
class RecordWriter {
 public:
  using Callback = std::function<void(Result<void>)>;

  struct Stats {
    uint64_t batches = 0;  // apply_record_updates calls made, successful or not
    uint64_t records = 0;  // updates handed to them
  };

  /// @param store must outlive the writer.
  RecordWriter(Store& store, RecordWriterOptions options = {});
  /// Stops accepting, commits everything already queued (running its callbacks), joins.
  ~RecordWriter();
  RecordWriter(const RecordWriter&) = delete;
  RecordWriter& operator=(const RecordWriter&) = delete;

  /// Queues `update` (merge rules of ProvisioningRecord).
  /// @param done invoked exactly once, on the writer thread, after the batch holding the update
  ///   committed (success: the update is durable; Conflict: the merge refused this update, which
  ///   changed nothing, see Store::apply_record_updates) or failed (every update of a failed
  ///   batch gets that batch's error; the caller answers 5.03 and the device retries). It must be
  ///   quick and must not throw: it delays every later batch. Typically it posts the response to
  ///   the session's strand. If the writer is already shutting down, `done` runs inline with
  ///   Unavailable.
  void submit(ProvisioningRecord update, Callback done);

  Stats stats() const;

 private:
  struct Pending {
    ProvisioningRecord update;
    Callback done;
  };

  void run();

  Store& store_;
  const size_t max_batch_;
  metrics::Metrics* const metrics_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;  // guarded by mutex_
  bool stopping_ = false;      // guarded by mutex_
  Stats stats_;                // guarded by mutex_

  std::thread thread_;  // last: starts once every member above is constructed
};

}  // namespace dps::store
