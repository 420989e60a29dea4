#include "dps_config.hpp"

#include <sstream>

namespace dps::itest {

namespace {

std::string q(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string render_config(const DpsConfigSpec& spec) {
  std::ostringstream y;
  y << "dataDirectory: " << q(spec.data_dir.string()) << "\n"
    << "log:\n  level: " << q(spec.log_level) << "\n";
  if (!spec.log_encoding.empty()) y << "  encoding: " << q(spec.log_encoding) << "\n";
  y << "apis:\n  coap:\n    address: \"127.0.0.1:0\"\n"
    << "    maxMessageSize: " << spec.max_message_size << "\n"
    << "    inactivityMonitor:\n      timeout: " << q(spec.inactivity_timeout) << "\n"
    << "    connectionRate:\n      perSource: " << spec.connection_rate_per_source
    << "\n      burst: " << spec.connection_rate_burst << "\n";
  if (spec.max_requests_per_session > 0) {
    y << "    maxRequestsPerSession: " << spec.max_requests_per_session << "\n";
  }
  if (!spec.handshake_timeout.empty()) {
    y << "    handshakeTimeout: " << q(spec.handshake_timeout) << "\n";
  }
  if (spec.max_connections > 0) y << "    maxConnections: " << spec.max_connections << "\n";
  if (!spec.protocols.empty()) y << "    protocols: " << spec.protocols << "\n";
  if (spec.disconnect_on_expired_certificate || !spec.client_certificate_required) {
    y << "    tls:\n      disconnectOnExpiredCertificate: "
      << (spec.disconnect_on_expired_certificate ? "true" : "false")
      << "\n      clientCertificateRequired: "
      << (spec.client_certificate_required ? "true" : "false") << "\n";
  }
  // The API is on by default: tests that do not use it turn it off rather than bind port 9100.
  if (spec.http_enabled) {
    y << "  http:\n    enabled: true\n    address: \"127.0.0.1:0\"\n"
      << "    rateLimit:\n      perToken: " << spec.api_rate_per_token
      << "\n      burst: " << spec.api_rate_burst << "\n"
      << "    connectionRate:\n      perSource: " << spec.api_connection_rate_per_source
      << "\n      burst: " << spec.api_connection_rate_burst << "\n"
      << "    authFailureLimit:\n      perSource: " << spec.api_auth_failures_per_source << "\n";
    if (!spec.api_auth_failure_window.empty()) {
      y << "      window: " << q(spec.api_auth_failure_window) << "\n";
    }
    if (spec.api_max_connections > 0) {
      y << "    maxConnections: " << spec.api_max_connections << "\n";
    }
    if (!spec.api_handshake_timeout.empty()) {
      y << "    handshakeTimeout: " << q(spec.api_handshake_timeout) << "\n";
    }
    if (!spec.http_tls) y << "    tls:\n      enabled: false\n";
    if (spec.http_tls && !spec.api_client_ca_file.empty()) {
      y << "    tls:\n      caPool: " << q(spec.api_client_ca_file.string())
        << "\n      clientCertificateRequired: true\n";
    }
    y << "    requireProofOfPossession: " << (spec.require_proof_of_possession ? "true" : "false")
      << "\n";
    if (!spec.admin_token_validity.empty()) {
      y << "    adminToken:\n      validity: " << q(spec.admin_token_validity) << "\n";
    }
    if (spec.api_group_quota > 0) {
      y << "    quotas:\n      enrollmentGroups: " << spec.api_group_quota << "\n";
    }
    if (!spec.api_authorities.empty() || !spec.api_owner_claim.empty() ||
        !spec.api_audience.empty()) {
      y << "    authorization:\n";
      if (!spec.api_owner_claim.empty())
        y << "      ownerClaim: " << q(spec.api_owner_claim) << "\n";
      if (!spec.api_audience.empty()) y << "      audience: " << q(spec.api_audience) << "\n";
      if (!spec.api_authorities.empty()) y << "      endpoints:\n";
      for (const auto& a : spec.api_authorities) y << "        - authority: " << q(a) << "\n";
    }
    if (!spec.console_oidc_client_id.empty()) {
      y << "    console:\n      oidc:\n        clientId: " << q(spec.console_oidc_client_id)
        << "\n";
      if (!spec.console_oidc_scopes.empty()) {
        y << "        scopes: " << q(spec.console_oidc_scopes) << "\n";
      }
    }
  } else {
    y << "  http:\n    enabled: false\n";
  }
  if (!spec.postgres_uri.empty()) {
    y << "clients:\n  storage:\n    postgres:\n      uri: " << q(spec.postgres_uri) << "\n";
  }
  if (!spec.token_validity.empty()) y << "tokens:\n  validity: " << q(spec.token_validity) << "\n";
  y << "enrollmentGroups:\n";
  for (const auto& g : spec.groups) {
    y << "  - id: " << q(g.id) << "\n"
      << "    owner: " << q(g.owner) << "\n";
    if (!g.psk_file.empty()) y << "    preSharedKeyFile: " << q(g.psk_file.string()) << "\n";
    if (g.disabled) y << "    disabled: true\n";
    if (!g.crl_file.empty()) y << "    crl: " << q(g.crl_file.string()) << "\n";
    if (!g.revoked_certificates.empty()) {
      y << "    revokedCertificates:\n";
      for (const auto& r : g.revoked_certificates) y << "      - " << q(r) << "\n";
    }
    y << "    attestationMechanism:\n      x509:\n"
      << "        certificateChain: " << q(g.chain_file.string()) << "\n"
      << "        expiredCertificateEnabled: " << (g.expired_certificate_enabled ? "true" : "false")
      << "\n"
      << "    hubs:\n";
    for (const auto& h : g.hubs) {
      y << "      - hubID: " << q(h.hub_id) << "\n        gateways:\n";
      for (const auto& gw : h.gateways) y << "          - " << q(gw) << "\n";
      y << "        authorization:\n"
        << "          ownerClaim: " << q(h.owner_claim) << "\n";
      if (!h.device_id_claim.empty()) {
        y << "          deviceIDClaim: " << q(h.device_id_claim) << "\n";
      }
      y << "          provider:\n            name: " << q(h.provider) << "\n";
      if (!h.authority.empty()) {
        y << "            authority: " << q(h.authority) << "\n"
          << "            clientID: " << q(h.client_id) << "\n"
          << "            clientSecretFile: " << q(h.client_secret_file.string()) << "\n"
          << "            audience: " << q(h.audience) << "\n";
      }
    }
  }
  return y.str();
}

Manufacturer make_manufacturer(const std::string& name) {
  Manufacturer m;
  m.root = test::make_root_ca(name + " root");
  m.intermediate = test::make_intermediate_ca(m.root, name + " intermediate");
  test::LeafOptions leaf;
  leaf.common_name = name + " device";
  m.device = test::make_leaf(m.intermediate, leaf);
  return m;
}

}  // namespace dps::itest
