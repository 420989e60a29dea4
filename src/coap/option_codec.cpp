#include "coap/option_codec.hpp"

#include <algorithm>
#include <cassert>

namespace dps::coap::option_codec {
namespace {

// RFC 7252 §3.1: option delta/length nibbles 13 and 14 announce 1 or 2 extended bytes holding
// the value minus 13 or 269; 15 is reserved (it only appears inside the 0xFF payload marker).
constexpr uint8_t kOptNibbleExt8 = 13;
constexpr uint8_t kOptNibbleExt16 = 14;
constexpr uint8_t kOptNibbleReserved = 15;
constexpr uint32_t kOptExt8Offset = 13;
constexpr uint32_t kOptExt16Offset = 269;
constexpr uint32_t kMaxOptionNumber = 0xffff;
static_assert(kMaxEncodableOptionLength == kOptExt16Offset + 0xffff);

size_t option_field_ext_bytes(size_t value) {
  return value < kOptExt8Offset ? 0 : value < kOptExt16Offset ? 1 : 2;
}

uint8_t option_field_nibble(size_t value) {
  return value < kOptExt8Offset    ? static_cast<uint8_t>(value)
         : value < kOptExt16Offset ? kOptNibbleExt8
                                   : kOptNibbleExt16;
}

void append_option_field_ext(std::vector<uint8_t>& out, size_t value) {
  if (value >= kOptExt16Offset) {
    append_big_endian(out, value - kOptExt16Offset, 2);
  } else if (value >= kOptExt8Offset) {
    out.push_back(static_cast<uint8_t>(value - kOptExt8Offset));
  }
}

// Reads one option delta or length given its nibble; advances `pos` over extended bytes.
std::optional<BodyError> read_option_field(uint8_t nibble, std::span<const uint8_t> body,
                                           size_t& pos, uint32_t& value) {
  if (nibble == kOptNibbleReserved) {
    return BodyError::BadOptionEncoding;
  }
  const size_t ext = nibble == kOptNibbleExt8 ? 1 : nibble == kOptNibbleExt16 ? 2 : 0;
  if (body.size() - pos < ext) {
    return BodyError::Truncated;
  }
  const auto extended = static_cast<uint32_t>(read_big_endian(body.subspan(pos, ext)));
  pos += ext;
  value = ext == 0 ? nibble : ext == 1 ? kOptExt8Offset + extended : kOptExt16Offset + extended;
  return std::nullopt;
}

}  // namespace

std::optional<BodyError> decode_body(std::span<const uint8_t> body, Message& m) {
  size_t pos = 0;
  uint32_t number = 0;
  while (pos < body.size()) {
    const uint8_t header = body[pos++];
    if (header == kPayloadMarker) {
      if (pos == body.size()) {
        return BodyError::EmptyPayloadAfterMarker;
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
      return BodyError::BadOptionEncoding;
    }
    // Both caps before the value is copied or the vector grows (see kMaxOptionsPerMessage).
    if (m.options.size() == kMaxOptionsPerMessage) {
      return BodyError::TooManyOptions;
    }
    if (length > kMaxOptionLength) {
      return BodyError::OptionTooLong;
    }
    if (body.size() - pos < length) {
      return BodyError::Truncated;
    }
    const auto value = body.subspan(pos, length);
    m.options.push_back(Option{static_cast<uint16_t>(number), {value.begin(), value.end()}});
    pos += length;
  }
  return std::nullopt;
}

bool options_sorted(const Message& m) {
  return std::is_sorted(m.options.begin(), m.options.end(),
                        [](const Option& a, const Option& b) { return a.number < b.number; });
}

Message with_sorted_options(const Message& m) {
  Message copy = m;
  std::stable_sort(copy.options.begin(), copy.options.end(),
                   [](const Option& a, const Option& b) { return a.number < b.number; });
  return copy;
}

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

void append_body(const Message& m, std::vector<uint8_t>& out) {
  uint16_t previous = 0;
  for (const Option& o : m.options) {
    assert(o.value.size() <= kMaxEncodableOptionLength);
    const size_t delta = o.number - previous;
    out.push_back(static_cast<uint8_t>(option_field_nibble(delta) << 4 |
                                       option_field_nibble(o.value.size())));
    append_option_field_ext(out, delta);
    append_option_field_ext(out, o.value.size());
    out.insert(out.end(), o.value.begin(), o.value.end());
    previous = o.number;
  }
  if (!m.payload.empty()) {
    out.push_back(kPayloadMarker);
    out.insert(out.end(), m.payload.begin(), m.payload.end());
  }
}

uint64_t read_big_endian(std::span<const uint8_t> bytes) {
  uint64_t value = 0;
  for (const uint8_t byte : bytes) {
    value = (value << 8) | byte;
  }
  return value;
}

void append_big_endian(std::vector<uint8_t>& out, uint64_t value, size_t bytes) {
  for (size_t i = bytes; i > 0; --i) {
    out.push_back(static_cast<uint8_t>(value >> (8 * (i - 1))));
  }
}

}  // namespace dps::coap::option_codec
