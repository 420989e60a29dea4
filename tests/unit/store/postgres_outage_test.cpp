// PostgresStore and PostgresListener through database outages: each test runs its own server so
// it can stop and restart it (same data directory and port) without disturbing other tests.
#include <gtest/gtest.h>

#include <future>

#include "postgres_fixture.hpp"
#include "store/record_writer.hpp"

namespace dps::store::testing {
namespace {

class PostgresOutageTest : public PostgresTest {
 protected:
  test::PostgresServer& server() override { return own_; }

  /// Every Store call, each expected to fail Unavailable without naming the password.
  void expect_every_call_unavailable(Store& store) {
    const std::vector<ProvisioningRecord> records = {make_record("r9", "alice", 1)};
    const std::vector<Hub> hubs = {make_hub("h9", "alice")};
    const std::vector<EnrollmentGroup> groups = {make_group("g9", "alice")};
    const std::vector<std::pair<const char*, Result<void>>> calls = {
        {"list groups",
         store.list_enrollment_groups({.scope = OwnerScope::every_owner()}).map([](auto&&) {})},
        {"create group", store.create_enrollment_group(make_group("g9", "alice"))},
        {"update group", store.update_enrollment_group(make_group("g1", "alice"))},
        {"upsert groups", store.upsert_enrollment_groups(groups)},
        {"delete groups",
         store.delete_enrollment_groups({.scope = OwnerScope::every_owner()}).map([](auto&&) {})},
        {"list hubs", store.list_hubs({.scope = OwnerScope::every_owner()}).map([](auto&&) {})},
        {"create hub", store.create_hub(make_hub("h9", "alice"))},
        {"upsert hubs", store.upsert_hubs(hubs)},
        {"apply records", store.apply_record_updates(records).map([](auto&&) {})},
        {"list records",
         store.list_provisioning_records({.scope = OwnerScope::every_owner()}).map([](auto&&) {})},
        {"delete records",
         store.delete_provisioning_records({.scope = OwnerScope::every_owner()}).map([](auto&&) {
         })},
        {"configuration version", store.configuration_version().map([](auto&&) {})},
    };
    for (const auto& [name, result] : calls) {
      SCOPED_TRACE(name);
      ASSERT_FALSE(result);
      EXPECT_EQ(result.error().code, ErrorCode::Unavailable) << result.error().internal;
      EXPECT_EQ(result.error().internal.find(own_.password()), std::string::npos)
          << result.error().internal;
      EXPECT_EQ(result.error().peer_message(), "database temporarily unavailable");
    }
  }

  test::PostgresServer own_;  // constructed before SetUp creates the test's database on it
};

TEST_F(PostgresOutageTest, CallsFailUnavailableWhileTheServerIsDownAndTheSameStoreRecovers) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(ok(store->create_enrollment_group(make_group("g1", "alice"))));
  ASSERT_TRUE(ok(store->list_hubs({.scope = OwnerScope::every_owner()})));

  own_.stop();
  expect_every_call_unavailable(*store);
  expect_every_call_unavailable(*store);  // and again: no call crashes or hangs on the stale pool

  own_.start();
  auto groups = store->list_enrollment_groups(
      {.scope = OwnerScope::every_owner()});  // first call after the restart succeeds
  ASSERT_TRUE(ok(groups));
  EXPECT_EQ(*groups, std::vector{make_group("g1", "alice")});
  const std::vector<ProvisioningRecord> records = {make_record("r1", "alice", 1)};
  EXPECT_TRUE(ok(all_applied(store->apply_record_updates(records))));
  EXPECT_TRUE(ok(store->create_hub(make_hub("h1", "alice"))));
}

TEST_F(PostgresOutageTest, RecordWriterCommitsFailUnavailableDuringAnOutageThenSucceed) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  RecordWriter writer(*store);
  auto commit = [&](const std::string& id) {
    std::promise<Result<void>> done;
    auto future = done.get_future();
    writer.submit(make_record(id, "alice", 1), [&](Result<void> r) { done.set_value(r); });
    return future.get();
  };
  ASSERT_TRUE(ok(commit("r1")));
  own_.stop();
  auto failed = commit("r2");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::Unavailable);  // the device is answered 5.03
  own_.start();
  EXPECT_TRUE(ok(commit("r2")));  // its retry lands
  EXPECT_EQ(sql("SELECT string_agg(id, ',' ORDER BY id) FROM provisioning_records"), "r1,r2");
}

TEST_F(PostgresOutageTest, OpenWhileTheServerIsDownIsUnavailable) {
  own_.stop();
  const auto started = std::chrono::steady_clock::now();
  auto opened = PostgresStore::open(options());
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::Unavailable);
  EXPECT_EQ(opened.error().internal.find(own_.password()), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);  // refused, not hung
  own_.start();
  EXPECT_NE(open_store(), nullptr);
}

TEST_F(PostgresOutageTest, ListenerReportsLostAcrossARestartAndThenListensAgain) {
  auto listener = PostgresListener::open(options());
  ASSERT_TRUE(ok(listener));
  auto store = open_store();
  ASSERT_NE(store, nullptr);

  own_.stop();
  EXPECT_EQ((*listener)->wait(10s), PostgresListener::Event::Lost);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ((*listener)->wait(100ms), PostgresListener::Event::Lost);  // still down
  EXPECT_GE(std::chrono::steady_clock::now() - started, 100ms);        // and it did not spin

  own_.start();
  EXPECT_EQ((*listener)->wait(10s), PostgresListener::Event::Lost);  // reconnected: reload now
  ASSERT_TRUE(ok(store->create_hub(make_hub("h1", "alice"))));       // the same store recovers
  EXPECT_EQ((*listener)->wait(10s), PostgresListener::Event::Notified);
}

using PostgresListenerTest = PostgresTest;

TEST_F(PostgresListenerTest, NotifiedOfConfigurationWritesByAnotherStoreOnly) {
  auto listener = PostgresListener::open(options());
  ASSERT_TRUE(ok(listener));
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ((*listener)->wait(50ms), PostgresListener::Event::Timeout);

  ASSERT_TRUE(ok(store->create_enrollment_group(make_group("g1", "alice"))));
  EXPECT_EQ((*listener)->wait(10s), PostgresListener::Event::Notified);
  auto version = store->configuration_version();
  ASSERT_TRUE(ok(version));
  EXPECT_EQ((*listener)->notified_version(), *version);

  // Records, failed writes and writes that change nothing notify nobody.
  const std::vector<ProvisioningRecord> records = {make_record("r1", "alice", 1)};
  ASSERT_TRUE(ok(all_applied(store->apply_record_updates(records))));
  EXPECT_FALSE(store->create_enrollment_group(make_group("g1", "alice")));
  ASSERT_TRUE(ok(store->delete_hubs({.scope = OwnerScope::of("nobody")})));
  EXPECT_EQ((*listener)->wait(200ms), PostgresListener::Event::Timeout);

  // One transaction, one notification, however many groups.
  const std::vector<EnrollmentGroup> groups = {make_group("g2", "alice"),
                                               make_group("g3", "alice")};
  ASSERT_TRUE(ok(store->upsert_enrollment_groups(groups)));
  EXPECT_EQ((*listener)->wait(10s), PostgresListener::Event::Notified);
  EXPECT_EQ((*listener)->notified_version(), *version + 1);
  EXPECT_EQ((*listener)->wait(100ms), PostgresListener::Event::Timeout);
}

}  // namespace
}  // namespace dps::store::testing
