// Which Store the service runs on: SQLite in the data directory (the embedded default), or the
// PostgreSQL database every replica shares, with its LISTEN/NOTIFY change signal for the catalog.
#pragma once

#include <memory>

#include "common/result.hpp"
#include "config/config.hpp"
#include "provisioning/catalog_refresher.hpp"
#include "store/store.hpp"

namespace dps::app {

struct OpenedStore {
  std::unique_ptr<store::Store> store;
  /// Announces configuration changes made by any replica; null for SQLite (polling only).
  std::unique_ptr<provisioning::ChangeSignal> changes;
};

/// Errors name the config key (clients.storage.*) and never contain the PostgreSQL URI.
[[nodiscard]] Result<OpenedStore> open_store(const config::Config& config);

}  // namespace dps::app
