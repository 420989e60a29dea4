#include "coap/tcp_framing.hpp"

#include <cassert>

namespace dps::coap {
namespace {

using option_codec::append_big_endian;
using option_codec::read_big_endian;

// to_string(DecodeError) names the caps in its text.
static_assert(kMaxOptionsPerMessage == 64 && kMaxOptionLength == 1034,
              "update to_string(DecodeError) with the caps");

// RFC 8323 §3.2: Len nibble values that announce 1, 2 or 4 extended length bytes.
constexpr uint8_t kLenNibbleExt8 = 13;
constexpr uint8_t kLenNibbleExt16 = 14;
constexpr uint8_t kLenNibbleExt32 = 15;

size_t length_ext_bytes(size_t body) {
  return body < kLenExt8Offset ? 0 : body < kLenExt16Offset ? 1 : body < kLenExt32Offset ? 2 : 4;
}

// The shared body parser reports in its own terms; TCP's names predate it and stay as they are.
DecodeError frame_error(option_codec::BodyError error) {
  switch (error) {
    case option_codec::BodyError::BadOptionEncoding:
      return DecodeError::BadOptionEncoding;
    case option_codec::BodyError::EmptyPayloadAfterMarker:
      return DecodeError::EmptyPayloadAfterMarker;
    case option_codec::BodyError::Truncated:
      return DecodeError::TruncatedFrame;
    case option_codec::BodyError::TooManyOptions:
      return DecodeError::TooManyOptions;
    case option_codec::BodyError::OptionTooLong:
      return DecodeError::OptionTooLong;
  }
  return DecodeError::BadOptionEncoding;
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
  if (auto e = option_codec::decode_body(body_bytes, frame.message)) {
    return frame_error(*e);
  }
  return frame;
}

void encode_frame(const Message& m, std::vector<uint8_t>& out) {
  if (!option_codec::options_sorted(m)) {
    encode_frame(option_codec::with_sorted_options(m), out);
    return;
  }
  assert(m.token.size() <= kMaxTokenLength);
  const size_t body = option_codec::body_size(m);
  const auto tkl = static_cast<uint8_t>(m.token.size());
  if (body < kLenExt8Offset) {
    out.push_back(static_cast<uint8_t>(body << 4 | tkl));
  } else if (body < kLenExt16Offset) {
    out.push_back(static_cast<uint8_t>(kLenNibbleExt8 << 4 | tkl));
    append_big_endian(out, body - kLenExt8Offset, 1);
  } else if (body < kLenExt32Offset) {
    out.push_back(static_cast<uint8_t>(kLenNibbleExt16 << 4 | tkl));
    append_big_endian(out, body - kLenExt16Offset, 2);
  } else {
    assert(body - kLenExt32Offset <= 0xffffffff);
    out.push_back(static_cast<uint8_t>(kLenNibbleExt32 << 4 | tkl));
    append_big_endian(out, body - kLenExt32Offset, 4);
  }
  out.push_back(static_cast<uint8_t>(m.code));
  out.insert(out.end(), m.token.begin(), m.token.end());
  option_codec::append_body(m, out);
}

std::vector<uint8_t> encode_frame(const Message& m) {
  std::vector<uint8_t> out;
  out.reserve(encoded_size(m));
  encode_frame(m, out);
  return out;
}

size_t encoded_size(const Message& m) {
  if (!option_codec::options_sorted(m)) {
    return encoded_size(option_codec::with_sorted_options(m));
  }
  const size_t body = option_codec::body_size(m);
  return 1 + length_ext_bytes(body) + 1 + m.token.size() + body;
}

}  // namespace dps::coap
