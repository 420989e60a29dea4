#include "store/postgres/enrollment_group_table.hpp"

#include <string>

#include "store/column_codec.hpp"

namespace dps::store::postgres::enrollment_group_table {

namespace {

// Parameter numbers are shared by insert, upsert and update so one parameter builder serves all.
constexpr std::string_view kInsert = R"sql(
INSERT INTO enrollment_groups (id, owner, name, certificate_chain, lead_certificate_name,
  expired_certificate_enabled, hub_ids, pre_shared_key, disabled, revoked_certificates, crl)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
)sql";

constexpr std::string_view kUpsert = R"sql(
INSERT INTO enrollment_groups (id, owner, name, certificate_chain, lead_certificate_name,
  expired_certificate_enabled, hub_ids, pre_shared_key, disabled, revoked_certificates, crl)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (id) DO UPDATE SET
  owner = excluded.owner, name = excluded.name, certificate_chain = excluded.certificate_chain,
  lead_certificate_name = excluded.lead_certificate_name,
  expired_certificate_enabled = excluded.expired_certificate_enabled,
  hub_ids = excluded.hub_ids, pre_shared_key = excluded.pre_shared_key,
  disabled = excluded.disabled, revoked_certificates = excluded.revoked_certificates,
  crl = excluded.crl
)sql";

constexpr std::string_view kUpdate = R"sql(
UPDATE enrollment_groups SET name = $3, certificate_chain = $4, lead_certificate_name = $5,
  expired_certificate_enabled = $6, hub_ids = $7, pre_shared_key = $8, disabled = $9,
  revoked_certificates = $10, crl = $11
WHERE id = $1 AND owner = $2
)sql";

// $1 owner ('' = all owners); $2 ids, $3 lead certificate names, $4 hub ids: text[] or NULL
// (Params::text_array_or_null). Set lists are OR-ed; none set = every group of the owner.
// hub_ids is the codec's JSON array; `?|` asks whether any of $4 is one of its strings. The CASE
// keeps the cast from running (parsing every row's JSON) when that filter is not set.
constexpr std::string_view kWhere = R"sql(
WHERE ($1 = '' OR owner = $1)
  AND (($2 IS NULL AND $3 IS NULL AND $4 IS NULL)
    OR id = ANY($2)
    OR lead_certificate_name = ANY($3)
    OR CASE WHEN $4 IS NULL THEN false ELSE hub_ids::jsonb ?| $4 END)
)sql";

const std::string kSelect = R"sql(
SELECT id, owner, name, certificate_chain, lead_certificate_name, expired_certificate_enabled,
  hub_ids, pre_shared_key, disabled, revoked_certificates, crl
FROM enrollment_groups)sql" +
                            std::string(kWhere) + "ORDER BY id";

const std::string kDelete = "DELETE FROM enrollment_groups" + std::string(kWhere);

Params write_params(const EnrollmentGroup& g) {
  Params p;
  p.text(g.id)
      .text(g.owner)
      .text(g.name)
      .text(g.x509.certificate_chain)
      .text(g.x509.lead_certificate_name)
      .boolean(g.x509.expired_certificate_enabled)
      .text(codec::encode(g.hub_ids))
      .bytea(g.pre_shared_key)  // raw bytes: bytea keeps them exact
      .boolean(g.disabled)
      .text(codec::encode(g.revoked_certificates))
      .text(g.crl);
  return p;
}

Params filter_params(const EnrollmentGroupFilter& filter) {
  Params p;
  p.text(filter.owner)
      .text_array_or_null(filter.ids)
      .text_array_or_null(filter.lead_certificate_names)
      .text_array_or_null(filter.hub_ids);
  return p;
}

Result<EnrollmentGroup> read(const QueryResult& rows, int row) {
  EnrollmentGroup g;
  g.id = rows.text(row, 0);
  g.owner = rows.text(row, 1);
  g.name = rows.text(row, 2);
  g.x509.certificate_chain = rows.text(row, 3);
  g.x509.lead_certificate_name = rows.text(row, 4);
  g.x509.expired_certificate_enabled = rows.boolean(row, 5);
  auto hub_ids =
      codec::decode<std::vector<std::string>>(rows.text(row, 6), "enrollment_groups.hub_ids");
  if (!hub_ids) return tl::unexpected(hub_ids.error());
  g.hub_ids = std::move(*hub_ids);
  g.pre_shared_key = rows.bytea(row, 7);
  g.disabled = rows.boolean(row, 8);
  auto revoked = codec::decode<std::vector<std::string>>(rows.text(row, 9),
                                                         "enrollment_groups.revoked_certificates");
  if (!revoked) return tl::unexpected(revoked.error());
  g.revoked_certificates = std::move(*revoked);
  g.crl = rows.text(row, 10);
  return g;
}

}  // namespace

Result<void> insert(Connection& db, const EnrollmentGroup& group) {
  auto inserted = db.exec(kInsert, write_params(group));
  if (!inserted && inserted.error().code == ErrorCode::Conflict) {
    return fail(ErrorCode::Conflict, "enrollment group " + group.id + " already exists");
  }
  if (!inserted) return tl::unexpected(inserted.error());
  return {};
}

Result<void> upsert(Connection& db, const EnrollmentGroup& group) {
  auto upserted = db.exec(kUpsert, write_params(group));
  if (!upserted) return tl::unexpected(upserted.error());
  return {};
}

Result<bool> update(Connection& db, const EnrollmentGroup& group) {
  auto updated = db.exec(kUpdate, write_params(group));
  if (!updated) return tl::unexpected(updated.error());
  return updated->affected_rows() > 0;
}

Result<std::vector<EnrollmentGroup>> list(Connection& db, const EnrollmentGroupFilter& filter) {
  auto rows = db.exec(kSelect, filter_params(filter));
  if (!rows) return tl::unexpected(rows.error());
  return collect<EnrollmentGroup>(*rows, read);
}

Result<size_t> remove(Connection& db, const EnrollmentGroupFilter& filter) {
  auto deleted = db.exec(kDelete, filter_params(filter));
  if (!deleted) return tl::unexpected(deleted.error());
  return static_cast<size_t>(deleted->affected_rows());
}

}  // namespace dps::store::postgres::enrollment_group_table
