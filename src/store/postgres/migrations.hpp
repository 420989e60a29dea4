// Versioned schema migrations for the PostgreSQL adapter. The schema changes only through this
// list: never edit a released migration, append a new one.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "common/result.hpp"
#include "store/postgres/connection.hpp"

namespace dps::store::postgres {

struct Migration {
  int version;  // row in schema_migrations once applied; 1, 2, 3, ... without gaps
  std::string_view name;
  std::string_view sql;
};

/// Key of the transaction-level advisory lock every migrate() takes first ("dpsmigr" in ASCII).
/// Replicas of dps starting at once against a fresh database queue on it, so exactly one of them
/// applies the migrations and the others find them done.
inline constexpr int64_t kMigrationLockKey = 0x6470736d696772;

/// Every migration, oldest first.
std::span<const Migration> migrations();

/// The version the database is at once migrate() succeeded.
int latest_schema_version();

/// Brings the database to latest_schema_version() in ONE transaction under kMigrationLockKey: a
/// failure leaves the previous version intact, and concurrent callers serialise. Creates the
/// `schema_migrations` table (version, name, applied_at) on first use. Idempotent: an up-to-date
/// database only costs the lock and one read. Fails Internal on a database migrated by a newer
/// dps, rather than guessing at its schema.
[[nodiscard]] Result<void> migrate(Connection& connection);

}  // namespace dps::store::postgres
