// CoAP over UDP/DTLS message format (RFC 7252 §3): the byte-level codec between one datagram and a
// Datagram (message type, Message ID, Message), and what RFC 7252 §4 says a receiver does with a
// datagram it cannot use. Pure byte handling: no I/O, no exceptions; decoding allocates only the
// token, options and payload of a datagram already received, within the caps of option_codec.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "coap/message.hpp"
#include "coap/option_codec.hpp"

namespace dps::coap {

/// RFC 7252 §3: the only version defined.
constexpr uint8_t kCoapVersion = 1;
/// Ver/T/TKL, Code and Message ID: the bytes every datagram starts with.
constexpr size_t kDatagramHeaderSize = 4;

/// RFC 7252 §4.2-4.3. The values are the T field of the header.
enum class MessageType : uint8_t {
  Confirmable = 0,      // CON: the receiver acknowledges it (ACK) or rejects it (RST)
  NonConfirmable = 1,   // NON: no acknowledgement
  Acknowledgement = 2,  // ACK: answers a CON, possibly carrying the response (piggybacked)
  Reset = 3,            // RST: "I cannot process your message", or the answer to a CoAP ping
};

/// "CON", "NON", "ACK", "RST" (RFC 7252's own abbreviations) for logs.
std::string_view to_string(MessageType type);

/// One CoAP-over-UDP message. The Message ID matches an ACK or RST to its CON and detects
/// duplicates (RFC 7252 §4.4-4.5); the token in `message` matches a response to its request.
struct Datagram {
  MessageType type = MessageType::Confirmable;
  uint16_t message_id = 0;
  Message message;

  bool operator==(const Datagram&) const = default;
};

/// What made a datagram unusable.
enum class DatagramFault {
  TooShort,            // fewer than the 4 header bytes
  UnknownVersion,      // Ver is not 1 (RFC 7252 §3: "MUST be silently ignored")
  MessageTooLarge,     // the datagram exceeds max_message_size
  BadTokenLength,      // TKL 9..15 (RFC 7252 §3: a message format error)
  TruncatedToken,      // the datagram ends inside the token
  NonEmptyEmpty,       // code 0.00 with a token, options or payload (RFC 7252 §3, §4.1)
  BadOptionEncoding,   // reserved nibble 15 (RFC 7252 §3.1) or option number above 65535
  EmptyPayloadMarker,  // 0xFF followed by nothing (RFC 7252 §3)
  TruncatedOption,     // an option's extended fields or value run past the datagram's end
  TooManyOptions,      // more than kMaxOptionsPerMessage options
  OptionTooLong,       // an option value longer than kMaxOptionLength bytes
};

/// Short English text for logs and counters ("bad token length").
std::string_view to_string(DatagramFault fault);

/// The fixed header of a version-1 datagram: what a Reset must echo.
struct DatagramHeader {
  MessageType type = MessageType::Confirmable;
  uint16_t message_id = 0;

  bool operator==(const DatagramHeader&) const = default;
};

struct DatagramError {
  DatagramFault fault = DatagramFault::TooShort;
  /// Present for every fault but TooShort and UnknownVersion: the header was readable, so a
  /// Confirmable message can be rejected with a Reset carrying its Message ID (disposition()).
  std::optional<DatagramHeader> header;

  bool operator==(const DatagramError&) const = default;
};

using DatagramResult = std::variant<Datagram, DatagramError>;

/// Decodes one datagram (a UDP payload or a DTLS record's plaintext: always exactly one message).
///
/// Checks in this order, so the cheapest refusals cost the least: length of the header, version,
/// size against `max_message_size` (before any option is read), token length, an Empty message
/// (0.00) that carries more than its header, then the options and payload (option_codec.hpp caps).
/// Any other code byte is accepted: a request with an unknown method is the router's business,
/// a reserved class is disposition()'s.
///
/// @param bytes             the datagram.
/// @param max_message_size  largest datagram accepted, in bytes (RFC 7252 §4.6 suggests 1152).
/// @return the Datagram, or the DatagramError; encode_datagram() of a decoded Datagram reproduces
///         `bytes` exactly (every option field has one encoding).
[[nodiscard]] DatagramResult decode_datagram(std::span<const uint8_t> bytes,
                                             size_t max_message_size);

/// Appends the RFC 7252 encoding of `d` to `out`. Options are encoded in ascending number order
/// (Message keeps them sorted; an unsorted list is sorted stably on a copy first).
/// @pre d.message.token.size() <= 8; every option value is at most 65804 bytes; an Empty message
///      (0.00) has no token, options or payload (make_ack() and make_reset() build them).
void encode_datagram(const Datagram& d, std::vector<uint8_t>& out);
[[nodiscard]] std::vector<uint8_t> encode_datagram(const Datagram& d);

/// Size in bytes of encode_datagram(d), computed without encoding (to check a response against
/// the datagram budget before choosing block-wise transfer).
[[nodiscard]] size_t datagram_size(const Datagram& d);

/// What a receiver does with a datagram (RFC 7252 §4.2-4.3).
enum class Disposition {
  Process,  // hand it on: a request, a response, or an ACK/RST to match to what we sent
  Reset,    // send make_reset(message_id) and otherwise ignore it
  Ignore,   // drop it silently
};

/// For a datagram that decoded: a CON that is Empty (a CoAP ping, RFC 7252 §4.3) or uses a reserved
/// code class (1, 6 or 7; 7.xx signals exist only on reliable transports, RFC 8323 §5) is rejected
/// with a Reset. A NON that is Empty or of a reserved class is ignored (RFC 7252 §4.3 allows a
/// Reset too; silence costs less and echoes nothing to a possibly spoofed source). An ACK carrying
/// a request or a reserved class, and a Reset that is not Empty, are ignored (§4.2). Everything
/// else is processed.
[[nodiscard]] Disposition disposition(const Datagram& d);

/// For a datagram that did not decode: a Confirmable message whose header was readable is rejected
/// with a Reset (RFC 7252 §4.2: a CON with a message format error, or one the receiver lacks the
/// context to process, e.g. over the size limit or the option caps). Everything else is ignored:
/// without a readable header there is no Message ID to echo, an unknown version MUST be silently
/// ignored (§3), a NON may be (§4.3), and an ACK or RST must be (§4.2).
[[nodiscard]] Disposition disposition(const DatagramError& error);

/// Empty ACK (RFC 7252 §4.2): acknowledges a CON whose response comes later (separate response).
[[nodiscard]] Datagram make_ack(uint16_t message_id);

/// Empty RST (RFC 7252 §4.2-4.3): rejects a message, answers a CoAP ping.
[[nodiscard]] Datagram make_reset(uint16_t message_id);

/// Piggybacked response (RFC 7252 §5.2.1): an ACK with the request's Message ID carrying
/// `response` with the request's token.
[[nodiscard]] Datagram piggybacked(const Datagram& request, Message response);

/// The response datagram for `request`: piggybacked on the ACK for a CON; for a NON, a NON of its
/// own with `fresh_message_id` (RFC 7252 §5.2.3). Either way with the request's token.
[[nodiscard]] Datagram reply_to(const Datagram& request, Message response,
                                uint16_t fresh_message_id);

}  // namespace dps::coap
