// HubCertificateAuthorities: one gRPC client per hub, refused settings named, failures counted,
// clients of deleted hubs dropped. The calls that reach a real certificate authority are in
// tests/integration/plgd_ca_test.cpp.
#include "provisioning/hub_certificate_authorities.hpp"

#include <gtest/gtest.h>

#include "pki/csr.hpp"
#include "support/test_pki.hpp"

namespace dps::provisioning {
namespace {

using namespace std::chrono_literals;

store::Hub hub_at(const std::string& id, const std::string& address) {
  store::Hub hub;
  hub.id = id;
  hub.hub_id = id;
  hub.certificate_authority.address = address;
  return hub;
}

class HubCertificateAuthoritiesTest : public ::testing::Test {
 protected:
  HubCertificateAuthoritiesTest() {
    csr_pem_ = test::make_csr_pem(key_.get(), "uuid:" + device_id_);
    csr_ = std::move(*pki::validate_csr(csr_pem_, device_id_));
  }
  const std::string device_id_ = "0d0d0d0d-0000-4000-8000-000000000001";
  pki::EvpPkeyPtr key_ = test::make_key();
  std::string csr_pem_;
  pki::ValidatedCsr csr_;
  HubCertificateAuthorities cas_{nullptr, 300ms};
};

TEST_F(HubCertificateAuthoritiesTest, UnreachableCaIsUnavailableWithinTheTimeout) {
  const auto start = std::chrono::steady_clock::now();
  // Port 1 on loopback: nothing listens, connections are refused.
  const auto signed_ = cas_.sign(hub_at("a", "127.0.0.1:1"), csr_pem_, csr_, "token");
  ASSERT_FALSE(signed_);
  EXPECT_EQ(signed_.error().code, ErrorCode::Unavailable) << signed_.error().internal;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(cas_.size(), 1u);
}

TEST_F(HubCertificateAuthoritiesTest, KeyWithoutCertificateIsAServerSideErrorNamingTheHub) {
  auto hub = hub_at("b", "127.0.0.1:1");
  hub.certificate_authority.key_pem = "-----BEGIN PRIVATE KEY-----";
  const auto signed_ = cas_.sign(hub, csr_pem_, csr_, "token");
  ASSERT_FALSE(signed_);
  EXPECT_EQ(signed_.error().code, ErrorCode::Internal);
  EXPECT_NE(signed_.error().internal.find("hub b: certificateAuthority.grpc"), std::string::npos)
      << signed_.error().internal;
}

TEST_F(HubCertificateAuthoritiesTest, ClientsOfHubsNoLongerInTheCatalogAreDropped) {
  (void)cas_.sign(hub_at("a", "127.0.0.1:1"), csr_pem_, csr_, "token");
  (void)cas_.sign(hub_at("c", "127.0.0.1:1"), csr_pem_, csr_, "token");
  EXPECT_EQ(cas_.size(), 2u);
  cas_.retain({"c"});
  EXPECT_EQ(cas_.size(), 1u);
  cas_.retain({});
  EXPECT_EQ(cas_.size(), 0u);
}

TEST_F(HubCertificateAuthoritiesTest, ClientKeyOfAnotherCertificateIsRefusedWithoutQuotingIt) {
  auto hub = hub_at("d", "127.0.0.1:1");
  const auto ca = test::make_root_ca("client ca");
  const auto other = test::make_root_ca("other");
  hub.certificate_authority.cert_pem = ca.cert_pem();
  hub.certificate_authority.key_pem = other.key_pem();
  const auto signed_ = cas_.sign(hub, csr_pem_, csr_, "token");
  ASSERT_FALSE(signed_);
  EXPECT_NE(signed_.error().internal.find("the key is not the certificate's"), std::string::npos)
      << signed_.error().internal;
  EXPECT_EQ(signed_.error().internal.find("PRIVATE KEY"), std::string::npos);
}

// A session that took its catalog before a hub was deleted must not bring the hub's client back
// after the clean-up: it is used once and not kept.
TEST_F(HubCertificateAuthoritiesTest, HubNotInTheLastCatalogGetsNoLastingClient) {
  cas_.retain({"kept"});
  (void)cas_.sign(hub_at("deleted", "127.0.0.1:1"), csr_pem_, csr_, "token");
  EXPECT_EQ(cas_.size(), 0u);
  (void)cas_.sign(hub_at("kept", "127.0.0.1:1"), csr_pem_, csr_, "token");
  EXPECT_EQ(cas_.size(), 1u);
}

}  // namespace
}  // namespace dps::provisioning
