// Store contract: group revisions, what the device-side catalog compares to read only the groups
// that changed (provisioning/catalog.hpp). A revision must change on every write of its group and
// on no other, or a replica would keep serving a group's old trust. And the per-owner count the
// API's quota reads instead of listing every group.
#include <algorithm>
#include <map>

#include "store_contract_test.hpp"

namespace dps::store::testing {
namespace {

std::map<std::string, int64_t> revisions(Store& store, int64_t after = -1) {
  auto listed = store.list_enrollment_group_revisions(after);
  EXPECT_TRUE(ok(listed));
  std::map<std::string, int64_t> by_id;
  if (listed) {
    for (const auto& [id, revision] : *listed) by_id.emplace(id, revision);
  }
  return by_id;
}

int64_t version(Store& store) {
  auto v = store.configuration_version();
  EXPECT_TRUE(ok(v));
  return v ? *v : -1;
}

TEST_P(StoreContract, GroupRevisionIsTheVersionOfItsLastWrite) {
  ASSERT_TRUE(ok(store().create_enrollment_group(make_group("g1", "alice"))));
  const int64_t after_g1 = version(store());
  ASSERT_TRUE(ok(store().create_enrollment_group(make_group("g2", "bob"))));
  const int64_t after_g2 = version(store());
  EXPECT_EQ(revisions(store()),
            (std::map<std::string, int64_t>{{"g1", after_g1}, {"g2", after_g2}}));

  EnrollmentGroup g1 = make_group("g1", "alice");
  g1.name = "renamed";  // not even a trust input: any write is a new revision
  ASSERT_TRUE(ok(store().update_enrollment_group(g1)));
  const int64_t after_update = version(store());
  EnrollmentGroup g2 = make_group("g2", "bob");
  g2.disabled = false;
  const std::array<EnrollmentGroup, 1> upserted{g2};
  ASSERT_TRUE(ok(store().upsert_enrollment_groups(upserted)));
  const int64_t after_upsert = version(store());
  EXPECT_EQ(revisions(store()),
            (std::map<std::string, int64_t>{{"g1", after_update}, {"g2", after_upsert}}));
  // Only what was written after a version: what a cache that saw `after_update` must read.
  EXPECT_EQ(revisions(store(), after_update),
            (std::map<std::string, int64_t>{{"g2", after_upsert}}));
  EXPECT_TRUE(revisions(store(), after_upsert).empty());
}

TEST_P(StoreContract, GroupRevisionIsUntouchedByOtherGroupsAndRefusedWrites) {
  ASSERT_TRUE(ok(store().create_enrollment_group(make_group("g1", "alice"))));
  const auto before = revisions(store());
  ASSERT_TRUE(ok(store().create_enrollment_group(make_group("g2", "alice"))));
  EnrollmentGroup intruder = make_group("g1", "bob");  // another owner's update: NotFound
  EXPECT_FALSE(store().update_enrollment_group(intruder));
  EXPECT_FALSE(store().create_enrollment_group(make_group("g1", "alice")));  // Conflict
  EXPECT_EQ(revisions(store()).at("g1"), before.at("g1"));
}

TEST_P(StoreContract, DeletedGroupLeavesTheRevisionsAndComesBackWithANewOne) {
  ASSERT_TRUE(ok(store().create_enrollment_group(make_group("g1", "alice"))));
  ASSERT_TRUE(ok(store().create_enrollment_group(make_group("g2", "alice"))));
  const int64_t first = revisions(store()).at("g1");
  ASSERT_TRUE(
      ok(store().delete_enrollment_groups({.scope = OwnerScope::of("alice"), .ids = {"g1"}})));
  EXPECT_FALSE(revisions(store()).contains("g1"));
  EXPECT_TRUE(revisions(store()).contains("g2"));
  // Same id, same content: still a different revision, so a cache never keeps the old entry.
  ASSERT_TRUE(ok(store().create_enrollment_group(make_group("g1", "alice"))));
  EXPECT_NE(revisions(store()).at("g1"), first);
}

TEST_P(StoreContract, GroupRevisionsSurviveReopen) {
  ASSERT_TRUE(ok(store().create_enrollment_group(make_group("g1", "alice"))));
  const auto before = revisions(store());
  reopen();
  EXPECT_EQ(revisions(store()), before);
}

TEST_P(StoreContract, GroupCountIsPerOwner) {
  ASSERT_TRUE(ok(store().create_enrollment_group(make_group("g1", "alice"))));
  ASSERT_TRUE(ok(store().create_enrollment_group(make_group("g2", "alice"))));
  ASSERT_TRUE(ok(store().create_enrollment_group(make_group("g3", "bob"))));
  auto alice = store().count_enrollment_groups(OwnerScope::of("alice"));
  auto carol = store().count_enrollment_groups(OwnerScope::of("carol"));
  auto all = store().count_enrollment_groups(OwnerScope::every_owner());
  ASSERT_TRUE(ok(alice) && ok(carol) && ok(all));
  EXPECT_EQ(*alice, 2u);
  EXPECT_EQ(*carol, 0u);
  EXPECT_EQ(*all, 3u);
}

}  // namespace
}  // namespace dps::store::testing
