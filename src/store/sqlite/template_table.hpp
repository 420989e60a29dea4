// The enrollment_templates table. Callers hold the store's mutex and own the transaction.
#pragma once

#include <cstddef>
#include <vector>

#include "common/result.hpp"
#include "store/sqlite/statement.hpp"
#include "store/store.hpp"

namespace dps::store::sqlite::template_table {

/// Conflict (naming the id) when the id exists, whatever its owner.
[[nodiscard]] Result<void> insert(Connection& db, const EnrollmentTemplate& t);
/// @return false when no row has both the id and the owner of `t`.
[[nodiscard]] Result<bool> update(Connection& db, const EnrollmentTemplate& t);
/// Ordered by id.
[[nodiscard]] Result<std::vector<EnrollmentTemplate>> list(Connection& db,
                                                           const TemplateFilter& filter);
/// @return the number of rows deleted.
[[nodiscard]] Result<size_t> remove(Connection& db, const TemplateFilter& filter);

}  // namespace dps::store::sqlite::template_table
