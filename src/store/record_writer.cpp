#include "store/record_writer.hpp"

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "metrics/metrics.hpp"

namespace dps::store {

RecordWriter::RecordWriter(Store& store, RecordWriterOptions options)
    : store_(store),
      max_batch_(std::max<size_t>(options.max_batch, 1)),
      metrics_(options.metrics),
      thread_([this] { run(); }) {}

RecordWriter::~RecordWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void RecordWriter::submit(ProvisioningRecord update, Callback done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      queue_.push_back(Pending{std::move(update), std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done(fail(ErrorCode::Unavailable, "record writer is shutting down", "service shutting down"));
}

RecordWriter::Stats RecordWriter::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void RecordWriter::run() {
  // Reused across batches so a steady load allocates nothing here.
  std::vector<ProvisioningRecord> updates;
  std::vector<Callback> callbacks;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued has been committed
      const size_t n = std::min(queue_.size(), max_batch_);
      for (size_t i = 0; i < n; ++i) {
        updates.push_back(std::move(queue_.front().update));
        callbacks.push_back(std::move(queue_.front().done));
        queue_.pop_front();
      }
    }
    // The lock is released during the commit: that is where the next batch accumulates.
    const auto started = std::chrono::steady_clock::now();
    auto outcomes = store_.apply_record_updates(updates);
    if (metrics_) {
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
      metrics_->on_store_commit(updates.size(), took.count(), outcomes.has_value());
    }
    {
      // Counted before the callbacks run, so whoever a callback wakes sees complete stats.
      std::lock_guard lock(mutex_);
      ++stats_.batches;
      stats_.records += updates.size();
    }
    for (size_t i = 0; i < callbacks.size(); ++i) {
      if (!outcomes) {
        callbacks[i](tl::unexpected(outcomes.error()));
      } else if (i < outcomes->size()) {
        callbacks[i]((*outcomes)[i]);
      } else {
        callbacks[i](fail(ErrorCode::Internal, "store returned fewer outcomes than updates"));
      }
    }
    updates.clear();
    callbacks.clear();
  }
}

}  // namespace dps::store
