// The individual_enrollments table. Callers hold the store's mutex and own the transaction.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "store/sqlite/statement.hpp"
#include "store/store.hpp"

namespace dps::store::sqlite::individual_enrollment_table {

/// The device side's lookup, `?1` the key hash: exposed so a test can check its query plan (a
/// search of the unique key index, never a scan).
inline constexpr std::string_view kFindByKeySql = R"sql(
SELECT id, owner, name, certificate_pem, public_key_sha256, hub_ids, template_id, disabled,
  tpm_endorsement_key
FROM individual_enrollments WHERE public_key_sha256 = ?1
)sql";

/// The quota check's count of one owner's enrollments, `?1` the owner: exposed so a test can check
/// its query plan (one search of individual_enrollment_counts' primary key; no row = 0). The
/// table is kept by triggers on individual_enrollments (migrations.cpp, migration 5).
inline constexpr std::string_view kCountOwnerSql =
    "SELECT count FROM individual_enrollment_counts WHERE owner = ?1";

/// Conflict (individual_enrollment_conflict) when the id exists or the key is taken. The
/// statement is prepared once and reused: a batch is one loop over it in the caller's transaction.
[[nodiscard]] Result<void> insert(Connection& db, const IndividualEnrollment& enrollment);
/// @return false when no row has both the id and the owner of `enrollment`. Conflict when the new
///         key is another enrollment's.
[[nodiscard]] Result<bool> update(Connection& db, const IndividualEnrollment& enrollment);
/// Ordered by id, one page when the filter asks for one.
[[nodiscard]] Result<std::vector<IndividualEnrollment>> list(
    Connection& db, const IndividualEnrollmentFilter& filter);
/// Deletes the rows list() returns for the same filter (after_id and limit included).
/// @return the number of rows deleted.
[[nodiscard]] Result<size_t> remove(Connection& db, const IndividualEnrollmentFilter& filter);
/// The number of enrollments in `scope`: one owner's is one row of individual_enrollment_counts,
/// every owner's the sum of that table's rows (one per owner, not per enrollment).
[[nodiscard]] Result<size_t> count(Connection& db, const OwnerScope& scope);
/// The ids of `owner`'s enrollments naming `hub_id` in hub_ids, ordered, at most `limit`.
[[nodiscard]] Result<std::vector<std::string>> naming_hub(Connection& db, const std::string& owner,
                                                          const std::string& hub_id, size_t limit);
/// The enrollment holding `public_key_sha256`, of any owner.
[[nodiscard]] Result<std::optional<IndividualEnrollment>> find(
    Connection& db, const std::string& public_key_sha256);

}  // namespace dps::store::sqlite::individual_enrollment_table
