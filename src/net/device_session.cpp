#include "net/device_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstring>

#include "coap/signaling.hpp"
#include "coap/tcp_framing.hpp"
#include "log/quoted.hpp"
#include "metrics/metrics.hpp"
#include "net/connection_admission.hpp"
#include "net/no_throw.hpp"
#include "net/tls_context.hpp"
#include "net/tls_socket.hpp"
#include "pki/x509_util.hpp"
#include "provisioning/device_conversation.hpp"

namespace dps::net {
namespace {

namespace asio = boost::asio;
using asio::awaitable;

constexpr size_t kReadChunk = 4096;
// How long a refused handshake's socket waits for the device to close after the alert: enough
// for the alert to be read, short enough that a flood of refused handshakes holds few sockets.
constexpr auto kRefusalLinger = std::chrono::milliseconds(250);

std::string remote_text(const asio::ip::tcp::socket& socket) {
  boost::system::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  return ec ? std::string("?") : remote.address().to_string() + ":" + std::to_string(remote.port());
}

class Session {
 public:
  Session(asio::ip::tcp::socket socket, const SessionDependencies& deps, uint64_t id,
          std::chrono::steady_clock::time_point handshake_deadline)
      : stream_(std::move(socket), deps.tls->native_handle()),
        deps_(deps),
        id_(id),
        handshake_deadline_(handshake_deadline),
        remote_(remote_text(stream_.socket())),
        conversation_(deps.conversation, {id, remote_}) {}

