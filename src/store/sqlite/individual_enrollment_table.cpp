#include "store/sqlite/individual_enrollment_table.hpp"

#include <algorithm>
#include <limits>

#include "store/column_codec.hpp"
#include "store/conflicts.hpp"
#include "store/sqlite/filter.hpp"

namespace dps::store::sqlite::individual_enrollment_table {

namespace {

// Parameter numbers are shared by insert and update so one bind function serves both.
constexpr std::string_view kInsert = R"sql(
INSERT INTO individual_enrollments (id, owner, name, certificate_pem, public_key_sha256, hub_ids,
  template_id, disabled, tpm_endorsement_key)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
)sql";

constexpr std::string_view kUpdate = R"sql(
UPDATE individual_enrollments SET name = ?3, certificate_pem = ?4, public_key_sha256 = ?5,
  hub_ids = ?6, template_id = ?7, disabled = ?8, tpm_endorsement_key = ?9
WHERE id = ?1 AND owner = ?2
)sql";

// Asked only after an insert broke a unique key: which one.
constexpr std::string_view kIdExists =
    "SELECT EXISTS (SELECT 1 FROM individual_enrollments WHERE id = ?1)";

// The filter in three forms, each one an index walk at a million rows (one `?1 IS NULL OR` form
// would leave SQLite only a scan): every owner's rows through the primary key, one owner's through
// (owner, id), or the rows named by id or key through the primary key and the key index.
// ?1 owner scope (bind_owner_scope: NULL = every owner); ?2 ids, ?3 key hashes: JSON arrays or
// NULL (filter.hpp), OR-ed; ?4 the page's exclusive lower bound ('' = from the first: no id is
// empty); ?5 the page's size (-1 = no limit). Every form names every parameter, so one bind
// function serves all.
constexpr std::string_view kWhereEveryOwner = R"sql(
WHERE ?1 IS NULL AND ?2 IS NULL AND ?3 IS NULL AND id > ?4
)sql";
constexpr std::string_view kWhereOwner = R"sql(
WHERE owner = ?1 AND ?2 IS NULL AND ?3 IS NULL AND id > ?4
)sql";
constexpr std::string_view kWhereSelected = R"sql(
WHERE (?1 IS NULL OR owner = ?1) AND id > ?4
  AND id IN (SELECT value FROM json_each(?2)
             UNION SELECT id FROM individual_enrollments
                   WHERE public_key_sha256 IN (SELECT value FROM json_each(?3)))
)sql";
constexpr std::string_view kPage = "ORDER BY id LIMIT ?5";

constexpr std::string_view kColumns = R"sql(
SELECT id, owner, name, certificate_pem, public_key_sha256, hub_ids, template_id, disabled,
  tpm_endorsement_key
FROM individual_enrollments)sql";

std::string select_sql(std::string_view where) {
  return std::string(kColumns) + std::string(where) + std::string(kPage);
}
// SQLite has DELETE ... LIMIT only in builds with SQLITE_ENABLE_UPDATE_DELETE_LIMIT.
std::string delete_sql(std::string_view where) {
  return "DELETE FROM individual_enrollments WHERE id IN (SELECT id FROM individual_enrollments" +
         std::string(where) + std::string(kPage) + ")";
}

const std::string kSelectEveryOwner = select_sql(kWhereEveryOwner);
const std::string kSelectOwner = select_sql(kWhereOwner);
const std::string kSelectSelected = select_sql(kWhereSelected);
const std::string kDeleteEveryOwner = delete_sql(kWhereEveryOwner);
const std::string kDeleteOwner = delete_sql(kWhereOwner);
const std::string kDeleteSelected = delete_sql(kWhereSelected);

// One row per owner (the triggers' counts), so this sums owners, not enrollments.
constexpr std::string_view kCountAll =
    "SELECT coalesce(sum(count), 0) FROM individual_enrollment_counts";

// The owner's rows through (owner, id), each one's hub_ids array searched: no index holds hub ids.
constexpr std::string_view kNamingHub = R"sql(
SELECT id FROM individual_enrollments
WHERE owner = ?1 AND EXISTS (SELECT 1 FROM json_each(hub_ids) WHERE value = ?2)
ORDER BY id LIMIT ?3
)sql";

// Which form of the filter to run: the SELECT or the DELETE one.
const std::string& pick(const IndividualEnrollmentFilter& filter, bool remove) {
  if (!filter.ids.empty() || !filter.public_key_sha256s.empty()) {
    return remove ? kDeleteSelected : kSelectSelected;
  }
  if (filter.scope.is_every_owner()) return remove ? kDeleteEveryOwner : kSelectEveryOwner;
  return remove ? kDeleteOwner : kSelectOwner;
}

