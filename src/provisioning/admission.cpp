#include "provisioning/admission.hpp"

#include "pki/device_key.hpp"
#include "pki/trust_group.hpp"
#include "provisioning/catalog.hpp"

namespace dps::provisioning {
namespace {

using RefusalKind = pki::TrustGroupIndex::RefusalKind;

Admission refused(std::string why, std::string for_device, RefusalKind kind) {
  Admission out;
  out.refusal = std::move(why);
  out.refusal_for_device = std::move(for_device);
  out.refusal_kind = kind;
  return out;
}

// The steps read hubs, owner and name from a group; an individual enrollment gives them its own.
std::shared_ptr<const store::EnrollmentGroup> as_group(const store::IndividualEnrollment& e) {
  auto group = std::make_shared<store::EnrollmentGroup>();
  group->id = e.id;
  group->owner = e.owner;
  group->name = e.name;
  group->hub_ids = e.hub_ids;
  group->template_id = e.template_id;
  return group;
}

Admission admit_individually(PeerIdentity& peer, const store::IndividualEnrollment& enrollment,
                             const LeafValidity& leaf, std::chrono::system_clock::time_point now) {
  const std::string which = "individual enrollment " + enrollment.id;
  if (enrollment.disabled) {
    return refused(which + " is disabled: it refuses this device",
                   "this device's enrollment is disabled", RefusalKind::Disabled);
  }
  // No group verified this certificate's dates: the individual enrollment does.
  if (!leaf.not_before || !leaf.not_after || now < *leaf.not_before || now > *leaf.not_after) {
    return refused(which + ": the device certificate is expired or not yet valid",
                   "certificate expired or not yet valid", RefusalKind::Expired);
  }
  peer.enrollment_group_id.clear();
  peer.individual = as_group(enrollment);
  Admission out;
  out.admitted = true;
  return out;
}

}  // namespace

Admission admit(PeerIdentity& peer, const GroupVerdict& group, const Catalog& catalog,
                const std::optional<store::IndividualEnrollment>& individual,
                const LeafValidity& leaf, std::chrono::system_clock::time_point now) {
  const store::EnrollmentGroup* admitting =
      group.group_id.empty() ? nullptr : catalog.find_group(group.group_id);
  if (individual && (!admitting || admitting->owner == individual->owner)) {
    return admit_individually(peer, *individual, leaf, now);
  }
  if (!admitting) {
    return refused(group.refusal.empty() ? "no enrollment admits this device" : group.refusal,
                   group.refusal_for_device.empty() ? "no enrollment admits this device"
                                                    : group.refusal_for_device,
                   group.refusal_kind);
  }
  peer.enrollment_group_id = group.group_id;
  peer.individual.reset();
  Admission out;
  out.admitted = true;
  if (individual) {
    out.warning = "individual enrollment " + individual->id +
                  " of another owner names this device; enrollment group " + admitting->id +
                  " admits it for its own owner, who keeps it";
  }
  return out;
}

Admission admit_identity(PeerIdentity& peer, const IdentityFacts& facts, const Catalog& catalog) {
  const std::string device = "device " + facts.device_id;
  const auto& record = facts.record;
  if (!record) {
    return refused(device + " has no provisioning record (deleted: revoked)",
                   "no provisioning record for this device", RefusalKind::Revoked);
  }
  const std::string issued =
      record->credential ? record->credential->identity_certificate_pem : std::string{};
  auto issued_key = issued.empty() ? Result<std::string>(tl::unexpected(Error{}))
                                   : pki::device_key_hash_of_certificate(issued);
  if (!issued_key || *issued_key != peer.key_hash) {
    return refused(device + ": not the identity certificate dps last issued it (renewed since?)",
                   "not this device's current identity certificate", RefusalKind::Revoked);
  }
  if (!record->individual_enrollment_id.empty()) {
    const auto& e = facts.individual;
    if (!e || e->id != record->individual_enrollment_id || e->owner != record->owner) {
      return refused(device + ": individual enrollment " + record->individual_enrollment_id +
                         " no longer exists",
                     "this device's enrollment was deleted", RefusalKind::NoGroup);
    }
    if (e->disabled) {
      return refused(device + ": individual enrollment " + e->id + " is disabled",
                     "this device's enrollment is disabled", RefusalKind::Disabled);
    }
    peer.individual = as_group(*e);
    peer.enrollment_group_id.clear();
  } else {
    const store::EnrollmentGroup* group = catalog.find_group(record->enrollment_group_id);
    if (!group || group->owner != record->owner) {
      return refused(
          device + ": enrollment group " + record->enrollment_group_id + " no longer exists",
          "this device's enrollment was deleted", RefusalKind::NoGroup);
    }
    if (group->disabled) {
      return refused(device + ": enrollment group " + group->id + " is disabled",
                     "this device's enrollment is disabled", RefusalKind::Disabled);
    }
    const auto trust = catalog.trust_group(group->id);
    if (trust && trust->lists(facts.leaf_serial, peer.key_hash)) {
      return refused(device + ": identity certificate revoked by enrollment group " + group->id,
                     "certificate revoked", RefusalKind::Revoked);
    }
    peer.enrollment_group_id = group->id;
    peer.individual.reset();
  }
  peer.registration_id = record->id;
  peer.identity_device_id = facts.device_id;
  Admission out;
  out.admitted = true;
  return out;
}

const store::EnrollmentGroup* enrollment_of(const PeerIdentity& peer, const Catalog& catalog) {
  if (peer.individual) return peer.individual.get();
  if (peer.enrollment_group_id.empty()) return nullptr;
  return catalog.find_group(peer.enrollment_group_id);
}

}  // namespace dps::provisioning
