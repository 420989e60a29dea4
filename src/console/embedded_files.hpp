// The web console's files (console/ in the source tree), compiled into the binary by
// cmake/embed_files.cmake: dps serves them with no file on disk and no network access.
#pragma once

#include <span>
#include <string_view>

namespace dps::console {

struct EmbeddedFile {
  std::string_view path;  // "/index.html", "/js/app.js": relative to console/, with a leading /
  std::string_view bytes;
};

/// Every file of console/, in the order the build listed them.
extern const std::span<const EmbeddedFile> kEmbeddedFiles;

}  // namespace dps::console
