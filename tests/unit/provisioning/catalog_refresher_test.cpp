// CatalogRefresher on a real SQLite database: changes made through another connection (what a
// second replica does) reach the snapshot without any call into this process; a ChangeSignal
// wakes it early; a lost signal forces a rebuild.
#include "provisioning/catalog_refresher.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "store/sqlite/sqlite_store.hpp"
#include "support/test_pki.hpp"

namespace dps::provisioning {
namespace {

using namespace std::chrono_literals;
using test::TempDir;

store::EnrollmentGroup group(const std::string& id, const std::string& chain_pem) {
  store::EnrollmentGroup g;
  g.id = id;
  g.owner = "alice";
  g.name = id;
  g.x509.certificate_chain = chain_pem;
  g.x509.lead_certificate_name = "refresher root";
  g.hub_ids = {"h1"};
  return g;
}

std::unique_ptr<store::SqliteStore> open_store(const std::filesystem::path& file) {
  auto store = store::SqliteStore::open(file);
  if (!store) throw std::runtime_error(store.error().internal);
  return std::move(*store);
}

// Waits (bounded) for `predicate`; the refresher works on its own thread.
template <class Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds deadline = 5s) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (predicate()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return predicate();
}

// A signal the test fires by hand. With a poll interval of an hour, only it can wake the thread.
class ManualSignal : public ChangeSignal {
 public:
  void fire(Outcome outcome) {
    std::lock_guard lock(mutex_);
    pending_ = outcome;
    cv_.notify_all();
  }
  Outcome wait(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, std::min(timeout, std::chrono::milliseconds(20)),
                      [this] { return pending_.has_value(); })) {
      return Outcome::kTimeout;
    }
    Outcome outcome = *pending_;
    pending_.reset();
    return outcome;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::optional<Outcome> pending_;
};

class CatalogRefresherTest : public ::testing::Test {
 protected:
  std::filesystem::path db() const { return dir_.path() / "dps.db"; }
  TempDir dir_;
  test::TestCa root_ = test::make_root_ca("refresher root");
  std::unique_ptr<store::SqliteStore> ours_ = open_store(db());
  std::unique_ptr<store::SqliteStore> other_replica_ = open_store(db());
};

TEST_F(CatalogRefresherTest, StartLoadsWhatTheStoreHolds) {
  ASSERT_TRUE(ours_->create_enrollment_group(group("g1", root_.chain_pem())));
  auto refresher = CatalogRefresher::start(*ours_, {});
  ASSERT_TRUE(refresher) << refresher.error().internal;
  EXPECT_NE((*refresher)->catalogs().get()->find_group("g1"), nullptr);
  EXPECT_EQ((*refresher)->loaded_version(), *ours_->configuration_version());
}

TEST_F(CatalogRefresherTest, ChangeByAnotherConnectionIsPickedUpByPolling) {
  auto refresher = CatalogRefresher::start(*ours_, CatalogRefresherOptions{20ms});
  ASSERT_TRUE(refresher) << refresher.error().internal;
  ASSERT_EQ((*refresher)->catalogs().get()->group_count(), 0u);
  ASSERT_TRUE(other_replica_->create_enrollment_group(group("g1", root_.chain_pem())));
  EXPECT_TRUE(eventually([&] { return (*refresher)->catalogs().get()->group_count() == 1; }));
  store::EnrollmentGroupFilter g1{store::OwnerScope::of("alice"), {"g1"}, {}, {}};
  ASSERT_TRUE(other_replica_->delete_enrollment_groups(g1));
  EXPECT_TRUE(eventually([&] { return (*refresher)->catalogs().get()->group_count() == 0; }));
}

TEST_F(CatalogRefresherTest, RefreshNowSeesALocalChangeAtOnce) {
  auto refresher = CatalogRefresher::start(*ours_, CatalogRefresherOptions{1h});
  ASSERT_TRUE(refresher) << refresher.error().internal;
  ASSERT_TRUE(ours_->create_enrollment_group(group("g1", root_.chain_pem())));
  (*refresher)->refresh_now();
  EXPECT_NE((*refresher)->catalogs().get()->find_group("g1"), nullptr);
}

TEST_F(CatalogRefresherTest, UnchangedVersionKeepsTheSnapshot) {
  auto refresher = CatalogRefresher::start(*ours_, CatalogRefresherOptions{1h});
  ASSERT_TRUE(refresher) << refresher.error().internal;
  const auto before = (*refresher)->catalogs().get();
  (*refresher)->refresh_now();
  EXPECT_EQ((*refresher)->catalogs().get(), before);  // no rebuild: same object
}

TEST_F(CatalogRefresherTest, SignalWakesTheThreadAndLostSignalForcesARebuild) {
  auto signal = std::make_unique<ManualSignal>();
  ManualSignal& fire = *signal;
  auto refresher = CatalogRefresher::start(*ours_, CatalogRefresherOptions{1h}, std::move(signal));
  ASSERT_TRUE(refresher) << refresher.error().internal;

  ASSERT_TRUE(other_replica_->create_enrollment_group(group("g1", root_.chain_pem())));
  fire.fire(ChangeSignal::Outcome::kNotified);
  EXPECT_TRUE(eventually([&] { return (*refresher)->catalogs().get()->group_count() == 1; }));

  // Same version, but the announcements may have been missed: rebuilt anyway.
  const auto before = (*refresher)->catalogs().get();
  fire.fire(ChangeSignal::Outcome::kLost);
  EXPECT_TRUE(eventually([&] { return (*refresher)->catalogs().get() != before; }));
}

TEST_F(CatalogRefresherTest, StopsPromptlyWhileWaiting) {
  auto refresher = CatalogRefresher::start(*ours_, CatalogRefresherOptions{1h});
  ASSERT_TRUE(refresher) << refresher.error().internal;
  const auto started = std::chrono::steady_clock::now();
  refresher->reset();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

}  // namespace
}  // namespace dps::provisioning
