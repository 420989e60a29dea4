// The scale-out Store adapter: PostgreSQL through libpq, and the listener that tells replicas
// when the configuration (groups, hubs, templates) changed.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "store/postgres/postgres_options.hpp"
#include "store/store.hpp"

namespace dps::store {

namespace postgres {
class Connection;      // connection.hpp; kept out of this header so users need no libpq-fe.h
class ConnectionPool;  // connection_pool.hpp
}  // namespace postgres

/// The channel every configuration write notifies, with the new configuration_version as payload.
inline constexpr std::string_view kConfigurationChannel = "dps_configuration";

/// Store on a PostgreSQL database shared by any number of dps replicas.
///
/// Durability: a call returns success only after COMMIT returned, and every session runs with
/// synchronous_commit at least `on` (raised from `off`, never lowered), so the commit's WAL is
/// flushed: callers may answer a device as soon as apply_record_updates returns. A batch of record
/// updates is one transaction sent as one pipeline: one round trip and one WAL flush per batch
/// (use RecordWriter to batch concurrent devices).
///
/// Concurrency: a pool of at most options.max_connections connections opened on demand; each call
/// holds one for its duration, so record commits, API listings and cache reloads run in parallel.
/// Configuration writes bump configuration_version and NOTIFY kConfigurationChannel in their own
/// transaction, so a replica that sees the notification (or the new version) sees the new rows.
///
/// Statements are prepared once per connection: behind a connection pooler, use session pooling
/// (PgBouncer's transaction pooling does not keep prepared statements before its 1.21).
///
/// Outages: while the database is unreachable every call fails Unavailable (connect refused, or
/// after connect_timeout); dead connections are detected when next handed out and replaced, so the
/// store recovers by itself once the database is back. Nothing in an error message comes from the
/// connection string (no password) or from row data (no pre-shared key).
class PostgresStore final : public Store {
 public:
  /// Connects and applies the schema migrations (one transaction under an advisory lock, so
  /// replicas starting at once are safe). Fails Unavailable when the database cannot be reached,
  /// Internal on a malformed connection string or a schema newer than this build knows.
  static Result<std::unique_ptr<PostgresStore>> open(const PostgresOptions& options);
  ~PostgresStore() override;

  // store::Store
  Result<void> upsert_enrollment_groups(std::span<const EnrollmentGroup> groups) override;
  Result<void> create_enrollment_group(const EnrollmentGroup& group) override;
  Result<void> update_enrollment_group(const EnrollmentGroup& group) override;
  Result<std::vector<EnrollmentGroup>> list_enrollment_groups(
      const EnrollmentGroupFilter& filter) override;
  Result<size_t> delete_enrollment_groups(const EnrollmentGroupFilter& filter) override;
  Result<std::vector<GroupRevision>> list_enrollment_group_revisions(int64_t after) override;
  Result<size_t> count_enrollment_groups(const OwnerScope& scope) override;

  Result<void> create_individual_enrollments_within(
      std::span<const IndividualEnrollment> enrollments, size_t most_per_owner) override;
  Result<void> update_individual_enrollment(const IndividualEnrollment& enrollment) override;
  Result<std::vector<IndividualEnrollment>> list_individual_enrollments(
      const IndividualEnrollmentFilter& filter) override;
  Result<size_t> delete_individual_enrollments(const IndividualEnrollmentFilter& filter) override;
  Result<size_t> count_individual_enrollments(const OwnerScope& scope) override;
  Result<std::vector<std::string>> individual_enrollments_naming_hub(const std::string& owner,
                                                                     const std::string& hub_id,
                                                                     size_t limit) override;
  Result<std::optional<IndividualEnrollment>> find_individual_enrollment(
      const std::string& public_key_sha256) override;

  Result<void> create_template(const EnrollmentTemplate& t) override;
  Result<void> update_template(const EnrollmentTemplate& t) override;
  Result<std::vector<EnrollmentTemplate>> list_templates(const TemplateFilter& filter) override;
  Result<size_t> delete_templates(const TemplateFilter& filter) override;

  Result<void> upsert_hubs(std::span<const Hub> hubs) override;
  Result<void> create_hub(const Hub& hub) override;
  Result<void> update_hub(const Hub& hub) override;
  Result<std::vector<Hub>> list_hubs(const HubFilter& filter) override;
  Result<size_t> delete_hubs(const HubFilter& filter) override;

  Result<RecordOutcomes> apply_record_updates(std::span<const ProvisioningRecord> updates) override;
  Result<std::vector<ProvisioningRecord>> list_provisioning_records(
      const RecordFilter& filter) override;
  Result<size_t> delete_provisioning_records(const RecordFilter& filter) override;

  Result<int64_t> configuration_version() override;

  Result<void> add_verification_code(const std::string& owner, const std::string& code,
                                     int64_t expires_at, int64_t now,
                                     int64_t max_outstanding) override;
  Result<bool> take_verification_code(const std::string& owner, const std::string& code,
                                      int64_t now) override;
  Result<void> revoke_token(const std::string& jti, int64_t expires_at) override;
  Result<std::vector<std::string>> revoked_tokens(int64_t now) override;

 private:
  explicit PostgresStore(std::unique_ptr<postgres::ConnectionPool> pool);

  /// Runs `write(Connection&)` in one transaction and, if it changed any row, bumps
  /// configuration_version and notifies kConfigurationChannel in that same transaction (so no
  /// reader sees new configuration with an old version). `write` returns Result<T>.
  template <class Write>
  auto write_configuration(Write&& write) -> decltype(write(std::declval<postgres::Connection&>()));

  std::unique_ptr<postgres::ConnectionPool> pool_;
};

/// Waits for configuration changes made by any replica: its own connection runs
/// `LISTEN dps_configuration`. Typical use, on a thread of its own:
///
///     auto listener = PostgresListener::open(options);   // listen first,
///     reload();                                          // then load: nothing is missed
///     for (;;) if (listener->wait(1s) != PostgresListener::Event::Timeout) reload();
///
/// Thread-safety: one thread at a time.
class PostgresListener {
 public:
  enum class Event {
    Notified,  // at least one change was committed (several are coalesced)
    Timeout,   // nothing happened within the timeout
    Lost,      // the connection broke: changes may have been missed, reload. wait() reconnects
               // by itself; while the database stays down, each wait() returns Lost after
               // its full timeout (it never spins).
  };

  /// Connects and starts listening. Unavailable when the database cannot be reached.
  static Result<std::unique_ptr<PostgresListener>> open(const PostgresOptions& options);
  ~PostgresListener();
  PostgresListener(const PostgresListener&) = delete;
  PostgresListener& operator=(const PostgresListener&) = delete;

  /// Blocks until a notification arrives, the connection breaks, or `timeout` passes.
  Event wait(std::chrono::milliseconds timeout);

  /// The configuration_version carried by the latest notification (0 before the first).
  int64_t notified_version() const { return notified_version_; }

 private:
  explicit PostgresListener(PostgresOptions options);
  Result<void> connect();
  Event lose();

  const PostgresOptions options_;
  std::unique_ptr<postgres::Connection> connection_;  // null while the database is unreachable
  int64_t notified_version_ = 0;
};

}  // namespace dps::store
