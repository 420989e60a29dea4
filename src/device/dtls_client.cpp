#include "device/dtls_client.hpp"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/ssl/error.hpp>
#include <cerrno>
#include <cstring>

#include "device/connect_failure.hpp"
#include "device/timed.hpp"

namespace dps::device {

namespace asio = boost::asio;
using asio::ip::udp;

namespace {

/// Largest DTLS record plaintext (RFC 6347 §4.1 via RFC 5246 §6.2.1): a read never truncates one.
constexpr size_t kMaxRecordPlaintext = 16384;

// The server's address as OpenSSL's datagram BIO wants it for a connected socket.
bool set_connected_peer(BIO* bio, const udp::endpoint& peer) {
  BIO_ADDR* addr = BIO_ADDR_new();
  if (addr == nullptr) return false;
  const unsigned short port = htons(peer.port());
  bool made = false;
  if (peer.address().is_v4()) {
    const auto bytes = peer.address().to_v4().to_bytes();
    made = BIO_ADDR_rawmake(addr, AF_INET, bytes.data(), bytes.size(), port) == 1;
  } else {
    const auto bytes = peer.address().to_v6().to_bytes();
    made = BIO_ADDR_rawmake(addr, AF_INET6, bytes.data(), bytes.size(), port) == 1;
  }
  const bool connected = made && BIO_ctrl_set_connected(bio, addr) == 1;
  BIO_ADDR_free(addr);
  return connected;
}

}  // namespace

DtlsClient::DtlsClient(udp::socket socket, SSL* ssl)
    : socket_(std::move(socket)), ssl_(ssl, SSL_free), buffer_(kMaxRecordPlaintext) {
  boost::system::error_code ec;
  const auto local = socket_.local_endpoint(ec);
  if (!ec) {
    local_address_ = local.address().to_string();
    local_port_ = local.port();
  }
}

DtlsClient::~DtlsClient() { close(); }

asio::awaitable<Result<std::unique_ptr<DtlsClient>>> DtlsClient::connect(
    SSL_CTX* ctx, std::string host, uint16_t port, bool check_certificate_time,
    Clock::time_point deadline) {
  auto executor = co_await asio::this_coro::executor;
  udp::resolver resolver(executor);
  auto resolved =
      co_await timed(resolver.async_resolve(host, std::to_string(port), kUseTuple), deadline);
  if (!resolved) co_return fail(ErrorCode::Unavailable, "resolve " + host + ": timeout");
  auto [rec, endpoints] = *resolved;
  if (rec) co_return fail(ErrorCode::Unavailable, "resolve " + host + ": " + rec.message());
  if (endpoints.empty()) co_return fail(ErrorCode::Unavailable, "resolve " + host + ": no address");

  // A connected UDP socket: the kernel drops datagrams from anyone but the server, and reports
  // an ICMP "port unreachable" as ECONNREFUSED (nothing listens for DTLS there).
  const udp::endpoint server = endpoints.begin()->endpoint();
  udp::socket socket(executor);
  boost::system::error_code ec;
  socket.open(server.protocol(), ec);
  if (!ec) socket.connect(server, ec);
  if (!ec) socket.non_blocking(true, ec);
  if (ec) co_return fail(ErrorCode::Unavailable, "connect (UDP): " + ec.message());

  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) co_return fail(ErrorCode::Internal, "DTLS: SSL_new failed");
  std::unique_ptr<DtlsClient> client(new DtlsClient(std::move(socket), ssl));
  BIO* bio = BIO_new_dgram(client->socket_.native_handle(), BIO_NOCLOSE);
  if (bio == nullptr) co_return fail(ErrorCode::Internal, "DTLS: BIO_new_dgram failed");
  SSL_set_bio(ssl, bio, bio);  // the SSL owns the BIO from here on
  if (!set_connected_peer(bio, server)) {
    co_return fail(ErrorCode::Internal, "DTLS: cannot set the server's address");
  }
  // Flights and records fit a 1280-byte datagram (the context sets SSL_OP_NO_QUERY_MTU).
  DTLS_set_link_mtu(ssl, kLinkMtu);
  if (!check_certificate_time) {
    X509_VERIFY_PARAM_set_flags(SSL_get0_param(ssl), X509_V_FLAG_NO_CHECK_TIME);
  }
  SSL_set_connect_state(ssl);
  auto done = co_await client->handshake(deadline);
  if (!done) co_return tl::unexpected(done.error());
  co_return client;
}

