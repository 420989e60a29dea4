#include "config/file_source.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>

#include "common/data_uri.hpp"

namespace dps::config {
namespace {

constexpr std::uintmax_t kMaxFileSize = 1 << 20;

}  // namespace

std::filesystem::path resolve_path(std::string_view value, const std::filesystem::path& base_dir) {
  if (value.starts_with("file://")) value.remove_prefix(7);
  std::filesystem::path path(value);
  return path.is_absolute() ? path.lexically_normal() : (base_dir / path).lexically_normal();
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
  // Bounded read as well: /proc and /sys files report size 0 and may be endless.
  std::string content(kMaxFileSize + 1, '\0');
  in.read(content.data(), static_cast<std::streamsize>(content.size()));
  content.resize(static_cast<size_t>(in.gcount()));
  if (content.size() > kMaxFileSize) {
    return fail(ErrorCode::BadRequest, "file \"" + file.string() + "\" is larger than 1 MiB");
  }
  return content;
}

bool is_file_source(std::string_view value) {
  return !value.empty() && !is_data_uri(value) && !value.starts_with("-----BEGIN ");
}

Result<std::string> read_source(std::string_view value, const std::filesystem::path& base_dir) {
  if (value.empty()) return std::string{};
  if (is_data_uri(value)) return decode_data_uri(value);
  if (value.starts_with("-----BEGIN ")) return std::string(value);  // inline PEM
  return read_small_file(resolve_path(value, base_dir));
}

}  // namespace dps::config
