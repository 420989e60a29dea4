#include "store/postgres/provisioning_record_table.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "store/column_codec.hpp"
#include "store/conflicts.hpp"
#include "store/record_merge_sql.hpp"

namespace dps::store::postgres::provisioning_record_table {

namespace {

// The merge rules of ProvisioningRecord (record_merge_sql.hpp). One statement per update, so
// concurrent replicas cannot interleave a read-modify-write: ON CONFLICT locks the row, and under
// READ COMMITTED the SET sees the latest committed version of it.
constexpr std::string_view kMerge = kRecordMergeSql;
constexpr std::string_view kConflict = kRecordConflictSql;

// The filter in two forms, as sqlite/provisioning_record_table.cpp: one owner's records with no
// list set, walked on (owner, id) or (owner, creation_date DESC, id) in the order asked and stopped
// at the limit (a prepared statement's generic plan cannot use them for `$1 IS NULL OR
// owner = $1`); and the general one for lists or every owner. $1 owner scope
// (Params::owner_scope: NULL = every owner); $2 ids, $3 device ids, $4 enrollment group ids:
// text[] or NULL (Params::text_array_or_null). Set lists are OR-ed; none set = every record of the
// owner. $5 the most rows listed (NULL = no limit: LIMIT NULL is LIMIT ALL).
constexpr std::string_view kWhereOwner = R"sql(
WHERE owner = $1 AND $2 IS NULL AND $3 IS NULL AND $4 IS NULL
)sql";
constexpr std::string_view kWhere = R"sql(
WHERE ($1 IS NULL OR owner = $1)
  AND (($2 IS NULL AND $3 IS NULL AND $4 IS NULL)
    OR id = ANY($2) OR device_id = ANY($3) OR enrollment_group_id = ANY($4))
)sql";
constexpr std::string_view kById = "ORDER BY id LIMIT $5";
constexpr std::string_view kNewestFirst = "ORDER BY creation_date DESC, id LIMIT $5";

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

// A present section adds its JSON and its status date; an absent one two NULLs.
template <class Section>
void add_section(Params& p, const std::optional<Section>& section) {
  if (section) {
    p.text(codec::encode(*section)).int8(section->status.date);
  } else {
    p.null(Type::Text).null(Type::Int8);
  }
}

Params merge_params(const ProvisioningRecord& update, int64_t now) {
  Params p;
  p.text(update.id)
      .text(update.owner)
      .text(update.device_id)
      .text(update.enrollment_group_id)
      .text(update.individual_enrollment_id)
      .int8(update.creation_date != 0 ? update.creation_date : now)
      .text(codec::encode(update.local_endpoints));
  add_section(p, update.attestation);
  add_section(p, update.plgd_time);
  add_section(p, update.ownership);
  add_section(p, update.cloud);
  add_section(p, update.credential);
  add_section(p, update.acl);
  add_section(p, update.pre_configuration);
  return p;
}

template <class Section>
Result<void> read_section(const QueryResult& rows, int row, int column, std::string_view name,
                          std::optional<Section>& out) {
  if (rows.is_null(row, column)) return {};
  auto section = codec::decode<Section>(rows.text(row, column), name);
  if (!section) return tl::unexpected(section.error());
  out = std::move(*section);
  return {};
}

Params filter_params(const RecordFilter& filter) {
  Params p;
  p.owner_scope(filter.scope)
      .text_array_or_null(filter.ids)
      .text_array_or_null(filter.device_ids)
      .text_array_or_null(filter.enrollment_group_ids);
  return p;
}

Params list_params(const RecordFilter& filter) {
  Params p = filter_params(filter);
  constexpr auto kMaxLimit = static_cast<size_t>(std::numeric_limits<int64_t>::max());
  if (filter.limit == 0) {
    p.null(Type::Int8);
  } else {
    p.int8(static_cast<int64_t>(std::min(filter.limit, kMaxLimit)));
  }
  return p;
}

