#include "store/sqlite/provisioning_record_table.hpp"

#include <optional>
#include <string>

#include "common/clock.hpp"
#include "store/column_codec.hpp"
#include "store/sqlite/filter.hpp"

namespace dps::store::sqlite::provisioning_record_table {

namespace {

// The merge rules of ProvisioningRecord, in SQL so that concurrent writers (other processes, or
// PostgreSQL replicas later: the statement is portable) cannot interleave a read-modify-write.
// In SET, `r.` columns are the stored row's values *before* the update, so each section's JSON
// and its date column are decided by the same comparison.
// - A section is absent in the update when its JSON parameter is NULL; present sections replace
//   the stored one unless the stored one is strictly newer (equal dates apply: a retried step).
// - Scalars and local endpoints replace only when the update carries a value ('' / '[]' = keep).
// - creation_date is only written by the INSERT branch.
constexpr std::string_view kMerge = R"sql(
INSERT INTO provisioning_records AS r (id, owner, device_id, enrollment_group_id, creation_date,
  local_endpoints, attestation, attestation_date, plgd_time, plgd_time_date, ownership,
  ownership_date, cloud, cloud_date, credential, credential_date, acl, acl_date)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
ON CONFLICT (id) DO UPDATE SET
  owner = CASE WHEN excluded.owner <> '' THEN excluded.owner ELSE r.owner END,
  device_id = CASE WHEN excluded.device_id <> '' THEN excluded.device_id ELSE r.device_id END,
  enrollment_group_id = CASE WHEN excluded.enrollment_group_id <> ''
    THEN excluded.enrollment_group_id ELSE r.enrollment_group_id END,
  local_endpoints = CASE WHEN excluded.local_endpoints <> '[]'
    THEN excluded.local_endpoints ELSE r.local_endpoints END,
  attestation = CASE WHEN excluded.attestation IS NOT NULL
      AND (r.attestation_date IS NULL OR excluded.attestation_date >= r.attestation_date)
    THEN excluded.attestation ELSE r.attestation END,
  attestation_date = CASE WHEN excluded.attestation IS NOT NULL
      AND (r.attestation_date IS NULL OR excluded.attestation_date >= r.attestation_date)
    THEN excluded.attestation_date ELSE r.attestation_date END,
  plgd_time = CASE WHEN excluded.plgd_time IS NOT NULL
      AND (r.plgd_time_date IS NULL OR excluded.plgd_time_date >= r.plgd_time_date)
    THEN excluded.plgd_time ELSE r.plgd_time END,
  plgd_time_date = CASE WHEN excluded.plgd_time IS NOT NULL
      AND (r.plgd_time_date IS NULL OR excluded.plgd_time_date >= r.plgd_time_date)
    THEN excluded.plgd_time_date ELSE r.plgd_time_date END,
  ownership = CASE WHEN excluded.ownership IS NOT NULL
      AND (r.ownership_date IS NULL OR excluded.ownership_date >= r.ownership_date)
    THEN excluded.ownership ELSE r.ownership END,
  ownership_date = CASE WHEN excluded.ownership IS NOT NULL
      AND (r.ownership_date IS NULL OR excluded.ownership_date >= r.ownership_date)
    THEN excluded.ownership_date ELSE r.ownership_date END,
  cloud = CASE WHEN excluded.cloud IS NOT NULL
      AND (r.cloud_date IS NULL OR excluded.cloud_date >= r.cloud_date)
    THEN excluded.cloud ELSE r.cloud END,
  cloud_date = CASE WHEN excluded.cloud IS NOT NULL
      AND (r.cloud_date IS NULL OR excluded.cloud_date >= r.cloud_date)
    THEN excluded.cloud_date ELSE r.cloud_date END,
  credential = CASE WHEN excluded.credential IS NOT NULL
      AND (r.credential_date IS NULL OR excluded.credential_date >= r.credential_date)
    THEN excluded.credential ELSE r.credential END,
  credential_date = CASE WHEN excluded.credential IS NOT NULL
      AND (r.credential_date IS NULL OR excluded.credential_date >= r.credential_date)
    THEN excluded.credential_date ELSE r.credential_date END,
  acl = CASE WHEN excluded.acl IS NOT NULL
      AND (r.acl_date IS NULL OR excluded.acl_date >= r.acl_date)
    THEN excluded.acl ELSE r.acl END,
  acl_date = CASE WHEN excluded.acl IS NOT NULL
      AND (r.acl_date IS NULL OR excluded.acl_date >= r.acl_date)
    THEN excluded.acl_date ELSE r.acl_date END
)sql";

// ?1 owner ('' = all owners); ?2 ids, ?3 device ids, ?4 enrollment group ids: JSON arrays or NULL
// (filter.hpp). Set lists are OR-ed; none set = every record of the owner.
constexpr std::string_view kWhere = R"sql(
WHERE (?1 = '' OR owner = ?1)
  AND ((?2 IS NULL AND ?3 IS NULL AND ?4 IS NULL)
    OR id IN (SELECT value FROM json_each(?2))
    OR device_id IN (SELECT value FROM json_each(?3))
    OR enrollment_group_id IN (SELECT value FROM json_each(?4)))
)sql";

const std::string kSelect = R"sql(
SELECT id, owner, device_id, enrollment_group_id, creation_date, local_endpoints,
  attestation, plgd_time, ownership, cloud, credential, acl
FROM provisioning_records)sql" +
                            std::string(kWhere) + "ORDER BY id";

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
  stmt.bind(1, filter.owner);
  bind_id_list(stmt, 2, filter.ids);
  bind_id_list(stmt, 3, filter.device_ids);
  bind_id_list(stmt, 4, filter.enrollment_group_ids);
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
  return r;
}

}  // namespace

Result<void> merge(Connection& db, const ProvisioningRecord& update) {
  if (update.id.empty()) {
    return fail(ErrorCode::BadRequest, "provisioning record update without id");
  }
  auto stmt = db.prepare(kMerge);
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, update.id);
  stmt->bind(2, update.owner);
  stmt->bind(3, update.device_id);
  stmt->bind(4, update.enrollment_group_id);
  stmt->bind(5, update.creation_date != 0 ? update.creation_date : unix_nanos());
  stmt->bind(6, codec::encode(update.local_endpoints));
  bind_section(*stmt, 7, update.attestation);
  bind_section(*stmt, 9, update.plgd_time);
  bind_section(*stmt, 11, update.ownership);
  bind_section(*stmt, 13, update.cloud);
  bind_section(*stmt, 15, update.credential);
  bind_section(*stmt, 17, update.acl);
  return stmt->run();
}

Result<std::vector<ProvisioningRecord>> list(Connection& db, const RecordFilter& filter) {
  return query<ProvisioningRecord>(
      db, kSelect, [&](Statement& stmt) { bind_filter(stmt, filter); }, read);
}

Result<size_t> remove(Connection& db, const RecordFilter& filter) {
  return execute(db, kDelete, [&](Statement& stmt) { bind_filter(stmt, filter); });
}

}  // namespace dps::store::sqlite::provisioning_record_table
