// dps: the Device Provisioning Service. Thin main: arguments → config → service → run.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "api/record_json.hpp"
#include "app/service.hpp"
#include "app/store_factory.hpp"
#include "auth/token_id.hpp"
#include "config/config.hpp"
#include "log/setup.hpp"
#include "pki/pem.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "suggestions.hpp"
#include "version_flag.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

/// The config and its warnings; the warnings are logged once logging is set up as the config
/// says (so that with log.encoding json they are JSON lines too).
dps::Result<dps::config::Loaded> load(const std::string& file) {
  if (file.empty()) return dps::config::Loaded{dps::config::defaults(), {}};
  return dps::config::load_file(file);
}

/// The --server for dpsctl to reach this dps's API: the configured public URL, else the listener
/// (a wildcard address as loopback, where dpsctl runs beside dps).
std::string api_url(const dps::config::HttpApi& http, const boost::asio::ip::tcp::endpoint& api) {
  if (!http.public_url.empty()) return http.public_url;
  const auto address = api.address();
  std::string host = address.to_string();
  if (address.is_unspecified()) host = address.is_v6() ? "::1" : "127.0.0.1";
  if (address.is_v6()) host = "[" + host + "]";
  return std::string(http.tls_enabled ? "https" : "http") + "://" + host + ":" +
         std::to_string(api.port());
}

int serve(const dps::config::Config& config) {
  auto service = dps::app::Service::start(config);
  if (!service) {
    spdlog::error("dps: {}", service.error().internal);
    return kExitFailure;
  }
  (*service)->stop_on_signals();
  const auto endpoint = (*service)->device_endpoint();
  // Tests and scripts wait for a line holding exactly this text (the port is real even when 0 was
  // asked for), on stdout, in the log's encoding.
  auto& ready = dps::log::ready_logger();
  if (config.coap.tcp) {
    ready.info("dps: coap listening on {}:{}", endpoint.address().to_string(), endpoint.port());
  }
  if (auto udp = (*service)->udp_endpoint()) {
    ready.info("dps: coap udp listening on {}:{}", udp->address().to_string(), udp->port());
  }
  if (auto api = (*service)->api_endpoint()) {
    ready.info("dps: api listening on {}:{}", api->address().to_string(), api->port());
  }
  const auto api = (*service)->api_endpoint();
  if (auto token = (*service)->admin_token_file(); token && api) {
    // The path only: the token is a credential and stays out of logs. --server names this dps:
    // dpsctl's default (port 9100) is another one when several run.
    ready.info("dps: admin token for owner \"{}\" in {} (dpsctl --data-dir {} --server {} ...)",
               config.http.admin_token.owner, token->string(), config.data_directory,
               api_url(config.http, *api));
  }
  // Last, so that a reader who saw it complete has seen every line above (tests wait for it).
  ready.info("dps: data directory {} (devices trust {}/ca.pem)", config.data_directory,
             config.data_directory);
  (*service)->run();
  spdlog::info("stopped");
  return kExitOk;
}

int list_records(const dps::config::Config& config, const std::string& device_id) {
  const std::filesystem::path db = config.storage.sqlite_path.empty()
                                       ? std::filesystem::path(config.data_directory) / "dps.db"
                                       : std::filesystem::path(config.storage.sqlite_path);
  if (!std::filesystem::exists(db)) {
    std::fprintf(stderr, "dps: no database at %s (has dps run with this config?)\n", db.c_str());
    return kExitFailure;
  }
  auto store = dps::store::SqliteStore::open(db);
  if (!store) {
    std::fprintf(stderr, "dps: %s\n", store.error().internal.c_str());
    return kExitFailure;
  }
  // The operator's view of the local database: every owner's records.
  dps::store::RecordFilter filter{.scope = dps::store::OwnerScope::every_owner(),
                                  .ids = {},
                                  .device_ids = {},
                                  .enrollment_group_ids = {}};
  if (!device_id.empty()) filter.device_ids.push_back(device_id);
  auto records = (*store)->list_provisioning_records(filter);
  if (!records) {
    std::fprintf(stderr, "dps: %s\n", records.error().internal.c_str());
    return kExitFailure;
  }
  for (const auto& record : *records) std::cout << dps::api::to_json(record).dump() << '\n';
  return kExitOk;
}

// A jti given without its token: dps cannot know when that token expires, so the revocation is
// kept this long (one row); --token-file lets it go at the token's own exp.
constexpr int64_t kUnknownExpiryHorizon = int64_t{10} * 365 * 24 * 3600;

