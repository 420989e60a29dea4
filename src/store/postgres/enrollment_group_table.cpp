#include "store/postgres/enrollment_group_table.hpp"

#include <string>

#include "store/column_codec.hpp"
#include "store/conflicts.hpp"
#include "store/group_attestation.hpp"

namespace dps::store::postgres::enrollment_group_table {

namespace {

// Parameter numbers are shared by insert, upsert and update so one parameter builder serves all.
// Every write sets the row's revision to the configuration version its transaction creates (the
// store locks the version row first and bumps it once, after the writes: PostgresStore).
constexpr std::string_view kInsert = R"sql(
INSERT INTO enrollment_groups (id, owner, name, certificate_chain, lead_certificate_name,
  expired_certificate_enabled, hub_ids, pre_shared_key, disabled, revoked_certificates, crl,
  trust_path, template_id, attestation_mechanism, revision)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
  (SELECT version + 1 FROM configuration_version WHERE singleton = 1))
)sql";

constexpr std::string_view kUpsert = R"sql(
INSERT INTO enrollment_groups (id, owner, name, certificate_chain, lead_certificate_name,
  expired_certificate_enabled, hub_ids, pre_shared_key, disabled, revoked_certificates, crl,
  trust_path, template_id, attestation_mechanism, revision)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
  (SELECT version + 1 FROM configuration_version WHERE singleton = 1))
ON CONFLICT (id) DO UPDATE SET
  owner = excluded.owner, name = excluded.name, certificate_chain = excluded.certificate_chain,
  lead_certificate_name = excluded.lead_certificate_name,
  expired_certificate_enabled = excluded.expired_certificate_enabled,
  hub_ids = excluded.hub_ids, pre_shared_key = excluded.pre_shared_key,
  disabled = excluded.disabled, revoked_certificates = excluded.revoked_certificates,
  crl = excluded.crl, trust_path = excluded.trust_path, template_id = excluded.template_id,
  attestation_mechanism = excluded.attestation_mechanism, revision = excluded.revision
)sql";

constexpr std::string_view kUpdate = R"sql(
UPDATE enrollment_groups SET name = $3, certificate_chain = $4, lead_certificate_name = $5,
  expired_certificate_enabled = $6, hub_ids = $7, pre_shared_key = $8, disabled = $9,
  revoked_certificates = $10, crl = $11, trust_path = $12, template_id = $13,
  attestation_mechanism = $14,
  revision = (SELECT version + 1 FROM configuration_version WHERE singleton = 1)
WHERE id = $1 AND owner = $2
)sql";

// $1 owner scope (Params::owner_scope: NULL = every owner); $2 ids, $3 lead certificate names, $4
// hub ids: text[] or NULL (Params::text_array_or_null). Set lists are OR-ed; none set = every group
// of the owner. hub_ids is the codec's JSON array; `?|` asks whether any of $4 is one of its
// strings. The CASE keeps the cast from running (parsing every row's JSON) when that filter is not
// set.
constexpr std::string_view kWhere = R"sql(
WHERE ($1 IS NULL OR owner = $1)
  AND (($2 IS NULL AND $3 IS NULL AND $4 IS NULL)
    OR id = ANY($2)
    OR lead_certificate_name = ANY($3)
    OR CASE WHEN $4 IS NULL THEN false ELSE hub_ids::jsonb ?| $4 END)
)sql";

const std::string kSelect = R"sql(
SELECT id, owner, name, certificate_chain, lead_certificate_name, expired_certificate_enabled,
  hub_ids, pre_shared_key, disabled, revoked_certificates, crl, trust_path, template_id,
  attestation_mechanism
FROM enrollment_groups)sql" +
                            std::string(kWhere) + "ORDER BY id";

const std::string kDelete = "DELETE FROM enrollment_groups" + std::string(kWhere);

