#include "store/sqlite/sqlite_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include "store/conflicts.hpp"
#include "store/sql_credentials.hpp"
#include "store/sqlite/enrollment_group_table.hpp"
#include "store/sqlite/hub_table.hpp"
#include "store/sqlite/individual_enrollment_table.hpp"
#include "store/sqlite/migrations.hpp"
#include "store/sqlite/provisioning_record_table.hpp"
#include "store/sqlite/statement.hpp"
#include "store/sqlite/template_table.hpp"

namespace dps::store {

namespace {

// How long a call waits for another process holding the write lock before failing Unavailable.
// Long enough to ride out a checkpoint or a large API upsert, short enough that a device's
// step fails (5.03, retried by the device) rather than hanging.
constexpr int kBusyTimeoutMs = 5000;

// journal_mode answers with the mode now in effect; WAL can be refused (e.g. on some network
// filesystems), and silently running in rollback mode would change durability and concurrency.
constexpr std::string_view kPragmaJournalModeWal = "PRAGMA journal_mode = WAL";
// FULL: in WAL mode, every COMMIT fsyncs the log. NORMAL would only fsync at checkpoints and
// could lose the last commits on power loss: a device would hold credentials dps has no record of.
constexpr std::string_view kPragmaSynchronousFull = "PRAGMA synchronous = FULL";

constexpr std::string_view kBumpConfigurationVersion =
    "UPDATE configuration_version SET version = version + 1 WHERE singleton = 1";
constexpr std::string_view kSelectConfigurationVersion =
    "SELECT version FROM configuration_version WHERE singleton = 1";

Result<void> configure_connection(sqlite::Connection& connection) {
  sqlite3_busy_timeout(connection.handle(), kBusyTimeoutMs);
  {
    auto stmt = connection.prepare(kPragmaJournalModeWal);
    if (!stmt) return tl::unexpected(stmt.error());
    auto row = stmt->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row || stmt->text(0) != "wal") {
      return fail(ErrorCode::Unavailable, "the database refused WAL journal mode",
                  "database unavailable");
    }
  }
  auto synchronous = connection.prepare(kPragmaSynchronousFull);
  if (!synchronous) return tl::unexpected(synchronous.error());
  return synchronous->run();
}

// Creates `file` empty with mode 0600 unless it exists (then its mode is the operator's choice).
Result<void> create_private_file(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return {};
  }
  if (errno == EEXIST) return {};
  return fail(ErrorCode::Unavailable,
              "cannot create " + file.string() + ": " + std::strerror(errno),
              "database unavailable");
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::filesystem::path& file) {
  if (file.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) {
      return fail(ErrorCode::Unavailable,
                  "cannot create " + file.parent_path().string() + ": " + ec.message(),
                  "database unavailable");
    }
  }
  // The database holds pre-shared keys and hub client secrets: owner-only, like the key files.
  // SQLite gives its -wal and -shm files the database file's mode, so creating it 0600 covers
  // them too.
  if (auto created = create_private_file(file); !created) return tl::unexpected(created.error());
  auto connection = sqlite::Connection::open(file);
  if (!connection) return tl::unexpected(connection.error());
  auto configured = configure_connection(*connection);
  if (!configured) return tl::unexpected(configured.error());
  auto migrated = sqlite::migrate(*connection);
  if (!migrated) return tl::unexpected(migrated.error());
  return std::unique_ptr<SqliteStore>(
      new SqliteStore(std::make_unique<sqlite::Connection>(std::move(*connection))));
}

SqliteStore::SqliteStore(std::unique_ptr<sqlite::Connection> connection)
    : connection_(std::move(connection)) {}

SqliteStore::~SqliteStore() = default;

