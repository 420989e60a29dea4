// Versioned schema migrations for the SQLite adapter. The schema changes only through this list:
// never edit a released migration, append a new one.
#pragma once

#include <span>
#include <string_view>

#include "common/result.hpp"
#include "store/sqlite/statement.hpp"

namespace dps::store::sqlite {

struct Migration {
  int version;  // PRAGMA user_version after the migration ran; 1, 2, 3, ... without gaps
  std::string_view name;
  std::string_view sql;
};

/// Every migration, oldest first.
std::span<const Migration> migrations();

/// The version the database is at once migrate() succeeded.
int latest_schema_version();

/// Brings the database to latest_schema_version() in ONE transaction, so a crash mid-way leaves
/// the previous version intact. Idempotent: an up-to-date database is left untouched. Fails
/// (Internal) on a database written by a newer dps, rather than guessing at its schema.
[[nodiscard]] Result<void> migrate(Connection& connection);

}  // namespace dps::store::sqlite
