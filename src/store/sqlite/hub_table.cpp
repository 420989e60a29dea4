#include "store/sqlite/hub_table.hpp"

#include <string>

#include "store/column_codec.hpp"
#include "store/conflicts.hpp"
#include "store/sqlite/filter.hpp"

namespace dps::store::sqlite::hub_table {

namespace {

// Parameter numbers are shared by insert, upsert and update so one bind function serves all.
constexpr std::string_view kInsert = R"sql(
INSERT INTO hubs (id, owner, hub_id, name, gateways, certificate_authority, authorization_config)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
)sql";

constexpr std::string_view kUpsert = R"sql(
INSERT INTO hubs (id, owner, hub_id, name, gateways, certificate_authority, authorization_config)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
ON CONFLICT (id) DO UPDATE SET
  owner = excluded.owner, hub_id = excluded.hub_id, name = excluded.name,
  gateways = excluded.gateways, certificate_authority = excluded.certificate_authority,
  authorization_config = excluded.authorization_config
)sql";

constexpr std::string_view kUpdate = R"sql(
UPDATE hubs SET hub_id = ?3, name = ?4, gateways = ?5, certificate_authority = ?6,
  authorization_config = ?7
WHERE id = ?1 AND owner = ?2
)sql";

// ?1 owner scope (bind_owner_scope: NULL = every owner); ?2 ids, ?3 hub ids: JSON arrays or NULL
// (filter.hpp). Set lists are OR-ed; none set = every hub of the owner.
constexpr std::string_view kWhere = R"sql(
WHERE (?1 IS NULL OR owner = ?1)
  AND ((?2 IS NULL AND ?3 IS NULL)
    OR id IN (SELECT value FROM json_each(?2))
    OR hub_id IN (SELECT value FROM json_each(?3)))
)sql";

const std::string kSelect = R"sql(
SELECT id, owner, hub_id, name, gateways, certificate_authority, authorization_config
FROM hubs)sql" + std::string(kWhere) +
                            "ORDER BY id";

const std::string kDelete = "DELETE FROM hubs" + std::string(kWhere);

Result<void> write(Connection& db, std::string_view sql, const Hub& h) {
  auto stmt = db.prepare(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, h.id);
  stmt->bind(2, h.owner);
  stmt->bind(3, h.hub_id);
  stmt->bind(4, h.name);
  stmt->bind(5, codec::encode(h.gateways));
  stmt->bind(6, codec::encode(h.certificate_authority));
  stmt->bind(7, codec::encode(h.authorization));
  return stmt->run();
}

void bind_filter(Statement& stmt, const HubFilter& filter) {
  bind_owner_scope(stmt, 1, filter.scope);
  bind_id_list(stmt, 2, filter.ids);
  bind_id_list(stmt, 3, filter.hub_ids);
}

Result<Hub> read(const Statement& row) {
  Hub h;
  h.id = row.text(0);
  h.owner = row.text(1);
  h.hub_id = row.text(2);
  h.name = row.text(3);
  auto gateways = codec::decode<std::vector<std::string>>(row.text(4), "hubs.gateways");
  if (!gateways) return tl::unexpected(gateways.error());
  h.gateways = std::move(*gateways);
  auto ca = codec::decode<GrpcClientConfig>(row.text(5), "hubs.certificate_authority");
  if (!ca) return tl::unexpected(ca.error());
  h.certificate_authority = std::move(*ca);
  auto authorization = codec::decode<HubAuthorization>(row.text(6), "hubs.authorization_config");
  if (!authorization) return tl::unexpected(authorization.error());
  h.authorization = std::move(*authorization);
  return h;
}

}  // namespace

Result<void> insert(Connection& db, const Hub& hub) {
  auto inserted = write(db, kInsert, hub);
  if (!inserted && inserted.error().code == ErrorCode::Conflict) {
    return tl::unexpected(hub_conflict(hub));
  }
  return inserted;
}

Result<void> upsert(Connection& db, const Hub& hub) { return write(db, kUpsert, hub); }

Result<bool> update(Connection& db, const Hub& hub) {
  auto updated = write(db, kUpdate, hub);
  if (!updated && updated.error().code == ErrorCode::Conflict) {
    return tl::unexpected(hub_conflict(hub));
  }
  if (!updated) return tl::unexpected(updated.error());
  return db.changes() > 0;
}

Result<std::vector<Hub>> list(Connection& db, const HubFilter& filter) {
  return query<Hub>(
      db, kSelect, [&](Statement& stmt) { bind_filter(stmt, filter); }, read);
}

Result<size_t> remove(Connection& db, const HubFilter& filter) {
  return execute(db, kDelete, [&](Statement& stmt) { bind_filter(stmt, filter); });
}

}  // namespace dps::store::sqlite::hub_table
