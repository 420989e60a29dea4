// A TPM device's first provisioning (docs/device-protocol.md §5): instead of a manufacturer
// certificate, the TPM proves the device. On a session without a client certificate the device
// sends its EK and AK (tpm challenge), recovers dps's secret in the TPM and sends its identity
// key, certified by the AK, with a CSR (tpm activation), whose answer is the credentials step's;
// then ownership. Its hub, ACLs and pre-configuration come over the identity session, with the
// certificate just issued.
#include <nlohmann/json.hpp>

#include "device/cbor_payload.hpp"
#include "device/checks.hpp"
#include "device/connect_failure.hpp"
#include "device/provisioner.hpp"
#include "device/requests.hpp"
#include "device/tpm_attestor.hpp"

namespace dps::device {

namespace asio = boost::asio;
using detail::json;
using Clock = std::chrono::steady_clock;

namespace {

// 2.04 with a CBOR map holding the two byte strings ActivateCredential takes; the CBOR to keep.
Result<std::vector<uint8_t>> check_tpm_challenge_response(const coap::Message& response) {
  if (auto ok = check_code(response, coap::Code::Changed); !ok) return tl::unexpected(ok.error());
  if (auto ok = check_content_format(response); !ok) return tl::unexpected(ok.error());
  auto body = detail::decode_cbor(response);
  if (!body) return tl::unexpected(body.error());
  if (!body->is_object()) return fail(ErrorCode::BadRequest, "payload is not a CBOR map");
  for (const char* member : {"credentialBlob", "encryptedSecret"}) {
    const auto it = body->find(member);
    if (it == body->end() || !it->is_binary() || it->get_binary().empty()) {
      return fail(ErrorCode::BadRequest, std::string("no byte string ") + member);
    }
  }
  return json::to_cbor(*body);
}

}  // namespace

asio::awaitable<StepOutcome> Provisioner::tpm_challenge(DeviceSession& session, TpmAttestor& tpm) {
  tpm_credential_.clear();
  auto request = make_tpm_post(uri::kTpmChallenge, json::to_cbor(tpm.challenge_request()));
  co_return co_await exchange_checked(session, Step::TpmChallenge, std::move(request),
                                      [&](const coap::Message& r) {
                                        auto credential = check_tpm_challenge_response(r);
                                        if (!credential) return credential.error().internal;
                                        tpm_credential_ = std::move(*credential);
                                        return std::string();
                                      });
}

asio::awaitable<StepOutcome> Provisioner::tpm_activation(DeviceSession& session, TpmAttestor& tpm) {
  if (tpm_credential_.empty()) {
    co_return record_local_failure(Step::TpmActivation, "no credential: run tpm challenge first",
                                   &session);
  }
  const json credential = json::from_cbor(tpm_credential_);
  auto answer = tpm.answer(credential, config_.device_id);
  if (!answer) {
    co_return record_local_failure(Step::TpmActivation, "TPM: " + answer.error().internal,
                                   &session);
  }
  auto key = activation_key_spki(answer->body);
  if (!key) {
    co_return record_local_failure(Step::TpmActivation, "TPM: " + key.error().internal, &session);
  }
  tpm_activation_body_ = json::to_cbor(answer->body);
  CredentialExpectations expect{config_.device_id, std::move(*key),
                                std::move(answer->private_key_pem),
                                std::chrono::system_clock::now(), config_.min_certificate_validity};
  auto request = make_tpm_post(uri::kTpmActivation, tpm_activation_body_);
  co_return co_await exchange_checked(session, Step::TpmActivation, std::move(request),
                                      [&](const coap::Message& r) {
                                        auto creds = check_credentials_response(r, expect);
                                        if (!creds) return creds.error().internal;
                                        result_.credentials = std::move(*creds);
                                        return std::string();
                                      });
}

asio::awaitable<ProvisionResult> Provisioner::run_tpm(TpmAttestor& tpm) {
  const auto start = Clock::now();
  result_.registration_id = tpm_registration_id(tpm.endorsement_key_tpm2b());
  // The time first, on a session of its own, as the certificate flow.
  const bool timed = co_await time_session();
  if (!timed) co_return finish(start);
  auto session = co_await connect(Step::TpmChallenge);
  if (!session) {
    record_connect_failure(Step::TpmChallenge, session.error());
    co_return finish(start);
  }
  // Each awaited into a local (GCC 12 miscompiles co_await in a condition, architecture.md).
  const StepOutcome challenged = co_await tpm_challenge(**session, tpm);
  if (challenged.ok) {
    const StepOutcome activated = co_await tpm_activation(**session, tpm);
    if (activated.ok) co_await ownership(**session);
  }
  co_await (*session)->close();
  co_return finish(start);
}

}  // namespace dps::device
