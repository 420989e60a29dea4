#include "store/sqlite/enrollment_group_table.hpp"

#include <string>

#include "store/column_codec.hpp"
#include "store/conflicts.hpp"
#include "store/group_attestation.hpp"
#include "store/sqlite/filter.hpp"

namespace dps::store::sqlite::enrollment_group_table {

namespace {

// Parameter numbers are shared by insert, upsert and update so one bind function serves all.
// Every write sets the row's revision to the configuration version its transaction creates (the
// store bumps the version once, after the writes, in the same transaction: SqliteStore).
constexpr std::string_view kInsert = R"sql(
INSERT INTO enrollment_groups (id, owner, name, certificate_chain, lead_certificate_name,
  expired_certificate_enabled, hub_ids, pre_shared_key, disabled, revoked_certificates, crl,
  trust_path, template_id, attestation_mechanism, revision)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,
  (SELECT version + 1 FROM configuration_version WHERE singleton = 1))
)sql";

constexpr std::string_view kUpsert = R"sql(
INSERT INTO enrollment_groups (id, owner, name, certificate_chain, lead_certificate_name,
  expired_certificate_enabled, hub_ids, pre_shared_key, disabled, revoked_certificates, crl,
  trust_path, template_id, attestation_mechanism, revision)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,
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
UPDATE enrollment_groups SET name = ?3, certificate_chain = ?4, lead_certificate_name = ?5,
  expired_certificate_enabled = ?6, hub_ids = ?7, pre_shared_key = ?8, disabled = ?9,
  revoked_certificates = ?10, crl = ?11, trust_path = ?12, template_id = ?13,
  attestation_mechanism = ?14,
  revision = (SELECT version + 1 FROM configuration_version WHERE singleton = 1)
WHERE id = ?1 AND owner = ?2
)sql";

// ?1 owner scope (bind_owner_scope: NULL = every owner); ?2 ids, ?3 lead certificate names, ?4 hub
// ids: JSON arrays or NULL (filter.hpp). Set lists are OR-ed; none set = every group of the owner.
constexpr std::string_view kWhere = R"sql(
WHERE (?1 IS NULL OR owner = ?1)
  AND ((?2 IS NULL AND ?3 IS NULL AND ?4 IS NULL)
    OR id IN (SELECT value FROM json_each(?2))
    OR lead_certificate_name IN (SELECT value FROM json_each(?3))
    OR EXISTS (SELECT 1 FROM json_each(enrollment_groups.hub_ids) AS hub
               WHERE hub.value IN (SELECT value FROM json_each(?4))))
)sql";

const std::string kSelect = R"sql(
SELECT id, owner, name, certificate_chain, lead_certificate_name, expired_certificate_enabled,
  hub_ids, pre_shared_key, disabled, revoked_certificates, crl, trust_path, template_id,
  attestation_mechanism
FROM enrollment_groups)sql" +
                            std::string(kWhere) + "ORDER BY id";

const std::string kDelete = "DELETE FROM enrollment_groups" + std::string(kWhere);

// A filter of ids alone (the catalog reading the groups that changed, the API reading, updating
// or deleting by id): the rows kWhere selects, found through the primary key. kWhere's ORs, one
// of them over every row's JSON hub ids, leave SQLite no index, so it reads every group of every
// owner. ?3 and ?4 are NULL here; naming them keeps one bind function for both forms.
constexpr std::string_view kWhereIds = R"sql(
WHERE (?1 IS NULL OR owner = ?1) AND id IN (SELECT value FROM json_each(?2))
  AND ?3 IS NULL AND ?4 IS NULL
)sql";
const std::string kSelectIds = R"sql(
SELECT id, owner, name, certificate_chain, lead_certificate_name, expired_certificate_enabled,
  hub_ids, pre_shared_key, disabled, revoked_certificates, crl, trust_path, template_id,
  attestation_mechanism
FROM enrollment_groups)sql" + std::string(kWhereIds) +
                               "ORDER BY id";