// A filter of ids alone: the rows kWhere selects, through the primary key rather than a scan of
// every group (as in the SQLite adapter). $3 and $4 are NULL here.
constexpr std::string_view kWhereIds = R"sql(
WHERE ($1 IS NULL OR owner = $1) AND id = ANY($2) AND $3::text[] IS NULL AND $4::text[] IS NULL
)sql";
const std::string kSelectIds = R"sql(
SELECT id, owner, name, certificate_chain, lead_certificate_name, expired_certificate_enabled,
  hub_ids, pre_shared_key, disabled, revoked_certificates, crl, trust_path, template_id,
  attestation_mechanism
FROM enrollment_groups)sql" + std::string(kWhereIds) +
                               "ORDER BY id";
const std::string kDeleteIds = "DELETE FROM enrollment_groups" + std::string(kWhereIds);

constexpr std::string_view kRevisions =
    "SELECT id, revision FROM enrollment_groups WHERE revision > $1";
// $1 owner scope (NULL = every owner): counted on the owner index.
constexpr std::string_view kCount =
    "SELECT count(*) FROM enrollment_groups WHERE ($1 IS NULL OR owner = $1)";

// The trust claims (Store's trust rules), as in the SQLite adapter: $1 the group written, $2 its
// path (text[]), $3 its lead key.
constexpr std::string_view kOverlaps = R"sql(
SELECT t.group_id, g.owner, t.depth, t.fingerprint
FROM enrollment_group_trust AS t JOIN enrollment_groups AS g ON g.id = t.group_id
WHERE t.group_id <> $1 AND ((t.depth = 0 AND t.fingerprint = ANY($2)) OR t.fingerprint = $3)
ORDER BY t.group_id
)sql";
constexpr std::string_view kDeleteTrust = "DELETE FROM enrollment_group_trust WHERE group_id = $1";
// One statement for the whole path: unnest pairs each key with its depth (1-based ordinality).
constexpr std::string_view kInsertTrust = R"sql(
INSERT INTO enrollment_group_trust (group_id, fingerprint, depth)
SELECT $1, key, ordinality - 1 FROM unnest($2::text[]) WITH ORDINALITY AS path(key, ordinality)
)sql";
// The trust rows of the groups a filter deletes, run just before them: found through the trust
// table's primary key, where looking for orphans afterwards read every group's rows.
const std::string kDeleteTrustOf =
    "DELETE FROM enrollment_group_trust WHERE group_id IN (SELECT id FROM enrollment_groups" +
    std::string(kWhere) + ")";
const std::string kDeleteTrustOfIds =
    "DELETE FROM enrollment_group_trust WHERE group_id IN (SELECT id FROM enrollment_groups" +
    std::string(kWhereIds) + ")";

Params write_params(const EnrollmentGroup& g) {
  const AttestationView attestation = attestation_of(g);
  Params p;
  p.text(g.id)
      .text(g.owner)
      .text(g.name)
      .text(attestation.certificate_chain)
      .text(attestation.lead_certificate_name)
      .boolean(attestation.expired_certificate_enabled)
      .text(codec::encode(g.hub_ids))
      .bytea(g.pre_shared_key)  // raw bytes: bytea keeps them exact
      .boolean(g.disabled)
      .text(codec::encode(g.revoked_certificates))
      .text(g.crl)
      .text(codec::encode(g.trust_path))
      .text(g.template_id)
      .text(attestation.mechanism);
  return p;
}

// Replaces the trust rows of `g`, refusing (Conflict, nothing written) a claim another group holds.
Result<void> claim_trust(Connection& db, const EnrollmentGroup& g) {
  if (auto cleared = db.exec(kDeleteTrust, Params().text(g.id)); !cleared) {
    return tl::unexpected(cleared.error());
  }
  if (g.trust_path.empty()) return {};
  auto rows = db.exec(
      kOverlaps, Params().text(g.id).text_array_or_null(g.trust_path).text(g.trust_path.front()));
  if (!rows) return tl::unexpected(rows.error());
  std::vector<TrustOverlap> overlaps;
  for (int row = 0; row < rows->rows(); ++row) {
    overlaps.push_back(
        {rows->text(row, 0), rows->text(row, 1), rows->int8(row, 2), rows->text(row, 3)});
  }
  if (auto conflict = trust_conflict(g, overlaps)) return tl::unexpected(std::move(*conflict));
  auto inserted = db.exec(kInsertTrust, Params().text(g.id).text_array_or_null(g.trust_path));
  if (!inserted) return tl::unexpected(inserted.error());
  return {};
}

