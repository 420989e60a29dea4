#include "console/assets.hpp"

#include "console/embedded_files.hpp"

namespace dps::console {
namespace {

std::string_view content_type_of(std::string_view path) {
  const auto dot = path.rfind('.');
  const std::string_view extension = dot == std::string_view::npos ? "" : path.substr(dot);
  if (extension == ".html") return "text/html; charset=utf-8";
  if (extension == ".js") return "text/javascript; charset=utf-8";
  if (extension == ".css") return "text/css; charset=utf-8";
  if (extension == ".svg") return "image/svg+xml";
  if (extension == ".png") return "image/png";
  if (extension == ".json") return "application/json";
  return "application/octet-stream";
}

}  // namespace

std::optional<Asset> find_asset(std::string_view path) {
  if (path == "/") path = "/index.html";
  for (const auto& file : kEmbeddedFiles) {
    if (file.path == path) return Asset{file.bytes, content_type_of(path)};
  }
  return std::nullopt;
}

}  // namespace dps::console
