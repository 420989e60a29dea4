// TrustGroupIndex::match's RefusedBy: which group's own policy refused a device, so that its owner
// (and no one else) sees the refusal in the device's record. Only a chain that verifies through
// the group's lead names a group: an issuer name alone is anyone's to forge.
#include <gtest/gtest.h>

#include "pki/chain_verifier.hpp"
#include "pki/x509_util.hpp"
#include "support/test_pki.hpp"
#include "trust_index_fixture.hpp"

namespace dps::pki {
namespace {

using test::chain_of;
using Kind = TrustGroupIndex::RefusalKind;

using trust_fixture::index_of;
using trust_fixture::spec;

class RefusingGroup : public testing::Test {
 protected:
  struct Outcome {
    bool admitted = false;
    Kind told = Kind::NotVerified;
    TrustGroupIndex::RefusedBy by;
  };

  static Outcome match(const std::vector<TrustGroupSpec>& specs, const std::vector<X509*>& chain) {
    Outcome out;
    out.by.group_id = "untouched";
    out.admitted = index_of(specs)
                       .match(chain, std::chrono::system_clock::now(), &out.told, &out.by)
                       .has_value();
    return out;
  }

  TrustGroupSpec disabled(std::string id) const {
    auto s = spec(std::move(id), intermediate.chain_pem());
    s.disabled = true;
    return s;
  }

  test::TestCa root = test::make_root_ca("Mfr Root");
  test::TestCa intermediate = test::make_intermediate_ca(root, "Mfr Intermediate");
  test::TestCert leaf = test::make_leaf(intermediate);
  test::TestCert expired = test::make_leaf(
      intermediate, {.validity = {-std::chrono::days(730), -std::chrono::days(365)}});
};

TEST_F(RefusingGroup, ADisabledGroupNamesItselfForADeviceOfItsOwn) {
  const auto r = match({disabled("eg-off")}, chain_of(leaf));
  ASSERT_FALSE(r.admitted);
  EXPECT_EQ(r.told, Kind::Disabled);
  EXPECT_EQ(r.by.group_id, "eg-off");
  EXPECT_EQ(r.by.kind, Kind::Disabled);
}

TEST_F(RefusingGroup, AForgedChainNamingADisabledGroupsLeadNamesNoGroup) {
  // Same issuer names, other keys: the device is told "disabled" as before, but the group's
  // owner must not get a record of a certificate that is not theirs.
  const auto forged_root = test::make_root_ca("Mfr Root");
  const auto forged = test::make_intermediate_ca(forged_root, "Mfr Intermediate");
  const auto r = match({disabled("eg-off")}, chain_of(test::make_leaf(forged), forged));
  ASSERT_FALSE(r.admitted);
  EXPECT_EQ(r.told, Kind::Disabled);
  EXPECT_EQ(r.by.group_id, "");
}

TEST_F(RefusingGroup, ARevokingGroupNamesItselfAndItsReason) {
  auto revoking = spec("eg-rev", intermediate.chain_pem());
  revoking.revoked = {serial_hex(leaf.get())};
  const auto r = match({revoking, disabled("eg-off")}, chain_of(leaf));
  ASSERT_FALSE(r.admitted);
  EXPECT_EQ(r.told, Kind::Revoked);
  EXPECT_EQ(r.by.group_id, "eg-rev") << "the refusal the device is told wins";
  EXPECT_EQ(r.by.kind, Kind::Revoked);
  EXPECT_EQ(r.by.detail, "serial " + serial_hex(leaf.get()) + " is revoked");
}

TEST_F(RefusingGroup, AGroupFindingItsDeviceExpiredNamesItself) {
  const auto r = match({spec("eg", intermediate.chain_pem())}, chain_of(expired));
  ASSERT_FALSE(r.admitted);
  EXPECT_EQ(r.by.group_id, "eg");
  EXPECT_EQ(r.by.kind, Kind::Expired);
  EXPECT_EQ(r.by.detail, "certificate has expired");
}

TEST_F(RefusingGroup, AnExpiredDeviceOfAnotherBranchUnderTheSameRootNamesNoGroup) {
  // The group trusts intermediate A; the device comes from B, same root and same name: the
  // chain builds to the group's root, but not through its lead, so expiry is not its verdict.
  const auto branch = test::make_intermediate_ca(root, "Mfr Intermediate");
  const auto device =
      test::make_leaf(branch, {.validity = {-std::chrono::days(730), -std::chrono::days(365)}});
  const auto r = match({spec("eg", intermediate.chain_pem())}, chain_of(device, branch));
  ASSERT_FALSE(r.admitted);
  EXPECT_EQ(r.by.group_id, "");
}

TEST_F(RefusingGroup, AnOwningGroupIsNamedEvenWhenTheDeviceIsToldAnotherGroupsReason) {
  // eg-a (smaller id) trusts another key under the same name: its refusal is the one the device
  // is told (first among equals), but only eg-b's is about this device.
  const auto other_root = test::make_root_ca("Mfr Root");
  const auto other = test::make_intermediate_ca(other_root, "Mfr Intermediate");
  const auto r = match({spec("eg-a", other.chain_pem()), spec("eg-b", intermediate.chain_pem())},
                       chain_of(expired));
  ASSERT_FALSE(r.admitted);
  EXPECT_EQ(r.by.group_id, "eg-b");
  EXPECT_EQ(r.by.kind, Kind::Expired);
}

TEST_F(RefusingGroup, NoCandidateAChainThatDoesNotVerifyOrAnAdmissionNamesNoGroup) {
  const auto other_root = test::make_root_ca("Other Root");
  const auto other = test::make_intermediate_ca(other_root, "Other Intermediate");
  EXPECT_EQ(match({disabled("eg-off")}, chain_of(test::make_leaf(other))).by.group_id, "");
  EXPECT_EQ(match({spec("eg", intermediate.chain_pem())},
                  chain_of(test::make_leaf(intermediate, {.client_auth_eku = false})))
                .by.group_id,
            "");
  const auto admitted =
      match({spec("eg", intermediate.chain_pem()), disabled("eg-off")}, chain_of(leaf));
  EXPECT_TRUE(admitted.admitted);
  EXPECT_EQ(admitted.by.group_id, "untouched") << "written on refusal only";
}

}  // namespace
}  // namespace dps::pki
