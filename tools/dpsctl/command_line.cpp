#include "command_line.hpp"

#include <CLI/CLI.hpp>

namespace dps::dpsctl {

const char* const kHelpFooter = R"(
Global options (anywhere on the line; see dpsctl --help):
  --server URL (env DPS_SERVER, default https://127.0.0.1:9100)
  --token T (env DPS_TOKEN) | --token-file F (env DPS_TOKEN_FILE)
  --ca FILE (env DPS_CA)  --data-dir DIR (env DPS_DATA_DIR)  --insecure  --json  --timeout SECONDS
  Token: --token, --token-file, DPS_TOKEN, DPS_TOKEN_FILE, then DIR/admin.token.
  CA: --ca or DPS_CA, then DIR/ca.pem, then the system trust store.

Exit codes:
  0  success
  1  the API refused the request (400, 405, 409, 413, other errors); its message on stderr
  2  usage error: bad or missing option, unreadable local file
  3  authentication or authorization failed (401, 403), or no token at all
  4  not found (404, or get/update of an id that does not exist)
  5  the server cannot be reached (connect, TLS, timeout) or answered 503
  6  explain: the certificate would be refused (the explanation is still printed))";

CLI::App* add_verb(CLI::App& resource, CommandLine& line, const std::string& name,
                   const std::string& description, std::function<void(Session&)> action) {
  CLI::App* verb = resource.add_subcommand(name, description);
  verb->footer(kHelpFooter);
  verb->callback([&line, action = std::move(action)] { line.action = action; });
  return verb;
}

CLI::App* add_resource(CLI::App& app, const std::string& name, const std::string& alias,
                       const std::string& description) {
  CLI::App* resource = app.add_subcommand(name, description);
  if (!alias.empty()) resource->alias(alias);
  resource->require_subcommand(1);
  resource->footer(kHelpFooter);
  return resource;
}

}  // namespace dps::dpsctl
