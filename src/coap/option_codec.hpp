// The part of a CoAP message both transports encode alike (RFC 7252 §3.1): options in delta
// encoding, then the payload marker and the payload. RFC 8323 (TCP) and RFC 7252 (UDP) differ only
// in the header before it, so tcp_framing.cpp and udp_message.cpp share this one parser: a fix or a
// limit here applies to both transports. Pure byte handling, no exceptions; the only allocations
// are the decoded options and payload, bounded by the bytes received and the caps below.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "coap/message.hpp"

namespace dps::coap {

/// RFC 7252 §3: TKL values 9-15 are reserved.
constexpr size_t kMaxTokenLength = 8;
/// RFC 7252 §3: ends the options, starts a non-empty payload.
constexpr uint8_t kPayloadMarker = 0xff;
/// Most options one message may carry. Each decoded option costs a fixed ~32 bytes plus its value,
/// and an empty option costs one byte on the wire: without a cap a 256 KiB frame of empty options
/// made the decoder allocate over 8 MiB. The largest OCF/plgd requests carry about ten (Uri-Path
/// segments, Uri-Query, Content-Format, Accept, the OCF version options); 64 leaves room for any
/// real client and bounds the per-option overhead to about 2 KiB per message.
constexpr size_t kMaxOptionsPerMessage = 64;
/// Longest option value accepted: RFC 7252 §5.10 defines none longer than Proxy-Uri's 1034 bytes.
/// With kMaxOptionsPerMessage this also bounds all option bytes of a message to about 66 KiB, so
/// no separate total cap is needed (the message size limit bounds them as well).
constexpr size_t kMaxOptionLength = 1034;

/// Shared by the two transport codecs; callers outside src/coap use decode_frame() or
/// decode_datagram() instead.
namespace option_codec {

/// Why an options+payload body was refused. Each transport maps these to its own error type.
enum class BodyError {
  BadOptionEncoding,        // reserved nibble 15 (RFC 7252 §3.1) or option number above 65535
  EmptyPayloadAfterMarker,  // 0xFF followed by nothing (RFC 7252 §3)
  Truncated,                // an option's extended fields or value run past the body's end
  TooManyOptions,           // more than kMaxOptionsPerMessage options
  OptionTooLong,            // an option value longer than kMaxOptionLength bytes
};

/// Largest option value the encoding can express: a 2-byte extended length plus 269.
constexpr size_t kMaxEncodableOptionLength = 269 + 0xffff;

/// Decodes `body` (everything after the token) into m.options and m.payload, appending to
/// m.options. Option values are kept as on the wire, so encoding the result reproduces `body`
/// byte for byte. Stops at the first option beyond kMaxOptionsPerMessage or longer than
/// kMaxOptionLength before storing it, so decoding costs at most the body's own bytes plus
/// kMaxOptionsPerMessage option headers.
[[nodiscard]] std::optional<BodyError> decode_body(std::span<const uint8_t> body, Message& m);

/// True when m.options is in ascending number order, the order the delta encoding needs.
[[nodiscard]] bool options_sorted(const Message& m);

/// `m` with its options stably sorted by number (repeated options keep their order). Message keeps
/// options sorted, but a caller may fill `options` directly: encoders sort a copy instead of
/// emitting a negative delta.
[[nodiscard]] Message with_sorted_options(const Message& m);

/// Bytes append_body() writes for `m`. @pre options_sorted(m).
[[nodiscard]] size_t body_size(const Message& m);

/// Appends m's options (delta encoded), then 0xFF and the payload when there is one.
/// @pre options_sorted(m) and every option value is at most kMaxEncodableOptionLength bytes.
void append_body(const Message& m, std::vector<uint8_t>& out);

/// Big-endian helpers for the transports' fixed-width header fields.
[[nodiscard]] uint64_t read_big_endian(std::span<const uint8_t> bytes);
void append_big_endian(std::vector<uint8_t>& out, uint64_t value, size_t bytes);

}  // namespace option_codec
}  // namespace dps::coap
