#include "version_flag.hpp"

#include <CLI/CLI.hpp>

#include "dps_version.hpp"

namespace dps::cli {

void add_version_flag(CLI::App& app, const std::string& tool) {
  app.set_version_flag("--version", tool + " " + dps::version(),
                       "Print the version and the git revision it was built from, then exit");
}

}  // namespace dps::cli
