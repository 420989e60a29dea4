#include "provisioning/device_conversation.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/clock.hpp"
#include "common/log_throttle.hpp"
#include "log/quoted.hpp"
#include "metrics/metrics.hpp"
#include "pki/uuid.hpp"
#include "provisioning/catalog.hpp"
#include "provisioning/device_resources.hpp"
#include "provisioning/record_commit.hpp"
#include "provisioning/router.hpp"
#include "provisioning/uris.hpp"
#include "store/record_writer.hpp"
#include "store/store.hpp"

namespace dps::provisioning {
namespace {

namespace asio = boost::asio;
using asio::awaitable;

constexpr long kReverseTokenSize = 8;  // what OCF devices send and expect (device-protocol §1)

std::string method_name(coap::Code code) {
  switch (code) {
    case coap::Code::Get:
      return "GET";
    case coap::Code::Post:
      return "POST";
    case coap::Code::Put:
      return "PUT";
    case coap::Code::Delete:
      return "DELETE";
    default:
      return coap::to_string(code);
  }
}

// The step a request path belongs to, for the step metrics (a fixed set of labels).
metrics::Step step_of(std::string_view path) {
  if (path == uris::kPlgdTime) return metrics::Step::Time;
  if (path == uris::kOwnership) return metrics::Step::Ownership;
  if (path == uris::kCloudConfiguration) return metrics::Step::CloudConfiguration;
  if (path == uris::kCredentials) return metrics::Step::Credentials;
  if (path == uris::kAcls) return metrics::Step::Acls;
  if (path == uris::kPreConfiguration) return metrics::Step::PreConfiguration;
  if (path == uris::kTpmChallenge) return metrics::Step::TpmChallenge;
  if (path == uris::kTpmActivation) return metrics::Step::TpmActivation;
  return metrics::Step::Other;
}

metrics::HandshakeResult handshake_result_of(pki::TrustGroupIndex::RefusalKind kind) {
  using Kind = pki::TrustGroupIndex::RefusalKind;
  using metrics::HandshakeResult;
  switch (kind) {
    case Kind::NoGroup:
      return HandshakeResult::NoGroup;
    case Kind::Disabled:
      return HandshakeResult::Disabled;
    case Kind::Revoked:
      return HandshakeResult::Revoked;
    case Kind::Expired:
      return HandshakeResult::Expired;
    case Kind::NotVerified:
      break;
  }
  return HandshakeResult::Failed;
}

Result<IdentityFacts> read_identity_facts(store::Store& store, const std::string& device_id,
                                          const std::string& leaf_serial) {
  IdentityFacts facts;
  facts.device_id = device_id;
  facts.leaf_serial = leaf_serial;
  auto records = store.list_provisioning_records({.scope = store::OwnerScope::every_owner(),
                                                  .ids = {},
                                                  .device_ids = {device_id},
                                                  .enrollment_group_ids = {}});
  if (!records) return tl::unexpected(records.error());
  if (records->empty()) return facts;
  facts.record = std::move(records->front());
  if (facts.record->individual_enrollment_id.empty()) return facts;
  auto individual = store.list_individual_enrollments(
      {store::OwnerScope::every_owner(), {facts.record->individual_enrollment_id}, {}, {}, 0});
  if (!individual) return tl::unexpected(individual.error());
  if (!individual->empty()) facts.individual = std::move(individual->front());
  return facts;
}

}  // namespace

DeviceConversation::DeviceConversation(const ConversationDependencies& deps, SessionLabel label)
    : deps_(deps), label_(std::move(label)) {}

// Runs `read` (store calls) on the store-read pool and resumes the caller's executor.
template <class Read>
awaitable<std::invoke_result_t<Read>> DeviceConversation::on_store_reads(Read read) {
  auto executor = deps_.store_reads ? deps_.store_reads : deps_.blocking;
  if (!executor) co_return read();
  co_return co_await asio::co_spawn(
      executor, [&]() -> awaitable<std::invoke_result_t<Read>> { co_return read(); },
      asio::use_awaitable);
}

awaitable<DeviceConversation::Opening> DeviceConversation::open(const HandshakeOutcome* outcome) {
  if (outcome == nullptr) {
    tpm_.emplace();
    count_handshake(metrics::HandshakeResult::NoCertificate);
    spdlog::info("conn={} peer={} no client certificate: TPM attestation session",
                 label_.connection_id, label_.remote);
    co_return Opening{true, {}};
  }
  outcome_ = *outcome;
  if (outcome_.identity) {
    auto opened = co_await admit_identity();
    co_return opened;
  }
  auto opened = co_await admit();
  co_return opened;
}

// Which enrollment admits the device (provisioning/admission.hpp): its individual enrollment is
// read off the I/O thread, then weighed against the group the handshake matched.
awaitable<DeviceConversation::Opening> DeviceConversation::admit() {
  using Found = Result<std::optional<store::IndividualEnrollment>>;
  auto individual = co_await on_store_reads([&]() {
    if (deps_.enrollments == nullptr) return Found{std::nullopt};
    return deps_.enrollments->find_individual_enrollment(outcome_.peer.key_hash);
  });
  if (!individual) {
    co_return refuse(metrics::HandshakeResult::Failed,
                     "individual enrollment not read: " + individual.error().internal,
                     "enrollment store unavailable, retry later");
  }
  auto catalog = deps_.catalogs->get();
  const auto admission =
      provisioning::admit(outcome_.peer, outcome_.group, *catalog, *individual,
                          outcome_.leaf_validity, std::chrono::system_clock::now());
  if (!admission.admitted) {
    record_refusal(admission);
    co_return refuse(handshake_result_of(admission.refusal_kind), admission.refusal,
                     "refused: " + admission.refusal_for_device);
  }
  count_handshake(metrics::HandshakeResult::Ok);
  const auto cn = log::quoted(outcome_.peer.common_name);
  if (!admission.warning.empty()) {
    spdlog::warn("conn={} peer={} cn={} {}", label_.connection_id, label_.remote, cn,
                 admission.warning);
  }
  if (outcome_.peer.individual) {
    spdlog::info("conn={} peer={} cn={} admitted by individual enrollment {} (registration {})",
                 label_.connection_id, label_.remote, cn, outcome_.peer.individual->id,
                 outcome_.peer.registration_id);
  } else {
    if (deps_.metrics) deps_.metrics->on_enrollment_group_cache_hit();
    spdlog::info("conn={} peer={} cn={} admitted by enrollment group {} (registration {})",
                 label_.connection_id, label_.remote, cn, outcome_.peer.enrollment_group_id,
                 outcome_.peer.registration_id);
  }
  co_return Opening{true, {}};
}

// An identity-certificate session: the device's record and enrollment as the store holds them
// now decide (provisioning::admit_identity).
awaitable<DeviceConversation::Opening> DeviceConversation::admit_identity() {
  const Result<std::string>& device = *outcome_.identity;
  if (!device) {
    const bool expired = device.error().internal.find("expired") != std::string::npos;
    co_return refuse(expired ? metrics::HandshakeResult::Expired : metrics::HandshakeResult::Failed,
                     device.error().internal, device.error().peer_message());
  }
  if (deps_.enrollments == nullptr) {
    co_return refuse(metrics::HandshakeResult::Failed,
                     "identity certificate without a store to check it against",
                     "identity certificates are not accepted here");
  }
  auto facts = co_await on_store_reads(
      [&]() { return read_identity_facts(*deps_.enrollments, *device, outcome_.leaf_serial); });
  if (!facts) {
    co_return refuse(metrics::HandshakeResult::Failed,
                     "device record not read: " + facts.error().internal,
                     "enrollment store unavailable, retry later");
  }
  auto catalog = deps_.catalogs->get();
  const auto admission = provisioning::admit_identity(outcome_.peer, *facts, *catalog);
  if (!admission.admitted) {
    record_refusal(admission);
    co_return refuse(handshake_result_of(admission.refusal_kind), admission.refusal,
                     "refused: " + admission.refusal_for_device);
  }
  count_handshake(metrics::HandshakeResult::Ok);
  spdlog::info("conn={} peer={} cn={} identity session of device {} (record {})",
               label_.connection_id, label_.remote, log::quoted(outcome_.peer.common_name), *device,
               outcome_.peer.registration_id);
  co_return Opening{true, {}};
}

DeviceConversation::Opening DeviceConversation::refuse(metrics::HandshakeResult result,
                                                       const std::string& why,
                                                       const std::string& for_device) const {
  count_handshake(result);
  const auto line = deps_.refusal_log ? deps_.refusal_log->next() : LogThrottle::Decision{true};
  if (line.write) {
    spdlog::warn("conn={} peer={} cn={} handshake refused: {}{}", label_.connection_id,
                 label_.remote, log::quoted(outcome_.peer.common_name), why, line.note());
  }
  return Opening{false, for_device};
}

// The enrollment that refused the device keeps the refusal in its owner's record of it
// (provisioning::refusal_record); the device learns no more than the refusal text says. Not
// awaited: no answer depends on it, and a refused device holds no session open for a write.
void DeviceConversation::record_refusal(const Admission& admission) const {
  if (!admission.refusing || deps_.records == nullptr) return;
  deps_.records->submit(refusal_record(*admission.refusing, unix_nanos()),
                        [id = label_.connection_id](Result<void> result) {
                          if (!result) {
                            spdlog::warn("conn={} refusal not stored in the device's record: {}",
                                         id, result.error().internal);
                          }
                        });
}

void DeviceConversation::count_handshake(metrics::HandshakeResult result) const {
  if (deps_.metrics) deps_.metrics->on_handshake(result);
}

std::optional<coap::Message> DeviceConversation::reverse_request() {
  if (reverse_sent_) return std::nullopt;
  reverse_sent_ = true;
  // Random, so that a device's answer to another session's request cannot pass for this one's.
  const auto uuid = pki::random_uuid_v4();
  auto request = device_resources_request(
      std::vector<uint8_t>(uuid.bytes.begin(), uuid.bytes.begin() + kReverseTokenSize));
  reverse_token_ = request.token;
  return request;
}

awaitable<DeviceConversation::Reply> DeviceConversation::serve(const coap::Message& request) {
  Reply reply;
  reply.started = std::chrono::steady_clock::now();
  const bool first = !seen_request_;
  seen_request_ = true;
  StepResult result;
  if (tpm_) {
    result = co_await route_tpm(request);
  } else {
    result = co_await route(request, first);
  }
  co_await commit_before_answer(request, result);
  const std::string path = request.uri_path();
  log_answer(request, path, result.response);
  reply.step = step_of(path);
  reply.code = result.response.code;
  reply.answer = std::move(result.response);
  reply.close_after = result.close_after;
  co_return reply;
}

// A step's record is durable before its answer leaves. A record the store refuses (the device id
// is pinned to another record) turns the answer into that refusal; a store that fails turns it
// into 5.03, so the device retries the step on this session.
awaitable<void> DeviceConversation::commit_before_answer(const coap::Message& request,
                                                         StepResult& result) {
  if (!result.record) co_return;
  auto committed = co_await async_commit(*deps_.records, *result.record, asio::use_awaitable);
  if (!committed && committed.error().code == ErrorCode::Conflict) {
    spdlog::warn("conn={} peer={} refused: {}", label_.connection_id, label_.remote,
                 committed.error().internal);
    result = deps_.router->refused_by_store(request, result, committed.error());
    committed = co_await async_commit(*deps_.records, *result.record, asio::use_awaitable);
  }
  if (committed) co_return;
  spdlog::error("conn={} peer={} record not stored: {}", label_.connection_id, label_.remote,
                committed.error().internal);
  result.response.code = coap::Code::ServiceUnavailable;
  result.response.options.clear();
  const std::string_view why = "provisioning record store unavailable, retry";
  result.response.payload.assign(why.begin(), why.end());
  result.close_after = false;
}

void DeviceConversation::answered(const Reply& reply) const {
  if (deps_.metrics == nullptr) return;
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - reply.started;
  deps_.metrics->on_step(reply.step, static_cast<uint8_t>(reply.code), took.count());
}

// The router's answer; a request that may wait on the network (an OAuth2 token fetch) runs on
// the blocking executor, and the conversation resumes on its session's executor when it is done.
awaitable<StepResult> DeviceConversation::route(const coap::Message& request, bool first) {
  auto catalog = deps_.catalogs->get();
  if (!deps_.blocking || !Router::may_block(peer(), *catalog, request)) {
    co_return deps_.router->handle(peer(), std::move(catalog), request, first);
  }
  const Router& router = *deps_.router;
  const PeerIdentity& who = peer();
  co_return co_await asio::co_spawn(
      deps_.blocking,
      [&]() -> awaitable<StepResult> { co_return router.handle(who, catalog, request, first); },
      asio::use_awaitable);
}

// A request on a certificate-less session: the TPM session says what it needs (an enrollment
// read off the I/O thread, the Router with the attested device's identity) or answers it.
awaitable<StepResult> DeviceConversation::route_tpm(const coap::Message& request) {
  auto next =
      tpm_->begin(request, std::chrono::system_clock::now(), std::chrono::steady_clock::now());
  if (auto* lookup = std::get_if<TpmSession::LookUp>(&next)) {
    const std::string ek_sha256 = lookup->ek_sha256;
    auto found = co_await on_store_reads([&]() {
      using Found = Result<std::optional<store::IndividualEnrollment>>;
      if (deps_.enrollments == nullptr) return Found{std::nullopt};
      return deps_.enrollments->find_individual_enrollment(ek_sha256);
    });
    auto catalog = deps_.catalogs->get();
    auto answered =
        tpm_->finish_challenge(request, found, *catalog, std::chrono::system_clock::now(),
                               std::chrono::steady_clock::now());
    if (tpm_->peer().individual || !tpm_->peer().enrollment_group_id.empty()) {
      spdlog::info("conn={} peer={} TPM endorsement key {} (record {})", label_.connection_id,
                   label_.remote, ek_sha256, tpm_->peer().registration_id);
    }
    co_return answered;
  }
  if (auto* routed = std::get_if<TpmSession::Route>(&next)) {
    auto result = co_await route(routed->request, routed->first);
    co_return result;
  }
  co_return std::move(std::get<StepResult>(next));
}

// Who this session serves: the certificate's device, or the TPM's once it named an enrollment.
const PeerIdentity& DeviceConversation::peer() const { return tpm_ ? tpm_->peer() : outcome_.peer; }

void DeviceConversation::on_response(const coap::Message& response) {
  if (reverse_token_.empty() || response.token != reverse_token_) return;
  reverse_token_.clear();
  auto endpoints = endpoints_of(response);
  if (endpoints.empty()) {
    spdlog::info("conn={} peer={} GET /oic/res answered {} without endpoints", label_.connection_id,
                 label_.remote, coap::to_string(response.code));
    return;
  }
  // An EK is public: until the TPM proved itself, the session may be anyone's, and writes
  // nothing of its own into the enrollment owner's record.
  if (tpm_ && !tpm_->attested()) return;
  auto catalog = deps_.catalogs->get();
  auto update = local_endpoints_update(peer(), *catalog, std::move(endpoints));
  if (!update) return;  // its enrollment was deleted since the handshake: no record to add to
  // Not tied to an answer, so nothing waits for it; failures only log (device-protocol §3.6).
  deps_.records->submit(std::move(*update), [id = label_.connection_id](Result<void> result) {
    if (!result)
      spdlog::warn("conn={} local endpoints not stored: {}", id, result.error().internal);
  });
}

void DeviceConversation::log_answer(const coap::Message& request, const std::string& path,
                                    const coap::Message& response) const {
  const bool failed = coap::code_class(response.code) >= 4;
  spdlog::log(failed ? spdlog::level::warn : spdlog::level::info,
              "conn={} peer={} cn={} {} {} -> {}{}{}", label_.connection_id, label_.remote,
              log::quoted(outcome_.peer.common_name), method_name(request.code), log::quoted(path),
              coap::to_string(response.code), failed ? ": " : "",
              // The diagnostic may echo request bytes (router: "no resource <path>").
              failed ? log::quoted(response.payload_text()) : std::string{});
}

}  // namespace dps::provisioning
