#include "app/service.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/signal_set.hpp>

#include "auth/embedded_token_minter.hpp"
#include "net/device_server.hpp"
#include "net/tls_context.hpp"
#include "pki/embedded_ca.hpp"
#include "pki/server_identity.hpp"
#include "provisioning/catalog.hpp"
#include "provisioning/router.hpp"
#include "store/record_writer.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace dps::app {

// Declaration order is destruction order reversed: the listener goes first (no session left),
// then the record writer drains into the store, which closes last.
struct Service::Parts {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<store::RecordWriter> records;
  std::unique_ptr<pki::EmbeddedCa> ca;
  std::unique_ptr<auth::EmbeddedTokenMinter> tokens;
  std::unique_ptr<provisioning::CatalogHolder> catalogs;
  std::unique_ptr<provisioning::Router> router;
  std::unique_ptr<net::DeviceServer> devices;
};

namespace {

template <class T>
Result<T> context(Result<T> result, std::string_view what) {
  if (!result) result.error().internal = std::string(what) + ": " + result.error().internal;
  return result;
}

Result<void> seed_store(store::Store& store, const config::Config& config) {
  // Hubs first: groups name them. Upsert, so editing the file and restarting updates them.
  if (auto r = store.upsert_hubs(config.hubs); !r) return r;
  return store.upsert_enrollment_groups(config.enrollment_groups);
}

}  // namespace

Service::Service(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
Service::~Service() = default;

Result<std::unique_ptr<Service>> Service::start(const config::Config& config) {
  const std::filesystem::path data_dir = config.data_directory;
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return fail(ErrorCode::Internal,
                "dataDirectory " + data_dir.string() + ": cannot create: " + ec.message());
  }
  auto parts = std::make_unique<Parts>();

  const std::filesystem::path db_path = config.storage.sqlite_path.empty()
                                            ? data_dir / "dps.db"
                                            : std::filesystem::path(config.storage.sqlite_path);
  auto sqlite = context(store::SqliteStore::open(db_path), "clients.storage.sqlite.path");
  if (!sqlite) return tl::unexpected(sqlite.error());
  parts->store = std::move(*sqlite);
  if (auto seeded = seed_store(*parts->store, config); !seeded) {
    return fail(ErrorCode::Internal, "enrollmentGroups: " + seeded.error().internal);
  }
  parts->records = std::make_unique<store::RecordWriter>(*parts->store);

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

  std::vector<std::string> skipped;
  auto catalog = provisioning::load_catalog(*parts->store, &skipped);
  if (!catalog) return tl::unexpected(catalog.error());
  for (const auto& why : skipped) spdlog::warn("{}: not loaded", why);
  spdlog::info("{} enrollment group(s) loaded", (*catalog)->group_count());
  parts->catalogs = std::make_unique<provisioning::CatalogHolder>(std::move(*catalog));
  parts->router = std::make_unique<provisioning::Router>(
      provisioning::Services{parts->ca.get(), parts->tokens.get()});

  auto tls =
      net::make_device_tls_context({identity->cert_chain_pem, identity->key_pem}, *parts->catalogs);
  if (!tls) return tl::unexpected(tls.error());

  net::SessionDependencies deps;
  deps.tls = std::move(*tls);
  deps.router = parts->router.get();
  deps.catalogs = parts->catalogs.get();
  deps.records = parts->records.get();
  deps.options.max_message_size = config.coap.max_message_size;
  deps.options.handshake_timeout = config.coap.handshake_timeout;
  deps.options.inactivity_timeout = config.coap.inactivity_timeout;
  net::DeviceServerOptions server_options;
  server_options.address = config.coap.address;
  server_options.workers = config.workers;
  server_options.max_connections = config.coap.max_connections;
  auto devices =
      context(net::DeviceServer::create(server_options, std::move(deps)), "apis.coap.address");
  if (!devices) return tl::unexpected(devices.error());
  parts->devices = std::move(*devices);
  return std::unique_ptr<Service>(new Service(std::move(parts)));
}

boost::asio::ip::tcp::endpoint Service::device_endpoint() const {
  return parts_->devices->local_endpoint();
}

void Service::run(bool handle_signals) {
  std::unique_ptr<boost::asio::signal_set> signals;
  if (handle_signals) {
    signals =
        std::make_unique<boost::asio::signal_set>(parts_->devices->io_context(), SIGINT, SIGTERM);
    signals->async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      spdlog::info("signal {}: stopping", signal);
      stop();
    });
  }
  parts_->devices->run();
}

void Service::stop() { parts_->devices->stop(); }

}  // namespace dps::app
