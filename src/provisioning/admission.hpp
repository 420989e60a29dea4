// Which enrollment admits a device. The TLS handshake matches the device's chain against the
// catalog's groups in memory; its individual enrollment (if any) is read from the store by the
// key's hash, once per session and off the I/O threads, because there may be a million of them
// and the catalog does not hold them. This decides between the two:
//  - an individual enrollment of the owner of the group that admits the device, or of any owner
//    when no group admits it, wins: it admits the device (with its own hubs), or, disabled,
//    refuses it;
//  - an individual enrollment of ANOTHER owner than the admitting group's is ignored: anyone can
//    copy a device's public key, while a group proved possession of the CA that vouches for it,
//    so another owner can neither take nor deny that device (design.md "Trust boundaries");
//  - without one, the group's verdict stands.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "pki/chain_verifier.hpp"
#include "provisioning/step.hpp"
#include "store/entities.hpp"

namespace dps::provisioning {

class Catalog;

/// What the handshake's group matching concluded.
struct GroupVerdict {
  std::string group_id;            // empty: no group admits the device
  std::string refusal;             // why not, for the log (names groups)
  std::string refusal_for_device;  // the same without group ids
  pki::TrustGroupIndex::RefusalKind refusal_kind = pki::TrustGroupIndex::RefusalKind::NotVerified;
  /// The group whose own policy refused the device, if one did (TrustGroupIndex::RefusedBy).
  pki::TrustGroupIndex::RefusedBy refused_by;
};

/// A refusal by one enrollment of a known owner: that owner's record of the device keeps it
/// (refusal_record()), so the owner sees why without reading dps's log. Nothing of it reaches the
/// device, which gets only Admission::refusal_for_device.
struct RefusingEnrollment {
  std::string owner;
  std::string enrollment_id;
  bool individual = false;  // an individual enrollment; else an enrollment group
  std::string record_id;    // the device's registration id
  /// Stage and reason in the owner's terms, e.g. "refused at admission: disabled (enrollment
  /// group G)"; names no other owner's enrollment.
  std::string reason;
  std::string certificate_pem;  // what the attestation section shows: the manufacturer leaf
  std::string common_name;
  std::string tpm_endorsement_key_sha256;  // instead, for a TPM device (device-protocol §5)
};

/// The refusal as the refusing enrollment's owner reads it: "refused at <stage>: <what>
/// (<enrollment>[: <detail>])". Only that enrollment's own words: never another owner's ids.
RefusingEnrollment refusing(std::string owner, std::string enrollment_id, bool individual,
                            std::string record_id, std::string_view stage, std::string_view what,
                            const std::string& detail);

/// The steps read hubs, owner and name from a group; an individual enrollment gives them its own.
std::shared_ptr<const store::EnrollmentGroup> as_group(const store::IndividualEnrollment& e);

struct Admission {
  bool admitted = false;
  std::string refusal;             // for the log; empty when admitted
  std::string refusal_for_device;  // what the device is told (no ids of other owners)
  pki::TrustGroupIndex::RefusalKind refusal_kind = pki::TrustGroupIndex::RefusalKind::NotVerified;
  /// Set when a specific enrollment of a known owner refused the device; not for a device no
  /// enrollment claims (nobody to show it to) nor for a forged chain.
  std::optional<RefusingEnrollment> refusing;
  /// Something the operator should know even though the device was admitted (another owner's
  /// individual enrollment names a device one of this owner's groups admits).
  std::string warning;
};

/// The leaf's validity period, read at the handshake (an individual enrollment checks it itself:
/// no group's verification did).
struct LeafValidity {
  std::optional<std::chrono::system_clock::time_point> not_before;
  std::optional<std::chrono::system_clock::time_point> not_after;
};

/// Decides, and on admission fills `peer.enrollment_group_id` or `peer.individual`.
/// `individual` is the enrollment holding the device's key, of any owner.
Admission admit(PeerIdentity& peer, const GroupVerdict& group, const Catalog& catalog,
                const std::optional<store::IndividualEnrollment>& individual,
                const LeafValidity& leaf, std::chrono::system_clock::time_point now);

/// What an identity-certificate session is checked against, read from the store for it.
struct IdentityFacts {
  std::string device_id;                                  // the certificate's (CN uuid:<id>)
  std::string leaf_serial;                                // hex
  std::optional<store::ProvisioningRecord> record;        // the one holding device_id
  std::optional<store::IndividualEnrollment> individual;  // the record's, when it names one
};

/// Admits an identity-certificate session when the device's record exists (deleting the record
/// revokes the device), the certificate is the one dps last issued it (a renewal supersedes the
/// old one), and the enrollment that admitted it still does: not deleted, not disabled, not
/// moved to another owner, and the certificate's serial or key not on its group's revocation
/// list. Fills `peer` as the record's (registration id, enrollment) and sets identity_device_id.
Admission admit_identity(PeerIdentity& peer, const IdentityFacts& facts, const Catalog& catalog);

/// The record update that keeps `refusal` in its owner's record: an attestation section dated
/// `now` (unix nanoseconds) with coap_code 0 and the reason, and no other section, so the
/// sections of an earlier provisioning stay (the merge is per section and date-guarded;
/// store/record_merge_sql.hpp). It names the refusing enrollment as the record's enrollment.
store::ProvisioningRecord refusal_record(const RefusingEnrollment& refusal, int64_t now);

/// The enrollment a request of `peer` runs under: its individual enrollment (in a group's shape),
/// or its group as the catalog holds it now; null when that group was deleted since the
/// handshake.
const store::EnrollmentGroup* enrollment_of(const PeerIdentity& peer, const Catalog& catalog);

}  // namespace dps::provisioning
