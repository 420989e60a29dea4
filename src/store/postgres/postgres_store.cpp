#include "store/postgres/postgres_store.hpp"

#include <utility>

#include "store/conflicts.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/connection_pool.hpp"
#include "store/postgres/enrollment_group_table.hpp"
#include "store/postgres/hub_table.hpp"
#include "store/postgres/individual_enrollment_table.hpp"
#include "store/postgres/migrations.hpp"
#include "store/postgres/provisioning_record_table.hpp"
#include "store/postgres/template_table.hpp"
#include "store/sql_credentials.hpp"

namespace dps::store {

namespace {

// One statement: the bump takes the counter row's lock until COMMIT, so concurrent configuration
// writers (any replica) get distinct, increasing versions; the notification is queued by the
// transaction and delivered only if it commits.
constexpr std::string_view kBumpConfigurationVersion = R"sql(
WITH bumped AS (
  UPDATE configuration_version SET version = version + 1 WHERE singleton = 1 RETURNING version)
SELECT pg_notify($1, version::text) FROM bumped
)sql";
constexpr std::string_view kLockConfiguration =
    "SELECT version FROM configuration_version WHERE singleton = 1 FOR UPDATE";
constexpr std::string_view kSelectConfigurationVersion =
    "SELECT version FROM configuration_version WHERE singleton = 1";

}  // namespace

Result<std::unique_ptr<PostgresStore>> PostgresStore::open(const PostgresOptions& options) {
  auto connection = postgres::Connection::open(options);
  if (!connection) return tl::unexpected(connection.error());
  auto migrated = postgres::migrate(**connection);
  if (!migrated) return tl::unexpected(migrated.error());
  auto pool = std::make_unique<postgres::ConnectionPool>(options);
  pool->adopt(std::move(*connection));
  return std::unique_ptr<PostgresStore>(new PostgresStore(std::move(pool)));
}

PostgresStore::PostgresStore(std::unique_ptr<postgres::ConnectionPool> pool)
    : pool_(std::move(pool)) {}

PostgresStore::~PostgresStore() = default;

template <class Write>
auto PostgresStore::write_configuration(Write&& write)
    -> decltype(write(std::declval<postgres::Connection&>())) {
  auto lease = pool_->acquire();
  if (!lease) return tl::unexpected(lease.error());
  postgres::Connection& db = **lease;
  auto tx = postgres::Transaction::begin(db);
  if (!tx) return tl::unexpected(tx.error());
  // Configuration writers of every replica queue here, so the checks a write makes before it
  // changes anything (whose trust a group claims) see every earlier write and no half of a
  // concurrent one.
  if (auto locked = db.exec(kLockConfiguration); !locked) return tl::unexpected(locked.error());
  const int64_t changes_before = db.changes();
  auto result = write(db);
  if (!result) return result;  // tx rolls back
  if (db.changes() != changes_before) {
    auto bumped =
        db.exec(kBumpConfigurationVersion, postgres::Params().text(kConfigurationChannel));
    if (!bumped) return tl::unexpected(bumped.error());
  }
  auto committed = tx->commit();
  if (!committed) return tl::unexpected(committed.error());
  return result;
}

// --- enrollment groups

Result<void> PostgresStore::upsert_enrollment_groups(std::span<const EnrollmentGroup> groups) {
  return write_configuration([&](postgres::Connection& db) -> Result<void> {
    for (const EnrollmentGroup& group : groups) {
      auto done = postgres::enrollment_group_table::upsert(db, group);
      if (!done) return done;
    }
    return {};
  });
}

Result<void> PostgresStore::create_enrollment_group(const EnrollmentGroup& group) {
  return write_configuration([&](postgres::Connection& db) {
    return postgres::enrollment_group_table::insert(db, group);
  });
}

Result<void> PostgresStore::update_enrollment_group(const EnrollmentGroup& group) {
  return write_configuration([&](postgres::Connection& db) -> Result<void> {
    auto updated = postgres::enrollment_group_table::update(db, group);
    if (!updated) return tl::unexpected(updated.error());
    if (!*updated) return fail(ErrorCode::NotFound, "enrollment group " + group.id + " not found");
    return {};
  });
}

Result<std::vector<EnrollmentGroup>> PostgresStore::list_enrollment_groups(
    const EnrollmentGroupFilter& filter) {
  auto lease = pool_->acquire();
  if (!lease) return tl::unexpected(lease.error());
  return postgres::enrollment_group_table::list(**lease, filter);
}

Result<std::vector<GroupRevision>> PostgresStore::list_enrollment_group_revisions(int64_t after) {
  auto lease = pool_->acquire();
  if (!lease) return tl::unexpected(lease.error());
  return postgres::enrollment_group_table::revisions(**lease, after);
}

