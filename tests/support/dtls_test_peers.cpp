#include "support/dtls_test_peers.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace dps::test {
namespace {

sockaddr_in loopback(uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

int milliseconds_until(Clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(left.count(), 0));
}

std::string openssl_errors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    std::array<char, 256> line{};
    ERR_error_string_n(code, line.data(), line.size());
    if (!text.empty()) text += "; ";
    text += line.data();
  }
  return text;
}

Bytes drain(BIO* bio) {
  Bytes out(static_cast<size_t>(BIO_ctrl_pending(bio)));
  if (!out.empty()) BIO_read(bio, out.data(), static_cast<int>(out.size()));
  return out;
}

}  // namespace

UdpSocket::UdpSocket(uint16_t port) : fd_(::socket(AF_INET, SOCK_DGRAM, 0)) {
  const sockaddr_in address = loopback(port);
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    throw std::runtime_error("cannot bind a UDP socket on 127.0.0.1");
  }
}

UdpSocket::~UdpSocket() { ::close(fd_); }

uint16_t UdpSocket::port() const {
  sockaddr_in address{};
  socklen_t size = sizeof address;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
  return ntohs(address.sin_port);
}

void UdpSocket::send_to(uint16_t port, std::span<const uint8_t> datagram) const {
  const sockaddr_in to = loopback(port);
  ::sendto(fd_, datagram.data(), datagram.size(), 0, reinterpret_cast<const sockaddr*>(&to),
           sizeof to);
}

std::optional<Bytes> UdpSocket::receive(Clock::duration timeout, uint16_t* from_port) const {
  pollfd readable{fd_, POLLIN, 0};
  const int ready =
      ::poll(&readable, 1,
             static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(timeout).count()));
  if (ready <= 0) return std::nullopt;
  Bytes datagram(65536);
  sockaddr_in from{};
  socklen_t size = sizeof from;
  const ssize_t n = ::recvfrom(fd_, datagram.data(), datagram.size(), 0,
                               reinterpret_cast<sockaddr*>(&from), &size);
  if (n < 0) return std::nullopt;
  datagram.resize(static_cast<size_t>(n));
  if (from_port) *from_port = ntohs(from.sin_port);
  return datagram;
}

DtlsClient::DtlsClient(uint16_t server_port, const Options& options) : socket_(options.local_port) {
  const sockaddr_in server = loopback(server_port);
  if (::connect(socket_.fd(), reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0) {
    throw std::runtime_error("cannot connect the client's UDP socket");
  }
  ::fcntl(socket_.fd(), F_SETFL, ::fcntl(socket_.fd(), F_GETFL) | O_NONBLOCK);
  ctx_ = SSL_CTX_new(DTLS_client_method());
  SSL_CTX_set_min_proto_version(ctx_, DTLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx_, DTLS1_2_VERSION);
  if (options.certificate) {
    SSL_CTX_use_certificate(ctx_, options.certificate->cert.get());
    SSL_CTX_use_PrivateKey(ctx_, options.certificate->key.get());
  }
  if (!options.trusted_ca_pem.empty()) {
    BIO* pem = BIO_new_mem_buf(options.trusted_ca_pem.data(),
                               static_cast<int>(options.trusted_ca_pem.size()));
    while (X509* ca = PEM_read_bio_X509(pem, nullptr, nullptr, nullptr)) {
      X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx_), ca);
      X509_free(ca);
    }
    BIO_free(pem);
    ERR_clear_error();  // the end of the PEM text
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  }
  ssl_ = SSL_new(ctx_);
  BIO* bio = BIO_new_dgram(socket_.fd(), BIO_NOCLOSE);
  BIO_ADDR* peer = BIO_ADDR_new();
  BIO_ADDR_rawmake(peer, AF_INET, &server.sin_addr, sizeof server.sin_addr, server.sin_port);
  BIO_ctrl_set_connected(bio, peer);
  BIO_ADDR_free(peer);
  SSL_set_bio(ssl_, bio, bio);
  SSL_set_connect_state(ssl_);
}

DtlsClient::~DtlsClient() {
  SSL_free(ssl_);
  SSL_CTX_free(ctx_);
}

bool DtlsClient::wait_readable(Clock::time_point deadline) {
  for (;;) {
    if (Clock::now() >= deadline) return false;
    int wait = milliseconds_until(deadline);
    timeval left{};
    if (DTLSv1_get_timeout(ssl_, &left) == 1) {
      wait = std::min(wait, static_cast<int>(left.tv_sec * 1000 + left.tv_usec / 1000));
    }
    pollfd readable{socket_.fd(), POLLIN, 0};
    if (::poll(&readable, 1, wait) > 0) return true;
    if (DTLSv1_handle_timeout(ssl_) < 0) return false;  // retransmits our flight when due
  }
}

