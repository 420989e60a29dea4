// `dpsctl completion bash|zsh`: a shell completion script made from the CLI11 command tree, so it
// can never list a command or option dpsctl does not have. zsh gets the same script through
// zsh's bashcompinit (the shell's own emulation of bash's `complete`).
#pragma once

#include <CLI/App.hpp>
#include <string>

namespace dps::dpsctl {

/// Registers `completion <bash|zsh>` on `app`; `shell` receives the choice.
CLI::App* add_completion_command(CLI::App& app, std::string& shell);

/// The script for `shell` ("bash" or "zsh") completing `app` (commands, their aliases, every
/// visible option, and file names after an option that takes a value).
std::string completion_script(const CLI::App& app, const std::string& shell);

}  // namespace dps::dpsctl
