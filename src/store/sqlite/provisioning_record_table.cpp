#include "store/sqlite/provisioning_record_table.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "store/column_codec.hpp"
#include "store/conflicts.hpp"
#include "store/record_merge_sql.hpp"
#include "store/sqlite/filter.hpp"

namespace dps::store::sqlite::provisioning_record_table {

namespace {

// The merge rules of ProvisioningRecord (record_merge_sql.hpp), in SQL so that concurrent writers
// cannot interleave a read-modify-write. SQLite numbers `$NNN` parameters in order of first
// appearance, which is $1..$21 in this statement, so it binds by the same indexes.
constexpr std::string_view kMerge = kRecordMergeSql;
constexpr std::string_view kConflict = kRecordConflictSql;

// The filter in two forms: one owner's records with no list set, walked on an index in the
// order asked ((owner, id) for id order, (owner, creation_date DESC, id) for newest first), so a
// console page of the newest 10 of 100k records reads 10 rows, not 100k (a `?1 IS NULL OR` form
// would leave SQLite only a scan and a sort); and the general one for lists or every owner.
// ?1 owner scope (bind_owner_scope: NULL = every owner); ?2 ids, ?3 device ids, ?4 enrollment group
// ids: JSON arrays or NULL (filter.hpp). Set lists are OR-ed; none set = every record of the owner.
// ?5 the most rows listed (-1 = no limit). Every form names every parameter, so one bind
// function serves all.
constexpr std::string_view kWhereOwner = R"sql(
WHERE owner = ?1 AND ?2 IS NULL AND ?3 IS NULL AND ?4 IS NULL
)sql";
constexpr std::string_view kWhere = R"sql(
WHERE (?1 IS NULL OR owner = ?1)
  AND ((?2 IS NULL AND ?3 IS NULL AND ?4 IS NULL)
    OR id IN (SELECT value FROM json_each(?2))
    OR device_id IN (SELECT value FROM json_each(?3))
    OR enrollment_group_id IN (SELECT value FROM json_each(?4)))
)sql";
constexpr std::string_view kById = "ORDER BY id LIMIT ?5";
constexpr std::string_view kNewestFirst = "ORDER BY creation_date DESC, id LIMIT ?5";

constexpr std::string_view kColumns = R"sql(
SELECT id, owner, device_id, enrollment_group_id, creation_date, local_endpoints,
  attestation, plgd_time, ownership, cloud, credential, acl, individual_enrollment_id,
  pre_configuration
FROM provisioning_records)sql";

std::string select_sql(std::string_view where, std::string_view order) {
  return std::string(kColumns) + std::string(where) + std::string(order);
}

const std::string kSelectOwnerById = select_sql(kWhereOwner, kById);
const std::string kSelectOwnerNewestFirst = select_sql(kWhereOwner, kNewestFirst);
const std::string kSelectById = select_sql(kWhere, kById);
const std::string kSelectNewestFirst = select_sql(kWhere, kNewestFirst);

const std::string kDelete = "DELETE FROM provisioning_records" + std::string(kWhere);

// A present section binds its JSON at `index` and its status date at `index + 1`.
template <class Section>
void bind_section(Statement& stmt, int index, const std::optional<Section>& section) {
  if (section) {
    stmt.bind(index, codec::encode(*section));
    stmt.bind(index + 1, section->status.date);
  } else {
    stmt.bind_null(index);
    stmt.bind_null(index + 1);
  }
}

template <class Section>
Result<void> read_section(const Statement& row, int column, std::string_view name,
                          std::optional<Section>& out) {
  if (row.is_null(column)) return {};
  auto section = codec::decode<Section>(row.text(column), name);
  if (!section) return tl::unexpected(section.error());
  out = std::move(*section);
  return {};
}

void bind_filter(Statement& stmt, const RecordFilter& filter) {
  bind_owner_scope(stmt, 1, filter.scope);
  bind_id_list(stmt, 2, filter.ids);
  bind_id_list(stmt, 3, filter.device_ids);
  bind_id_list(stmt, 4, filter.enrollment_group_ids);
}

