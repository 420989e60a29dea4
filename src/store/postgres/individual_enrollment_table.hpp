// The individual_enrollments table. Callers hold a pool lease.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "store/postgres/connection.hpp"
#include "store/store.hpp"

namespace dps::store::postgres::individual_enrollment_table {

/// Inserts every one of them in ONE transaction of its own (all or nothing), a few hundred rows
/// per statement: a batch of 10,000 costs tens of round trips, not 10,000. Conflict
/// (individual_enrollment_conflict) when an id exists or a key is taken; the quota of
/// Store::create_individual_enrollments_within checked first (Store::kNoQuota: none).
[[nodiscard]] Result<void> insert_all(Connection& db,
                                      std::span<const IndividualEnrollment> enrollments,
                                      size_t most_per_owner);
/// @return false when no row has both the id and the owner of `enrollment`. Conflict when the new
///         key is another enrollment's.
[[nodiscard]] Result<bool> update(Connection& db, const IndividualEnrollment& enrollment);
/// Ordered by id (byte order), one page when the filter asks for one.
[[nodiscard]] Result<std::vector<IndividualEnrollment>> list(
    Connection& db, const IndividualEnrollmentFilter& filter);
/// Deletes the rows list() returns for the same filter (after_id and limit included).
/// @return the number of rows deleted.
[[nodiscard]] Result<size_t> remove(Connection& db, const IndividualEnrollmentFilter& filter);
/// The number of enrollments in `scope`: one row of individual_enrollment_counts for one owner,
/// the sum of its rows (one per owner) for every owner.
[[nodiscard]] Result<size_t> count(Connection& db, const OwnerScope& scope);
/// The ids of `owner`'s enrollments naming `hub_id` in hub_ids, ordered, at most `limit`.
[[nodiscard]] Result<std::vector<std::string>> naming_hub(Connection& db, const std::string& owner,
                                                          const std::string& hub_id, size_t limit);
/// The enrollment holding `public_key_sha256`, of any owner: one read of the unique key index.
[[nodiscard]] Result<std::optional<IndividualEnrollment>> find(
    Connection& db, const std::string& public_key_sha256);

}  // namespace dps::store::postgres::individual_enrollment_table
