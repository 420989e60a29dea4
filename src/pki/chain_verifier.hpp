// Which enrollment group admits a device, decided from the chain it presents at the TLS handshake
// (device-protocol §2). Build a TrustGroupIndex once per configuration change and share it.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.hpp"
#include "pki/trust_group.hpp"
#include "pki/x509_ptr.hpp"

namespace dps::pki {

/// An immutable snapshot of all enrollment groups' trust material, indexed by lead certificate
/// name. Shared read-only by every session: match() is const and thread-safe.
///
/// Selection rules, in order:
///  1. Candidates: groups whose lead name equals the Issuer CN of any presented certificate.
///  2. The leaf must carry extended key usage clientAuth (checked explicitly; verification also
///     runs with purpose sslclient, so CA certificates restricting EKU must allow clientAuth).
///  3. Each candidate verifies the presented chain: trust anchors are its self-signed
///     certificates, untrusted intermediates its other certificates plus those the device sent.
///     Verification time is `now`, or the midpoint of the leaf's validity when the group has
///     expired_certificate_enabled. X509_V_FLAG_X509_STRICT is off (real IDevIDs violate it).
///  4. A candidate that is disabled, or whose revocation list or CRLs deny the leaf or an
///     intermediate of the verified chain, is not eligible. Groups are independent admission
///     policies, possibly of different owners, so one owner's deny list never blocks another
///     owner's group (no cross-tenant denial of service).
///  5. The verified chain must pass through the group's lead certificate (by key: the first of
///     TrustGroup::trust_path()); otherwise the group is not eligible, so a group trusting a root
///     never admits devices of a branch whose issuer merely shares its lead name.
///  6. Among eligible candidates, the one whose lead key is lowest on the verified chain (the most
///     specific) wins. The store keeps groups of different owners from sharing trust; should two
///     owners' groups still tie (data written before that rule), the device is refused rather
///     than handed to either by an accident of ids. Ties within one owner go to the smallest
///     group id in byte order (the store refuses those at write time too).
class TrustGroupIndex {
 public:
  explicit TrustGroupIndex(std::vector<std::shared_ptr<const TrustGroup>> groups);

  /// This index less `removed` (groups of it, by identity) plus `added`, as a new index that
  /// shares every shard neither touches with this one: a configuration change costs the groups
  /// it changed, not a rebuild of all of them (provisioning/catalog.hpp). Removals apply first,
  /// so a group may be in both (kept).
  [[nodiscard]] std::shared_ptr<const TrustGroupIndex> updated(
      std::span<const TrustGroup* const> removed,
      std::span<const std::shared_ptr<const TrustGroup>> added) const;

  struct Match {
    std::string group_id;
  };

  /// Why match() refused a device, for counting (the error messages say it for people). When
  /// several candidates refuse, it is the reason of the one the device is told about.
  enum class RefusalKind {
    NoGroup,      // no group's lead name is an issuer CN of the chain
    Disabled,     // a candidate is disabled (and none admits or revokes the device)
    Revoked,      // a candidate's deny list or CRL names the leaf or an intermediate
    Expired,      // the chain does not verify because a certificate has expired
    NotVerified,  // anything else: no certificate, no clientAuth, the chain does not verify
  };

  /// The group whose own policy refused a device that is authentically its: the chain verified
  /// through the group's lead certificate (or would have, for a disabled group), and the group
  /// is disabled, denies the leaf or an intermediate (list or CRL), or finds a certificate
  /// expired. Its owner may be told why (the device's record). A chain that merely names a lead
  /// as its issuer, which anyone can forge, names no group.
  struct RefusedBy {
    std::string group_id;  // empty: no group's own policy refused the device
    RefusalKind kind = RefusalKind::NotVerified;
    std::string detail;  // that group's words only, e.g. "serial 0A is revoked"; may be empty
  };

  /// @param peer_chain the leaf first, then whatever CA certificates the device sent. Borrowed
  ///        for the duration of the call.
  /// @param now the verification time (groups with expired_certificate_enabled use the leaf's
  ///        validity midpoint instead).
  /// @return the selected group, or Forbidden: `internal` says why for every candidate ("no
  ///         enrollment group for issuer CN ...", "certificate chain does not verify against
  ///         enrollment group X: certificate has expired", "leaf lacks extended key usage
  ///         clientAuth", "certificate revoked by enrollment group X: ..."); `external` is a
  ///         short reason without group ids, fit for the device.
  /// @param refusal when not null and the device is refused, receives the kind of refusal.
  /// @param refused_by when not null and the device is refused, receives the group that refused
  ///        it (RefusedBy): the one the device is told about when that one qualifies, otherwise
  ///        the most severe one that does. Asking costs one more verification per disabled
  ///        candidate, on refusals only.
  [[nodiscard]] Result<Match> match(std::span<X509* const> peer_chain,
                                    std::chrono::system_clock::time_point now,
                                    RefusalKind* refusal = nullptr,
                                    RefusedBy* refused_by = nullptr) const;

  size_t size() const { return size_; }

  /// The groups whose lead certificate name is `lead_name`, in group id order (empty if none):
  /// for callers that verify something other than a TLS client chain against them (an EK
  /// certificate against TPM groups: provisioning/tpm_group_admission.hpp).
  std::vector<const TrustGroup*> led_by(const std::string& lead_name) const;

 private:
  // lead name -> groups with that lead name, sorted by group id. Split by a hash of the lead
  // name into shards that an updated() index shares unless it changes them (copy on write).
  using Shard = std::unordered_map<std::string, std::vector<std::shared_ptr<const TrustGroup>>>;
  static constexpr size_t kShards = 64;
  static size_t shard_of(const std::string& lead_name);

  TrustGroupIndex() = default;

  std::array<std::shared_ptr<const Shard>, kShards> shards_;
  size_t size_ = 0;
};

}  // namespace dps::pki
