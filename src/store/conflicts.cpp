#include "store/conflicts.hpp"

namespace dps::store {

Error record_conflict(const ProvisioningRecord& update, const std::string& pinned_device_id,
                      bool held_elsewhere) {
  if (!pinned_device_id.empty() && pinned_device_id != update.device_id) {
    return Error{ErrorCode::Conflict,
                 "device id " + update.device_id + " differs from " + pinned_device_id +
                     ", the id registration " + update.id +
                     " was first provisioned with; delete its provisioning record to provision "
                     "it under another id",
                 "device id differs from the one this device was provisioned with"};
  }
  if (held_elsewhere) {
    return Error{ErrorCode::Conflict,
                 "device id " + update.device_id + " is held by another provisioning record (not " +
                     "registration " + update.id + " of owner " + update.owner + ")",
                 "device id already in use"};
  }
  // Only reachable when the record changed between the merge and this question.
  return Error{
      ErrorCode::Conflict,
      "provisioning record " + update.id + " refused the update of device id " + update.device_id,
      "device id not accepted"};
}

Error hub_conflict(const Hub& hub) {
  return Error{ErrorCode::Conflict,
               "hub " + hub.id + " already exists, or another hub of owner " + hub.owner +
                   " has hubId " + hub.hub_id,
               {}};
}

std::optional<Error> trust_conflict(const EnrollmentGroup& group,
                                    std::span<const TrustOverlap> overlaps) {
  for (const TrustOverlap& other : overlaps) {
    if (other.group_id == group.id) continue;
    if (other.owner != group.owner) {
      return Error{ErrorCode::Conflict,
                   "enrollment group " + group.id + " of owner " + group.owner +
                       ": its trust overlaps enrollment group " + other.group_id + " of owner " +
                       other.owner,
                   "attestationMechanism.x509: the certificate chain's trust belongs to another "
                   "owner's enrollment group"};
    }
    if (other.depth == 0 && !group.trust_path.empty() &&
        other.fingerprint == group.trust_path.front()) {
      const std::string message = "attestationMechanism.x509: enrollment group " + other.group_id +
                                  " has the same lead certificate: a device would match both";
      return Error{ErrorCode::Conflict, message, message};
    }
  }
  return std::nullopt;
}

tl::unexpected<Error> too_many_verification_codes(int64_t max_outstanding) {
  return fail(ErrorCode::Conflict, "too many verification codes outstanding (" +
                                       std::to_string(max_outstanding) +
                                       "): use one or let them expire first");
}

}  // namespace dps::store