bool DtlsClient::handshake(Clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    ERR_clear_error();
    const int result = SSL_do_handshake(ssl_);
    if (result == 1) return true;
    const int ssl_error = SSL_get_error(ssl_, result);
    if (ssl_error != SSL_ERROR_WANT_READ && ssl_error != SSL_ERROR_WANT_WRITE) {
      error_ = "handshake: " + openssl_errors();
      return false;
    }
    if (!wait_readable(deadline)) {
      error_ = "handshake: timeout";
      return false;
    }
  }
}

bool DtlsClient::send(std::span<const uint8_t> payload) {
  return SSL_write(ssl_, payload.data(), static_cast<int>(payload.size())) ==
         static_cast<int>(payload.size());
}

std::optional<Bytes> DtlsClient::receive(Clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  std::array<uint8_t, 16384> buffer{};
  for (;;) {
    ERR_clear_error();
    const int n = SSL_read(ssl_, buffer.data(), static_cast<int>(buffer.size()));
    if (n > 0) return Bytes(buffer.begin(), buffer.begin() + n);
    const int ssl_error = SSL_get_error(ssl_, n);
    if (ssl_error == SSL_ERROR_ZERO_RETURN) {
      peer_closed_ = true;
      return std::nullopt;
    }
    if (ssl_error != SSL_ERROR_WANT_READ) {
      error_ = "read: " + openssl_errors();
      return std::nullopt;
    }
    if (!wait_readable(deadline)) return std::nullopt;
  }
}

void DtlsClient::close() { SSL_shutdown(ssl_); }

void DtlsClient::send_raw(std::span<const uint8_t> datagram) {
  ::send(socket_.fd(), datagram.data(), datagram.size(), 0);
}

ClientHelloMaker::ClientHelloMaker()
    : ctx_(SSL_CTX_new(DTLS_client_method())),
      ssl_(SSL_new(ctx_)),
      in_(BIO_new(BIO_s_mem())),
      out_(BIO_new(BIO_s_mem())) {
  BIO_set_mem_eof_return(in_, -1);  // empty: try again, not end of file
  SSL_set_bio(ssl_, in_, out_);
  SSL_set_options(ssl_, SSL_OP_NO_QUERY_MTU);
  SSL_set_mtu(ssl_, 1200);
  SSL_set_connect_state(ssl_);
  SSL_do_handshake(ssl_);
  first_ = drain(out_);
  if (first_.empty()) throw std::runtime_error("no ClientHello: " + openssl_errors());
}

ClientHelloMaker::~ClientHelloMaker() {
  SSL_free(ssl_);
  SSL_CTX_free(ctx_);
}

Bytes ClientHelloMaker::answer(const Bytes& hello_verify_request) {
  BIO_write(in_, hello_verify_request.data(), static_cast<int>(hello_verify_request.size()));
  SSL_do_handshake(ssl_);
  return drain(out_);
}

std::pair<size_t, size_t> cookie_of_client_hello(const Bytes& client_hello) {
  // Record header 13, handshake header 12, client_version 2, random 32, then session_id and
  // cookie, each behind a one-byte length (RFC 6347 §4.2.1).
  constexpr size_t kSessionIdLength = 13 + 12 + 2 + 32;
  if (client_hello.size() <= kSessionIdLength) return {0, 0};
  const size_t cookie_length_at = kSessionIdLength + 1 + client_hello[kSessionIdLength];
  if (client_hello.size() <= cookie_length_at) return {0, 0};
  return {cookie_length_at + 1, client_hello[cookie_length_at]};
}

UdpRelay::UdpRelay(uint16_t server_port, Drop drop)
    : server_port_(server_port), drop_(std::move(drop)), thread_([this] { run(); }) {}

UdpRelay::~UdpRelay() {
  stop_ = true;
  thread_.join();
}

void UdpRelay::run() {
  std::optional<uint16_t> client;
  while (!stop_) {
    std::array<pollfd, 2> fds{pollfd{front_.fd(), POLLIN, 0}, pollfd{back_.fd(), POLLIN, 0}};
    if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      uint16_t from = 0;
      if (auto datagram = front_.receive(std::chrono::milliseconds(0), &from)) {
        client = from;
        if (drop_(Direction::ToServer, *datagram)) {
          ++dropped_;
        } else {
          back_.send_to(server_port_, *datagram);
        }
      }
    }
    if (fds[1].revents & POLLIN) {
      auto datagram = back_.receive(std::chrono::milliseconds(0));
      if (!datagram || !client) continue;
      largest_to_client_ = std::max(largest_to_client_.load(), datagram->size());
      if (drop_(Direction::ToClient, *datagram)) {
        ++dropped_;
      } else {
        front_.send_to(*client, *datagram);
      }
    }
  }
}

}  // namespace dps::test