template <class Write>
auto SqliteStore::write_configuration(Write&& write) -> decltype(write()) {
  std::lock_guard lock(mutex_);
  auto tx = sqlite::Transaction::begin(*connection_);
  if (!tx) return tl::unexpected(tx.error());
  const int64_t changes_before = connection_->total_changes();
  auto result = write();
  if (!result) return result;  // tx rolls back
  if (connection_->total_changes() != changes_before) {
    auto bump = connection_->prepare(kBumpConfigurationVersion);
    if (!bump) return tl::unexpected(bump.error());
    auto bumped = bump->run();
    if (!bumped) return tl::unexpected(bumped.error());
  }
  auto committed = tx->commit();
  if (!committed) return tl::unexpected(committed.error());
  return result;
}

// --- enrollment groups

Result<void> SqliteStore::upsert_enrollment_groups(std::span<const EnrollmentGroup> groups) {
  return write_configuration([&]() -> Result<void> {
    for (const EnrollmentGroup& group : groups) {
      auto done = sqlite::enrollment_group_table::upsert(*connection_, group);
      if (!done) return done;
    }
    return {};
  });
}

Result<void> SqliteStore::create_enrollment_group(const EnrollmentGroup& group) {
  return write_configuration(
      [&] { return sqlite::enrollment_group_table::insert(*connection_, group); });
}

Result<void> SqliteStore::update_enrollment_group(const EnrollmentGroup& group) {
  return write_configuration([&]() -> Result<void> {
    auto updated = sqlite::enrollment_group_table::update(*connection_, group);
    if (!updated) return tl::unexpected(updated.error());
    if (!*updated) return fail(ErrorCode::NotFound, "enrollment group " + group.id + " not found");
    return {};
  });
}

Result<std::vector<EnrollmentGroup>> SqliteStore::list_enrollment_groups(
    const EnrollmentGroupFilter& filter) {
  std::lock_guard lock(mutex_);
  return sqlite::enrollment_group_table::list(*connection_, filter);
}

Result<std::vector<GroupRevision>> SqliteStore::list_enrollment_group_revisions(int64_t after) {
  std::lock_guard lock(mutex_);
  return sqlite::enrollment_group_table::revisions(*connection_, after);
}

Result<size_t> SqliteStore::count_enrollment_groups(const OwnerScope& scope) {
  std::lock_guard lock(mutex_);
  return sqlite::enrollment_group_table::count(*connection_, scope);
}

Result<size_t> SqliteStore::delete_enrollment_groups(const EnrollmentGroupFilter& filter) {
  return write_configuration(
      [&] { return sqlite::enrollment_group_table::remove(*connection_, filter); });
}

// --- individual enrollments: not part of the catalog, so no configuration_version bump

Result<void> SqliteStore::create_individual_enrollments_within(
    std::span<const IndividualEnrollment> enrollments, size_t most_per_owner) {
  if (auto refused = individual_enrollment_batch_error(enrollments)) {
    return tl::unexpected(std::move(*refused));
  }
  if (enrollments.empty()) return {};
  std::lock_guard lock(mutex_);
  // One transaction (one fsync) for the batch, one prepared statement for every row; a conflict
  // rolls the transaction back: all or nothing.
  auto tx = sqlite::Transaction::begin(*connection_);
  if (!tx) return tl::unexpected(tx.error());
  // Counted in the transaction, under the store's write lock (and SQLite's, for another process
  // on the same file): nothing is inserted between the count and the rows.
  if (most_per_owner != kNoQuota) {
    for (const auto& [owner, adding] : enrollments_per_owner(enrollments)) {
      auto held = sqlite::individual_enrollment_table::count(*connection_, OwnerScope::of(owner));
      if (!held) return tl::unexpected(held.error());
      if (*held + adding > most_per_owner) {
        return tl::unexpected(individual_enrollment_quota_exceeded(*held, adding, most_per_owner));
      }
    }
  }
  for (const IndividualEnrollment& enrollment : enrollments) {
    auto inserted = sqlite::individual_enrollment_table::insert(*connection_, enrollment);
    if (!inserted) return inserted;
  }
  return tx->commit();
}

