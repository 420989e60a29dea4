// RFC 7252 §3 datagrams that must be refused: every DatagramFault, what RFC 7252 §4.2-4.3 says to
// do with them (Reset or silence), and garbage.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <variant>
#include <vector>

#include "coap/udp_message.hpp"

namespace dps::coap {
namespace {

constexpr size_t kUdpErrorLimit = 4096;

DatagramError udp_error_of(const std::vector<uint8_t>& bytes, size_t limit = kUdpErrorLimit) {
  const DatagramResult result = decode_datagram(bytes, limit);
  if (!std::holds_alternative<DatagramError>(result)) {
    ADD_FAILURE() << "decoded, expected a refusal";
    return {};
  }
  return std::get<DatagramError>(result);
}

// A GET with MID 0x0102 and the given body after the header (TKL 0).
std::vector<uint8_t> udp_get_with_body(std::vector<uint8_t> body, uint8_t first = 0x40) {
  std::vector<uint8_t> bytes = {first, 0x01, 0x01, 0x02};
  bytes.insert(bytes.end(), body.begin(), body.end());
  return bytes;
}

constexpr DatagramHeader kConHeader{MessageType::Confirmable, 0x0102};

TEST(UdpMessageErrors, TooShortHasNoHeaderAndIsIgnored) {
  for (const auto& bytes : std::vector<std::vector<uint8_t>>{{}, {0x40}, {0x40, 0x01, 0x00}}) {
    const DatagramError e = udp_error_of(bytes);
    EXPECT_EQ(e.fault, DatagramFault::TooShort);
    EXPECT_FALSE(e.header);
    EXPECT_EQ(disposition(e), Disposition::Ignore);
  }
}

TEST(UdpMessageErrors, UnknownVersionsAreSilentlyIgnored) {
  for (const int version : {0, 2, 3}) {
    const DatagramError e = udp_error_of({static_cast<uint8_t>(version << 6), 0x01, 0, 1});
    EXPECT_EQ(e.fault, DatagramFault::UnknownVersion) << version;
    EXPECT_FALSE(e.header);  // RFC 7252 §3: not even a Reset
    EXPECT_EQ(disposition(e), Disposition::Ignore);
  }
}

TEST(UdpMessageErrors, RefusesADatagramOverTheLimitBeforeReadingIt) {
  // One byte over the limit, and garbage options that would otherwise be a different fault.
  std::vector<uint8_t> bytes = udp_get_with_body(std::vector<uint8_t>(60, 0xf0));
  const DatagramError e = udp_error_of(bytes, bytes.size() - 1);
  EXPECT_EQ(e.fault, DatagramFault::MessageTooLarge);
  EXPECT_EQ(e.header, kConHeader);
  EXPECT_EQ(udp_error_of(bytes, bytes.size()).fault, DatagramFault::BadOptionEncoding);
}

TEST(UdpMessageErrors, RefusesTokenLengthsNineToFifteen) {
  for (uint8_t tkl = 9; tkl <= 15; ++tkl) {
    std::vector<uint8_t> bytes = {static_cast<uint8_t>(0x40 | tkl), 0x01, 0x01, 0x02};
    bytes.resize(bytes.size() + 15, 0xaa);  // enough bytes for any token: the TKL alone decides
    const DatagramError e = udp_error_of(bytes);
    EXPECT_EQ(e.fault, DatagramFault::BadTokenLength) << int{tkl};
    EXPECT_EQ(e.header, kConHeader);
  }
}

TEST(UdpMessageErrors, RefusesADatagramEndingInsideItsToken) {
  EXPECT_EQ(udp_error_of({0x48, 0x01, 0x01, 0x02, 1, 2, 3}).fault, DatagramFault::TruncatedToken);
  EXPECT_EQ(udp_error_of({0x41, 0x01, 0x01, 0x02}).fault, DatagramFault::TruncatedToken);
}

TEST(UdpMessageErrors, RefusesAnEmptyMessageWithAnythingAfterTheHeader) {
  // RFC 7252 §3 and §4.1: 0.00 is the header alone; a token, option or payload is a format error.
  for (const auto& bytes :
       std::vector<std::vector<uint8_t>>{{0x41, 0x00, 0x01, 0x02, 0x07},          // token
                                         {0x40, 0x00, 0x01, 0x02, 0x10},          // option
                                         {0x40, 0x00, 0x01, 0x02, 0xff, 'x'},     // payload
                                         {0x60, 0x00, 0x01, 0x02, 0xff, 'x'}}) {  // an ACK too
    const DatagramError e = udp_error_of(bytes);
    EXPECT_EQ(e.fault, DatagramFault::NonEmptyEmpty);
    ASSERT_TRUE(e.header);
    EXPECT_EQ(e.header->message_id, 0x0102);
  }
}

TEST(UdpMessageErrors, RefusesReservedOptionNibblesAndNumbersAbove65535) {
  EXPECT_EQ(udp_error_of(udp_get_with_body({0xf0})).fault, DatagramFault::BadOptionEncoding);
  EXPECT_EQ(udp_error_of(udp_get_with_body({0x0f})).fault, DatagramFault::BadOptionEncoding);
  // Delta 269 + 0xffff = 65804.
  EXPECT_EQ(udp_error_of(udp_get_with_body({0xe0, 0xff, 0xff})).fault,
            DatagramFault::BadOptionEncoding);
}

TEST(UdpMessageErrors, RefusesAPayloadMarkerWithoutPayload) {
  EXPECT_EQ(udp_error_of(udp_get_with_body({0xff})).fault, DatagramFault::EmptyPayloadMarker);
  EXPECT_EQ(udp_error_of(udp_get_with_body({0xc0, 0xff})).fault, DatagramFault::EmptyPayloadMarker);
}

TEST(UdpMessageErrors, RefusesOptionsRunningPastTheDatagram) {
  EXPECT_EQ(udp_error_of(udp_get_with_body({0x05, 'a', 'b'})).fault,
            DatagramFault::TruncatedOption);
  EXPECT_EQ(udp_error_of(udp_get_with_body({0xd0})).fault, DatagramFault::TruncatedOption);
  EXPECT_EQ(udp_error_of(udp_get_with_body({0x0e, 0x00})).fault, DatagramFault::TruncatedOption);
}

TEST(UdpMessageErrors, AppliesTheOptionCapsOfTheTcpFraming) {
  Datagram at_cap{MessageType::Confirmable, 3, {}};
  at_cap.message.code = Code::Get;
  for (size_t i = 0; i < kMaxOptionsPerMessage; ++i) at_cap.message.add_option(1, {});
  EXPECT_TRUE(std::holds_alternative<Datagram>(decode_datagram(encode_datagram(at_cap), 4096)));
  at_cap.message.add_option(1, {});
  EXPECT_EQ(udp_error_of(encode_datagram(at_cap)).fault, DatagramFault::TooManyOptions);

  Datagram long_option{MessageType::Confirmable, 3, {}};
  long_option.message.code = Code::Get;
  long_option.message.add_option(35, std::vector<uint8_t>(kMaxOptionLength, 'u'));
  EXPECT_TRUE(
      std::holds_alternative<Datagram>(decode_datagram(encode_datagram(long_option), 4096)));
  long_option.message.options[0].value.push_back('u');
  EXPECT_EQ(udp_error_of(encode_datagram(long_option)).fault, DatagramFault::OptionTooLong);
}

TEST(UdpMessageErrors, NamesEveryFaultDistinctly) {
  std::set<std::string_view> names;
  for (const DatagramFault f :
       {DatagramFault::TooShort, DatagramFault::UnknownVersion, DatagramFault::MessageTooLarge,
        DatagramFault::BadTokenLength, DatagramFault::TruncatedToken, DatagramFault::NonEmptyEmpty,
        DatagramFault::BadOptionEncoding, DatagramFault::EmptyPayloadMarker,
        DatagramFault::TruncatedOption, DatagramFault::TooManyOptions,
        DatagramFault::OptionTooLong}) {
    EXPECT_NE(to_string(f), "unknown datagram fault");
    names.insert(to_string(f));
  }
  EXPECT_EQ(names.size(), 11u);
}

TEST(UdpDisposition, ResetsAConfirmableFormatErrorAndIgnoresTheOtherTypes) {
  // Bad token length, one datagram per type: only the CON is answered (RFC 7252 §4.2-4.3).
  const std::vector<std::pair<uint8_t, Disposition>> cases = {
      {0x49, Disposition::Reset},
      {0x59, Disposition::Ignore},
      {0x69, Disposition::Ignore},
      {0x79, Disposition::Ignore},
  };
  for (const auto& [first, expected] : cases) {
    EXPECT_EQ(disposition(udp_error_of({first, 0x01, 0x01, 0x02})), expected) << int{first};
  }
  // Over the limit, too: a CON the server cannot take is rejected, not left to time out.
  EXPECT_EQ(disposition(udp_error_of({0x40, 0x01, 0x01, 0x02}, 3)), Disposition::Reset);
}

Disposition udp_disposition_of(MessageType type, Code code) {
  return disposition(Datagram{type, 1, Message{code, {}, {}, {}}});
}

TEST(UdpDisposition, FollowsRfc7252ForDecodedDatagrams) {
  using enum MessageType;
  const auto reserved = {static_cast<Code>(1 << 5 | 1), static_cast<Code>(6 << 5), Code::Ping};
  EXPECT_EQ(udp_disposition_of(Confirmable, Code::Get), Disposition::Process);
  EXPECT_EQ(udp_disposition_of(Confirmable, Code::Content), Disposition::Process);
  EXPECT_EQ(udp_disposition_of(Confirmable, Code::Empty), Disposition::Reset);  // CoAP ping
  EXPECT_EQ(udp_disposition_of(NonConfirmable, Code::Post), Disposition::Process);
  EXPECT_EQ(udp_disposition_of(NonConfirmable, Code::Empty), Disposition::Ignore);
  for (const Code code : reserved) {
    EXPECT_EQ(udp_disposition_of(Confirmable, code), Disposition::Reset) << to_string(code);
    EXPECT_EQ(udp_disposition_of(NonConfirmable, code), Disposition::Ignore) << to_string(code);
    EXPECT_EQ(udp_disposition_of(Acknowledgement, code), Disposition::Ignore) << to_string(code);
  }
  EXPECT_EQ(udp_disposition_of(Acknowledgement, Code::Empty), Disposition::Process);
  EXPECT_EQ(udp_disposition_of(Acknowledgement, Code::Content), Disposition::Process);
  EXPECT_EQ(udp_disposition_of(Acknowledgement, Code::Get), Disposition::Ignore);  // §4.2
  EXPECT_EQ(udp_disposition_of(Reset, Code::Empty), Disposition::Process);
  EXPECT_EQ(udp_disposition_of(Reset, Code::Content), Disposition::Ignore);
}

// The fuzz target's property (fuzz/coap_udp_fuzz.cpp) on a fixed pseudo-random corpus: no crash,
// what decodes re-encodes to the same bytes, a refusal's header is the datagram's own.
void check_udp_property(const std::vector<uint8_t>& bytes) {
  const DatagramResult result = decode_datagram(bytes, 512);
  if (const auto* d = std::get_if<Datagram>(&result)) {
    ASSERT_EQ(encode_datagram(*d), bytes);
    ASSERT_EQ(datagram_size(*d), bytes.size());
    return;
  }
  const auto& e = std::get<DatagramError>(result);
  if (e.header) {
    ASSERT_GE(bytes.size(), kDatagramHeaderSize);
    ASSERT_EQ(static_cast<uint8_t>(e.header->type), (bytes[0] >> 4) & 0x03);
    ASSERT_EQ(e.header->message_id, bytes[2] << 8 | bytes[3]);
  }
}

TEST(UdpMessageErrors, SurvivesGarbageAndReencodesWhatItAccepts) {
  std::mt19937 rng(7252);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> length(0, 40);
  for (int i = 0; i < 100000; ++i) {
    std::vector<uint8_t> bytes(length(rng));
    for (auto& b : bytes) b = static_cast<uint8_t>(byte(rng));
    if (!bytes.empty() && i % 2 == 0) {
      bytes[0] = static_cast<uint8_t>(0x40 | (bytes[0] & 0x37));  // version 1, TKL 0-7
    }
    check_udp_property(bytes);
  }
}

TEST(UdpMessageErrors, SurvivesSingleByteCorruptionOfAValidDatagram) {
  Datagram d{MessageType::Confirmable, 0x4242, {}};
  d.message.code = Code::Post;
  d.message.token = {1, 2, 3, 4, 5, 6, 7, 8};
  d.message.set_uri_path("/api/v1/provisioning/credentials");
  d.message.add_uint_option(option::kContentFormat, content_format::kOcfCbor);
  d.message.add_option(option::kBlock1, {0x0e});
  d.message.payload.assign(20, 0xa5);
  const std::vector<uint8_t> valid = encode_datagram(d);
  for (size_t at = 0; at < valid.size(); ++at) {
    for (int value = 0; value < 256; ++value) {
      std::vector<uint8_t> corrupt = valid;
      corrupt[at] = static_cast<uint8_t>(value);
      check_udp_property(corrupt);
    }
  }
}

}  // namespace
}  // namespace dps::coap
