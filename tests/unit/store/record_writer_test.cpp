#include "store/record_writer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <latch>
#include <mutex>
#include <set>
#include <thread>

#include "forwarding_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store_contract_test.hpp"

namespace dps::store::testing {
namespace {

using namespace std::chrono_literals;

// Holds every commit until `gate` opens and records batch sizes. Holding the first commit until
// all submitters have queued makes "the rest shared a commit" a certainty, not a timing accident.
class GatedStore : public ForwardingStore {
 public:
  GatedStore(Store& inner, std::latch& gate) : ForwardingStore(inner), gate_(gate) {}

  Result<RecordOutcomes> apply_record_updates(
      std::span<const ProvisioningRecord> updates) override {
    gate_.wait();
    {
      std::lock_guard lock(mutex_);
      batch_sizes_.push_back(updates.size());
    }
    return ForwardingStore::apply_record_updates(updates);
  }

  std::vector<size_t> batch_sizes() const {
    std::lock_guard lock(mutex_);
    return batch_sizes_;
  }

 private:
  std::latch& gate_;
  mutable std::mutex mutex_;
  std::vector<size_t> batch_sizes_;
};

class FailingStore : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Result<RecordOutcomes> apply_record_updates(std::span<const ProvisioningRecord>) override {
    return fail(ErrorCode::Unavailable, "disk unplugged");
  }
};

// Collects callback outcomes; wait() blocks on a condition with a deadline, never sleeps.
class Completions {
 public:
  RecordWriter::Callback callback() {
    return [this](Result<void> result) {
      std::lock_guard lock(mutex_);
      ++count_;
      if (!result) errors_.push_back(result.error());
      threads_.insert(std::this_thread::get_id());
      done_.notify_all();
    };
  }
  bool wait(size_t n) {
    std::unique_lock lock(mutex_);
    return done_.wait_for(lock, 60s, [&] { return count_ >= n; });
  }
  size_t count() const {
    std::lock_guard lock(mutex_);
    return count_;
  }
  std::vector<Error> errors() const {
    std::lock_guard lock(mutex_);
    return errors_;
  }
  std::set<std::thread::id> threads() const {
    std::lock_guard lock(mutex_);
    return threads_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable done_;
  size_t count_ = 0;
  std::vector<Error> errors_;
  std::set<std::thread::id> threads_;
};

class RecordWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = SqliteStore::open(dir_.path() / "dps.sqlite");
    ASSERT_TRUE(ok(opened));
    sqlite_ = std::move(*opened);
  }

  size_t stored_count() {
    auto records = sqlite_->list_provisioning_records({.scope = OwnerScope::every_owner()});
    EXPECT_TRUE(ok(records));
    return records ? records->size() : 0;
  }

  TempDir dir_;
  std::unique_ptr<SqliteStore> sqlite_;
  Completions completions_;
};

TEST_F(RecordWriterTest, ConcurrentSubmittersAllSucceedAndShareCommits) {
  constexpr size_t kThreads = 64;
  constexpr size_t kPerThread = 8;
  constexpr size_t kTotal = kThreads * kPerThread;
  std::latch all_queued(kThreads);
  GatedStore gated(*sqlite_, all_queued);
  RecordWriter writer(gated);
  std::set<std::thread::id> submitters;
  {
    std::latch start(kThreads);  // release every submitter at once
    std::vector<std::jthread> threads;
    for (size_t t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        for (size_t i = 0; i < kPerThread; ++i) {
          const std::string id = "r" + std::to_string(t * 1000 + i);
          writer.submit(make_record(id, "alice", 1), completions_.callback());
        }
        all_queued.count_down();
      });
      submitters.insert(threads.back().get_id());
    }
  }  // joined
  ASSERT_TRUE(completions_.wait(kTotal));

  EXPECT_TRUE(completions_.errors().empty());
  const auto threads = completions_.threads();
  ASSERT_EQ(threads.size(), 1u) << "callbacks run on the one writer thread";
  EXPECT_EQ(submitters.count(*threads.begin()), 0u);
  EXPECT_EQ(stored_count(), kTotal);

  const RecordWriter::Stats stats = writer.stats();
  EXPECT_EQ(stats.records, kTotal);
  EXPECT_LT(stats.batches, stats.records);
  // The first commit took what was queued when the writer woke; everything else was queued while
  // it was held, so at most two full batches (256 each) follow it.
  EXPECT_LE(stats.batches, 3u);
  EXPECT_EQ(gated.batch_sizes().size(), stats.batches);
}