void bind_limit(Statement& stmt, const RecordFilter& filter) {
  constexpr auto kMaxLimit = static_cast<size_t>(std::numeric_limits<int64_t>::max());
  stmt.bind(
      5, filter.limit == 0 ? int64_t{-1} : static_cast<int64_t>(std::min(filter.limit, kMaxLimit)));
}

Result<ProvisioningRecord> read(const Statement& row) {
  ProvisioningRecord r;
  r.id = row.text(0);
  r.owner = row.text(1);
  r.device_id = row.text(2);
  r.enrollment_group_id = row.text(3);
  r.creation_date = row.integer(4);
  auto endpoints = codec::decode<std::vector<std::string>>(row.text(5), "local_endpoints");
  if (!endpoints) return tl::unexpected(endpoints.error());
  r.local_endpoints = std::move(*endpoints);
  Result<void> ok = read_section(row, 6, "attestation", r.attestation);
  if (ok) ok = read_section(row, 7, "plgd_time", r.plgd_time);
  if (ok) ok = read_section(row, 8, "ownership", r.ownership);
  if (ok) ok = read_section(row, 9, "cloud", r.cloud);
  if (ok) ok = read_section(row, 10, "credential", r.credential);
  if (ok) ok = read_section(row, 11, "acl", r.acl);
  if (!ok) return tl::unexpected(ok.error());
  r.individual_enrollment_id = row.text(12);
  if (auto pre = read_section(row, 13, "pre_configuration", r.pre_configuration); !pre) {
    return tl::unexpected(pre.error());
  }
  return r;
}

}  // namespace

const std::string& list_sql(const RecordFilter& filter) {
  const bool owner_only = !filter.scope.is_every_owner() && filter.ids.empty() &&
                          filter.device_ids.empty() && filter.enrollment_group_ids.empty();
  if (owner_only) return filter.newest_first ? kSelectOwnerNewestFirst : kSelectOwnerById;
  return filter.newest_first ? kSelectNewestFirst : kSelectById;
}

Result<void> merge(Connection& db, const ProvisioningRecord& update) {
  if (update.id.empty() || update.owner.empty()) {
    return fail(ErrorCode::BadRequest, "provisioning record update without id or owner");
  }
  auto stmt = db.prepare(kMerge);
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, update.id);
  stmt->bind(2, update.owner);
  stmt->bind(3, update.device_id);
  stmt->bind(4, update.enrollment_group_id);
  stmt->bind(5, update.individual_enrollment_id);
  stmt->bind(6, update.creation_date != 0 ? update.creation_date : unix_nanos());
  stmt->bind(7, codec::encode(update.local_endpoints));
  bind_section(*stmt, 8, update.attestation);
  bind_section(*stmt, 10, update.plgd_time);
  bind_section(*stmt, 12, update.ownership);
  bind_section(*stmt, 14, update.cloud);
  bind_section(*stmt, 16, update.credential);
  bind_section(*stmt, 18, update.acl);
  bind_section(*stmt, 20, update.pre_configuration);
  if (auto ran = stmt->run(); !ran) return ran;
  if (db.changes() > 0) return {};
  // Refused: say why (the rare path, so a second statement here costs nothing in the common one).
  auto why = db.prepare(kConflict);
  if (!why) return tl::unexpected(why.error());
  why->bind(1, update.id);
  why->bind(2, update.owner);
  why->bind(3, update.device_id);
  auto row = why->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return tl::unexpected(record_conflict(update, "", false));
  return tl::unexpected(record_conflict(update, why->text(0), why->integer(1) != 0));
}

Result<std::vector<ProvisioningRecord>> list(Connection& db, const RecordFilter& filter) {
  return query<ProvisioningRecord>(
      db, list_sql(filter),
      [&](Statement& stmt) {
        bind_filter(stmt, filter);
        bind_limit(stmt, filter);
      },
      read);
}

Result<size_t> remove(Connection& db, const RecordFilter& filter) {
  if (filter.limit != 0) return fail(ErrorCode::BadRequest, "a record delete takes no limit");
  return execute(db, kDelete, [&](Statement& stmt) { bind_filter(stmt, filter); });
}

}  // namespace dps::store::sqlite::provisioning_record_table
