#include "store/postgres/template_table.hpp"

#include <string>

#include "store/column_codec.hpp"

namespace dps::store::postgres::template_table {

namespace {

// Parameter numbers are shared by insert and update so one parameter builder serves both.
constexpr std::string_view kInsert = R"sql(
INSERT INTO enrollment_templates (id, owner, name, access_control_list,
  identity_certificate_validity_seconds, token_lifetime_seconds, pre_configuration)
VALUES ($1, $2, $3, $4, $5, $6, $7)
)sql";

constexpr std::string_view kUpdate = R"sql(
UPDATE enrollment_templates SET name = $3, access_control_list = $4,
  identity_certificate_validity_seconds = $5, token_lifetime_seconds = $6, pre_configuration = $7
WHERE id = $1 AND owner = $2
)sql";

// $1 owner scope (Params::owner_scope: NULL = every owner); $2 ids: text[] or NULL
// (Params::text_array_or_null).
constexpr std::string_view kWhere = R"sql(
WHERE ($1 IS NULL OR owner = $1) AND ($2 IS NULL OR id = ANY($2))
)sql";

const std::string kSelect = R"sql(
SELECT id, owner, name, access_control_list, identity_certificate_validity_seconds,
  token_lifetime_seconds, pre_configuration
FROM enrollment_templates)sql" +
                            std::string(kWhere) + "ORDER BY id";

const std::string kDelete = "DELETE FROM enrollment_templates" + std::string(kWhere);

Params write_params(const EnrollmentTemplate& t) {
  Params p;
  p.text(t.id)
      .text(t.owner)
      .text(t.name)
      .text(t.access_control_list_json)
      .int8(t.identity_certificate_validity_seconds)
      .int8(t.token_lifetime_seconds)
      .text(codec::encode(t.pre_configuration));
  return p;
}

Params filter_params(const TemplateFilter& filter) {
  Params p;
  p.owner_scope(filter.scope).text_array_or_null(filter.ids);
  return p;
}

Result<EnrollmentTemplate> read(const QueryResult& rows, int row) {
  EnrollmentTemplate t;
  t.id = rows.text(row, 0);
  t.owner = rows.text(row, 1);
  t.name = rows.text(row, 2);
  t.access_control_list_json = rows.text(row, 3);
  t.identity_certificate_validity_seconds = rows.int8(row, 4);
  t.token_lifetime_seconds = rows.int8(row, 5);
  auto updates = codec::decode<std::vector<ResourceUpdate>>(
      rows.text(row, 6), "enrollment_templates.pre_configuration");
  if (!updates) return tl::unexpected(updates.error());
  t.pre_configuration = std::move(*updates);
  return t;
}

}  // namespace

Result<void> insert(Connection& db, const EnrollmentTemplate& t) {
  auto inserted = db.exec(kInsert, write_params(t));
  if (!inserted && inserted.error().code == ErrorCode::Conflict) {
    return fail(ErrorCode::Conflict, "enrollment template " + t.id + " already exists");
  }
  if (!inserted) return tl::unexpected(inserted.error());
  return {};
}

Result<bool> update(Connection& db, const EnrollmentTemplate& t) {
  auto updated = db.exec(kUpdate, write_params(t));
  if (!updated) return tl::unexpected(updated.error());
  return updated->affected_rows() > 0;
}

Result<std::vector<EnrollmentTemplate>> list(Connection& db, const TemplateFilter& filter) {
  auto rows = db.exec(kSelect, filter_params(filter));
  if (!rows) return tl::unexpected(rows.error());
  return collect<EnrollmentTemplate>(*rows, read);
}

Result<size_t> remove(Connection& db, const TemplateFilter& filter) {
  auto deleted = db.exec(kDelete, filter_params(filter));
  if (!deleted) return tl::unexpected(deleted.error());
  return static_cast<size_t>(deleted->affected_rows());
}

}  // namespace dps::store::postgres::template_table
