// dps-bench: measures dps. Thin main: arguments → target (running servers, or a dps it starts)
// → provisioning fleet or idle connections → report. See `dps-bench --help`.
// Exit codes: 0 every device succeeded, 1 some failed, 2 usage error.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <stdexcept>

#include "modes.hpp"
#include "preload.hpp"
#include "proc_stats.hpp"
#include "suggestions.hpp"

namespace {

std::string joined(int argc, char** argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) line += (i ? " " : "") + std::string(argv[i]);
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace dps::bench;
  CLI::App app;
  app.name("dps-bench");
  BenchOptions options;
  add_options(app, options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) {
      if (auto typo = dps::cli::explain_unknown_word(app, argc, argv)) {
        std::fprintf(stderr, "dps-bench: %s (see --help)\n", typo->c_str());
        return kExitUsage;
      }
    }
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (auto error = check_options(options)) {
    std::fprintf(stderr, "dps-bench: %s (see --help)\n", error->c_str());
    return kExitUsage;
  }
  options.command_line = joined(argc, argv);
  if (options.mode == Mode::Preload) {
    try {
      return run_preload(options);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "dps-bench: %s\n", e.what());
      return kExitFailed;
    }
  }

  // Before anything is opened or started: a started dps inherits the raised limit.
  const FileLimit limit = raise_open_files_limit();
  if (limit.now != limit.before) {
    std::fprintf(stderr, "dps-bench: raised the open files limit from %llu to %llu (hard limit)\n",
                 static_cast<unsigned long long>(limit.before),
                 static_cast<unsigned long long>(limit.now));
  }
  try {
    Target target = prepare_target(options);
    const int code =
        options.mode == Mode::Idle ? run_idle(options, target) : run_provision(options, target);
    const int server_exit = target.stop();
    if (target.process && server_exit != 0) {
      std::fprintf(stderr, "dps-bench: dps exited with %d on SIGTERM\n", server_exit);
    }
    return code;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "dps-bench: %s\n", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dps-bench: %s\n", e.what());
    return kExitFailed;
  }
}
