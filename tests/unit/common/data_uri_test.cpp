// data: URIs, percent-decoding and UTF-8: how chains and secrets are written as values.
#include "common/data_uri.hpp"

#include <gtest/gtest.h>

namespace dps {
namespace {

TEST(PercentDecode, DecodesEscapesAndPlusOnlyInFormMode) {
  EXPECT_EQ(percent_decode("a%20b%2Fc+d", true).value(), "a b/c d");
  EXPECT_EQ(percent_decode("a%20b%2fc+d", false).value(), "a b/c+d");
}

TEST(PercentDecode, RejectsTruncatedAndNonHexEscapes) {
  for (const char* bad : {"%", "%2", "a%zz", "%g0"}) {
    auto decoded = percent_decode(bad, false);
    ASSERT_FALSE(decoded) << bad;
    EXPECT_EQ(decoded.error().code, ErrorCode::BadRequest);
  }
}

TEST(DataUri, DecodesBase64LiteralAndUrlSafeForms) {
  EXPECT_EQ(decode_data_uri("data:;base64,aGVsbG8gd29ybGQ=").value(), "hello world");
  EXPECT_EQ(decode_data_uri("DATA:text/plain;BASE64,aGVsbG8").value(), "hello");  // no padding
  EXPECT_EQ(decode_data_uri("data:;base64,-_8=").value(), "\xfb\xff");
  EXPECT_EQ(decode_data_uri("data:;base64,aGVs\nbG8=").value(), "hello");
  EXPECT_EQ(decode_data_uri("data:,a%2Cb+c").value(), "a,b+c");
  EXPECT_EQ(decode_data_uri("data:,").value(), "");
}

TEST(DataUri, RejectsMalformedUris) {
  for (const char* bad : {"data:no-comma", "data:;base64,a*b", "data:;base64,aGVsbG8=x",
                          "data:;base64,a", "data:,%zz", "file:x"}) {
    EXPECT_FALSE(decode_data_uri(bad)) << bad;
  }
}

TEST(DataUri, EncodeRoundTripsEveryRemainderLength) {
  for (const std::string& bytes :
       std::vector<std::string>{"", "a", "ab", "abc", std::string("\0\xff\x10\x80", 4)}) {
    const std::string uri = encode_data_uri(bytes);
    EXPECT_TRUE(uri.starts_with("data:;base64,"));
    EXPECT_EQ(decode_data_uri(uri).value(), bytes);
  }
  EXPECT_EQ(encode_data_uri("ab"), "data:;base64,YWI=");
}

TEST(Utf8, AcceptsWellFormedAndRejectsOverlongSurrogatesAndTruncation) {
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));  // é € 😀
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));                             // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));                         // U+D800
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));                     // > U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));                             // truncated
  EXPECT_FALSE(is_valid_utf8("\xff"));
}

TEST(TextOrDataUri, KeepsTextAndEncodesBinaryNulAndDataPrefixedText) {
  EXPECT_EQ(text_or_data_uri("secret"), "secret");
  EXPECT_EQ(text_or_data_uri(std::string("a\0b", 3)), encode_data_uri(std::string("a\0b", 3)));
  EXPECT_EQ(text_or_data_uri("\xff\xfe"), encode_data_uri("\xff\xfe"));
  EXPECT_EQ(text_or_data_uri("data:,x"), encode_data_uri("data:,x"));
}

}  // namespace
}  // namespace dps
