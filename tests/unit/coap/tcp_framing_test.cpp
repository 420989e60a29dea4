// RFC 8323 §3.2 framing: round trips at every length-class edge, partial input, golden bytes.
#include "coap/tcp_framing.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "coap/options.hpp"

namespace dps::coap {
namespace {

constexpr size_t kLimit = 1 << 20;

Message message_with_body_length(size_t body_length, size_t token_length = 2) {
  Message m;
  m.code = Code::Content;
  m.token.assign(token_length, 0xab);
  if (body_length == 1) {
    m.add_option(option::kIfMatch, {});  // one header byte, empty value
  } else if (body_length > 1) {
    m.payload.assign(body_length - 1, 'p');  // marker + payload
  }
  return m;
}

size_t length_ext_bytes(size_t body_length) {
  return body_length < 13 ? 0 : body_length < 269 ? 1 : body_length < 65805 ? 2 : 4;
}

Frame expect_frame(const DecodeResult& result) {
  EXPECT_TRUE(std::holds_alternative<Frame>(result));
  return std::holds_alternative<Frame>(result) ? std::get<Frame>(result) : Frame{{}, 0};
}

class TcpFrameLengthClass : public ::testing::TestWithParam<size_t> {};

TEST_P(TcpFrameLengthClass, RoundTripsWithTheLengthNibbleOfItsClass) {
  const size_t body_length = GetParam();
  const Message m = message_with_body_length(body_length);
  const std::vector<uint8_t> bytes = encode_frame(m);
  const size_t ext = length_ext_bytes(body_length);
  ASSERT_EQ(bytes.size(), 1 + ext + 1 + m.token.size() + body_length);
  EXPECT_EQ(encoded_size(m), bytes.size());
  const uint8_t expected_nibble = ext == 0   ? static_cast<uint8_t>(body_length)
                                  : ext == 1 ? 13
                                  : ext == 2 ? 14
                                             : 15;
  EXPECT_EQ(bytes[0] >> 4, expected_nibble);
  EXPECT_EQ(bytes[0] & 0x0f, m.token.size());

  const Frame frame = expect_frame(decode_frame(bytes, kLimit));
  EXPECT_EQ(frame.consumed, bytes.size());
  EXPECT_EQ(frame.message, m);
}

TEST_P(TcpFrameLengthClass, AsksForTheRightByteCountAtEveryTruncationPoint) {
  const size_t body_length = GetParam();
  const std::vector<uint8_t> bytes = encode_frame(message_with_body_length(body_length));
  const size_t length_field_end = 1 + length_ext_bytes(body_length);
  for (size_t prefix = 0; prefix < bytes.size(); ++prefix) {
    const auto result = decode_frame(std::span(bytes).first(prefix), kLimit);
    ASSERT_TRUE(std::holds_alternative<NeedMore>(result)) << "prefix " << prefix;
    const size_t expected = prefix == 0                 ? 1
                            : prefix < length_field_end ? length_field_end
                                                        : bytes.size();
    ASSERT_EQ(std::get<NeedMore>(result).at_least, expected) << "prefix " << prefix;
  }
}

INSTANTIATE_TEST_SUITE_P(LengthClassEdges, TcpFrameLengthClass,
                         ::testing::Values(0, 1, 12, 13, 268, 269, 65804, 65805),
                         [](const auto& param_info) {
                           return "Body" + std::to_string(param_info.param);
                         });

TEST(TcpFrameDecoder, RoundTripsEveryTokenLength) {
  for (size_t token_length = 0; token_length <= kMaxTokenLength; ++token_length) {
    const Message m = message_with_body_length(5, token_length);
    const Frame frame = expect_frame(decode_frame(encode_frame(m), kLimit));
    EXPECT_EQ(frame.message, m) << "token length " << token_length;
  }
}

TEST(TcpFrameDecoder, RoundTripsOptionsNeedingExtendedDeltasAndLengths) {
  Message m;
  m.code = Code::Post;
  m.token = {1, 2, 3, 4, 5, 6, 7, 8};
  m.add_option(12, std::vector<uint8_t>(12, 'a'));    // delta 12, length 12: no extension
  m.add_option(25, std::vector<uint8_t>(13, 'b'));    // delta 13, length 13: 1-byte forms
  m.add_option(293, std::vector<uint8_t>(268, 'c'));  // delta 268, length 268: 1-byte forms
  m.add_option(562, std::vector<uint8_t>(269, 'd'));  // delta 269, length 269: 2-byte forms
  m.add_uint_option(option::kOcfAcceptContentFormatVersion, 2048);   // 2049: 2-byte delta
  m.add_uint_option(option::kOcfContentFormatVersion, 2048);         // 2053: delta 4
  m.add_option(65534, std::vector<uint8_t>(kMaxOptionLength, 'e'));  // longest option accepted
  m.add_option(65535, {});                                           // largest option number
  m.payload = {0xbf, 0xff};
  const std::vector<uint8_t> bytes = encode_frame(m);
  EXPECT_EQ(encoded_size(m), bytes.size());
  const Frame frame = expect_frame(decode_frame(bytes, kLimit));
  EXPECT_EQ(frame.consumed, bytes.size());
  EXPECT_EQ(frame.message, m);
}

TEST(TcpFrameDecoder, DecodesBackToBackFramesOneAtATime) {
  const Message first = message_with_body_length(3);
  const Message second = message_with_body_length(300, 8);
  std::vector<uint8_t> stream;
  encode_frame(first, stream);
  encode_frame(second, stream);
  const Frame a = expect_frame(decode_frame(stream, kLimit));
  EXPECT_EQ(a.message, first);
  const Frame b = expect_frame(decode_frame(std::span(stream).subspan(a.consumed), kLimit));
  EXPECT_EQ(b.message, second);
  EXPECT_EQ(a.consumed + b.consumed, stream.size());
}

TEST(TcpFrameDecoder, AcceptsAFrameOfExactlyMaxMessageSize) {
  const std::vector<uint8_t> bytes = encode_frame(message_with_body_length(300));
  EXPECT_TRUE(std::holds_alternative<Frame>(decode_frame(bytes, bytes.size())));
}

TEST(TcpFrameEncoder, SortsOptionsThatWereAppendedOutOfOrder) {
  Message unsorted;
  unsorted.code = Code::Get;
  unsorted.options = {
      {option::kAccept, {0x3c}}, {option::kUriPath, {'a'}}, {option::kUriPath, {'b'}}};
  Message sorted;
  sorted.code = Code::Get;
  sorted.set_uri_path("/a/b");
  sorted.add_uint_option(option::kAccept, 60);
  EXPECT_EQ(encode_frame(unsorted), encode_frame(sorted));
  EXPECT_EQ(encoded_size(unsorted), encode_frame(sorted).size());
}

// RFC 8323 §5.4, "Ping Message Example": Len 0, TKL 1, code 7.02, token 0x42.
TEST(TcpFrameDecoder, DecodesTheRfc8323PingExample) {
  const std::vector<uint8_t> bytes = {0x01, 0xe2, 0x42};
  const Frame frame = expect_frame(decode_frame(bytes, kLimit));
  EXPECT_EQ(frame.message.code, Code::Ping);
  EXPECT_EQ(frame.message.token, std::vector<uint8_t>{0x42});
  EXPECT_EQ(frame.consumed, 3u);
}

// What iotivity-lite sends for the ownership step, built byte by byte from RFC 8323 §3.2 and
// RFC 7252 §3.1 (not from our encoder): GET /api/v1/provisioning/ownership, 8-byte token,
// Accept 10000, OCF-Accept-Content-Format-Version (2049) 2048.
TEST(TcpFrameDecoder, DecodesAndReencodesARealDeviceOwnershipRequest) {
  const std::vector<uint8_t> token = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
  std::vector<uint8_t> golden = {
      0xd8,  // Len 13 (one extended length byte follows), TKL 8
      0x19,  // body length 38 - 13 = 25
      0x01,  // code 0.01 GET
  };
  golden.insert(golden.end(), token.begin(), token.end());
  const std::vector<uint8_t> body = {
      0xb3, 'a',  'p',  'i',                                                 // Uri-Path, delta 11
      0x02, 'v',  '1',                                                       // Uri-Path, delta 0
      0x0c, 'p',  'r',  'o',  'v',  'i', 's', 'i', 'o', 'n', 'i', 'n', 'g',  // Uri-Path, length 12
      0x09, 'o',  'w',  'n',  'e',  'r', 's', 'h', 'i', 'p',                 // Uri-Path, length 9
      0x62, 0x27, 0x10,              // Accept (17): delta 6, 2 bytes, 10000 = 0x2710
      0xe2, 0x06, 0xe3, 0x08, 0x00,  // 2049: delta 2032 = 269 + 0x06e3 (nibble 14), 2048 = 0x0800
  };
  ASSERT_EQ(body.size(), 38u);
  golden.insert(golden.end(), body.begin(), body.end());

  const Frame frame = expect_frame(decode_frame(golden, kLimit));
  EXPECT_EQ(frame.consumed, golden.size());
  const Message& request = frame.message;
  EXPECT_EQ(request.code, Code::Get);
  EXPECT_EQ(request.token, token);
  EXPECT_EQ(request.uri_path(), "/api/v1/provisioning/ownership");
  EXPECT_EQ(request.accept(), content_format::kOcfCbor);
  EXPECT_EQ(request.uint_option(option::kOcfAcceptContentFormatVersion), 2048u);
  EXPECT_TRUE(request.payload.empty());
  EXPECT_EQ(first_unknown_critical_option(request), std::nullopt);

  Message built;
  built.code = Code::Get;
  built.token = token;
  built.set_uri_path("/api/v1/provisioning/ownership");
  built.add_uint_option(option::kAccept, content_format::kOcfCbor);
  built.add_uint_option(option::kOcfAcceptContentFormatVersion, 2048);
  EXPECT_EQ(encode_frame(built), golden);
}

}  // namespace
}  // namespace dps::coap
