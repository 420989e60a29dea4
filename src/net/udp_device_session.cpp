#include "net/udp_device_session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "coap/block.hpp"
#include "coap/message_dedup.hpp"
#include "coap/udp_message.hpp"
#include "log/quoted.hpp"
#include "metrics/metrics.hpp"
#include "net/dtls_channel.hpp"
#include "net/tls_context.hpp"
#include "pki/uuid.hpp"

namespace dps::net {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using Clock = std::chrono::steady_clock;
using coap::Datagram;
using coap::MessageType;

/// Message IDs remembered for duplicate detection: above the exchanges a device has in flight
/// (NSTART 1, RFC 7252 §4.7), with room for the blocks of a transfer.
constexpr size_t kRememberedMessages = 16;
/// RFC 7252 §4.8: ACK_TIMEOUT and MAX_RETRANSMIT, for the one confirmable request dps sends (the
/// reverse GET /oic/res). The random factor is left out: one request per session cannot
/// synchronise with others.
constexpr auto kAckTimeout = std::chrono::seconds(2);
constexpr int kMaxRetransmit = 4;
/// What Block2 and Size2 options add to an answer's header at most (two options of up to 4 bytes
/// with one-byte headers, and an extended option delta).
constexpr size_t kBlockOptionsOverhead = 12;

// RFC 7252 §4.4: Message IDs start at a random value, so that a restarted server's do not
// repeat the ones a device may still remember.
uint16_t random_message_id() {
  const auto uuid = pki::random_uuid_v4();
  return static_cast<uint16_t>((uuid.bytes[0] << 8) | uuid.bytes[1]);
}

coap::Message error_message(coap::Code code, std::string_view why) {
  coap::Message message;
  message.code = code;
  message.add_uint_option(coap::option::kContentFormat, coap::content_format::kTextPlain);
  message.payload.assign(why.begin(), why.end());
  return message;
}

// The request without the block-wise options, which this layer consumes: the router sees the
// request as one whole message, as over TCP.
coap::Message without_block_options(coap::Message message) {
  std::erase_if(message.options, [](const coap::Option& option) {
    return option.number == coap::option::kBlock1 || option.number == coap::option::kBlock2 ||
           option.number == coap::option::kSize1 || option.number == coap::option::kSize2;
  });
  return message;
}

class UdpSession {
 public:
  UdpSession(DtlsChannel& channel, const SessionDependencies& deps)
      : channel_(channel),
        deps_(deps),
        conversation_(deps.conversation, {channel.id(), channel.remote()}),
        dedup_(kRememberedMessages),
        assembler_(deps.options.max_message_size),
        next_message_id_(random_message_id()) {}

  awaitable<void> run() {
    const bool handshaken = co_await handshake();
    if (!handshaken) co_return;
    const bool has_certificate = SSL_get0_peer_certificate(channel_.native_handle()) != nullptr;
    const auto opening =
        co_await conversation_.open(has_certificate ? &channel_.outcome() : nullptr);
    if (!opening.admitted) refusal_ = opening.refusal_for_device;
    certificate_deadline_ = client_certificate_deadline(
        channel_.native_handle(), deps_.options.disconnect_on_expired_certificate);
    co_await serve();
  }

 private:
  awaitable<bool> handshake() {
    const bool established = co_await channel_.handshake(channel_.handshake_deadline());
    if (established) co_return true;
    const bool timed_out = channel_.handshake_timed_out();
    if (auto* metrics = deps_.conversation.metrics) {
      metrics->on_handshake(timed_out ? metrics::HandshakeResult::Timeout
                                      : metrics::HandshakeResult::Failed);
      if (timed_out) metrics->on_limit(metrics::Limit::HandshakeTimeout);
    }
    if (const auto line = deps_.log_throttles->handshake_refused.next(); line.write) {
      spdlog::warn("conn={} peer={} udp: DTLS handshake refused: {}{}", channel_.id(),
                   channel_.remote(), timed_out ? "timed out" : channel_.error(), line.note());
    }
    co_return false;
  }

