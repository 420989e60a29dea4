// The hubs table. Callers hold a pool lease and own the transaction.
#pragma once

#include <cstddef>
#include <vector>

#include "common/result.hpp"
#include "store/postgres/connection.hpp"
#include "store/store.hpp"

namespace dps::store::postgres::hub_table {

/// Conflict (naming the id) when the id exists, whatever its owner.
[[nodiscard]] Result<void> insert(Connection& db, const Hub& hub);
/// Inserts, or replaces every column (owner included) of the row with the same id.
[[nodiscard]] Result<void> upsert(Connection& db, const Hub& hub);
/// @return false when no row has both the id and the owner of `hub`.
[[nodiscard]] Result<bool> update(Connection& db, const Hub& hub);
/// Ordered by id (byte order).
[[nodiscard]] Result<std::vector<Hub>> list(Connection& db, const HubFilter& filter);
/// @return the number of rows deleted.
[[nodiscard]] Result<size_t> remove(Connection& db, const HubFilter& filter);

}  // namespace dps::store::postgres::hub_table