Result<void> SqliteStore::update_individual_enrollment(const IndividualEnrollment& enrollment) {
  if (auto refused = individual_enrollment_batch_error(std::span(&enrollment, 1))) {
    return tl::unexpected(std::move(*refused));
  }
  std::lock_guard lock(mutex_);
  auto updated = sqlite::individual_enrollment_table::update(*connection_, enrollment);
  if (!updated) return tl::unexpected(updated.error());
  if (!*updated) {
    return fail(ErrorCode::NotFound, "individual enrollment " + enrollment.id + " not found");
  }
  return {};
}

Result<std::vector<IndividualEnrollment>> SqliteStore::list_individual_enrollments(
    const IndividualEnrollmentFilter& filter) {
  std::lock_guard lock(mutex_);
  return sqlite::individual_enrollment_table::list(*connection_, filter);
}

Result<size_t> SqliteStore::delete_individual_enrollments(
    const IndividualEnrollmentFilter& filter) {
  std::lock_guard lock(mutex_);
  return sqlite::individual_enrollment_table::remove(*connection_, filter);
}

Result<size_t> SqliteStore::count_individual_enrollments(const OwnerScope& scope) {
  std::lock_guard lock(mutex_);
  return sqlite::individual_enrollment_table::count(*connection_, scope);
}

Result<std::vector<std::string>> SqliteStore::individual_enrollments_naming_hub(
    const std::string& owner, const std::string& hub_id, size_t limit) {
  std::lock_guard lock(mutex_);
  return sqlite::individual_enrollment_table::naming_hub(*connection_, owner, hub_id, limit);
}

Result<std::optional<IndividualEnrollment>> SqliteStore::find_individual_enrollment(
    const std::string& public_key_sha256) {
  std::lock_guard lock(mutex_);
  return sqlite::individual_enrollment_table::find(*connection_, public_key_sha256);
}

// --- enrollment templates: configuration, like hubs

Result<void> SqliteStore::create_template(const EnrollmentTemplate& t) {
  return write_configuration([&] { return sqlite::template_table::insert(*connection_, t); });
}

Result<void> SqliteStore::update_template(const EnrollmentTemplate& t) {
  return write_configuration([&]() -> Result<void> {
    auto updated = sqlite::template_table::update(*connection_, t);
    if (!updated) return tl::unexpected(updated.error());
    if (!*updated) return fail(ErrorCode::NotFound, "enrollment template " + t.id + " not found");
    return {};
  });
}

Result<std::vector<EnrollmentTemplate>> SqliteStore::list_templates(const TemplateFilter& filter) {
  std::lock_guard lock(mutex_);
  return sqlite::template_table::list(*connection_, filter);
}

Result<size_t> SqliteStore::delete_templates(const TemplateFilter& filter) {
  return write_configuration([&] { return sqlite::template_table::remove(*connection_, filter); });
}

// --- hubs

Result<void> SqliteStore::upsert_hubs(std::span<const Hub> hubs) {
  return write_configuration([&]() -> Result<void> {
    for (const Hub& hub : hubs) {
      auto done = sqlite::hub_table::upsert(*connection_, hub);
      if (!done) return done;
    }
    return {};
  });
}

Result<void> SqliteStore::create_hub(const Hub& hub) {
  return write_configuration([&] { return sqlite::hub_table::insert(*connection_, hub); });
}

Result<void> SqliteStore::update_hub(const Hub& hub) {
  return write_configuration([&]() -> Result<void> {
    auto updated = sqlite::hub_table::update(*connection_, hub);
    if (!updated) return tl::unexpected(updated.error());
    if (!*updated) return fail(ErrorCode::NotFound, "hub " + hub.id + " not found");
    return {};
  });
}

Result<std::vector<Hub>> SqliteStore::list_hubs(const HubFilter& filter) {
  std::lock_guard lock(mutex_);
  return sqlite::hub_table::list(*connection_, filter);
}

Result<size_t> SqliteStore::delete_hubs(const HubFilter& filter) {
  return write_configuration([&] { return sqlite::hub_table::remove(*connection_, filter); });
}

// --- provisioning records

