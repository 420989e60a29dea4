#include "store/postgres/individual_enrollment_table.hpp"

#include <algorithm>
#include <limits>

#include "store/column_codec.hpp"
#include "store/conflicts.hpp"

namespace dps::store::postgres::individual_enrollment_table {

namespace {

// Rows per INSERT of a bulk load: each statement carries its rows as nine arrays (one per
// column) that unnest() turns back into rows, so the statement text and its prepared plan are the
// same whatever the batch's size. 1,000 rows of a few-kilobyte certificate keep one message at a
// few megabytes.
constexpr size_t kRowsPerInsert = 1000;

constexpr std::string_view kInsertRows = R"sql(
INSERT INTO individual_enrollments (id, owner, name, certificate_pem, public_key_sha256, hub_ids,
  template_id, disabled, tpm_endorsement_key)
SELECT id, owner, name, certificate_pem, public_key_sha256, hub_ids, template_id, disabled::boolean,
  tpm_endorsement_key
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::text[], $9::text[])
  AS r (id, owner, name, certificate_pem, public_key_sha256, hub_ids, template_id, disabled,
        tpm_endorsement_key)
)sql";

constexpr std::string_view kUpdate = R"sql(
UPDATE individual_enrollments SET name = $3, certificate_pem = $4, public_key_sha256 = $5,
  hub_ids = $6, template_id = $7, disabled = $8, tpm_endorsement_key = $9
WHERE id = $1 AND owner = $2
)sql";

// One owner's creates under a quota, serialised per owner: the two-key form with a class of its
// own (the migrations' lock is the one-key form), the owner hashed into the second key. Two owners
// sharing a hash only take turns.
constexpr std::string_view kLockOwnersCreates = "SELECT pg_advisory_xact_lock(20001, hashtext($1))";

// Asked only after a bulk insert broke a unique key (and rolled back): which enrollment of the
// batch, and whether by its id or by its key. $1 the batch's ids, $2 its keys.
constexpr std::string_view kWhichConflict = R"sql(
SELECT id, public_key_sha256 FROM individual_enrollments
WHERE id = ANY($1) OR public_key_sha256 = ANY($2) LIMIT 1
)sql";

// The filter in three forms, as sqlite/individual_enrollment_table.cpp: a prepared statement's
// generic plan cannot use (owner, id) for `$1 IS NULL OR owner = $1`. $1 owner scope
// (Params::owner_scope: NULL = every owner); $2 ids, $3 key hashes: text[] or NULL, OR-ed; $4 the
// page's exclusive lower bound ('' = from the first: no id is empty); $5 the page's size (NULL =
// no limit: LIMIT NULL is LIMIT ALL).
constexpr std::string_view kWhereEveryOwner = R"sql(
WHERE $1 IS NULL AND $2 IS NULL AND $3 IS NULL AND id > $4
)sql";
constexpr std::string_view kWhereOwner = R"sql(
WHERE owner = $1 AND $2 IS NULL AND $3 IS NULL AND id > $4
)sql";
constexpr std::string_view kWhereSelected = R"sql(
WHERE ($1 IS NULL OR owner = $1) AND id > $4
  AND (id = ANY($2) OR public_key_sha256 = ANY($3))
)sql";
constexpr std::string_view kPage = "ORDER BY id LIMIT $5";

constexpr std::string_view kColumns = R"sql(
SELECT id, owner, name, certificate_pem, public_key_sha256, hub_ids, template_id, disabled,
  tpm_endorsement_key
FROM individual_enrollments)sql";

std::string select_sql(std::string_view where) {
  return std::string(kColumns) + std::string(where) + std::string(kPage);
}
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

// The counts the triggers keep (migrations.cpp, migration 5): one owner's is one primary-key
// read (no row = 0), every owner's a sum over one row per owner, not per enrollment.
constexpr std::string_view kCountAll =
    "SELECT coalesce(sum(count), 0)::bigint FROM individual_enrollment_counts";
constexpr std::string_view kCountOwner =
    "SELECT count FROM individual_enrollment_counts WHERE owner = $1";

constexpr std::string_view kFindByKey = R"sql(
SELECT id, owner, name, certificate_pem, public_key_sha256, hub_ids, template_id, disabled,
  tpm_endorsement_key
FROM individual_enrollments WHERE public_key_sha256 = $1
)sql";

