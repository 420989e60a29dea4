#include "auth/admin_token.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "auth/jwt_verifier.hpp"
#include "support/test_pki.hpp"

namespace dps::auth {
namespace {

class AdminTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto minter = EmbeddedTokenMinter::load_or_create(dir_.path(), "", std::chrono::hours(1));
    ASSERT_TRUE(minter) << minter.error().internal;
    minter_ = std::move(*minter);
    auto keys = admin_token_keys(*minter_);
    ASSERT_TRUE(keys) << keys.error().internal;
    keys_ = *keys;
  }

  JwtVerifier verifier(std::string owner_claim = "sub", std::string audience = "") const {
    return JwtVerifier({std::move(owner_claim), std::move(audience), std::chrono::seconds{60}},
                       keys_);
  }

  test::TempDir dir_;
  std::unique_ptr<EmbeddedTokenMinter> minter_;
  std::shared_ptr<StaticKeyProvider> keys_;
};

TEST_F(AdminTokenTest, MintedTokenVerifiesWithOwner) {
  auto token = mint_admin_token(*minter_, {"admin", "sub", "", std::chrono::hours(24)});
  ASSERT_TRUE(token) << token.error().internal;
  auto verified = verifier().verify("Bearer " + *token);
  ASSERT_TRUE(verified) << verified.error().internal;
  EXPECT_EQ(verified->owner, "admin");
  EXPECT_NEAR(static_cast<double>(verified->expires_at - std::time(nullptr)), 24 * 3600.0, 5.0);
}

TEST_F(AdminTokenTest, CarriesTheApiAudienceWhenConfigured) {
  auto token = mint_admin_token(
      *minter_, {"admin", "https://plgd.dev/owner", "https://dps.test", std::chrono::hours(1)});
  ASSERT_TRUE(token);
  EXPECT_TRUE(verifier("https://plgd.dev/owner", "https://dps.test").verify(*token));
}

TEST_F(AdminTokenTest, HubTokenOfTheSameKeyIsNoAdminToken) {
  // A device's hub token: signed by the same key, with an owner claim, but not for the API.
  auto hub_token = minter_->token_for({"admin", "sub", "", "", "hub", "https://hub.test"});
  ASSERT_TRUE(hub_token);
  auto result = verifier().verify(*hub_token);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::Unauthenticated);
  EXPECT_NE(result.error().internal.find("urn:dps:management-api"), std::string::npos);
}

TEST_F(AdminTokenTest, RefusesEmptyOwnerAndRegisteredClaim) {
  EXPECT_FALSE(mint_admin_token(*minter_, {"", "sub", "", std::chrono::hours(1)}));
  EXPECT_FALSE(mint_admin_token(*minter_, {"admin", "exp", "", std::chrono::hours(1)}));
  EXPECT_FALSE(mint_admin_token(*minter_, {"admin", "sub", "", std::chrono::seconds(0)}));
}

TEST_F(AdminTokenTest, FileIsCreatedOnceWithMode0600) {
  AdminTokenRequest request{"admin", "sub", "", std::chrono::hours(1)};
  auto first = load_or_create_admin_token(*minter_, dir_.path(), request);
  ASSERT_TRUE(first) << first.error().internal;
  struct stat st {};
  ASSERT_EQ(::stat((dir_.path() / "admin.token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto second = load_or_create_admin_token(*minter_, dir_.path(), request);
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, *first);
  EXPECT_TRUE(verifier().verify(*second));
}

TEST_F(AdminTokenTest, FileIsReplacedWhenItNoLongerVerifies) {
  std::ofstream(dir_.path() / "admin.token") << "stale.token.here\n";
  AdminTokenRequest request{"admin", "sub", "", std::chrono::hours(1)};
  auto token = load_or_create_admin_token(*minter_, dir_.path(), request);
  ASSERT_TRUE(token);
  EXPECT_TRUE(verifier().verify(*token));
  // Another owner configured: the file is re-minted for it.
  request.owner = "operator-2";
  auto other = load_or_create_admin_token(*minter_, dir_.path(), request);
  ASSERT_TRUE(other);
  EXPECT_EQ(verifier().verify(*other)->owner, "operator-2");
}

}  // namespace
}  // namespace dps::auth
