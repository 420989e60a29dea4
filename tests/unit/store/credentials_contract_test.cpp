// Store contract: the management API's credentials (single-use verification codes for proofs of
// possession, revoked token ids), shared by every replica of one database.
#include "store_contract_test.hpp"

namespace dps::store::testing {
namespace credentials_contract {

constexpr int64_t kNow = 1'800'000'000;
constexpr int64_t kHour = 3600;
constexpr int64_t kMax = 5;

TEST_P(StoreContract, VerificationCodeIsTakenOnceByItsOwnerOnly) {
  ASSERT_TRUE(ok(store().add_verification_code("alice", "code-a", kNow + kHour, kNow, kMax)));
  // Another owner presenting alice's code gets nothing, and does not use it up.
  auto by_bob = store().take_verification_code("bob", "code-a", kNow);
  ASSERT_TRUE(ok(by_bob));
  EXPECT_FALSE(*by_bob);
  auto first = store().take_verification_code("alice", "code-a", kNow);
  ASSERT_TRUE(ok(first));
  EXPECT_TRUE(*first);
  auto second = store().take_verification_code("alice", "code-a", kNow);
  ASSERT_TRUE(ok(second));
  EXPECT_FALSE(*second) << "a verification code is single use";
}

TEST_P(StoreContract, ExpiredVerificationCodeIsRefusedAndGone) {
  ASSERT_TRUE(ok(store().add_verification_code("alice", "old", kNow + 10, kNow, kMax)));
  auto late = store().take_verification_code("alice", "old", kNow + 10);
  ASSERT_TRUE(ok(late));
  EXPECT_FALSE(*late) << "a code is valid strictly before its expiry";
}

TEST_P(StoreContract, OutstandingVerificationCodesAreCappedPerOwner) {
  for (int i = 0; i < kMax; ++i) {
    ASSERT_TRUE(ok(
        store().add_verification_code("alice", "c" + std::to_string(i), kNow + kHour, kNow, kMax)));
  }
  auto over = store().add_verification_code("alice", "one-more", kNow + kHour, kNow, kMax);
  ASSERT_FALSE(ok(over));
  EXPECT_EQ(over.error().code, ErrorCode::Conflict);
  EXPECT_NE(over.error().peer_message().find("too many verification codes"), std::string::npos);
  // The cap is alice's alone: bob is not affected by her codes.
  EXPECT_TRUE(ok(store().add_verification_code("bob", "b0", kNow + kHour, kNow, kMax)));
  // Used and expired codes free their slots.
  ASSERT_TRUE(ok(store().take_verification_code("alice", "c0", kNow)));
  EXPECT_TRUE(ok(store().add_verification_code("alice", "after-use", kNow + kHour, kNow, kMax)));
  EXPECT_TRUE(
      ok(store().add_verification_code("alice", "later", kNow + 3 * kHour, kNow + 2 * kHour, kMax)))
      << "codes expired at `now` do not count";
}

TEST_P(StoreContract, RevokedTokensAreListedUntilTheyExpireKeepingTheLaterExpiry) {
  ASSERT_TRUE(ok(store().revoke_token("jti-1", kNow + 100)));
  ASSERT_TRUE(ok(store().revoke_token("jti-2", kNow + 10)));
  ASSERT_TRUE(ok(store().revoke_token("jti-2", kNow + 200)));  // later expiry wins
  ASSERT_TRUE(ok(store().revoke_token("jti-1", kNow + 50)));   // earlier one is ignored
  auto now = store().revoked_tokens(kNow);
  ASSERT_TRUE(ok(now));
  EXPECT_EQ(*now, (std::vector<std::string>{"jti-1", "jti-2"}));
  auto later = store().revoked_tokens(kNow + 150);
  ASSERT_TRUE(ok(later));
  EXPECT_EQ(*later, (std::vector<std::string>{"jti-2"}));
}

TEST_P(StoreContract, CredentialsSurviveReopen) {
  ASSERT_TRUE(ok(store().add_verification_code("alice", "kept", kNow + kHour, kNow, kMax)));
  ASSERT_TRUE(ok(store().revoke_token("jti-kept", kNow + kHour)));
  reopen();
  auto taken = store().take_verification_code("alice", "kept", kNow);
  ASSERT_TRUE(ok(taken));
  EXPECT_TRUE(*taken);
  auto revoked = store().revoked_tokens(kNow);
  ASSERT_TRUE(ok(revoked));
  EXPECT_EQ(*revoked, (std::vector<std::string>{"jti-kept"}));
}

}  // namespace credentials_contract
}  // namespace dps::store::testing
