// The CoAP message model (RFC 7252 §3, §5.10, §6.4).
#include "coap/message.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dps::coap {
namespace {

std::vector<uint8_t> bytes(std::string_view text) { return {text.begin(), text.end()}; }

TEST(CoapCode, PrintsClassDotTwoDigitDetail) {
  EXPECT_EQ(to_string(Code::Empty), "0.00");
  EXPECT_EQ(to_string(Code::Get), "0.01");
  EXPECT_EQ(to_string(Code::Content), "2.05");
  EXPECT_EQ(to_string(Code::NotFound), "4.04");
  EXPECT_EQ(to_string(Code::RequestEntityTooLarge), "4.13");
  EXPECT_EQ(to_string(Code::GatewayTimeout), "5.04");
  EXPECT_EQ(to_string(Code::Abort), "7.05");
  EXPECT_EQ(to_string(static_cast<Code>(0xff)), "7.31");
}

TEST(CoapMessage, AddOptionKeepsOptionsSortedAndRepeatsInInsertionOrder) {
  Message m;
  m.add_option(option::kAccept, {1});
  m.add_option(option::kUriPath, bytes("a"));
  m.add_option(option::kContentFormat, {2});
  m.add_option(option::kUriPath, bytes("b"));
  m.add_option(option::kIfMatch, {});
  m.add_option(option::kUriPath, bytes("c"));
  const std::vector<Option> expected = {
      {option::kIfMatch, {}},         {option::kUriPath, bytes("a")},
      {option::kUriPath, bytes("b")}, {option::kUriPath, bytes("c")},
      {option::kContentFormat, {2}},  {option::kAccept, {1}},
  };
  EXPECT_EQ(m.options, expected);
}

TEST(CoapMessage, EncodesUintsInTheFewestBigEndianBytes) {
  EXPECT_EQ(encode_uint(0), std::vector<uint8_t>{});
  EXPECT_EQ(encode_uint(1), std::vector<uint8_t>{1});
  EXPECT_EQ(encode_uint(255), std::vector<uint8_t>{255});
  EXPECT_EQ(encode_uint(256), (std::vector<uint8_t>{1, 0}));
  EXPECT_EQ(encode_uint(10000), (std::vector<uint8_t>{0x27, 0x10}));
  EXPECT_EQ(encode_uint(0x10000), (std::vector<uint8_t>{1, 0, 0}));
  EXPECT_EQ(encode_uint(0xffffffff), (std::vector<uint8_t>{0xff, 0xff, 0xff, 0xff}));
}

TEST(CoapMessage, ReadsUintOptionsIncludingLeadingZeros) {
  Message m;
  m.add_uint_option(option::kAccept, 10000);
  m.add_option(option::kSize1, {0, 0, 0x04, 0x80});
  m.add_option(option::kSize2, {1, 2, 3, 4, 5});
  EXPECT_EQ(m.uint_option(option::kAccept), 10000u);
  EXPECT_EQ(m.uint_option(option::kSize1), 1152u);
  EXPECT_EQ(m.uint_option(option::kSize2), std::nullopt);  // longer than 4 bytes
  EXPECT_EQ(m.uint_option(option::kMaxAge), std::nullopt);
  EXPECT_EQ(m.accept(), 10000);
}

TEST(CoapMessage, ContentFormatAboveSixteenBitsIsAbsent) {
  Message m;
  m.add_uint_option(option::kContentFormat, 0x10000);
  EXPECT_EQ(m.content_format(), std::nullopt);
  EXPECT_EQ(Message{}.content_format(), std::nullopt);
}

TEST(CoapMessage, UriPathIsSlashWithoutUriPathOptions) { EXPECT_EQ(Message{}.uri_path(), "/"); }

TEST(CoapMessage, SetUriPathWritesOneOptionPerSegment) {
  Message m;
  m.set_uri_path("/api/v1/provisioning/ownership");
  ASSERT_EQ(m.options.size(), 4u);
  EXPECT_EQ(m.options[2], (Option{option::kUriPath, bytes("provisioning")}));
  EXPECT_EQ(m.uri_path(), "/api/v1/provisioning/ownership");
}

TEST(CoapMessage, SetUriPathFollowsRfc7252Section6_4) {
  Message m;
  m.set_uri_path("/");
  EXPECT_TRUE(m.options.empty());
  m.set_uri_path("");
  EXPECT_TRUE(m.options.empty());
  m.set_uri_path("/a//b/");  // empty segments are kept: "a", "", "b", ""
  EXPECT_EQ(m.options.size(), 4u);
  EXPECT_EQ(m.uri_path(), "/a//b/");
  m.set_uri_path("x/y");  // a missing leading slash is tolerated
  EXPECT_EQ(m.uri_path(), "/x/y");
}

TEST(CoapMessage, SetUriPathReplacesThePreviousPathAndKeepsOtherOptions) {
  Message m;
  m.add_uint_option(option::kAccept, 60);
  m.set_uri_path("/old/path");
  m.set_uri_path("/new");
  EXPECT_EQ(m.uri_path(), "/new");
  EXPECT_EQ(m.accept(), 60);
  EXPECT_EQ(m.options.size(), 2u);
}

TEST(CoapMessage, ListsUriQueriesInOrder) {
  Message m;
  m.add_string_option(option::kUriQuery, "di=1234");
  m.add_string_option(option::kUriPath, "x");
  m.add_string_option(option::kUriQuery, "if=oic.if.baseline");
  EXPECT_EQ(m.uri_queries(), (std::vector<std::string>{"di=1234", "if=oic.if.baseline"}));
}

TEST(CoapMessage, FindsTheFirstOfRepeatedOptions) {
  Message m;
  m.add_string_option(option::kETag, "1");
  m.add_string_option(option::kETag, "2");
  ASSERT_NE(m.find_option(option::kETag), nullptr);
  EXPECT_EQ(m.find_option(option::kETag)->value, bytes("1"));
  EXPECT_EQ(m.find_option(option::kObserve), nullptr);
}

}  // namespace
}  // namespace dps::coap