  awaitable<void> run() {
    // GCC 12 miscompiles `co_await` inside conditions of coroutine members (SIGILL at run
    // time), so every awaited value is first stored in a local.
    const bool handshaken = co_await handshake();
    if (!handshaken) co_return;
    const bool has_certificate = SSL_get0_peer_certificate(stream_.ssl()) != nullptr;
    const auto opening = co_await conversation_.open(has_certificate ? &outcome_ : nullptr);
    if (!opening.admitted) {
      // The device is told why in an Abort (RFC 8323 §5.6) before the connection closes.
      co_await send(coap::make_abort(opening.refusal_for_device));
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
    if (stream_.ssl()) attach_handshake_outcome(stream_.ssl(), &outcome_);
    const auto ec = co_await stream_.handshake(handshake_deadline_);
    if (ec) {
      const bool timed_out = ec == asio::error::timed_out;
      count_handshake(timed_out ? metrics::HandshakeResult::Timeout
                                : metrics::HandshakeResult::Failed);
      if (timed_out && deps_.conversation.metrics)
        deps_.conversation.metrics->on_limit(metrics::Limit::HandshakeTimeout);
      log_refusal(ec.message());
      // The alert that says why must reach the device (a TLS 1.3 client may already be sending).
      co_await stream_.linger(std::chrono::steady_clock::now() + kRefusalLinger);
      co_return false;
    }
    co_return true;
  }

  void log_refusal(const std::string& why) {
    if (const auto line = deps_.log_throttles->handshake_refused.next(); line.write) {
      spdlog::warn("conn={} peer={} cn={} handshake refused: {}{}", id_, remote_,
                   log::quoted(outcome_.peer.common_name), why, line.note());
    }
  }

  void count_handshake(metrics::HandshakeResult result) {
    if (deps_.conversation.metrics) deps_.conversation.metrics->on_handshake(result);
  }

  // Reads and dispatches frames until the device leaves, idles out, or an answer asks to close.
  awaitable<void> serve() {
    certificate_deadline_ =
        client_certificate_deadline(stream_.ssl(), deps_.options.disconnect_on_expired_certificate);
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
        if (*error == coap::DecodeError::MessageTooLarge && deps_.conversation.metrics) {
          deps_.conversation.metrics->on_limit(metrics::Limit::MaxMessageSize);
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
        if (deps_.conversation.metrics)
          deps_.conversation.metrics->on_limit(metrics::Limit::MaxRequestsPerSession);
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
      conversation_.on_response(message);  // answers to requests we did not send are ignored
      co_return true;
    }
    if (!coap::is_request(message.code)) co_return true;  // 0.00 empty message: nothing to do
    if (auto reverse = conversation_.reverse_request()) {
      const bool sent = co_await send(std::move(*reverse));
      if (!sent) co_return false;
    }
    auto reply = co_await conversation_.serve(message);
    const bool close_after = reply.close_after;
    const bool sent = co_await send(std::move(reply.answer));
    if (sent) conversation_.answered(reply);
    co_return sent && !close_after;
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
    const auto deadline = std::min(frame_deadline_, certificate_deadline_);
    if (buffered_ == 0) {
      // An idle session holds no read buffer while it waits (consume() released it).
      const auto ready = co_await stream_.readable(deadline);
      if (ready) co_return read_ended(ready);
    }
    while (buffered_ < total) {
      // Grows with the bytes that actually arrived, never to the length a frame header announces:
      // a peer cannot make us allocate maxMessageSize by sending a few header bytes.
      if (buffer_.size() < buffered_ + kReadChunk) buffer_.resize(buffered_ + kReadChunk);
      auto [ec, n] = co_await stream_.read_some(
          std::span(buffer_.data() + buffered_, buffer_.size() - buffered_), deadline);
      if (ec) co_return read_ended(ec);
      buffered_ += n;
    }
    co_return true;
  }

  // Why the session's reads ended, logged (a clean close is not worth a line); always false.
  bool read_ended(const boost::system::error_code& ec) {
    if (ec == asio::error::timed_out && certificate_expired()) return false;
    if (ec == asio::error::timed_out) {
      spdlog::info("conn={} peer={} no complete message in {} ms: closing", id_, remote_,
                   deps_.options.inactivity_timeout.count());
      if (deps_.conversation.metrics) {
        deps_.conversation.metrics->on_limit(metrics::Limit::InactivityTimeout);
      }
    } else if (ec != asio::error::eof && ec != asio::ssl::error::stream_truncated) {
      spdlog::info("conn={} peer={} read ended: {}", id_, remote_, ec.message());
    }
    return false;
  }

  void consume(size_t n) {
    std::memmove(buffer_.data(), buffer_.data() + n, buffered_ - n);
    buffered_ -= n;
    // Between messages an idle session holds no read buffer (what it mostly does is wait).
    if (buffered_ == 0) std::vector<uint8_t>().swap(buffer_);
  }

  awaitable<bool> send(coap::Message message) {
    coap::pad_to_device_minimum(message);
    auto bytes = coap::encode_frame(message);
    const auto ec = co_await stream_.write(
        bytes, std::chrono::steady_clock::now() + deps_.options.inactivity_timeout);
    if (ec) {
      spdlog::info("conn={} peer={} write failed: {}", id_, remote_, ec.message());
      co_return false;
    }
    co_return true;
  }

  // Flush-then-close: every answer was written before we got here; close_notify under a deadline.
  awaitable<void> close() {
    co_await stream_.shutdown(std::chrono::steady_clock::now() + deps_.options.close_timeout);
  }

  TlsSocket stream_;
  const SessionDependencies& deps_;
  uint64_t id_;
  std::chrono::steady_clock::time_point handshake_deadline_;
  std::string remote_;
  HandshakeOutcome outcome_;
  std::vector<uint8_t> buffer_;
  size_t buffered_ = 0;
  size_t messages_ = 0;  // inbound messages so far, signals included
  std::chrono::steady_clock::time_point frame_deadline_;
  std::chrono::steady_clock::time_point certificate_deadline_ =
      std::chrono::steady_clock::time_point::max();
  provisioning::DeviceConversation conversation_;
};

}  // namespace

awaitable<void> run_device_session(asio::ip::tcp::socket socket, const SessionDependencies& deps,
                                   uint64_t connection_id) {
  // The SSL object and its handshake state cost tens of KiB: create them only once the peer has
  // spoken, so a silent connection (slow-loris) costs its socket and this frame until the
  // handshake deadline closes it.
  const auto deadline = std::chrono::steady_clock::now() + deps.options.handshake_timeout;
  const bool spoke = co_await first_bytes_before(socket, deadline);
  if (!spoke) {
    if (deps.conversation.metrics) {
      deps.conversation.metrics->on_handshake(metrics::HandshakeResult::Timeout);
      deps.conversation.metrics->on_limit(metrics::Limit::HandshakeTimeout);
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
