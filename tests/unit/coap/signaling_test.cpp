// RFC 8323 §5 signals, and the 7-byte minimum that iotivity-lite needs (device-protocol.md §1).
#include "coap/signaling.hpp"

#include <gtest/gtest.h>

#include <variant>

#include "coap/options.hpp"
#include "coap/tcp_framing.hpp"

namespace dps::coap {
namespace {

Message round_trip(const Message& m) {
  const auto result = decode_frame(encode_frame(m), 1 << 16);
  EXPECT_TRUE(std::holds_alternative<Frame>(result));
  return std::holds_alternative<Frame>(result) ? std::get<Frame>(result).message : Message{};
}

// A signal we send must be long enough, decode to itself and carry no critical option.
void expect_device_safe(const Message& m) {
  EXPECT_GE(encode_frame(m).size(), kDeviceMinimumMessageSize);
  EXPECT_EQ(round_trip(m), m);
  EXPECT_EQ(first_unknown_critical_option(m), std::nullopt);
}

class CsmForSize : public ::testing::TestWithParam<uint32_t> {};

TEST_P(CsmForSize, IsAtLeastSevenBytesAndParsesBack) {
  for (const bool block_wise : {true, false}) {
    const Message csm = make_csm(GetParam(), block_wise);
    EXPECT_EQ(csm.code, Code::Csm);
    expect_device_safe(csm);
    const auto params = parse_csm(round_trip(csm));
    ASSERT_TRUE(params.has_value()) << params.error().internal;
    EXPECT_EQ(params->max_message_size, GetParam());
    EXPECT_EQ(params->block_wise_transfer, block_wise);
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, CsmForSize,
                         ::testing::Values(0u, 1u, 1152u, 0xffffu, 0x10000u, 262144u, 0xffffffu,
                                           0x1000000u, 0xffffffffu));

TEST(Csm, HasTheSpecShapeByteForByte) {
  // Len 5 / TKL 0, 7.01, Max-Message-Size (delta 2, 3 bytes) 1152 = 00 04 80,
  // Block-Wise-Transfer (delta 2, empty).
  EXPECT_EQ(encode_frame(make_csm(1152, true)),
            (std::vector<uint8_t>{0x50, 0xe1, 0x23, 0x00, 0x04, 0x80, 0x20}));
  // Without Block-Wise-Transfer the size is widened to 4 bytes instead.
  EXPECT_EQ(encode_frame(make_csm(1152, false)),
            (std::vector<uint8_t>{0x50, 0xe1, 0x24, 0x00, 0x00, 0x04, 0x80}));
}

TEST(PingPong, AreAtLeastSevenBytesForEveryTokenLengthAndKeepTheToken) {
  for (size_t length = 0; length <= kMaxTokenLength; ++length) {
    const std::vector<uint8_t> token(length, 0x5a);
    const Message ping = make_ping(token);
    EXPECT_EQ(ping.code, Code::Ping);
    EXPECT_EQ(ping.token, token);
    EXPECT_TRUE(ping.payload.empty());
    expect_device_safe(ping);
    const Message pong = make_pong(ping);
    EXPECT_EQ(pong.code, Code::Pong);
    EXPECT_EQ(pong.token, token);
    EXPECT_EQ(pong.find_option(option::kPingCustody), nullptr);
    expect_device_safe(pong);
  }
}

TEST(PingPong, AreNotPaddedWithAnEightByteToken) {
  const Message pong = make_pong(make_ping({1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_TRUE(pong.options.empty());
  EXPECT_EQ(encode_frame(pong).size(), 10u);
}

TEST(AbortRelease, CarryTheDiagnosticAndAreAtLeastSevenBytes) {
  for (const std::string_view diagnostic :
       {"", "x", "bad CSM", "message too large: 300000 > 262144"}) {
    const Message abort = make_abort(diagnostic);
    EXPECT_EQ(abort.code, Code::Abort);
    EXPECT_EQ(abort.payload_text(), diagnostic);
    expect_device_safe(abort);
    const Message release = make_release(diagnostic);
    EXPECT_EQ(release.code, Code::Release);
    EXPECT_EQ(release.payload_text(), diagnostic);
    expect_device_safe(release);
  }
}

TEST(PadToDeviceMinimum, LeavesLongEnoughMessagesAlone) {
  Message m;
  m.code = Code::Content;
  m.token = {1, 2, 3, 4, 5};
  const Message before = m;
  pad_to_device_minimum(m);
  EXPECT_EQ(m, before);
}

TEST(PadToDeviceMinimum, PadsAResponseWithAnIgnoredElectiveOptionOnly) {
  Message m;
  m.code = Code::NotFound;
  pad_to_device_minimum(m);
  EXPECT_EQ(encode_frame(m).size(), kDeviceMinimumMessageSize);
  ASSERT_EQ(m.options.size(), 1u);
  EXPECT_EQ(m.options[0].number, option::kDevicePadding);
  EXPECT_FALSE(option::is_critical(option::kDevicePadding));
  EXPECT_TRUE(m.token.empty());
  EXPECT_TRUE(m.payload.empty());
  const Message once = m;
  pad_to_device_minimum(m);
  EXPECT_EQ(m, once);
}

TEST(PadToDeviceMinimum, AccountsForOptionsAboveThePaddingNumber) {
  Message m;
  m.code = Code::Content;
  m.add_option(65534, {});  // 5 bytes; inserting 65020 shortens this option's delta
  pad_to_device_minimum(m);
  EXPECT_GE(encode_frame(m).size(), kDeviceMinimumMessageSize);
  EXPECT_EQ(round_trip(m), m);
}

TEST(ParseCsm, AcceptsLeadingZerosAndLetsTheLastSizeWin) {
  Message csm;
  csm.code = Code::Csm;
  csm.add_option(option::kCsmMaxMessageSize, {0x00, 0x00, 0x04, 0x80});
  csm.add_option(option::kCsmMaxMessageSize, {0x20, 0x00});
  csm.add_option(6, {0x01});  // unknown elective: ignored
  const auto params = parse_csm(csm);
  ASSERT_TRUE(params.has_value());
  EXPECT_EQ(params->max_message_size, 0x2000u);
  EXPECT_FALSE(params->block_wise_transfer);
}

TEST(ParseCsm, LeavesTheSizeUnsetWhenAbsent) {
  Message csm;
  csm.code = Code::Csm;
  const auto params = parse_csm(csm);
  ASSERT_TRUE(params.has_value());
  EXPECT_EQ(params->max_message_size, std::nullopt);
}

TEST(ParseCsm, RejectsMalformedOptions) {
  Message too_long;
  too_long.code = Code::Csm;
  too_long.add_option(option::kCsmMaxMessageSize, {0, 0, 0, 4, 0x80});
  Message bwt_with_value;
  bwt_with_value.code = Code::Csm;
  bwt_with_value.add_option(option::kCsmBlockWiseTransfer, {1});
  Message unknown_critical;
  unknown_critical.code = Code::Csm;
  unknown_critical.add_option(1, {'h'});
  Message not_a_csm;
  not_a_csm.code = Code::Ping;
  for (const Message& m : {too_long, bwt_with_value, unknown_critical, not_a_csm}) {
    const auto params = parse_csm(m);
    ASSERT_FALSE(params.has_value());
    EXPECT_EQ(params.error().code, ErrorCode::BadRequest);
    EXPECT_FALSE(params.error().internal.empty());
  }
}

}  // namespace
}  // namespace dps::coap