TEST_F(RecordWriterTest, LoneUpdateIsCommittedWithoutWaitingForCompany) {
  RecordWriter writer(*sqlite_);
  writer.submit(make_record("r1", "alice", 1), completions_.callback());
  ASSERT_TRUE(completions_.wait(1));
  EXPECT_TRUE(completions_.errors().empty());
  EXPECT_EQ(stored_count(), 1u);
  EXPECT_EQ(writer.stats().batches, 1u);
  EXPECT_EQ(writer.stats().records, 1u);
}

TEST_F(RecordWriterTest, EveryUpdateOfAFailedBatchGetsTheError) {
  FailingStore failing(*sqlite_);
  {
    RecordWriter writer(failing);
    for (int i = 0; i < 10; ++i) {
      writer.submit(make_record("r" + std::to_string(i), "alice", 1), completions_.callback());
    }
  }  // drains
  ASSERT_EQ(completions_.count(), 10u);
  const auto errors = completions_.errors();
  ASSERT_EQ(errors.size(), 10u);
  for (const Error& e : errors) EXPECT_EQ(e.code, ErrorCode::Unavailable);
}

TEST_F(RecordWriterTest, DestructorCommitsEverythingQueued) {
  {
    RecordWriter writer(*sqlite_);
    for (int i = 0; i < 200; ++i) {
      writer.submit(make_record("r" + std::to_string(i), "alice", 1), completions_.callback());
    }
  }
  EXPECT_EQ(completions_.count(), 200u);  // no waiting: the destructor returned after them
  EXPECT_TRUE(completions_.errors().empty());
  EXPECT_EQ(stored_count(), 200u);
}

TEST_F(RecordWriterTest, MaxBatchBoundsEachCommit) {
  std::latch gate(1);
  GatedStore gated(*sqlite_, gate);
  {
    RecordWriter writer(gated, {.max_batch = 3});
    for (int i = 0; i < 10; ++i) {
      writer.submit(make_record("r" + std::to_string(i), "alice", 1), completions_.callback());
    }
    gate.count_down();
  }
  const std::vector<size_t> sizes = gated.batch_sizes();
  size_t sum = 0;
  for (size_t s : sizes) {
    EXPECT_LE(s, 3u);
    sum += s;
  }
  EXPECT_EQ(sum, 10u);
  EXPECT_EQ(stored_count(), 10u);
}

TEST_F(RecordWriterTest, UpdatesOfOneIdApplyInSubmissionOrder) {
  {
    RecordWriter writer(*sqlite_, {.max_batch = 7});  // order must hold across batches too
    for (int i = 0; i < 100; ++i) {
      ProvisioningRecord update{.id = "r1", .owner = "alice"};
      update.cloud = CloudSection{.status = {50, 68, ""}, .provider_name = std::to_string(i)};
      writer.submit(std::move(update), completions_.callback());  // equal dates: last one wins
    }
  }
  auto records = sqlite_->list_provisioning_records({.scope = OwnerScope::every_owner()});
  ASSERT_TRUE(ok(records));
  ASSERT_EQ(records->size(), 1u);
  ASSERT_TRUE(records->front().cloud);
  EXPECT_EQ(records->front().cloud->provider_name, "99");
}

}  // namespace
}  // namespace dps::store::testing
