#include "auth/base64url.hpp"

#include <gtest/gtest.h>

namespace dps::auth {
namespace {

// RFC 4648 §10 test vectors, written in the base64url alphabet without padding.
struct Vector {
  std::string_view plain;
  std::string_view encoded;
};

class Base64UrlVector : public ::testing::TestWithParam<Vector> {};

TEST_P(Base64UrlVector, EncodesAndDecodesRfc4648Vectors) {
  EXPECT_EQ(base64url_encode(GetParam().plain), GetParam().encoded);
  EXPECT_EQ(base64url_decode(GetParam().encoded), std::string(GetParam().plain));
}

INSTANTIATE_TEST_SUITE_P(Rfc4648, Base64UrlVector,
                         ::testing::Values(Vector{"", ""}, Vector{"f", "Zg"}, Vector{"fo", "Zm8"},
                                           Vector{"foo", "Zm9v"}, Vector{"foob", "Zm9vYg"},
                                           Vector{"fooba", "Zm9vYmE"},
                                           Vector{"foobar", "Zm9vYmFy"}));

TEST(Base64Url, UsesUrlSafeAlphabet) {
  const std::string bytes("\xfb\xff\xbf", 3);
  EXPECT_EQ(base64url_encode(bytes), "-_-_");
  EXPECT_EQ(base64url_decode("-_-_"), bytes);
}

TEST(Base64Url, DecodeAcceptsPaddingAndRejectsForeignCharacters) {
  EXPECT_EQ(base64url_decode("Zm8="), "fo");
  EXPECT_EQ(base64url_decode("Zm+v"), std::nullopt);  // '+' is standard base64, not base64url
  EXPECT_EQ(base64url_decode("Z"), std::nullopt);     // a lone 6-bit group is no byte
}

}  // namespace
}  // namespace dps::auth
