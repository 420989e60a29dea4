// The Conflict errors of the store's unique rules, worded once for both adapters.
#pragma once

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