Result<size_t> PostgresStore::count_enrollment_groups(const OwnerScope& scope) {
  auto lease = pool_->acquire();
  if (!lease) return tl::unexpected(lease.error());
  return postgres::enrollment_group_table::count(**lease, scope);
}

Result<size_t> PostgresStore::delete_enrollment_groups(const EnrollmentGroupFilter& filter) {
  return write_configuration([&](postgres::Connection& db) {
    return postgres::enrollment_group_table::remove(db, filter);
  });
}

// --- individual enrollments: not part of the catalog, so no configuration_version bump (nor its
// row lock: a bulk load does not hold up group and hub writers)

Result<void> PostgresStore::create_individual_enrollments_within(
    std::span<const IndividualEnrollment> enrollments, size_t most_per_owner) {
  if (auto refused = individual_enrollment_batch_error(enrollments)) {
    return tl::unexpected(std::move(*refused));
  }
  if (enrollments.empty()) return {};
  auto lease = pool_->acquire();
  if (!lease) return tl::unexpected(lease.error());
  return postgres::individual_enrollment_table::insert_all(**lease, enrollments, most_per_owner);
}

Result<void> PostgresStore::update_individual_enrollment(const IndividualEnrollment& enrollment) {
  if (auto refused = individual_enrollment_batch_error(std::span(&enrollment, 1))) {
    return tl::unexpected(std::move(*refused));
  }
  auto lease = pool_->acquire();
  if (!lease) return tl::unexpected(lease.error());
  auto updated = postgres::individual_enrollment_table::update(**lease, enrollment);
  if (!updated) return tl::unexpected(updated.error());
  if (!*updated) {
    return fail(ErrorCode::NotFound, "individual enrollment " + enrollment.id + " not found");
  }
  return {};
}

Result<std::vector<IndividualEnrollment>> PostgresStore::list_individual_enrollments(
    const IndividualEnrollmentFilter& filter) {
  auto lease = pool_->acquire();
  if (!lease) return tl::unexpected(lease.error());
  return postgres::individual_enrollment_table::list(**lease, filter);
}

Result<size_t> PostgresStore::delete_individual_enrollments(
    const IndividualEnrollmentFilter& filter) {
  auto lease = pool_->acquire();
  if (!lease) return tl::unexpected(lease.error());
  return postgres::individual_enrollment_table::remove(**lease, filter);
}

Result<size_t> PostgresStore::count_individual_enrollments(const OwnerScope& scope) {
  auto lease = pool_->acquire();
  if (!lease) return tl::unexpected(lease.error());
  return postgres::individual_enrollment_table::count(**lease, scope);
}

Result<std::vector<std::string>> PostgresStore::individual_enrollments_naming_hub(
    const std::string& owner, const std::string& hub_id, size_t limit) {
  auto lease = pool_->acquire();
  if (!lease) return tl::unexpected(lease.error());
  return postgres::individual_enrollment_table::naming_hub(**lease, owner, hub_id, limit);
}

Result<std::optional<IndividualEnrollment>> PostgresStore::find_individual_enrollment(
    const std::string& public_key_sha256) {
  auto lease = pool_->acquire();
  if (!lease) return tl::unexpected(lease.error());
  return postgres::individual_enrollment_table::find(**lease, public_key_sha256);
}

// --- enrollment templates: configuration, like hubs

Result<void> PostgresStore::create_template(const EnrollmentTemplate& t) {
  return write_configuration(
      [&](postgres::Connection& db) { return postgres::template_table::insert(db, t); });
}

Result<void> PostgresStore::update_template(const EnrollmentTemplate& t) {
  return write_configuration([&](postgres::Connection& db) -> Result<void> {
    auto updated = postgres::template_table::update(db, t);
    if (!updated) return tl::unexpected(updated.error());
    if (!*updated) return fail(ErrorCode::NotFound, "enrollment template " + t.id + " not found");
    return {};
  });
}

Result<std::vector<EnrollmentTemplate>> PostgresStore::list_templates(
    const TemplateFilter& filter) {
  auto lease = pool_->acquire();
  if (!lease) return tl::unexpected(lease.error());
  return postgres::template_table::list(**lease, filter);
}

Result<size_t> PostgresStore::delete_templates(const TemplateFilter& filter) {
  return write_configuration(
      [&](postgres::Connection& db) { return postgres::template_table::remove(db, filter); });
}

// --- hubs

Result<void> PostgresStore::upsert_hubs(std::span<const Hub> hubs) {
  return write_configuration([&](postgres::Connection& db) -> Result<void> {
    for (const Hub& hub : hubs) {
      auto done = postgres::hub_table::upsert(db, hub);
      if (!done) return done;
    }
    return {};
  });
}

