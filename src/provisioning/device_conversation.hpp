// Everything OCF about one device session, whatever carries it (CoAP over TCP+TLS or over
// UDP+DTLS): which enrollment admits the device, the TPM attestation of a certificate-less device,
// the reverse GET /oic/res and the local endpoints it reports, routing each request to its step,
// and the rule that a step's record is durable before its answer leaves. The transport only
// carries messages: it hands over the handshake's facts, each request and each response, and sends
// what it gets back.
//
// Coroutine form: each call runs on the transport session's executor and resumes there; store
// reads, blocking steps (an OAuth2 token fetch) and record commits run elsewhere meanwhile, so an
// I/O thread never waits on them.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "coap/message.hpp"
#include "provisioning/handshake_outcome.hpp"
#include "provisioning/tpm_session.hpp"

namespace dps {
class LogThrottle;
}
namespace dps::store {
class RecordWriter;
class Store;
}  // namespace dps::store
namespace dps::metrics {
class Metrics;
enum class Step : uint8_t;
enum class HandshakeResult : uint8_t;
}  // namespace dps::metrics

namespace dps::provisioning {

class Router;
class CatalogHolder;

/// What a conversation borrows; owned by the server and outliving every session.
struct ConversationDependencies {
  const Router* router = nullptr;
  CatalogHolder* catalogs = nullptr;
  store::RecordWriter* records = nullptr;
  /// Where the device's individual enrollment and record are read (null: groups alone decide).
  store::Store* enrollments = nullptr;
  /// Runs those reads, so that no I/O thread waits on the database; empty: `blocking`.
  boost::asio::any_io_executor store_reads;
  /// Where requests that may wait on the network run (Router::may_block); empty: inline.
  boost::asio::any_io_executor blocking;
  metrics::Metrics* metrics = nullptr;  // null: nothing is counted
  /// Refusal lines, which a flood of untrusted devices would otherwise multiply; null: no throttle.
  LogThrottle* refusal_log = nullptr;
};

/// The transport's names for its session, for log lines.
struct SessionLabel {
  uint64_t connection_id = 0;
  std::string remote;  // "address:port"
};

class DeviceConversation {
 public:
  DeviceConversation(const ConversationDependencies& deps, SessionLabel label);

  struct Opening {
    bool admitted = false;
    /// When refused: the diagnostic the device may read (the transport's Abort or error answer).
    std::string refusal_for_device;
  };
  /// Decides, once the handshake completed, whether this session is served. `outcome` is null for
  /// a device without a certificate (only when apis.coap.tls.clientCertificateRequired is false):
  /// it attests with its TPM on this session. Counts the handshake result and logs the decision.
  boost::asio::awaitable<Opening> open(const HandshakeOutcome* outcome);

  /// The request to send the device before the session's first request is served (the reverse
  /// GET /oic/res, whose answer names the device's local endpoints), once; nullopt afterwards.
  std::optional<coap::Message> reverse_request();

  struct Reply {
    coap::Message answer;      // the transport may move it out to send it
    coap::Code code{};         // the answer's, kept for answered()
    bool close_after = false;  // the session ends once the answer is sent
    metrics::Step step{};
    std::chrono::steady_clock::time_point started;
  };
  /// Serves one request (a method code). The answer's record, if any, is durable on return; when
  /// it could not be stored, the answer is 5.03 instead (nothing acknowledged may be lost).
  boost::asio::awaitable<Reply> serve(const coap::Message& request);

  /// The transport sent `reply`: counts its step and latency.
  void answered(const Reply& reply) const;

  /// A response from the device: the answer to reverse_request() records its local endpoints;
  /// others are ignored.
  void on_response(const coap::Message& response);

  /// The certificate's CN (empty for a TPM session), for the transport's log lines.
  const std::string& common_name() const { return outcome_.peer.common_name; }

 private:
  boost::asio::awaitable<Opening> admit();
  boost::asio::awaitable<Opening> admit_identity();
  boost::asio::awaitable<StepResult> route(const coap::Message& request, bool first);
  boost::asio::awaitable<StepResult> route_tpm(const coap::Message& request);
  boost::asio::awaitable<void> commit_before_answer(const coap::Message& request,
                                                    StepResult& result);
  Opening refuse(metrics::HandshakeResult result, const std::string& why,
                 const std::string& for_device) const;
  void record_refusal(const Admission& admission) const;
  void count_handshake(metrics::HandshakeResult result) const;
  void log_answer(const coap::Message& request, const std::string& path,
                  const coap::Message& response) const;
  const PeerIdentity& peer() const;

  template <class Read>
  boost::asio::awaitable<std::invoke_result_t<Read>> on_store_reads(Read read);

  const ConversationDependencies& deps_;
  SessionLabel label_;
  HandshakeOutcome outcome_;
  std::optional<TpmSession> tpm_;  // set on a session without a client certificate
  bool reverse_sent_ = false;
  bool seen_request_ = false;
  std::vector<uint8_t> reverse_token_;
};

}  // namespace dps::provisioning