const std::string kDeleteIds = "DELETE FROM enrollment_groups" + std::string(kWhereIds);

constexpr std::string_view kRevisions =
    "SELECT id, revision FROM enrollment_groups WHERE revision > ?1";
// Counted on the owner index: a SEARCH of one owner's entries (an "?1 IS NULL OR" form would
// scan every owner's).
constexpr std::string_view kCountAll = "SELECT count(*) FROM enrollment_groups";
constexpr std::string_view kCountOwner = "SELECT count(*) FROM enrollment_groups WHERE owner = ?1";

// The trust claims (Store's trust rules): one row per key of a group's trust path.
// ?1 the group written, ?2 its path (JSON array), ?3 its lead key.
constexpr std::string_view kOverlaps = R"sql(
SELECT t.group_id, g.owner, t.depth, t.fingerprint
FROM enrollment_group_trust AS t JOIN enrollment_groups AS g ON g.id = t.group_id
WHERE t.group_id <> ?1
  AND ((t.depth = 0 AND t.fingerprint IN (SELECT value FROM json_each(?2))) OR t.fingerprint = ?3)
ORDER BY t.group_id
)sql";
constexpr std::string_view kDeleteTrust = "DELETE FROM enrollment_group_trust WHERE group_id = ?1";
constexpr std::string_view kInsertTrust =
    "INSERT INTO enrollment_group_trust (group_id, fingerprint, depth) VALUES (?1, ?2, ?3)";
// The trust rows of the groups a filter deletes, run just before them: found through the trust
// table's primary key, where looking for orphans afterwards read every group's rows.
const std::string kDeleteTrustOf =
    "DELETE FROM enrollment_group_trust WHERE group_id IN (SELECT id FROM enrollment_groups" +
    std::string(kWhere) + ")";
const std::string kDeleteTrustOfIds =
    "DELETE FROM enrollment_group_trust WHERE group_id IN (SELECT id FROM enrollment_groups" +
    std::string(kWhereIds) + ")";

Result<void> write(Connection& db, std::string_view sql, const EnrollmentGroup& g) {
  auto stmt = db.prepare(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, g.id);
  stmt->bind(2, g.owner);
  stmt->bind(3, g.name);
  const AttestationView attestation = attestation_of(g);
  stmt->bind(4, attestation.certificate_chain);
  stmt->bind(5, attestation.lead_certificate_name);
  stmt->bind(6, int64_t{attestation.expired_certificate_enabled});
  stmt->bind(7, codec::encode(g.hub_ids));
  stmt->bind_blob(8, g.pre_shared_key);  // raw bytes: a BLOB keeps them exact
  stmt->bind(9, int64_t{g.disabled});
  stmt->bind(10, codec::encode(g.revoked_certificates));
  stmt->bind(11, g.crl);
  stmt->bind(12, codec::encode(g.trust_path));
  stmt->bind(13, g.template_id);
  stmt->bind(14, attestation.mechanism);
  return stmt->run();
}

// Replaces the trust rows of `g`, refusing (Conflict, nothing written) a claim another group holds.
Result<void> claim_trust(Connection& db, const EnrollmentGroup& g) {
  if (auto cleared = execute(db, kDeleteTrust, [&](Statement& stmt) { stmt.bind(1, g.id); });
      !cleared) {
    return tl::unexpected(cleared.error());
  }
  if (g.trust_path.empty()) return {};
  auto overlaps = query<TrustOverlap>(
      db, kOverlaps,
      [&](Statement& stmt) {
        stmt.bind(1, g.id);
        stmt.bind(2, codec::encode(g.trust_path));
        stmt.bind(3, g.trust_path.front());
      },
      [](const Statement& row) -> Result<TrustOverlap> {
        return TrustOverlap{row.text(0), row.text(1), row.integer(2), row.text(3)};
      });
  if (!overlaps) return tl::unexpected(overlaps.error());
  if (auto conflict = trust_conflict(g, *overlaps)) return tl::unexpected(std::move(*conflict));
  for (size_t depth = 0; depth < g.trust_path.size(); ++depth) {
    auto inserted = execute(db, kInsertTrust, [&](Statement& stmt) {
      stmt.bind(1, g.id);
      stmt.bind(2, g.trust_path[depth]);
      stmt.bind(3, static_cast<int64_t>(depth));
    });
    if (!inserted) return tl::unexpected(inserted.error());
  }
  return {};
}

