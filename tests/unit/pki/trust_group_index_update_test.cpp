// TrustGroupIndex::updated: the index after removing and adding groups matches devices exactly as
// one built from scratch over the same groups, shares what it did not change, and leaves the
// index it came from as it was (sessions may still be matching against it).
#include <gtest/gtest.h>

#include "pki/chain_verifier.hpp"
#include "support/test_pki.hpp"

namespace dps::pki {
namespace {

std::shared_ptr<const TrustGroup> group(const std::string& id, const std::string& owner,
                                        const test::TestCa& ca, bool disabled = false) {
  TrustGroupSpec spec;
  spec.group_id = id;
  spec.owner = owner;
  spec.certificate_chain_pem = ca.chain_pem();
  spec.disabled = disabled;
  auto built = build_trust_group(spec);
  if (!built) throw std::runtime_error(built.error().internal);
  return *built;
}

class TrustGroupIndexUpdate : public testing::Test {
 protected:
  // What a device of each CA gets: the group id, or the refusal kind.
  std::vector<std::string> outcomes(const TrustGroupIndex& index) const {
    std::vector<std::string> out;
    for (size_t i = 0; i < cas_.size(); ++i) {
      std::vector<X509*> chain{leaves_[i].get(), cas_[i]->get()};
      TrustGroupIndex::RefusalKind kind{};
      auto match = index.match(chain, std::chrono::system_clock::now(), &kind);
      out.push_back(match ? match->group_id : "refused " + std::to_string(static_cast<int>(kind)));
    }
    return out;
  }

  test::TestCa root_a_ = test::make_root_ca("index A");
  test::TestCa root_b_ = test::make_root_ca("index B");
  test::TestCa root_c_ = test::make_root_ca("index C");
  test::TestCa sub_a_ = test::make_intermediate_ca(root_a_, "index A sub");
  std::vector<const test::TestCa*> cas_{&root_a_, &root_b_, &root_c_, &sub_a_};
  std::vector<test::TestCert> leaves_ = [this] {
    std::vector<test::TestCert> leaves;
    for (const test::TestCa* ca : cas_) leaves.push_back(test::make_leaf(*ca));
    return leaves;
  }();
};

TEST_F(TrustGroupIndexUpdate, MatchesAsAFullBuildAndLeavesTheOriginalAlone) {
  auto g1 = group("g1", "alice", root_a_);
  auto g2 = group("g2", "alice", root_b_);
  auto g3 = group("g3", "bob", root_c_);
  auto g4 = group("g4", "alice", sub_a_);
  const TrustGroupIndex before({g1, g2, g3});
  const auto before_outcomes = outcomes(before);

  // g2 disabled (a new TrustGroup replaces it), g3 deleted, g4 added under g1's root, and g0
  // added with the same lead name as g1 (sorted before it: the tie goes to the smaller id).
  auto g2_disabled = group("g2", "alice", root_b_, /*disabled=*/true);
  auto g0 = group("g0", "alice", root_a_);
  const std::vector<const TrustGroup*> removed{g2.get(), g3.get()};
  const std::vector<std::shared_ptr<const TrustGroup>> added{g2_disabled, g4, g0};
  auto after = before.updated(removed, added);

  const TrustGroupIndex full({g1, g2_disabled, g4, g0});
  EXPECT_EQ(after->size(), full.size());
  EXPECT_EQ(outcomes(*after), outcomes(full));
  EXPECT_EQ(outcomes(*after)[0], "g0");
  EXPECT_EQ(outcomes(*after)[3], "g4");
  EXPECT_EQ(outcomes(before), before_outcomes);
  EXPECT_EQ(before.size(), 3u);
}

TEST_F(TrustGroupIndexUpdate, RemovingWhatIsNotThereChangesNothing) {
  auto g1 = group("g1", "alice", root_a_);
  auto stranger = group("g1", "alice", root_a_);  // same id and lead name, another object
  const TrustGroupIndex index({g1});
  const std::vector<const TrustGroup*> removed{stranger.get()};
  auto after = index.updated(removed, {});
  EXPECT_EQ(after->size(), 1u);
  EXPECT_EQ(outcomes(*after), outcomes(index));
}

}  // namespace
}  // namespace dps::pki
