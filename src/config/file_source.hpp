// File-valued keys: plgd's "URIScheme" values (a path, file://path or an RFC 2397 data: URI), plus
// inline PEM text, which no file path can be mistaken for. Internal.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace dps::config {

/// `value` as an absolute path: a relative one is taken relative to `base_dir`; "file://" is
/// stripped.
std::filesystem::path resolve_path(std::string_view value, const std::filesystem::path& base_dir);

/// Whether `value` names a file (not empty, not a data: URI, not inline PEM).
bool is_file_source(std::string_view value);

/// The bytes a file-valued key stands for. Errors carry a message without the key's path.
Result<std::string> read_source(std::string_view value, const std::filesystem::path& base_dir);

/// Reads a whole regular file of at most 1 MiB (config secrets and chains are small; the bound
/// keeps a mistaken /dev/zero from exhausting memory).
Result<std::string> read_small_file(const std::filesystem::path& file);

}  // namespace dps::config
