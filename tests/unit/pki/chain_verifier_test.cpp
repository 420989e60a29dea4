#include "pki/chain_verifier.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "pki/pem.hpp"
#include "pki/x509_util.hpp"
#include "support/test_pki.hpp"
#include "trust_index_fixture.hpp"

namespace dps::pki {
namespace {

using namespace std::chrono_literals;
using test::chain_of;

using trust_fixture::index_of;
using trust_fixture::spec;

// "aa:BB:0c" style: upper case with colons and a leading zero byte, as operators paste them.
std::string operator_spelling(const std::string& hex) {
  std::string padded = "00" + (hex.size() % 2 ? "0" + hex : hex);
  std::string out;
  for (size_t i = 0; i < padded.size(); i += 2) {
    if (!out.empty()) out += ':';
    out += static_cast<char>(std::toupper(padded[i]));
    out += static_cast<char>(std::toupper(padded[i + 1]));
  }
  return out;
}

class MatchTest : public testing::Test {
 protected:
  Result<TrustGroupIndex::Match> match(const TrustGroupIndex& index,
                                       const std::vector<X509*>& chain) const {
    return index.match(chain, std::chrono::system_clock::now());
  }
  static void expect_forbidden(const Result<TrustGroupIndex::Match>& r, const std::string& why) {
    ASSERT_FALSE(r) << "matched " << r->group_id;
    EXPECT_EQ(r.error().code, ErrorCode::Forbidden);
    EXPECT_EQ(r.error().internal, why);
  }

