#include "net/device_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <cstring>

#include "coap/signaling.hpp"
#include "coap/tcp_framing.hpp"
#include "common/clock.hpp"
#include "log/quoted.hpp"
#include "metrics/metrics.hpp"
#include "net/connection_admission.hpp"
#include "net/no_throw.hpp"
#include "net/record_commit.hpp"
#include "net/tls_context.hpp"
#include "pki/uuid.hpp"
#include "pki/x509_util.hpp"
#include "provisioning/admission.hpp"
#include "provisioning/catalog.hpp"
#include "provisioning/device_resources.hpp"
#include "provisioning/router.hpp"
#include "provisioning/tpm_session.hpp"
#include "provisioning/uris.hpp"
#include "store/store.hpp"

namespace dps::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::awaitable;
using Stream = beast::ssl_stream<beast::tcp_stream>;

constexpr size_t kReadChunk = 4096;
constexpr size_t kTokenSize = 8;

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
  namespace uris = provisioning::uris;
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

class Session {
 public:
  Session(asio::ip::tcp::socket socket, const SessionDependencies& deps, uint64_t id,
          std::chrono::steady_clock::time_point handshake_deadline)
      : stream_(beast::tcp_stream(std::move(socket)), *deps.tls),
        deps_(deps),
        id_(id),
        handshake_deadline_(handshake_deadline) {
    boost::system::error_code ec;
    auto remote = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    remote_ =
        ec ? std::string("?") : remote.address().to_string() + ":" + std::to_string(remote.port());
  }

  awaitable<void> run() {
    // GCC 12 miscompiles `co_await` inside conditions of coroutine members (SIGILL at run
    // time), so every awaited value is first stored in a local.
    const bool handshaken = co_await handshake();
    if (!handshaken) co_return;
    const bool admitted = co_await admit_or_start_tpm();
    if (!admitted) {
      co_await close();
      co_return;
    }
    const bool greeted = co_await send(coap::make_csm(
        static_cast<uint32_t>(deps_.options.max_message_size), /*block_wise_transfer=*/true));
    if (greeted) co_await serve();
    co_await close();
  }

 private:
  awaitable<bool> handshake() {
    attach_handshake_outcome(stream_.native_handle(), &outcome_);
    beast::get_lowest_layer(stream_).expires_at(handshake_deadline_);
    auto [ec] = co_await stream_.async_handshake(asio::ssl::stream_base::server, kNoThrow);
    if (ec) {
      const bool timed_out = ec == beast::error::timeout;
      count_handshake(timed_out ? metrics::HandshakeResult::Timeout
                                : metrics::HandshakeResult::Failed);
      if (timed_out && deps_.metrics) deps_.metrics->on_limit(metrics::Limit::HandshakeTimeout);
      log_refusal(ec.message());
      beast::get_lowest_layer(stream_).close();
      co_return false;
    }
    co_return true;
  }

  // A device without a certificate (only when apis.coap.tls.clientCertificateRequired is false)
  // attests with its TPM on this session (provisioning/tpm_session.hpp); any other is admitted now.
  awaitable<bool> admit_or_start_tpm() {
    if (SSL_get0_peer_certificate(stream_.native_handle()) == nullptr) {
      tpm_.emplace();
      count_handshake(metrics::HandshakeResult::NoCertificate);
      spdlog::info("conn={} peer={} no client certificate: TPM attestation session", id_, remote_);
      co_return true;
    }
    const bool admitted = co_await admit();
    co_return admitted;
  }

