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
  EXPECT_TRUE(first->minted);
  struct stat st {};
  ASSERT_EQ(::stat((dir_.path() / "admin.token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto second = load_or_create_admin_token(*minter_, dir_.path(), request);
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->minted);
  EXPECT_EQ(second->token, first->token);
  EXPECT_FALSE(second->replaced);
  EXPECT_TRUE(verifier().verify(second->token));
}

TEST_F(AdminTokenTest, FileIsReplacedWhenItNoLongerVerifies) {
  std::ofstream(dir_.path() / "admin.token") << "stale.token.here\n";
  AdminTokenRequest request{"admin", "sub", "", std::chrono::hours(1)};
  auto token = load_or_create_admin_token(*minter_, dir_.path(), request);
  ASSERT_TRUE(token);
  EXPECT_TRUE(token->minted);
  EXPECT_FALSE(token->replaced);  // garbage: nothing to revoke
  auto first = verifier().verify(token->token);
  ASSERT_TRUE(first);
  // Another owner configured: the file is re-minted for it, and the old owner's token revoked.
  request.owner = "operator-2";
  auto other = load_or_create_admin_token(*minter_, dir_.path(), request);
  ASSERT_TRUE(other);
  EXPECT_EQ(verifier().verify(other->token)->owner, "operator-2");
  ASSERT_TRUE(other->replaced);
  EXPECT_EQ(other->replaced->jti, first->string_claims.at("jti"));
  EXPECT_EQ(other->replaced->expires_at, first->expires_at);
}

TEST_F(AdminTokenTest, CarriesDpsIssuerAndARandomJti) {
  AdminTokenRequest request{"admin", "sub", "", std::chrono::hours(1)};
  auto one = verifier().verify(*mint_admin_token(*minter_, request));
  auto two = verifier().verify(*mint_admin_token(*minter_, request));
  ASSERT_TRUE(one && two);
  EXPECT_EQ(one->string_claims.at("iss"), kAdminTokenIssuer);
  EXPECT_EQ(one->string_claims.at("jti").size(), 22u);  // 16 random bytes, base64url
  EXPECT_NE(one->string_claims.at("jti"), two->string_claims.at("jti"));
}

TEST_F(AdminTokenTest, AdminKeySigningForAnotherIssuerIsRefused) {
  // The same key file loaded by a minter of another issuer: right key, wrong `iss`.
  auto renamed =
      EmbeddedTokenMinter::load_or_create(dir_.path(), "someone-else", std::chrono::hours(1));
  ASSERT_TRUE(renamed);
  ASSERT_EQ((*renamed)->key_id(), minter_->key_id());
  auto token = mint_admin_token(**renamed, {"admin", "sub", "", std::chrono::hours(1)});
  ASSERT_TRUE(token);
  auto refused = verifier().verify(*token);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().internal,
            "token issuer \"someone-else\" is not the issuer of its signing key (the key that "
            "signed it is \"dps\"'s)");
}

// The file's token is judged at a given time: kept in the first half of its life, replaced (and
// reported for revocation) after it, or at once when it outlives the configured validity.
TEST_F(AdminTokenTest, FileIsRemintedPastHalfItsLifeAndTheOldOneReported) {
  AdminTokenRequest request{"admin", "sub", "", std::chrono::hours(2)};
  auto first = load_or_create_admin_token(*minter_, dir_.path(), request);
  ASSERT_TRUE(first && first->minted);
  auto claims = verifier().verify(first->token);
  ASSERT_TRUE(claims);
  const int64_t iat = claims->issued_at;

  auto kept = load_or_create_admin_token_at(*minter_, dir_.path(), request, iat + 3599);
  ASSERT_TRUE(kept);
  EXPECT_FALSE(kept->minted);
  EXPECT_EQ(kept->token, first->token);

  auto renewed = load_or_create_admin_token_at(*minter_, dir_.path(), request, iat + 3601);
  ASSERT_TRUE(renewed);
  EXPECT_TRUE(renewed->minted);
  EXPECT_NE(renewed->token, first->token);
  ASSERT_TRUE(renewed->replaced);
  EXPECT_EQ(renewed->replaced->jti, claims->string_claims.at("jti"));
  EXPECT_EQ(renewed->replaced->expires_at, iat + 7200);
}

TEST_F(AdminTokenTest, LongLivedFileTokenIsReplacedWhenValidityShrinks) {
  // What a dps before issue 12 left behind: a ten-year token.
  AdminTokenRequest request{"admin", "sub", "", std::chrono::hours(24 * 365 * 10)};
  auto old = load_or_create_admin_token(*minter_, dir_.path(), request);
  ASSERT_TRUE(old);
  request.validity = kDefaultAdminTokenValidity;
  auto bounded = load_or_create_admin_token(*minter_, dir_.path(), request);
  ASSERT_TRUE(bounded);
  EXPECT_TRUE(bounded->minted);
  ASSERT_TRUE(bounded->replaced);
  auto now = verifier().verify(bounded->token);
  ASSERT_TRUE(now);
  EXPECT_EQ(now->expires_at - now->issued_at, kDefaultAdminTokenValidity.count());
  EXPECT_EQ(bounded->replaced->jti, verifier().verify(old->token)->string_claims.at("jti"));
}

TEST_F(AdminTokenTest, ExpiredFileTokenIsReplacedWithNothingToRevoke) {
  AdminTokenRequest request{"admin", "sub", "", std::chrono::hours(1)};
  auto first = load_or_create_admin_token(*minter_, dir_.path(), request);
  ASSERT_TRUE(first);
  const int64_t exp = verifier().verify(first->token)->expires_at;
  auto later = load_or_create_admin_token_at(*minter_, dir_.path(), request, exp + 1);
  ASSERT_TRUE(later);
  EXPECT_TRUE(later->minted);
  EXPECT_FALSE(later->replaced);
}

}  // namespace
}  // namespace dps::auth
