// The parts every resource command is registered with: the global options, the action the
// chosen verb leaves behind for main to run after parsing, and the shared help footer.
#pragma once

#include <CLI/App.hpp>
#include <functional>

#include "api_client.hpp"
#include "global_options.hpp"
#include "printer.hpp"

namespace dps::dpsctl {

/// What an action works with once the command line is parsed and the connection resolved.
struct Session {
  ApiClient& client;
  Printer& printer;
};

struct CommandLine {
  GlobalOptions globals;
  /// Set by the parsed verb's callback; run by main after parsing, outside CLI11, so that its
  /// CliErrors reach main's single handler.
  std::function<void(Session&)> action;
};

/// Environment variables, token and CA lookup order, exit codes: shown under every --help.
extern const char* const kHelpFooter;

/// A verb under `resource` that sets `line.action` to `action` when parsed, with the footer.
CLI::App* add_verb(CLI::App& resource, CommandLine& line, const std::string& name,
                   const std::string& description, std::function<void(Session&)> action);

/// A resource (enrollment-groups, hubs, records) that requires one verb.
CLI::App* add_resource(CLI::App& app, const std::string& name, const std::string& alias,
                       const std::string& description);

}  // namespace dps::dpsctl
