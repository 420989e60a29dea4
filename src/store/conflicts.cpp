#include "store/conflicts.hpp"

#include <string_view>
#include <unordered_map>

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
  // TPM and certificate groups share trust rows: one CA key is one owner's, whichever the kind.
  const std::string field = group.is_tpm() ? "attestationMechanism.tpm.vendorCertificateChain"
                                           : "attestationMechanism.x509";
  for (const TrustOverlap& other : overlaps) {
    if (other.group_id == group.id) continue;
    if (other.owner != group.owner) {
      return Error{ErrorCode::Conflict,
                   "enrollment group " + group.id + " of owner " + group.owner +
                       ": its trust overlaps enrollment group " + other.group_id + " of owner " +
                       other.owner,
                   field +
                       ": the certificate chain's trust belongs to another owner's enrollment "
                       "group"};
    }
    if (other.depth == 0 && !group.trust_path.empty() &&
        other.fingerprint == group.trust_path.front()) {
      const std::string message = field + ": enrollment group " + other.group_id +
                                  " has the same lead certificate: a device would match both";
      return Error{ErrorCode::Conflict, message, message};
    }
  }
  return std::nullopt;
}

Error individual_enrollment_conflict(const IndividualEnrollment& enrollment, bool id_taken) {
  if (id_taken) {
    const std::string message = "individual enrollment " + enrollment.id + " already exists";
    return Error{ErrorCode::Conflict, message, message};
  }
  // The holder may be another owner's: naming it, or its owner, would tell one tenant about
  // another's devices.
  const std::string message =
      "another individual enrollment already holds the device key " + enrollment.public_key_sha256;
  return Error{ErrorCode::Conflict, message, message};
}

namespace {

bool is_sha256_hex(std::string_view text) {
  constexpr size_t kSha256HexDigits = 64;
  if (text.size() != kSha256HexDigits) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// The first text field of `e` holding a NUL byte, or nullptr.
const char* field_with_nul(const IndividualEnrollment& e) {
  const auto has_nul = [](std::string_view text) {
    return text.find('\0') != std::string_view::npos;
  };
  if (has_nul(e.id)) return "id";
  if (has_nul(e.owner)) return "owner";
  if (has_nul(e.name)) return "name";
  if (has_nul(e.certificate_pem)) return "certificate";
  if (has_nul(e.template_id)) return "templateId";
  if (has_nul(e.tpm_endorsement_key)) return "tpm.endorsementKey";
  for (const std::string& hub_id : e.hub_ids) {
    if (has_nul(hub_id)) return "hubIds";
  }
  return nullptr;
}

}  // namespace

std::optional<Error> individual_enrollment_batch_error(
    std::span<const IndividualEnrollment> batch) {
  std::unordered_map<std::string_view, size_t> ids;
  std::unordered_map<std::string_view, size_t> keys;
  for (size_t i = 0; i < batch.size(); ++i) {
    const IndividualEnrollment& e = batch[i];
    const std::string at = "individual enrollment " + std::to_string(i) + " (" + e.id + ")";
    if (e.id.empty() || e.owner.empty()) {
      return Error{ErrorCode::BadRequest, at + " has no id or no owner",
                   "individual enrollment without id or owner"};
    }
    if (!is_sha256_hex(e.public_key_sha256)) {
      const std::string message =
          at + ": the device key hash is not a lowercase hex SHA-256 (64 digits)";
      return Error{ErrorCode::BadRequest, message, message};
    }
    if (const char* field = field_with_nul(e)) {
      const std::string message = at + ": " + field + " contains a NUL byte";
      return Error{ErrorCode::BadRequest, message, message};
    }
    if (auto [first, fresh] = ids.try_emplace(e.id, i); !fresh) {
      const std::string message = "individual enrollments " + std::to_string(first->second) +
                                  " and " + std::to_string(i) + " of the batch have the id " + e.id;
      return Error{ErrorCode::Conflict, message, message};
    }
    if (auto [first, fresh] = keys.try_emplace(e.public_key_sha256, i); !fresh) {
      const std::string message = "individual enrollments " + std::to_string(first->second) +
                                  " and " + std::to_string(i) +
                                  " of the batch have the device key " + e.public_key_sha256;
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

std::map<std::string, size_t> enrollments_per_owner(std::span<const IndividualEnrollment> batch) {
  std::map<std::string, size_t> counts;
  for (const IndividualEnrollment& e : batch) ++counts[e.owner];
  return counts;
}

constexpr std::string_view kQuotaExceeded = "quota exceeded: ";

bool is_quota_exceeded(const Error& error) {
  return error.code == ErrorCode::Conflict && error.internal.starts_with(kQuotaExceeded);
}

Error individual_enrollment_quota_exceeded(size_t held, size_t adding, size_t most) {
  const std::string message = std::string(kQuotaExceeded) + std::to_string(held) +
                              " individual enrollments of this owner, " + std::to_string(adding) +
                              " more would pass the " + std::to_string(most) + " allowed";
  return Error{ErrorCode::Conflict, message, message};
}

}  // namespace dps::store
