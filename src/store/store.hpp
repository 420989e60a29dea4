// The Store port: everything dps persists. Adapters: sqlite/ (embedded default), postgres/ (later).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "store/entities.hpp"
#include "store/owner_scope.hpp"

namespace dps::store {

/// Which objects a query or delete addresses: those in `scope` (owner_scope.hpp; it has no
/// default, so every filter says whose objects it means) that match the id lists. Non-empty id
/// lists are OR-ed (spec: different filters are OR-ed); all empty = everything in scope.
struct EnrollmentGroupFilter {
  OwnerScope scope;
  std::vector<std::string> ids;
  std::vector<std::string> lead_certificate_names;
  std::vector<std::string> hub_ids;

  /// Selects by id and nothing else: the adapters then read through the primary key.
  bool ids_only() const {
    return !ids.empty() && lead_certificate_names.empty() && hub_ids.empty();
  }
};

/// A group's id and revision: the configuration_version of the write that last changed it (0 for
/// groups last written before revisions were kept). Two reads of one id with equal revisions saw
/// the same group, so a cache compares these and reads only the groups that differ.
struct GroupRevision {
  std::string id;
  int64_t revision = 0;
  bool operator==(const GroupRevision&) const = default;
};

struct HubFilter {
  OwnerScope scope;
  std::vector<std::string> ids;
  std::vector<std::string> hub_ids;
};

/// Individual enrollments by id or device key hash (OR-ed, all empty = everything in scope),
/// ordered by id. At a million enrollments a listing is read page by page: `after_id` (exclusive)
/// and `limit` (0 = no limit) select one page of that order.
struct IndividualEnrollmentFilter {
  OwnerScope scope;
  std::vector<std::string> ids;
  std::vector<std::string> public_key_sha256s;
  std::string after_id;
  size_t limit = 0;
};

struct TemplateFilter {
  OwnerScope scope;
  std::vector<std::string> ids;
};

/// Records by id, device id or enrollment group id (OR-ed, all empty = everything in scope),
/// listed in id order. A console showing the newest records of an owner with 100k of them reads
/// only those: `newest_first` orders by creation date descending (ties by id), and `limit`
/// (0 = no limit) keeps the first that many of the order. Both apply to listing only: a delete
/// with a limit is refused (BadRequest), never widened to every match.
struct RecordFilter {
  OwnerScope scope;
  std::vector<std::string> ids;
  std::vector<std::string> device_ids;
  std::vector<std::string> enrollment_group_ids;
  size_t limit = 0;
  bool newest_first = false;
};

/// Thread-safety: every method may be called from any thread; adapters serialise internally.
/// Methods block (they do I/O): never call them on an I/O thread, use RecordWriter for records.
/// Errors: Unavailable when the database cannot be reached (callers answer 5.03/503), Conflict for
/// duplicate ids on create, NotFound for updates of missing objects, Internal otherwise.
class Store {
 public:
  virtual ~Store() = default;

  // Trust belongs to one owner. A group with a trust_path claims it; a write is refused with
  // Conflict when another owner's group admits the same devices (one group's lead key is on the
  // other's trust path), or another group of the same owner has the same lead key (a device
  // would match both equally). The external text never names another owner's group. Groups of
  // one owner may nest (the more specific wins at the handshake). Writes of groups are
  // serialised, so two writers racing cannot both claim the same trust.

  /// Inserts or replaces (by id) enrollment groups; one transaction, all or nothing.
  virtual Result<void> upsert_enrollment_groups(std::span<const EnrollmentGroup> groups) = 0;
  /// Inserts; Conflict if the id exists or the trust is taken (above).
  virtual Result<void> create_enrollment_group(const EnrollmentGroup& group) = 0;
  /// Replaces an existing group of the same id and owner; NotFound otherwise; Conflict as above.
  virtual Result<void> update_enrollment_group(const EnrollmentGroup& group) = 0;
  /// Results ordered by id.
  virtual Result<std::vector<EnrollmentGroup>> list_enrollment_groups(
      const EnrollmentGroupFilter& filter) = 0;
  virtual Result<size_t> delete_enrollment_groups(const EnrollmentGroupFilter& filter) = 0;
  /// The revisions of the groups (of every owner) whose revision is greater than `after` (-1:
  /// every group), in no particular order: an index-only read of those groups alone.
  virtual Result<std::vector<GroupRevision>> list_enrollment_group_revisions(int64_t after) = 0;
  /// How many groups `scope` holds, counted on the owner index (quotas: no group is read).
  virtual Result<size_t> count_enrollment_groups(const OwnerScope& scope) = 0;

  // Individual enrollments. A device key (public_key_sha256) is held by one enrollment of one
  // owner: a write naming a key another enrollment holds is refused with Conflict, whatever that
  // enrollment's owner, and the message names neither it nor its owner. They are not part of the
  // catalog (configuration_version is not bumped): a handshake looks its device up by key.

