#include "net/dtls_channel.hpp"

#include <openssl/err.h>

#include <algorithm>
#include <array>
#include <boost/asio/use_awaitable.hpp>

#include "net/datagram_bio.hpp"
#include "net/dtls_server.hpp"
#include "net/no_throw.hpp"
#include "pki/pem.hpp"

namespace dps::net {
namespace {

namespace asio = boost::asio;
using asio::awaitable;

// The largest plaintext of one DTLS record (RFC 6347 §4.1, 2^14).
constexpr size_t kMaxRecordPlaintext = 16384;

// One buffer per I/O thread, not per session: no session holds a record-sized buffer while it
// waits. Reached through a call that is not inlined each time it is used: a coroutine resumes on
// any thread of the pool, and a compiler may keep a thread_local's address across a co_await.
[[gnu::noinline]] std::span<uint8_t> thread_read_buffer() {
  static thread_local std::array<uint8_t, kMaxRecordPlaintext> buffer;
  return buffer;
}

std::string text_of(const asio::ip::udp::endpoint& endpoint) {
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

}  // namespace

DtlsChannel::DtlsChannel(Passkey, std::shared_ptr<DtlsServer> server, SSL* ssl,
                         asio::ip::udp::endpoint remote, uint64_t id, Executor executor)
    : server_(std::move(server)),
      ssl_(ssl),
      bio_(SSL_get_rbio(ssl)),
      remote_(remote),
      remote_text_(text_of(remote)),
      id_(id),
      executor_(std::move(executor)),
      wake_(executor_),
      options_(server_->options().session),
      handshake_deadline_(Clock::now() + options_.handshake_timeout) {
  attach_handshake_outcome(ssl_.get(), &outcome_);
}

DtlsChannel::~DtlsChannel() = default;

bool DtlsChannel::is_open() const { return state_ == State::Established && !stopped_; }

size_t DtlsChannel::max_payload() const {
  return state_ == State::Established ? DTLS_get_data_mtu(ssl_.get()) : 0;
}

DtlsChannel::Clock::time_point DtlsChannel::idle_deadline() const {
  return Clock::now() + options_.inactivity_timeout;
}

void DtlsChannel::deliver(std::vector<uint8_t> datagram) {
  --in_flight_;
  if (state_ == State::Closed || state_ == State::Failed || stopped_) return;
  if (datagram_bio::inbound_count(bio_) >= server_->options().inbox_datagrams) {
    server_->count_inbox_full();
    return;
  }
  datagram_bio::push_inbound(bio_, std::move(datagram));
  wake_.cancel();
}

void DtlsChannel::terminate(bool send_close_notify) {
  stopped_ = true;
  close_notify_ = close_notify_ && send_close_notify;
  wake_.cancel();
}

awaitable<DtlsChannel::Wake> DtlsChannel::wait(Clock::time_point deadline) {
  for (;;) {
    if (stopped_) co_return Wake::Stopped;
    if (datagram_bio::inbound_count(bio_) > 0) co_return Wake::Datagram;
    const auto now = Clock::now();
    if (now >= deadline) co_return Wake::Deadline;
    auto until = deadline;
    timeval left{};
    if (DTLSv1_get_timeout(ssl_.get(), &left) == 1) {
      if (left.tv_sec == 0 && left.tv_usec == 0) co_return Wake::Timer;
      until = std::min(
          until, now + std::chrono::seconds(left.tv_sec) + std::chrono::microseconds(left.tv_usec));
    }
    // deliver() and terminate() cancel the wait; expiry is the timer or the deadline.
    wake_.expires_at(until);
    auto [ec] = co_await wake_.async_wait(kNoThrow);
    (void)ec;
  }
}

bool DtlsChannel::on_retransmission_timer() {
  ERR_clear_error();
  const long result = DTLSv1_handle_timeout(ssl_.get());
  flush();
  if (result < 0) {
    fail("retransmission", SSL_ERROR_SSL);
    return false;
  }
  if (result > 0) server_->count_retransmission();
  return true;
}

awaitable<bool> DtlsChannel::handshake(Clock::time_point deadline) {
  while (state_ == State::Handshaking) {
    ERR_clear_error();
    const int result = SSL_do_handshake(ssl_.get());
    const int ssl_error = result == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_.get(), result);
    flush();
    if (result == 1) {
      state_ = State::Established;
      break;
    }
    if (ssl_error != SSL_ERROR_WANT_READ) {
      fail("handshake", ssl_error);
      break;
    }
    // GCC 12 miscompiles co_await inside conditions of coroutine members (device_session.cpp).
    const Wake woke = co_await wait(deadline);
    if (woke == Wake::Stopped) {
      state_ = State::Failed;
      error_ = "listener stopping";
    } else if (woke == Wake::Deadline) {
      state_ = State::Failed;
      handshake_timed_out_ = true;
      error_ = "handshake timeout";
    } else if (woke == Wake::Timer) {
      on_retransmission_timer();
    }
  }
  handshaking_ = false;
  co_return state_ == State::Established;
}

awaitable<std::optional<std::vector<uint8_t>>> DtlsChannel::receive(Clock::time_point deadline) {
  while (is_open()) {
    // Read first, wait after: application records that arrived during the handshake are held by
    // OpenSSL, not by the inbox. Nothing is awaited between the read and the copy out of it.
    const std::span<uint8_t> plaintext = thread_read_buffer();
    ERR_clear_error();
    const uint64_t application_before = datagram_bio::application_data_read(bio_);
    const int result = SSL_read(ssl_.get(), plaintext.data(), static_cast<int>(plaintext.size()));
    const int ssl_error = result > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_.get(), result);
    flush();
    // Each datagram of application data that yielded nothing was dropped by OpenSSL.
    const uint64_t application_read =
        datagram_bio::application_data_read(bio_) - application_before;
    const uint64_t yielded = result > 0 ? 1 : 0;
    if (application_read > yielded) server_->count_records_dropped(application_read - yielded);
    if (result > 0) {
      co_return std::vector<uint8_t>(plaintext.begin(), plaintext.begin() + result);
    }
    if (ssl_error == SSL_ERROR_ZERO_RETURN) {
      state_ = State::Closed;
      error_ = "peer sent close_notify";
      break;
    }
    if (ssl_error != SSL_ERROR_WANT_READ) {
      fail("read", ssl_error);
      break;
    }
    const Wake woke = co_await wait(deadline);
    if (woke == Wake::Stopped || woke == Wake::Deadline) break;
    if (woke == Wake::Timer) on_retransmission_timer();
  }
  co_return std::nullopt;
}

