#include "app/service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/signal_set.hpp>

#include "api/management_api.hpp"
#include "app/periodic_task.hpp"
#include "app/store_factory.hpp"
#include "app/store_seeding.hpp"
#include "auth/admin_token.hpp"
#include "auth/composite_key_provider.hpp"
#include "auth/embedded_token_minter.hpp"
#include "auth/jwt_verifier.hpp"
#include "auth/oidc_key_provider.hpp"
#include "auth/public_url.hpp"
#include "auth/revocation_list.hpp"
#include "common/private_file.hpp"
#include "http/api_tls.hpp"
#include "http/http_server.hpp"
#include "metrics/metrics.hpp"
#include "net/device_server.hpp"
#include "net/tls_context.hpp"
#include "pki/embedded_ca.hpp"
#include "pki/identity_trust.hpp"
#include "pki/pem.hpp"
#include "pki/server_identity.hpp"
#include "provisioning/catalog.hpp"
#include "provisioning/catalog_refresher.hpp"
#include "provisioning/hub_certificate_authorities.hpp"
#include "provisioning/hub_token_sources.hpp"
#include "provisioning/router.hpp"
#include "store/record_writer.hpp"

namespace dps::app {

// Declaration order is destruction order reversed, except for the record writer, which
// ~Service() drains first: then the listeners (no session left), then the store, which closes
// last; the metrics everyone records into outlive them all.
struct Service::Parts {
  std::unique_ptr<metrics::Metrics> metrics;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<store::RecordWriter> records;
  std::unique_ptr<pki::EmbeddedCa> ca;
  std::unique_ptr<auth::EmbeddedTokenMinter> tokens;      // hub tokens for devices
  std::unique_ptr<auth::EmbeddedTokenMinter> api_tokens;  // the admin token (another key)
  // Per-hub clients: before the catalog refresher, which prunes them, and the router, which uses
  // them (members are destroyed in reverse order).
  // Calls one owner's hubs may have in flight to their authorities and CAs: a bound below the
  // blocking pool's threads (net::DeviceServer), so no owner can hold them all.
  std::unique_ptr<KeyedConcurrencyLimit> outbound_calls;
  std::unique_ptr<provisioning::HubTokenSources> hub_tokens;
  std::unique_ptr<provisioning::HubCertificateAuthorities> hub_cas;
  std::unique_ptr<provisioning::CatalogRefresher> catalog;
  std::unique_ptr<provisioning::Router> router;
  std::unique_ptr<net::DeviceServer> devices;
  std::shared_ptr<auth::RevocationList> revoked_tokens;  // reads the store: declared after it
  std::unique_ptr<auth::JwtVerifier> verifier;
  std::unique_ptr<api::ManagementApi> api;
  std::unique_ptr<http::HttpServer> http;
  std::optional<std::filesystem::path> admin_token_file;
  /// Re-mints admin.token past half its life while dps runs; last, so it stops first.
  std::unique_ptr<PeriodicTask> admin_token_renewal;
};

namespace {

// Per call to a hub's OAuth2 authority or certificate authority (connecting included).
constexpr std::chrono::milliseconds kOutboundTimeout{5000};

// How often every replica re-reads the revoked token ids: a `dps revoke-token` (or a revocation
// by another replica) applies everywhere within this (docs/security.md).
constexpr std::chrono::seconds kRevocationReloadInterval{5};

template <class T>
Result<T> context(Result<T> result, std::string_view what) {
  if (!result) result.error().internal = std::string(what) + ": " + result.error().internal;
  return result;
}

// Tokens of the configured authorities, plus (unless disabled) dps's API key: its local admin
// token. Never the key of the hub tokens handed to devices (`minter` is another key), so no device
// token opens the management API, whatever claims a hub's settings put in it.
Result<std::shared_ptr<auth::KeyProvider>> api_keys(const config::Config& config,
                                                    const auth::EmbeddedTokenMinter* minter) {
  std::vector<std::shared_ptr<auth::KeyProvider>> providers;
  if (minter) {
    auto own = auth::admin_token_keys(*minter);
    if (!own) return tl::unexpected(own.error());
    providers.push_back(std::move(*own));
  }
  for (const auto& authority : config.http.authorities) {
    auth::OidcKeyProviderOptions options;
    options.authority = authority;
    auto provider = auth::OidcKeyProvider::start(options);
    if (!provider) return tl::unexpected(provider.error());
    providers.push_back(std::move(*provider));
  }
  if (providers.empty()) {
    spdlog::warn(
        "apis.http: adminToken is disabled and no authorization endpoint is configured: every "
        "management API call will be refused (401)");
  }
  return std::make_shared<auth::CompositeKeyProvider>(std::move(providers));
}

api::ManagementApiOptions management_api_options(const config::Config& config) {
  api::ManagementApiOptions options;
  options.api_tokens = ApiTokenNames{config.http.owner_claim, config.http.audience};
  options.require_proof_of_possession = config.http.require_proof_of_possession;
  const config::ApiQuotas& quotas = config.http.quotas;
  options.quotas = {quotas.enrollment_groups,
                    quotas.hubs,
                    quotas.revoked_certificates_per_group,
                    quotas.verification_codes,
                    quotas.groups_per_lead_name,
                    quotas.individual_enrollments,
                    quotas.templates};
  if (!config.source_file.empty()) {
    options.config_file.file = config.source_file;
    for (const auto& group : config.enrollment_groups) {
      options.config_file.enrollment_group_ids.push_back(group.id);
    }
    for (const auto& hub : config.hubs) options.config_file.hub_ids.push_back(hub.id);
  }
  return options;
}

Result<void> start_http(const config::Config& config, const pki::TlsIdentity& identity,
                        Service::Parts& parts);

// A still-valid admin token that admin.token no longer holds (another owner, a shorter validity,
// renewal) is revoked: a copy taken earlier must not outlive the file.
Result<void> revoke_replaced_admin_token(const auth::AdminTokenFile& file, Service::Parts& parts) {
  if (!file.replaced) return {};
  if (auto done = parts.store->revoke_token(file.replaced->jti, file.replaced->expires_at); !done) {
    return fail(done.error().code, "apis.http.adminToken: revoking the replaced admin token: " +
                                       done.error().internal);
  }
  if (parts.revoked_tokens) parts.revoked_tokens->add(file.replaced->jti);
  spdlog::info("admin token replaced; the previous one (jti {}) is revoked", file.replaced->jti);
  return {};
}

// load_or_create re-mints past half the token's life; checking 8 times per life renews it with at
// least 3/8 of the life left, and at most hourly keeps a week-long token's checks rare.
std::chrono::milliseconds admin_token_check_interval(std::chrono::seconds validity) {
  const auto eighth = std::chrono::duration_cast<std::chrono::milliseconds>(validity) / 8;
  return std::clamp<std::chrono::milliseconds>(eighth, std::chrono::milliseconds(250),
                                               std::chrono::hours(1));
}

// admin.token as `request` asks: kept while fresh, otherwise minted again with the replaced one
// revoked.
Result<void> renew_admin_token(const auth::AdminTokenRequest& request,
                               const std::filesystem::path& data_dir, Service::Parts& parts) {
  auto token = context(auth::load_or_create_admin_token(*parts.api_tokens, data_dir, request),
                       "apis.http.adminToken");
  if (!token) return tl::unexpected(token.error());
  return revoke_replaced_admin_token(*token, parts);
}

}  // namespace

Service::Service(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
Service::~Service() {
  // The record writer calls back into the device server's executors (a session's strand) when a
  // commit it holds completes. Stop the I/O, then let the writer commit what it holds (nothing
  // acknowledged is lost) and join while those executors still exist: destroying the device
  // server first left a commit in flight at SIGTERM touching a freed strand.
  stop();
  parts_->records.reset();
}

Result<std::unique_ptr<Service>> Service::start(const config::Config& config) {
  const std::filesystem::path data_dir = config.data_directory;
  // The data directory holds the CA key, the token-signing keys and admin.token: owner only.
  auto private_dir = ensure_private_directory(data_dir);
  if (!private_dir)
    return fail(ErrorCode::Internal, "dataDirectory " + private_dir.error().internal);
  if (*private_dir)
    spdlog::warn("dataDirectory {}: was readable by others; now 0700", data_dir.string());
  auto parts = std::make_unique<Parts>();
  parts->metrics = std::make_unique<metrics::Metrics>();

  auto opened = open_store(config);
  if (!opened) return tl::unexpected(opened.error());
  parts->store = std::move(opened->store);
  if (auto seeded = seed_store(*parts->store, config); !seeded) {
    return fail(ErrorCode::Internal, "enrollmentGroups: " + seeded.error().internal);
  }
  auto backfilled = backfill_trust_paths(*parts->store);
  if (!backfilled)
    return fail(ErrorCode::Internal, "enrollment groups: " + backfilled.error().internal);
  if (*backfilled > 0) spdlog::info("trust paths stored for {} enrollment group(s)", *backfilled);
  store::RecordWriterOptions writer_options;
  writer_options.metrics = parts->metrics.get();
  parts->records = std::make_unique<store::RecordWriter>(*parts->store, writer_options);

  pki::EmbeddedCaOptions ca_options;
  ca_options.data_dir = data_dir;
  ca_options.cert_file = config.certificate_authority.signer.cert_file;
  ca_options.key_file = config.certificate_authority.signer.key_file;
  ca_options.identity_validity = config.certificate_authority.identity_validity;
  auto ca = context(pki::EmbeddedCa::load_or_create(ca_options), "certificateAuthority");
  if (!ca) return tl::unexpected(ca.error());
  parts->ca = std::move(*ca);

  auto identity =
      context(pki::load_or_create_server_identity(*parts->ca, data_dir, config.coap.tls.cert_file,
                                                  config.coap.tls.key_file),
              "apis.coap.tls");
  if (!identity) return tl::unexpected(identity.error());

  auto tokens = context(auth::EmbeddedTokenMinter::load_or_create(
                            data_dir, config.tokens.issuer.empty() ? "dps" : config.tokens.issuer,
                            config.tokens.validity),
                        "tokens");
  if (!tokens) return tl::unexpected(tokens.error());
  parts->tokens = std::move(*tokens);

  // Also picks up changes other replicas make in a shared database.
  provisioning::CatalogRefresherOptions catalog_options;
  catalog_options.metrics = parts->metrics.get();
  parts->outbound_calls =
      std::make_unique<KeyedConcurrencyLimit>(net::DeviceServer::kOutboundCallsPerOwner);
  parts->hub_tokens = std::make_unique<provisioning::HubTokenSources>(
      parts->metrics.get(), kOutboundTimeout, parts->outbound_calls.get());
  parts->hub_cas = std::make_unique<provisioning::HubCertificateAuthorities>(
      parts->metrics.get(), kOutboundTimeout, parts->outbound_calls.get());
  catalog_options.on_loaded = [tokens = parts->hub_tokens.get(),
                               cas = parts->hub_cas.get()](const provisioning::Catalog& loaded) {
    const auto hubs = loaded.hub_record_ids();
    tokens->retain(hubs);
    cas->retain(hubs);
  };
  auto catalog = context(provisioning::CatalogRefresher::start(*parts->store, catalog_options,
                                                               std::move(opened->changes)),
                         "configuration");
  if (!catalog) return tl::unexpected(catalog.error());
  parts->catalog = std::move(*catalog);
  spdlog::info("{} enrollment group(s) loaded", parts->catalog->catalogs().get()->group_count());
  parts->router = std::make_unique<provisioning::Router>(provisioning::Services{
      parts->ca.get(), parts->tokens.get(), pki::certificate_uuid(identity->cert_chain_pem),
      parts->hub_tokens.get(), parts->hub_cas.get()});

  // Devices that come back with the identity certificate dps's CA issued them.
  auto identities =
      context(pki::IdentityTrust::create(parts->ca->intermediates_pem() + parts->ca->root_pem()),
              "certificateAuthority");
  if (!identities) return tl::unexpected(identities.error());
  const net::ServerTlsIdentity server_identity{identity->cert_chain_pem, identity->key_pem};
  auto tls = net::make_device_tls_context(server_identity, parts->catalog->catalogs(), *identities,
                                          config.coap.client_certificate_required);
  if (!tls) return tl::unexpected(tls.error());

  net::SessionDependencies deps;
  deps.tls = std::move(*tls);
  if (config.coap.udp) {
    // CoAP over DTLS: the same identity, enrollment matching and certificate rule as over TLS.
    auto dtls = net::make_device_dtls_context(server_identity, parts->catalog->catalogs(),
                                              *identities, config.coap.client_certificate_required);
    if (!dtls) return tl::unexpected(dtls.error());
    deps.dtls = std::move(*dtls);
  }
  deps.conversation.router = parts->router.get();
  deps.conversation.catalogs = &parts->catalog->catalogs();
  deps.conversation.records = parts->records.get();
  deps.conversation.enrollments = parts->store.get();
  deps.conversation.metrics = parts->metrics.get();
  deps.options.max_message_size = config.coap.max_message_size;
  deps.options.handshake_timeout = config.coap.handshake_timeout;
  deps.options.inactivity_timeout = config.coap.inactivity_timeout;
  deps.options.max_messages = config.coap.max_requests_per_session;
  deps.options.disconnect_on_expired_certificate = config.coap.disconnect_on_expired_certificate;
  net::DeviceServerOptions server_options;
  server_options.address = config.coap.address;
  server_options.tcp = config.coap.tcp;
  server_options.udp = config.coap.udp;
  server_options.workers = config.workers;
  server_options.max_connections = config.coap.max_connections;
  server_options.per_source = {static_cast<double>(config.coap.connection_rate_per_source),
                               static_cast<double>(config.coap.connection_rate_burst)};
  auto devices =
      context(net::DeviceServer::create(server_options, std::move(deps)), "apis.coap.address");
  if (!devices) return tl::unexpected(devices.error());
  parts->devices = std::move(*devices);
  if (config.http.enabled) {
    if (config.http.admin_token.enabled) {
      auto api_tokens = context(
          auth::EmbeddedTokenMinter::load_or_create(data_dir, std::string(auth::kAdminTokenIssuer),
                                                    config.tokens.validity, auth::kApiTokenFiles),
          "apis.http.adminToken");
      if (!api_tokens) return tl::unexpected(api_tokens.error());
      parts->api_tokens = std::move(*api_tokens);
    }
    if (auto started = start_http(config, *identity, *parts); !started) {
      return tl::unexpected(started.error());
    }
    if (config.http.admin_token.enabled) {
      auth::AdminTokenRequest request;
      request.owner = config.http.admin_token.owner;
      request.owner_claim = config.http.owner_claim;
      request.audience = config.http.audience;
      request.validity = config.http.admin_token.validity;
      if (auto renewed = renew_admin_token(request, data_dir, *parts); !renewed) {
        return tl::unexpected(renewed.error());
      }
      parts->admin_token_file = data_dir / "admin.token";
      // A dps that runs longer than the token's life must not leave dpsctl with an expired one.
      Service::Parts* kept = parts.get();
      parts->admin_token_renewal = std::make_unique<PeriodicTask>(
          admin_token_check_interval(request.validity), [request, data_dir, kept] {
            if (auto renewed = renew_admin_token(request, data_dir, *kept); !renewed) {
              spdlog::error("admin token renewal failed (retried later): {}",
                            renewed.error().internal);
            }
          });
    }
  }
  return std::unique_ptr<Service>(new Service(std::move(parts)));
}

boost::asio::ip::tcp::endpoint Service::device_endpoint() const {
  return parts_->devices->local_endpoint();
}

std::optional<boost::asio::ip::udp::endpoint> Service::udp_endpoint() const {
  return parts_->devices->udp_endpoint();
}

void Service::stop_on_signals() {
  // Registering installs the handlers now: a signal that arrives before run() is queued, not
  // fatal (scripts stop dps right after its ready line).
  signals_ =
      std::make_unique<boost::asio::signal_set>(parts_->devices->io_context(), SIGINT, SIGTERM);
  signals_->async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: stopping (open device sessions get {} ms to finish)", signal,
                 kShutdownGrace.count());
    if (parts_->http) parts_->http->stop();
    parts_->devices->stop_gracefully(kShutdownGrace);
  });
}