  /// Inserts all of them in one transaction, all or nothing (the bulk-load path: callers pass
  /// batches of thousands). Conflict when an id exists or a key is taken (also within the batch).
  Result<void> create_individual_enrollments(std::span<const IndividualEnrollment> enrollments) {
    return create_individual_enrollments_within(enrollments, kNoQuota);
  }
  static constexpr size_t kNoQuota = static_cast<size_t>(-1);
  /// The same, only while every owner of the batch holds at most `most_per_owner` enrollments
  /// once it is in: checked inside the insert's transaction, with each owner's writers
  /// serialised, so concurrent creates (on any replica) cannot pass a quota together. Conflict
  /// "quota exceeded: ..." otherwise, and nothing is written.
  virtual Result<void> create_individual_enrollments_within(
      std::span<const IndividualEnrollment> enrollments, size_t most_per_owner) = 0;
  /// Replaces an existing enrollment of the same id and owner; NotFound otherwise; Conflict when
  /// the new key is another enrollment's.
  virtual Result<void> update_individual_enrollment(const IndividualEnrollment& enrollment) = 0;
  virtual Result<std::vector<IndividualEnrollment>> list_individual_enrollments(
      const IndividualEnrollmentFilter& filter) = 0;
  /// Deletes exactly what list_individual_enrollments returns for `filter` (after_id and limit
  /// included, so a huge deletion can go page by page).
  virtual Result<size_t> delete_individual_enrollments(
      const IndividualEnrollmentFilter& filter) = 0;
  /// Counted on the owner index (quotas: no enrollment is read).
  virtual Result<size_t> count_individual_enrollments(const OwnerScope& scope) = 0;
  /// The ids (ordered, at most `limit`) of `owner`'s individual enrollments whose hubIds name
  /// `hub_id`: what a hub's deletion would leave dangling. There is no index on hub ids (a device
  /// never looks an enrollment up by hub), so this walks the owner's enrollments: a hub deletion
  /// is rare, and at a million enrollments it is one scan.
  virtual Result<std::vector<std::string>> individual_enrollments_naming_hub(
      const std::string& owner, const std::string& hub_id, size_t limit) = 0;
  /// The enrollment (of any owner) holding `public_key_sha256`: one read of the unique key index,
  /// the device side's lookup at every handshake.
  virtual Result<std::optional<IndividualEnrollment>> find_individual_enrollment(
      const std::string& public_key_sha256) = 0;

  // Enrollment templates: part of the configuration (each write bumps configuration_version, the
  // catalog holds them all), like hubs.
  virtual Result<void> create_template(const EnrollmentTemplate& t) = 0;
  /// NotFound unless a template of the same id and owner exists.
  virtual Result<void> update_template(const EnrollmentTemplate& t) = 0;
  /// Ordered by id.
  virtual Result<std::vector<EnrollmentTemplate>> list_templates(const TemplateFilter& filter) = 0;
  virtual Result<size_t> delete_templates(const TemplateFilter& filter) = 0;

  virtual Result<void> upsert_hubs(std::span<const Hub> hubs) = 0;
  virtual Result<void> create_hub(const Hub& hub) = 0;
  virtual Result<void> update_hub(const Hub& hub) = 0;
  virtual Result<std::vector<Hub>> list_hubs(const HubFilter& filter) = 0;
  virtual Result<size_t> delete_hubs(const HubFilter& filter) = 0;

  /// Applies record updates in ONE transaction (group commit) with the merge rules described on
  /// ProvisioningRecord. Durable (fsync'd) when this returns. An error fails every update (the
  /// database could not be reached or the transaction did not commit: callers retry). Otherwise
  /// one outcome per update, in order: success, or Conflict when the merge refused that update
  /// and changed nothing for it (its device id differs from the one the record is pinned to, or
  /// another record holds it), while the batch's other updates committed.
  using RecordOutcomes = std::vector<Result<void>>;
  virtual Result<RecordOutcomes> apply_record_updates(
      std::span<const ProvisioningRecord> updates) = 0;
  /// Results ordered by id, or newest first (RecordFilter), at most `limit` of them.
  virtual Result<std::vector<ProvisioningRecord>> list_provisioning_records(
      const RecordFilter& filter) = 0;
  /// BadRequest for a filter with a limit (a delete takes every match or none).
  virtual Result<size_t> delete_provisioning_records(const RecordFilter& filter) = 0;

  /// Monotonic counter bumped by every change of groups, hubs or templates (by any writer of this
  /// database), so caches can tell they are stale without reloading on every handshake.
  virtual Result<int64_t> configuration_version() = 0;

  // --- The management API's credentials: single-use proof-of-possession codes, revoked tokens.
  // Times are seconds since the Unix epoch. Shared by every replica of one database.

  /// Stores a code issued to `owner`, valid until `expires_at`.
  /// @return Conflict when `owner` already holds `max_outstanding` codes unexpired at `now`
  ///         (what one tenant can make the store keep is bounded).
  virtual Result<void> add_verification_code(const std::string& owner, const std::string& code,
                                             int64_t expires_at, int64_t now,
                                             int64_t max_outstanding) = 0;
  /// Uses up `code` of `owner`: true when it existed and had not expired at `now`. It is gone
  /// afterwards either way (single use, even with replicas racing), as are expired codes.
  virtual Result<bool> take_verification_code(const std::string& owner, const std::string& code,
                                              int64_t now) = 0;
  /// Revokes a management API token by its `jti` until `expires_at` (its `exp`: later it is
  /// refused anyway). Revoking twice keeps the later expiry.
  virtual Result<void> revoke_token(const std::string& jti, int64_t expires_at) = 0;
  /// Every jti revoked and not yet expired at `now`.
  virtual Result<std::vector<std::string>> revoked_tokens(int64_t now) = 0;
};

}  // namespace dps::store
