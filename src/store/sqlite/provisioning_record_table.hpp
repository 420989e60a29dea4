// The provisioning_records table. Callers hold the store's mutex and own the transaction.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "store/sqlite/statement.hpp"
#include "store/store.hpp"

namespace dps::store::sqlite::provisioning_record_table {

/// Inserts the record or merges the update into the stored one, entirely in SQL
/// (record_merge_sql.hpp): each present section replaces the stored one unless the stored one is
/// newer (status.date), non-empty scalar fields and local endpoints replace the stored ones,
/// creation_date is written on insert only (now, when the update carries 0).
/// @return Conflict (conflicts.hpp) when the merge refused the update's device id, which
///         then changed nothing; other errors fail the transaction.
[[nodiscard]] Result<void> merge(Connection& db, const ProvisioningRecord& update);
/// Ordered by id, or newest first; at most filter.limit rows (RecordFilter).
[[nodiscard]] Result<std::vector<ProvisioningRecord>> list(Connection& db,
                                                           const RecordFilter& filter);
/// The SELECT list() runs for `filter` (its parameters bound by list()): tests read its plan.
const std::string& list_sql(const RecordFilter& filter);
/// @return the number of rows deleted; BadRequest for a filter with a limit.
[[nodiscard]] Result<size_t> remove(Connection& db, const RecordFilter& filter);

}  // namespace dps::store::sqlite::provisioning_record_table