// The owner's rows through (owner, id); hub_ids is the codec's JSON array, `?` asks whether $2 is
// one of its strings. No index holds hub ids.
constexpr std::string_view kNamingHub = R"sql(
SELECT id FROM individual_enrollments
WHERE owner = $1 AND hub_ids::jsonb ? $2
ORDER BY id LIMIT $3
)sql";

const std::string& pick(const IndividualEnrollmentFilter& filter, bool remove) {
  if (!filter.ids.empty() || !filter.public_key_sha256s.empty()) {
    return remove ? kDeleteSelected : kSelectSelected;
  }
  if (filter.scope.is_every_owner()) return remove ? kDeleteEveryOwner : kSelectEveryOwner;
  return remove ? kDeleteOwner : kSelectOwner;
}

Params filter_params(const IndividualEnrollmentFilter& filter) {
  Params p;
  p.owner_scope(filter.scope)
      .text_array_or_null(filter.ids)
      .text_array_or_null(filter.public_key_sha256s)
      .text(filter.after_id);
  constexpr auto kMaxLimit = static_cast<size_t>(std::numeric_limits<int64_t>::max());
  if (filter.limit == 0) {
    p.null(Type::Int8);
  } else {
    p.int8(static_cast<int64_t>(std::min(filter.limit, kMaxLimit)));
  }
  return p;
}

// One INSERT's parameters: the rows' columns as arrays. Never empty (text_array_or_null would
// send NULL): callers pass at least one row. The texts have no NUL (checked by the store first).
Params insert_params(std::span<const IndividualEnrollment> rows) {
  std::vector<std::string> columns[9];
  for (auto& column : columns) column.reserve(rows.size());
  for (const IndividualEnrollment& e : rows) {
    columns[0].push_back(e.id);
    columns[1].push_back(e.owner);
    columns[2].push_back(e.name);
    columns[3].push_back(e.certificate_pem);
    columns[4].push_back(e.public_key_sha256);
    columns[5].push_back(codec::encode(e.hub_ids));
    columns[6].push_back(e.template_id);
    columns[7].push_back(e.disabled ? "true" : "false");
    columns[8].push_back(e.tpm_endorsement_key);
  }
  Params p;
  for (const auto& column : columns) p.text_array_or_null(column);
  return p;
}

Result<IndividualEnrollment> read(const QueryResult& rows, int row) {
  IndividualEnrollment e;
  e.id = rows.text(row, 0);
  e.owner = rows.text(row, 1);
  e.name = rows.text(row, 2);
  e.certificate_pem = rows.text(row, 3);
  e.public_key_sha256 = rows.text(row, 4);
  auto hub_ids =
      codec::decode<std::vector<std::string>>(rows.text(row, 5), "individual_enrollments.hub_ids");
  if (!hub_ids) return tl::unexpected(hub_ids.error());
  e.hub_ids = std::move(*hub_ids);
  e.template_id = rows.text(row, 6);
  e.disabled = rows.boolean(row, 7);
  e.tpm_endorsement_key = rows.text(row, 8);
  return e;
}

Result<void> insert_in_transaction(Connection& db,
                                   std::span<const IndividualEnrollment> enrollments,
                                   size_t most_per_owner) {
  auto tx = Transaction::begin(db);
  if (!tx) return tl::unexpected(tx.error());
  if (most_per_owner != Store::kNoQuota) {
    // Each owner's creates take turns from here to the commit (the lock ends with the
    // transaction), so the count read next already holds every other replica's committed rows.
    for (const auto& [owner, adding] : enrollments_per_owner(enrollments)) {
      auto locked = db.exec(kLockOwnersCreates, Params().text(owner));
      if (!locked) return tl::unexpected(locked.error());
      auto held = count(db, OwnerScope::of(owner));
      if (!held) return tl::unexpected(held.error());
      if (*held + adding > most_per_owner) {
        return tl::unexpected(individual_enrollment_quota_exceeded(*held, adding, most_per_owner));
      }
    }
  }
  for (size_t first = 0; first < enrollments.size(); first += kRowsPerInsert) {
    const auto rows =
        enrollments.subspan(first, std::min(kRowsPerInsert, enrollments.size() - first));
    auto inserted = db.exec(kInsertRows, insert_params(rows));
    if (!inserted) return tl::unexpected(inserted.error());  // tx rolls back
  }
  return tx->commit();
}

