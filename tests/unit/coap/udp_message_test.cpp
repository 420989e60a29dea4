// RFC 7252 §3 datagrams: golden bytes of the RFC's examples, round trips, what RFC 7252 §4 says to
// do with each kind of datagram, and the option parser shared with the TCP framing.
#include "coap/udp_message.hpp"

#include <gtest/gtest.h>

#include <string_view>
#include <variant>
#include <vector>

#include "coap/tcp_framing.hpp"

namespace dps::coap {
namespace {

constexpr size_t kUdpTestLimit = 1152;  // RFC 7252 §4.6

std::vector<uint8_t> udp_text(std::string_view text) { return {text.begin(), text.end()}; }

std::vector<uint8_t> udp_concat(std::vector<uint8_t> head, std::string_view tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

Datagram udp_decoded(const std::vector<uint8_t>& bytes, size_t limit = kUdpTestLimit) {
  const DatagramResult result = decode_datagram(bytes, limit);
  if (const auto* error = std::get_if<DatagramError>(&result)) {
    ADD_FAILURE() << "refused: " << to_string(error->fault);
    return {};
  }
  return std::get<Datagram>(result);
}

DatagramError udp_refused(const std::vector<uint8_t>& bytes, size_t limit = kUdpTestLimit) {
  const DatagramResult result = decode_datagram(bytes, limit);
  if (!std::holds_alternative<DatagramError>(result)) {
    ADD_FAILURE() << "decoded, expected a refusal";
    return {};
  }
  return std::get<DatagramError>(result);
}

// RFC 7252 Appendix A, the first example: CON [0x7d34] GET /temperature, no token, answered by
// ACK [0x7d34] 2.05 Content "22.3 C" (piggybacked).
const std::vector<uint8_t> kRfcGet =
    udp_concat({0x40, 0x01, 0x7d, 0x34, 0xbb}, "temperature");  // Uri-Path: delta 11, length 11
const std::vector<uint8_t> kRfcAnswer = udp_concat({0x60, 0x45, 0x7d, 0x34, 0xff}, "22.3 C");

TEST(UdpMessage, DecodesTheRfc7252GetExample) {
  const Datagram d = udp_decoded(kRfcGet);
  EXPECT_EQ(d.type, MessageType::Confirmable);
  EXPECT_EQ(d.message_id, 0x7d34);
  EXPECT_EQ(d.message.code, Code::Get);
  EXPECT_TRUE(d.message.token.empty());
  EXPECT_EQ(d.message.uri_path(), "/temperature");
  EXPECT_TRUE(d.message.payload.empty());
  EXPECT_EQ(encode_datagram(d), kRfcGet);
}

TEST(UdpMessage, PiggybacksTheRfc7252AnswerByteForByte) {
  const Datagram request = udp_decoded(kRfcGet);
  Message content;
  content.code = Code::Content;
  content.payload = udp_text("22.3 C");
  const Datagram answer = piggybacked(request, content);
  EXPECT_EQ(encode_datagram(answer), kRfcAnswer);
  EXPECT_EQ(udp_decoded(kRfcAnswer), answer);
}

TEST(UdpMessage, PiggybackedAndNonConfirmableRepliesCarryTheRequestToken) {
  Datagram request{MessageType::Confirmable, 0xbc90, {}};
  request.message.code = Code::Get;
  request.message.token = {0x71, 0x72};
  Message content;
  content.code = Code::Content;
  content.token = {9, 9, 9};  // whatever the handler left there is replaced

  const Datagram ack = reply_to(request, content, 0x1111);
  EXPECT_EQ(ack.type, MessageType::Acknowledgement);
  EXPECT_EQ(ack.message_id, 0xbc90);  // RFC 7252 §5.2.1: the CON's Message ID, not a fresh one
  EXPECT_EQ(ack.message.token, request.message.token);

  request.type = MessageType::NonConfirmable;
  const Datagram non = reply_to(request, content, 0x1111);
  EXPECT_EQ(non.type, MessageType::NonConfirmable);  // RFC 7252 §5.2.3
  EXPECT_EQ(non.message_id, 0x1111);
  EXPECT_EQ(non.message.token, request.message.token);
}

TEST(UdpMessage, EmptyAckAndResetAreTheFourByteHeader) {
  EXPECT_EQ(encode_datagram(make_ack(0x1234)), (std::vector<uint8_t>{0x60, 0x00, 0x12, 0x34}));
  EXPECT_EQ(encode_datagram(make_reset(0xfffe)), (std::vector<uint8_t>{0x70, 0x00, 0xff, 0xfe}));
  EXPECT_EQ(udp_decoded({0x60, 0x00, 0x12, 0x34}), make_ack(0x1234));
}

TEST(UdpMessage, RoundTripsEveryTypeAndTokenLength) {
  for (const MessageType type : {MessageType::Confirmable, MessageType::NonConfirmable,
                                 MessageType::Acknowledgement, MessageType::Reset}) {
    for (size_t token_length = 0; token_length <= kMaxTokenLength; ++token_length) {
      Datagram d{type, static_cast<uint16_t>(0xa000 + token_length), {}};
      d.message.code = Code::Post;
      d.message.token.assign(token_length, 0x5a);
      d.message.set_uri_path("/api/v1/provisioning/credentials");
      d.message.add_uint_option(option::kContentFormat, content_format::kOcfCbor);
      d.message.payload.assign(40, 0xa5);
      const std::vector<uint8_t> bytes = encode_datagram(d);
      ASSERT_EQ(bytes.size(), datagram_size(d));
      EXPECT_EQ(size_t{bytes[0]}, 0x40 | size_t{static_cast<uint8_t>(type)} << 4 | token_length);
      EXPECT_EQ(udp_decoded(bytes), d) << to_string(type) << " TKL " << token_length;
    }
  }
}

TEST(UdpMessage, RoundTripsOptionsNeedingExtendedDeltasAndLengths) {
  Datagram d{MessageType::NonConfirmable, 7, {}};
  d.message.code = Code::Content;
  d.message.add_option(12, std::vector<uint8_t>(12, 'a'));    // nibbles without extension
  d.message.add_option(25, std::vector<uint8_t>(13, 'b'));    // 1-byte extended length
  d.message.add_option(294, std::vector<uint8_t>(269, 'c'));  // 2-byte delta and length
  d.message.add_option(65535, {});                            // the highest option number
  const std::vector<uint8_t> bytes = encode_datagram(d);
  EXPECT_EQ(udp_decoded(bytes, bytes.size()), d);
}

TEST(UdpMessage, EncodesOptionsAppendedOutOfOrderSorted) {
  Datagram d{MessageType::Confirmable, 1, {}};
  d.message.code = Code::Get;
  d.message.options = {Option{option::kUriQuery, udp_text("q")}, Option{option::kUriPath, {}}};
  Datagram sorted = d;
  sorted.message.options = {d.message.options[1], d.message.options[0]};
  EXPECT_EQ(encode_datagram(d), encode_datagram(sorted));
  EXPECT_EQ(datagram_size(d), encode_datagram(sorted).size());
}

TEST(UdpMessage, AcceptsADatagramOfExactlyTheLimit) {
  Datagram d{MessageType::Confirmable, 1, {}};
  d.message.code = Code::Post;
  d.message.payload.assign(kUdpTestLimit - kDatagramHeaderSize - 1, 'x');
  const std::vector<uint8_t> bytes = encode_datagram(d);
  ASSERT_EQ(bytes.size(), kUdpTestLimit);
  EXPECT_EQ(udp_decoded(bytes), d);
}

// The body after the header is what the TCP framing parses too: the same bytes, the same result.
TEST(UdpMessage, SharesTheOptionParserWithTheTcpFraming) {
  Message m;
  m.code = Code::Post;
  m.token = {1, 2, 3, 4};
  m.set_uri_path("/oic/sec/doxm");
  m.add_uint_option(option::kOcfContentFormatVersion, 2048);
  m.payload = udp_text("body");
  const std::vector<uint8_t> udp = encode_datagram(Datagram{MessageType::Confirmable, 9, m});
  const std::vector<uint8_t> tcp = encode_frame(m);
  const size_t udp_header = kDatagramHeaderSize + m.token.size();
  const size_t tcp_header = tcp.size() - (udp.size() - udp_header);
  EXPECT_TRUE(std::equal(udp.begin() + udp_header, udp.end(), tcp.begin() + tcp_header));

  // The same malformed body refused by both, each in its own terms.
  const std::vector<std::pair<std::vector<uint8_t>, DatagramFault>> bodies = {
      {{0xf0}, DatagramFault::BadOptionEncoding},
      {{0xff}, DatagramFault::EmptyPayloadMarker},
      {{0x03, 'a'}, DatagramFault::TruncatedOption},
  };
  for (const auto& [body, fault] : bodies) {
    std::vector<uint8_t> datagram = {0x40, 0x01, 0x00, 0x01};
    datagram.insert(datagram.end(), body.begin(), body.end());
    EXPECT_EQ(udp_refused(datagram).fault, fault);
    std::vector<uint8_t> frame = {static_cast<uint8_t>(body.size() << 4), 0x01};
    frame.insert(frame.end(), body.begin(), body.end());
    EXPECT_TRUE(std::holds_alternative<DecodeError>(decode_frame(frame, 1024)));
  }
}

}  // namespace
}  // namespace dps::coap
