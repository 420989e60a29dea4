// The enrollment_groups table. Callers hold a pool lease and own the transaction.
#pragma once

#include <cstddef>
#include <vector>

#include "common/result.hpp"
#include "store/postgres/connection.hpp"
#include "store/store.hpp"

namespace dps::store::postgres::enrollment_group_table {

/// Conflict (naming the id) when the id exists, whatever its owner.
[[nodiscard]] Result<void> insert(Connection& db, const EnrollmentGroup& group);
/// Inserts, or replaces every column (owner included) of the row with the same id.
[[nodiscard]] Result<void> upsert(Connection& db, const EnrollmentGroup& group);
/// @return false when no row has both the id and the owner of `group`.
[[nodiscard]] Result<bool> update(Connection& db, const EnrollmentGroup& group);
/// Ordered by id (byte order).
[[nodiscard]] Result<std::vector<EnrollmentGroup>> list(Connection& db,
                                                        const EnrollmentGroupFilter& filter);
/// The id and revision of every group whose revision is greater than `after`, in no order.
[[nodiscard]] Result<std::vector<GroupRevision>> revisions(Connection& db, int64_t after);
/// The number of groups in `scope`.
[[nodiscard]] Result<size_t> count(Connection& db, const OwnerScope& scope);
/// @return the number of rows deleted.
[[nodiscard]] Result<size_t> remove(Connection& db, const EnrollmentGroupFilter& filter);

}  // namespace dps::store::postgres::enrollment_group_table