// The Conflict a failed bulk insert met, asked once its transaction has rolled back.
Error explain_conflict(Connection& db, std::span<const IndividualEnrollment> enrollments,
                       const Error& original) {
  std::vector<std::string> ids;
  std::vector<std::string> keys;
  for (const IndividualEnrollment& e : enrollments) {
    ids.push_back(e.id);
    keys.push_back(e.public_key_sha256);
  }
  auto found = db.exec(kWhichConflict, Params().text_array_or_null(ids).text_array_or_null(keys));
  if (found && found->rows() == 1) {
    const std::string id = found->text(0, 0);
    const std::string key = found->text(0, 1);
    for (const IndividualEnrollment& e : enrollments) {
      if (e.id == id) return individual_enrollment_conflict(e, true);
    }
    for (const IndividualEnrollment& e : enrollments) {
      if (e.public_key_sha256 == key) return individual_enrollment_conflict(e, false);
    }
  }
  // The row it met is gone again (a concurrent delete): the database's text names only the index.
  return Error{ErrorCode::Conflict,
               "individual enrollments conflicted with a concurrent write: " + original.internal,
               "an individual enrollment of the batch conflicts with another, retry"};
}

}  // namespace

Result<void> insert_all(Connection& db, std::span<const IndividualEnrollment> enrollments,
                        size_t most_per_owner) {
  if (enrollments.empty()) return {};
  auto inserted = insert_in_transaction(db, enrollments, most_per_owner);
  if (inserted || inserted.error().code != ErrorCode::Conflict) return inserted;
  if (is_quota_exceeded(inserted.error())) return inserted;  // no key to explain
  return tl::unexpected(explain_conflict(db, enrollments, inserted.error()));
}

Result<bool> update(Connection& db, const IndividualEnrollment& e) {
  auto updated = db.exec(kUpdate, Params()
                                      .text(e.id)
                                      .text(e.owner)
                                      .text(e.name)
                                      .text(e.certificate_pem)
                                      .text(e.public_key_sha256)
                                      .text(codec::encode(e.hub_ids))
                                      .text(e.template_id)
                                      .boolean(e.disabled)
                                      .text(e.tpm_endorsement_key));
  if (!updated && updated.error().code == ErrorCode::Conflict) {
    // The id and owner are the row's own: only the key can be another's.
    return tl::unexpected(individual_enrollment_conflict(e, false));
  }
  if (!updated) return tl::unexpected(updated.error());
  return updated->affected_rows() > 0;
}

Result<std::vector<IndividualEnrollment>> list(Connection& db,
                                               const IndividualEnrollmentFilter& filter) {
  auto rows = db.exec(pick(filter, false), filter_params(filter));
  if (!rows) return tl::unexpected(rows.error());
  return collect<IndividualEnrollment>(*rows, read);
}

Result<size_t> remove(Connection& db, const IndividualEnrollmentFilter& filter) {
  auto deleted = db.exec(pick(filter, true), filter_params(filter));
  if (!deleted) return tl::unexpected(deleted.error());
  return static_cast<size_t>(deleted->affected_rows());
}

Result<size_t> count(Connection& db, const OwnerScope& scope) {
  auto rows = scope.is_every_owner() ? db.exec(kCountAll)
                                     : db.exec(kCountOwner, Params().text(scope.owner()));
  if (!rows) return tl::unexpected(rows.error());
  if (rows->rows() == 0) return size_t{0};  // the owner never had an enrollment
  return static_cast<size_t>(rows->int8(0, 0));
}

Result<std::vector<std::string>> naming_hub(Connection& db, const std::string& owner,
                                            const std::string& hub_id, size_t limit) {
  constexpr auto kMaxLimit = static_cast<size_t>(std::numeric_limits<int64_t>::max());
  auto rows = db.exec(kNamingHub, Params().text(owner).text(hub_id).int8(
                                      static_cast<int64_t>(std::min(limit, kMaxLimit))));
  if (!rows) return tl::unexpected(rows.error());
  std::vector<std::string> ids;
  for (int row = 0; row < rows->rows(); ++row) ids.push_back(rows->text(row, 0));
  return ids;
}

Result<std::optional<IndividualEnrollment>> find(Connection& db,
                                                 const std::string& public_key_sha256) {
  auto rows = db.exec(kFindByKey, Params().text(public_key_sha256));
  if (!rows) return tl::unexpected(rows.error());
  if (rows->rows() == 0) return std::nullopt;
  auto found = read(*rows, 0);
  if (!found) return tl::unexpected(found.error());
  return std::move(*found);
}

}  // namespace dps::store::postgres::individual_enrollment_table
