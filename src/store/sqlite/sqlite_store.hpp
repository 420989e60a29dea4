// The embedded Store adapter: one SQLite file in WAL mode.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>

#include "store/store.hpp"

namespace dps::store {

namespace sqlite {
class Connection;  // statement.hpp; kept out of this header so users need no sqlite3.h
}  // namespace sqlite

/// Store on one SQLite database file.
///
/// Durability: WAL with synchronous=FULL, so a successful write has been fsync'd; callers may
/// answer a device as soon as apply_record_updates returns (use RecordWriter to share one fsync
/// among concurrent devices).
///
/// Concurrency: ONE connection guarded by a mutex. SQLite admits one writer per database at a time
/// anyway, and reads here are API listings and cache reloads, not the device hot path, so a
/// reader pool would add complexity for no measured gain. Other processes may open the same file:
/// busy_timeout makes them wait for each other, and only past it does a call fail Unavailable.
class SqliteStore final : public Store {
 public:
  /// Opens or creates `file` (and its parent directories), switches it to WAL and applies the
  /// schema migrations. Fails Unavailable when the file cannot be created or opened, Internal on a
  /// schema newer than this build knows.
  static Result<std::unique_ptr<SqliteStore>> open(const std::filesystem::path& file);
  ~SqliteStore() override;

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
  explicit SqliteStore(std::unique_ptr<sqlite::Connection> connection);

  /// Runs `write` in one IMMEDIATE transaction and, if it changed any row, bumps
  /// configuration_version in that same transaction (so a reader never sees new configuration with
  /// an old version). `write` returns Result<T>.
  template <class Write>
  auto write_configuration(Write&& write) -> decltype(write());

  std::mutex mutex_;
  std::unique_ptr<sqlite::Connection> connection_;  // guarded by mutex_
};

}  // namespace dps::store
