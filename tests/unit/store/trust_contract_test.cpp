// Store contract: an attestation belongs to one owner. A group's trust path (fingerprints of its
// lead certificate and those above it) may not overlap another owner's group in either direction,
// nor repeat the lead of a group of the same owner; nested groups of one owner are fine. The
// store enforces it itself, so two API replicas racing cannot break it.
#include "store_contract_test.hpp"

namespace dps::store::testing {
namespace trust_contract {

/// A group whose trust path is `path` (lead first), nothing else set beyond make_group's.
EnrollmentGroup trusting(const std::string& id, const std::string& owner,
                         std::vector<std::string> path) {
  EnrollmentGroup group = make_group(id, owner);
  group.trust_path = std::move(path);
  return group;
}

TEST_P(StoreContract, TrustOfAnotherOwnersGroupIsAConflictInEitherDirection) {
  ASSERT_TRUE(ok(store().create_enrollment_group(trusting("a", "alice", {"inter-a", "root"}))));
  // Bob leads with alice's intermediate, or with the root above it (a broader claim), or with a
  // CA below it (narrower): each would admit alice's devices.
  for (const auto& path : std::vector<std::vector<std::string>>{
           {"inter-a", "root"}, {"root"}, {"below-a", "inter-a", "root"}}) {
    auto created = store().create_enrollment_group(trusting("b", "bob", path));
    ASSERT_FALSE(ok(created)) << path.front();
    EXPECT_EQ(created.error().code, ErrorCode::Conflict);
    EXPECT_EQ(created.error().peer_message().find("alice"), std::string::npos)
        << "the other owner is not named: " << created.error().peer_message();
  }
  EXPECT_TRUE(store().list_enrollment_groups({.scope = OwnerScope::of("bob")})->empty());
  // A sibling under the same root is bob's to enroll: it admits none of alice's devices.
  EXPECT_TRUE(ok(store().create_enrollment_group(trusting("b", "bob", {"inter-b", "root"}))));
}

/// A TPM group (its trust from a vendor chain) whose trust path is `path`.
EnrollmentGroup tpm_trusting(const std::string& id, const std::string& owner,
                             std::vector<std::string> path) {
  EnrollmentGroup group = trusting(id, owner, std::move(path));
  group.x509 = {};
  group.tpm.vendor_certificate_chain = "vendor chain of " + id;
  return group;
}

TEST_P(StoreContract, ATpmVendorCaIsOneOwnersWhicheverKindOfGroupClaimsIt) {
  // Alice's TPM group over her TPMs' vendor CA: bob can neither claim that CA (nor the root
  // above it, nor a CA below it) with a TPM group, nor with a certificate group.
  ASSERT_TRUE(ok(store().create_enrollment_group(tpm_trusting("a", "alice", {"ek-ca-a", "root"}))));
  for (const auto& path : std::vector<std::vector<std::string>>{
           {"ek-ca-a", "root"}, {"root"}, {"below-a", "ek-ca-a", "root"}}) {
    for (const bool tpm : {true, false}) {
      auto created = store().create_enrollment_group(tpm ? tpm_trusting("b", "bob", path)
                                                         : trusting("b", "bob", path));
      ASSERT_FALSE(ok(created)) << path.front() << (tpm ? " tpm" : " x509");
      EXPECT_EQ(created.error().code, ErrorCode::Conflict);
      EXPECT_EQ(created.error().peer_message().find("alice"), std::string::npos)
          << created.error().peer_message();
      EXPECT_EQ(created.error().peer_message().rfind(
                    tpm ? "attestationMechanism.tpm.vendorCertificateChain: "
                        : "attestationMechanism.x509: ",
                    0),
                0u)
          << created.error().peer_message();
    }
  }
  EXPECT_TRUE(store().list_enrollment_groups({.scope = OwnerScope::of("bob")})->empty());
  // And the other way round: alice's certificate CA is no TPM vendor CA bob can take.
  ASSERT_TRUE(ok(store().create_enrollment_group(trusting("a2", "alice", {"mfg-a", "root2"}))));
  auto taken = store().create_enrollment_group(tpm_trusting("b", "bob", {"mfg-a", "root2"}));
  ASSERT_FALSE(ok(taken));
  EXPECT_EQ(taken.error().code, ErrorCode::Conflict);
  // Nor does an update move bob's TPM group onto it.
  ASSERT_TRUE(ok(store().create_enrollment_group(tpm_trusting("b", "bob", {"ek-ca-b", "root"}))));
  auto moved = store().update_enrollment_group(tpm_trusting("b", "bob", {"ek-ca-a", "root"}));
  ASSERT_FALSE(ok(moved));
  EXPECT_EQ(moved.error().code, ErrorCode::Conflict);
  // One owner's TPM group and certificate group over one CA would each claim it: refused too.
  auto twin = store().create_enrollment_group(trusting("a3", "alice", {"ek-ca-a", "root"}));
  ASSERT_FALSE(ok(twin));
  EXPECT_EQ(twin.error().code, ErrorCode::Conflict);
}

TEST_P(StoreContract, UpdateCannotMoveAGroupOntoAnotherOwnersTrust) {
  ASSERT_TRUE(ok(store().create_enrollment_group(trusting("a", "alice", {"inter-a", "root"}))));
  ASSERT_TRUE(ok(store().create_enrollment_group(trusting("b", "bob", {"inter-b", "root"}))));
  auto moved = store().update_enrollment_group(trusting("b", "bob", {"inter-a", "root"}));
  ASSERT_FALSE(ok(moved));
  EXPECT_EQ(moved.error().code, ErrorCode::Conflict);
  auto upserted = store().upsert_enrollment_groups(
      std::vector<EnrollmentGroup>{trusting("b", "bob", {"root"})});
  ASSERT_FALSE(ok(upserted));
  EXPECT_EQ(upserted.error().code, ErrorCode::Conflict);
  auto kept = store().list_enrollment_groups({.scope = OwnerScope::of("bob")});
  ASSERT_TRUE(ok(kept) && kept->size() == 1u);
  EXPECT_EQ(kept->front().trust_path, (std::vector<std::string>{"inter-b", "root"}));
}

TEST_P(StoreContract, OneOwnersNestedGroupsAreFineButTheSameLeadTwiceIsNot) {
  ASSERT_TRUE(ok(store().create_enrollment_group(trusting("root", "alice", {"root"}))));
  EXPECT_TRUE(ok(store().create_enrollment_group(trusting("inter", "alice", {"inter", "root"}))))
      << "the most specific group of one owner wins at match time";
  auto twin = store().create_enrollment_group(trusting("twin", "alice", {"inter", "root"}));
  ASSERT_FALSE(ok(twin)) << "a tie would be broken by id: refused at write time instead";
  EXPECT_EQ(twin.error().code, ErrorCode::Conflict);
}

TEST_P(StoreContract, DeletingAGroupReleasesItsTrust) {
  ASSERT_TRUE(ok(store().create_enrollment_group(trusting("a", "alice", {"inter-a", "root"}))));
  ASSERT_TRUE(
      ok(store().delete_enrollment_groups({.scope = OwnerScope::of("alice"), .ids = {"a"}})));
  EXPECT_TRUE(ok(store().create_enrollment_group(trusting("b", "bob", {"inter-a", "root"}))));
}

TEST_P(StoreContract, HubIdIsUniquePerOwnerOnly) {
  Hub first = make_hub("h1", "alice");
  Hub second = make_hub("h2", "alice");
  second.hub_id = first.hub_id;
  ASSERT_TRUE(ok(store().create_hub(first)));
  auto duplicate = store().create_hub(second);
  ASSERT_FALSE(ok(duplicate));
  EXPECT_EQ(duplicate.error().code, ErrorCode::Conflict);
  Hub bobs = make_hub("h3", "bob");
  bobs.hub_id = first.hub_id;
  EXPECT_TRUE(ok(store().create_hub(bobs))) << "another owner may use the same hub id";
}

}  // namespace trust_contract
}  // namespace dps::store::testing