awaitable<bool> DtlsChannel::send(std::span<const uint8_t> payload) {
  if (!is_open() || payload.empty() || payload.size() > max_payload()) co_return false;
  ERR_clear_error();
  const int result = SSL_write(ssl_.get(), payload.data(), static_cast<int>(payload.size()));
  const int ssl_error = result > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_.get(), result);
  flush();
  if (result == static_cast<int>(payload.size())) co_return true;
  fail("write", ssl_error);
  co_return false;
}

awaitable<void> DtlsChannel::close() {
  if (state_ == State::Established && close_notify_) {
    // DTLS does not wait for the peer's close_notify (RFC 6347 §4.1.2.7 makes no delivery
    // promise): one is sent, the association ends here.
    ERR_clear_error();
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
    flush();
  }
  if (state_ != State::Failed) state_ = State::Closed;
  handshaking_ = false;
  co_return;
}

void DtlsChannel::fail(const char* during, int ssl_error) {
  state_ = State::Failed;
  handshaking_ = false;
  std::string reason = ssl_error == SSL_ERROR_SSL ? pki::openssl_error_string()
                                                  : "SSL error " + std::to_string(ssl_error);
  error_ = std::string(during) + ": " + (reason.empty() ? "failed" : reason);
  ERR_clear_error();
}

void DtlsChannel::flush() {
  for (const auto& datagram : datagram_bio::take_outbound(bio_)) {
    server_->send_datagram(remote_, datagram);
  }
}

}  // namespace dps::net
