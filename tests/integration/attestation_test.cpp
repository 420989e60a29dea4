// Manufacturer certificates the server must refuse at the handshake (device-protocol §2), each
// followed by a normal device that must still provision. Parametrised over TLS 1.2 / 1.3: with
// 1.3 the client finishes first and learns of the refusal on its first read.
#include "pki/uuid.hpp"
#include "support/dps_fixture.hpp"

namespace dps::itest {
namespace {

using namespace std::chrono_literals;

constexpr const char* kExpiredGroupId = "e0e0e0e0-0000-4000-8000-000000000002";

class Attestation : public DpsTest, public ::testing::WithParamInterface<bool> {
 protected:
  void configure(DpsConfigSpec& spec) override {
    // A second manufacturer whose group accepts expired certificates.
    lenient_ = make_manufacturer("itest lenient mfg");
    GroupSpec group;
    group.id = kExpiredGroupId;
    group.owner = "2";
    group.chain_file = write("lenient-chain.pem", lenient_.chain_pem());
    group.expired_certificate_enabled = true;
    group.hubs = {HubSpec{kHubB, {kGatewayB}}};
    spec.groups.push_back(group);
  }

  bool tls12() const { return GetParam(); }

  void expect_refused(const test::TestCert& leaf, const test::TestCa* issuer) {
    std::string why;
    EXPECT_TRUE(handshake_refused(tls_for(leaf, issuer, tls12()), &why)) << why;
    expect_server_serves();
  }

  static test::LeafOptions expired_leaf() {
    test::LeafOptions o;
    o.common_name = "expired device";
    o.validity = {-std::chrono::days(730), -std::chrono::days(1)};
    return o;
  }

  Manufacturer lenient_;
};

TEST_P(Attestation, AcceptsTheManufacturerDevice) {
  const auto result = provision(default_tls(tls12()));
  EXPECT_TRUE(result.ok) << result.error;
}

TEST_P(Attestation, AcceptsLeafSentWithoutItsIntermediate) {
  const auto result = provision(tls_for(mfg_.device, nullptr, tls12()));
  EXPECT_TRUE(result.ok) << result.error;
}

TEST_P(Attestation, RefusesUntrustedClientCertificate) {
  // Same CA names as the enrolled manufacturer, different keys: a candidate group that fails
  // verification.
  const Manufacturer impostor = make_manufacturer("itest mfg");
  expect_refused(impostor.device, &impostor.intermediate);
  const Manufacturer stranger = make_manufacturer("itest stranger");
  expect_refused(stranger.device, &stranger.intermediate);
}

TEST_P(Attestation, RefusesSelfSignedClientCertificate) {
  test::LeafOptions o;
  o.common_name = "itest mfg intermediate";  // even when named like the lead certificate
  expect_refused(test::make_self_signed_leaf(o), nullptr);
}

TEST_P(Attestation, RefusesClientWithoutCertificate) {
  auto tls = default_tls(tls12());
  tls.cert_chain_pem.clear();
  tls.key_pem.clear();
  std::string why;
  EXPECT_TRUE(handshake_refused(tls, &why)) << why;
  expect_server_serves();
}

TEST_P(Attestation, RefusesLeafWithoutClientAuth) {
  test::LeafOptions o;
  o.client_auth_eku = false;
  o.server_auth_eku = true;
  const auto leaf = test::make_leaf(mfg_.intermediate, o);
  expect_refused(leaf, &mfg_.intermediate);
}

TEST_P(Attestation, RefusesExpiredLeafWhenTheGroupDoesNotAllowIt) {
  const auto leaf = test::make_leaf(mfg_.intermediate, expired_leaf());
  expect_refused(leaf, &mfg_.intermediate);
}

TEST_P(Attestation, AcceptsExpiredLeafWhenTheGroupAllowsIt) {
  const auto leaf = test::make_leaf(lenient_.intermediate, expired_leaf());
  const auto result = provision(tls_for(leaf, &lenient_.intermediate, tls12()));
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.hub.sid, kHubB);
  EXPECT_EQ(result.owner_uuid, pki::owner_to_uuid("2"));
  expect_server_serves();
}

TEST_P(Attestation, RefusesNotYetValidLeaf) {
  test::LeafOptions o;
  o.validity = {std::chrono::days(1), std::chrono::days(30)};
  const auto leaf = test::make_leaf(mfg_.intermediate, o);
  expect_refused(leaf, &mfg_.intermediate);
}

INSTANTIATE_TEST_SUITE_P(Tls, Attestation, ::testing::Bool(), tls_version_name);

}  // namespace
}  // namespace dps::itest
