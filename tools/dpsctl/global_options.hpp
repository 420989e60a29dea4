// The options every dpsctl command shares, and how they (with their environment variables and
// --data-dir) resolve into the settings of one connection to the API.
#pragma once

#include <CLI/App.hpp>
#include <chrono>
#include <string>

#include "server_url.hpp"

namespace dps::dpsctl {

inline constexpr const char* kDefaultServer = "https://127.0.0.1:9100";

/// What the command line (and, for --server/--ca/--data-dir, CLI11's env lookup) gave.
struct GlobalOptions {
  std::string server = kDefaultServer;
  std::string token;
  std::string token_file;
  std::string ca_file;
  std::string data_dir;
  bool insecure = false;
  bool json = false;
  int timeout_seconds = 10;
};

/// Registers --server, --token, --token-file, --ca, --data-dir, --insecure, --json, --timeout.
void add_global_options(CLI::App& app, GlobalOptions& options);

struct ConnectionSettings {
  ServerUrl server;
  std::string token;         // empty: none found (every API call then fails with exit code 3)
  std::string no_token_why;  // what was looked at, for the error message
  std::string ca_file;       // empty: the system's trust store
  bool insecure = false;
  std::chrono::seconds timeout{10};
};

/// Token: --token, else --token-file, else $DPS_TOKEN, else $DPS_TOKEN_FILE, else
/// <data-dir>/admin.token. CA: --ca / $DPS_CA, else <data-dir>/ca.pem when it exists, else the
/// system store. Throws CliError(Usage) for a bad --server or an unreadable token file.
ConnectionSettings resolve_connection(const GlobalOptions& options);

}  // namespace dps::dpsctl
