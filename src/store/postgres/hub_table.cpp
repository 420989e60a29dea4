#include "store/postgres/hub_table.hpp"

#include <string>

#include "store/column_codec.hpp"
#include "store/conflicts.hpp"

namespace dps::store::postgres::hub_table {

namespace {

// Parameter numbers are shared by insert, upsert and update so one parameter builder serves all.
constexpr std::string_view kInsert = R"sql(
INSERT INTO hubs (id, owner, hub_id, name, gateways, certificate_authority, authorization_config)
VALUES ($1, $2, $3, $4, $5, $6, $7)
)sql";

constexpr std::string_view kUpsert = R"sql(
INSERT INTO hubs (id, owner, hub_id, name, gateways, certificate_authority, authorization_config)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (id) DO UPDATE SET
  owner = excluded.owner, hub_id = excluded.hub_id, name = excluded.name,
  gateways = excluded.gateways, certificate_authority = excluded.certificate_authority,
  authorization_config = excluded.authorization_config
)sql";

constexpr std::string_view kUpdate = R"sql(
UPDATE hubs SET hub_id = $3, name = $4, gateways = $5, certificate_authority = $6,
  authorization_config = $7
WHERE id = $1 AND owner = $2
)sql";

// $1 owner scope (Params::owner_scope: NULL = every owner); $2 ids, $3 hub ids: text[] or NULL
// (Params::text_array_or_null). Set lists are OR-ed; none set = every hub of the owner.
constexpr std::string_view kWhere = R"sql(
WHERE ($1 IS NULL OR owner = $1)
  AND (($2 IS NULL AND $3 IS NULL) OR id = ANY($2) OR hub_id = ANY($3))
)sql";

const std::string kSelect = R"sql(
SELECT id, owner, hub_id, name, gateways, certificate_authority, authorization_config
FROM hubs)sql" + std::string(kWhere) +
                            "ORDER BY id";

const std::string kDelete = "DELETE FROM hubs" + std::string(kWhere);

Params write_params(const Hub& h) {
  Params p;
  p.text(h.id)
      .text(h.owner)
      .text(h.hub_id)
      .text(h.name)
      .text(codec::encode(h.gateways))
      .text(codec::encode(h.certificate_authority))
      .text(codec::encode(h.authorization));  // client_secret hex-encoded by the codec
  return p;
}

Params filter_params(const HubFilter& filter) {
  Params p;
  p.owner_scope(filter.scope).text_array_or_null(filter.ids).text_array_or_null(filter.hub_ids);
  return p;
}

Result<Hub> read(const QueryResult& rows, int row) {
  Hub h;
  h.id = rows.text(row, 0);
  h.owner = rows.text(row, 1);
  h.hub_id = rows.text(row, 2);
  h.name = rows.text(row, 3);
  auto gateways = codec::decode<std::vector<std::string>>(rows.text(row, 4), "hubs.gateways");
  if (!gateways) return tl::unexpected(gateways.error());
  h.gateways = std::move(*gateways);
  auto ca = codec::decode<GrpcClientConfig>(rows.text(row, 5), "hubs.certificate_authority");
  if (!ca) return tl::unexpected(ca.error());
  h.certificate_authority = std::move(*ca);
  auto authorization =
      codec::decode<HubAuthorization>(rows.text(row, 6), "hubs.authorization_config");
  if (!authorization) return tl::unexpected(authorization.error());
  h.authorization = std::move(*authorization);
  return h;
}

}  // namespace

Result<void> insert(Connection& db, const Hub& hub) {
  auto inserted = db.exec(kInsert, write_params(hub));
  if (!inserted && inserted.error().code == ErrorCode::Conflict) {
    return tl::unexpected(hub_conflict(hub));
  }
  if (!inserted) return tl::unexpected(inserted.error());
  return {};
}

Result<void> upsert(Connection& db, const Hub& hub) {
  auto upserted = db.exec(kUpsert, write_params(hub));
  if (!upserted) return tl::unexpected(upserted.error());
  return {};
}

Result<bool> update(Connection& db, const Hub& hub) {
  auto updated = db.exec(kUpdate, write_params(hub));
  if (!updated && updated.error().code == ErrorCode::Conflict) {
    return tl::unexpected(hub_conflict(hub));
  }
  if (!updated) return tl::unexpected(updated.error());
  return updated->affected_rows() > 0;
}

Result<std::vector<Hub>> list(Connection& db, const HubFilter& filter) {
  auto rows = db.exec(kSelect, filter_params(filter));
  if (!rows) return tl::unexpected(rows.error());
  return collect<Hub>(*rows, read);
}

Result<size_t> remove(Connection& db, const HubFilter& filter) {
  auto deleted = db.exec(kDelete, filter_params(filter));
  if (!deleted) return tl::unexpected(deleted.error());
  return static_cast<size_t>(deleted->affected_rows());
}

}  // namespace dps::store::postgres::hub_table
