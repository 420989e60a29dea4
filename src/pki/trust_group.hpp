// An enrollment group's X.509 trust material, parsed once per configuration change
// (device-protocol §2; style.md "parse EG chains, build the X509_STORE once").
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/result.hpp"
#include "pki/x509_ptr.hpp"

namespace dps::pki {

/// What the store/API holds for an enrollment group's attestation (management-api.md).
struct TrustGroupSpec {
  std::string group_id;
  /// Whose group it is: devices never go to another owner by matching order (chain_verifier.hpp).
  std::string owner;
  /// PEM: intermediates ... root; the root must be self-signed and included.
  std::string certificate_chain_pem;
  /// Issuer CN that makes a device a candidate; empty = CN of the chain's first certificate.
  std::string lead_certificate_name;
  /// Verify at the midpoint of the leaf's validity instead of now (long-lived IDevIDs).
  bool expired_certificate_enabled = false;
  /// Denied device certificates: leaf serials (hex, any case, colons and leading zeros allowed)
  /// or SHA-256 hex digests of the leaf's DER SubjectPublicKeyInfo.
  std::vector<std::string> revoked;
  /// Zero or more PEM CRLs, issued by certificates of the chain or by intermediates devices send.
  std::string crl_pem;
  /// A disabled group admits no device.
  bool disabled = false;
};

/// Immutable after build_trust_group(); shared by every session, so all accessors are const and
/// thread-safe.
class TrustGroup {
 public:
  const std::string& group_id() const { return group_id_; }
  const std::string& owner() const { return owner_; }
  const std::string& lead_name() const { return lead_name_; }
  /// The keys through which this group admits devices: SHA-256 (hex) of the DER
  /// SubjectPublicKeyInfo of its lead certificate (the first of the chain whose CN is the lead
  /// name), then of each certificate above it up to the root. A device's verified chain must pass
  /// through the first; two groups whose paths share the other's first admit the same devices
  /// (the store refuses that across owners: it is how an attestation belongs to one owner).
  const std::vector<std::string>& trust_path() const { return trust_path_; }
  /// Whether `cert` carries this group's lead key (trust_path().front()).
  bool is_lead(X509* cert) const;
  /// The certificates of trust_path(), lead first (borrowed from the group).
  std::span<X509* const> path_certificates() const { return path_certificates_; }
  bool disabled() const { return disabled_; }
  bool expired_certificate_enabled() const { return expired_certificate_enabled_; }
  /// The chain's first certificate: devices it signs belong to this group most specifically.
  X509* first_certificate() const { return certs_.front().get(); }
  /// The chain's self-signed certificates, the only trust anchors of this group.
  X509_STORE* roots() const { return roots_.get(); }
  /// The chain's other (non-self-signed) certificates (for checking the chain itself).
  std::span<X509* const> intermediates() const { return intermediates_; }
  /// The non-self-signed certificates of the trust path (the lead and those above it): the only
  /// ones of the group a device's chain may be completed with. A certificate below the lead is
  /// vouched for by the lead's holder alone, who could so cross-certify another owner's CA key
  /// under its own lead; devices must send those themselves.
  std::span<X509* const> path_intermediates() const { return path_intermediates_; }

  /// Why this group denies `verified_chain` (leaf first, root last), or nullopt if it does not:
  /// the leaf's serial or SPKI hash is in `revoked`, or a CRL (whose signature verifies with the
  /// issuer's key) lists the leaf or an intermediate. CRL dates are not enforced: a stale CRL is
  /// still a valid deny list.
  std::optional<std::string> revocation_reason(std::span<X509* const> verified_chain) const;
  /// True when the revocation list (not the CRLs) names `serial_hex` or `key_hash`: how a
  /// certificate this group never verified (the identity certificate a device was issued) is
  /// revoked.
  bool lists(std::string_view serial_hex, std::string_view key_hash) const;

  /// A parsed CRL bound to the chain certificate whose key verified it (null when its issuer is
  /// not in the chain: then it is verified against the device's intermediate at match time).
  struct Crl {
    X509CrlPtr crl;
    X509* signer = nullptr;
  };

 private:
  friend Result<std::shared_ptr<const TrustGroup>> build_trust_group(const TrustGroupSpec&);

  TrustGroup() = default;

  std::string group_id_;
  std::string owner_;
  std::string lead_name_;
  std::vector<std::string> trust_path_;
  std::vector<X509*> path_certificates_;  // borrowed from certs_
  bool disabled_ = false;
  bool expired_certificate_enabled_ = false;
  std::vector<X509Ptr> certs_;
  std::vector<X509*> intermediates_;       // borrowed from certs_
  std::vector<X509*> path_intermediates_;  // borrowed from certs_
  X509StorePtr roots_;
  std::unordered_set<std::string> revoked_;  // normalised: lowercase hex, no leading zeros
  std::vector<Crl> crls_;
};

/// Parses and checks a group's trust material. BadRequest with a precise message when the chain
/// has no certificate, no self-signed root, does not verify against itself (signatures only:
/// dates are judged at handshake time, where expired_certificate_enabled applies), when the lead
/// name names no certificate of the chain, a revoked entry is not hex, or a CRL does not parse
/// or is not signed by the chain certificate it names as issuer.
[[nodiscard]] Result<std::shared_ptr<const TrustGroup>> build_trust_group(
    const TrustGroupSpec& spec);

}  // namespace dps::pki