Result<Store::RecordOutcomes> SqliteStore::apply_record_updates(
    std::span<const ProvisioningRecord> updates) {
  RecordOutcomes outcomes;
  if (updates.empty()) return outcomes;
  std::lock_guard lock(mutex_);
  // One transaction, one fsync at COMMIT, however many updates: this is what group commit buys.
  auto tx = sqlite::Transaction::begin(*connection_);
  if (!tx) return tl::unexpected(tx.error());
  outcomes.reserve(updates.size());
  for (const ProvisioningRecord& update : updates) {
    auto merged = sqlite::provisioning_record_table::merge(*connection_, update);
    // A refused update changed nothing (SQLite undoes a failed statement, not the transaction);
    // any other error fails the batch: tx rolls back, all or nothing.
    if (!merged && merged.error().code != ErrorCode::Conflict)
      return tl::unexpected(merged.error());
    outcomes.push_back(std::move(merged));
  }
  if (auto committed = tx->commit(); !committed) return tl::unexpected(committed.error());
  return outcomes;
}

Result<std::vector<ProvisioningRecord>> SqliteStore::list_provisioning_records(
    const RecordFilter& filter) {
  std::lock_guard lock(mutex_);
  return sqlite::provisioning_record_table::list(*connection_, filter);
}

Result<size_t> SqliteStore::delete_provisioning_records(const RecordFilter& filter) {
  std::lock_guard lock(mutex_);
  return sqlite::provisioning_record_table::remove(*connection_, filter);
}

Result<int64_t> SqliteStore::configuration_version() {
  std::lock_guard lock(mutex_);
  auto stmt = connection_->prepare(kSelectConfigurationVersion);
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row)
    return fail(ErrorCode::Internal, "configuration_version row missing", "database error");
  return stmt->integer(0);
}

// --- credentials

Result<void> SqliteStore::add_verification_code(const std::string& owner, const std::string& code,
                                                int64_t expires_at, int64_t now,
                                                int64_t max_outstanding) {
  std::lock_guard lock(mutex_);
  auto added = sqlite::execute(*connection_, kInsertVerificationCodeSql, [&](sqlite::Statement& s) {
    s.bind(1, owner);
    s.bind(2, code);
    s.bind(3, expires_at);
    s.bind(4, now);
    s.bind(5, max_outstanding);
  });
  if (!added) return tl::unexpected(added.error());
  if (*added == 0) return too_many_verification_codes(max_outstanding);
  return {};
}

Result<bool> SqliteStore::take_verification_code(const std::string& owner, const std::string& code,
                                                 int64_t now) {
  std::lock_guard lock(mutex_);
  auto tx = sqlite::Transaction::begin(*connection_);
  if (!tx) return tl::unexpected(tx.error());
  auto taken = sqlite::query<bool>(
      *connection_, kTakeVerificationCodeSql,
      [&](sqlite::Statement& s) {
        s.bind(1, owner);
        s.bind(2, code);
        s.bind(3, now);
      },
      [](const sqlite::Statement& row) -> Result<bool> { return row.integer(0) != 0; });
  if (!taken) return tl::unexpected(taken.error());
  auto purged = sqlite::execute(*connection_, kPurgeVerificationCodesSql,
                                [&](sqlite::Statement& s) { s.bind(1, now); });
  if (!purged) return tl::unexpected(purged.error());
  if (auto committed = tx->commit(); !committed) return tl::unexpected(committed.error());
  return !taken->empty() && taken->front();
}

Result<void> SqliteStore::revoke_token(const std::string& jti, int64_t expires_at) {
  std::lock_guard lock(mutex_);
  auto revoked = sqlite::execute(*connection_, kRevokeTokenSql, [&](sqlite::Statement& s) {
    s.bind(1, jti);
    s.bind(2, expires_at);
  });
  if (!revoked) return tl::unexpected(revoked.error());
  return {};
}

Result<std::vector<std::string>> SqliteStore::revoked_tokens(int64_t now) {
  std::lock_guard lock(mutex_);
  return sqlite::query<std::string>(
      *connection_, kSelectRevokedTokensSql, [&](sqlite::Statement& s) { s.bind(1, now); },
      [](const sqlite::Statement& row) -> Result<std::string> { return row.text(0); });
}

}  // namespace dps::store
