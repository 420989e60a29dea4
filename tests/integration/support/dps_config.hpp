// A dps config file for one integration test (spec/config.md shape), and the manufacturer PKIs
// the tests enrol.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "support/test_pki.hpp"

namespace dps::itest {

struct HubSpec {
  std::string hub_id;  // also the record id
  std::vector<std::string> gateways;
  std::string owner_claim = "https://plgd.dev/owner";
  std::string provider = "plgd";
  // Set: the hub's tokens come from this OAuth2 authority (client credentials).
  // (Default member initializers: the many HubSpec{id, gateways} need not name these.)
  std::string authority = "";
  std::string client_id = "";
  std::filesystem::path client_secret_file = {};
  std::string device_id_claim = "";
  std::string audience = "";
};

struct GroupSpec {
  std::string id;
  std::string owner = "1";
  std::filesystem::path chain_file;  // manufacturer chain (intermediate ... root)
  std::filesystem::path psk_file;    // empty = no PSK
  bool expired_certificate_enabled = false;
  bool disabled = false;
  std::vector<std::string> revoked_certificates;  // serial hex or SPKI SHA-256 hex
  std::filesystem::path crl_file;                 // empty = none
  std::vector<HubSpec> hubs;
};

struct DpsConfigSpec {
  std::filesystem::path data_dir;
  std::string inactivity_timeout = "2s";
  bool disconnect_on_expired_certificate = false;  // apis.coap.tls.disconnectOnExpiredCertificate
  bool client_certificate_required = true;  // apis.coap.tls.clientCertificateRequired (TPM: false)
  std::string protocols;  // apis.coap.protocols, e.g. "[tcp, udp]"; empty: dps's default ([tcp])
  uint32_t max_message_size = 65536;
  // Limits. Every test device connects from 127.0.0.1, so the per-source connection rate and the
  // per-token API rate are off unless a test sets them (0 = off); the rest keep dps's defaults
  // when empty/0.
  uint32_t connection_rate_per_source = 0;
  uint32_t connection_rate_burst = 1;
  uint32_t max_requests_per_session = 0;  // 0 = dps's default
  std::string handshake_timeout;          // empty = dps's default
  uint32_t max_connections = 0;           // 0 = dps's default
  uint32_t api_rate_per_token = 0;
  uint32_t api_rate_burst = 1;
  // The API's connection limits; like the ones above, the per-source ones are off unless set.
  uint32_t api_max_connections = 0;  // 0 = dps's default
  uint32_t api_connection_rate_per_source = 0;
  uint32_t api_connection_rate_burst = 1;
  std::string api_handshake_timeout;  // empty = dps's default
  uint32_t api_auth_failures_per_source = 0;
  std::string api_auth_failure_window;  // empty = dps's default
  std::string log_level = "debug";
  std::string log_encoding;   // log.encoding ("console" | "json"); empty = dps's default
  bool http_enabled = false;  // apis.http on 127.0.0.1:0 (dps then prints "dps: api listening")
  bool http_tls = true;       // false: apis.http.tls.enabled false (plain HTTP)
  // Set: mutual TLS on the API (apis.http.tls.caPool = this file, clientCertificateRequired).
  std::filesystem::path api_client_ca_file;
  // dps's default is true; the API tests test other things with groups of their own CAs, and the
  // tenancy and dpsctl tests, which do the round trip, turn it on.
  bool require_proof_of_possession = false;
  uint32_t api_group_quota = 0;      // apis.http.quotas.enrollmentGroups; 0 = dps's default
  std::string admin_token_validity;  // apis.http.adminToken.validity; empty = dps's default
  std::string token_validity;        // tokens.validity (hub tokens dps mints); empty = default
  std::string postgres_uri;          // clients.storage.postgres.uri; empty = SQLite in data_dir
  // apis.http.authorization: issuers whose JWTs the API accepts (endpoints[].authority), and
  // its ownerClaim and audience (empty: dps's defaults). console_oidc_client_id: the console's
  // sign-in client at the first issuer (apis.http.console.oidc), empty = none.
  std::vector<std::string> api_authorities;
  std::string api_owner_claim;
  std::string api_audience;
  std::string console_oidc_client_id;
  std::string console_oidc_scopes;  // empty = dps's default
  std::vector<GroupSpec> groups;
};

/// The YAML text of `spec` (every value quoted).
std::string render_config(const DpsConfigSpec& spec);

/// A manufacturer: root → intermediate (the enrollment group's lead) → device leaves.
struct Manufacturer {
  test::TestCa root;
  test::TestCa intermediate;
  test::TestCert device;  // a valid leaf with EKU clientAuth

  /// intermediate + root: what an enrollment group holds.
  std::string chain_pem() const { return intermediate.chain_pem(); }
};

/// `name` prefixes the CNs ("<name> root", "<name> intermediate", "<name> device").
Manufacturer make_manufacturer(const std::string& name);

inline constexpr const char* kHubA = "a1a1a1a1-0000-4000-8000-000000000001";
inline constexpr const char* kHubB = "b2b2b2b2-0000-4000-8000-000000000002";
inline constexpr const char* kGatewayA = "coaps+tcp://hub-a.example.com:5684";
inline constexpr const char* kGatewayB = "coaps+tcp://hub-b.example.com:5684";

}  // namespace dps::itest
