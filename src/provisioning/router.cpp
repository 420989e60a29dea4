#include "provisioning/router.hpp"

#include <array>

#include "coap/options.hpp"
#include "common/clock.hpp"
#include "pki/uuid.hpp"
#include "provisioning/admission.hpp"
#include "provisioning/catalog.hpp"
#include "provisioning/content.hpp"
#include "provisioning/step_record.hpp"
#include "provisioning/steps.hpp"
#include "provisioning/uris.hpp"

namespace dps::provisioning {
namespace {

using StepFn = Result<StepBody> (*)(const StepInput&, store::ProvisioningRecord&);

struct Route {
  std::string_view path;
  coap::Code method;
  coap::Code success;
  Step step;
  StepFn run;
};

constexpr std::array kRoutes{
    Route{uris::kPlgdTime, coap::Code::Get, coap::Code::Content, Step::PlgdTime, run_plgd_time},
    Route{uris::kOwnership, coap::Code::Get, coap::Code::Content, Step::Ownership, run_ownership},
    Route{uris::kCloudConfiguration, coap::Code::Post, coap::Code::Changed,
          Step::CloudConfiguration, run_cloud_configuration},
    Route{uris::kCredentials, coap::Code::Post, coap::Code::Changed, Step::Credentials,
          run_credentials},
    Route{uris::kAcls, coap::Code::Get, coap::Code::Content, Step::Acls, run_acls},
    Route{uris::kPreConfiguration, coap::Code::Get, coap::Code::Content, Step::PreConfiguration,
          run_pre_configuration},
    Route{uris::kPreConfiguration, coap::Code::Post, coap::Code::Changed, Step::PreConfiguration,
          run_pre_configuration_report},
};

// The attestation happened at the handshake; the record notes it with a success status
// (2.03 "Valid": the manufacturer certificate was valid for this group).
constexpr uint8_t kAttestationValid = static_cast<uint8_t>(coap::Code::Valid);

store::ProvisioningRecord record_base(const PeerIdentity& peer, const store::EnrollmentGroup& group,
                                      int64_t now, bool with_attestation) {
  store::ProvisioningRecord record;
  record.id = peer.registration_id;
  // Which enrollment admitted the device: the record says whether it was a group or its own.
  (peer.individual ? record.individual_enrollment_id : record.enrollment_group_id) = group.id;
  record.owner = group.owner;
  record.creation_date = now;
  if (with_attestation) {
    record.attestation.emplace();
    record.attestation->status = {now, kAttestationValid, {}};
    record.attestation->certificate_pem = peer.leaf_pem;
    record.attestation->common_name = peer.common_name;
    record.attestation->tpm_endorsement_key_sha256 = peer.tpm_endorsement_key_sha256;
  }
  return record;
}

}  // namespace

StepResult error_result(const coap::Message& request, coap::Code code, std::string_view why) {
  StepResult result;
  result.response = make_error_response(request, code, why);
  // 5.03 means "retry the same step": keep the connection. Anything else makes the device start
  // over on a new connection, so close once the answer is flushed (as plgd does, without sleep).
  result.close_after = code != coap::Code::ServiceUnavailable;
  return result;
}

bool Router::may_block(const PeerIdentity& peer, const Catalog& catalog,
                       const coap::Message& request) {
  if (request.code != coap::Code::Post) return false;
  const std::string path = request.uri_path();
  const bool cloud = path == uris::kCloudConfiguration;
  const bool credentials = path == uris::kCredentials;
  if (!cloud && !credentials) return false;
  const store::EnrollmentGroup* group = enrollment_of(peer, catalog);
  if (group == nullptr) return false;
  // Only hubs that call out: dps's own minter and CA answer at once, on the I/O thread, and
  // never queue behind another owner's slow authority.
  for (const store::Hub* hub : catalog.linked_hubs(*group, nullptr)) {
    if (cloud && !hub->authorization.provider.authority.empty()) return true;
    if (credentials && !hub->certificate_authority.address.empty()) return true;
  }
  return false;
}

StepResult Router::handle(const PeerIdentity& peer, std::shared_ptr<const Catalog> catalog,
                          const coap::Message& request, bool first_request_of_session) const {
  const std::string path = request.uri_path();
  const Route* route = nullptr;
  bool path_known = false;
  for (const auto& candidate : kRoutes) {
    if (candidate.path != path) continue;
    path_known = true;
    if (candidate.method == request.code) route = &candidate;
  }
  if (!path_known) return error_result(request, coap::Code::NotFound, "no resource " + path);
  if (!route) {
    return error_result(request, coap::Code::MethodNotAllowed,
                        "method " + coap::to_string(request.code) + " not allowed on " + path);
  }
  if (auto option = coap::first_unknown_critical_option(request)) {
    return error_result(request, coap::Code::BadOption,
                        "unknown critical option " + std::to_string(*option));
  }
  const store::EnrollmentGroup* group = enrollment_of(peer, *catalog);
  if (!group || group->disabled) {
    // The group was deleted or disabled since this session's handshake: it admits no one now.
    return error_result(request, coap::Code::Forbidden, "no enrollment group admits this device");
  }
  if (!peer.identity_device_id.empty() && route->step == Step::Ownership) {
    // Ownership is settled on the manufacturer session; the identity certificate it led to
    // cannot reopen it (nor move the device to another owner).
    return error_result(request, coap::Code::Forbidden,
                        "ownership is never changed over an identity-certificate session");
  }
  auto format = response_format(request);
  if (!format) return error_result(request, coap::Code::NotAcceptable, format.error().internal);

  const auto now = std::chrono::system_clock::now();
  const int64_t now_ns = unix_nanos(now);
  StepContext context{peer, catalog, services_, now, first_request_of_session};
  const std::string owner_uuid = pki::owner_to_uuid(group->owner);
  StepInput input{context, request, *group, owner_uuid};

  StepResult result;
  // The attestation section is the manufacturer certificate's: an identity session keeps it.
  const bool attests = first_request_of_session && peer.identity_device_id.empty();
  result.record = record_base(peer, *group, now_ns, attests);
  result.step = route->step;
  auto body = route->run(input, *result.record);
  if (!body) {
    const coap::Code code = coap_code_of(body.error().code);
    set_step_status(*result.record, route->step, {now_ns, 0, body.error().internal});
    auto failed = error_result(request, code, body.error().peer_message());
    result.response = std::move(failed.response);
    result.close_after = failed.close_after;
    return result;
  }
  set_step_status(*result.record, route->step, {now_ns, static_cast<uint8_t>(route->success), {}});
  result.response = make_response(request, route->success, *body, *format);
  return result;
}

StepResult Router::refused_by_store(const coap::Message& request, const StepResult& intended,
                                    const Error& refusal) const {
  StepResult result = error_result(request, coap::Code::Forbidden, refusal.peer_message());
  result.step = intended.step;
  if (!intended.record || !intended.step) return result;
  store::ProvisioningRecord& record = result.record.emplace();
  record.id = intended.record->id;
  record.owner = intended.record->owner;
  record.enrollment_group_id = intended.record->enrollment_group_id;
  record.individual_enrollment_id = intended.record->individual_enrollment_id;
  record.creation_date = intended.record->creation_date;
  record.attestation = intended.record->attestation;
  set_step_status(record, *intended.step, {unix_nanos(), 0, refusal.internal});
  return result;
}

}  // namespace dps::provisioning
