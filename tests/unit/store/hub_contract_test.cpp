// Store contract: hubs.
#include <array>

#include "store_contract_test.hpp"

namespace dps::store::testing {
namespace {

using Ids = std::vector<std::string>;

Ids hub_ids(Store& store, const HubFilter& filter) {
  auto hubs = store.list_hubs(filter);
  EXPECT_TRUE(ok(hubs));
  return hubs ? ids_of(*hubs) : Ids{"<error>"};
}

TEST_P(StoreContract, HubCreateRoundTripsEveryField) {
  const Hub hub = make_hub("h1", "alice");
  ASSERT_TRUE(ok(store().create_hub(hub)));
  auto hubs = store().list_hubs({.scope = OwnerScope::of("alice")});
  ASSERT_TRUE(ok(hubs));
  EXPECT_EQ(*hubs, std::vector{hub});
}

TEST_P(StoreContract, HubEmptyFieldsRoundTrip) {
  Hub hub{.id = "h1", .owner = "alice"};  // built-in CA, self-minted tokens
  ASSERT_TRUE(ok(store().create_hub(hub)));
  auto hubs = store().list_hubs({.scope = OwnerScope::of("alice")});
  ASSERT_TRUE(ok(hubs));
  EXPECT_EQ(*hubs, std::vector{hub});
}

TEST_P(StoreContract, HubCreateWithExistingIdIsConflictNamingTheId) {
  ASSERT_TRUE(ok(store().create_hub(make_hub("h1", "alice"))));
  auto created = store().create_hub(make_hub("h1", "bob"));
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::Conflict);
  EXPECT_NE(created.error().internal.find("h1"), std::string::npos) << created.error().internal;
  auto hubs = store().list_hubs({.scope = OwnerScope::every_owner()});
  ASSERT_TRUE(ok(hubs));
  EXPECT_EQ(*hubs, std::vector{make_hub("h1", "alice")});
}

TEST_P(StoreContract, HubUpdateReplacesEveryField) {
  ASSERT_TRUE(ok(store().create_hub(make_hub("h1", "alice"))));
  Hub changed{.id = "h1", .hub_id = "other", .owner = "alice", .name = "n2"};
  changed.gateways = {"coaps+tcp://c.example:5684"};
  ASSERT_TRUE(ok(store().update_hub(changed)));
  auto hubs = store().list_hubs({.scope = OwnerScope::of("alice")});
  ASSERT_TRUE(ok(hubs));
  EXPECT_EQ(*hubs, std::vector{changed});
}

TEST_P(StoreContract, HubUpdateOfAnotherOwnersHubIsNotFoundAndChangesNothing) {
  ASSERT_TRUE(ok(store().create_hub(make_hub("h1", "alice"))));
  Hub hijack = make_hub("h1", "mallory");
  hijack.gateways = {"coaps+tcp://evil:5684"};
  auto updated = store().update_hub(hijack);
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().code, ErrorCode::NotFound);
  auto hubs = store().list_hubs({.scope = OwnerScope::every_owner()});
  ASSERT_TRUE(ok(hubs));
  EXPECT_EQ(*hubs, std::vector{make_hub("h1", "alice")});
}

TEST_P(StoreContract, HubUpsertInsertsAndReplacesById) {
  std::array first = {make_hub("h1", "alice")};
  ASSERT_TRUE(ok(store().upsert_hubs(first)));
  Hub replaced = make_hub("h1", "alice");
  replaced.name = "replaced";
  std::array second = {replaced, make_hub("h2", "bob")};
  ASSERT_TRUE(ok(store().upsert_hubs(second)));
  auto hubs = store().list_hubs({.scope = OwnerScope::every_owner()});
  ASSERT_TRUE(ok(hubs));
  EXPECT_EQ(*hubs, (std::vector{replaced, make_hub("h2", "bob")}));
}

TEST_P(StoreContract, HubFiltersMatchAreOredOrderedAndScopedToOwner) {
  // make_hub("hN") has hub_id "hubid-hN".
  for (const char* id : {"h3", "h1", "h2"})
    ASSERT_TRUE(ok(store().create_hub(make_hub(id, "alice"))));
  ASSERT_TRUE(ok(store().create_hub(make_hub("h0", "bob"))));
  struct Case {
    const char* name;
    HubFilter filter;
    Ids expected;
  };
  const Case cases[] = {
      {"no filter, ordered by id", {.scope = OwnerScope::of("alice")}, {"h1", "h2", "h3"}},
      {"every owner", {.scope = OwnerScope::every_owner()}, {"h0", "h1", "h2", "h3"}},
      {"an empty owner addresses nothing", {.scope = OwnerScope::of("")}, {}},
      {"ids", {.scope = OwnerScope::of("alice"), .ids = {"h3", "h2"}}, {"h2", "h3"}},
      {"hub ids", {.scope = OwnerScope::of("alice"), .hub_ids = {"hubid-h1"}}, {"h1"}},
      {"ids OR hub ids",
       {.scope = OwnerScope::of("alice"), .ids = {"h3"}, .hub_ids = {"hubid-h1"}},
       {"h1", "h3"}},
      {"another owner's hub stays invisible",
       {.scope = OwnerScope::of("alice"), .hub_ids = {"hubid-h0"}},
       {}},
      {"unknown owner", {.scope = OwnerScope::of("carol")}, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(hub_ids(store(), c.filter), c.expected);
  }
}

TEST_P(StoreContract, HubDeleteCountsAndStaysWithinOwner) {
  for (const char* id : {"h1", "h2"}) ASSERT_TRUE(ok(store().create_hub(make_hub(id, "alice"))));
  ASSERT_TRUE(ok(store().create_hub(make_hub("h3", "bob"))));
  auto deleted =
      store().delete_hubs({.scope = OwnerScope::of("alice"), .hub_ids = {"hubid-h1", "hubid-h3"}});
  ASSERT_TRUE(ok(deleted));
  EXPECT_EQ(*deleted, 1u);
  deleted = store().delete_hubs({.scope = OwnerScope::of("alice")});
  ASSERT_TRUE(ok(deleted));
  EXPECT_EQ(*deleted, 1u);
  EXPECT_EQ(hub_ids(store(), {.scope = OwnerScope::every_owner()}), (Ids{"h3"}));
}

}  // namespace
}  // namespace dps::store::testing