  // Datagrams until the device leaves, idles out, breaks a limit, or an answer asks to close.
  awaitable<void> serve() {
    auto idle_deadline = Clock::now() + deps_.options.inactivity_timeout;
    for (;;) {
      const auto now = Clock::now();
      if (now >= certificate_deadline_) {
        spdlog::info("conn={} peer={} client certificate expired: closing", channel_.id(),
                     channel_.remote());
        co_return;
      }
      if (now >= idle_deadline) {
        spdlog::info("conn={} peer={} udp: no message in {} ms: closing", channel_.id(),
                     channel_.remote(), deps_.options.inactivity_timeout.count());
        if (deps_.conversation.metrics) {
          deps_.conversation.metrics->on_limit(metrics::Limit::InactivityTimeout);
        }
        co_return;
      }
      const bool retransmitted = co_await retransmit_due(now);
      if (!retransmitted) co_return;
      auto wake = std::min({idle_deadline, certificate_deadline_, retransmit_at()});
      auto datagram = co_await channel_.receive(wake);
      if (!datagram) {
        if (!channel_.is_open()) co_return;  // close_notify, fatal alert, or the listener stops
        continue;                            // a deadline: the checks above say which
      }
      idle_deadline = Clock::now() + deps_.options.inactivity_timeout;
      if (++messages_ > deps_.options.max_messages) {
        spdlog::warn("conn={} peer={} udp: more than {} messages in one session: closing",
                     channel_.id(), channel_.remote(), deps_.options.max_messages);
        if (deps_.conversation.metrics) {
          deps_.conversation.metrics->on_limit(metrics::Limit::MaxRequestsPerSession);
        }
        co_return;
      }
      const bool keep_going = co_await on_datagram(*datagram);
      if (!keep_going) co_return;
    }
  }

  awaitable<bool> on_datagram(std::span<const uint8_t> bytes) {
    auto decoded = coap::decode_datagram(bytes, deps_.options.max_message_size);
    if (auto* error = std::get_if<coap::DatagramError>(&decoded)) {
      if (auto* metrics = deps_.conversation.metrics) {
        metrics->on_udp_dropped(metrics::UdpDrop::BadMessage);
        if (error->fault == coap::DatagramFault::MessageTooLarge) {
          metrics->on_limit(metrics::Limit::MaxMessageSize);
        }
      }
      spdlog::info("conn={} peer={} udp: bad message: {}", channel_.id(), channel_.remote(),
                   coap::to_string(error->fault));
      if (coap::disposition(*error) == coap::Disposition::Reset) {
        co_return co_await send(coap::make_reset(error->header->message_id));
      }
      co_return true;
    }
    const Datagram& datagram = std::get<Datagram>(decoded);
    switch (coap::disposition(datagram)) {
      case coap::Disposition::Reset:
        co_return co_await send(coap::make_reset(datagram.message_id));
      case coap::Disposition::Ignore:
        co_return true;
      case coap::Disposition::Process:
        break;
    }
    if (datagram.type == MessageType::Acknowledgement || datagram.type == MessageType::Reset) {
      on_acknowledgement(datagram);
      co_return true;
    }
    if (coap::is_response(datagram.message.code)) {
      // A separate response (RFC 7252 §5.2.2) to the reverse request: acknowledged if confirmable.
      conversation_.on_response(datagram.message);
      if (datagram.type != MessageType::Confirmable) co_return true;
      co_return co_await send(coap::make_ack(datagram.message_id));
    }
    co_return co_await on_request(datagram);
  }

  // An ACK or RST for the confirmable request dps sent: it stops the retransmissions; an ACK may
  // carry the device's answer (piggybacked).
  void on_acknowledgement(const Datagram& datagram) {
    if (!outgoing_ || datagram.message_id != outgoing_->message_id) return;
    outgoing_.reset();
    if (datagram.type == MessageType::Acknowledgement && coap::is_response(datagram.message.code)) {
      conversation_.on_response(datagram.message);
    }
  }

