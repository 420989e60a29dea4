#include "store/sqlite/template_table.hpp"

#include <string>

#include "store/column_codec.hpp"
#include "store/sqlite/filter.hpp"

namespace dps::store::sqlite::template_table {

namespace {

// Parameter numbers are shared by insert and update so one bind function serves both.
constexpr std::string_view kInsert = R"sql(
INSERT INTO enrollment_templates (id, owner, name, access_control_list,
  identity_certificate_validity_seconds, token_lifetime_seconds, pre_configuration)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
)sql";

constexpr std::string_view kUpdate = R"sql(
UPDATE enrollment_templates SET name = ?3, access_control_list = ?4,
  identity_certificate_validity_seconds = ?5, token_lifetime_seconds = ?6, pre_configuration = ?7
WHERE id = ?1 AND owner = ?2
)sql";

// ?1 owner scope (bind_owner_scope: NULL = every owner); ?2 ids: a JSON array or NULL (filter.hpp).
constexpr std::string_view kWhere = R"sql(
WHERE (?1 IS NULL OR owner = ?1) AND (?2 IS NULL OR id IN (SELECT value FROM json_each(?2)))
)sql";

const std::string kSelect = R"sql(
SELECT id, owner, name, access_control_list, identity_certificate_validity_seconds,
  token_lifetime_seconds, pre_configuration
FROM enrollment_templates)sql" +
                            std::string(kWhere) + "ORDER BY id";

const std::string kDelete = "DELETE FROM enrollment_templates" + std::string(kWhere);

Result<void> write(Connection& db, std::string_view sql, const EnrollmentTemplate& t) {
  auto stmt = db.prepare(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, t.id);
  stmt->bind(2, t.owner);
  stmt->bind(3, t.name);
  stmt->bind(4, t.access_control_list_json);
  stmt->bind(5, t.identity_certificate_validity_seconds);
  stmt->bind(6, t.token_lifetime_seconds);
  stmt->bind(7, codec::encode(t.pre_configuration));
  return stmt->run();
}

void bind_filter(Statement& stmt, const TemplateFilter& filter) {
  bind_owner_scope(stmt, 1, filter.scope);
  bind_id_list(stmt, 2, filter.ids);
}

Result<EnrollmentTemplate> read(const Statement& row) {
  EnrollmentTemplate t;
  t.id = row.text(0);
  t.owner = row.text(1);
  t.name = row.text(2);
  t.access_control_list_json = row.text(3);
  t.identity_certificate_validity_seconds = row.integer(4);
  t.token_lifetime_seconds = row.integer(5);
  auto updates = codec::decode<std::vector<ResourceUpdate>>(
      row.text(6), "enrollment_templates.pre_configuration");
  if (!updates) return tl::unexpected(updates.error());
  t.pre_configuration = std::move(*updates);
  return t;
}

}  // namespace

Result<void> insert(Connection& db, const EnrollmentTemplate& t) {
  auto inserted = write(db, kInsert, t);
  if (!inserted && inserted.error().code == ErrorCode::Conflict) {
    return fail(ErrorCode::Conflict, "enrollment template " + t.id + " already exists");
  }
  return inserted;
}

Result<bool> update(Connection& db, const EnrollmentTemplate& t) {
  auto updated = write(db, kUpdate, t);
  if (!updated) return tl::unexpected(updated.error());
  return db.changes() > 0;
}

Result<std::vector<EnrollmentTemplate>> list(Connection& db, const TemplateFilter& filter) {
  return query<EnrollmentTemplate>(
      db, kSelect, [&](Statement& stmt) { bind_filter(stmt, filter); }, read);
}

Result<size_t> remove(Connection& db, const TemplateFilter& filter) {
  return execute(db, kDelete, [&](Statement& stmt) { bind_filter(stmt, filter); });
}

}  // namespace dps::store::sqlite::template_table