int revoke_token(const dps::config::Config& config, const std::string& jti,
                 const std::string& token_file) {
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  dps::auth::TokenId id{jti, now + kUnknownExpiryHorizon};
  if (!token_file.empty()) {
    auto text = dps::pki::read_file(token_file);
    dps::Result<dps::auth::TokenId> read =
        text ? dps::auth::read_token_id(*text) : tl::unexpected(text.error());
    if (!read) {
      std::fprintf(stderr, "dps: --token-file %s: %s\n", token_file.c_str(),
                   read.error().internal.c_str());
      return kExitUsage;
    }
    id = std::move(*read);
  } else if (auto valid = dps::auth::check_jti(jti); !valid) {
    std::fprintf(stderr, "dps: --jti: %s\n", valid.error().internal.c_str());
    return kExitUsage;
  }
  if (id.expires_at <= now) {
    std::printf("dps: token %s expired already; nothing to revoke\n", id.jti.c_str());
    return kExitOk;
  }
  // The same database the service uses (SQLite in the data directory or PostgreSQL), written
  // while dps runs: every replica reads the list again within a few seconds.
  auto opened = dps::app::open_store(config);
  if (!opened) {
    std::fprintf(stderr, "dps: %s\n", opened.error().internal.c_str());
    return kExitFailure;
  }
  if (auto done = opened->store->revoke_token(id.jti, id.expires_at); !done) {
    std::fprintf(stderr, "dps: revoking %s: %s\n", id.jti.c_str(), done.error().internal.c_str());
    return kExitFailure;
  }
  std::printf(
      "dps: revoked token jti %s (until %lld); running dps processes refuse it within 5 s\n",
      id.jti.c_str(), static_cast<long long>(id.expires_at));
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  // Logs go to stderr from the first line (config warnings included): stdout carries only the
  // ready lines scripts wait for and `dps records`'s JSON, never interleaved with a log line.
  // Until the config is read, the default encoding (console): its own errors use it too.
  dps::log::configure("info", "console");
  CLI::App app{
      "dps: zero-touch Device Provisioning Service for OCF devices (plgd DPS compatible).\n"
      "Without --config it runs on embedded defaults: devices on coaps+tcp://0.0.0.0:15684,\n"
      "the management API on https://0.0.0.0:9100, state in ./dps-data (SQLite database,\n"
      "built-in CA, server certificate, token key, admin.token for dpsctl).\n"
      "Enrollment groups and hubs come from the config file (plgd's config.yaml shape) and\n"
      "from the management API (dpsctl). Keys: dps --config-help.",
      "dps"};
  dps::cli::add_version_flag(app, "dps");
  std::string config_file;
  app.add_option("-c,--config", config_file, "YAML configuration file (plgd DPS shape)")
      ->check(CLI::ExistingFile);
  bool config_help = false;
  app.add_flag("--config-help", config_help, "Print every configuration key with its default");

  auto* records = app.add_subcommand("records", "Print provisioning records as JSON lines");
  std::string device_id;
  records->add_option("--device", device_id, "Only the records of this device id");
  records->fallthrough();  // `dps records --config FILE` reads as naturally as the reverse

  auto* revoke = app.add_subcommand(
      "revoke-token",
      "Revoke a management API token by its jti, without rotating keys (written to the store; "
      "running dps processes, every replica included, refuse it within 5 s)");
  std::string revoke_jti;
  std::string revoke_file;
  auto* jti_option = revoke->add_option("--jti", revoke_jti,
                                        "The token's jti (kept revoked for 10 years: its exp is "
                                        "unknown)");
  revoke
      ->add_option("--token-file", revoke_file, "File holding the token (its jti and exp are read)")
      ->check(CLI::ExistingFile)
      ->excludes(jti_option);
  revoke->require_option(1);
  revoke->fallthrough();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) {
      if (auto typo = dps::cli::explain_unknown_word(app, argc, argv)) {
        std::fprintf(stderr, "dps: %s (see --help)\n", typo->c_str());
        return kExitUsage;
      }
    }
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (config_help) {
    std::cout << dps::config::help_text();
    return kExitOk;
  }
  auto loaded = load(config_file);
  if (!loaded) {
    // The loader's messages name the file already; CLI11 checked that it exists.
    const std::string& why = loaded.error().internal;
    if (why.starts_with(config_file + ":")) {
      spdlog::error("dps: {}", why);
    } else {
      spdlog::error("dps: {}: {}", config_file, why);
    }
    return kExitUsage;
  }
  const dps::config::Config& config = loaded->config;
  dps::log::configure(config.log.level, config.log.encoding);
  for (const auto& warning : loaded->warnings) spdlog::warn("config: {}", warning);
  if (records->parsed()) return list_records(config, device_id);
  if (revoke->parsed()) return revoke_token(config, revoke_jti, revoke_file);
  return serve(config);
}