  awaitable<bool> on_request(const Datagram& request) {
    const auto now = Clock::now();
    const auto seen = dedup_.lookup(request.message_id, now);
    if (seen.status == coap::MessageDeduplicator::Status::Answered) {
      // A copy of a request already answered (our ACK was lost): the same bytes again, without
      // running the request twice (a credentials request signs a certificate).
      if (seen.reply->empty()) co_return true;
      const bool resent = co_await channel_.send(*seen.reply);
      co_return resent;
    }
    if (seen.status == coap::MessageDeduplicator::Status::Processing) co_return true;
    dedup_.begin(request.message_id, now);

    if (!refusal_.empty()) {
      // A device no enrollment admits learns why in its first answer (over TCP: an Abort).
      co_await answer(request, error_message(coap::Code::Forbidden, refusal_));
      co_return false;
    }
    auto block2 = coap::read_block(request.message, coap::option::kBlock2);
    if (!block2) {
      co_return co_await answer(request, error_message(coap::response_code(block2.error()),
                                                       coap::to_string(block2.error())));
    }
    if (*block2 && (*block2)->num > 0) {
      const bool sent = co_await next_block(request, **block2);
      co_return sent;
    }
    auto assembled = assembler_.accept(request.message);
    if (auto* more = std::get_if<coap::Block1Continue>(&assembled)) {
      coap::Message proceed;
      proceed.code = coap::Code::Continue;
      coap::set_block(proceed, coap::option::kBlock1, more->echo);
      co_return co_await answer(request, std::move(proceed));
    }
    if (auto* refused = std::get_if<coap::Block1Refusal>(&assembled)) {
      auto message = error_message(refused->code, refused->reason);
      if (refused->code == coap::Code::RequestEntityTooLarge) {
        message.add_uint_option(coap::option::kSize1, static_cast<uint32_t>(assembler_.max_body()));
      }
      co_return co_await answer(request, std::move(message));
    }
    auto& complete = std::get<coap::Block1Complete>(assembled);
    const bool served = co_await serve_request(request, std::move(complete), *block2);
    co_return served;
  }

  // A whole request for the conversation; its answer goes whole or as Block2 block 0.
  awaitable<bool> serve_request(const Datagram& request, coap::Block1Complete complete,
                                std::optional<coap::BlockOption> asked_block) {
    if (auto reverse = conversation_.reverse_request()) {
      const bool sent = co_await send_confirmable(std::move(*reverse));
      if (!sent) co_return false;
    }
    auto reply = co_await conversation_.serve(without_block_options(std::move(complete.request)));
    coap::Message response = std::move(reply.answer);
    if (complete.echo) coap::set_block(response, coap::option::kBlock1, *complete.echo);
    const bool sent = co_await answer_maybe_in_blocks(request, std::move(response), asked_block);
    if (sent) conversation_.answered(reply);
    co_return sent && !reply.close_after;
  }

  // Answers whole when the answer fits a datagram (and the device asked for no block size), else
  // block 0 of it, keeping the rest for the device's next Block2 requests (RFC 7959 §2.4).
  awaitable<bool> answer_maybe_in_blocks(const Datagram& request, coap::Message response,
                                         std::optional<coap::BlockOption> asked) {
    // Measured as it would leave (with the request's token), without a copy of the body.
    Datagram whole = coap::reply_to(request, std::move(response), 0);
    const size_t size = coap::datagram_size(whole);
    if (!asked && size <= channel_.max_payload()) {
      co_return co_await answer(request, std::move(whole.message));
    }
    const size_t header = size - whole.message.payload.size() + kBlockOptionsOverhead;
    uint8_t szx = coap::largest_szx_within(
        channel_.max_payload() > header ? channel_.max_payload() - header : 0);
    if (asked) szx = std::min(szx, asked->szx);
    pending_ =
        Pending{request.message.code, request.message.uri_path(), std::move(whole.message), szx};
    co_return co_await send_block(request, 0, szx);
  }

