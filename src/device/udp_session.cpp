#include "device/udp_session.hpp"

#include <openssl/rand.h>

#include <algorithm>

#include "coap/block.hpp"
#include "device/block_transfer.hpp"
#include "device/requests.hpp"

namespace dps::device {

namespace asio = boost::asio;
using coap::Code;
using coap::Datagram;
using coap::Message;
using coap::MessageType;

namespace {

/// Message IDs of server requests remembered with their answers: the server has one request in
/// flight (NSTART 1) and retransmits it at most 4 times.
constexpr size_t kRememberedServerRequests = 8;
/// What Block1 and Size1 add to a request's header at most (two options of up to 4 bytes with
/// one-byte headers, and an extended option delta).
constexpr size_t kBlockOptionsOverhead = 12;

// RFC 7252 §4.4: Message IDs start at a random value, so that a restarted device's do not repeat
// the ones the server may still remember.
uint16_t random_message_id() {
  uint8_t bytes[2] = {0, 0};
  RAND_bytes(bytes, sizeof bytes);
  return static_cast<uint16_t>((bytes[0] << 8) | bytes[1]);
}

std::string udp_endpoint(const std::string& address, uint16_t port) {
  static constexpr std::string_view kTcpScheme = "coaps+tcp://";
  return "coaps://" + coaps_tcp_endpoint(address, port).substr(kTcpScheme.size());
}

std::string describe(const Message& request) {
  return coap::to_string(request.code) + " " + request.uri_path();
}

// dps refuses a device it admits to no enrollment in its first answer (over TCP: an Abort
// before its CSM), a 4.03 whose diagnostic payload starts "refused: ".
bool is_refusal(const Message& response) {
  return response.code == Code::Forbidden && response.payload_text().starts_with("refused: ");
}

}  // namespace

UdpSession::UdpSession(std::unique_ptr<DtlsClient> dtls, size_t max_inbound_message)
    : dtls_(std::move(dtls)),
      max_inbound_message_(max_inbound_message),
      local_endpoint_(udp_endpoint(dtls_->local_address(), dtls_->local_port())),
      server_requests_(kRememberedServerRequests),
      next_message_id_(random_message_id()) {}

asio::awaitable<Result<void>> UdpSession::send_datagram(const Datagram& datagram) {
  co_return co_await dtls_->send(coap::encode_datagram(datagram));
}

asio::awaitable<Result<void>> UdpSession::send(const Message& message) {
  co_return co_await send_datagram(Datagram{MessageType::Confirmable, message_id(), message});
}

asio::awaitable<Result<void>> UdpSession::send_raw(std::span<const uint8_t> bytes) {
  co_return co_await dtls_->send(bytes);
}

asio::awaitable<Result<void>> UdpSession::serve_request(const Datagram& request) {
  const auto now = Clock::now();
  const auto seen = server_requests_.lookup(request.message_id, now);
  if (seen.status == coap::MessageDeduplicator::Status::Answered) {
    // Our ACK was lost and the server sent its request again: the same answer again.
    if (seen.reply->empty()) co_return Result<void>{};
    co_return co_await dtls_->send(*seen.reply);
  }
  if (seen.status == coap::MessageDeduplicator::Status::Processing) co_return Result<void>{};
  server_requests_.begin(request.message_id, now);
  auto bytes = coap::encode_datagram(coap::reply_to(
      request, answer_server_request(request.message, local_endpoint_), message_id()));
  auto sent = co_await dtls_->send(bytes);
  server_requests_.remember(request.message_id, std::move(bytes), Clock::now());
  if (sent) ++server_requests_answered_;
  co_return sent;
}

asio::awaitable<Result<std::optional<Datagram>>> UdpSession::next(Clock::time_point deadline) {
  for (;;) {
    auto got = co_await dtls_->receive(deadline);
    if (!got) co_return tl::unexpected(got.error());
    if (!*got) co_return std::optional<Datagram>{};
    auto decoded = coap::decode_datagram(**got, max_inbound_message_);
    if (auto* error = std::get_if<coap::DatagramError>(&decoded)) {
      if (coap::disposition(*error) == coap::Disposition::Reset) {
        auto sent = co_await send_datagram(coap::make_reset(error->header->message_id));
        if (!sent) co_return tl::unexpected(sent.error());
      }
      continue;
    }
    auto& datagram = std::get<Datagram>(decoded);
    const auto disposition = coap::disposition(datagram);
    if (disposition == coap::Disposition::Ignore) continue;
    if (disposition == coap::Disposition::Reset) {
      auto sent = co_await send_datagram(coap::make_reset(datagram.message_id));
      if (!sent) co_return tl::unexpected(sent.error());
      continue;
    }
    const bool from_server =
        datagram.type == MessageType::Confirmable || datagram.type == MessageType::NonConfirmable;
    if (from_server && coap::is_request(datagram.message.code)) {
      auto served = co_await serve_request(datagram);
      if (!served) co_return tl::unexpected(served.error());
      continue;
    }
    co_return std::move(datagram);
  }
}

asio::awaitable<Result<Message>> UdpSession::exchange(const Message& message,
                                                      Clock::time_point deadline) {
  const Datagram out{MessageType::Confirmable, message_id(), message};
  const auto bytes = coap::encode_datagram(out);
  // Each awaited into a local (GCC 12 miscompiles co_await in a condition, architecture.md).
  auto first = co_await dtls_->send(bytes);
  if (!first) co_return tl::unexpected(first.error());
  auto timeout = std::chrono::duration_cast<Clock::duration>(kAckTimeout);
  auto resend_at = Clock::now() + timeout;
  int resent = 0;
  bool acknowledged = false;
  for (;;) {
    auto got = co_await next(acknowledged ? deadline : std::min(deadline, resend_at));
    if (!got) co_return tl::unexpected(got.error());
    if (!*got) {
      const auto now = Clock::now();
      if (now >= deadline) {
        co_return fail(ErrorCode::Unavailable,
                       "no response to " + describe(message) + " in time (" +
                           (acknowledged ? "acknowledged, the separate response never came)"
                                         : std::to_string(resent) + " retransmissions, no ACK)"));
      }
      if (resent == kMaxRetransmit) {
        co_return fail(ErrorCode::Unavailable, "no ACK for " + describe(message) + " after " +
                                                   std::to_string(kMaxRetransmit) +
                                                   " retransmissions");
      }
      // RFC 7252 §4.2: the same bytes again, the timeout doubling each time.
      auto again = co_await dtls_->send(bytes);
      if (!again) co_return tl::unexpected(again.error());
      ++resent;
      ++retransmissions_;
      timeout *= 2;
      resend_at = now + timeout;
      continue;
    }
    const Datagram& in = **got;
    if (in.type == MessageType::Acknowledgement || in.type == MessageType::Reset) {
      if (in.message_id != out.message_id) continue;  // a late copy for an earlier exchange
      if (in.type == MessageType::Reset) {
        co_return fail(ErrorCode::BadRequest,
                       "the server rejected " + describe(message) + " (Reset)");
      }
      if (in.message.code == Code::Empty) {
        acknowledged = true;  // RFC 7252 §5.2.2: a separate response follows
        continue;
      }
      if (in.message.token != message.token) continue;
      co_return in.message;
    }
    // A separate response (RFC 7252 §5.2.2), or a copy of an earlier one: acknowledged either way.
    if (in.type == MessageType::Confirmable) {
      auto sent = co_await send_datagram(coap::make_ack(in.message_id));
      if (!sent) co_return tl::unexpected(sent.error());
    }
    if (coap::is_response(in.message.code) && in.message.token == message.token) {
      co_return in.message;
    }
  }
}

asio::awaitable<Result<Message>> UdpSession::send_body(const Message& request,
                                                       Clock::time_point deadline) {
  const size_t whole = coap::datagram_size(Datagram{MessageType::Confirmable, 0, request});
  if (whole <= kMaxRequestDatagram) co_return co_await exchange(request, deadline);
  const size_t header = whole - request.payload.size() + kBlockOptionsOverhead;
  if (header + 16 > kMaxRequestDatagram) {
    co_return fail(ErrorCode::BadRequest,
                   describe(request) + ": its options alone do not fit a datagram");
  }
  uint8_t szx = coap::largest_szx_within(kMaxRequestDatagram - header);
  uint32_t num = 0;
  for (;;) {
    const auto piece = block1_piece(request, num, szx);
    const bool more = coap::read_block(piece, coap::option::kBlock1).value()->more;
    auto response = co_await exchange(piece, deadline);
    if (!response || !more) co_return response;
    // Anything but 2.31 before the last block is the server's final word (4.13, 4.08, ...).
    if (response->code != Code::Continue) co_return response;
    auto echo = coap::read_block(*response, coap::option::kBlock1);
    if (!echo || !*echo) {
      co_return fail(ErrorCode::BadRequest,
                     describe(request) + ": 2.31 Continue without a valid Block1 option");
    }
    const uint64_t sent_end = coap::BlockOption{num, false, szx}.offset() + (size_t{16} << szx);
    // The server may ask for smaller blocks (RFC 7959 §2.3), never for larger ones.
    szx = std::min(szx, (*echo)->szx);
    num = static_cast<uint32_t>(sent_end / (size_t{16} << szx));
  }
}

asio::awaitable<Result<Message>> UdpSession::request(Message request, Clock::time_point deadline) {
  auto response = co_await send_body(request, deadline);
  if (!response) co_return response;
  if (!answered_) {
    answered_ = true;
    if (is_refusal(*response)) {
      refusal_ = ConnectFailure::Refused;
      co_return fail(ErrorCode::Forbidden,
                     "the server refused the device: " + std::string(response->payload_text()));
    }
  }
  Block2Collector collector(max_inbound_message_);
  auto wanted = collector.add(*response);
  while (wanted && *wanted) {
    auto block =
        co_await exchange(block2_request(request, (*wanted)->num, (*wanted)->szx), deadline);
    if (!block) co_return block;
    wanted = collector.add(*block);
  }
  if (!wanted) {
    co_return fail(ErrorCode::BadRequest,
                   "response to " + describe(request) + ": " + wanted.error().internal);
  }
  Message whole = collector.take();
  whole.token = request.token;
  co_return whole;
}

asio::awaitable<Result<Message>> UdpSession::receive(Clock::time_point deadline) {
  auto got = co_await next(deadline);
  if (!got) co_return tl::unexpected(got.error());
  if (!*got) co_return fail(ErrorCode::Unavailable, "read: timeout");
  if ((*got)->type == MessageType::Confirmable) {
    auto sent = co_await send_datagram(coap::make_ack((*got)->message_id));
    if (!sent) co_return tl::unexpected(sent.error());
  }
  co_return std::move((*got)->message);
}

asio::awaitable<Result<std::vector<Message>>> UdpSession::wait_closed(Clock::time_point deadline) {
  std::vector<Message> seen;
  for (;;) {
    auto message = co_await receive(deadline);
    if (!message) {
      if (dtls_->closed()) co_return seen;
      co_return tl::unexpected(message.error());
    }
    seen.push_back(std::move(*message));
  }
}

}  // namespace dps::device
