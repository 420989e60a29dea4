#include "global_options.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>

#include "exit_codes.hpp"
#include "local_file.hpp"

namespace dps::dpsctl {
namespace {

namespace fs = std::filesystem;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string trimmed(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

// A token goes into an HTTP header: a stray newline or space would corrupt the request. The
// message names where the token came from, never the token.
std::string checked_token(std::string token, const std::string& origin) {
  token = trimmed(std::move(token));
  if (token.empty())
    throw CliError(ExitCode::Unauthorized, "the token from " + origin + " is empty");
  for (const char c : token) {
    if (c <= ' ' || c == 0x7f) {
      throw CliError(ExitCode::Usage,
                     "the token from " + origin + " contains whitespace or control characters");
    }
  }
  return token;
}

std::string token_from_file(const std::string& path, const std::string& origin) {
  return checked_token(read_local_file(path, origin), origin + " " + path);
}

void resolve_token(const GlobalOptions& options, ConnectionSettings& settings) {
  if (!options.token.empty()) {
    settings.token = checked_token(options.token, "--token");
  } else if (!options.token_file.empty()) {
    settings.token = token_from_file(options.token_file, "--token-file");
  } else if (const std::string token = env("DPS_TOKEN"); !token.empty()) {
    settings.token = checked_token(token, "DPS_TOKEN");
  } else if (const std::string env_file = env("DPS_TOKEN_FILE"); !env_file.empty()) {
    settings.token = token_from_file(env_file, "DPS_TOKEN_FILE");
  } else if (!options.data_dir.empty()) {
    const fs::path file = fs::path(options.data_dir) / "admin.token";
    std::error_code ec;
    if (fs::exists(file, ec)) {
      settings.token = token_from_file(file.string(), "--data-dir");
    } else {
      settings.no_token_why = file.string() + " does not exist";
    }
  } else {
    settings.no_token_why =
        "give --token, --token-file, --data-dir, DPS_TOKEN, DPS_TOKEN_FILE or DPS_DATA_DIR";
  }
}

}  // namespace

void add_global_options(CLI::App& app, GlobalOptions& options) {
  app.add_option("--server", options.server,
                 "Management API base URL, https://HOST[:PORT][/PATH] (http:// for a plain "
                 "listener)")
      ->envname("DPS_SERVER")
      ->capture_default_str();
  auto* token = app.add_option("--token", options.token,
                               "Bearer token (env DPS_TOKEN; never printed). Prefer --token-file: "
                               "a command line is visible to other local users");
  auto* token_file = app.add_option("--token-file", options.token_file,
                                    "File holding the bearer token (env DPS_TOKEN_FILE)");
  token->excludes(token_file);
  app.add_option("--ca", options.ca_file,
                 "PEM trust anchors for the server's certificate (default: <data-dir>/ca.pem, "
                 "else the system store)")
      ->envname("DPS_CA");
  app.add_option("--data-dir", options.data_dir,
                 "Local dps data directory: the token defaults to DIR/admin.token and the CA to "
                 "DIR/ca.pem (explicit --token/--ca win)")
      ->envname("DPS_DATA_DIR");
  app.add_flag("--insecure", options.insecure,
               "Do not verify the server's certificate (prints a warning)");
  app.add_flag("--json", options.json,
               "Machine output: the API's JSON objects, one per line for lists; for delete "
               "{\"count\":\"N\"}");
  app.add_option("--timeout", options.timeout_seconds,
                 "Seconds allowed for each request (connect, TLS, answer)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  // A later occurrence wins, so that wrappers can put defaults first and callers override them.
  for (CLI::Option* option : app.get_options()) {
    if (option->get_expected_max() == 1) {
      option->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    }
  }
}

ConnectionSettings resolve_connection(const GlobalOptions& options) {
  ConnectionSettings settings;
  settings.server = parse_server_url(options.server);
  settings.insecure = options.insecure;
  settings.timeout = std::chrono::seconds(options.timeout_seconds);
  resolve_token(options, settings);
  settings.ca_file = options.ca_file;
  if (settings.ca_file.empty() && !options.data_dir.empty()) {
    const fs::path ca = fs::path(options.data_dir) / "ca.pem";
    std::error_code ec;
    if (fs::exists(ca, ec)) settings.ca_file = ca.string();
  }
  return settings;
}

}  // namespace dps::dpsctl
