// The provisioning_records table. Callers hold a pool lease.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "store/postgres/connection.hpp"
#include "store/store.hpp"

namespace dps::store::postgres::provisioning_record_table {

/// Merges every update, in order, in ONE transaction sent as one pipeline (one round trip):
/// each inserts the record or merges into the stored one entirely in SQL (record_merge_sql.hpp).
/// Each present section replaces the stored one unless the stored one is newer (status.date);
/// non-empty scalar fields and local endpoints replace the stored ones; creation_date is written
/// on insert only (now, when the update carries 0). BadRequest before touching the database if an
/// update has no id or owner. Owns its transaction: the caller must not have one open.
/// @return one outcome per update (Conflict for one the merge refused: conflicts.hpp), or an
///         error for the whole batch, which then applied nothing.
[[nodiscard]] Result<std::vector<Result<void>>> merge_all(
    Connection& db, std::span<const ProvisioningRecord> updates);
/// Ordered by id (byte order), or newest first; at most filter.limit rows (RecordFilter).
[[nodiscard]] Result<std::vector<ProvisioningRecord>> list(Connection& db,
                                                           const RecordFilter& filter);
/// The SELECT list() runs for `filter`: $1 owner, $2-$4 the id lists (text[]), $5 the limit
/// (bigint). Tests read its plan.
const std::string& list_sql(const RecordFilter& filter);
/// @return the number of rows deleted; BadRequest for a filter with a limit.
[[nodiscard]] Result<size_t> remove(Connection& db, const RecordFilter& filter);

}  // namespace dps::store::postgres::provisioning_record_table
