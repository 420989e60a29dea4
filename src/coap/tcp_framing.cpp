#include "coap/tcp_framing.hpp"

#include <algorithm>
#include <cassert>
#include <optional>

namespace dps::coap {
namespace {

// to_string(DecodeError) names the caps in its text.
static_assert(kMaxOptionsPerMessage == 64 && kMaxOptionLength == 1034,
              "update to_string(DecodeError) with the caps");

// RFC 8323 §3.2: Len nibble values that announce 1, 2 or 4 extended length bytes.
constexpr uint8_t kLenNibbleExt8 = 13;
constexpr uint8_t kLenNibbleExt16 = 14;
constexpr uint8_t kLenNibbleExt32 = 15;
// RFC 7252 §3.1: option delta/length nibbles 13 and 14 announce 1 or 2 extended bytes holding
// the value minus 13 or 269; 15 is reserved (it only appears inside the 0xFF payload marker).
constexpr uint8_t kOptNibbleExt8 = 13;
constexpr uint8_t kOptNibbleExt16 = 14;
constexpr uint8_t kOptNibbleReserved = 15;
constexpr uint32_t kOptExt8Offset = 13;
constexpr uint32_t kOptExt16Offset = 269;
constexpr size_t kMaxOptionField = kOptExt16Offset + 0xffff;  // 65804
constexpr uint32_t kMaxOptionNumber = 0xffff;

bool is_sorted_by_number(const Message& m) {
  return std::is_sorted(m.options.begin(), m.options.end(),
                        [](const Option& a, const Option& b) { return a.number < b.number; });
}

// Encoding expects sorted options; Message keeps them sorted, but a caller may have filled
// `options` directly. Sorting a copy keeps encode_frame() total instead of emitting a negative
// delta (stable, so repeated options keep their order).
Message sorted_copy(const Message& m) {
  Message copy = m;
  std::stable_sort(copy.options.begin(), copy.options.end(),
                   [](const Option& a, const Option& b) { return a.number < b.number; });
  return copy;
}

size_t option_field_ext_bytes(size_t value) {
  return value < kOptExt8Offset ? 0 : value < kOptExt16Offset ? 1 : 2;
}

uint8_t option_field_nibble(size_t value) {
  return value < kOptExt8Offset    ? static_cast<uint8_t>(value)
         : value < kOptExt16Offset ? kOptNibbleExt8
                                   : kOptNibbleExt16;
}

size_t length_ext_bytes(size_t body) {
  return body < kLenExt8Offset ? 0 : body < kLenExt16Offset ? 1 : body < kLenExt32Offset ? 2 : 4;
}

void put_big_endian(std::vector<uint8_t>& out, uint64_t value, size_t bytes) {
  for (size_t i = bytes; i > 0; --i) {
    out.push_back(static_cast<uint8_t>(value >> (8 * (i - 1))));
  }
}

uint64_t read_big_endian(std::span<const uint8_t> bytes) {
  uint64_t value = 0;
  for (const uint8_t byte : bytes) {
    value = (value << 8) | byte;
  }
  return value;
}

void put_option_field_ext(std::vector<uint8_t>& out, size_t value) {
  if (value >= kOptExt16Offset) {
    put_big_endian(out, value - kOptExt16Offset, 2);
  } else if (value >= kOptExt8Offset) {
    out.push_back(static_cast<uint8_t>(value - kOptExt8Offset));
  }
}

// Options + payload marker + payload: what the Len field counts. Requires sorted options.
size_t body_size(const Message& m) {
  size_t size = 0;
  uint16_t previous = 0;
  for (const Option& o : m.options) {
    const size_t delta = o.number - previous;
    size +=
        1 + option_field_ext_bytes(delta) + option_field_ext_bytes(o.value.size()) + o.value.size();
    previous = o.number;
  }
  return m.payload.empty() ? size : size + 1 + m.payload.size();
}

// Reads one option delta or length given its nibble; advances `pos` over extended bytes.
std::optional<DecodeError> read_option_field(uint8_t nibble, std::span<const uint8_t> body,
                                             size_t& pos, uint32_t& value) {
  if (nibble == kOptNibbleReserved) {
    return DecodeError::BadOptionEncoding;
  }
  const size_t ext = nibble == kOptNibbleExt8 ? 1 : nibble == kOptNibbleExt16 ? 2 : 0;
  if (body.size() - pos < ext) {
    return DecodeError::TruncatedFrame;
  }
  const auto extended = static_cast<uint32_t>(read_big_endian(body.subspan(pos, ext)));
  pos += ext;
  value = ext == 0 ? nibble : ext == 1 ? kOptExt8Offset + extended : kOptExt16Offset + extended;
  return std::nullopt;
}

// RFC 7252 §3.1: options in delta encoding, then optionally 0xFF and a non-empty payload.
std::optional<DecodeError> parse_body(std::span<const uint8_t> body, Message& m) {
  size_t pos = 0;
  uint32_t number = 0;
  while (pos < body.size()) {
    const uint8_t header = body[pos++];
    if (header == kPayloadMarker) {
      if (pos == body.size()) {
        return DecodeError::EmptyPayloadAfterMarker;
      }
      m.payload.assign(body.begin() + static_cast<std::ptrdiff_t>(pos), body.end());
      return std::nullopt;
    }
    uint32_t delta = 0;
    uint32_t length = 0;
    if (auto e = read_option_field(static_cast<uint8_t>(header >> 4), body, pos, delta)) {
      return e;
    }
    if (auto e = read_option_field(static_cast<uint8_t>(header & 0x0f), body, pos, length)) {
      return e;
    }
    number += delta;
    if (number > kMaxOptionNumber) {
      return DecodeError::BadOptionEncoding;
    }
    // Both caps before the value is copied or the vector grows (see kMaxOptionsPerMessage).
    if (m.options.size() == kMaxOptionsPerMessage) {
      return DecodeError::TooManyOptions;
    }
    if (length > kMaxOptionLength) {
      return DecodeError::OptionTooLong;
    }
    if (body.size() - pos < length) {
      return DecodeError::TruncatedFrame;
    }
    const auto value = body.subspan(pos, length);
    m.options.push_back(Option{static_cast<uint16_t>(number), {value.begin(), value.end()}});
    pos += length;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(DecodeError error) {
  switch (error) {
    case DecodeError::MessageTooLarge:
      return "message too large";
    case DecodeError::BadTokenLength:
      return "bad token length";
    case DecodeError::BadOptionEncoding:
      return "bad option encoding";
    case DecodeError::EmptyPayloadAfterMarker:
      return "empty payload after payload marker";
    case DecodeError::TruncatedFrame:
      return "option runs past the end of the frame";
    case DecodeError::TooManyOptions:
      return "more than 64 options in one message";
    case DecodeError::OptionTooLong:
      return "option value longer than 1034 bytes";
  }
  return "unknown decode error";
}

DecodeResult decode_frame(std::span<const uint8_t> buffer, size_t max_message_size) {
  if (buffer.empty()) {
    return NeedMore{1};
  }
  const auto len_nibble = static_cast<uint8_t>(buffer[0] >> 4);
  const size_t token_length = buffer[0] & 0x0f;
  if (token_length > kMaxTokenLength) {
    return DecodeError::BadTokenLength;
  }
  const size_t ext = len_nibble == kLenNibbleExt8    ? 1
                     : len_nibble == kLenNibbleExt16 ? 2
                     : len_nibble == kLenNibbleExt32 ? 4
                                                     : 0;
  const size_t length_field_end = 1 + ext;
  if (buffer.size() < length_field_end) {
    return NeedMore{length_field_end};
  }
  const uint64_t extended = read_big_endian(buffer.subspan(1, ext));
  const uint64_t body = ext == 0   ? len_nibble
                        : ext == 1 ? kLenExt8Offset + extended
                        : ext == 2 ? kLenExt16Offset + extended
                                   : kLenExt32Offset + extended;
  // 64-bit arithmetic: the largest announcement (2^32 - 1 + 65805 + 10) cannot overflow, and the
  // limit is enforced here, before anything is allocated or waited for.
  const uint64_t frame_size = length_field_end + 1 + token_length + body;
  if (frame_size > max_message_size) {
    return DecodeError::MessageTooLarge;
  }
  if (buffer.size() < frame_size) {
    return NeedMore{static_cast<size_t>(frame_size)};
  }
  Frame frame{Message{}, static_cast<size_t>(frame_size)};
  frame.message.code = static_cast<Code>(buffer[length_field_end]);
  const auto token = buffer.subspan(length_field_end + 1, token_length);
  frame.message.token.assign(token.begin(), token.end());
  const auto body_bytes = buffer.subspan(length_field_end + 1 + token_length, body);
  if (auto e = parse_body(body_bytes, frame.message)) {
    return *e;
  }
  return frame;
}

void encode_frame(const Message& m, std::vector<uint8_t>& out) {
  if (!is_sorted_by_number(m)) {
    encode_frame(sorted_copy(m), out);
    return;
  }
  assert(m.token.size() <= kMaxTokenLength);
  const size_t body = body_size(m);
  const auto tkl = static_cast<uint8_t>(m.token.size());
  if (body < kLenExt8Offset) {
    out.push_back(static_cast<uint8_t>(body << 4 | tkl));
  } else if (body < kLenExt16Offset) {
    out.push_back(static_cast<uint8_t>(kLenNibbleExt8 << 4 | tkl));
    put_big_endian(out, body - kLenExt8Offset, 1);
  } else if (body < kLenExt32Offset) {
    out.push_back(static_cast<uint8_t>(kLenNibbleExt16 << 4 | tkl));
    put_big_endian(out, body - kLenExt16Offset, 2);
  } else {
    assert(body - kLenExt32Offset <= 0xffffffff);
    out.push_back(static_cast<uint8_t>(kLenNibbleExt32 << 4 | tkl));
    put_big_endian(out, body - kLenExt32Offset, 4);
  }
  out.push_back(static_cast<uint8_t>(m.code));
  out.insert(out.end(), m.token.begin(), m.token.end());
  uint16_t previous = 0;
  for (const Option& o : m.options) {
    assert(o.value.size() <= kMaxOptionField);
    const size_t delta = o.number - previous;
    out.push_back(static_cast<uint8_t>(option_field_nibble(delta) << 4 |
                                       option_field_nibble(o.value.size())));
    put_option_field_ext(out, delta);
    put_option_field_ext(out, o.value.size());
    out.insert(out.end(), o.value.begin(), o.value.end());
    previous = o.number;
  }
  if (!m.payload.empty()) {
    out.push_back(kPayloadMarker);
    out.insert(out.end(), m.payload.begin(), m.payload.end());
  }
}

std::vector<uint8_t> encode_frame(const Message& m) {
  std::vector<uint8_t> out;
  out.reserve(encoded_size(m));
  encode_frame(m, out);
  return out;
}

size_t encoded_size(const Message& m) {
  if (!is_sorted_by_number(m)) {
    return encoded_size(sorted_copy(m));
  }
  const size_t body = body_size(m);
  return 1 + length_ext_bytes(body) + 1 + m.token.size() + body;
}

}  // namespace dps::coap
