// Store contract: enrollment groups.
#include <array>

#include "store_contract_test.hpp"

namespace dps::store::testing {
namespace {

using Ids = std::vector<std::string>;

Ids group_ids(Store& store, const EnrollmentGroupFilter& filter) {
  auto groups = store.list_enrollment_groups(filter);
  EXPECT_TRUE(ok(groups));
  return groups ? ids_of(*groups) : Ids{"<error>"};
}

TEST_P(StoreContract, GroupCreateRoundTripsEveryField) {
  const EnrollmentGroup group = make_group("g1", "alice");
  ASSERT_TRUE(ok(store().create_enrollment_group(group)));
  auto groups = store().list_enrollment_groups({.scope = OwnerScope::of("alice")});
  ASSERT_TRUE(ok(groups));
  EXPECT_EQ(*groups, std::vector{group});
}

TEST_P(StoreContract, TpmGroupRoundTripsAsOneKindAndUpdatesBetweenKinds) {
  EnrollmentGroup tpm = make_group("g1", "alice");
  tpm.x509 = {};
  tpm.tpm = {"-----BEGIN CERTIFICATE-----\nMIIvendor\n-----END CERTIFICATE-----\n", "EK CA 1",
             true};
  ASSERT_TRUE(ok(store().create_enrollment_group(tpm)));
  auto groups = store().list_enrollment_groups({.scope = OwnerScope::of("alice")});
  ASSERT_TRUE(ok(groups));
  ASSERT_EQ(*groups, std::vector{tpm});
  EXPECT_TRUE(groups->front().is_tpm());
  EXPECT_EQ(groups->front().x509, X509Attestation{}) << "a TPM group has no x509 attestation";
  // The lead-name filter finds TPM groups by their vendor CA's name, as the lead-name quota needs.
  EXPECT_EQ(
      group_ids(store(), {.scope = OwnerScope::of("alice"), .lead_certificate_names = {"EK CA 1"}}),
      Ids{"g1"});
  // A certificate group becomes a TPM group and back, keeping one kind at a time.
  const EnrollmentGroup x509 = make_group("g1", "alice");
  ASSERT_TRUE(ok(store().update_enrollment_group(x509)));
  EXPECT_EQ(*store().list_enrollment_groups({.scope = OwnerScope::of("alice")}), std::vector{x509});
  const std::vector<EnrollmentGroup> upserted{tpm};
  ASSERT_TRUE(ok(store().upsert_enrollment_groups(upserted)));
  EXPECT_EQ(*store().list_enrollment_groups({.scope = OwnerScope::of("alice")}), std::vector{tpm});
}

TEST_P(StoreContract, GroupEmptyFieldsRoundTrip) {
  EnrollmentGroup group{.id = "g1", .owner = "alice"};
  ASSERT_TRUE(ok(store().create_enrollment_group(group)));
  auto groups = store().list_enrollment_groups({.scope = OwnerScope::of("alice")});
  ASSERT_TRUE(ok(groups));
  EXPECT_EQ(*groups, std::vector{group});
}

TEST_P(StoreContract, GroupCreateWithExistingIdIsConflictNamingTheId) {
  ASSERT_TRUE(ok(store().create_enrollment_group(make_group("g1", "alice"))));
  EnrollmentGroup other = make_group("g1", "bob");
  other.name = "intruder";
  auto created = store().create_enrollment_group(other);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::Conflict);
  EXPECT_NE(created.error().internal.find("g1"), std::string::npos) << created.error().internal;
  auto groups = store().list_enrollment_groups({.scope = OwnerScope::every_owner()});
  ASSERT_TRUE(ok(groups));
  EXPECT_EQ(*groups, std::vector{make_group("g1", "alice")});
}

TEST_P(StoreContract, GroupUpdateReplacesEveryField) {
  ASSERT_TRUE(ok(store().create_enrollment_group(make_group("g1", "alice"))));
  EnrollmentGroup changed = make_group("g1", "alice");
  changed.name = "renamed";
  changed.x509 = {"chain2", "lead2", false};
  changed.hub_ids = {"h9"};
  changed.pre_shared_key.clear();
  changed.disabled = false;
  changed.revoked_certificates.clear();
  changed.crl.clear();
  ASSERT_TRUE(ok(store().update_enrollment_group(changed)));
  auto groups = store().list_enrollment_groups({.scope = OwnerScope::of("alice")});
  ASSERT_TRUE(ok(groups));
  EXPECT_EQ(*groups, std::vector{changed});
}

TEST_P(StoreContract, GroupUpdateOfAnotherOwnersGroupIsNotFoundAndChangesNothing) {
  ASSERT_TRUE(ok(store().create_enrollment_group(make_group("g1", "alice"))));
  EnrollmentGroup hijack = make_group("g1", "mallory");
  hijack.hub_ids = {"evil-hub"};
  auto updated = store().update_enrollment_group(hijack);
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().code, ErrorCode::NotFound);
  auto groups = store().list_enrollment_groups({.scope = OwnerScope::every_owner()});
  ASSERT_TRUE(ok(groups));
  EXPECT_EQ(*groups, std::vector{make_group("g1", "alice")});
}

