// The decoder's caps on options (kMaxOptionsPerMessage, kMaxOptionLength): at the cap, one over,
// and the frame that motivated them (256 KiB of one-byte empty options).
#include <gtest/gtest.h>

#include <variant>
#include <vector>

#include "coap/tcp_framing.hpp"
#include "empty_options_frame.hpp"

namespace dps::coap {
namespace {

constexpr size_t kOptionsTestLimit = 1 << 20;

bool refused_with(const DecodeResult& result, DecodeError expected) {
  return std::holds_alternative<DecodeError>(result) && std::get<DecodeError>(result) == expected;
}

Message with_empty_options(size_t count) {
  Message m;
  m.code = Code::Get;
  for (size_t i = 0; i < count; ++i) m.add_option(option::kIfMatch, {});
  return m;
}

TEST(TcpFrameDecoderLimits, AcceptsExactlyMaxOptionsPerMessage) {
  const Message m = with_empty_options(kMaxOptionsPerMessage);
  const auto result = decode_frame(encode_frame(m), kOptionsTestLimit);
  ASSERT_TRUE(std::holds_alternative<Frame>(result));
  EXPECT_EQ(std::get<Frame>(result).message, m);
}

TEST(TcpFrameDecoderLimits, RefusesOneOptionOverTheCap) {
  const auto bytes = encode_frame(with_empty_options(kMaxOptionsPerMessage + 1));
  EXPECT_TRUE(refused_with(decode_frame(bytes, kOptionsTestLimit), DecodeError::TooManyOptions));
}

TEST(TcpFrameDecoderLimits, RefusesAQuarterMebibyteOfEmptyOptions) {
  const auto bytes = test::frame_of_empty_options(256 * 1024);
  ASSERT_EQ(bytes.size(), 6 + 256 * 1024u);
  EXPECT_TRUE(refused_with(decode_frame(bytes, 262144 + 6), DecodeError::TooManyOptions));
}

TEST(TcpFrameDecoderLimits, AcceptsAnOptionOfExactlyMaxOptionLength) {
  Message m;
  m.code = Code::Get;
  m.add_option(35, std::vector<uint8_t>(kMaxOptionLength, 'u'));  // Proxy-Uri at its RFC maximum
  const auto result = decode_frame(encode_frame(m), kOptionsTestLimit);
  ASSERT_TRUE(std::holds_alternative<Frame>(result));
  EXPECT_EQ(std::get<Frame>(result).message, m);
}

TEST(TcpFrameDecoderLimits, RefusesAnOptionOneByteLongerThanTheCap) {
  for (const size_t length : {kMaxOptionLength + 1, size_t{65804}}) {
    Message m;
    m.code = Code::Get;
    m.add_option(35, std::vector<uint8_t>(length, 'u'));
    EXPECT_TRUE(
        refused_with(decode_frame(encode_frame(m), kOptionsTestLimit), DecodeError::OptionTooLong))
        << length;
  }
}

TEST(TcpFrameDecoderLimits, ErrorsNameTheirCap) {
  EXPECT_NE(to_string(DecodeError::TooManyOptions).find(std::to_string(kMaxOptionsPerMessage)),
            std::string_view::npos);
  EXPECT_NE(to_string(DecodeError::OptionTooLong).find(std::to_string(kMaxOptionLength)),
            std::string_view::npos);
}

}  // namespace
}  // namespace dps::coap
