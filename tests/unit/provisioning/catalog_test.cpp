// Catalog::build with a previous snapshot: only groups whose trust material changed are parsed
// again, the others keep their parsed TrustGroup (the same object), and what devices match is
// exactly what a build from scratch gives.
#include "provisioning/catalog.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "pki/chain_verifier.hpp"
#include "support/test_pki.hpp"

namespace dps::provisioning {
namespace {

store::EnrollmentGroup group(const std::string& id, const std::string& owner,
                             const test::TestCa& ca) {
  store::EnrollmentGroup g;
  g.id = id;
  g.owner = owner;
  g.name = id;
  g.x509.certificate_chain = ca.chain_pem();
  g.hub_ids = {"h1"};
  return g;
}

std::shared_ptr<const Catalog> build(std::vector<store::EnrollmentGroup> groups,
                                     const Catalog* previous = nullptr) {
  std::vector<std::string> skipped;
  auto catalog = Catalog::build(std::move(groups), {}, &skipped, previous);
  EXPECT_TRUE(skipped.empty()) << skipped.front();
  return catalog;
}

// What a device gets: the group id, or the refusal kind.
std::string outcome(const Catalog& catalog, const test::TestCert& leaf, const test::TestCa& ca) {
  std::vector<X509*> chain{leaf.get(), ca.get()};
  pki::TrustGroupIndex::RefusalKind kind{};
  auto match = catalog.trust().match(chain, std::chrono::system_clock::now(), &kind);
  return match ? match->group_id : "refused:" + std::to_string(static_cast<int>(kind));
}

class CatalogRebuildTest : public ::testing::Test {
 protected:
  test::TestCa ca_a_ = test::make_root_ca("catalog A");
  test::TestCa ca_b_ = test::make_root_ca("catalog B");
  test::TestCa ca_c_ = test::make_root_ca("catalog C");
  test::TestCa ca_d_ = test::make_root_ca("catalog D");
  test::TestCa ca_a_sub_ = test::make_intermediate_ca(ca_a_, "catalog A sub");
  std::vector<store::EnrollmentGroup> groups_ = {
      group("g1", "alice", ca_a_), group("g2", "alice", ca_b_), group("g3", "bob", ca_c_),
      group("g4", "bob", ca_a_sub_)};
};

TEST_F(CatalogRebuildTest, FirstBuildParsesEveryGroup) {
  auto catalog = build(groups_);
  EXPECT_EQ(catalog->parsed_count(), 4u);
  EXPECT_EQ(catalog->reused_count(), 0u);
}

TEST_F(CatalogRebuildTest, UnchangedGroupsKeepTheirParsedStateWhenOneChanges) {
  auto first = build(groups_);
  auto changed = groups_;
  changed[1].x509.certificate_chain = ca_d_.chain_pem();  // g2 now trusts D instead of B
  auto second = build(changed, first.get());

  EXPECT_EQ(second->parsed_count(), 1u);
  EXPECT_EQ(second->reused_count(), 3u);
  for (const char* id : {"g1", "g3", "g4"}) {
    ASSERT_NE(second->trust_group(id), nullptr) << id;
    EXPECT_EQ(second->trust_group(id), first->trust_group(id)) << id << " was parsed again";
  }
  EXPECT_NE(second->trust_group("g2"), first->trust_group("g2"));
}

TEST_F(CatalogRebuildTest, ChangedGroupAdmitsByItsNewCertificatesOnly) {
  auto first = build(groups_);
  const auto of_b = test::make_leaf(ca_b_);
  const auto of_d = test::make_leaf(ca_d_);
  ASSERT_EQ(outcome(*first, of_b, ca_b_), "g2");

  auto changed = groups_;
  changed[1].x509.certificate_chain = ca_d_.chain_pem();
  auto second = build(changed, first.get());
  EXPECT_EQ(outcome(*second, of_d, ca_d_), "g2");
  EXPECT_NE(outcome(*second, of_b, ca_b_), "g2");
  EXPECT_EQ(second->find_group("g2")->x509.certificate_chain, ca_d_.chain_pem());
}

TEST_F(CatalogRebuildTest, EveryTrustInputCountsAsAChange) {
  auto first = build(groups_);
  const auto leaf = test::make_leaf(ca_b_);
  std::vector<std::function<void(store::EnrollmentGroup&)>> edits = {
      [](auto& g) { g.disabled = true; },
      [](auto& g) { g.owner = "carol"; },
      [](auto& g) { g.revoked_certificates = {"0a"}; },
      [&](auto& g) { g.crl = test::make_crl_pem(ca_b_, {}); },
      [](auto& g) { g.x509.lead_certificate_name = "catalog B"; },
      [](auto& g) { g.x509.expired_certificate_enabled = true; },
  };
  for (size_t i = 0; i < edits.size(); ++i) {
    auto changed = groups_;
    edits[i](changed[1]);
    auto second = build(changed, first.get());
    EXPECT_EQ(second->parsed_count(), 1u) << "edit " << i;
    EXPECT_NE(second->trust_group("g2"), first->trust_group("g2")) << "edit " << i;
  }
  // The change is in effect, not only re-parsed: a disabled group admits nobody.
  auto disabled = groups_;
  disabled[1].disabled = true;
  auto second = build(disabled, first.get());
  EXPECT_EQ(
      outcome(*second, leaf, ca_b_),
      "refused:" + std::to_string(static_cast<int>(pki::TrustGroupIndex::RefusalKind::Disabled)));
}

TEST_F(CatalogRebuildTest, NonTrustFieldsChangeWithoutParsing) {
  auto first = build(groups_);
  auto changed = groups_;
  changed[0].name = "renamed";
  changed[0].hub_ids = {"h2", "h1"};
  auto second = build(changed, first.get());
  EXPECT_EQ(second->parsed_count(), 0u);
  EXPECT_EQ(second->trust_group("g1"), first->trust_group("g1"));
  EXPECT_EQ(second->find_group("g1")->name, "renamed");
  EXPECT_EQ(second->find_group("g1")->hub_ids, (std::vector<std::string>{"h2", "h1"}));
}

TEST_F(CatalogRebuildTest, DeletedGroupIsGone) {
  auto first = build(groups_);
  const auto of_c = test::make_leaf(ca_c_);
  ASSERT_EQ(outcome(*first, of_c, ca_c_), "g3");
  auto fewer = groups_;
  fewer.erase(fewer.begin() + 2);
  auto second = build(fewer, first.get());
  EXPECT_EQ(second->find_group("g3"), nullptr);
  EXPECT_EQ(second->trust_group("g3"), nullptr);
  EXPECT_EQ(second->trust().size(), 3u);
  EXPECT_EQ(
      outcome(*second, of_c, ca_c_),
      "refused:" + std::to_string(static_cast<int>(pki::TrustGroupIndex::RefusalKind::NoGroup)));
  // Re-created under the same id, it is parsed anew (nothing lingers from the first snapshot).
  auto again = build(groups_, second.get());
  EXPECT_EQ(again->parsed_count(), 1u);
  EXPECT_EQ(outcome(*again, of_c, ca_c_), "g3");
}

TEST_F(CatalogRebuildTest, MatchesEqualThoseOfAFullBuild) {
  // Devices under every CA, including one that two groups trust at different depths (g1 at A,
  // g4 at A's intermediate: the more specific wins), after a chain of edits.
  std::vector<std::pair<test::TestCert, const test::TestCa*>> devices;
  for (const test::TestCa* ca : {&ca_a_, &ca_b_, &ca_c_, &ca_d_, &ca_a_sub_}) {
    devices.emplace_back(test::make_leaf(*ca), ca);
  }
  std::set<std::string> seen;  // the versions must exercise more than one outcome
  auto incremental = build(groups_);
  std::vector<std::vector<store::EnrollmentGroup>> versions;
  auto v = groups_;
  v[1].x509.certificate_chain = ca_d_.chain_pem();
  versions.push_back(v);
  v.erase(v.begin() + 3);  // g4 gone: A's sub devices fall back to g1
  versions.push_back(v);
  v.push_back(group("g5", "alice", ca_b_));
  v[0].disabled = true;
  versions.push_back(v);
  for (size_t i = 0; i < versions.size(); ++i) {
    incremental = build(versions[i], incremental.get());
    auto full = build(versions[i]);
    for (size_t d = 0; d < devices.size(); ++d) {
      const auto& [leaf, ca] = devices[d];
      const std::string expected = outcome(*full, leaf, *ca);
      EXPECT_EQ(outcome(*incremental, leaf, *ca), expected) << "version " << i << ", device " << d;
      seen.insert(expected);
    }
  }
  EXPECT_GE(seen.size(), 4u);
}

std::vector<store::GroupRevision> revisions_of(const std::vector<store::EnrollmentGroup>& groups,
                                               int64_t revision) {
  std::vector<store::GroupRevision> out;
  for (const auto& g : groups) out.push_back({g.id, revision});
  return out;
}

TEST_F(CatalogRebuildTest, UpdateTakesOverGroupsAtTheSameRevisionWhole) {
  auto first = Catalog::update(nullptr, revisions_of(groups_, 1), true, groups_, {});
  ASSERT_EQ(first->parsed_count(), 4u);
  auto revisions = revisions_of(groups_, 1);
  revisions[1].revision = 2;  // g2 written since
  EXPECT_EQ(first->stale_ids(revisions), std::vector<std::string>{"g2"});

  auto g2 = groups_[1];
  g2.x509.certificate_chain = ca_d_.chain_pem();
  auto second = Catalog::update(first.get(), revisions, true, {g2}, {});
  EXPECT_EQ(second->parsed_count(), 1u);
  EXPECT_EQ(second->reused_count(), 3u);
  EXPECT_EQ(second->group_count(), 4u);
  EXPECT_EQ(second->find_group("g1"), first->find_group("g1"));  // the same entity, shared
  EXPECT_EQ(second->trust_group("g4"), first->trust_group("g4"));
  EXPECT_EQ(second->find_group("g2")->x509.certificate_chain, ca_d_.chain_pem());
  EXPECT_TRUE(second->stale_ids(revisions).empty());
  EXPECT_EQ(outcome(*second, test::make_leaf(ca_d_), ca_d_), "g2");
}

TEST_F(CatalogRebuildTest, UpdateWithTheChangesOnlyKeepsEveryOtherGroup) {
  auto first = Catalog::update(nullptr, revisions_of(groups_, 1), true, groups_, {});
  EXPECT_EQ(first->watermark(), 1);
  auto g2 = groups_[1];
  g2.name = "renamed";
  const std::vector<store::GroupRevision> changed{{"g2", 3}};
  auto second = Catalog::update(first.get(), changed, /*complete=*/false, {g2}, {});
  EXPECT_EQ(second->group_count(), 4u);
  EXPECT_EQ(second->parsed_count(), 0u);  // a name is no trust input
  EXPECT_EQ(second->find_group("g2")->name, "renamed");
  EXPECT_EQ(second->find_group("g3"), first->find_group("g3"));
  EXPECT_EQ(second->watermark(), 3);
  EXPECT_EQ(second->trust().size(), 4u);
}

TEST_F(CatalogRebuildTest, UpdateDropsGroupsTheStoreNoLongerLists) {
  auto first = Catalog::update(nullptr, revisions_of(groups_, 1), true, groups_, {});
  auto revisions = revisions_of(groups_, 1);
  revisions.erase(revisions.begin() + 2);  // g3 deleted
  EXPECT_TRUE(first->stale_ids(revisions).empty());
  auto second = Catalog::update(first.get(), revisions, true, {}, {});
  EXPECT_EQ(second->find_group("g3"), nullptr);
  EXPECT_EQ(second->group_count(), 3u);
  EXPECT_EQ(second->trust().size(), 3u);
}

TEST_F(CatalogRebuildTest, UpdateLeavesOutAGroupChangedButNotRead) {
  // Listed at a new revision but gone by the time the groups were read (deleted in between):
  // the old entry is not kept, whatever the previous snapshot held.
  auto first = Catalog::update(nullptr, revisions_of(groups_, 1), true, groups_, {});
  auto revisions = revisions_of(groups_, 1);
  revisions[0].revision = 5;
  auto second = Catalog::update(first.get(), revisions, true, {}, {});
  EXPECT_EQ(second->find_group("g1"), nullptr);
  EXPECT_EQ(second->stale_ids(revisions), std::vector<std::string>{"g1"});
}

}  // namespace
}  // namespace dps::provisioning
