// CatalogRefresher on a real SQLite database: changes made through another connection (what a
// second replica does) reach the snapshot without any call into this process; a ChangeSignal
// wakes it early; a lost signal forces a rebuild.
#include "provisioning/catalog_refresher.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "pki/chain_verifier.hpp"
#include "pki/trust_group.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/test_pki.hpp"

namespace dps::provisioning {
namespace {

CatalogRefresherOptions refresh_every(std::chrono::milliseconds interval) {
  CatalogRefresherOptions options;
  options.poll_interval = interval;
  return options;
}

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
  auto refresher = CatalogRefresher::start(*ours_, refresh_every(20ms));
  ASSERT_TRUE(refresher) << refresher.error().internal;
  ASSERT_EQ((*refresher)->catalogs().get()->group_count(), 0u);
  ASSERT_TRUE(other_replica_->create_enrollment_group(group("g1", root_.chain_pem())));
  EXPECT_TRUE(eventually([&] { return (*refresher)->catalogs().get()->group_count() == 1; }));
  store::EnrollmentGroupFilter g1{store::OwnerScope::of("alice"), {"g1"}, {}, {}};
  ASSERT_TRUE(other_replica_->delete_enrollment_groups(g1));
  EXPECT_TRUE(eventually([&] { return (*refresher)->catalogs().get()->group_count() == 0; }));
}

TEST_F(CatalogRefresherTest, RefreshNowSeesALocalChangeAtOnce) {
  auto refresher = CatalogRefresher::start(*ours_, refresh_every(1h));
  ASSERT_TRUE(refresher) << refresher.error().internal;
  ASSERT_TRUE(ours_->create_enrollment_group(group("g1", root_.chain_pem())));
  (*refresher)->refresh_now();
  EXPECT_NE((*refresher)->catalogs().get()->find_group("g1"), nullptr);
}

TEST_F(CatalogRefresherTest, UnchangedVersionKeepsTheSnapshot) {
  auto refresher = CatalogRefresher::start(*ours_, refresh_every(1h));
  ASSERT_TRUE(refresher) << refresher.error().internal;
  const auto before = (*refresher)->catalogs().get();
  (*refresher)->refresh_now();
  EXPECT_EQ((*refresher)->catalogs().get(), before);  // no rebuild: same object
}

TEST_F(CatalogRefresherTest, SignalWakesTheThreadAndLostSignalForcesARebuild) {
  auto signal = std::make_unique<ManualSignal>();
  ManualSignal& fire = *signal;
  auto refresher = CatalogRefresher::start(*ours_, refresh_every(1h), std::move(signal));
  ASSERT_TRUE(refresher) << refresher.error().internal;

  ASSERT_TRUE(other_replica_->create_enrollment_group(group("g1", root_.chain_pem())));
  fire.fire(ChangeSignal::Outcome::kNotified);
  EXPECT_TRUE(eventually([&] { return (*refresher)->catalogs().get()->group_count() == 1; }));

  // Same version, but the announcements may have been missed: rebuilt anyway.
  const auto before = (*refresher)->catalogs().get();
  fire.fire(ChangeSignal::Outcome::kLost);
  EXPECT_TRUE(eventually([&] { return (*refresher)->catalogs().get() != before; }));
}

TEST_F(CatalogRefresherTest, RefreshParsesOnlyTheGroupsThatChanged) {
  const test::TestCa other = test::make_root_ca("refresher other");
  ASSERT_TRUE(ours_->create_enrollment_group(group("g1", root_.chain_pem())));
  auto g2 = group("g2", other.chain_pem());
  g2.x509.lead_certificate_name = "refresher other";
  ASSERT_TRUE(ours_->create_enrollment_group(g2));
  auto refresher = CatalogRefresher::start(*ours_, refresh_every(1h));
  ASSERT_TRUE(refresher) << refresher.error().internal;
  const auto before = (*refresher)->catalogs().get();
  ASSERT_EQ(before->parsed_count(), 2u);

  g2.disabled = true;  // a trust input of g2 only
  ASSERT_TRUE(other_replica_->update_enrollment_group(g2));
  (*refresher)->refresh_now();
  const auto after = (*refresher)->catalogs().get();
  ASSERT_NE(after, before);
  EXPECT_EQ(after->parsed_count(), 1u);
  EXPECT_EQ(after->trust_group("g1"), before->trust_group("g1"));
  // Not even read from the store again: the very entity of the previous snapshot.
  EXPECT_EQ(after->find_group("g1"), before->find_group("g1"));
  EXPECT_TRUE(after->trust_group("g2")->disabled());
}

TEST_F(CatalogRefresherTest, DeletedAndRecreatedGroupsReachTheSnapshot) {
  const test::TestCa other = test::make_root_ca("refresher other");
  ASSERT_TRUE(ours_->create_enrollment_group(group("g1", root_.chain_pem())));
  auto refresher = CatalogRefresher::start(*ours_, refresh_every(1h));
  ASSERT_TRUE(refresher) << refresher.error().internal;
  const auto first = (*refresher)->catalogs().get()->trust_group("g1");

  store::EnrollmentGroupFilter g1{store::OwnerScope::of("alice"), {"g1"}, {}, {}};
  ASSERT_TRUE(other_replica_->delete_enrollment_groups(g1));
  (*refresher)->refresh_now();
  EXPECT_EQ((*refresher)->catalogs().get()->find_group("g1"), nullptr);

  // Same id, other trust: the new chain is what the snapshot holds.
  auto again = group("g1", other.chain_pem());
  again.x509.lead_certificate_name = "refresher other";
  ASSERT_TRUE(other_replica_->create_enrollment_group(again));
  (*refresher)->refresh_now();
  const auto now = (*refresher)->catalogs().get();
  ASSERT_NE(now->trust_group("g1"), nullptr);
  EXPECT_NE(now->trust_group("g1"), first);
  EXPECT_EQ(now->trust_group("g1")->lead_name(), "refresher other");
}

TEST_F(CatalogRefresherTest, OneGroupReplacedByAnotherIsSeen) {
  // The group count stays the same: the deletion must still be noticed.
  const test::TestCa other = test::make_root_ca("refresher other");
  ASSERT_TRUE(ours_->create_enrollment_group(group("g1", root_.chain_pem())));
  auto refresher = CatalogRefresher::start(*ours_, refresh_every(1h));
  ASSERT_TRUE(refresher) << refresher.error().internal;
  store::EnrollmentGroupFilter g1{store::OwnerScope::of("alice"), {"g1"}, {}, {}};
  ASSERT_TRUE(other_replica_->delete_enrollment_groups(g1));
  auto g2 = group("g2", other.chain_pem());
  g2.x509.lead_certificate_name = "refresher other";
  ASSERT_TRUE(other_replica_->create_enrollment_group(g2));
  (*refresher)->refresh_now();
  const auto now = (*refresher)->catalogs().get();
  EXPECT_EQ(now->find_group("g1"), nullptr);
  EXPECT_NE(now->find_group("g2"), nullptr);
  EXPECT_EQ(now->group_count(), 1u);
  EXPECT_EQ(now->trust().size(), 1u);
}

TEST_F(CatalogRefresherTest, StopsPromptlyWhileWaiting) {
  auto refresher = CatalogRefresher::start(*ours_, refresh_every(1h));
  ASSERT_TRUE(refresher) << refresher.error().internal;
  const auto started = std::chrono::steady_clock::now();
  refresher->reset();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

}  // namespace
}  // namespace dps::provisioning
