// Individual enrollment <-> JSON (management-api.md "Individual enrollments", a dps extension in
// the shape of plgd's enrollment groups). The device is named by exactly one of: its certificate,
// its public key, the SHA-256 of its SubjectPublicKeyInfo, or its TPM's endorsement key; all are
// stored as that hash, which the handshake (or the TPM attestation) looks up (pki/device_key.hpp,
// tpm/endorsement_key.hpp).
#include <nlohmann/json.hpp>

#include "api/codec_support.hpp"
#include "common/data_uri.hpp"
#include "pki/device_key.hpp"
#include "tpm/endorsement_key.hpp"

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
  const std::string choices =
      "one of x509.certificate, publicKey, publicKeySha256, tpm.endorsementKey required";
  if (!mechanism) return root.fail(kMechanism, choices);
  std::string certificate;
  if (auto x509 = mechanism->object("x509")) {
    certificate = codec::value_field(*x509, "certificate", ValueKind::Pem);
    if (certificate.empty()) x509->fail("certificate", "required");
    x509->finish();
  }
  std::string endorsement_key;
  if (auto tpm = mechanism->object("tpm")) {
    // PEM, or a data: URI of the TPM2B_PUBLIC bytes (binary, so JSON cannot carry them as text).
    endorsement_key = codec::value_field(*tpm, "endorsementKey", ValueKind::Pem);
    if (endorsement_key.empty()) tpm->fail("endorsementKey", "required");
    tpm->finish();
  }
  const std::string public_key = codec::value_field(*mechanism, "publicKey", ValueKind::Pem);
  const std::string hash = mechanism->string("publicKeySha256");
  mechanism->finish();
  const int named = !certificate.empty() + !public_key.empty() + !endorsement_key.empty();
  if (named > 1 || (named == 0 && hash.empty())) {
    return root.fail(kMechanism, named == 0 ? choices
                                            : "give only one of x509.certificate, publicKey and "
                                              "tpm.endorsementKey (each names the device)");
  }
  const char* field = !certificate.empty()       ? "attestationMechanism.x509.certificate"
                      : !public_key.empty()      ? "attestationMechanism.publicKey"
                      : !endorsement_key.empty() ? "attestationMechanism.tpm.endorsementKey"
                                                 : "attestationMechanism.publicKeySha256";
  Result<std::string> key = !certificate.empty()  ? pki::device_key_hash_of_certificate(certificate)
                            : !public_key.empty() ? pki::device_key_hash_of_public_key(public_key)
                            : !endorsement_key.empty() ? tpm::endorsement_key_hash(endorsement_key)
                                                       : pki::parse_device_key_hash(hash);
  if (!key) return root.fail(field, key.error().internal);
  if (named == 1 && !hash.empty()) {
    auto given = pki::parse_device_key_hash(hash);
    if (!given || *given != *key) {
      const std::string named_field = std::string(field).substr(kMechanism.size() + 1);
      return root.fail("attestationMechanism.publicKeySha256", "is not the hash of the given " +
                                                                   named_field + "'s key (" + *key +
                                                                   "); leave it out or give that");
    }
  }
  enrollment.certificate_pem = certificate;
  // Kept as the API shows it: PEM text, or the data: URI of the binary TPM2B_PUBLIC (the store
  // keeps text).
  enrollment.tpm_endorsement_key =
      endorsement_key.empty() ? std::string() : render_value(endorsement_key, ValueKind::Pem);
  enrollment.public_key_sha256 = std::move(*key);
}

}  // namespace

json to_json(const store::IndividualEnrollment& enrollment) {
  json mechanism = json::object();
  if (!enrollment.certificate_pem.empty()) {
    mechanism["x509"] = {{"certificate", render_value(enrollment.certificate_pem, ValueKind::Pem)}};
  }
  if (enrollment.is_tpm()) mechanism["tpm"] = {{"endorsementKey", enrollment.tpm_endorsement_key}};
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
