// Enrollment group <-> JSON (management-api.md "Enrollment groups"; plgd pb/enrollmentGroup.go
// Validate, with (new) fields disabled, revokedCertificates, crl, templateId).
#include <openssl/x509v3.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/codec_support.hpp"
#include "pki/pem.hpp"
#include "pki/trust_group.hpp"
#include "pki/x509_util.hpp"
#include "store/group_attestation.hpp"

namespace dps::api {
namespace {

using nlohmann::json;

constexpr size_t kPskMinBytes = 16;  // the first 16 are used (OCF PSK credential size)
constexpr std::string_view kX509 = "attestationMechanism.x509";
constexpr std::string_view kTpmChain = "attestationMechanism.tpm.vendorCertificateChain";

// Exactly one of x509 (devices with manufacturer certificates) and tpm (TPMs whose EK
// certificates a vendor CA issued): a group admits by one kind of attestation only.
void read_attestation(JsonReader& root, store::EnrollmentGroup& group) {
  group.x509 = {};
  group.tpm = {};
  auto mechanism = root.object("attestationMechanism");
  if (!mechanism) {
    // plgd's clients only know x509: its required field is what they need to hear about.
    return root.fail(std::string(kX509) + ".certificateChain", "required");
  }
  auto x509 = mechanism->object("x509");
  auto tpm = mechanism->object("tpm");
  if (x509 && tpm) {
    root.fail("attestationMechanism",
              "give x509 (certificate devices) or tpm (TPM devices), not both");
  } else if (x509) {
    group.x509.certificate_chain = codec::value_field(*x509, "certificateChain", ValueKind::Pem);
    group.x509.lead_certificate_name = x509->string("leadCertificateName");
    group.x509.expired_certificate_enabled = x509->boolean("expiredCertificateEnabled");
    if (group.x509.certificate_chain.empty()) x509->fail("certificateChain", "required");
    x509->finish();
  } else if (tpm) {
    group.tpm.vendor_certificate_chain =
        codec::value_field(*tpm, "vendorCertificateChain", ValueKind::Pem);
    group.tpm.expired_certificate_enabled = tpm->boolean("expiredCertificateEnabled");
    // Derived (CN of the chain's first certificate, check_trust), shown by the API: accepted as
    // echoed back and ignored.
    tpm->ignore("leadCertificateName");
    if (group.tpm.vendor_certificate_chain.empty()) tpm->fail("vendorCertificateChain", "required");
    tpm->finish();
  } else {
    root.fail("attestationMechanism",
              "x509.certificateChain or tpm.vendorCertificateChain required");
  }
  mechanism->finish();
}

// Not stored: checked against the group's trust path by the route (pki/possession.hpp).
void read_proof(JsonReader& root, PossessionProof& proof) {
  auto reader = root.object("proofOfPossession");
  if (!reader) return;
  proof.given = true;
  proof.code = reader->string("code");
  proof.certificate_pem = codec::value_field(*reader, "certificate", ValueKind::Pem);
  if (proof.code.empty()) reader->fail("code", "required");
  if (proof.certificate_pem.empty()) reader->fail("certificate", "required");
  reader->finish();
}

// pki's messages start with "enrollment group <id>: "; the field path replaces that prefix.
tl::unexpected<Error> trust_error(const Error& error, const std::string& group_id,
                                  const std::string& path) {
  if (error.code != ErrorCode::BadRequest) return tl::unexpected(error);
  std::string message = error.internal;
  if (const std::string prefix = "enrollment group " + group_id + ": ";
      message.starts_with(prefix)) {
    message.erase(0, prefix.size());
  }
  return fail(ErrorCode::BadRequest, path + ": " + message);
}

// Validates the trust material the way the device side will load it (pki::build_trust_group),
// one field at a time so the error names the field at fault. Fills in the default lead name (CN
// of the first certificate): stored explicitly, so the attestationMechanismX509CertificateNames
// filter matches it, as in plgd; and the trust path the store checks ownership with. A TPM
// group's lead is always its chain's first certificate: EK certificates come without
// intermediates, so their issuer must be the group's lead.
// A TPM group's lead is its chain's first certificate, and EK certificates name it by its CN: an
// EK certificate enrolled in its CA's place admits no TPM, nor does a CA without a name.
Result<void> check_tpm_lead(const std::string& vendor_chain) {
  auto certs = pki::parse_certificates_pem(vendor_chain);
  if (!certs || certs->empty()) return {};  // build_trust_group says why
  X509* lead = certs->front().get();
  const std::string name = pki::common_name(X509_get_subject_name(lead));
  if ((X509_get_extension_flags(lead) & EXFLAG_CA) == 0) {
    return fail(ErrorCode::BadRequest,
                std::string(kTpmChain) + ": the first certificate " +
                    (name.empty() ? "(no subject CN)" : "\"" + name + "\"") +
                    " is not a CA (no basicConstraints CA:TRUE): enroll the CA that issues your "
                    "TPMs' EK certificates, not an EK certificate");
  }
  if (name.empty()) {
    return fail(ErrorCode::BadRequest,
                std::string(kTpmChain) +
                    ": the first certificate has no subject CN, by which EK certificates it "
                    "issued name it");
  }
  return {};
}

Result<void> check_trust(store::EnrollmentGroup& group) {
  const bool tpm = group.is_tpm();
  if (tpm) {
    if (auto lead = check_tpm_lead(group.tpm.vendor_certificate_chain); !lead) return lead;
  }
  const std::string chain_field =
      tpm ? std::string(kTpmChain) : std::string(kX509) + ".certificateChain";
  pki::TrustGroupSpec spec;
  spec.group_id = group.id;
  spec.certificate_chain_pem =
      tpm ? group.tpm.vendor_certificate_chain : group.x509.certificate_chain;
  auto built = pki::build_trust_group(spec);
  if (!built) return trust_error(built.error(), group.id, chain_field);
  if (tpm) {
    group.tpm.lead_certificate_name = (*built)->lead_name();
  } else if (group.x509.lead_certificate_name.empty()) {
    group.x509.lead_certificate_name = (*built)->lead_name();
  } else {
    spec.lead_certificate_name = group.x509.lead_certificate_name;
    if (built = pki::build_trust_group(spec); !built) {
      return trust_error(built.error(), group.id, std::string(kX509) + ".leadCertificateName");
    }
  }
  // What the group claims: the store refuses it when another owner's group holds it.
  group.trust_path = (*built)->trust_path();
  if (!group.revoked_certificates.empty()) {
    spec.revoked = group.revoked_certificates;
    if (built = pki::build_trust_group(spec); !built) {
      return trust_error(built.error(), group.id, "revokedCertificates");
    }
  }
  if (!group.crl.empty()) {
    spec.crl_pem = group.crl;
    if (built = pki::build_trust_group(spec); !built) {
      return trust_error(built.error(), group.id, "crl");
    }
  }
  return {};
}

// Chains that build but are almost certainly a mistake, refused with what to do instead: a
// lead certificate that is no CA (a device certificate enrolled as the group's CA admits only
// devices it signed, i.e. none), and a root listed first (the lead would be the root, so the group
// would claim every device of the manufacturer, not the product line the operator meant).
Result<void> check_chain_shape(const store::EnrollmentGroup& group) {
  const bool tpm = group.is_tpm();
  const store::AttestationView attestation = store::attestation_of(group);
  const std::string field =
      (tpm ? std::string(kTpmChain) : std::string(kX509) + ".certificateChain") + ": ";
  auto certs = pki::parse_certificates_pem(attestation.certificate_chain);
  if (!certs || certs->empty()) return {};  // check_trust said why already
  X509* first = certs->front().get();
  if (certs->size() > 1 && pki::is_self_signed(first)) {
    return fail(ErrorCode::BadRequest, field + "the chain starts with the self-signed root \"" +
                                           pki::common_name(X509_get_subject_name(first)) +
                                           "\": list it lead first (the CA that issues your " +
                                           (tpm ? "TPMs' EK certificates" : "devices") +
                                           ", then its issuers, the root last)");
  }
  pki::TrustGroupSpec spec;
  spec.group_id = group.id;
  spec.certificate_chain_pem = attestation.certificate_chain;
  spec.lead_certificate_name = attestation.lead_certificate_name;
  auto built = pki::build_trust_group(spec);
  if (!built || (*built)->path_certificates().empty()) return {};
  X509* lead = (*built)->path_certificates().front();
  if ((X509_get_extension_flags(lead) & EXFLAG_CA) == 0) {
    return fail(ErrorCode::BadRequest,
                field + "the lead certificate \"" + pki::common_name(X509_get_subject_name(lead)) +
                    "\" is not a CA (no basicConstraints CA:TRUE): enroll the CA that issues "
                    "your devices, not a device certificate");  // (TPM groups: check_tpm_lead)
  }
  return {};
}

// One member, x509 or tpm, as the group attests (read_attestation).
json attestation_json(const store::EnrollmentGroup& group) {
  json mechanism = json::object();
  if (group.is_tpm()) {
    codec::put_if(mechanism, "vendorCertificateChain",
                  render_value(group.tpm.vendor_certificate_chain, ValueKind::Pem));
    codec::put_if(mechanism, "leadCertificateName", group.tpm.lead_certificate_name);
    mechanism["expiredCertificateEnabled"] = group.tpm.expired_certificate_enabled;
    return {{"tpm", std::move(mechanism)}};
  }
  codec::put_if(mechanism, "certificateChain",
                render_value(group.x509.certificate_chain, ValueKind::Pem));
  codec::put_if(mechanism, "leadCertificateName", group.x509.lead_certificate_name);
  mechanism["expiredCertificateEnabled"] = group.x509.expired_certificate_enabled;
  return {{"x509", std::move(mechanism)}};
}

}  // namespace

json to_json(const store::EnrollmentGroup& group) {
  json out = json::object();
  codec::put_if(out, "id", group.id);
  codec::put_if(out, "owner", group.owner);
  codec::put_if(out, "name", group.name);
  out["attestationMechanism"] = attestation_json(group);
  if (!group.hub_ids.empty()) out["hubIds"] = group.hub_ids;
  codec::put_if(out, "preSharedKey", render_value(group.pre_shared_key, ValueKind::Secret));
  out["disabled"] = group.disabled;
  if (!group.revoked_certificates.empty()) out["revokedCertificates"] = group.revoked_certificates;
  codec::put_if(out, "crl", render_value(group.crl, ValueKind::Pem));
  codec::put_if(out, "templateId", group.template_id);
  return out;
}

Result<store::EnrollmentGroup> enrollment_group_from_json(std::string_view body,
                                                          const BodyContext& context,
                                                          const store::EnrollmentGroup* stored,
                                                          PossessionProof* proof,
                                                          bool* allow_overlap) {
  auto doc = codec::parse_body(body);
  if (!doc) return tl::unexpected(doc.error());
  Problem problem;
  JsonReader root(*doc, "", problem);
  codec::check_identity(root, context);

  store::EnrollmentGroup group;
  if (stored) group = *stored;  // keeps the (new) fields the body omits (json_codec.hpp)
  group.id = context.id;
  group.owner = context.owner;
  group.name = root.string("name");
  read_attestation(root, group);
  group.hub_ids = codec::hub_ids_field(root, /*required=*/true);
  group.pre_shared_key = codec::value_field(root, "preSharedKey", ValueKind::Secret);
  if (!group.pre_shared_key.empty() && group.pre_shared_key.size() < kPskMinBytes) {
    root.fail("preSharedKey",
              "at least 16 bytes required, got " + std::to_string(group.pre_shared_key.size()));
  }
  if (root.has("disabled")) group.disabled = root.boolean("disabled");
  if (root.has("revokedCertificates")) {
    group.revoked_certificates = root.strings("revokedCertificates");
  }
  if (root.has("crl")) group.crl = codec::value_field(root, "crl", ValueKind::Pem);
  if (root.has("templateId")) group.template_id = codec::template_id_field(root);
  if (proof) read_proof(root, *proof);
  if (allow_overlap) *allow_overlap = root.boolean("allowOverlap");
  // Shown by the API, never set by a client: accepted as echoed back and ignored.
  root.ignore("overlaps");
  root.finish();
  if (problem) return fail(ErrorCode::BadRequest, *problem);

  if (auto trusted = check_trust(group); !trusted) return tl::unexpected(trusted.error());
  // Only a new trust is judged: a group stored before this rule stays editable.
  if (!stored || group.trust_path != stored->trust_path) {
    if (auto shaped = check_chain_shape(group); !shaped) return tl::unexpected(shaped.error());
  }
  if (group.name.empty()) group.name = group.id;
  return group;
}

}  // namespace dps::api
