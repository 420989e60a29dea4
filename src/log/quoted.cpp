#include "log/quoted.hpp"

#include <algorithm>

#include "log/utf8.hpp"

namespace dps::log {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";
constexpr std::string_view kCut = "...";

// Code points that are valid, printable-looking UTF-8 yet move or hide text on a terminal or in
// a log viewer: C1 controls (U+0085 is a line break to some viewers), the Unicode line and
// paragraph separators, bidi marks/embeddings/overrides/isolates ("Trojan Source",
// CVE-2021-42574) and the byte order mark.
bool must_escape(char32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 || cp == 0x200e ||
         cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
         cp == 0xfeff;
}

void append_byte_escape(std::string& out, unsigned char byte) {
  out += "\\x";
  out += kHex[byte >> 4];
  out += kHex[byte & 0xf];
}

void append_code_point_escape(std::string& out, char32_t cp) {
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(cp >> shift) & 0xf];
}

}  // namespace

std::string quoted(std::string_view text, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 2 + kCut.size());
  out += '"';
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    size_t length = 1;
    if (byte >= 0x80) {
      length = detail::utf8_sequence_length(text, i);
      if (length == 0) length = 1;  // not UTF-8: this one byte is escaped below
    }
    if (i + length > max_bytes) break;  // the cap falls inside or before this character
    if (byte >= 0x20 && byte < 0x7f) {
      if (byte == '"' || byte == '\\') out += '\\';
      out += static_cast<char>(byte);
    } else if (byte == '\n') {
      out += "\\n";
    } else if (byte == '\r') {
      out += "\\r";
    } else if (byte == '\t') {
      out += "\\t";
    } else if (byte < 0x80 || length == 1) {
      append_byte_escape(out, byte);  // other C0 controls, DEL, bytes that are not UTF-8
    } else if (const char32_t cp = detail::utf8_code_point(text, i, length); must_escape(cp)) {
      append_code_point_escape(out, cp);
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  out += '"';
  if (i < text.size()) out += kCut;
  return out;
}

}  // namespace dps::log