Params filter_params(const EnrollmentGroupFilter& filter) {
  Params p;
  p.owner_scope(filter.scope)
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
  if (auto set = set_attestation(g, rows.text(row, 13), rows.text(row, 3), rows.text(row, 4),
                                 rows.boolean(row, 5));
      !set) {
    return tl::unexpected(set.error());
  }
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
  auto trust_path =
      codec::decode<std::vector<std::string>>(rows.text(row, 11), "enrollment_groups.trust_path");
  if (!trust_path) return tl::unexpected(trust_path.error());
  g.trust_path = std::move(*trust_path);
  g.template_id = rows.text(row, 12);
  return g;
}

}  // namespace

Result<void> insert(Connection& db, const EnrollmentGroup& group) {
  auto inserted = db.exec(kInsert, write_params(group));
  if (!inserted && inserted.error().code == ErrorCode::Conflict) {
    return fail(ErrorCode::Conflict, "enrollment group " + group.id + " already exists");
  }
  if (!inserted) return tl::unexpected(inserted.error());
  return claim_trust(db, group);
}

Result<void> upsert(Connection& db, const EnrollmentGroup& group) {
  auto upserted = db.exec(kUpsert, write_params(group));
  if (!upserted) return tl::unexpected(upserted.error());
  return claim_trust(db, group);
}

Result<bool> update(Connection& db, const EnrollmentGroup& group) {
  auto updated = db.exec(kUpdate, write_params(group));
  if (!updated) return tl::unexpected(updated.error());
  if (updated->affected_rows() == 0) return false;
  if (auto claimed = claim_trust(db, group); !claimed) return tl::unexpected(claimed.error());
  return true;
}

Result<std::vector<EnrollmentGroup>> list(Connection& db, const EnrollmentGroupFilter& filter) {
  auto rows = db.exec(filter.ids_only() ? kSelectIds : kSelect, filter_params(filter));
  if (!rows) return tl::unexpected(rows.error());
  return collect<EnrollmentGroup>(*rows, read);
}

Result<std::vector<GroupRevision>> revisions(Connection& db, int64_t after) {
  auto rows = db.exec(kRevisions, Params().int8(after));
  if (!rows) return tl::unexpected(rows.error());
  return collect<GroupRevision>(*rows, [](const QueryResult& r, int row) -> Result<GroupRevision> {
    return GroupRevision{r.text(row, 0), r.int8(row, 1)};
  });
}

Result<size_t> count(Connection& db, const OwnerScope& scope) {
  auto rows = db.exec(kCount, Params().owner_scope(scope));
  if (!rows) return tl::unexpected(rows.error());
  return rows->rows() == 0 ? 0 : static_cast<size_t>(rows->int8(0, 0));
}

Result<size_t> remove(Connection& db, const EnrollmentGroupFilter& filter) {
  // A deleted group's trust is free again (same transaction: the store's write).
  if (auto freed =
          db.exec(filter.ids_only() ? kDeleteTrustOfIds : kDeleteTrustOf, filter_params(filter));
      !freed) {
    return tl::unexpected(freed.error());
  }
  auto deleted = db.exec(filter.ids_only() ? kDeleteIds : kDelete, filter_params(filter));
  if (!deleted) return tl::unexpected(deleted.error());
  return static_cast<size_t>(deleted->affected_rows());
}

}  // namespace dps::store::postgres::enrollment_group_table
