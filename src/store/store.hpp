// The Store port: everything dps persists. Adapters: sqlite/ (embedded default), postgres/ (later).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "store/entities.hpp"

namespace dps::store {

/// Which objects a query or delete addresses. `owner` empty means "every owner" and is only used by
/// dps itself (cache loading at the device handshake), never on behalf of an API caller.
/// Non-empty id lists are OR-ed (spec: different filters are OR-ed); all empty = all of the owner.
struct EnrollmentGroupFilter {
  std::string owner;
  std::vector<std::string> ids;
  std::vector<std::string> lead_certificate_names;
  std::vector<std::string> hub_ids;
};

struct HubFilter {
  std::string owner;
  std::vector<std::string> ids;
  std::vector<std::string> hub_ids;
};

struct RecordFilter {
  std::string owner;
  std::vector<std::string> ids;
  std::vector<std::string> device_ids;
  std::vector<std::string> enrollment_group_ids;
};

/// Thread-safety: every method may be called from any thread; adapters serialise internally.
/// Methods block (they do I/O): never call them on an I/O thread, use RecordWriter for records.
/// Errors: Unavailable when the database cannot be reached (callers answer 5.03/503), Conflict for
/// duplicate ids on create, NotFound for updates of missing objects, Internal otherwise.
class Store {
 public:
  virtual ~Store() = default;

  /// Inserts or replaces (by id) enrollment groups; one transaction.
  virtual Result<void> upsert_enrollment_groups(std::span<const EnrollmentGroup> groups) = 0;
  /// Inserts; Conflict if the id exists.
  virtual Result<void> create_enrollment_group(const EnrollmentGroup& group) = 0;
  /// Replaces an existing group of the same id and owner; NotFound otherwise.
  virtual Result<void> update_enrollment_group(const EnrollmentGroup& group) = 0;
  /// Results ordered by id.
  virtual Result<std::vector<EnrollmentGroup>> list_enrollment_groups(
      const EnrollmentGroupFilter& filter) = 0;
  virtual Result<size_t> delete_enrollment_groups(const EnrollmentGroupFilter& filter) = 0;

  virtual Result<void> upsert_hubs(std::span<const Hub> hubs) = 0;
  virtual Result<void> create_hub(const Hub& hub) = 0;
  virtual Result<void> update_hub(const Hub& hub) = 0;
  virtual Result<std::vector<Hub>> list_hubs(const HubFilter& filter) = 0;
  virtual Result<size_t> delete_hubs(const HubFilter& filter) = 0;

  /// Applies record updates in ONE transaction (group commit) with the per-section date-guarded
  /// merge described on ProvisioningRecord. Durable (fsync'd) when this returns success.
  virtual Result<void> apply_record_updates(std::span<const ProvisioningRecord> updates) = 0;
  /// Results ordered by id.
  virtual Result<std::vector<ProvisioningRecord>> list_provisioning_records(
      const RecordFilter& filter) = 0;
  virtual Result<size_t> delete_provisioning_records(const RecordFilter& filter) = 0;

  /// Monotonic counter bumped by every change of groups or hubs (by any writer of this database),
  /// so caches can tell they are stale without reloading on every handshake.
  virtual Result<int64_t> configuration_version() = 0;
};

}  // namespace dps::store
