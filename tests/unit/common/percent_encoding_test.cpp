#include "common/percent_encoding.hpp"

#include <gtest/gtest.h>

namespace dps {
namespace {

TEST(PercentEncode, KeepsUnreservedAndEncodesEverythingElseUpperCase) {
  EXPECT_EQ(percent_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(percent_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
  EXPECT_EQ(percent_encode(std::string_view("\0\xff", 2)), "%00%FF");
}

// RFC 6749 §2.3.1: the client id and secret go form-encoded into HTTP Basic; a secret with a
// space or ':' must come out as the authorization server decodes it.
TEST(PercentEncode, FormEncodingWritesSpaceAsPlusAndStillEncodesPlus) {
  EXPECT_EQ(percent_encode("s3cr:t +x", true), "s3cr%3At+%2Bx");
  EXPECT_EQ(percent_encode("a b"), "a%20b");
}

}  // namespace
}  // namespace dps
