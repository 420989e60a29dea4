// Enrollment groups and hubs in the management API's JSON form (management-api.md): lowerCamelCase,
// empty fields omitted (0 and false kept), secrets and PEM as text or data: URIs. Decoding
// validates everything a device-side catalog rebuild would otherwise trip over, and names the
// offending field in the message.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "common/token_names.hpp"
#include "store/entities.hpp"

namespace dps::api {

nlohmann::json to_json(const store::EnrollmentGroup& group);
nlohmann::json to_json(const store::Hub& hub);
nlohmann::json to_json(const store::IndividualEnrollment& enrollment);
nlohmann::json to_json(const store::EnrollmentTemplate& t);

/// What a body is decoded for.
///
/// `id` and `owner` are not the body's to choose: the object's id is `id` (generated for POST,
/// the path's for PUT) and its owner is the caller. A body may still carry them, as plgd clients
/// echo whole objects back: on POST a body `id` is refused ("id is generated"); on PUT it must
/// equal the path id; a body `owner` must equal the caller's owner. Anything else is 400: a
/// silent ignore would hide a client that believes it can move objects between ids or owners.
struct BodyContext {
  std::string owner;
  std::string id;
  bool create = false;
};

/// A body's `proofOfPossession` (management-api.md "Proof of possession"): a verification code
/// dps issued and a certificate whose CN is that code, signed by the enrolled CA's key.
struct PossessionProof {
  bool given = false;
  std::string code;
  std::string certificate_pem;
};

/// Decodes and validates a POST/PUT body (fields and rules: management-api.md). Unknown fields,
/// wrong types, chains that do not verify, bad UUIDs, short PSKs, file paths: BadRequest naming
/// the field. UUIDs are stored in canonical lowercase.
///
/// @param stored on PUT, the stored group: the (new) fields plgd clients do not know (`disabled`,
///               `revokedCertificates`, `crl`) keep their stored value when the body omits them,
///               so editing a group in plgd's UI does not silently re-enable it or drop its
///               revocations. `templateId` is such a field too. Send them explicitly (false,
///               [], "") to clear. nullptr on POST.
/// @param proof  where a `proofOfPossession` object goes; nullptr refuses one as unknown.
/// @param allow_overlap where the body's `allowOverlap` goes (not stored: consent, for this write,
///               to a group overlapping another of the owner's); nullptr refuses it as unknown.
[[nodiscard]] Result<store::EnrollmentGroup> enrollment_group_from_json(
    std::string_view body, const BodyContext& context, const store::EnrollmentGroup* stored,
    PossessionProof* proof = nullptr, bool* allow_overlap = nullptr);

/// Decodes and validates a hub body. `hubId` defaults to the record id, on PUT too (PUT replaces
/// the whole hub, as in plgd; hubs have no (new) fields to preserve). plgd fields dps has no
/// use for are accepted and ignored (certificateAuthority.grpc.keepAlive,
/// certificateAuthority.grpc.tls.useSystemCaPool, authorization.provider.http), matching the
/// config file; a client certificate toward the CA (tls.cert/tls.key) is refused as unsupported.
/// Token settings that would let a device's hub token pass for a management API token
/// (`api_tokens`: how the API recognises its tokens) are refused naming the field
/// (common/token_names.hpp).
[[nodiscard]] Result<store::Hub> hub_from_json(std::string_view body, const BodyContext& context,
                                               const ApiTokenNames& api_tokens);

/// Decodes and validates an individual enrollment body (management-api.md "Individual
/// enrollments"). The device is named by exactly one of `attestationMechanism.x509.certificate`,
/// `.publicKey` (PEM) or `.publicKeySha256` (hex): each becomes the stored key hash. `hubIds` is
/// required unless `disabled` (a disabled enrollment refuses its device and sends it nowhere).
/// PUT replaces every field (no field of it is unknown to its clients), `templateId` included.
[[nodiscard]] Result<store::IndividualEnrollment> individual_enrollment_from_json(
    std::string_view body, const BodyContext& context);

/// Decodes and validates an enrollment template body (management-api.md "Enrollment templates"):
/// `accessControlList` (ACEs as a device's acl2 takes them, without "if"), the certificate and
/// token lifetimes (0 = default), `preConfiguration` (common/resource_updates.hpp's rules). Every
/// problem is BadRequest naming its path ("preConfiguration[3].href: ..."). PUT replaces every
/// field. The ACEs are stored rebuilt from what was checked, never as sent.
[[nodiscard]] Result<store::EnrollmentTemplate> enrollment_template_from_json(
    std::string_view body, const BodyContext& context);

}  // namespace dps::api
