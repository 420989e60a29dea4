// --version for the CLI11 tools: "<tool> 0.1.0 (git c9bda0f)" on stdout, exit 0.
#pragma once

#include <CLI/App.hpp>
#include <string>

namespace dps::cli {

/// Adds --version to `app`; CLI11 reports it as CLI::CallForVersion (exit code 0) from parse(),
/// which app.exit() prints.
void add_version_flag(CLI::App& app, const std::string& tool);

}  // namespace dps::cli
