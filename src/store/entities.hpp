// Plain entity structs held by the Store: enrollment groups, hubs, provisioning records.
// Field meanings follow spec/management-api.md and spec/device-protocol.md §4.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dps::store {

struct X509Attestation {
  std::string certificate_chain;      // PEM: intermediates ... self-signed root
  std::string lead_certificate_name;  // empty = CN of the chain's first certificate
  bool expired_certificate_enabled = false;

  bool operator==(const X509Attestation&) const = default;
};

/// (new) A TPM enrollment group's attestation: the CA of a TPM vendor (or of whoever certified
/// the TPMs' endorsement keys). Any TPM whose EK certificate chains to its first certificate is
/// admitted by TPM attestation (device-protocol §5), never by a TLS client certificate.
struct TpmAttestation {
  std::string vendor_certificate_chain;  // PEM: the CA issuing EK certificates ... its root
  /// Derived by whoever writes the group: CN of the chain's first certificate (its lead), so the
  /// lead-name filter and quota count TPM groups too.
  std::string lead_certificate_name;
  bool expired_certificate_enabled = false;

  bool operator==(const TpmAttestation&) const = default;
};

struct EnrollmentGroup {
  std::string id;  // UUID
  std::string owner;
  std::string name;
  X509Attestation x509;              // empty for a TPM group: a group is one kind or the other
  TpmAttestation tpm;                // (new) set for a TPM group only (is_tpm())
  std::vector<std::string> hub_ids;  // order = priority
  std::string pre_shared_key;        // raw bytes; empty = none; first 16 used
  // (new) beyond plgd:
  bool disabled = false;
  std::vector<std::string> revoked_certificates;  // serial (hex) or SHA-256 of the SPKI (hex)
  std::string crl;                                // PEM CRLs, concatenated
  /// Derived from x509 or tpm by whoever writes the group (pki::TrustGroup::trust_path): SHA-256
  /// (hex) of the SPKI of the lead certificate, then of each one above it to the root. The store
  /// keeps groups of different owners from sharing trust with it (Store::create_enrollment_group).
  /// Empty: not computed (then nothing is checked or claimed).
  std::vector<std::string> trust_path;
  std::string template_id;  // (new) an EnrollmentTemplate of the same owner; empty = none

  bool is_tpm() const { return !tpm.vendor_certificate_chain.empty(); }
  bool operator==(const EnrollmentGroup&) const = default;
};

/// One device enrolled on its own (beyond plgd; Azure DPS's individual enrollment). It wins over
/// every group of its owner for its device: it admits a device no group admits, routes one to
/// other hubs, or, disabled, refuses one a group admits. The device is known by its key: the
/// SHA-256 of its SubjectPublicKeyInfo, unique across all owners (one device, one enrollment).
struct IndividualEnrollment {
  std::string id;  // UUID
  std::string owner;
  std::string name;
  /// The device's certificate (PEM) when it was enrolled by one; empty when by its key alone.
  std::string certificate_pem;
  /// Lowercase hex SHA-256 of the device key's DER SubjectPublicKeyInfo: the handshake's lookup
  /// key, derived from certificate_pem or a public key by whoever writes the enrollment.
  std::string public_key_sha256;
  std::vector<std::string> hub_ids;  // order = priority, as a group's
  std::string template_id;           // empty = none
  bool disabled = false;             // refuses the device, even when a group admits it
  /// The device's TPM endorsement key, as enrolled (base64 of its TPM2B_PUBLIC, or a PEM public
  /// key); empty for a certificate device. When set, public_key_sha256 is the EK's SPKI hash and
  /// the device is admitted by TPM attestation only, never by a TLS client certificate.
  std::string tpm_endorsement_key;

  bool is_tpm() const { return !tpm_endorsement_key.empty(); }
  bool operator==(const IndividualEnrollment&) const = default;
};

/// One resource update a device applies after provisioning (pre-configuration): `href` an absolute
/// OCF path, `representation_json` a JSON object (sent as CBOR) whose string values may hold the
/// variables {{deviceId}}, {{owner}} and {{hubId}}, substituted per device.
struct ResourceUpdate {
  std::string href;
  std::string representation_json;
  bool operator==(const ResourceUpdate&) const = default;
};

/// What groups and individual enrollments that name it add to their devices' provisioning
/// (beyond plgd; AWS IoT's provisioning templates): extra ACEs, certificate and token
/// lifetimes, and pre-configuration. Owner-scoped; a reference from another owner's enrollment
/// resolves to nothing.
struct EnrollmentTemplate {
  std::string id;  // UUID
  std::string owner;
  std::string name;
  /// JSON array of ACEs in the device's aclist2 form ({"subject", "resources", "permission"}),
  /// validated on the way in; appended to the ACEs every device gets, duplicates dropped.
  std::string access_control_list_json = "[]";
  int64_t identity_certificate_validity_seconds = 0;  // 0 = the CA's default
  int64_t token_lifetime_seconds = 0;                 // 0 = the minter's default
  std::vector<ResourceUpdate> pre_configuration;

  bool operator==(const EnrollmentTemplate&) const = default;
};