  test::TestCa root = test::make_root_ca("Mfr Root");
  test::TestCa intermediate = test::make_intermediate_ca(root, "Mfr Intermediate");
  test::TestCert leaf = test::make_leaf(intermediate);
};

TEST_F(MatchTest, DeviceSendsIntermediateGroupHoldsRoot) {
  // Candidate through the intermediate's Issuer CN ("Mfr Root").
  const auto index = index_of({spec("eg-root", root.chain_pem())});
  auto m = match(index, chain_of(leaf, intermediate));
  ASSERT_TRUE(m) << m.error().internal;
  EXPECT_EQ(m->group_id, "eg-root");
}

TEST_F(MatchTest, GroupHoldsIntermediateDeviceSendsOnlyItsLeaf) {
  const auto index = index_of({spec("eg-inter", intermediate.chain_pem())});
  auto m = match(index, chain_of(leaf));
  ASSERT_TRUE(m) << m.error().internal;
  EXPECT_EQ(m->group_id, "eg-inter");
}

TEST_F(MatchTest, DeviceSendsItsWholeChainIncludingTheRoot) {
  const auto index = index_of({spec("eg-inter", intermediate.chain_pem())});
  auto m = match(index, chain_of(leaf, intermediate, root));
  ASSERT_TRUE(m) << m.error().internal;
  EXPECT_EQ(m->group_id, "eg-inter");
}

TEST_F(MatchTest, RootSentByTheDeviceIsNeverATrustAnchor) {
  // The group trusts only its own root: a device-sent root with the same name proves nothing.
  const auto forged_root = test::make_root_ca("Mfr Root");
  const auto forged_intermediate = test::make_intermediate_ca(forged_root, "Mfr Intermediate");
  const auto forged_leaf = test::make_leaf(forged_intermediate);
  const auto index = index_of({spec("eg-root", root.chain_pem())});
  const auto r = match(index, chain_of(forged_leaf, forged_intermediate, forged_root));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().internal,
            "certificate chain does not verify against enrollment group eg-root: self-signed "
            "certificate in certificate chain");
}

TEST_F(MatchTest, CandidatesAreGroupsWhoseLeadNameIsAPresentedIssuerCn) {
  // The root-only group is not a candidate when the device sends only its leaf: no presented
  // certificate is issued by "Mfr Root".
  const auto index = index_of({spec("eg-root", root.chain_pem())});
  expect_forbidden(match(index, chain_of(leaf)),
                   "no enrollment group for issuer CN \"Mfr Intermediate\"");
  EXPECT_EQ(match(index, chain_of(leaf)).error().peer_message(),
            "no enrollment group for the certificate issuer");
}

TEST_F(MatchTest, SelfSignedLeafIsRefused) {
  const auto index = index_of({spec("eg-root", root.chain_pem())});
  const auto unrelated = test::make_self_signed_leaf({.common_name = "uuid:self"});
  expect_forbidden(match(index, chain_of(unrelated)),
                   "no enrollment group for issuer CN \"uuid:self\"");
  // Even when it borrows the lead name, it does not verify.
  const auto impostor = test::make_self_signed_leaf({.common_name = "Mfr Root"});
  expect_forbidden(match(index, chain_of(impostor)),
                   "certificate chain does not verify against enrollment group eg-root: "
                   "self-signed certificate");
}

TEST_F(MatchTest, LeafFromAnUntrustedCaWithTheSameNameIsRefused) {
  const auto forged_root = test::make_root_ca("Mfr Root");
  const auto forged_leaf = test::make_leaf(forged_root);
  const auto index = index_of({spec("eg-root", root.chain_pem())});
  expect_forbidden(match(index, chain_of(forged_leaf)),
                   "certificate chain does not verify against enrollment group eg-root: "
                   "unable to get local issuer certificate");
}

TEST_F(MatchTest, LeafWithoutClientAuthIsRefused) {
  const auto index = index_of({spec("eg-inter", intermediate.chain_pem())});
  const auto server_only = test::make_leaf(intermediate, {.client_auth_eku = false});
  expect_forbidden(match(index, chain_of(server_only)), "leaf lacks extended key usage clientAuth");
  const auto no_eku =
      test::make_leaf(intermediate, {.client_auth_eku = false, .server_auth_eku = false});
  expect_forbidden(match(index, chain_of(no_eku)), "leaf lacks extended key usage clientAuth");
}

TEST_F(MatchTest, ExpiredLeafIsRefusedUnlessTheGroupAcceptsExpiredCertificates) {
  const auto expired = test::make_leaf(
      intermediate, {.validity = {-std::chrono::days(730), -std::chrono::days(365)}});
  expect_forbidden(match(index_of({spec("eg-inter", intermediate.chain_pem())}), chain_of(expired)),
                   "certificate chain does not verify against enrollment group eg-inter: "
                   "certificate has expired");
  auto lenient = spec("eg-inter", intermediate.chain_pem());
  lenient.expired_certificate_enabled = true;
  auto m = match(index_of({lenient}), chain_of(expired));
  ASSERT_TRUE(m) << m.error().internal;
  EXPECT_EQ(m->group_id, "eg-inter");
}

TEST_F(MatchTest, ExpiredFlagVerifiesAtTheMidpointNotAnyTime) {
  // The intermediate did not exist yet at the leaf's midpoint: still refused.
  const auto young = test::make_intermediate_ca(root, "Young Intermediate",
                                                {{-std::chrono::days(10), std::chrono::days(10)}});
  const auto old_leaf =
      test::make_leaf(young, {.validity = {-std::chrono::days(400), -std::chrono::days(300)}});
  auto lenient = spec("eg-young", young.chain_pem());
  lenient.expired_certificate_enabled = true;
  expect_forbidden(match(index_of({lenient}), chain_of(old_leaf)),
                   "certificate chain does not verify against enrollment group eg-young: "
                   "certificate is not yet valid");
}

TEST_F(MatchTest, MostSpecificIntermediateWins) {
  // Both verify; the group whose first certificate signed the leaf wins even though the
  // root-only group has the smaller id.
  const auto index = index_of(
      {spec("a-root-group", root.chain_pem()), spec("z-inter-group", intermediate.chain_pem())});
  auto m = match(index, chain_of(leaf, intermediate));
  ASSERT_TRUE(m) << m.error().internal;
  EXPECT_EQ(m->group_id, "z-inter-group");
}

TEST_F(MatchTest, GroupsAreRankedByWhereTheirLeadCertificateIsOnTheChain) {
  // eg-a leads with the root (its chain also holds a sibling intermediate); eg-z leads with the
  // device's own intermediate, which is lower on the device's chain: eg-z is more specific.
  const auto sibling = test::make_intermediate_ca(root, "Sibling Intermediate");
  auto root_led = spec("a-root-led", sibling.chain_pem());
  root_led.lead_certificate_name = "Mfr Root";
  const auto index = index_of({root_led, spec("z-inter", intermediate.chain_pem())});
  auto m = match(index, chain_of(leaf, intermediate));
  ASSERT_TRUE(m) << m.error().internal;
  EXPECT_EQ(m->group_id, "z-inter");
}

TEST_F(MatchTest, GroupLeadingWithASameNamedSiblingDoesNotAdmitTheOtherBranch) {
  // A group trusting the root and a different intermediate that happens to carry the device
  // issuer's name: the device's chain verifies through the intermediate it sends, but never passes
  // through the group's lead, so the group does not admit it (another branch of the root).
  const auto namesake = test::make_intermediate_ca(root, "Mfr Intermediate");
  expect_forbidden(
      match(index_of({spec("eg-namesake", namesake.chain_pem())}), chain_of(leaf, intermediate)),
      "certificate chain does not pass through the lead certificate of enrollment group "
      "eg-namesake");
}

TEST_F(MatchTest, CertificateBelowTheLeadCannotAdoptAnotherOwnersCaKey) {
  // Owner B holds a root and an intermediate X of its own (X named like the device's root, so
  // the group is a candidate), and puts under X a cross-certificate of the device's real
  // intermediate: its name and public key, signed by X. The device's leaf verifies under it,
  // and so would pass through B's lead. Only the lead and what is above it may complete a
  // device's chain, so the device (whose intermediate is not B's) is refused.
  const auto b_root = test::make_root_ca("Owner B Root");
  const auto x = test::make_intermediate_ca(b_root, "Mfr Root");
  const std::string cross = pki::to_pem(test::cross_certify(x, intermediate).get()).value();
  auto b = spec("owner-b-group", cross + x.chain_pem());
  b.owner = "bob";
  b.lead_certificate_name = "Mfr Root";
  expect_forbidden(match(index_of({b}), chain_of(leaf, intermediate)),
                   "certificate chain does not verify against enrollment group owner-b-group: "
                   "unable to get local issuer certificate");
  expect_forbidden(match(index_of({b}), chain_of(leaf)),
                   "no enrollment group for issuer CN \"Mfr Intermediate\"");
}

TEST_F(MatchTest, EqualGroupsOfOneOwnerTieBreakOnTheSmallestGroupId) {
  // The store refuses a second group of an owner with the same lead; data written before that
  // still resolves deterministically, whatever the input order.
  for (bool reversed : {false, true}) {
    auto b = spec("group-b", intermediate.chain_pem());
    auto a = spec("group-a", intermediate.chain_pem());
    a.owner = b.owner = "alice";
    std::vector<TrustGroupSpec> specs{b, a};
    if (reversed) std::swap(specs[0], specs[1]);
    auto m = match(index_of(specs), chain_of(leaf));
    ASSERT_TRUE(m) << m.error().internal;
    EXPECT_EQ(m->group_id, "group-a");
  }
}

TEST_F(MatchTest, EqualGroupsOfTwoOwnersRefuseTheDeviceRatherThanPickOne) {
  // Never a device handed to another owner by an accident of ids (the store refuses such a pair
  // at write time; this is the device side's guard for data written before).
  auto a = spec("owner-a-group", intermediate.chain_pem());
  auto b = spec("owner-b-group", intermediate.chain_pem());
  a.owner = "alice";
  b.owner = "bob";
  TrustGroupIndex::RefusalKind kind{};
  auto m = index_of({b, a}).match(chain_of(leaf), std::chrono::system_clock::now(), &kind);
  expect_forbidden(m,
                   "enrollment groups owner-a-group (owner alice) and owner-b-group (owner bob) "
                   "trust this device equally: refused until one of them changes");
  EXPECT_EQ(m.error().external, "enrollment is ambiguous");
  EXPECT_EQ(kind, TrustGroupIndex::RefusalKind::NotVerified);
}

TEST_F(MatchTest, DisabledGroupAdmitsNoDevice) {
  auto disabled = spec("eg-inter", intermediate.chain_pem());
  disabled.disabled = true;
  expect_forbidden(match(index_of({disabled}), chain_of(leaf)),
                   "enrollment group eg-inter is disabled");
  // Another group that verifies still admits the device.
  auto m =
      match(index_of({disabled, spec("eg-root", root.chain_pem())}), chain_of(leaf, intermediate));
  ASSERT_TRUE(m) << m.error().internal;
  EXPECT_EQ(m->group_id, "eg-root");
}

TEST_F(MatchTest, RevokedBySerialInAnySpelling) {
  auto s = spec("eg-inter", intermediate.chain_pem());
  s.revoked = {operator_spelling(serial_hex(leaf.get()))};
  const auto index = index_of({s});
  const auto r = match(index, chain_of(leaf));
  expect_forbidden(r, "certificate revoked by enrollment group eg-inter: serial " +
                          serial_hex(leaf.get()) + " is revoked");
  EXPECT_EQ(r.error().peer_message(), "certificate revoked");
  EXPECT_TRUE(match(index, chain_of(test::make_leaf(intermediate))));  // others still admitted
}

TEST_F(MatchTest, RevokedByPublicKeyHash) {
  auto s = spec("eg-inter", intermediate.chain_pem());
  std::string hash = spki_sha256_hex(leaf.get());
  for (char& c : hash) c = static_cast<char>(std::toupper(c));
  s.revoked = {hash};
  expect_forbidden(match(index_of({s}), chain_of(leaf)),
                   "certificate revoked by enrollment group eg-inter: public key sha256 " +
                       spki_sha256_hex(leaf.get()) + " is revoked");
}

TEST_F(MatchTest, RevokedByCrlOfTheIssuingIntermediate) {
  auto s = spec("eg-inter", intermediate.chain_pem());
  const std::vector<X509*> revoked{leaf.get()};
  s.crl_pem = test::make_crl_pem(intermediate, revoked);
  const auto index = index_of({s});
  expect_forbidden(match(index, chain_of(leaf)),
                   "certificate revoked by enrollment group eg-inter: CRL of \"Mfr Intermediate\" "
                   "lists the leaf (serial " +
                       serial_hex(leaf.get()) + ")");
  EXPECT_TRUE(match(index, chain_of(test::make_leaf(intermediate))));
}

TEST_F(MatchTest, RevokedIntermediateByCrlOfTheRoot) {
  auto s = spec("eg-inter", intermediate.chain_pem());
  const std::vector<X509*> revoked{intermediate.get()};
  s.crl_pem = test::make_crl_pem(root, revoked);
  expect_forbidden(match(index_of({s}), chain_of(leaf)),
                   "certificate revoked by enrollment group eg-inter: CRL of \"Mfr Root\" lists "
                   "intermediate \"Mfr Intermediate\" (serial " +
                       serial_hex(intermediate.get()) + ")");
}

TEST_F(MatchTest, RevokedByCrlOfAnIntermediateTheDeviceSent) {
  auto s = spec("eg-root", root.chain_pem());
  const std::vector<X509*> revoked{leaf.get()};
  s.crl_pem = test::make_crl_pem(intermediate, revoked);
  const auto r = match(index_of({s}), chain_of(leaf, intermediate));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().internal.find("lists the leaf"), std::string::npos) << r.error().internal;
}

