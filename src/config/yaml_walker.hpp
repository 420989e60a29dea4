// YAML text -> checked Node tree. The only file that includes yaml-cpp: its exceptions are caught
// here and become Result errors. Internal.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "config/document.hpp"

namespace dps::config {

/// Parses `yaml` and checks every key against the schema: unknown keys and wrong types are errors
/// naming the dotted path; ignored (plgd-only) keys append a warning. File-valued keys are read
/// here, relative to `base_dir`, so a missing file is reported with its key's path.
Result<Node> parse_document(std::string_view yaml, const std::filesystem::path& base_dir,
                            std::vector<std::string>& warnings);

}  // namespace dps::config
