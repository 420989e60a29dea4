#include "provisioning/admission.hpp"

#include <algorithm>

#include "pki/device_key.hpp"
#include "pki/individual_verdict.hpp"
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

std::string_view word_of(RefusalKind kind) {
  switch (kind) {
    case RefusalKind::Disabled:
      return "disabled";
    case RefusalKind::Revoked:
      return "revoked";
    case RefusalKind::Expired:
      return "expired";
    case RefusalKind::NoGroup:
    case RefusalKind::NotVerified:
      break;
  }
  return "not verified";
}

// A manufacturer-certificate session: the record shows the certificate the device presented.
Admission with_refuser(Admission out, RefusingEnrollment by, const PeerIdentity& peer) {
  by.certificate_pem = peer.leaf_pem;
  by.common_name = peer.common_name;
  out.refusing = std::move(by);
  return out;
}

Admission admit_individually(PeerIdentity& peer, const store::IndividualEnrollment& enrollment,
                             const LeafValidity& leaf, std::chrono::system_clock::time_point now) {
  const std::string which = "individual enrollment " + enrollment.id;
  // The device proved the key this enrollment names: the refusal is this owner's to see.
  const auto by = [&](std::string_view what, const std::string& detail) {
    return refusing(enrollment.owner, enrollment.id, true, peer.registration_id, "admission", what,
                    detail);
  };
  // The rule the API's explain applies too (pki/individual_verdict.hpp).
  switch (pki::judge_individually(enrollment.disabled, leaf.not_before, leaf.not_after, now)) {
    case pki::IndividualVerdict::Disabled:
      return with_refuser(refused(which + " is disabled: it refuses this device",
                                  "this device's enrollment is disabled", RefusalKind::Disabled),
                          by("disabled", {}), peer);
    case pki::IndividualVerdict::Expired:
      return with_refuser(refused(which + ": the device certificate is expired or not yet valid",
                                  "certificate expired or not yet valid", RefusalKind::Expired),
                          by("expired", "the device certificate is expired or not yet valid"),
                          peer);
    case pki::IndividualVerdict::Admits:
      break;
  }
  peer.enrollment_group_id.clear();
  peer.individual = as_group(enrollment);
  Admission out;
  out.admitted = true;
  return out;
}

}  // namespace