  // Which enrollment admits the device (provisioning/admission.hpp): its individual enrollment is
  // read off the I/O thread, then weighed against the group the handshake matched. A refused
  // device is told why in an Abort (RFC 8323 §5.6) before the connection closes.
  awaitable<bool> admit() {
    if (outcome_.identity) {
      const bool admitted = co_await admit_identity();
      co_return admitted;
    }
    auto individual = co_await read_individual_enrollment();
    if (!individual) {
      co_return co_await refuse(metrics::HandshakeResult::Failed,
                                "individual enrollment not read: " + individual.error().internal,
                                "enrollment store unavailable, retry later");
    }
    auto catalog = deps_.catalogs->get();
    const auto admission =
        provisioning::admit(outcome_.peer, outcome_.group, *catalog, *individual,
                            outcome_.leaf_validity, std::chrono::system_clock::now());
    if (!admission.admitted) {
      record_refusal(admission);
      co_return co_await refuse(handshake_result_of(admission.refusal_kind), admission.refusal,
                                "refused: " + admission.refusal_for_device);
    }
    count_handshake(metrics::HandshakeResult::Ok);
    if (!admission.warning.empty()) {
      spdlog::warn("conn={} peer={} cn={} {}", id_, remote_, log::quoted(outcome_.peer.common_name),
                   admission.warning);
    }
    if (outcome_.peer.individual) {
      spdlog::info("conn={} peer={} cn={} admitted by individual enrollment {} (registration {})",
                   id_, remote_, log::quoted(outcome_.peer.common_name),
                   outcome_.peer.individual->id, outcome_.peer.registration_id);
    } else {
      if (deps_.metrics) deps_.metrics->on_enrollment_group_cache_hit();
      spdlog::info("conn={} peer={} cn={} admitted by enrollment group {} (registration {})", id_,
                   remote_, log::quoted(outcome_.peer.common_name),
                   outcome_.peer.enrollment_group_id, outcome_.peer.registration_id);
    }
    co_return true;
  }

  // An identity-certificate session: the device's record and enrollment as the store holds them
  // now decide (provisioning::admit_identity).
  awaitable<bool> admit_identity() {
    const Result<std::string>& device = *outcome_.identity;
    if (!device) {
      const bool expired = device.error().internal.find("expired") != std::string::npos;
      co_return co_await refuse(
          expired ? metrics::HandshakeResult::Expired : metrics::HandshakeResult::Failed,
          device.error().internal, device.error().peer_message());
    }
    if (deps_.enrollments == nullptr) {
      co_return co_await refuse(metrics::HandshakeResult::Failed,
                                "identity certificate without a store to check it against",
                                "identity certificates are not accepted here");
    }
    auto facts = co_await on_store_reads([&]() { return read_identity_facts(*device); });
    if (!facts) {
      co_return co_await refuse(metrics::HandshakeResult::Failed,
                                "device record not read: " + facts.error().internal,
                                "enrollment store unavailable, retry later");
    }
    auto catalog = deps_.catalogs->get();
    const auto admission = provisioning::admit_identity(outcome_.peer, *facts, *catalog);
    if (!admission.admitted) {
      record_refusal(admission);
      co_return co_await refuse(handshake_result_of(admission.refusal_kind), admission.refusal,
                                "refused: " + admission.refusal_for_device);
    }
    count_handshake(metrics::HandshakeResult::Ok);
    spdlog::info("conn={} peer={} cn={} identity session of device {} (record {})", id_, remote_,
                 log::quoted(outcome_.peer.common_name), *device, outcome_.peer.registration_id);
    co_return true;
  }

