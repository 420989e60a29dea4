#include "pki/trust_group.hpp"

#include <gtest/gtest.h>

#include "pki/x509_util.hpp"
#include "support/test_pki.hpp"

namespace dps::pki {
namespace {

// A manufacturer PKI: root -> intermediate, both long-lived.
struct Manufacturer {
  test::TestCa root = test::make_root_ca("Mfr Root");
  test::TestCa intermediate = test::make_intermediate_ca(root, "Mfr Intermediate");
};

TrustGroupSpec spec(std::string chain_pem) {
  TrustGroupSpec s;
  s.group_id = "eg-1";
  s.certificate_chain_pem = std::move(chain_pem);
  return s;
}

TEST(BuildTrustGroup, ParsesChainOnceAndSplitsRootsFromIntermediates) {
  Manufacturer mfr;
  auto group = build_trust_group(spec(mfr.intermediate.chain_pem()));
  ASSERT_TRUE(group) << group.error().internal;
  EXPECT_EQ((*group)->group_id(), "eg-1");
  EXPECT_EQ((*group)->lead_name(), "Mfr Intermediate");  // default: CN of the first certificate
  EXPECT_EQ(X509_cmp((*group)->first_certificate(), mfr.intermediate.get()), 0);
  ASSERT_EQ((*group)->intermediates().size(), 1u);
  EXPECT_EQ(X509_cmp((*group)->intermediates()[0], mfr.intermediate.get()), 0);
}

TEST(BuildTrustGroup, KeepsAnExplicitLeadNameThatNamesAChainCertificate) {
  Manufacturer mfr;
  auto s = spec(mfr.intermediate.chain_pem());
  s.lead_certificate_name = "Mfr Root";
  auto group = build_trust_group(s);
  ASSERT_TRUE(group) << group.error().internal;
  EXPECT_EQ((*group)->lead_name(), "Mfr Root");
}

TEST(BuildTrustGroup, AcceptsAnExpiredChainBecauseDatesAreJudgedAtHandshake) {
  const auto root =
      test::make_root_ca("Old Root", {{-std::chrono::days(20), -std::chrono::days(10)}});
  EXPECT_TRUE(build_trust_group(spec(root.chain_pem())));
}

struct BadGroup {
  std::string name;
  TrustGroupSpec spec;
  std::string message;
};

class BuildTrustGroupRefuses : public testing::TestWithParam<BadGroup> {};

TEST_P(BuildTrustGroupRefuses, WithAPreciseMessage) {
  auto group = build_trust_group(GetParam().spec);
  ASSERT_FALSE(group);
  EXPECT_EQ(group.error().code, ErrorCode::BadRequest);
  EXPECT_EQ(group.error().internal, GetParam().message);
}

std::vector<BadGroup> bad_groups() {
  Manufacturer mfr;
  const auto stranger = test::make_root_ca("Stranger Root");
  const auto other_key = test::make_key();
  std::vector<BadGroup> cases;
  cases.push_back({"NoCertificates", spec(""),
                   "enrollment group eg-1: certificate chain: no PEM certificate found"});
  cases.push_back({"NoSelfSignedRoot", spec(mfr.intermediate.cert_pem()),
                   "enrollment group eg-1: certificate chain has no self-signed root"});
  cases.push_back(
      {"DoesNotVerifyAgainstItself", spec(mfr.intermediate.cert_pem() + stranger.cert_pem()),
       "enrollment group eg-1: certificate chain does not verify against itself: certificate 1 "
       "(CN \"Mfr Intermediate\"): unable to get local issuer certificate"});
  auto lead = spec(mfr.intermediate.chain_pem());
  lead.lead_certificate_name = "Nobody";
  cases.push_back({"LeadNameNamesNoCertificate", lead,
                   "enrollment group eg-1: lead certificate name \"Nobody\" names no certificate "
                   "of the chain"});
  auto revoked = spec(mfr.root.chain_pem());
  revoked.revoked = {"0a:1b", "not-hex"};
  cases.push_back({"RevokedEntryNotHex", revoked,
                   "enrollment group eg-1: revoked entry \"not-hex\" is not a hex serial or "
                   "SHA-256 hash"});
  auto crl_garbage = spec(mfr.root.chain_pem());
  crl_garbage.crl_pem = "no crl here";
  cases.push_back({"CrlMissing", crl_garbage, "enrollment group eg-1: crl holds no PEM X509 CRL"});
  auto crl_forged = spec(mfr.root.chain_pem());
  crl_forged.crl_pem = test::make_crl_pem(mfr.root, {}, other_key.get());
  cases.push_back({"CrlNotSignedByItsIssuer", crl_forged,
                   "enrollment group eg-1: CRL of \"Mfr Root\" is not signed by that certificate "
                   "of the chain"});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Specs, BuildTrustGroupRefuses, testing::ValuesIn(bad_groups()),
                         [](const auto& param_info) { return param_info.param.name; });

TEST(BuildTrustGroup, AcceptsCrlOfAnIssuerOutsideTheChain) {
  // The device sends the intermediate; the group holds only the root. The CRL is checked against
  // the device's intermediate at handshake time.
  Manufacturer mfr;
  auto s = spec(mfr.root.chain_pem());
  s.crl_pem = test::make_crl_pem(mfr.intermediate, {});
  EXPECT_TRUE(build_trust_group(s));
}

TEST(BuildTrustGroup, AcceptsSeveralCrls) {
  Manufacturer mfr;
  auto s = spec(mfr.intermediate.chain_pem());
  s.crl_pem = test::make_crl_pem(mfr.intermediate, {}) + test::make_crl_pem(mfr.root, {});
  EXPECT_TRUE(build_trust_group(s));
}

}  // namespace
}  // namespace dps::pki