void bind_filter(Statement& stmt, const IndividualEnrollmentFilter& filter) {
  bind_owner_scope(stmt, 1, filter.scope);
  bind_id_list(stmt, 2, filter.ids);
  bind_id_list(stmt, 3, filter.public_key_sha256s);
  stmt.bind(4, filter.after_id);
  constexpr auto kMaxLimit = static_cast<size_t>(std::numeric_limits<int64_t>::max());
  stmt.bind(
      5, filter.limit == 0 ? int64_t{-1} : static_cast<int64_t>(std::min(filter.limit, kMaxLimit)));
}

Result<void> write(Connection& db, std::string_view sql, const IndividualEnrollment& e) {
  auto stmt = db.prepare(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, e.id);
  stmt->bind(2, e.owner);
  stmt->bind(3, e.name);
  stmt->bind(4, e.certificate_pem);
  stmt->bind(5, e.public_key_sha256);
  stmt->bind(6, codec::encode(e.hub_ids));
  stmt->bind(7, e.template_id);
  stmt->bind(8, int64_t{e.disabled});
  stmt->bind(9, e.tpm_endorsement_key);
  return stmt->run();
}

Result<IndividualEnrollment> read(const Statement& row) {
  IndividualEnrollment e;
  e.id = row.text(0);
  e.owner = row.text(1);
  e.name = row.text(2);
  e.certificate_pem = row.text(3);
  e.public_key_sha256 = row.text(4);
  auto hub_ids =
      codec::decode<std::vector<std::string>>(row.text(5), "individual_enrollments.hub_ids");
  if (!hub_ids) return tl::unexpected(hub_ids.error());
  e.hub_ids = std::move(*hub_ids);
  e.template_id = row.text(6);
  e.disabled = row.integer(7) != 0;
  e.tpm_endorsement_key = row.text(8);
  return e;
}

}  // namespace

Result<void> insert(Connection& db, const IndividualEnrollment& enrollment) {
  auto inserted = write(db, kInsert, enrollment);
  if (inserted || inserted.error().code != ErrorCode::Conflict) return inserted;
  // The rare path: ask which key it broke (SQLite undid the statement, not the transaction).
  auto id_taken = query<bool>(
      db, kIdExists, [&](Statement& stmt) { stmt.bind(1, enrollment.id); },
      [](const Statement& row) -> Result<bool> { return row.integer(0) != 0; });
  if (!id_taken) return tl::unexpected(id_taken.error());
  return tl::unexpected(
      individual_enrollment_conflict(enrollment, !id_taken->empty() && id_taken->front()));
}

Result<bool> update(Connection& db, const IndividualEnrollment& enrollment) {
  auto updated = write(db, kUpdate, enrollment);
  if (!updated && updated.error().code == ErrorCode::Conflict) {
    // The id and owner are the row's own: only the key can be another's.
    return tl::unexpected(individual_enrollment_conflict(enrollment, false));
  }
  if (!updated) return tl::unexpected(updated.error());
  return db.changes() > 0;
}

Result<std::vector<IndividualEnrollment>> list(Connection& db,
                                               const IndividualEnrollmentFilter& filter) {
  return query<IndividualEnrollment>(
      db, pick(filter, false), [&](Statement& stmt) { bind_filter(stmt, filter); }, read);
}

Result<size_t> remove(Connection& db, const IndividualEnrollmentFilter& filter) {
  return execute(db, pick(filter, true), [&](Statement& stmt) { bind_filter(stmt, filter); });
}

Result<size_t> count(Connection& db, const OwnerScope& scope) {
  const bool every_owner = scope.is_every_owner();
  auto counted = query<size_t>(
      db, every_owner ? kCountAll : kCountOwnerSql,
      [&](Statement& stmt) {
        if (!every_owner) stmt.bind(1, scope.owner());
      },
      [](const Statement& row) -> Result<size_t> { return static_cast<size_t>(row.integer(0)); });
  if (!counted) return tl::unexpected(counted.error());
  return counted->empty() ? 0 : counted->front();  // no row: the owner never had one
}

Result<std::vector<std::string>> naming_hub(Connection& db, const std::string& owner,
                                            const std::string& hub_id, size_t limit) {
  constexpr auto kMaxLimit = static_cast<size_t>(std::numeric_limits<int64_t>::max());
  return query<std::string>(
      db, kNamingHub,
      [&](Statement& stmt) {
        stmt.bind(1, owner);
        stmt.bind(2, hub_id);
        stmt.bind(3, static_cast<int64_t>(std::min(limit, kMaxLimit)));
      },
      [](const Statement& row) -> Result<std::string> { return row.text(0); });
}

Result<std::optional<IndividualEnrollment>> find(Connection& db,
                                                 const std::string& public_key_sha256) {
  auto found = query<IndividualEnrollment>(
      db, kFindByKeySql, [&](Statement& stmt) { stmt.bind(1, public_key_sha256); }, read);
  if (!found) return tl::unexpected(found.error());
  if (found->empty()) return std::nullopt;
  return std::move(found->front());
}

}  // namespace dps::store::sqlite::individual_enrollment_table
