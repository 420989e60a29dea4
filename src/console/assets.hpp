// What the console serves for a path under /console: an embedded file with its media type.
#pragma once

#include <optional>
#include <string_view>

namespace dps::console {

struct Asset {
  std::string_view bytes;
  std::string_view content_type;
};

/// The asset at `path` (relative to /console, with its leading '/'; "/" is "/index.html"), or
/// nullopt. Only embedded files are served: no path reaches the file system, so ".." or an
/// encoded slash can name nothing else.
std::optional<Asset> find_asset(std::string_view path);

}  // namespace dps::console
