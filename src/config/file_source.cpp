#include "config/file_source.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>

namespace dps::config {
namespace {

constexpr std::uintmax_t kMaxFileSize = 1 << 20;

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 4648 §4 base64; the URL-safe alphabet (§5) and missing padding are accepted too, as
// operators paste either. Whitespace is skipped (wrapped base64).
Result<std::string> decode_base64(std::string_view text) {
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  bool padding = false;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+' || c == '-')
      v = 62;
    else if (c == '/' || c == '_')
      v = 63;
    else if (c == '=') {
      padding = true;
      continue;
    } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
      continue;
    else
      return fail(ErrorCode::BadRequest, "invalid base64 in data: URI");
    if (padding) return fail(ErrorCode::BadRequest, "invalid base64 in data: URI (data after '=')");
    bits = (bits << 6) | static_cast<uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  if (count >= 6) return fail(ErrorCode::BadRequest, "invalid base64 length in data: URI");
  return out;
}

Result<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    int high = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
    int low = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return fail(ErrorCode::BadRequest, "invalid percent-escape in data: URI");
    }
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

}  // namespace

std::filesystem::path resolve_path(std::string_view value, const std::filesystem::path& base_dir) {
  if (value.starts_with("file://")) value.remove_prefix(7);
  std::filesystem::path path(value);
  return path.is_absolute() ? path.lexically_normal() : (base_dir / path).lexically_normal();
}

Result<std::string> decode_data_uri(std::string_view uri) {
  if (!starts_with_nocase(uri, "data:")) return fail(ErrorCode::BadRequest, "not a data: URI");
  uri.remove_prefix(5);
  size_t comma = uri.find(',');
  if (comma == std::string_view::npos) {
    return fail(ErrorCode::BadRequest, "data: URI without ',' before the data");
  }
  std::string_view meta = uri.substr(0, comma);
  std::string_view data = uri.substr(comma + 1);
  bool base64 = meta.size() >= 7 && starts_with_nocase(meta.substr(meta.size() - 7), ";base64");
  return base64 ? decode_base64(data) : percent_decode(data);
}

Result<std::string> read_small_file(const std::filesystem::path& file) {
  std::error_code ec;
  auto status = std::filesystem::status(file, ec);
  if (!std::filesystem::exists(status)) {
    return fail(ErrorCode::BadRequest, "file \"" + file.string() + "\" not found");
  }
  if (!std::filesystem::is_regular_file(status)) {
    return fail(ErrorCode::BadRequest, "\"" + file.string() + "\" is not a regular file");
  }
  if (std::filesystem::file_size(file, ec) > kMaxFileSize) {
    return fail(ErrorCode::BadRequest, "file \"" + file.string() + "\" is larger than 1 MiB");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return fail(ErrorCode::BadRequest,
                "cannot read file \"" + file.string() + "\": " + std::strerror(errno));
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Result<std::string> read_source(std::string_view value, const std::filesystem::path& base_dir) {
  if (value.empty()) return std::string{};
  if (starts_with_nocase(value, "data:")) return decode_data_uri(value);
  if (value.starts_with("-----BEGIN ")) return std::string(value);  // inline PEM
  return read_small_file(resolve_path(value, base_dir));
}

}  // namespace dps::config
