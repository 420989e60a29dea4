#include "common/untrusted_text.hpp"

namespace dps {

std::string quote_untrusted(std::string_view text, size_t max_chars) {
  const std::string_view shown = text.substr(0, max_chars);
  std::string out;
  out.reserve(shown.size() + 5);
  out += '"';
  for (char c : shown) {
    const auto byte = static_cast<unsigned char>(c);
    // Explicit range, not std::isprint: the result must not depend on the process's locale.
    out += byte >= 0x20 && byte < 0x7f && c != '"' ? c : '?';
  }
  if (text.size() > max_chars) out += "...";
  out += '"';
  return out;
}

}  // namespace dps
