// RFC 8323 §3.2 framing: every DecodeError, the size limit, and garbage input.
#include <gtest/gtest.h>

#include <random>
#include <variant>
#include <vector>

#include "coap/tcp_framing.hpp"

namespace dps::coap {
namespace {

constexpr size_t kErrorTestLimit = 256 * 1024;

DecodeResult decode(const std::vector<uint8_t>& bytes, size_t limit = kErrorTestLimit) {
  return decode_frame(bytes, limit);
}

bool is_error(const DecodeResult& result, DecodeError expected) {
  return std::holds_alternative<DecodeError>(result) && std::get<DecodeError>(result) == expected;
}

TEST(TcpFrameDecoder, RejectsLengthAboveMaxMessageSizeFromTheLengthFieldAlone) {
  // Len 15: four extended bytes announcing 0xffffffff + 65805 bytes (about 4 GiB).
  const std::vector<uint8_t> announcement = {0xf0, 0xff, 0xff, 0xff, 0xff};
  EXPECT_EQ(std::get<NeedMore>(decode({0xf0, 0xff, 0xff, 0xff})).at_least, 5u);
  EXPECT_TRUE(is_error(decode(announcement), DecodeError::MessageTooLarge));
  // With no practical limit the same header is simply a (huge) frame to wait for: no overflow.
  const size_t announced = size_t{5} + 1 + 0xffffffff + kLenExt32Offset;
  EXPECT_EQ(std::get<NeedMore>(decode(announcement, SIZE_MAX)).at_least, announced);
}

TEST(TcpFrameDecoder, RejectsLengthAboveMaxMessageSize) {
  Message m;
  m.code = Code::Content;
  m.payload.assign(100, 'x');
  const std::vector<uint8_t> bytes = encode_frame(m);
  EXPECT_TRUE(is_error(decode(bytes, bytes.size() - 1), DecodeError::MessageTooLarge));
  // The header alone is enough to decide: no need to wait for the body.
  const std::vector<uint8_t> header(bytes.begin(), bytes.begin() + 2);
  EXPECT_TRUE(is_error(decode(header, bytes.size() - 1), DecodeError::MessageTooLarge));
}

TEST(TcpFrameDecoder, RejectsTokenLengthsNineToFifteenFromTheFirstByte) {
  for (uint8_t tkl = 9; tkl <= 15; ++tkl) {
    EXPECT_TRUE(is_error(decode({tkl}), DecodeError::BadTokenLength)) << int{tkl};
  }
}

TEST(TcpFrameDecoder, RejectsReservedOptionNibbles) {
  // Len 1, TKL 0, GET, then one option header byte.
  EXPECT_TRUE(is_error(decode({0x10, 0x01, 0xf0}), DecodeError::BadOptionEncoding));  // delta 15
  EXPECT_TRUE(is_error(decode({0x10, 0x01, 0x0f}), DecodeError::BadOptionEncoding));  // length 15
  EXPECT_TRUE(is_error(decode({0x10, 0x01, 0xf3}), DecodeError::BadOptionEncoding));
}

TEST(TcpFrameDecoder, RejectsOptionNumbersAbove65535) {
  // One option with delta 269 + 0xffff = 65804.
  EXPECT_TRUE(is_error(decode({0x30, 0x01, 0xe0, 0xff, 0xff}), DecodeError::BadOptionEncoding));
  // Option 65535 (269 + 0xfef2), then delta 1 more.
  EXPECT_TRUE(
      is_error(decode({0x40, 0x01, 0xe0, 0xfe, 0xf2, 0x10}), DecodeError::BadOptionEncoding));
}

TEST(TcpFrameDecoder, RejectsPayloadMarkerWithoutPayload) {
  EXPECT_TRUE(is_error(decode({0x10, 0x45, 0xff}), DecodeError::EmptyPayloadAfterMarker));
  EXPECT_TRUE(is_error(decode({0x20, 0x45, 0xc0, 0xff}),
                       DecodeError::EmptyPayloadAfterMarker));  // after an option
}

TEST(TcpFrameDecoder, RejectsOptionsRunningPastTheFrame) {
  EXPECT_TRUE(is_error(decode({0x30, 0x01, 0x05, 'a', 'b'}), DecodeError::TruncatedFrame));
  EXPECT_TRUE(is_error(decode({0x10, 0x01, 0xd0}), DecodeError::TruncatedFrame));  // ext delta
  EXPECT_TRUE(is_error(decode({0x20, 0x01, 0xe0, 0x00}), DecodeError::TruncatedFrame));
  EXPECT_TRUE(is_error(decode({0x10, 0x01, 0x0d}), DecodeError::TruncatedFrame));  // ext length
}

TEST(TcpFrameDecoder, NamesEveryDecodeError) {
  for (const DecodeError e :
       {DecodeError::MessageTooLarge, DecodeError::BadTokenLength, DecodeError::BadOptionEncoding,
        DecodeError::EmptyPayloadAfterMarker, DecodeError::TruncatedFrame,
        DecodeError::TooManyOptions, DecodeError::OptionTooLong}) {
    EXPECT_FALSE(to_string(e).empty());
    EXPECT_NE(to_string(e), "unknown decode error");
  }
}

// The fuzz target's property (fuzz/coap_tcp_framing_fuzz.cpp), on a fixed pseudo-random corpus:
// never crash, NeedMore always asks for more than it has, and a decoded frame re-encodes to
// exactly the bytes it came from (every length has one encoding).
void check_decode_property(const std::vector<uint8_t>& bytes) {
  const auto result = decode_frame(bytes, 4096);
  if (const auto* need = std::get_if<NeedMore>(&result)) {
    ASSERT_GT(need->at_least, bytes.size());
  } else if (const auto* frame = std::get_if<Frame>(&result)) {
    ASSERT_LE(frame->consumed, bytes.size());
    const std::vector<uint8_t> consumed(bytes.begin(),
                                        bytes.begin() + static_cast<long>(frame->consumed));
    ASSERT_EQ(encode_frame(frame->message), consumed);
    ASSERT_EQ(encoded_size(frame->message), frame->consumed);
  }
}

TEST(TcpFrameDecoder, SurvivesGarbageAndReencodesWhatItAccepts) {
  std::mt19937 rng(8323);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> length(0, 48);
  for (int i = 0; i < 200000; ++i) {
    std::vector<uint8_t> bytes(length(rng));
    for (auto& b : bytes) {
      b = static_cast<uint8_t>(byte(rng));
    }
    if (!bytes.empty() && i % 2 == 0) {
      bytes[0] = static_cast<uint8_t>(bytes[0] & 0x3f);  // small lengths: more complete frames
    }
    check_decode_property(bytes);
  }
}

TEST(TcpFrameDecoder, SurvivesSingleByteCorruptionOfAValidFrame) {
  Message m;
  m.code = Code::Post;
  m.token = {1, 2, 3, 4, 5, 6, 7, 8};
  m.set_uri_path("/api/v1/provisioning/credentials");
  m.add_uint_option(12, 10000);
  m.add_uint_option(2053, 2048);
  m.payload.assign(20, 0xa5);
  const std::vector<uint8_t> valid = encode_frame(m);
  for (size_t at = 0; at < valid.size(); ++at) {
    for (int value = 0; value < 256; ++value) {
      std::vector<uint8_t> corrupt = valid;
      corrupt[at] = static_cast<uint8_t>(value);
      check_decode_property(corrupt);
    }
  }
}

}  // namespace
}  // namespace dps::coap
