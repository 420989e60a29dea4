#include "store/sqlite/enrollment_group_table.hpp"

#include <string>

#include "store/column_codec.hpp"
#include "store/sqlite/filter.hpp"

namespace dps::store::sqlite::enrollment_group_table {

namespace {

// Parameter numbers are shared by insert, upsert and update so one bind function serves all.
constexpr std::string_view kInsert = R"sql(
INSERT INTO enrollment_groups (id, owner, name, certificate_chain, lead_certificate_name,
  expired_certificate_enabled, hub_ids, pre_shared_key, disabled, revoked_certificates, crl)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
)sql";

constexpr std::string_view kUpsert = R"sql(
INSERT INTO enrollment_groups (id, owner, name, certificate_chain, lead_certificate_name,
  expired_certificate_enabled, hub_ids, pre_shared_key, disabled, revoked_certificates, crl)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
ON CONFLICT (id) DO UPDATE SET
  owner = excluded.owner, name = excluded.name, certificate_chain = excluded.certificate_chain,
  lead_certificate_name = excluded.lead_certificate_name,
  expired_certificate_enabled = excluded.expired_certificate_enabled,
  hub_ids = excluded.hub_ids, pre_shared_key = excluded.pre_shared_key,
  disabled = excluded.disabled, revoked_certificates = excluded.revoked_certificates,
  crl = excluded.crl
)sql";

constexpr std::string_view kUpdate = R"sql(
UPDATE enrollment_groups SET name = ?3, certificate_chain = ?4, lead_certificate_name = ?5,
  expired_certificate_enabled = ?6, hub_ids = ?7, pre_shared_key = ?8, disabled = ?9,
  revoked_certificates = ?10, crl = ?11
WHERE id = ?1 AND owner = ?2
)sql";

// ?1 owner ('' = all owners); ?2 ids, ?3 lead certificate names, ?4 hub ids: JSON arrays or NULL
// (filter.hpp). Set lists are OR-ed; none set = every group of the owner.
constexpr std::string_view kWhere = R"sql(
WHERE (?1 = '' OR owner = ?1)
  AND ((?2 IS NULL AND ?3 IS NULL AND ?4 IS NULL)
    OR id IN (SELECT value FROM json_each(?2))
    OR lead_certificate_name IN (SELECT value FROM json_each(?3))
    OR EXISTS (SELECT 1 FROM json_each(enrollment_groups.hub_ids) AS hub
               WHERE hub.value IN (SELECT value FROM json_each(?4))))
)sql";

const std::string kSelect = R"sql(
SELECT id, owner, name, certificate_chain, lead_certificate_name, expired_certificate_enabled,
  hub_ids, pre_shared_key, disabled, revoked_certificates, crl
FROM enrollment_groups)sql" +
                            std::string(kWhere) + "ORDER BY id";

const std::string kDelete = "DELETE FROM enrollment_groups" + std::string(kWhere);

Result<void> write(Connection& db, std::string_view sql, const EnrollmentGroup& g) {
  auto stmt = db.prepare(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, g.id);
  stmt->bind(2, g.owner);
  stmt->bind(3, g.name);
  stmt->bind(4, g.x509.certificate_chain);
  stmt->bind(5, g.x509.lead_certificate_name);
  stmt->bind(6, int64_t{g.x509.expired_certificate_enabled});
  stmt->bind(7, codec::encode(g.hub_ids));
  stmt->bind_blob(8, g.pre_shared_key);  // raw bytes: a BLOB keeps them exact
  stmt->bind(9, int64_t{g.disabled});
  stmt->bind(10, codec::encode(g.revoked_certificates));
  stmt->bind(11, g.crl);
  return stmt->run();
}

void bind_filter(Statement& stmt, const EnrollmentGroupFilter& filter) {
  stmt.bind(1, filter.owner);
  bind_id_list(stmt, 2, filter.ids);
  bind_id_list(stmt, 3, filter.lead_certificate_names);
  bind_id_list(stmt, 4, filter.hub_ids);
}

Result<EnrollmentGroup> read(const Statement& row) {
  EnrollmentGroup g;
  g.id = row.text(0);
  g.owner = row.text(1);
  g.name = row.text(2);
  g.x509.certificate_chain = row.text(3);
  g.x509.lead_certificate_name = row.text(4);
  g.x509.expired_certificate_enabled = row.integer(5) != 0;
  auto hub_ids = codec::decode<std::vector<std::string>>(row.text(6), "enrollment_groups.hub_ids");
  if (!hub_ids) return tl::unexpected(hub_ids.error());
  g.hub_ids = std::move(*hub_ids);
  g.pre_shared_key = row.blob(7);
  g.disabled = row.integer(8) != 0;
  auto revoked = codec::decode<std::vector<std::string>>(row.text(9),
                                                         "enrollment_groups.revoked_certificates");
  if (!revoked) return tl::unexpected(revoked.error());
  g.revoked_certificates = std::move(*revoked);
  g.crl = row.text(10);
  return g;
}

}  // namespace

Result<void> insert(Connection& db, const EnrollmentGroup& group) {
  auto inserted = write(db, kInsert, group);
  if (!inserted && inserted.error().code == ErrorCode::Conflict) {
    return fail(ErrorCode::Conflict, "enrollment group " + group.id + " already exists");
  }
  return inserted;
}

Result<void> upsert(Connection& db, const EnrollmentGroup& group) {
  return write(db, kUpsert, group);
}

Result<bool> update(Connection& db, const EnrollmentGroup& group) {
  auto updated = write(db, kUpdate, group);
  if (!updated) return tl::unexpected(updated.error());
  return db.changes() > 0;
}

Result<std::vector<EnrollmentGroup>> list(Connection& db, const EnrollmentGroupFilter& filter) {
  return query<EnrollmentGroup>(
      db, kSelect, [&](Statement& stmt) { bind_filter(stmt, filter); }, read);
}

Result<size_t> remove(Connection& db, const EnrollmentGroupFilter& filter) {
  return execute(db, kDelete, [&](Statement& stmt) { bind_filter(stmt, filter); });
}

}  // namespace dps::store::sqlite::enrollment_group_table
