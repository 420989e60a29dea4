#include "json_stream.hpp"

namespace dps::dpsctl {

std::vector<std::string_view> split_json_stream(std::string_view body) {
  std::vector<std::string_view> pieces;
  size_t start = std::string_view::npos;
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (start == std::string_view::npos) {
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
      start = i;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    }
    if (depth <= 0 && (c == '}' || c == ']')) {
      pieces.push_back(body.substr(start, i + 1 - start));
      start = std::string_view::npos;
      depth = 0;
    }
  }
  if (start != std::string_view::npos) pieces.push_back(body.substr(start));
  return pieces;
}

}  // namespace dps::dpsctl