asio::awaitable<Result<void>> DtlsClient::handshake(Clock::time_point deadline) {
  for (;;) {
    ERR_clear_error();
    const int result = SSL_do_handshake(ssl_.get());
    if (result == 1) co_return Result<void>{};
    const int error = SSL_get_error(ssl_.get(), result);
    if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
      closed_ = true;
      co_return tl::unexpected(failure(result, "DTLS handshake"));
    }
    const bool ready = co_await wait_readable(deadline);
    if (!ready) {
      closed_ = true;
      co_return fail(ErrorCode::Unavailable,
                     "DTLS handshake: timeout (no answer over UDP: is CoAP over UDP enabled, "
                     "apis.coap.protocols: [tcp, udp]?)");
    }
  }
}

asio::awaitable<bool> DtlsClient::wait_readable(Clock::time_point deadline) {
  auto wake = deadline;
  timeval left{};
  // While a handshake flight is unanswered, OpenSSL's timer says when to send it again.
  if (DTLSv1_get_timeout(ssl_.get(), &left) == 1) {
    const auto due =
        Clock::now() + std::chrono::seconds(left.tv_sec) + std::chrono::microseconds(left.tv_usec);
    wake = std::min(wake, due);
  }
  auto ready = co_await timed(socket_.async_wait(udp::socket::wait_read, kUseTuple), wake);
  if (ready) co_return true;  // readable, or a socket error the next SSL call reports
  if (Clock::now() >= deadline) co_return false;
  DTLSv1_handle_timeout(ssl_.get());  // retransmits the flight when due
  co_return true;
}

Error DtlsClient::failure(int result, const std::string& what) {
  const int saved_errno = errno;
  const int error = SSL_get_error(ssl_.get(), result);
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (error == SSL_ERROR_ZERO_RETURN) {
    return Error{ErrorCode::Unavailable, "connection closed by server (close_notify)", {}};
  }
  if (error == SSL_ERROR_SYSCALL || code == 0) {
    if (saved_errno == ECONNREFUSED) {
      return Error{ErrorCode::Unavailable,
                   what + ": nothing listens for DTLS on that UDP port (port unreachable)",
                   {}};
    }
    return Error{ErrorCode::Unavailable,
                 what + ": " + (saved_errno != 0 ? std::strerror(saved_errno) : "socket error"),
                 {}};
  }
  const boost::system::error_code ec(static_cast<int>(code), asio::error::get_ssl_category());
  const long verified = SSL_get_verify_result(ssl_.get());
  const auto kind = classify_tls_error(ec, verified);
  std::string why = what + ": " + ec.message();
  if (kind == ConnectFailure::ServerNotTrusted) {
    why = what + ": the server's certificate does not verify against the CA (" +
          std::string(X509_verify_cert_error_string(verified)) + ")";
  } else if (kind == ConnectFailure::HandshakeRefused) {
    why = what + ": the server refused it (" + ec.message() + ")";
  }
  return Error{error_code_of(kind), why, {}};
}

asio::awaitable<Result<void>> DtlsClient::send(std::span<const uint8_t> datagram) {
  if (closed_) co_return fail(ErrorCode::Unavailable, "session closed");
  ERR_clear_error();
  const int written = SSL_write(ssl_.get(), datagram.data(), static_cast<int>(datagram.size()));
  if (written > 0) co_return Result<void>{};
  // A full socket buffer loses the datagram as the network may: CoAP's retransmission covers it.
  if (SSL_get_error(ssl_.get(), written) == SSL_ERROR_WANT_WRITE) co_return Result<void>{};
  closed_ = true;
  co_return tl::unexpected(failure(written, "DTLS write"));
}

asio::awaitable<Result<std::optional<std::vector<uint8_t>>>> DtlsClient::receive(
    Clock::time_point deadline) {
  for (;;) {
    if (closed_) co_return fail(ErrorCode::Unavailable, "session closed");
    ERR_clear_error();
    const int n = SSL_read(ssl_.get(), buffer_.data(), static_cast<int>(buffer_.size()));
    if (n > 0) co_return std::vector<uint8_t>(buffer_.begin(), buffer_.begin() + n);
    const int error = SSL_get_error(ssl_.get(), n);
    if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
      closed_ = true;
      co_return tl::unexpected(failure(n, "DTLS read"));
    }
    const bool ready = co_await wait_readable(deadline);
    if (!ready) co_return std::nullopt;
  }
}

void DtlsClient::close() {
  if (socket_.is_open()) {
    // One close_notify datagram; the server's own one is not waited for (RFC 6347 allows it).
    if (!closed_ && SSL_is_init_finished(ssl_.get()) == 1) SSL_shutdown(ssl_.get());
    boost::system::error_code ignored;
    socket_.close(ignored);
  }
  closed_ = true;
}

}  // namespace dps::device
