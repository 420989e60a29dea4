// Groups written by a dps older than trust paths, as the next start finds them: each gets its
// trust path, except those whose trust overlaps another owner's group, which are disabled (neither
// owner keeps admitting the other's devices by an accident of ids).
#include "app/store_seeding.hpp"

#include <gtest/gtest.h>

#include "pki/x509_util.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/test_pki.hpp"

namespace dps::app {
namespace {

store::EnrollmentGroup legacy_group(const std::string& id, const std::string& owner,
                                    const test::TestCa& ca) {
  store::EnrollmentGroup group;
  group.id = id;
  group.owner = owner;
  group.name = id;
  group.x509.certificate_chain = ca.chain_pem();
  group.hub_ids = {"hub"};
  return group;  // no trust_path: as an older dps stored it
}

class BackfillTest : public ::testing::Test {
 protected:
  BackfillTest() {
    auto opened = store::SqliteStore::open(dir_.path() / "dps.sqlite");
    if (!opened) throw std::runtime_error(opened.error().internal);
    store_ = std::move(*opened);
  }

  store::EnrollmentGroup stored(const std::string& id) {
    auto groups = store_->list_enrollment_groups({store::OwnerScope::every_owner(), {id}, {}, {}});
    if (!groups || groups->size() != 1) throw std::runtime_error("group " + id + " not found");
    return groups->front();
  }

  test::TempDir dir_;
  std::unique_ptr<store::SqliteStore> store_;
  test::TestCa root_ = test::make_root_ca("Backfill Root");
  test::TestCa intermediate_ = test::make_intermediate_ca(root_, "Backfill Intermediate");
  test::TestCa other_ = test::make_root_ca("Backfill Other Root");
};

TEST_F(BackfillTest, GroupsOfOneOwnerGetTheirTrustPaths) {
  const auto alices = legacy_group("a-1", "alice", intermediate_);
  const auto nested = legacy_group("a-2", "alice", root_);
  ASSERT_TRUE(store_->upsert_enrollment_groups(std::vector{alices, nested}));
  auto filled = backfill_trust_paths(*store_);
  ASSERT_TRUE(filled) << filled.error().internal;
  EXPECT_EQ(*filled, 2u);
  EXPECT_EQ(stored("a-1").trust_path.size(), 2u);
  EXPECT_EQ(stored("a-2").trust_path.size(), 1u);
  EXPECT_FALSE(stored("a-1").disabled);
}

TEST_F(BackfillTest, TwoOwnersOverTheSameDevicesAreBothDisabledWhateverTheirIds) {
  // Bob's root-level group covers alice's intermediate: whichever claimed first would keep
  // admitting the other's devices.
  const auto alices = legacy_group("a-1", "alice", intermediate_);
  const auto bobs = legacy_group("b-1", "bob", root_);
  const auto carols = legacy_group("c-1", "carol", other_);
  ASSERT_TRUE(store_->upsert_enrollment_groups(std::vector{alices, bobs, carols}));
  auto filled = backfill_trust_paths(*store_);
  ASSERT_TRUE(filled) << filled.error().internal;
  EXPECT_EQ(*filled, 1u) << "only carol's group is uncontested";
  EXPECT_TRUE(stored("a-1").disabled);
  EXPECT_TRUE(stored("b-1").disabled);
  EXPECT_TRUE(stored("a-1").trust_path.empty());
  EXPECT_FALSE(stored("c-1").disabled);
  EXPECT_FALSE(stored("c-1").trust_path.empty());
}

TEST_F(BackfillTest, LegacyGroupOverlappingAProvenOneIsDisabledAndTheProvenOneKept) {
  auto proven = legacy_group("a-1", "alice", intermediate_);
  ASSERT_TRUE(store_->upsert_enrollment_groups(std::vector{proven}));
  ASSERT_EQ(*backfill_trust_paths(*store_), 1u);  // alice's now holds its trust
  ASSERT_TRUE(store_->upsert_enrollment_groups(std::vector{legacy_group("b-1", "bob", root_)}));
  auto filled = backfill_trust_paths(*store_);
  ASSERT_TRUE(filled) << filled.error().internal;
  EXPECT_EQ(*filled, 0u);
  EXPECT_TRUE(stored("b-1").disabled);
  EXPECT_FALSE(stored("a-1").disabled);
  EXPECT_EQ(stored("a-1").trust_path.size(), 2u);
}

// A config-file TPM group is stored as the API stores one: its trust path from the vendor chain
// (so it claims that CA for its owner), its lead name filled in; and another owner's config
// group over the same CA, of either kind, stops the start.
TEST_F(BackfillTest, ConfigFileTpmGroupsClaimTheirVendorCaAtSeeding) {
  config::Config config;
  store::EnrollmentGroup tpm = legacy_group("t-1", "alice", intermediate_);
  tpm.x509 = {};
  tpm.tpm.vendor_certificate_chain = intermediate_.chain_pem();
  config.enrollment_groups = {tpm};
  ASSERT_TRUE(seed_store(*store_, config));
  const store::EnrollmentGroup seeded = stored("t-1");
  EXPECT_TRUE(seeded.is_tpm());
  EXPECT_EQ(seeded.tpm.lead_certificate_name, "Backfill Intermediate");
  ASSERT_EQ(seeded.trust_path.size(), 2u);
  EXPECT_EQ(seeded.trust_path.front(), pki::spki_sha256_hex(intermediate_.get()));

  config.enrollment_groups.push_back(legacy_group("b-1", "bob", root_));
  auto contested = seed_store(*store_, config);
  ASSERT_FALSE(contested);
  EXPECT_EQ(contested.error().code, ErrorCode::Conflict);
}

}  // namespace
}  // namespace dps::app