struct GrpcClientConfig {
  std::string address;             // host:port
  std::string ca_pool;             // PEM; empty = the system's CAs
  std::string cert_pem;            // client certificate chain (mutual TLS), PEM; empty = none
  std::string key_pem;             // its private key, PEM (a secret)
  int64_t keep_alive_time_ns = 0;  // HTTP/2 pings when idle; 0 = none (plgd's keepAlive.time)
  int64_t keep_alive_timeout_ns = 0;
  bool keep_alive_permit_without_stream = false;
  bool use_system_ca_pool = false;  // the system's CAs too, besides ca_pool
  bool operator==(const GrpcClientConfig&) const = default;
};

struct OAuthProvider {
  std::string name;       // authorization provider name, sent to devices as `apn`
  std::string authority;  // empty = tokens minted by dps itself
  std::string client_id;
  std::string client_secret;
  /// Config-file hubs: the file client_secret was read from, read again when it changes (the
  /// API never sets it: callers cannot make dps read its files).
  std::string client_secret_file;
  std::vector<std::string> scopes;
  std::string audience;
  std::string ca_pool;  // PEM CAs verifying the authority; empty = the system's CAs
  bool use_system_ca_pool = false;
  bool operator==(const OAuthProvider&) const = default;
};

struct HubAuthorization {
  std::string owner_claim;  // e.g. https://plgd.dev/owner
  std::string device_id_claim;
  OAuthProvider provider;
  bool operator==(const HubAuthorization&) const = default;
};

struct Hub {
  std::string id;      // record id (UUID)
  std::string hub_id;  // UUID, CN of the hub's certificate
  std::string owner;
  std::string name;
  std::vector<std::string> gateways;       // coaps+tcp://host:port
  GrpcClientConfig certificate_authority;  // address empty = built-in CA
  HubAuthorization authorization;

  bool operator==(const Hub&) const = default;
};

/// Outcome of one provisioning step. `date` is ns since epoch; `coap_code` the raw code byte
/// (68 = 2.04, 69 = 2.05), 0 with an error message when the step failed before a code existed.
struct StepStatus {
  int64_t date = 0;
  uint8_t coap_code = 0;
  std::string error_message;
  bool operator==(const StepStatus&) const = default;
};

struct Gateway {
  std::string uri;
  std::string id;
  bool operator==(const Gateway&) const = default;
};

struct AttestationSection {
  StepStatus status;
  std::string certificate_pem;  // the device's leaf
  std::string common_name;
  /// Set when the device attested with its TPM (device-protocol §5) instead of a certificate:
  /// lowercase hex SHA-256 of its endorsement key's SubjectPublicKeyInfo.
  std::string tpm_endorsement_key_sha256;
  bool operator==(const AttestationSection&) const = default;
};

struct PlgdTimeSection {
  StepStatus status;
  bool operator==(const PlgdTimeSection&) const = default;
};

struct OwnershipSection {
  StepStatus status;
  std::string owner;
  bool operator==(const OwnershipSection&) const = default;
};

struct CloudSection {
  StepStatus status;
  std::string provider_name;
  std::vector<Gateway> gateways;
  std::optional<Gateway> selected_gateway;
  bool operator==(const CloudSection&) const = default;
};

struct CredentialSection {
  StepStatus status;
  std::string identity_certificate_pem;
  std::string pre_shared_key_subject_id;  // empty = no PSK
  std::string pre_shared_key;
  std::string credentials_json;  // JSON array of the creds sent, management-API form
  bool operator==(const CredentialSection&) const = default;
};

struct AclSection {
  StepStatus status;
  std::string access_control_list_json;  // JSON array of the ACEs sent
  bool operator==(const AclSection&) const = default;
};

/// (new) The pre-configuration step: what was sent (GET) and what the device reported applying
/// (POST). A report keeps the updates sent; status is the latest exchange's.
struct PreConfigurationSection {
  StepStatus status;
  std::string updates_json;  // JSON array of {href, representation} sent, variables substituted
  std::string results_json;  // JSON array of {href, code, error} reported; "" = no report yet
  bool operator==(const PreConfigurationSection&) const = default;
};

/// One record per owner and registration id: a device admitted under another owner gets a record
/// of that owner, and the first one keeps its owner. As an *update*, absent sections and empty
/// scalar fields mean "leave as stored"; present sections replace the stored one only if their
/// status.date is not older (a step never overwrites a newer status of the same section). The
/// device id is pinned: once stored it never changes, and no two records hold the same one.
struct ProvisioningRecord {
  std::string id;  // registration id: UUIDv5 of the leaf's SPKI
  std::string device_id;
  /// The enrollment that admitted the device at its latest session: a group, or an individual
  /// enrollment (then enrollment_group_id is empty). An update naming either replaces both.
  std::string enrollment_group_id;
  std::string individual_enrollment_id;
  std::string owner;
  int64_t creation_date = 0;                 // set on first insert only
  std::vector<std::string> local_endpoints;  // empty in an update = leave as stored
  std::optional<AttestationSection> attestation;
  std::optional<PlgdTimeSection> plgd_time;
  std::optional<OwnershipSection> ownership;
  std::optional<CloudSection> cloud;
  std::optional<CredentialSection> credential;
  std::optional<AclSection> acl;
  std::optional<PreConfigurationSection> pre_configuration;

  bool operator==(const ProvisioningRecord&) const = default;
};

}  // namespace dps::store
