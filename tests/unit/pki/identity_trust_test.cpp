// pki::IdentityTrust: which client certificates are identity certificates of dps's own CA, and
// which device each names.
#include "pki/identity_trust.hpp"

#include <gtest/gtest.h>

#include "support/test_pki.hpp"

namespace dps::pki {
namespace {

using namespace std::chrono_literals;

class IdentityTrustTest : public ::testing::Test {
 protected:
  IdentityTrustTest() {
    auto trust = IdentityTrust::create(issuing_.chain_pem());
    EXPECT_TRUE(trust) << trust.error().internal;
    trust_ = *trust;
  }

  std::optional<Result<std::string>> device_of(const test::TestCert& leaf) {
    std::vector<X509*> chain{leaf.get()};
    return trust_->device_of(chain, std::chrono::system_clock::now());
  }

  test::TestCa root_ = test::make_root_ca("identity root");
  test::TestCa issuing_ = test::make_intermediate_ca(root_, "identity issuing CA");
  std::shared_ptr<const IdentityTrust> trust_;
  const std::string device_ = "7c0f4f4e-4c8f-4b7e-9a55-3f2b1d0c9e8a";
};

TEST_F(IdentityTrustTest, ACertificateOfTheCaNamesItsDevice) {
  const auto named = device_of(test::make_leaf(issuing_, {.common_name = "uuid:" + device_}));
  ASSERT_TRUE(named.has_value());
  ASSERT_TRUE(*named) << named->error().internal;
  EXPECT_EQ(**named, device_);
}

TEST_F(IdentityTrustTest, AManufacturerCertificateIsNotItsBusiness) {
  const test::TestCa other = test::make_root_ca("identity root");  // same name, other key
  EXPECT_FALSE(device_of(test::make_leaf(other, {.common_name = "uuid:" + device_})).has_value());
  const test::TestCa mfg = test::make_root_ca("some manufacturer");
  EXPECT_FALSE(device_of(test::make_leaf(mfg)).has_value());
}

TEST_F(IdentityTrustTest, AnExpiredOrClientAuthLessOrUnnamedCertificateIsRefusedSayingWhy) {
  const auto expired = device_of(
      test::make_leaf(issuing_, {.common_name = "uuid:" + device_, .validity = {-48h, -24h}}));
  ASSERT_TRUE(expired.has_value());
  ASSERT_FALSE(*expired);
  EXPECT_EQ(expired->error().code, ErrorCode::Forbidden);
  EXPECT_NE(expired->error().internal.find("expired"), std::string::npos)
      << expired->error().internal;
  const auto server_only = device_of(
      test::make_leaf(issuing_, {.common_name = "uuid:" + device_, .client_auth_eku = false}));
  ASSERT_TRUE(server_only.has_value());
  EXPECT_FALSE(*server_only);
  const auto unnamed = device_of(test::make_leaf(issuing_, {.common_name = "hub.example.com"}));
  ASSERT_TRUE(unnamed.has_value());
  EXPECT_FALSE(*unnamed);
}

}  // namespace
}  // namespace dps::pki
