#include "app/store_factory.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "store/postgres/connection_string.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace dps::app {
namespace {

// PostgresListener as the refresher's change signal.
class PostgresChangeSignal final : public provisioning::ChangeSignal {
 public:
  explicit PostgresChangeSignal(std::unique_ptr<store::PostgresListener> listener)
      : listener_(std::move(listener)) {}

  Outcome wait(std::chrono::milliseconds timeout) override {
    switch (listener_->wait(timeout)) {
      case store::PostgresListener::Event::Notified:
        return Outcome::kNotified;
      case store::PostgresListener::Event::Timeout:
        return Outcome::kTimeout;
      case store::PostgresListener::Event::Lost:
        break;
    }
    return Outcome::kLost;
  }

 private:
  std::unique_ptr<store::PostgresListener> listener_;
};

Result<OpenedStore> open_postgres(const config::Config& config) {
  store::PostgresOptions options;
  options.uri = config.storage.postgres.uri;
  options.max_connections = config.storage.postgres.max_connections;
  // Checked before connecting: a mistyped sslmode must stop dps, not surface as a retried outage.
  auto security = store::postgres::check_connection_string(options.uri);
  if (!security) {
    return fail(ErrorCode::BadRequest,
                "clients.storage.postgres.uri: " + security.error().internal);
  }
  if (!security->verifies_server) {
    spdlog::warn(
        "clients.storage.postgres.uri: sslmode={}: the database server is not "
        "authenticated; use sslmode=verify-full with sslrootcert unless it is on this host",
        security->sslmode.empty() ? "prefer (default)" : security->sslmode);
  }
  // Listening starts before the store's first read (the refresher's first load), so no change
  // committed in between goes unnoticed.
  auto listener = store::PostgresListener::open(options);
  if (!listener) {
    return fail(listener.error().code, "clients.storage.postgres: cannot listen for changes: " +
                                           listener.error().internal);
  }
  auto opened = store::PostgresStore::open(options);
  if (!opened) {
    return fail(opened.error().code, "clients.storage.postgres: " + opened.error().internal);
  }
  spdlog::info("store: PostgreSQL (shared by every replica, up to {} connection(s))",
               options.max_connections);
  return OpenedStore{std::move(*opened),
                     std::make_unique<PostgresChangeSignal>(std::move(*listener))};
}

Result<OpenedStore> open_sqlite(const config::Config& config) {
  const std::filesystem::path file = config.storage.sqlite_path.empty()
                                         ? std::filesystem::path(config.data_directory) / "dps.db"
                                         : std::filesystem::path(config.storage.sqlite_path);
  auto opened = store::SqliteStore::open(file);
  if (!opened) {
    return fail(opened.error().code, "clients.storage.sqlite.path: " + opened.error().internal);
  }
  spdlog::info("store: SQLite {}", file.string());
  return OpenedStore{std::move(*opened), nullptr};
}

}  // namespace

Result<OpenedStore> open_store(const config::Config& config) {
  if (!config.storage.postgres.uri.empty()) return open_postgres(config);
  return open_sqlite(config);
}

}  // namespace dps::app
