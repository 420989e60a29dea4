// dpsctl: the operators' command line over dps's management API (management-api.md).
//   dpsctl [global options] <enrollment-groups|hubs|individual-enrollments|records|templates>
//          <verb> [args]
//   dpsctl explain CERT.pem [--chain INTERMEDIATES.pem]
//   dpsctl completion bash|zsh;  dpsctl --version
// Parsing and help are CLI11's; each resource registers its verbs (groups_command.cpp, ...);
// the chosen verb's action runs after parsing, and every failure ends here as one stderr line
// "dpsctl: ..." with the exit code of exit_codes.hpp.
#include <CLI/CLI.hpp>
#include <iostream>

#include "api_client.hpp"
#include "command_line.hpp"
#include "completion.hpp"
#include "exit_codes.hpp"
#include "explain_command.hpp"
#include "groups_command.hpp"
#include "hubs_command.hpp"
#include "individual_enrollments_command.hpp"
#include "records_command.hpp"
#include "suggestions.hpp"
#include "templates_command.hpp"
#include "version_flag.hpp"

namespace {

using namespace dps::dpsctl;

int exit_with(ExitCode code) { return static_cast<int>(code); }

// CLI11's own errors: help and version exit 0 through it; the rest become one "dpsctl:" line,
// naming the nearest known word when the line has one dpsctl does not know.
int parse_failure(CLI::App& app, const CLI::ParseError& error, int argc, char** argv) {
  if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(error);
  if (auto typo = dps::cli::explain_unknown_word(app, argc, argv)) {
    std::cerr << "dpsctl: " << *typo << " (see --help)\n";
    return exit_with(ExitCode::Usage);
  }
  std::cerr << "dpsctl: " << error.what() << " (see --help)\n";
  return exit_with(ExitCode::Usage);
}

int run(CommandLine& line) {
  ApiClient client(resolve_connection(line.globals));
  Printer printer(line.globals.json, std::cout, std::cerr);
  Session session{client, printer};
  line.action(session);
  std::cout.flush();
  return exit_with(ExitCode::Success);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"dpsctl: manage a dps (Device Provisioning Service) through its management API"};
  // The name messages and the completion script use, whatever path dpsctl was started by.
  app.name("dpsctl");
  app.footer(kHelpFooter);
  dps::cli::add_version_flag(app, "dpsctl");
  // Global options may also follow the resource and verb ("dpsctl hubs list --json").
  app.fallthrough();
  app.require_subcommand(1);
  CommandLine line;
  add_global_options(app, line.globals);
  add_groups_command(app, line);
  add_hubs_command(app, line);
  add_individual_enrollments_command(app, line);
  add_records_command(app, line);
  add_templates_command(app, line);
  add_explain_command(app, line);
  std::string shell;
  const CLI::App* completion = add_completion_command(app, shell);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return parse_failure(app, error, argc, argv);
  }
  if (completion->parsed()) {
    std::cout << completion_script(app, shell);
    return exit_with(ExitCode::Success);
  }
  try {
    return run(line);
  } catch (const CliError& error) {
    std::cerr << "dpsctl: " << error.what() << '\n';
    return exit_with(error.code());
  } catch (const std::exception& error) {
    // Not expected (CliError covers every known failure): report it as a refused request.
    std::cerr << "dpsctl: " << error.what() << '\n';
    return exit_with(ExitCode::ApiRefused);
  }
}