void bind_filter(Statement& stmt, const EnrollmentGroupFilter& filter) {
  bind_owner_scope(stmt, 1, filter.scope);
  bind_id_list(stmt, 2, filter.ids);
  bind_id_list(stmt, 3, filter.lead_certificate_names);
  bind_id_list(stmt, 4, filter.hub_ids);
}

Result<EnrollmentGroup> read(const Statement& row) {
  EnrollmentGroup g;
  g.id = row.text(0);
  g.owner = row.text(1);
  g.name = row.text(2);
  if (auto set = set_attestation(g, row.text(13), row.text(3), row.text(4), row.integer(5) != 0);
      !set) {
    return tl::unexpected(set.error());
  }
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
  auto trust_path =
      codec::decode<std::vector<std::string>>(row.text(11), "enrollment_groups.trust_path");
  if (!trust_path) return tl::unexpected(trust_path.error());
  g.trust_path = std::move(*trust_path);
  g.template_id = row.text(12);
  return g;
}

}  // namespace

Result<void> insert(Connection& db, const EnrollmentGroup& group) {
  auto inserted = write(db, kInsert, group);
  if (!inserted && inserted.error().code == ErrorCode::Conflict) {
    return fail(ErrorCode::Conflict, "enrollment group " + group.id + " already exists");
  }
  if (!inserted) return inserted;
  return claim_trust(db, group);
}

Result<void> upsert(Connection& db, const EnrollmentGroup& group) {
  if (auto written = write(db, kUpsert, group); !written) return written;
  return claim_trust(db, group);
}

Result<bool> update(Connection& db, const EnrollmentGroup& group) {
  auto updated = write(db, kUpdate, group);
  if (!updated) return tl::unexpected(updated.error());
  if (db.changes() == 0) return false;
  if (auto claimed = claim_trust(db, group); !claimed) return tl::unexpected(claimed.error());
  return true;
}

Result<std::vector<EnrollmentGroup>> list(Connection& db, const EnrollmentGroupFilter& filter) {
  return query<EnrollmentGroup>(
      db, filter.ids_only() ? kSelectIds : kSelect,
      [&](Statement& stmt) { bind_filter(stmt, filter); }, read);
}

Result<std::vector<GroupRevision>> revisions(Connection& db, int64_t after) {
  return query<GroupRevision>(
      db, kRevisions, [&](Statement& stmt) { stmt.bind(1, after); },
      [](const Statement& row) -> Result<GroupRevision> {
        return GroupRevision{row.text(0), row.integer(1)};
      });
}

Result<size_t> count(Connection& db, const OwnerScope& scope) {
  auto counted = query<size_t>(
      db, scope.is_every_owner() ? kCountAll : kCountOwner,
      [&](Statement& stmt) {
        if (!scope.is_every_owner()) stmt.bind(1, scope.owner());
      },
      [](const Statement& row) -> Result<size_t> { return static_cast<size_t>(row.integer(0)); });
  if (!counted) return tl::unexpected(counted.error());
  return counted->empty() ? 0 : counted->front();
}

Result<size_t> remove(Connection& db, const EnrollmentGroupFilter& filter) {
  // A deleted group's trust is free again (same transaction: the store's write).
  if (auto freed = execute(db, filter.ids_only() ? kDeleteTrustOfIds : kDeleteTrustOf,
                           [&](Statement& stmt) { bind_filter(stmt, filter); });
      !freed) {
    return tl::unexpected(freed.error());
  }
  return execute(db, filter.ids_only() ? kDeleteIds : kDelete,
                 [&](Statement& stmt) { bind_filter(stmt, filter); });
}

}  // namespace dps::store::sqlite::enrollment_group_table
