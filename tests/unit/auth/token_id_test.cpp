#include "auth/token_id.hpp"

#include <gtest/gtest.h>

#include "auth/base64url.hpp"

namespace dps::auth {
namespace {

std::string unsigned_token(const std::string& payload) {
  return base64url_encode(R"({"alg":"ES256"})") + "." + base64url_encode(payload) + ".c2ln";
}

TEST(TokenId, ReadsJtiAndExpOfAToken) {
  auto id = read_token_id(" " + unsigned_token(R"({"jti":"abc","exp":1900000000})") + "\n");
  ASSERT_TRUE(id) << id.error().internal;
  EXPECT_EQ(id->jti, "abc");
  EXPECT_EQ(id->expires_at, 1900000000);
  auto huge = read_token_id(unsigned_token(R"({"jti":"abc","exp":18446744073709551615})"));
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->expires_at, std::numeric_limits<int64_t>::max());  // saturated, not wrapped
}

TEST(TokenId, NamesWhatIsMissing) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"not-a-jwt", "not a JWT"},
      {unsigned_token("[1]"), "payload is not a JSON object"},
      {unsigned_token(R"({"exp":1})"), "token has no \"jti\""},
      {unsigned_token(R"({"jti":"a"})"), "no numeric \"exp\""},
      {unsigned_token(R"({"jti":"a b","exp":1})"), "printable ASCII without spaces"},
      {unsigned_token(R"({"jti":"","exp":1})"), "jti must be 1 to 256 characters"},
  };
  for (const auto& [token, reason] : cases) {
    auto id = read_token_id(token);
    ASSERT_FALSE(id) << token;
    EXPECT_EQ(id.error().code, ErrorCode::BadRequest);
    EXPECT_NE(id.error().internal.find(reason), std::string::npos) << id.error().internal;
  }
  EXPECT_FALSE(check_jti(std::string(257, 'a')));
  EXPECT_TRUE(check_jti(std::string(256, 'a')));
}

}  // namespace
}  // namespace dps::auth
