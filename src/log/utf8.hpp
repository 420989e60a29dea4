// UTF-8 validation shared by the log escapers (json_formatter.cpp, quoted.cpp). Internal to
// src/log.
#pragma once

#include <cstddef>
#include <string_view>

namespace dps::log::detail {

/// Length of the well-formed UTF-8 sequence starting at `i` (RFC 3629 §4: no overlong forms, no
/// surrogates, nothing above U+10FFFF), or 0 when the bytes there are not one.
inline size_t utf8_sequence_length(std::string_view s, size_t i) {
  const auto at = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = at(i);
  size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // UTF-16 surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + length > s.size() || at(i + 1) < low || at(i + 1) > high) return 0;
  for (size_t k = 2; k < length; ++k) {
    if ((at(i + k) & 0xC0) != 0x80) return 0;
  }
  return length;
}

/// The code point of the well-formed sequence of `length` bytes at `i`.
inline char32_t utf8_code_point(std::string_view s, size_t i, size_t length) {
  const auto at = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  static constexpr unsigned char kLeadMask[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
  char32_t cp = at(i) & kLeadMask[length];
  for (size_t k = 1; k < length; ++k) cp = (cp << 6) | (at(i + k) & 0x3f);
  return cp;
}

}  // namespace dps::log::detail