  awaitable<bool> next_block(const Datagram& request, const coap::BlockOption& asked) {
    if (!pending_ || pending_->method != request.message.code ||
        pending_->path != request.message.uri_path()) {
      co_return co_await answer(
          request, error_message(coap::Code::BadRequest, "no answer in progress for this block"));
    }
    // The device may ask for smaller blocks than it got (RFC 7959 §2.4), never larger ones.
    const uint8_t szx = std::min(asked.szx, pending_->szx);
    const uint64_t offset = uint64_t{asked.num} * (size_t{16} << asked.szx);
    const auto num = static_cast<uint32_t>(offset / (size_t{16} << szx));
    co_return co_await send_block(request, num, szx);
  }

  awaitable<bool> send_block(const Datagram& request, uint32_t num, uint8_t szx) {
    auto block = coap::block2_slice(pending_->response, num, szx);
    if (!block) {
      co_return co_await answer(request, error_message(coap::response_code(block.error()),
                                                       coap::to_string(block.error())));
    }
    const bool last = !coap::read_block(*block, coap::option::kBlock2).value()->more;
    const bool sent = co_await answer(request, std::move(*block));
    if (last) pending_.reset();  // the device has it all: the memory goes
    co_return sent;
  }

  // Sends `response` to `request` (piggybacked on the ACK of a CON) and remembers the bytes for
  // the request's duplicates.
  awaitable<bool> answer(const Datagram& request, coap::Message response) {
    auto bytes = coap::encode_datagram(coap::reply_to(request, std::move(response), message_id()));
    const bool sent = co_await channel_.send(bytes);
    dedup_.remember(request.message_id, std::move(bytes), Clock::now());
    co_return sent;
  }

  awaitable<bool> send(const Datagram& datagram) {
    const bool sent = co_await channel_.send(coap::encode_datagram(datagram));
    co_return sent;
  }

  // The reverse request: confirmable, retransmitted until acknowledged (RFC 7252 §4.2).
  awaitable<bool> send_confirmable(coap::Message request) {
    Datagram datagram{MessageType::Confirmable, message_id(), std::move(request)};
    outgoing_ = Outgoing{datagram.message_id, coap::encode_datagram(datagram), 0,
                         Clock::now() + kAckTimeout};
    const bool sent = co_await channel_.send(outgoing_->bytes);
    co_return sent;
  }

  Clock::time_point retransmit_at() const {
    return outgoing_ ? outgoing_->next : Clock::time_point::max();
  }

  awaitable<bool> retransmit_due(Clock::time_point now) {
    if (!outgoing_ || now < outgoing_->next) co_return true;
    if (++outgoing_->retransmissions > kMaxRetransmit) {
      outgoing_.reset();  // the device never answered GET /oic/res: its endpoints stay unknown
      co_return true;
    }
    // Exponential back-off (RFC 7252 §4.2): the timeout doubles with each retransmission.
    outgoing_->next = now + kAckTimeout * (1 << outgoing_->retransmissions);
    const bool sent = co_await channel_.send(outgoing_->bytes);
    co_return sent;
  }

  uint16_t message_id() { return next_message_id_++; }

  struct Pending {
    coap::Code method = coap::Code::Empty;
    std::string path;
    coap::Message response;  // the whole answer, sliced into the blocks the device asks for
    uint8_t szx = 0;
  };
  struct Outgoing {
    uint16_t message_id = 0;
    std::vector<uint8_t> bytes;
    int retransmissions = 0;
    Clock::time_point next;
  };

  DtlsChannel& channel_;
  const SessionDependencies& deps_;
  provisioning::DeviceConversation conversation_;
  coap::MessageDeduplicator dedup_;
  coap::Block1Assembler assembler_;
  uint16_t next_message_id_;
  std::string refusal_;  // set when no enrollment admits the device
  std::optional<Pending> pending_;
  std::optional<Outgoing> outgoing_;
  size_t messages_ = 0;
  Clock::time_point certificate_deadline_ = Clock::time_point::max();
};

}  // namespace

awaitable<void> run_udp_device_session(DtlsChannel& channel, const SessionDependencies& deps) {
  UdpSession session(channel, deps);
  co_await session.run();
}

}  // namespace dps::net
