// Individual enrollment <-> JSON (management-api.md "Individual enrollments", a dps extension in
// the shape of plgd's enrollment groups). The device is named by exactly one of: its certificate,
// its public key, or the SHA-256 of its SubjectPublicKeyInfo; all three are stored as that hash,
// which the handshake looks up (pki/device_key.hpp).
#include <nlohmann/json.hpp>

#include "api/codec_support.hpp"
#include "pki/device_key.hpp"

namespace dps::api {
namespace {

using nlohmann::json;

constexpr std::string_view kMechanism = "attestationMechanism";

// Names the device: sets certificate_pem (when given) and public_key_sha256. The path of the
// field at fault prefixes every message. Answers always show publicKeySha256, beside the
// certificate when there is one; so that an answer sent back as a PUT body is valid, the hash may
// accompany a certificate or public key when it is theirs.
void read_attestation(JsonReader& root, store::IndividualEnrollment& enrollment) {
  auto mechanism = root.object(kMechanism);
  const std::string choices = "one of x509.certificate, publicKey, publicKeySha256 required";
  if (!mechanism) return root.fail(kMechanism, choices);
  std::string certificate;
  if (auto x509 = mechanism->object("x509")) {
    certificate = codec::value_field(*x509, "certificate", ValueKind::Pem);
    if (certificate.empty()) x509->fail("certificate", "required");
    x509->finish();
  }
  const std::string public_key = codec::value_field(*mechanism, "publicKey", ValueKind::Pem);
  const std::string hash = mechanism->string("publicKeySha256");
  mechanism->finish();
  const int named = !certificate.empty() + !public_key.empty();
  if (named > 1 || (named == 0 && hash.empty())) {
    return root.fail(kMechanism, named == 0 ? choices
                                            : "give only one of x509.certificate and publicKey "
                                              "(they name the same device key)");
  }
  Result<std::string> key = !certificate.empty()  ? pki::device_key_hash_of_certificate(certificate)
                            : !public_key.empty() ? pki::device_key_hash_of_public_key(public_key)
                                                  : pki::parse_device_key_hash(hash);
  if (!key) {
    const char* field = !certificate.empty()  ? "attestationMechanism.x509.certificate"
                        : !public_key.empty() ? "attestationMechanism.publicKey"
                                              : "attestationMechanism.publicKeySha256";
    return root.fail(field, key.error().internal);
  }
  if (named == 1 && !hash.empty()) {
    auto given = pki::parse_device_key_hash(hash);
    if (!given || *given != *key) {
      return root.fail("attestationMechanism.publicKeySha256",
                       "is not the hash of the given " +
                           std::string(!certificate.empty() ? "x509.certificate" : "publicKey") +
                           "'s key (" + *key + "); leave it out or give that");
    }
  }
  enrollment.certificate_pem = certificate;
  enrollment.public_key_sha256 = std::move(*key);
}

}  // namespace

json to_json(const store::IndividualEnrollment& enrollment) {
  json mechanism = json::object();
  if (!enrollment.certificate_pem.empty()) {
    mechanism["x509"] = {{"certificate", render_value(enrollment.certificate_pem, ValueKind::Pem)}};
  }
  mechanism["publicKeySha256"] = enrollment.public_key_sha256;

  json out = json::object();
  codec::put_if(out, "id", enrollment.id);
  codec::put_if(out, "owner", enrollment.owner);
  codec::put_if(out, "name", enrollment.name);
  out["attestationMechanism"] = std::move(mechanism);
  if (!enrollment.hub_ids.empty()) out["hubIds"] = enrollment.hub_ids;
  out["disabled"] = enrollment.disabled;
  codec::put_if(out, "templateId", enrollment.template_id);
  return out;
}

Result<store::IndividualEnrollment> individual_enrollment_from_json(std::string_view body,
                                                                    const BodyContext& context) {
  auto doc = codec::parse_body(body);
  if (!doc) return tl::unexpected(doc.error());
  Problem problem;
  JsonReader root(*doc, "", problem);
  codec::check_identity(root, context);

  store::IndividualEnrollment enrollment;
  enrollment.id = context.id;
  enrollment.owner = context.owner;
  enrollment.name = root.string("name");
  read_attestation(root, enrollment);
  enrollment.disabled = root.boolean("disabled");
  // A disabled enrollment exists to refuse its device (even one a group admits): it sends the
  // device nowhere, so it needs no hub.
  enrollment.hub_ids = codec::hub_ids_field(root, /*required=*/!enrollment.disabled);
  enrollment.template_id = codec::template_id_field(root);
  root.finish();
  if (problem) return fail(ErrorCode::BadRequest, *problem);
  if (enrollment.name.empty()) enrollment.name = enrollment.id;
  return enrollment;
}

}  // namespace dps::api
