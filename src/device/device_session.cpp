#include "device/device_session.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "coap/tcp_framing.hpp"
#include "device/connect_failure.hpp"
#include "device/requests.hpp"
#include "device/timed.hpp"
#include "device/udp_session.hpp"

namespace dps::device {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;
using asio::ip::tcp;
using coap::Code;
using coap::Message;
using namespace asio::experimental::awaitable_operators;

namespace {

/// Device bug (device-protocol §1): it first reads 6 bytes; 6-byte messages stall it, shorter
/// ones corrupt its heap.
constexpr size_t kDeviceMinMessageSize = 7;
constexpr std::chrono::milliseconds kShutdownTimeout{1000};

bool is_close(const boost::system::error_code& ec) {
  return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted;
}

DeviceSession::Clock::time_point after(std::chrono::milliseconds d) {
  return DeviceSession::Clock::now() + d;
}

}  // namespace

DeviceSession::DeviceSession(tcp::socket socket, std::shared_ptr<ClientTls> tls,
                             SessionOptions options)
    : tls_(std::move(tls)),
      stream_(std::move(socket), tls_->context()),
      options_(std::move(options)) {}

DeviceSession::~DeviceSession() = default;

asio::awaitable<Result<DeviceSessionPtr>> DeviceSession::connect(std::shared_ptr<ClientTls> tls,
                                                                 SessionOptions options) {
  if (options.udp) co_return co_await connect_udp(std::move(tls), std::move(options));
  const auto deadline = after(options.connect_timeout);
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  auto resolved = co_await timed(
      resolver.async_resolve(options.host, std::to_string(options.port), kUseTuple), deadline);
  if (!resolved) co_return fail(ErrorCode::Unavailable, "resolve " + options.host + ": timeout");
  auto [rec, endpoints] = *resolved;
  if (rec) co_return fail(ErrorCode::Unavailable, "resolve " + options.host + ": " + rec.message());

  tcp::socket socket(executor);
  auto connected = co_await timed(asio::async_connect(socket, endpoints, kUseTuple), deadline);
  if (!connected) co_return fail(ErrorCode::Unavailable, "connect: timeout");
  if (auto ec = std::get<0>(*connected)) {
    co_return fail(ErrorCode::Unavailable, "connect: " + ec.message());
  }
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  DeviceSessionPtr session(new DeviceSession(std::move(socket), std::move(tls), options));
  if (auto ok = co_await session->handshake(deadline); !ok) co_return tl::unexpected(ok.error());
  co_return session;
}

asio::awaitable<Result<DeviceSessionPtr>> DeviceSession::connect_udp(std::shared_ptr<ClientTls> tls,
                                                                     SessionOptions options) {
  auto ctx = tls->dtls_context();
  if (!ctx) co_return tl::unexpected(ctx.error());
  auto dtls =
      co_await DtlsClient::connect(*ctx, options.host, options.port, options.check_certificate_time,
                                   after(options.connect_timeout));
  if (!dtls) co_return tl::unexpected(dtls.error());
  const size_t max_inbound = options.max_inbound_message;
  auto executor = co_await asio::this_coro::executor;
  // The TCP stream stays unconnected: a UDP session never touches it.
  DeviceSessionPtr session(
      new DeviceSession(tcp::socket(executor), std::move(tls), std::move(options)));
  session->udp_ = std::make_unique<UdpSession>(std::move(*dtls), max_inbound);
  session->local_endpoint_ = session->udp_->local_endpoint();
  co_return session;
}

void DeviceSession::sync_from_udp() {
  server_requests_answered_ = udp_->server_requests_answered();
  if (udp_->refusal()) refusal_ = udp_->refusal();
}

asio::awaitable<Result<void>> DeviceSession::handshake(Clock::time_point deadline) {
  boost::system::error_code ec;
  const auto local = stream_.lowest_layer().local_endpoint(ec);
  if (ec) co_return fail(ErrorCode::Unavailable, "local endpoint: " + ec.message());
  local_endpoint_ = coaps_tcp_endpoint(local.address().to_string(), local.port());
  if (!options_.check_certificate_time) {
    X509_VERIFY_PARAM_set_flags(SSL_get0_param(stream_.native_handle()), X509_V_FLAG_NO_CHECK_TIME);
  }
  auto done = co_await timed(stream_.async_handshake(Stream::client, kUseTuple), deadline);
  if (!done) co_return fail(ErrorCode::Unavailable, "TLS handshake: timeout");
  if (auto [hec] = *done; hec) {
    const long verified = SSL_get_verify_result(stream_.native_handle());
    const auto failure = classify_tls_error(hec, verified);
    std::string why = "TLS handshake: " + hec.message();
    if (failure == ConnectFailure::ServerNotTrusted) {
      why = "TLS handshake: the server's certificate does not verify against the CA (" +
            std::string(X509_verify_cert_error_string(verified)) + ")";
    } else if (failure == ConnectFailure::HandshakeRefused) {
      why = "TLS handshake: the server refused it (" + hec.message() + ")";
    }
    co_return fail(error_code_of(failure), why);
  }
  if (options_.send_csm) {
    Message csm;
    csm.code = Code::Csm;
    csm.add_uint_option(coap::option::kCsmMaxMessageSize,
                        static_cast<uint32_t>(options_.max_inbound_message));
    co_return co_await write(coap::encode_frame(csm), deadline);
  }
  co_return Result<void>{};
}

asio::awaitable<Result<void>> DeviceSession::write(std::vector<uint8_t> bytes,
                                                   Clock::time_point deadline) {
  if (closed_) co_return fail(ErrorCode::Unavailable, "session closed");
  auto done = co_await timed(asio::async_write(stream_, asio::buffer(bytes), kUseTuple), deadline);
  if (!done) co_return fail(ErrorCode::Unavailable, "write: timeout");
  if (auto ec = std::get<0>(*done))
    co_return fail(ErrorCode::Unavailable, "write: " + ec.message());
  co_return Result<void>{};
}

asio::awaitable<Result<void>> DeviceSession::send(const Message& message) {
  if (udp_) co_return co_await udp_->send(message);
  co_return co_await write(coap::encode_frame(message), after(options_.request_timeout));
}

asio::awaitable<Result<void>> DeviceSession::send_raw(std::span<const uint8_t> bytes) {
  if (udp_) co_return co_await udp_->send_raw(bytes);
  co_return co_await write(std::vector<uint8_t>(bytes.begin(), bytes.end()),
                           after(options_.request_timeout));
}

asio::awaitable<Result<Message>> DeviceSession::read_message(Clock::time_point deadline) {
  for (;;) {
    auto decoded = coap::decode_frame(inbox_, options_.max_inbound_message);
    if (auto* frame = std::get_if<coap::Frame>(&decoded)) {
      heard_from_server_ = true;
      if (options_.reject_short_messages && frame->consumed < kDeviceMinMessageSize) {
        co_return fail(ErrorCode::BadRequest,
                       "server sent a " + std::to_string(frame->consumed) + "-byte message (" +
                           coap::to_string(frame->message.code) +
                           "): a real device stalls or crashes on messages under 7 bytes");
      }
      Message message = std::move(frame->message);
      inbox_.erase(inbox_.begin(), inbox_.begin() + static_cast<std::ptrdiff_t>(frame->consumed));
      co_return message;
    }
    if (auto* error = std::get_if<coap::DecodeError>(&decoded)) {
      co_return fail(ErrorCode::BadRequest,
                     "undecodable frame from server: " + std::string(coap::to_string(*error)));
    }
    if (closed_) co_return fail(ErrorCode::Unavailable, "session closed");
    uint8_t chunk[4096];
    auto got = co_await timed(stream_.async_read_some(asio::buffer(chunk), kUseTuple), deadline);
    if (!got) co_return fail(ErrorCode::Unavailable, "read: timeout");
    auto [ec, n] = *got;
    if (ec) {
      closed_ = true;  // after any read error the TLS stream is unusable
      // TLS 1.3: the server judges the client certificate after our handshake completed, so its
      // refusal is an alert on the first read.
      if (!heard_from_server_ &&
          classify_tls_error(ec, X509_V_OK) == ConnectFailure::HandshakeRefused) {
        refusal_ = ConnectFailure::HandshakeRefused;
        co_return fail(ErrorCode::Forbidden,
                       "TLS: the server refused the handshake (" + ec.message() + ")");
      }
      co_return fail(ErrorCode::Unavailable,
                     is_close(ec) ? "connection closed by server (" + ec.message() + ")"
                                  : "read: " + ec.message());
    }
    inbox_.insert(inbox_.end(), chunk, chunk + n);
  }
}

asio::awaitable<Result<bool>> DeviceSession::serve(const Message& message,
                                                   Clock::time_point deadline) {
  switch (message.code) {
    case Code::Csm:
      server_csm_ = message;
      co_return true;
    case Code::Ping: {
      Message pong;
      pong.code = Code::Pong;
      pong.token = message.token;
      if (auto ok = co_await write(coap::encode_frame(pong), deadline); !ok) {
        co_return tl::unexpected(ok.error());
      }
      ++pings_answered_;
      co_return true;
    }
    default:
      break;
  }
  if (coap::is_request(message.code)) {
    const Message answer = answer_server_request(message, local_endpoint_);
    if (auto ok = co_await write(coap::encode_frame(answer), deadline); !ok) {
      co_return tl::unexpected(ok.error());
    }
    ++server_requests_answered_;
    co_return true;
  }
  co_return false;
}

asio::awaitable<Result<Message>> DeviceSession::request(Message request) {
  co_return co_await this->request(std::move(request), options_.request_timeout);
}

asio::awaitable<Result<Message>> DeviceSession::request(Message request,
                                                        std::chrono::milliseconds timeout) {
  const auto deadline = after(timeout);
  if (udp_) {
    auto response = co_await udp_->request(std::move(request), deadline);
    sync_from_udp();
    co_return response;
  }
  if (auto ok = co_await write(coap::encode_frame(request), deadline); !ok) {
    co_return tl::unexpected(ok.error());
  }
  for (;;) {
    auto message = co_await read_message(deadline);
    if (!message) co_return message;
    auto served = co_await serve(*message, deadline);
    if (!served) co_return tl::unexpected(served.error());
    if (*served) continue;
    // dps greets an admitted device with its CSM; an Abort before it is admission refusing the
    // device, its payload the reason dps gives an unauthenticated peer ("refused: ...").
    if (message->code == Code::Abort && !server_csm_) {
      refusal_ = ConnectFailure::Refused;
      co_return fail(ErrorCode::Forbidden,
                     "the server refused the device: " + std::string(message->payload_text()));
    }
    if (message->code == Code::Abort || message->code == Code::Release) {
      co_return fail(ErrorCode::Unavailable, "server sent " + coap::to_string(message->code) +
                                                 ": " + std::string(message->payload_text()));
    }
    if (coap::is_response(message->code) && message->token == request.token) co_return message;
    // A response to another token, or an Empty message: a device drops it.
  }
}

asio::awaitable<Result<Message>> DeviceSession::receive(std::chrono::milliseconds timeout) {
  const auto deadline = after(timeout);
  if (udp_) {
    auto message = co_await udp_->receive(deadline);
    sync_from_udp();
    co_return message;
  }
  for (;;) {
    auto message = co_await read_message(deadline);
    if (!message) co_return message;
    auto served = co_await serve(*message, deadline);
    if (!served) co_return tl::unexpected(served.error());
    if (!*served) co_return message;
  }
}

asio::awaitable<Result<std::vector<Message>>> DeviceSession::wait_closed(
    std::chrono::milliseconds timeout) {
  const auto deadline = after(timeout);
  if (udp_) {
    auto seen = co_await udp_->wait_closed(deadline);
    sync_from_udp();
    co_return seen;
  }
  std::vector<Message> seen;
  for (;;) {
    auto message = co_await read_message(deadline);
    if (!message) {
      if (closed_) co_return seen;
      co_return tl::unexpected(message.error());
    }
    auto served = co_await serve(*message, deadline);
    if (!served && closed_) co_return seen;
    if (served && !*served) seen.push_back(std::move(*message));
  }
}

asio::awaitable<void> DeviceSession::close() {
  if (udp_) {
    udp_->close();
    closed_ = true;
    co_return;
  }
  if (stream_.lowest_layer().is_open()) {
    if (!closed_) {
      co_await timed(stream_.async_shutdown(kUseTuple), after(kShutdownTimeout));
    }
    boost::system::error_code ignored;
    stream_.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.lowest_layer().close(ignored);
  }
  closed_ = true;
}

SSL* DeviceSession::native_handle() const {
  return udp_ ? udp_->native_handle() : const_cast<Stream&>(stream_).native_handle();
}

std::string DeviceSession::tls_version() const { return SSL_get_version(native_handle()); }

std::string DeviceSession::cipher() const { return SSL_get_cipher_name(native_handle()); }

}  // namespace dps::device
