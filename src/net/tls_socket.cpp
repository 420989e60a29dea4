#include "net/tls_socket.hpp"

#include <openssl/err.h>

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/error.hpp>
#include <cerrno>
#include <climits>

#include "net/no_throw.hpp"

namespace dps::net {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

// OpenSSL 3.0 reports a peer that closed without close_notify as this SSL error; Asio's
// stream_truncated names it the same way for the session's "clean close" check.
bool unexpected_eof(unsigned long error) {
  return ERR_GET_LIB(error) == ERR_LIB_SSL &&
         ERR_GET_REASON(error) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

}  // namespace

TlsSocket::TlsSocket(asio::ip::tcp::socket socket, SSL_CTX* context)
    : socket_(std::move(socket)), ssl_(SSL_new(context)), timer_(socket_.get_executor()) {
  error_code ignored;
  socket_.non_blocking(true, ignored);
  if (!ssl_) return;
  SSL_set_fd(ssl_.get(), static_cast<int>(socket_.native_handle()));
  SSL_set_accept_state(ssl_.get());
  // The buffers go back to the allocator whenever they are empty: what lets an idle session
  // cost the SSL object and its state only. A write may be retried from another buffer address
  // (the session's encode buffer moves between attempts).
  SSL_set_mode(ssl_.get(), SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

asio::awaitable<error_code> TlsSocket::wait(asio::socket_base::wait_type type,
                                            Clock::time_point deadline) {
  if (Clock::now() >= deadline) co_return asio::error::timed_out;
  // The timer cancels the wait at the deadline. Its handler may already be queued when the socket
  // wins: the generation tells a stale one to do nothing (and a destroyed socket's handler finds
  // no generation at all).
  const uint64_t mine = ++*generation_;
  timer_fired_ = false;
  timer_.expires_at(deadline);
  timer_.async_wait([this, mine, weak = std::weak_ptr<uint64_t>(generation_)](error_code ec) {
    const auto generation = weak.lock();
    if (ec || !generation || *generation != mine) return;
    timer_fired_ = true;
    error_code ignored;
    socket_.cancel(ignored);
  });
  auto [ec] = co_await socket_.async_wait(type, kNoThrow);
  ++*generation_;
  timer_.cancel();
  if (timer_fired_) co_return asio::error::timed_out;
  co_return ec;
}

asio::awaitable<TlsSocket::Step> TlsSocket::after(int result, Clock::time_point deadline,
                                                  error_code& error) {
  if (result > 0) co_return Step::Done;
  const int reason = SSL_get_error(ssl_.get(), result);
  if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) {
    error = co_await wait(reason == SSL_ERROR_WANT_READ ? asio::socket_base::wait_read
                                                        : asio::socket_base::wait_write,
                          deadline);
    co_return error ? Step::Failed : Step::Again;
  }
  if (reason == SSL_ERROR_ZERO_RETURN) {
    error = asio::error::eof;
  } else if (reason == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
    // No OpenSSL error: the kernel's (errno), or the peer gone without a word (errno 0).
    error = errno != 0 ? error_code(errno, boost::system::system_category())
                       : error_code(asio::ssl::error::stream_truncated);
  } else {
    const unsigned long ssl_error = ERR_get_error();
    error = unexpected_eof(ssl_error)
                ? error_code(asio::ssl::error::stream_truncated)
                : error_code(static_cast<int>(ssl_error), asio::error::get_ssl_category());
  }
  ERR_clear_error();
  co_return Step::Failed;
}

asio::awaitable<error_code> TlsSocket::handshake(Clock::time_point deadline) {
  if (!ssl_) co_return asio::error::no_memory;
  for (;;) {
    ERR_clear_error();
    errno = 0;
    const int result = SSL_do_handshake(ssl_.get());
    error_code error;
    const Step step = co_await after(result, deadline, error);
    if (step == Step::Done) co_return error_code{};
    if (step == Step::Failed) co_return error;
  }
}

// OpenSSL allocates its 17 KiB read buffer when SSL_read starts and keeps it while it waits for
// bytes: an idle session would hold it for nothing. So the socket is waited for first, with
// nothing allocated, unless OpenSSL already holds bytes of a record.
asio::awaitable<error_code> TlsSocket::readable(Clock::time_point deadline) {
  if (SSL_has_pending(ssl_.get()) != 0) co_return error_code{};
  // The handshake's last read leaves its buffer allocated: give back what holds nothing.
  SSL_free_buffers(ssl_.get());
  co_return co_await wait(asio::socket_base::wait_read, deadline);
}

asio::awaitable<std::pair<error_code, size_t>> TlsSocket::read_some(std::span<uint8_t> buffer,
                                                                    Clock::time_point deadline) {
  const int size = static_cast<int>(std::min<size_t>(buffer.size(), INT_MAX));
  const auto ready = co_await readable(deadline);
  if (ready) co_return std::pair{ready, size_t{0}};
  for (;;) {
    ERR_clear_error();
    errno = 0;
    const int result = SSL_read(ssl_.get(), buffer.data(), size);
    error_code error;
    const Step step = co_await after(result, deadline, error);
    if (step == Step::Done) co_return std::pair{error_code{}, static_cast<size_t>(result)};
    if (step == Step::Failed) co_return std::pair{error, size_t{0}};
  }
}

asio::awaitable<error_code> TlsSocket::write(std::span<const uint8_t> bytes,
                                             Clock::time_point deadline) {
  size_t written = 0;
  while (written < bytes.size()) {
    const int size = static_cast<int>(std::min<size_t>(bytes.size() - written, INT_MAX));
    ERR_clear_error();
    errno = 0;
    const int result = SSL_write(ssl_.get(), bytes.data() + written, size);
    error_code error;
    const Step step = co_await after(result, deadline, error);
    if (step == Step::Failed) co_return error;
    if (step == Step::Done) written += static_cast<size_t>(result);
  }
  co_return error_code{};
}

asio::awaitable<void> TlsSocket::shutdown(Clock::time_point deadline) {
  if (ssl_ && SSL_is_init_finished(ssl_.get())) {
    // close_notify out; the peer's own is read with whatever else it still sends, in linger().
    for (int attempt = 0; attempt < 4; ++attempt) {
      ERR_clear_error();
      errno = 0;
      const int result = SSL_shutdown(ssl_.get());
      if (result >= 0) break;
      error_code error;
      const Step step = co_await after(result, deadline, error);
      if (step != Step::Again) break;
    }
    ERR_clear_error();
  }
  co_await linger(deadline);
}

asio::awaitable<void> TlsSocket::linger(Clock::time_point deadline) {
  // FIN first, then read and discard until the peer closes too or the deadline: closing a socket
  // with unread bytes sends a reset, and a reset can make the peer's kernel drop what it has not
  // read yet: the last answer, or the alert that says why a handshake failed.
  error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  std::array<uint8_t, 512> sink;
  for (;;) {
    const auto ready = co_await wait(asio::socket_base::wait_read, deadline);
    if (ready) break;
    error_code error;
    const size_t n = socket_.read_some(asio::buffer(sink), error);
    if (error == asio::error::would_block) continue;
    if (error || n == 0) break;
  }
  close();
}

void TlsSocket::close() {
  error_code ignored;
  timer_.cancel();
  socket_.close(ignored);
}

}  // namespace dps::net