  Result<provisioning::IdentityFacts> read_identity_facts(const std::string& device_id) {
    provisioning::IdentityFacts facts;
    facts.device_id = device_id;
    facts.leaf_serial = outcome_.leaf_serial;
    store::Store& store = *deps_.enrollments;
    auto records =
        store.list_provisioning_records({store::OwnerScope::every_owner(), {}, {device_id}, {}});
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

  // Runs `read` (store calls) on the store-read pool and resumes this session's strand.
  template <class Read>
  awaitable<std::invoke_result_t<Read>> on_store_reads(Read read) {
    auto executor = deps_.store_reads ? deps_.store_reads : deps_.blocking;
    if (!executor) co_return read();
    co_return co_await asio::co_spawn(
        executor, [&]() -> awaitable<std::invoke_result_t<Read>> { co_return read(); },
        asio::use_awaitable);
  }

  awaitable<bool> refuse(metrics::HandshakeResult result, const std::string& why,
                         const std::string& for_device) {
    count_handshake(result);
    log_refusal(why);
    co_await send(coap::make_abort(for_device));
    co_return false;
  }

  // The enrollment that refused the device keeps the refusal in its owner's record of it
  // (provisioning::refusal_record); the device learns no more than the Abort says. Not awaited,
  // like record_endpoints(): no answer depends on it, and a refused device holds no session open
  // for a write.
  void record_refusal(const provisioning::Admission& admission) {
    if (!admission.refusing || deps_.records == nullptr) return;
    deps_.records->submit(provisioning::refusal_record(*admission.refusing, unix_nanos()),
                          [id = id_](Result<void> result) {
                            if (!result) {
                              spdlog::warn("conn={} refusal not stored in the device's record: {}",
                                           id, result.error().internal);
                            }
                          });
  }

  awaitable<Result<std::optional<store::IndividualEnrollment>>> read_individual_enrollment() {
    using Found = Result<std::optional<store::IndividualEnrollment>>;
    if (deps_.enrollments == nullptr) co_return Found{std::nullopt};
    co_return co_await on_store_reads(
        [&]() { return deps_.enrollments->find_individual_enrollment(outcome_.peer.key_hash); });
  }

  void log_refusal(const std::string& why) {
    if (const auto line = deps_.log_throttles->handshake_refused.next(); line.write) {
      spdlog::warn("conn={} peer={} cn={} handshake refused: {}{}", id_, remote_,
                   log::quoted(outcome_.peer.common_name), why, line.note());
    }
  }

  void count_handshake(metrics::HandshakeResult result) {
    if (deps_.metrics) deps_.metrics->on_handshake(result);
  }

  // Reads and dispatches frames until the device leaves, idles out, or an answer asks to close.
  awaitable<void> serve() {
    arm_certificate_expiry();
    start_frame_clock();
    for (;;) {
      if (certificate_expired()) co_return;
      auto decoded =
          coap::decode_frame(std::span(buffer_.data(), buffered_), deps_.options.max_message_size);
      if (auto* need = std::get_if<coap::NeedMore>(&decoded)) {
        const bool more = co_await read_at_least(need->at_least);
        if (!more) co_return;
        continue;
      }
      if (auto* error = std::get_if<coap::DecodeError>(&decoded)) {
        if (*error == coap::DecodeError::MessageTooLarge && deps_.metrics) {
          deps_.metrics->on_limit(metrics::Limit::MaxMessageSize);
        }
        spdlog::warn("conn={} peer={} cn={} bad frame: {}", id_, remote_,
                     log::quoted(outcome_.peer.common_name), coap::to_string(*error));
        co_await send(
            coap::make_abort(std::string("bad frame: ") + std::string(coap::to_string(*error))));
        co_return;
      }
      auto& frame = std::get<coap::Frame>(decoded);
      coap::Message message = std::move(frame.message);
      consume(frame.consumed);
      if (++messages_ > deps_.options.max_messages) {
        spdlog::warn("conn={} peer={} cn={} sent more than {} messages: closing", id_, remote_,
                     log::quoted(outcome_.peer.common_name), deps_.options.max_messages);
        if (deps_.metrics) deps_.metrics->on_limit(metrics::Limit::MaxRequestsPerSession);
        co_await send(coap::make_abort("too many messages in one session"));
        co_return;
      }
      const bool keep_going = co_await dispatch(message);
      if (!keep_going) co_return;
      start_frame_clock();
    }
  }

  // Returns false when the session must end.
  awaitable<bool> dispatch(const coap::Message& message) {
    using coap::Code;
    if (coap::is_signal(message.code)) {
      switch (message.code) {
        case Code::Ping: {
          const bool sent = co_await send(coap::make_pong(message));
          co_return sent;
        }
        case Code::Csm:
        case Code::Pong:
          co_return true;  // the device's limits never exceed ours; nothing to adapt
        default:           // Release, Abort, unknown signals
          co_return false;
      }
    }
    if (coap::is_response(message.code)) {
      if (!reverse_token_.empty() && message.token == reverse_token_) record_endpoints(message);
      co_return true;  // answers to requests we did not send are ignored
    }
    if (!coap::is_request(message.code)) co_return true;  // 0.00 empty message: nothing to do
    const auto started = std::chrono::steady_clock::now();
    const bool first = !seen_request_;
    seen_request_ = true;
    if (first) {
      const bool sent = co_await send_reverse_request();
      if (!sent) co_return false;
    }

    provisioning::StepResult result;
    if (tpm_) {
      result = co_await handle_tpm_request(message);
    } else {
      result = co_await handle_request(message, first);
    }
    if (result.record) {
      auto committed = co_await async_commit(*deps_.records, *result.record, asio::use_awaitable);
      if (!committed && committed.error().code == ErrorCode::Conflict) {
        // The store refused this device id (pinned to another one, or another record's): the
        // answer must not leave; record the refusal instead and answer it.
        spdlog::warn("conn={} peer={} refused: {}", id_, remote_, committed.error().internal);
        result = deps_.router->refused_by_store(message, result, committed.error());
        committed = co_await async_commit(*deps_.records, *result.record, asio::use_awaitable);
      }
      if (!committed) {
        // Nothing acknowledged may be lost: without a durable record the step is not done.
        spdlog::error("conn={} peer={} record not stored: {}", id_, remote_,
                      committed.error().internal);
        result.response.code = Code::ServiceUnavailable;
        result.response.options.clear();
        const std::string_view why = "provisioning record store unavailable, retry";
        result.response.payload.assign(why.begin(), why.end());
        result.close_after = false;
      }
    }
    const std::string path = message.uri_path();
    log_answer(message, path, result.response);
    const auto code = static_cast<uint8_t>(result.response.code);
    const bool sent = co_await send(std::move(result.response));
    if (sent && deps_.metrics) {
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
      deps_.metrics->on_step(step_of(path), code, took.count());
    }
    co_return sent && !result.close_after;
  }

  // The router's answer; a request that may wait on the network (an OAuth2 token fetch) runs on
  // the blocking executor, and this session resumes on its own strand when it is done.
  awaitable<provisioning::StepResult> handle_request(const coap::Message& message, bool first) {
    auto catalog = deps_.catalogs->get();
    if (!deps_.blocking || !provisioning::Router::may_block(peer(), *catalog, message)) {
      co_return deps_.router->handle(peer(), std::move(catalog), message, first);
    }
    const provisioning::Router& router = *deps_.router;
    const provisioning::PeerIdentity& peer = this->peer();
    co_return co_await asio::co_spawn(
        deps_.blocking,
        [&]() -> awaitable<provisioning::StepResult> {
          co_return router.handle(peer, catalog, message, first);
        },
        asio::use_awaitable);
  }

  // A request on a certificate-less session: the TPM session says what it needs (an enrollment
  // read off this I/O thread, the Router with the attested device's identity) or answers it.
  awaitable<provisioning::StepResult> handle_tpm_request(const coap::Message& message) {
    using provisioning::TpmSession;
    auto next =
        tpm_->begin(message, std::chrono::system_clock::now(), std::chrono::steady_clock::now());
    if (auto* lookup = std::get_if<TpmSession::LookUp>(&next)) {
      const std::string ek_sha256 = lookup->ek_sha256;
      auto found = co_await on_store_reads([&]() {
        using Found = Result<std::optional<store::IndividualEnrollment>>;
        if (deps_.enrollments == nullptr) return Found{std::nullopt};
        return deps_.enrollments->find_individual_enrollment(ek_sha256);
      });
      auto catalog = deps_.catalogs->get();
      auto answered =
          tpm_->finish_challenge(message, found, *catalog, std::chrono::system_clock::now(),
                                 std::chrono::steady_clock::now());
      if (tpm_->peer().individual || !tpm_->peer().enrollment_group_id.empty()) {
        spdlog::info("conn={} peer={} TPM endorsement key {} (record {})", id_, remote_, ek_sha256,
                     tpm_->peer().registration_id);
      }
      co_return answered;
    }
    if (auto* route = std::get_if<TpmSession::Route>(&next)) {
      auto routed = co_await handle_request(route->request, route->first);
      co_return routed;
    }
    co_return std::move(std::get<provisioning::StepResult>(next));
  }

  // Who this session serves: the certificate's device, or the TPM's once it named an enrollment.
  const provisioning::PeerIdentity& peer() const { return tpm_ ? tpm_->peer() : outcome_.peer; }

  awaitable<bool> send_reverse_request() {
    auto request = provisioning::device_resources_request(random_token());
    reverse_token_ = request.token;
    const bool sent = co_await send(std::move(request));
    co_return sent;
  }

  static std::vector<uint8_t> random_token() {
    const auto uuid = pki::random_uuid_v4();
    return std::vector<uint8_t>(uuid.bytes.begin(), uuid.bytes.begin() + kTokenSize);
  }

  void record_endpoints(const coap::Message& response) {
    reverse_token_.clear();
    auto endpoints = provisioning::endpoints_of(response);
    if (endpoints.empty()) {
      spdlog::info("conn={} peer={} GET /oic/res answered {} without endpoints", id_, remote_,
                   coap::to_string(response.code));
      return;
    }
    // An EK is public: until the TPM proved itself, the session may be anyone's, and writes
    // nothing of its own into the enrollment owner's record.
    if (tpm_ && !tpm_->attested()) return;
    auto catalog = deps_.catalogs->get();
    auto update = provisioning::local_endpoints_update(peer(), *catalog, std::move(endpoints));
    if (!update) return;  // its enrollment was deleted since the handshake: no record to add to
    // Not tied to an answer, so nothing waits for it; failures only log (device-protocol §3.6).
    deps_.records->submit(std::move(*update), [id = id_](Result<void> result) {
      if (!result)
        spdlog::warn("conn={} local endpoints not stored: {}", id, result.error().internal);
    });
  }

  void log_answer(const coap::Message& request, const std::string& path,
                  const coap::Message& response) {
    const bool failed = coap::code_class(response.code) >= 4;
    spdlog::log(failed ? spdlog::level::warn : spdlog::level::info,
                "conn={} peer={} cn={} {} {} -> {}{}{}", id_, remote_,
                log::quoted(outcome_.peer.common_name), method_name(request.code),
                log::quoted(path), coap::to_string(response.code), failed ? ": " : "",
                // The diagnostic may echo request bytes (router: "no resource <path>").
                failed ? log::quoted(response.payload_text()) : std::string{});
  }

  // apis.coap.tls.disconnectOnExpiredCertificate (plgd's): the session may not outlive the
  // client certificate. notAfter is wall-clock time; the deadline is kept on the steady clock
  // like the others, so a clock step during the short session does not matter.
  void arm_certificate_expiry() {
    if (!deps_.options.disconnect_on_expired_certificate) return;
    X509* cert = SSL_get0_peer_certificate(stream_.native_handle());
    auto not_after = cert ? pki::to_time_point(X509_get0_notAfter(cert)) : std::nullopt;
    if (!not_after) return;
    const auto left = *not_after - std::chrono::system_clock::now();
    certificate_deadline_ =
        std::chrono::steady_clock::now() +
        std::max(std::chrono::duration_cast<std::chrono::steady_clock::duration>(left),
                 std::chrono::steady_clock::duration::zero());
  }

  bool certificate_expired() const {
    if (std::chrono::steady_clock::now() < certificate_deadline_) return false;
    spdlog::info("conn={} peer={} cn={} client certificate expired: closing", id_, remote_,
                 log::quoted(outcome_.peer.common_name));
    return true;
  }

  // The inactivity deadline runs per message, not per read: a peer trickling a byte at a time
  // must still complete a message within the timeout.
  void start_frame_clock() {
    frame_deadline_ = std::chrono::steady_clock::now() + deps_.options.inactivity_timeout;
  }

  awaitable<bool> read_at_least(size_t total) {
    while (buffered_ < total) {
      // Grows with the bytes that actually arrived, never to the length a frame header announces:
      // a peer cannot make us allocate maxMessageSize by sending a few header bytes.
      if (buffer_.size() < buffered_ + kReadChunk) buffer_.resize(buffered_ + kReadChunk);
      beast::get_lowest_layer(stream_).expires_at(std::min(frame_deadline_, certificate_deadline_));
      auto [ec, n] = co_await stream_.async_read_some(
          asio::buffer(buffer_.data() + buffered_, buffer_.size() - buffered_), kNoThrow);
      if (ec) {
        if (ec == beast::error::timeout && certificate_expired()) {
          co_return false;
        } else if (ec == beast::error::timeout) {
          spdlog::info("conn={} peer={} no complete message in {} ms: closing", id_, remote_,
                       deps_.options.inactivity_timeout.count());
          if (deps_.metrics) deps_.metrics->on_limit(metrics::Limit::InactivityTimeout);
        } else if (ec != asio::error::eof && ec != asio::ssl::error::stream_truncated) {
          spdlog::info("conn={} peer={} read ended: {}", id_, remote_, ec.message());
        }
        co_return false;
      }
      buffered_ += n;
    }
    co_return true;
  }

  void consume(size_t n) {
    std::memmove(buffer_.data(), buffer_.data() + n, buffered_ - n);
    buffered_ -= n;
  }

  awaitable<bool> send(coap::Message message) {
    coap::pad_to_device_minimum(message);
    auto bytes = coap::encode_frame(message);
    beast::get_lowest_layer(stream_).expires_after(deps_.options.inactivity_timeout);
    auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(bytes), kNoThrow);
    (void)n;
    if (ec) {
      spdlog::info("conn={} peer={} write failed: {}", id_, remote_, ec.message());
      co_return false;
    }
    co_return true;
  }