void Service::run() { parts_->devices->run(); }

void Service::stop() {
  if (parts_->http) parts_->http->stop();
  parts_->devices->stop();
}

std::optional<std::filesystem::path> Service::admin_token_file() const {
  return parts_->admin_token_file;
}

std::optional<boost::asio::ip::tcp::endpoint> Service::api_endpoint() const {
  if (!parts_->http) return std::nullopt;
  return parts_->http->local_endpoint();
}

namespace {

// The API shares the device certificate unless it has its own.
Result<std::shared_ptr<boost::asio::ssl::context>> api_tls(const config::Config& config,
                                                           const pki::TlsIdentity& identity) {
  std::string cert_pem = identity.cert_chain_pem;
  std::string key_pem = identity.key_pem;
  if (!config.http.tls.cert_file.empty()) {
    auto cert = pki::read_file(config.http.tls.cert_file);
    if (!cert) return fail(ErrorCode::Internal, "apis.http.tls.certFile: " + cert.error().internal);
    auto key = pki::read_file(config.http.tls.key_file);
    if (!key) return fail(ErrorCode::Internal, "apis.http.tls.keyFile: " + key.error().internal);
    cert_pem = std::move(*cert);
    key_pem = std::move(*key);
  }
  return http::make_api_tls_context(
      cert_pem, key_pem,
      config.http.client_certificate_required ? config.http.client_ca_pool : std::string());
}

Result<void> start_http(const config::Config& config, const pki::TlsIdentity& identity,
                        Service::Parts& parts) {
  auto keys = context(api_keys(config, parts.api_tokens.get()), "apis.http.authorization");
  if (!keys) return tl::unexpected(keys.error());
  auth::JwtVerifierOptions verifier_options;
  verifier_options.owner_claim = config.http.owner_claim;
  verifier_options.audience = config.http.audience;
  store::Store& store = *parts.store;
  auto revoked = context(
      auth::RevocationList::start(
          [&store] {
            return store.revoked_tokens(std::chrono::duration_cast<std::chrono::seconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
          },
          kRevocationReloadInterval),
      "apis.http");
  if (!revoked) return tl::unexpected(revoked.error());
  parts.revoked_tokens = std::move(*revoked);
  parts.verifier =
      std::make_unique<auth::JwtVerifier>(verifier_options, std::move(*keys), parts.revoked_tokens);
  // A change made here governs the very next device connection (management-api.md, "Changes
  // take effect"); other replicas see it through the refresher's own checks.
  provisioning::CatalogRefresher& catalog = *parts.catalog;
  api::ManagementApiOptions api_options = management_api_options(config);
  // The same CA chain the device side recognises identity certificates by (start()).
  auto identities =
      context(pki::IdentityTrust::create(parts.ca->intermediates_pem() + parts.ca->root_pem()),
              "certificateAuthority");
  if (!identities) return tl::unexpected(identities.error());
  api_options.identity_certificates = std::move(*identities);
  parts.api = std::make_unique<api::ManagementApi>(
      store, [&catalog] { catalog.refresh_now(); }, std::move(api_options));

  std::shared_ptr<boost::asio::ssl::context> tls;
  if (config.http.tls_enabled) {
    auto made = api_tls(config, identity);
    if (!made) return tl::unexpected(made.error());
    tls = std::move(*made);
  } else {
    spdlog::warn(
        "apis.http.tls.enabled is false: the management API is plain HTTP, bearer tokens cross "
        "the network in clear text");
  }

  http::HttpEndpoints endpoints;
  endpoints.api = parts.api.get();
  endpoints.verifier = parts.verifier.get();
  endpoints.issuer = parts.tokens->issuer();
  auto public_url =
      context(auth::public_base_url(config.http.public_url, config.http.address, tls != nullptr),
              "apis.http.publicUrl");
  if (!public_url) return tl::unexpected(public_url.error());
  endpoints.public_url = std::move(*public_url);
  auth::EmbeddedTokenMinter* minter = parts.tokens.get();
  endpoints.jwks_json = [minter] { return minter->jwks_json(); };
  endpoints.ready = [&store] { return store.configuration_version().has_value(); };
  endpoints.metrics = parts.metrics.get();
  endpoints.console.enabled = config.http.console_enabled;
  if (!config.http.authorities.empty()) {
    endpoints.console.oidc_authority = config.http.authorities.front();
    endpoints.console.oidc_client_id = config.http.console_oidc_client_id;
    endpoints.console.oidc_scopes = config.http.console_oidc_scopes;
  }
  http::HttpServerOptions options;
  options.address = config.http.address;
  options.max_body_size = config.http.max_body_size;
  options.per_token = {static_cast<double>(config.http.rate_per_token),
                       static_cast<double>(config.http.rate_burst)};
  options.max_connections = config.http.max_connections;
  options.per_source = {static_cast<double>(config.http.connection_rate_per_source),
                        static_cast<double>(config.http.connection_rate_burst)};
  options.handshake_timeout = config.http.handshake_timeout;
  options.auth_failures = {config.http.auth_failures_per_source, config.http.auth_failure_window};
  auto server = context(http::HttpServer::create(options, std::move(tls), std::move(endpoints)),
                        "apis.http.address");
  if (!server) return tl::unexpected(server.error());
  parts.http = std::move(*server);
  parts.http->start();
  return {};
}

}  // namespace

}  // namespace dps::app
