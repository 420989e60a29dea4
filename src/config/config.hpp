// dps configuration: plain structs filled from a YAML file in plgd's shape (spec/config.md).
// Loading never throws: every problem comes back as an Error naming the dotted path of the key.
// The keys, their types, defaults and descriptions live in ONE table (schema.cpp) that drives
// parsing, `--help` and docs/configuration.md, so the documentation is never written twice.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "store/entities.hpp"

namespace dps::config {

using std::chrono::milliseconds;

struct TlsFiles {
  std::string cert_file;  // empty = generated in the data directory
  std::string key_file;
};

struct CoapApi {
  std::string address = "0.0.0.0:15684";  // the TCP and the UDP listener share it, as in plgd
  bool tcp = true;                        // apis.coap.protocols has tcp: CoAP over TCP+TLS
  bool udp = false;                       // apis.coap.protocols has udp: CoAP over UDP+DTLS 1.2
  uint32_t max_message_size = 262144;
  milliseconds inactivity_timeout{20000};
  milliseconds handshake_timeout{10000};
  uint32_t max_connections = 100000;
  uint32_t max_requests_per_session = 64;     // inbound messages (requests and signals) per session
  uint32_t connection_rate_per_source = 100;  // new connections/s per source address; 0 = off
  uint32_t connection_rate_burst = 200;
  TlsFiles tls;
  bool disconnect_on_expired_certificate = false;  // close a session at its cert's notAfter
  /// false: a device may open TLS without a certificate, for TPM attestation only
  /// (device-protocol §5); every other resource answers 4.01 on such a session.
  bool client_certificate_required = true;
};

struct AdminToken {
  bool enabled = true;
  std::string owner = "1";
  std::chrono::seconds validity{7 * 24 * 3600};  // re-minted at start past half of it
};

/// Most objects one owner may keep through the management API (api/api_options.hpp).
struct ApiQuotas {
  uint32_t enrollment_groups = 1000;
  uint32_t hubs = 100;
  uint32_t revoked_certificates_per_group = 10000;
  uint32_t verification_codes = 100;
  uint32_t groups_per_lead_name = 4;
  uint32_t individual_enrollments = 1'000'000;
  uint32_t templates = 100;
};

struct HttpApi {
  bool require_proof_of_possession = true;
  ApiQuotas quotas;
  bool enabled = true;
  std::string address = "0.0.0.0:9100";
  std::string public_url;   // how callers reach the API; empty = derived from address
  bool tls_enabled = true;  // false = plain HTTP (behind a TLS-terminating proxy, or loopback)
  TlsFiles tls;
  bool client_certificate_required = false;  // mutual TLS: callers' certs must chain to the pool
  std::string client_ca_pool;                // PEM text of apis.http.tls.caPool
  uint32_t max_body_size = 1 << 20;
  uint32_t rate_per_token = 50;  // API requests/s per bearer token; 0 = off
  uint32_t rate_burst = 100;
  uint32_t max_connections = 1024;           // further capped by the descriptor budget
  uint32_t connection_rate_per_source = 50;  // new connections/s per source address; 0 = off
  uint32_t connection_rate_burst = 100;
  milliseconds handshake_timeout{5000};    // accept → first bytes → TLS established
  uint32_t auth_failures_per_source = 20;  // failed authentications per window; 0 = off
  milliseconds auth_failure_window{60000};
  AdminToken admin_token;
  std::string owner_claim = "sub";
  std::string audience;
  std::vector<std::string> authorities;  // OIDC issuers whose JWKS verify API tokens
  bool console_enabled = true;           // the web console under /console
  std::string console_oidc_client_id;    // public client of authorities[0] for console sign-in
  std::string console_oidc_scopes = "openid";
};

struct Log {
  std::string level = "info";        // debug | info | warn | error
  std::string encoding = "console";  // console | json
  bool dump_body = false;
};

struct CertificateAuthority {
  TlsFiles signer;  // dps's own CA; empty = created in the data directory
  std::chrono::seconds identity_validity{365 * 24 * 3600};
};

struct Tokens {
  std::chrono::seconds validity{3600};
  std::string issuer;  // empty = "dps"
};

struct Postgres {
  std::string uri;  // empty = SQLite; holds the password: never logged
  uint32_t max_connections = 4;
};

struct Storage {
  std::string sqlite_path;  // empty = <dataDirectory>/dps.db
  Postgres postgres;        // set = PostgreSQL instead of SQLite
};

struct Config {
  std::string data_directory = "dps-data";
  unsigned workers = 0;  // 0 = one per core
  Log log;
  CoapApi coap;
  HttpApi http;
  Storage storage;
  CertificateAuthority certificate_authority;
  Tokens tokens;
  std::vector<store::EnrollmentGroup> enrollment_groups;
  std::vector<store::Hub> hubs;  // of all enrollment groups, deduplicated by id
  // Absolute path of the file load_file read; empty for defaults() and load_text. The API names
  // it when it refuses writes to the groups and hubs above (api_options.hpp ConfigFileObjects).
  std::string source_file;
};

struct Loaded {
  Config config;
  // "<dotted.path>: ignored (<why>)", one per key present with a value that would change plgd's
  // behaviour but changes nothing here (never the value: it may be a secret).
  std::vector<std::string> warnings;
};

/// Reads and validates a config file. Relative paths inside it resolve against its directory.
/// @return the config, or a BadRequest error whose message starts with the dotted path.
[[nodiscard]] Result<Loaded> load_file(const std::filesystem::path& file);

/// As load_file, from text; relative file paths resolve against `base_dir`.
[[nodiscard]] Result<Loaded> load_text(std::string_view yaml,
                                       const std::filesystem::path& base_dir);

/// The configuration used when no file is given.
Config defaults();

/// Every key: dotted path, type, default, description, as aligned plain text for `--help`.
std::string help_text();

/// The same table as a Markdown table (docs/configuration.md embeds it verbatim).
std::string reference_markdown();

}  // namespace dps::config