Result<ProvisioningRecord> read(const QueryResult& rows, int row) {
  ProvisioningRecord r;
  r.id = rows.text(row, 0);
  r.owner = rows.text(row, 1);
  r.device_id = rows.text(row, 2);
  r.enrollment_group_id = rows.text(row, 3);
  r.creation_date = rows.int8(row, 4);
  auto endpoints = codec::decode<std::vector<std::string>>(rows.text(row, 5), "local_endpoints");
  if (!endpoints) return tl::unexpected(endpoints.error());
  r.local_endpoints = std::move(*endpoints);
  Result<void> ok = read_section(rows, row, 6, "attestation", r.attestation);
  if (ok) ok = read_section(rows, row, 7, "plgd_time", r.plgd_time);
  if (ok) ok = read_section(rows, row, 8, "ownership", r.ownership);
  if (ok) ok = read_section(rows, row, 9, "cloud", r.cloud);
  if (ok) ok = read_section(rows, row, 10, "credential", r.credential);
  if (ok) ok = read_section(rows, row, 11, "acl", r.acl);
  if (!ok) return tl::unexpected(ok.error());
  r.individual_enrollment_id = rows.text(row, 12);
  if (auto pre = read_section(rows, row, 13, "pre_configuration", r.pre_configuration); !pre) {
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

Result<std::vector<Result<void>>> merge_all(Connection& db,
                                            std::span<const ProvisioningRecord> updates) {
  std::vector<Result<void>> outcomes;
  if (updates.empty()) return outcomes;
  const int64_t now = unix_nanos();
  std::vector<Params> batch;
  batch.reserve(updates.size());
  for (const ProvisioningRecord& update : updates) {
    if (update.id.empty() || update.owner.empty()) {
      return fail(ErrorCode::BadRequest, "provisioning record update without id or owner");
    }
    batch.push_back(merge_params(update, now));
  }
  auto affected = db.exec_batch_in_transaction(kMerge, batch);
  if (!affected) {
    // A unique violation here is two replicas taking the same device id at the same moment (the
    // merge's NOT EXISTS saw neither): nothing of the batch was applied, so every device retries
    // (5.03), and the retry gets its precise answer from the NOT EXISTS.
    if (affected.error().code == ErrorCode::Conflict) {
      return fail(ErrorCode::Unavailable,
                  "record batch lost a race for a device id: " + affected.error().internal,
                  "provisioning record store busy, retry");
    }
    return tl::unexpected(affected.error());
  }
  outcomes.reserve(updates.size());
  for (size_t i = 0; i < updates.size(); ++i) {
    if (i < affected->size() && (*affected)[i] > 0) {
      outcomes.emplace_back();
      continue;
    }
    // Refused (record_merge_sql.hpp): ask why, after the commit; only the message depends on it.
    const ProvisioningRecord& update = updates[i];
    auto why =
        db.exec(kConflict, Params().text(update.id).text(update.owner).text(update.device_id));
    if (!why) return tl::unexpected(why.error());
    outcomes.push_back(tl::unexpected(
        why->rows() == 1 ? record_conflict(update, why->text(0, 0), why->boolean(0, 1))
                         : record_conflict(update, "", false)));
  }
  return outcomes;
}

Result<std::vector<ProvisioningRecord>> list(Connection& db, const RecordFilter& filter) {
  auto rows = db.exec(list_sql(filter), list_params(filter));
  if (!rows) return tl::unexpected(rows.error());
  return collect<ProvisioningRecord>(*rows, read);
}

Result<size_t> remove(Connection& db, const RecordFilter& filter) {
  if (filter.limit != 0) return fail(ErrorCode::BadRequest, "a record delete takes no limit");
  auto deleted = db.exec(kDelete, filter_params(filter));
  if (!deleted) return tl::unexpected(deleted.error());
  return static_cast<size_t>(deleted->affected_rows());
}

}  // namespace dps::store::postgres::provisioning_record_table
