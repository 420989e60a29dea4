#include "common/bounded_json.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dps {
namespace {

std::vector<uint8_t> nested_cbor_arrays(size_t depth) {
  std::vector<uint8_t> bytes(depth, 0x81);  // array of one element, depth times
  bytes.push_back(0x01);
  return bytes;
}

std::vector<uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

TEST(BoundedJson, DecodesCborAndJsonAtTheNestingBound) {
  auto cbor = decode_bounded(nested_cbor_arrays(kMaxPayloadNesting), PayloadFormat::Cbor, "body");
  ASSERT_TRUE(cbor) << cbor.error().internal;
  const nlohmann::json* inner = &*cbor;
  for (size_t i = 0; i < kMaxPayloadNesting; ++i) inner = &inner->at(0);
  EXPECT_EQ(*inner, 1);

  const std::string json =
      std::string(kMaxPayloadNesting, '[') + "7" + std::string(kMaxPayloadNesting, ']');
  auto parsed = decode_bounded(bytes_of(json), PayloadFormat::Json, "body");
  ASSERT_TRUE(parsed) << parsed.error().internal;
}

TEST(BoundedJson, RefusesOneLevelDeeperNamingWhat) {
  auto cbor =
      decode_bounded(nested_cbor_arrays(kMaxPayloadNesting + 1), PayloadFormat::Cbor, "answer");
  ASSERT_FALSE(cbor);
  EXPECT_EQ(cbor.error().code, ErrorCode::BadRequest);
  EXPECT_EQ(cbor.error().internal, "answer nests deeper than 32 maps or arrays");

  std::string maps;
  for (size_t i = 0; i <= kMaxPayloadNesting; ++i) maps += "{\"a\":";
  auto json = decode_bounded(bytes_of(maps), PayloadFormat::Json, "body");
  ASSERT_FALSE(json);
  EXPECT_NE(json.error().internal.find("nests deeper"), std::string::npos);
}

// A CBOR array (4-byte length) of `count` one-byte items `item`.
std::vector<uint8_t> cbor_array_of(size_t count, uint8_t item) {
  std::vector<uint8_t> bytes = {0x9a};
  for (int shift = 24; shift >= 0; shift -= 8)
    bytes.push_back(static_cast<uint8_t>(count >> shift));
  bytes.insert(bytes.end(), count, item);
  return bytes;
}

TEST(BoundedJson, AcceptsExactlyMaxPayloadValues) {
  // The array itself is one value.
  auto cbor =
      decode_bounded(cbor_array_of(kMaxPayloadValues - 1, 0xf6), PayloadFormat::Cbor, "body");
  ASSERT_TRUE(cbor) << cbor.error().internal;
  EXPECT_EQ(cbor->size(), kMaxPayloadValues - 1);
}

TEST(BoundedJson, RefusesOneValueOverTheCapNamingIt) {
  auto cbor = decode_bounded(cbor_array_of(kMaxPayloadValues, 0xf6), PayloadFormat::Cbor, "body");
  ASSERT_FALSE(cbor);
  EXPECT_EQ(cbor.error().code, ErrorCode::BadRequest);
  EXPECT_EQ(cbor.error().internal, "body holds more than 4096 values");

  std::string json = "[0";
  for (size_t i = 1; i < kMaxPayloadValues; ++i) json += ",0";
  json += "]";
  auto parsed = decode_bounded(bytes_of(json), PayloadFormat::Json, "body");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().internal, "body holds more than 4096 values");
}

TEST(BoundedJson, QuarterMebibyteOfEmptyMapsIsRefused) {
  // 0xA0 is an empty map: one byte each, dozens of bytes each once decoded.
  auto cbor = decode_bounded(cbor_array_of(256 * 1024, 0xa0), PayloadFormat::Cbor, "body");
  ASSERT_FALSE(cbor);
  EXPECT_EQ(cbor.error().internal, "body holds more than 4096 values");
}

TEST(BoundedJson, HundredThousandLevelsAreAnErrorNotAStackOverflow) {
  EXPECT_FALSE(decode_bounded(nested_cbor_arrays(100'000), PayloadFormat::Cbor, "body"));
  EXPECT_FALSE(decode_bounded(bytes_of(std::string(100'000, '[')), PayloadFormat::Json, "body"));
}

TEST(BoundedJson, MalformedInputIsBadRequestNamingWhat) {
  auto truncated = decode_bounded(std::vector<uint8_t>{0xa1, 0x61}, PayloadFormat::Cbor, "body");
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().code, ErrorCode::BadRequest);
  EXPECT_EQ(truncated.error().internal.rfind("body does not decode", 0), 0u)
      << truncated.error().internal;
  EXPECT_FALSE(decode_bounded(bytes_of("{\"a\":"), PayloadFormat::Json, "body"));
  EXPECT_FALSE(decode_bounded({}, PayloadFormat::Cbor, "body"));
}

TEST(BoundedJson, CborTagsAreIgnoredAndTheirContentKept) {
  // Tag 32 (URI) around the text "a".
  auto tagged =
      decode_bounded(std::vector<uint8_t>{0xd8, 0x20, 0x61, 'a'}, PayloadFormat::Cbor, "body");
  ASSERT_TRUE(tagged) << tagged.error().internal;
  EXPECT_EQ(*tagged, "a");
  // nlohmann 3.11.2 (Debian 12) cannot skip tags 0-5 (one-byte 0xc0-0xc5): such a body is a
  // BadRequest, not a crash. OCF devices' encoders do not tag DPS payloads.
  EXPECT_FALSE(
      decode_bounded(std::vector<uint8_t>{0xc1, 0x19, 0x03, 0xe8}, PayloadFormat::Cbor, "body"));
}

}  // namespace
}  // namespace dps
