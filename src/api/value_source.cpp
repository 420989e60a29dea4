#include "api/value_source.hpp"

#include <array>
#include <cctype>

#include "common/data_uri.hpp"

namespace dps::api {
namespace {

constexpr std::string_view kNoFiles = "file paths are not accepted over the API";

bool is_pem(std::string_view text) {
  const size_t start = text.find_first_not_of(" \t\r\n");
  return start != std::string_view::npos && text.substr(start).starts_with("-----BEGIN ");
}

bool looks_like_path(std::string_view text) {
  static constexpr std::array<std::string_view, 4> kPrefixes{"/", "./", "../", "~/"};
  for (auto prefix : kPrefixes) {
    if (text.starts_with(prefix)) return true;
  }
  if (text.size() < 5) return false;
  std::string head(text.substr(0, 5));
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return head == "file:";
}

}  // namespace

Result<std::string> read_value(std::string_view text, ValueKind kind) {
  if (text.empty()) return std::string{};
  if (is_data_uri(text)) return decode_data_uri(text);
  if (kind == ValueKind::Pem) {
    if (is_pem(text)) return std::string(text);
    return fail(ErrorCode::BadRequest,
                "expected PEM text or a data: URI; " + std::string(kNoFiles));
  }
  if (looks_like_path(text)) {
    return fail(ErrorCode::BadRequest,
                std::string(kNoFiles) + " (give the value inline or as a data: URI)");
  }
  return std::string(text);
}

std::string render_value(std::string_view bytes, ValueKind kind) {
  if (bytes.empty()) return {};
  const bool reads_back = kind == ValueKind::Pem ? is_pem(bytes) : !looks_like_path(bytes);
  return reads_back ? text_or_data_uri(bytes) : encode_data_uri(bytes);
}

}  // namespace dps::api