Result<void> PostgresStore::create_hub(const Hub& hub) {
  return write_configuration(
      [&](postgres::Connection& db) { return postgres::hub_table::insert(db, hub); });
}

Result<void> PostgresStore::update_hub(const Hub& hub) {
  return write_configuration([&](postgres::Connection& db) -> Result<void> {
    auto updated = postgres::hub_table::update(db, hub);
    if (!updated) return tl::unexpected(updated.error());
    if (!*updated) return fail(ErrorCode::NotFound, "hub " + hub.id + " not found");
    return {};
  });
}

Result<std::vector<Hub>> PostgresStore::list_hubs(const HubFilter& filter) {
  auto lease = pool_->acquire();
  if (!lease) return tl::unexpected(lease.error());
  return postgres::hub_table::list(**lease, filter);
}

Result<size_t> PostgresStore::delete_hubs(const HubFilter& filter) {
  return write_configuration(
      [&](postgres::Connection& db) { return postgres::hub_table::remove(db, filter); });
}

// --- provisioning records

Result<Store::RecordOutcomes> PostgresStore::apply_record_updates(
    std::span<const ProvisioningRecord> updates) {
  if (updates.empty()) return RecordOutcomes{};
  auto lease = pool_->acquire();
  if (!lease) return tl::unexpected(lease.error());
  // One transaction, one round trip, one WAL flush at COMMIT, however many updates: this is what
  // group commit buys.
  return postgres::provisioning_record_table::merge_all(**lease, updates);
}

Result<std::vector<ProvisioningRecord>> PostgresStore::list_provisioning_records(
    const RecordFilter& filter) {
  auto lease = pool_->acquire();
  if (!lease) return tl::unexpected(lease.error());
  return postgres::provisioning_record_table::list(**lease, filter);
}

Result<size_t> PostgresStore::delete_provisioning_records(const RecordFilter& filter) {
  auto lease = pool_->acquire();
  if (!lease) return tl::unexpected(lease.error());
  return postgres::provisioning_record_table::remove(**lease, filter);
}

Result<int64_t> PostgresStore::configuration_version() {
  auto lease = pool_->acquire();
  if (!lease) return tl::unexpected(lease.error());
  auto rows = (*lease)->exec(kSelectConfigurationVersion);
  if (!rows) return tl::unexpected(rows.error());
  if (rows->rows() != 1) {
    return fail(ErrorCode::Internal, "configuration_version row missing", "database error");
  }
  return rows->int8(0, 0);
}

// --- credentials

Result<void> PostgresStore::add_verification_code(const std::string& owner, const std::string& code,
                                                  int64_t expires_at, int64_t now,
                                                  int64_t max_outstanding) {
  auto lease = pool_->acquire();
  if (!lease) return tl::unexpected(lease.error());
  auto added = (*lease)->exec(
      kInsertVerificationCodeSql,
      postgres::Params().text(owner).text(code).int8(expires_at).int8(now).int8(max_outstanding));
  if (!added) return tl::unexpected(added.error());
  if (added->affected_rows() == 0) return too_many_verification_codes(max_outstanding);
  return {};
}

Result<bool> PostgresStore::take_verification_code(const std::string& owner,
                                                   const std::string& code, int64_t now) {
  auto lease = pool_->acquire();
  if (!lease) return tl::unexpected(lease.error());
  postgres::Connection& db = **lease;
  // The DELETE takes the row's lock: of two replicas taking one code, only one gets it back.
  auto taken =
      db.exec(kTakeVerificationCodeSql, postgres::Params().text(owner).text(code).int8(now));
  if (!taken) return tl::unexpected(taken.error());
  auto purged = db.exec(kPurgeVerificationCodesSql, postgres::Params().int8(now));
  if (!purged) return tl::unexpected(purged.error());
  return taken->rows() == 1 && taken->boolean(0, 0);
}

Result<void> PostgresStore::revoke_token(const std::string& jti, int64_t expires_at) {
  auto lease = pool_->acquire();
  if (!lease) return tl::unexpected(lease.error());
  auto revoked = (*lease)->exec(kRevokeTokenSql, postgres::Params().text(jti).int8(expires_at));
  if (!revoked) return tl::unexpected(revoked.error());
  return {};
}

Result<std::vector<std::string>> PostgresStore::revoked_tokens(int64_t now) {
  auto lease = pool_->acquire();
  if (!lease) return tl::unexpected(lease.error());
  auto rows = (*lease)->exec(kSelectRevokedTokensSql, postgres::Params().int8(now));
  if (!rows) return tl::unexpected(rows.error());
  std::vector<std::string> jtis;
  for (int row = 0; row < rows->rows(); ++row) jtis.push_back(rows->text(row, 0));
  return jtis;
}

}  // namespace dps::store