TEST_P(StoreContract, GroupUpdateOfMissingIdIsNotFound) {
  auto updated = store().update_enrollment_group(make_group("nope", "alice"));
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().code, ErrorCode::NotFound);
  EXPECT_EQ(group_ids(store(), {.scope = OwnerScope::every_owner()}), Ids{});
}

TEST_P(StoreContract, GroupUpsertInsertsAndReplacesById) {
  std::array first = {make_group("g1", "alice"), make_group("g2", "alice")};
  ASSERT_TRUE(ok(store().upsert_enrollment_groups(first)));
  EnrollmentGroup moved = make_group("g2", "bob");  // upsert replaces the owner too
  moved.name = "moved";
  std::array second = {moved, make_group("g3", "bob")};
  ASSERT_TRUE(ok(store().upsert_enrollment_groups(second)));
  auto groups = store().list_enrollment_groups({.scope = OwnerScope::every_owner()});
  ASSERT_TRUE(ok(groups));
  EXPECT_EQ(*groups, (std::vector{make_group("g1", "alice"), moved, make_group("g3", "bob")}));
}

TEST_P(StoreContract, GroupListIsOrderedByIdAndScopedToOwner) {
  for (const char* id : {"g3", "g1", "g2"}) {
    ASSERT_TRUE(ok(store().create_enrollment_group(make_group(id, "alice"))));
  }
  ASSERT_TRUE(ok(store().create_enrollment_group(make_group("g0", "bob"))));
  EXPECT_EQ(group_ids(store(), {.scope = OwnerScope::of("alice")}), (Ids{"g1", "g2", "g3"}));
  EXPECT_EQ(group_ids(store(), {.scope = OwnerScope::of("bob")}), (Ids{"g0"}));
  EXPECT_EQ(group_ids(store(), {.scope = OwnerScope::of("carol")}), (Ids{}));
  EXPECT_EQ(group_ids(store(), {.scope = OwnerScope::every_owner()}),
            (Ids{"g0", "g1", "g2", "g3"}));
}

TEST_P(StoreContract, GroupFiltersMatchAndAreOred) {
  // make_group("gN") has lead "lead-gN" and hubs "hub-a-gN", "hub-b-gN".
  for (const char* id : {"g1", "g2", "g3", "g4"}) {
    ASSERT_TRUE(ok(store().create_enrollment_group(make_group(id, "alice"))));
  }
  ASSERT_TRUE(ok(store().create_enrollment_group(make_group("g5", "bob"))));
  struct Case {
    const char* name;
    EnrollmentGroupFilter filter;
    Ids expected;
  };
  const Case cases[] = {
      {"no filter", {.scope = OwnerScope::of("alice")}, {"g1", "g2", "g3", "g4"}},
      {"ids", {.scope = OwnerScope::of("alice"), .ids = {"g3", "g1", "missing"}}, {"g1", "g3"}},
      {"lead names",
       {.scope = OwnerScope::of("alice"), .lead_certificate_names = {"lead-g2"}},
       {"g2"}},
      {"hub ids (any of the list)",
       {.scope = OwnerScope::of("alice"), .hub_ids = {"hub-b-g4", "x"}},
       {"g4"}},
      {"ids OR lead OR hub",
       {.scope = OwnerScope::of("alice"),
        .ids = {"g1"},
        .lead_certificate_names = {"lead-g2"},
        .hub_ids = {"hub-a-g3"}},
       {"g1", "g2", "g3"}},
      {"overlapping filters return each group once",
       {.scope = OwnerScope::of("alice"), .ids = {"g1"}, .lead_certificate_names = {"lead-g1"}},
       {"g1"}},
      {"nothing matches", {.scope = OwnerScope::of("alice"), .ids = {"missing"}}, {}},
      {"another owner's id stays invisible", {.scope = OwnerScope::of("alice"), .ids = {"g5"}}, {}},
      {"every owner, with a filter",
       {.scope = OwnerScope::every_owner(), .hub_ids = {"hub-a-g5", "hub-a-g1"}},
       {"g1", "g5"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(group_ids(store(), c.filter), c.expected);
  }
}

TEST_P(StoreContract, GroupDeleteCountsAndStaysWithinOwner) {
  for (const char* id : {"g1", "g2", "g3"}) {
    ASSERT_TRUE(ok(store().create_enrollment_group(make_group(id, "alice"))));
  }
  ASSERT_TRUE(ok(store().create_enrollment_group(make_group("g4", "bob"))));

  auto deleted =
      store().delete_enrollment_groups({.scope = OwnerScope::of("alice"), .ids = {"g1", "g4"}});
  ASSERT_TRUE(ok(deleted));
  EXPECT_EQ(*deleted, 1u);  // g4 is bob's
  deleted =
      store().delete_enrollment_groups({.scope = OwnerScope::of("alice"), .ids = {"missing"}});
  ASSERT_TRUE(ok(deleted));
  EXPECT_EQ(*deleted, 0u);
  deleted = store().delete_enrollment_groups(
      {.scope = OwnerScope::of("alice")});  // no filter: all of alice's
  ASSERT_TRUE(ok(deleted));
  EXPECT_EQ(*deleted, 2u);
  EXPECT_EQ(group_ids(store(), {.scope = OwnerScope::every_owner()}), (Ids{"g4"}));
}

}  // namespace
}  // namespace dps::store::testing
