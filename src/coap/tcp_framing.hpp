// CoAP over TCP/TLS framing (RFC 8323 §3.2): the byte-level codec between a TLS stream and Message.
// Pure byte handling: no I/O, no exceptions, no allocation before the announced size is accepted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "coap/message.hpp"
#include "coap/option_codec.hpp"  // kMaxTokenLength, kPayloadMarker and the option caps

namespace dps::coap {

// RFC 8323 §3.2: a Len nibble of 13/14/15 announces 1/2/4 extended length bytes holding the
// length minus these offsets (so every length has exactly one encoding).
constexpr size_t kLenExt8Offset = 13;
constexpr size_t kLenExt16Offset = 269;
constexpr size_t kLenExt32Offset = 65805;

enum class DecodeError {
  MessageTooLarge,          // the announced frame length exceeds max_message_size
  BadTokenLength,           // TKL nibble 9..15 (RFC 7252 §3)
  BadOptionEncoding,        // reserved nibble 15 (RFC 7252 §3.1) or option number above 65535
  EmptyPayloadAfterMarker,  // 0xFF followed by nothing (RFC 7252 §3)
  TruncatedFrame,           // an option's extended fields or value run past the announced length
  TooManyOptions,           // more than kMaxOptionsPerMessage options
  OptionTooLong,            // an option value longer than kMaxOptionLength bytes
};

/// Short English text for logs and Abort diagnostics ("message too large").
std::string_view to_string(DecodeError error);

/// The buffer holds only part of a frame. `at_least` is the total number of bytes (counted from
/// the start of the buffer) that must be available before decode_frame() can make progress; it
/// is always greater than the current buffer size.
struct NeedMore {
  size_t at_least;
};

/// One decoded message and the number of bytes of the buffer it took.
struct Frame {
  Message message;
  size_t consumed;
};

using DecodeResult = std::variant<NeedMore, Frame, DecodeError>;

/// Decodes the first frame in `buffer`.
///
/// The announced frame length (header + token + options + payload) is checked against
/// `max_message_size` as soon as the length field is complete, before waiting for or copying the
/// body: a 4-byte length field announcing 4 GiB is rejected with only 5 bytes buffered.
/// Any code byte is accepted (unknown methods are the router's business). Option numbers and
/// values are kept as on the wire, so encode_frame(decoded) reproduces the frame byte for byte.
/// Decoding stops at the first option beyond kMaxOptionsPerMessage or longer than
/// kMaxOptionLength, before storing it: the memory a frame costs is its own bytes plus at most
/// kMaxOptionsPerMessage option headers.
///
/// @param buffer            received bytes; may hold less or more than one frame.
/// @param max_message_size  largest whole frame accepted, in bytes.
/// @return NeedMore, a Frame, or the DecodeError that makes the stream unusable (after an error
///         the connection cannot be resynchronised: answer with Abort and close).
[[nodiscard]] DecodeResult decode_frame(std::span<const uint8_t> buffer, size_t max_message_size);

/// Appends the RFC 8323 encoding of `m` to `out`. Options are encoded in ascending number order
/// (Message keeps them sorted; an unsorted list is sorted stably on a copy first).
/// @pre m.token.size() <= 8 and every option value is at most 65804 bytes.
void encode_frame(const Message& m, std::vector<uint8_t>& out);
[[nodiscard]] std::vector<uint8_t> encode_frame(const Message& m);

/// Size in bytes of encode_frame(m), computed without encoding (for Max-Message-Size checks and
/// the device minimum size).
[[nodiscard]] size_t encoded_size(const Message& m);

}  // namespace dps::coap
