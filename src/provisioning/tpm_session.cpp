#include "provisioning/tpm_session.hpp"

#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "pki/chain_verifier.hpp"
#include "pki/csr.hpp"
#include "pki/uuid.hpp"
#include "provisioning/admission.hpp"
#include "provisioning/catalog.hpp"
#include "provisioning/content.hpp"
#include "provisioning/payloads.hpp"
#include "provisioning/router.hpp"
#include "provisioning/tpm_group_admission.hpp"
#include "provisioning/uris.hpp"
#include "tpm/endorsement_key.hpp"
#include "tpm/public_key.hpp"

namespace dps::provisioning {
namespace {

namespace attestation = tpm_attestation;

// The record id of a TPM device: UUIDv5 of its EK's SubjectPublicKeyInfo, as a certificate
// device's is of its leaf's (pki::registration_id): stable for the life of the TPM.
Result<std::string> registration_id_of(const tpm::PublicArea& endorsement_key) {
  auto key = tpm::to_evp_pkey(endorsement_key);
  if (!key) return tl::unexpected(key.error());
  auto der = tpm::spki_der(key->get());
  if (!der) return tl::unexpected(der.error());
  return pki::uuid_v5(pki::kNamespaceX500, *der).to_string();
}

// The credentials request the activation stands for: the CSR the TPM certified, for the device
// id it names, on the activation's token (the answer goes back to the activation request).
coap::Message credentials_request(const coap::Message& activation, const std::string& device_id,
                                  const std::string& csr_pem) {
  coap::Message request = activation;
  request.set_uri_path(uris::kCredentials);
  std::erase_if(request.options,
                [](const coap::Option& o) { return o.number == coap::option::kContentFormat; });
  request.add_uint_option(coap::option::kContentFormat, coap::content_format::kCbor);
  const nlohmann::json body{{"di", device_id},
                            {"csr", {{"encoding", "oic.sec.encoding.pem"}, {"data", csr_pem}}}};
  request.payload = nlohmann::json::to_cbor(body);
  return request;
}

StepResult error_of(const coap::Message& request, const Error& error) {
  return error_result(request, coap_code_of(error.code), error.peer_message());
}

bool is_post_to(const coap::Message& request, const std::string& path, std::string_view uri) {
  return path == uri && request.code == coap::Code::Post;
}

}  // namespace

TpmSession::Next TpmSession::begin(const coap::Message& request,
                                   std::chrono::system_clock::time_point now,
                                   std::chrono::steady_clock::time_point steady_now) {
  const std::string path = request.uri_path();
  if (is_post_to(request, path, uris::kTpmChallenge)) return challenge(request);
  if (is_post_to(request, path, uris::kTpmActivation)) {
    return activation(request, now, steady_now);
  }
  if (path == uris::kTpmChallenge || path == uris::kTpmActivation) {
    return error_result(request, coap::Code::MethodNotAllowed,
                        "method " + coap::to_string(request.code) + " not allowed on " + path);
  }
  const bool time = path == uris::kPlgdTime && request.code == coap::Code::Get;
  if (attested_ && (time || path == uris::kOwnership)) return Route{request, false};
  if (time) {
    // The time before attestation (a device with a clock to set): nothing to record, no owner.
    auto format = response_format(request);
    if (!format) return error_of(request, format.error());
    StepResult result;
    result.response = make_response(request, coap::Code::Content, time_payload(now), *format);
    return result;
  }
  if (attested_) {
    return error_result(request, coap::Code::Forbidden,
                        path +
                            " is served on the identity-certificate session: reconnect with "
                            "the certificate this session issued");
  }
  return error_result(request, coap::Code::Unauthorized,
                      "no client certificate: this session serves TPM attestation only "
                      "(tpm/challenge, tpm/activation) and the time");
}

TpmSession::Next TpmSession::challenge(const coap::Message& request) {
  if (challenged_) {
    return error_result(request, coap::Code::Forbidden,
                        "one TPM challenge per session: reconnect for another");
  }
  challenged_ = true;
  auto body = decode_body(request);
  if (!body) return error_of(request, body.error());
  auto read = attestation::read_challenge_request(*body);
  if (!read) return error_of(request, read.error());
  // The EK alone first: it names the enrollment, whose owner then sees every later refusal.
  auto ek = tpm::parse_tpm2b_public(read->endorsement_key);
  if (!ek) return error_of(request, {ErrorCode::BadRequest, "ek: " + ek.error().internal, {}});
  if (auto fit = tpm::check_endorsement_key(*ek); !fit) return error_of(request, fit.error());
  auto hash = tpm::key_hash(*ek);
  if (!hash) return error_of(request, hash.error());
  auto registration = registration_id_of(*ek);
  if (!registration) return error_of(request, registration.error());
  endorsement_key_ = std::move(*ek);
  peer_.tpm_endorsement_key_sha256 = *hash;
  peer_.key_hash = *hash;
  peer_.registration_id = std::move(*registration);
  requested_ = std::move(*read);
  return LookUp{std::move(*hash)};
}

StepResult TpmSession::finish_challenge(
    const coap::Message& request, const Result<std::optional<store::IndividualEnrollment>>& found,
    const Catalog& catalog, std::chrono::system_clock::time_point now,
    std::chrono::steady_clock::time_point steady_now) {
  if (!requested_) {
    return error_result(request, coap::Code::InternalServerError, "no TPM challenge pending");
  }
  const attestation::ChallengeRequest sent = std::move(*requested_);
  requested_.reset();
  auto format = response_format(request);
  if (!format) return error_of(request, format.error());
  if (!found) {
    challenged_ = false;  // the store's failure, not the device's: it may ask again
    return error_result(request, coap::Code::ServiceUnavailable,
                        "enrollment store unavailable, retry later");
  }
  // Decided as for a certificate device (admission.cpp): the EK's individual enrollment wins when
  // no TPM group admits the TPM or when that group is of its own owner; another owner's neither
  // takes nor denies a TPM a group admits. Groups are asked only with an EK certificate.
  const std::optional<store::IndividualEnrollment> individual =
      *found && (*found)->is_tpm() ? *found : std::nullopt;
  pki::TrustGroupIndex::RefusedBy refused_by;
  Result<const store::EnrollmentGroup*> group = fail(ErrorCode::Forbidden, "");
  if (!sent.ek_certificate.empty()) {
    group = find_tpm_group(catalog, sent.ek_certificate, endorsement_key_, now, &refused_by);
  }
  const store::EnrollmentGroup* admitting = group ? *group : nullptr;
  if (individual && (admitting == nullptr || admitting->owner == individual->owner)) {
    peer_.individual = as_group(*individual);
    enrollment_owner_ = individual->owner;
    if (individual->disabled) {
      return refuse_on_record(request, coap::Code::Forbidden,
                              {ErrorCode::Forbidden, "this device's enrollment is disabled", {}},
                              "TPM challenge", now);
    }
  } else if (admitting != nullptr) {
    peer_.enrollment_group_id = admitting->id;
    enrollment_owner_ = admitting->owner;
  } else if (sent.ek_certificate.empty()) {
    return error_result(request, coap::Code::Forbidden,
                        "no enrollment admits this TPM's endorsement key");
  } else {
    // Only a group whose own CA certified this EK hears of the refusal (disabled, revoked,
    // expired); a certificate that merely names its CA names no group.
    const store::EnrollmentGroup* refusing_group = catalog.find_group(refused_by.group_id);
    if (refusing_group == nullptr) return error_of(request, group.error());
    peer_.enrollment_group_id = refusing_group->id;
    enrollment_owner_ = refusing_group->owner;
    return refuse_on_record(request, coap::Code::Forbidden, group.error(), "TPM challenge", now);
  }
  auto keys = attestation::check_keys(sent);
  if (!keys) {
    return refuse_on_record(request, coap_code_of(keys.error().code), keys.error(), "TPM challenge",
                            now);
  }
  auto issued = attestation::issue_challenge(std::move(*keys), steady_now);
  if (!issued) return error_of(request, issued.error());
  challenge_ = std::move(issued->challenge);
  StepResult result;
  result.response = make_response(request, coap::Code::Changed, issued->response, *format);
  return result;
}

TpmSession::Next TpmSession::activation(const coap::Message& request,
                                        std::chrono::system_clock::time_point now,
                                        std::chrono::steady_clock::time_point steady_now) {
  if (!challenge_ || challenge_->answered) {
    return error_result(request, coap::Code::Forbidden,
                        "no TPM challenge outstanding on this session (each is answered once)");
  }
  auto body = decode_body(request);
  auto read = body ? attestation::read_activation_request(*body)
                   : Result<attestation::ActivationRequest>(tl::unexpected(body.error()));
  if (!read) {
    challenge_->answered = true;  // a malformed answer uses the challenge up like a wrong one
    return refuse_on_record(request, coap::Code::BadRequest, read.error(), "TPM activation", now);
  }
  auto certified = attestation::check_activation(&*challenge_, *read, steady_now);
  if (!certified) {
    return refuse_on_record(request, coap_code_of(certified.error().code), certified.error(),
                            "TPM activation", now);
  }
  auto csr = pki::validate_csr(read->csr_pem, std::nullopt);
  if (!csr) {
    return refuse_on_record(request, coap::Code::BadRequest, csr.error(), "TPM activation", now);
  }
  peer_.certified_key_sha256 = std::move(*certified);
  attested_ = true;
  return Route{credentials_request(request, csr->device_id, read->csr_pem), true};
}

StepResult TpmSession::refuse_on_record(const coap::Message& request, coap::Code code,
                                        const Error& why, std::string_view stage,
                                        std::chrono::system_clock::time_point now) {
  StepResult result = error_result(request, code, why.peer_message());
  const bool individual = peer_.individual != nullptr;
  const std::string id = individual ? peer_.individual->id : peer_.enrollment_group_id;
  if (id.empty()) return result;  // no enrollment named: no owner to tell
  const std::string said = why.peer_message();
  RefusingEnrollment by = refusing(enrollment_owner_, id, individual, peer_.registration_id, stage,
                                   said, why.internal == said ? std::string{} : why.internal);
  by.tpm_endorsement_key_sha256 = peer_.tpm_endorsement_key_sha256;
  result.record = refusal_record(by, unix_nanos(now));
  // Unlike a refused handshake's (an Abort, code 0), this refusal was an answer: its code.
  result.record->attestation->status.coap_code = static_cast<uint8_t>(code);
  return result;
}

}  // namespace dps::provisioning