TEST_F(MatchTest, RevocationInOneOwnersGroupDoesNotBlockAnother) {
  auto revoking = spec("owner-a-group", intermediate.chain_pem());
  revoking.owner = "alice";
  revoking.revoked = {serial_hex(leaf.get())};
  auto other = spec("owner-b-group", intermediate.chain_pem());
  other.owner = "bob";
  auto m = match(index_of({revoking, other}), chain_of(leaf));
  ASSERT_TRUE(m) << m.error().internal;
  EXPECT_EQ(m->group_id, "owner-b-group");
}

TEST_F(MatchTest, ReportsEveryCandidateAndTellsTheDeviceTheStrongestReason) {
  auto revoking = spec("eg-a", intermediate.chain_pem());
  revoking.revoked = {serial_hex(leaf.get())};
  auto disabled = spec("eg-b", intermediate.chain_pem());
  disabled.disabled = true;
  const auto r = match(index_of({disabled, revoking}), chain_of(leaf));
  expect_forbidden(r, "certificate revoked by enrollment group eg-a: serial " +
                          serial_hex(leaf.get()) +
                          " is revoked; enrollment group eg-b is disabled");
  EXPECT_EQ(r.error().peer_message(), "certificate revoked");
}

TEST_F(MatchTest, RefusalKindNamesTheReasonTheDeviceIsTold) {
  using Kind = TrustGroupIndex::RefusalKind;
  const auto kind_of = [](const TrustGroupIndex& index, const std::vector<X509*>& chain) {
    Kind kind = Kind::NotVerified;
    const auto r = index.match(chain, std::chrono::system_clock::now(), &kind);
    EXPECT_FALSE(r);
    return kind;
  };
  const auto index = index_of({spec("eg-inter", intermediate.chain_pem())});
  const auto other_root = test::make_root_ca("Other Root");
  const auto other = test::make_intermediate_ca(other_root, "Other Intermediate");
  EXPECT_EQ(kind_of(index, chain_of(test::make_leaf(other))), Kind::NoGroup);
  const auto expired = test::make_leaf(
      intermediate, {.validity = {-std::chrono::days(730), -std::chrono::days(365)}});
  EXPECT_EQ(kind_of(index, chain_of(expired)), Kind::Expired);
  EXPECT_EQ(kind_of(index, chain_of(test::make_leaf(intermediate, {.client_auth_eku = false}))),
            Kind::NotVerified);
  // Same issuer name, another key: found a candidate, but the chain does not verify.
  const auto impostor_root = test::make_root_ca("Mfr Root");
  const auto impostor = test::make_intermediate_ca(impostor_root, "Mfr Intermediate");
  EXPECT_EQ(kind_of(index, chain_of(test::make_leaf(impostor))), Kind::NotVerified);

  auto disabled = spec("eg-b", intermediate.chain_pem());
  disabled.disabled = true;
  EXPECT_EQ(kind_of(index_of({disabled}), chain_of(leaf)), Kind::Disabled);
  auto revoking = spec("eg-a", intermediate.chain_pem());
  revoking.revoked = {serial_hex(leaf.get())};
  EXPECT_EQ(kind_of(index_of({disabled, revoking}), chain_of(leaf)), Kind::Revoked);

  Kind untouched = Kind::NoGroup;  // an admitted device leaves it as it was
  EXPECT_TRUE(index.match(chain_of(leaf), std::chrono::system_clock::now(), &untouched));
  EXPECT_EQ(untouched, Kind::NoGroup);
}

TEST_F(MatchTest, EmptyChainIsRefused) {
  expect_forbidden(match(index_of({spec("eg-root", root.chain_pem())}), {}),
                   "device presented no certificate");
}

TEST_F(MatchTest, ConcurrentMatchesShareOneIndex) {
  const auto index =
      index_of({spec("eg-root", root.chain_pem()), spec("eg-inter", intermediate.chain_pem())});
  std::vector<test::TestCert> leaves;
  for (int i = 0; i < 4; ++i) leaves.push_back(test::make_leaf(intermediate));
  std::atomic<int> matched{0};
  std::vector<std::thread> threads;
  for (const auto& device : leaves) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        auto m = index.match(chain_of(device, intermediate), std::chrono::system_clock::now());
        if (m && m->group_id == "eg-inter") ++matched;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(matched.load(), 400);
}

}  // namespace
}  // namespace dps::pki