  // Flush-then-close: every answer was written before we got here; close_notify under a
  // deadline, and a peer that vanished (stream_truncated) is a clean close too.
  awaitable<void> close() {
    beast::get_lowest_layer(stream_).expires_after(deps_.options.close_timeout);
    co_await stream_.async_shutdown(kNoThrow);
    beast::get_lowest_layer(stream_).close();
  }

  Stream stream_;
  const SessionDependencies& deps_;
  uint64_t id_;
  std::chrono::steady_clock::time_point handshake_deadline_;
  std::string remote_;
  HandshakeOutcome outcome_;
  std::vector<uint8_t> buffer_;
  size_t buffered_ = 0;
  bool seen_request_ = false;
  size_t messages_ = 0;  // inbound messages so far, signals included
  std::chrono::steady_clock::time_point frame_deadline_;
  std::chrono::steady_clock::time_point certificate_deadline_ =
      std::chrono::steady_clock::time_point::max();
  std::vector<uint8_t> reverse_token_;
  std::optional<provisioning::TpmSession> tpm_;  // set on a session without a client certificate
};

}  // namespace

awaitable<void> run_device_session(asio::ip::tcp::socket socket, const SessionDependencies& deps,
                                   uint64_t connection_id) {
  // A TLS stream costs ~90 KiB from its creation (Asio's two 17 KiB record buffers, the SSL
  // object): create it only once the peer has spoken, so a silent connection (slow-loris) costs
  // its socket and this frame until the handshake deadline closes it.
  const auto deadline = std::chrono::steady_clock::now() + deps.options.handshake_timeout;
  const bool spoke = co_await first_bytes_before(socket, deadline);
  if (!spoke) {
    if (deps.metrics) {
      deps.metrics->on_handshake(metrics::HandshakeResult::Timeout);
      deps.metrics->on_limit(metrics::Limit::HandshakeTimeout);
    }
    if (const auto line = deps.log_throttles->handshake_timeout.next(); line.write) {
      spdlog::info("conn={} sent nothing within the handshake timeout: closing{}", connection_id,
                   line.note());
    }
    boost::system::error_code ignored;
    socket.close(ignored);
    co_return;
  }
  Session session(std::move(socket), deps, connection_id, deadline);
  co_await session.run();
}

}  // namespace dps::net
