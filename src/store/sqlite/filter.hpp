// Binding of the Store filters' id lists.
#pragma once

#include <string>
#include <vector>

#include "store/column_codec.hpp"
#include "store/owner_scope.hpp"
#include "store/sqlite/statement.hpp"

namespace dps::store::sqlite {

/// Binds an id list as ONE JSON-array parameter, which the WHERE clauses expand with
/// `IN (SELECT value FROM json_each(?n))`: a filter of any length then uses the same cached
/// statement (PostgreSQL spelling: `= ANY($n)`). An empty list binds NULL, which the WHERE clauses
/// read as "this filter is not set".
inline void bind_id_list(Statement& stmt, int index, const std::vector<std::string>& ids) {
  if (ids.empty()) {
    stmt.bind_null(index);
  } else {
    stmt.bind(index, codec::encode(ids));
  }
}

/// Binds an OwnerScope as ONE parameter, which the WHERE clauses read as
/// `(?n IS NULL OR owner = ?n)`: NULL for every owner, the owner otherwise (an empty owner then
/// matches no row: none has one).
inline void bind_owner_scope(Statement& stmt, int index, const OwnerScope& scope) {
  if (scope.is_every_owner()) {
    stmt.bind_null(index);
  } else {
    stmt.bind(index, scope.owner());
  }
}

}  // namespace dps::store::sqlite
