// A TLS connection driven on its socket's descriptor: OpenSSL reads and writes the non-blocking
// socket itself (SSL_set_fd), and the coroutine waits for readiness when OpenSSL asks for it.
//
// Why not Asio's ssl::stream: it puts a BIO pair and two fixed 17 KiB record buffers between
// OpenSSL and the socket, for every connection, from its creation to its end: ~70 KiB an idle
// device session holds for nothing (bench/RESULTS.md, "Idle connections"), and a copy of every
// byte through them. Here OpenSSL's own buffers are the only ones, and SSL_MODE_RELEASE_BUFFERS
// frees them whenever they are empty, so an idle session keeps the SSL object and little else.
//
// One coroutine at a time per TlsSocket (a session's strand): OpenSSL's SSL object is not
// thread-safe and a pending read must not race a write.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>

#include "common/openssl_deleter.hpp"

namespace dps::net {

class TlsSocket {
 public:
  using Clock = std::chrono::steady_clock;

  /// Takes the connected socket; the SSL comes from `context` in the server role. `ssl()` is null
  /// when OpenSSL could not make one (the handshake then fails).
  TlsSocket(boost::asio::ip::tcp::socket socket, SSL_CTX* context);

  /// The server side of the handshake until it completes, fails or `deadline` passes
  /// (boost::asio::error::timed_out).
  boost::asio::awaitable<boost::system::error_code> handshake(Clock::time_point deadline);
  /// Once something can be read (a record's bytes on the socket or held by OpenSSL), without
  /// allocating a read buffer meanwhile; timed_out at `deadline`.
  boost::asio::awaitable<boost::system::error_code> readable(Clock::time_point deadline);
  /// Up to `buffer.size()` decrypted bytes (waiting as readable() does first); asio::error::eof
  /// when the peer closed with close_notify, asio::ssl::error::stream_truncated when it closed
  /// without it, timed_out at `deadline`.
  boost::asio::awaitable<std::pair<boost::system::error_code, size_t>> read_some(
      std::span<uint8_t> buffer, Clock::time_point deadline);
  /// All of `bytes`, or the error that stopped it.
  boost::asio::awaitable<boost::system::error_code> write(std::span<const uint8_t> bytes,
                                                          Clock::time_point deadline);
  /// Sends close_notify, then linger()s.
  boost::asio::awaitable<void> shutdown(Clock::time_point deadline);
  /// Half-closes, discards what the peer still sends until it closes or `deadline`, then closes:
  /// what was written reaches the peer instead of being cut off by a reset.
  boost::asio::awaitable<void> linger(Clock::time_point deadline);
  void close();

  SSL* ssl() const { return ssl_.get(); }
  const boost::asio::ip::tcp::socket& socket() const { return socket_; }

 private:
  enum class Step { Done, Again, Failed };
  /// What OpenSSL's return value `result` of an SSL_* call means; waits for the socket when
  /// OpenSSL wants to read or write. `error` is set when it returns Failed.
  boost::asio::awaitable<Step> after(int result, Clock::time_point deadline,
                                     boost::system::error_code& error);
  boost::asio::awaitable<boost::system::error_code> wait(boost::asio::socket_base::wait_type type,
                                                         Clock::time_point deadline);

  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<SSL, OpenSslDeleter<SSL_free>> ssl_;
  boost::asio::steady_timer timer_;
  bool timer_fired_ = false;
  /// Which wait the timer's handler belongs to (wait()); shared with the handler, which may run
  /// after this socket is gone.
  std::shared_ptr<uint64_t> generation_ = std::make_shared<uint64_t>(0);
};

}  // namespace dps::net