// The refusal as the refusing enrollment's owner reads it: "refused at <stage>: <what>
// (<enrollment>[: <detail>])". Only that enrollment's own words: never another owner's ids.
RefusingEnrollment refusing(std::string owner, std::string enrollment_id, bool individual,
                            std::string record_id, std::string_view stage, std::string_view what,
                            const std::string& detail) {
  RefusingEnrollment out;
  out.reason = "refused at " + std::string(stage) + ": " + std::string(what) + " (" +
               (individual ? "individual enrollment " : "enrollment group ") + enrollment_id +
               (detail.empty() ? "" : ": " + detail) + ")";
  out.owner = std::move(owner);
  out.enrollment_id = std::move(enrollment_id);
  out.individual = individual;
  out.record_id = std::move(record_id);
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

Admission admit(PeerIdentity& peer, const GroupVerdict& group, const Catalog& catalog,
                const std::optional<store::IndividualEnrollment>& found, const LeafValidity& leaf,
                std::chrono::system_clock::time_point now) {
  // A TPM enrollment names an endorsement key, a decrypt-only key that cannot sign a handshake: a
  // client certificate carrying it proves nothing about that TPM, so the enrollment neither
  // admits nor refuses a certificate session (TPM attestation is its only way in).
  const bool certificate_enrollment = found && !found->is_tpm();
  const std::optional<store::IndividualEnrollment>& individual =
      certificate_enrollment ? found : std::nullopt;
  const store::EnrollmentGroup* admitting =
      group.group_id.empty() ? nullptr : catalog.find_group(group.group_id);
  if (individual && (!admitting || admitting->owner == individual->owner)) {
    return admit_individually(peer, *individual, leaf, now);
  }
  if (!admitting) {
    auto out = refused(group.refusal.empty() ? "no enrollment admits this device" : group.refusal,
                       group.refusal_for_device.empty() ? "no enrollment admits this device"
                                                        : group.refusal_for_device,
                       group.refusal_kind);
    // The group the handshake found refusing, as the catalog holds it now (deleted since: no one
    // to tell).
    const auto& by = group.refused_by;
    const store::EnrollmentGroup* refuser =
        by.group_id.empty() ? nullptr : catalog.find_group(by.group_id);
    if (refuser == nullptr) return out;
    return with_refuser(std::move(out),
                        refusing(refuser->owner, refuser->id, false, peer.registration_id,
                                 "admission", word_of(by.kind), by.detail),
                        peer);
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
  // From here the record exists and dps's own CA issued the certificate: its owner sees the
  // refusal in it. The attestation section keeps the manufacturer certificate it showed.
  const bool individual = !record->individual_enrollment_id.empty();
  const auto with_record = [&](Admission out, std::string_view what, const std::string& detail) {
    RefusingEnrollment by = refusing(
        record->owner, individual ? record->individual_enrollment_id : record->enrollment_group_id,
        individual, record->id, "identity session", what, detail);
    by.certificate_pem = record->attestation ? record->attestation->certificate_pem : peer.leaf_pem;
    by.common_name = record->attestation ? record->attestation->common_name : peer.common_name;
    out.refusing = std::move(by);
    return out;
  };
  const std::string issued =
      record->credential ? record->credential->identity_certificate_pem : std::string{};
  auto issued_key = issued.empty() ? Result<std::string>(tl::unexpected(Error{}))
                                   : pki::device_key_hash_of_certificate(issued);
  if (!issued_key || *issued_key != peer.key_hash) {
    return with_record(
        refused(device + ": not the identity certificate dps last issued it (renewed since?)",
                "not this device's current identity certificate", RefusalKind::Revoked),
        "superseded", "not the identity certificate dps last issued this device");
  }
  if (individual) {
    const auto& e = facts.individual;
    if (!e || e->id != record->individual_enrollment_id || e->owner != record->owner) {
      return with_record(refused(device + ": individual enrollment " +
                                     record->individual_enrollment_id + " no longer exists",
                                 "this device's enrollment was deleted", RefusalKind::NoGroup),
                         "deleted", {});
    }
    if (e->disabled) {
      return with_record(refused(device + ": individual enrollment " + e->id + " is disabled",
                                 "this device's enrollment is disabled", RefusalKind::Disabled),
                         "disabled", {});
    }
    peer.individual = as_group(*e);
    peer.enrollment_group_id.clear();
  } else {
    const store::EnrollmentGroup* group = catalog.find_group(record->enrollment_group_id);
    if (!group || group->owner != record->owner) {
      return with_record(refused(device + ": enrollment group " + record->enrollment_group_id +
                                     " no longer exists",
                                 "this device's enrollment was deleted", RefusalKind::NoGroup),
                         "deleted", {});
    }
    if (group->disabled) {
      return with_record(refused(device + ": enrollment group " + group->id + " is disabled",
                                 "this device's enrollment is disabled", RefusalKind::Disabled),
                         "disabled", {});
    }
    const auto trust = catalog.trust_group(group->id);
    if (trust && trust->lists(facts.leaf_serial, peer.key_hash)) {
      return with_record(
          refused(device + ": identity certificate revoked by enrollment group " + group->id,
                  "certificate revoked", RefusalKind::Revoked),
          "revoked",
          "the identity certificate's serial " + facts.leaf_serial +
              " or key is on the revocation list");
    }
    // A TPM group revokes a TPM by its EK (its SPKI hash): its identity certificate goes with it.
    const std::string ek =
        record->attestation ? record->attestation->tpm_endorsement_key_sha256 : std::string{};
    if (group->is_tpm() && !ek.empty() &&
        std::find(group->revoked_certificates.begin(), group->revoked_certificates.end(), ek) !=
            group->revoked_certificates.end()) {
      return with_record(refused(device + ": TPM revoked by enrollment group " + group->id,
                                 "TPM revoked", RefusalKind::Revoked),
                         "revoked", "the endorsement key " + ek + " is on the revocation list");
    }
    peer.enrollment_group_id = group->id;
    peer.individual.reset();
  }
  peer.registration_id = record->id;
  peer.identity_device_id = facts.device_id;
  if (record->attestation && !record->attestation->tpm_endorsement_key_sha256.empty()) {
    // A TPM device: the key of this certificate is the one its TPM certified at attestation, and
    // renewals must keep it there.
    peer.tpm_endorsement_key_sha256 = record->attestation->tpm_endorsement_key_sha256;
    peer.certified_key_sha256 = peer.key_hash;
  }
  Admission out;
  out.admitted = true;
  return out;
}

store::ProvisioningRecord refusal_record(const RefusingEnrollment& refusal, int64_t now) {
  store::ProvisioningRecord update;
  update.id = refusal.record_id;
  update.owner = refusal.owner;
  (refusal.individual ? update.individual_enrollment_id : update.enrollment_group_id) =
      refusal.enrollment_id;
  update.creation_date = now;  // a first record only: the merge never rewrites it
  update.attestation.emplace();
  // coap_code 0: no step answered; the device got an Abort (7.05) before any request.
  update.attestation->status = {now, 0, refusal.reason};
  update.attestation->certificate_pem = refusal.certificate_pem;
  update.attestation->common_name = refusal.common_name;
  update.attestation->tpm_endorsement_key_sha256 = refusal.tpm_endorsement_key_sha256;
  return update;
}

const store::EnrollmentGroup* enrollment_of(const PeerIdentity& peer, const Catalog& catalog) {
  if (peer.individual) return peer.individual.get();
  if (peer.enrollment_group_id.empty()) return nullptr;
  return catalog.find_group(peer.enrollment_group_id);
}

}  // namespace dps::provisioning
