// The Conflict errors of the store's unique rules, worded once for both adapters.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>

#include "common/result.hpp"
#include "store/entities.hpp"

namespace dps::store {

/// A refused record update (record_merge_sql.hpp: the device id is pinned to the record and held
/// by one record only).
/// @param pinned_device_id the device id the update's record holds ('' if none)
/// @param held_elsewhere   whether another record holds the update's device id
/// The external text names neither the other record nor its owner.
Error record_conflict(const ProvisioningRecord& update, const std::string& pinned_device_id,
                      bool held_elsewhere);

/// A hub insert or update that broke a unique key: its id, or (owner, hubId).
Error hub_conflict(const Hub& hub);

/// An individual-enrollment write that broke a unique key. `id_taken`: the enrollment's id exists
/// (whatever its owner); otherwise another enrollment holds its device key. The text names the
/// key the caller sent, never the enrollment holding it nor that one's owner.
Error individual_enrollment_conflict(const IndividualEnrollment& enrollment, bool id_taken);

/// What refuses a batch of individual enrollments before the database is asked, or nullopt:
/// BadRequest for an enrollment without id or owner, with a device key that is not 64 lowercase
/// hex digits (find_individual_enrollment could never match it), or with a NUL byte in any text
/// (PostgreSQL's bulk path sends text arrays, which a NUL would silently cut); Conflict for two
/// enrollments of the batch with one id or one key.
std::optional<Error> individual_enrollment_batch_error(std::span<const IndividualEnrollment> batch);

/// How many enrollments of each owner `batch` adds, owners in order (the order both adapters
/// take their per-owner locks in, so two batches never wait on each other in a cycle).
std::map<std::string, size_t> enrollments_per_owner(std::span<const IndividualEnrollment> batch);

/// Conflict: an owner holding `held` individual enrollments cannot add `adding` under `most`.
/// Names no owner: the caller knows whose batch it sent.
Error individual_enrollment_quota_exceeded(size_t held, size_t adding, size_t most);
/// True for an error made by individual_enrollment_quota_exceeded (a Conflict, but no unique
/// key's).
bool is_quota_exceeded(const Error& error);

/// A stored trust-path entry of another group that overlaps a group being written: the other
/// group's lead fingerprint is on the new path, or the new lead is on the other's path.
struct TrustOverlap {
  std::string group_id;
  std::string owner;
  int64_t depth = 0;  // of `fingerprint` on the other group's path; 0 = its lead
  std::string fingerprint;
};

/// The Conflict `group` meets among `overlaps` (Store's trust rules), or nullopt: another owner's
/// group (external text names neither it nor its owner), or a group of the same owner with the
/// same lead key. Nested groups of one owner are fine.
std::optional<Error> trust_conflict(const EnrollmentGroup& group,
                                    std::span<const TrustOverlap> overlaps);

/// An owner asked for a verification code while holding `max_outstanding` unexpired ones.
tl::unexpected<Error> too_many_verification_codes(int64_t max_outstanding);

}  // namespace dps::store
