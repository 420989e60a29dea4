#include "net/dtls_server.hpp"

#include <netinet/in.h>
#include <openssl/err.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>

#include "metrics/metrics.hpp"
#include "net/datagram_bio.hpp"
#include "net/device_server.hpp"
#include "net/dtls_record.hpp"
#include "net/no_throw.hpp"
#include "pki/pem.hpp"

namespace dps::net {
using metrics::UdpDrop;
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::udp;
using Clock = std::chrono::steady_clock;

// After a receive error that is not the socket closing: a pause, so that an error that repeats
// (none is expected on a bound UDP socket) cannot spin the loop.
constexpr std::chrono::milliseconds kReceiveErrorPause{10};

bool to_bio_address(const udp::endpoint& endpoint, BIO_ADDR* out) {
  const uint16_t port = htons(endpoint.port());
  if (endpoint.address().is_v4()) {
    const auto bytes = endpoint.address().to_v4().to_bytes();
    return BIO_ADDR_rawmake(out, AF_INET, bytes.data(), bytes.size(), port) == 1;
  }
  const auto bytes = endpoint.address().to_v6().to_bytes();
  return BIO_ADDR_rawmake(out, AF_INET6, bytes.data(), bytes.size(), port) == 1;
}

}  // namespace

struct DtlsServer::Counters {
  std::atomic<uint64_t> datagrams_received{0};
  std::atomic<uint64_t> oversized_dropped{0};
  std::atomic<uint64_t> not_client_hello{0};
  std::atomic<uint64_t> bad_client_hello{0};
  std::atomic<uint64_t> hello_verify_sent{0};
  std::atomic<uint64_t> sessions_refused{0};
  std::atomic<uint64_t> sessions_opened{0};
  std::atomic<uint64_t> sessions_replaced{0};
  std::atomic<uint64_t> inbox_full_dropped{0};
  std::atomic<uint64_t> records_dropped{0};
  std::atomic<uint64_t> retransmissions{0};
  std::atomic<uint64_t> send_failures{0};
  std::atomic<uint64_t> stopping_dropped{0};
};

DtlsServer::DtlsServer(asio::io_context& io, DtlsServerOptions options,
                       std::shared_ptr<asio::ssl::context> dtls, Handler handler)
    : io_(io),
      options_(std::move(options)),
      dtls_(std::move(dtls)),
      handler_(std::move(handler)),
      strand_(asio::make_strand(io)),
      socket_(strand_),
      // One more byte than accepted: a datagram that fills it was larger (the kernel truncates).
      receive_buffer_(options_.max_datagram_size + 1),
      scratch_peer_(BIO_ADDR_new()),
      admission_({"apis.coap", options_.max_sessions, options_.per_source,
                  metrics::Limit::MaxConnections, metrics::Limit::SourceConnectionRate},
                 options_.metrics),
      counters_(std::make_unique<Counters>()) {}

DtlsServer::~DtlsServer() = default;

Result<std::shared_ptr<DtlsServer>> DtlsServer::create(asio::io_context& io,
                                                       DtlsServerOptions options,
                                                       std::shared_ptr<asio::ssl::context> dtls,
                                                       Handler handler) {
  auto endpoint = parse_endpoint(options.address);
  if (!endpoint) return tl::unexpected(endpoint.error());
  const std::string address = options.address;
  std::shared_ptr<DtlsServer> server(
      new DtlsServer(io, std::move(options), std::move(dtls), std::move(handler)));
  const udp::endpoint local(endpoint->address(), endpoint->port());
  boost::system::error_code ec;
  // No SO_REUSEADDR: on a UDP port it would let another socket bind the same address and take
  // the devices' datagrams.
  server->socket_.open(local.protocol(), ec);
  if (!ec) server->socket_.bind(local, ec);
  // Sessions send from their own strands with sendto(2), which must never block an I/O thread.
  if (!ec) server->socket_.non_blocking(true, ec);
  if (ec)
    return fail(ErrorCode::Internal, "cannot listen on " + address + " (udp): " + ec.message());
  if (server->options_.socket_receive_buffer != 0) {
    boost::system::error_code ignored;  // best effort: the default buffer works, loses more
    server->socket_.set_option(
        udp::socket::receive_buffer_size(static_cast<int>(server->options_.socket_receive_buffer)),
        ignored);
  }
  server->native_socket_ = server->socket_.native_handle();
  if (!server->reset_scratch()) {
    return fail(ErrorCode::Internal, "device DTLS listener: " + pki::openssl_error_string());
  }
  return server;
}

udp::endpoint DtlsServer::local_endpoint() const {
  boost::system::error_code ec;
  return socket_.local_endpoint(ec);
}

DtlsServerCounters DtlsServer::counters() const {
  const Counters& c = *counters_;
  DtlsServerCounters out;
  out.datagrams_received = c.datagrams_received.load();
  out.oversized_dropped = c.oversized_dropped.load();
  out.not_client_hello = c.not_client_hello.load();
  out.bad_client_hello = c.bad_client_hello.load();
  out.hello_verify_sent = c.hello_verify_sent.load();
  out.sessions_refused = c.sessions_refused.load();
  out.sessions_opened = c.sessions_opened.load();
  out.sessions_replaced = c.sessions_replaced.load();
  out.inbox_full_dropped = c.inbox_full_dropped.load();
  out.records_dropped = c.records_dropped.load();
  out.retransmissions = c.retransmissions.load();
  out.send_failures = c.send_failures.load();
  out.stopping_dropped = c.stopping_dropped.load();
  return out;
}

void DtlsServer::count_inbox_full() { dropped(counters_->inbox_full_dropped, UdpDrop::InboxFull); }
// Counts in the listener's own counters and, when it has them, in dps's metrics.
void DtlsServer::dropped(std::atomic<uint64_t>& counter, UdpDrop reason, uint64_t count) {
  counter += count;
  if (options_.metrics) options_.metrics->on_udp_dropped(reason, count);
}

void DtlsServer::count_retransmission() { ++counters_->retransmissions; }
void DtlsServer::count_records_dropped(uint64_t records) {
  dropped(counters_->records_dropped, UdpDrop::BadRecord, records);
}

void DtlsServer::start() {
  asio::co_spawn(
      strand_, [self = shared_from_this()] { return self->receive_loop(); }, asio::detached);
}

void DtlsServer::stop() {
  asio::co_spawn(
      strand_, [self = shared_from_this()] { return self->shutdown_on_strand({}); },
      asio::detached);
}

awaitable<void> DtlsServer::shutdown(Clock::duration grace) {
  // No self-reference here: the caller holds this server. GCC 12 destroys a temporary of a
  // co_await expression twice, and a shared_ptr captured in one lost a reference (the listener
  // was freed under its owner at exit; valgrind, device_server.cpp's graceful stop).
  co_await asio::co_spawn(strand_, shutdown_on_strand(grace), asio::use_awaitable);
}

bool DtlsServer::reset_scratch() {
  scratch_.reset(SSL_new(dtls_->native_handle()));
  BIO* bio = datagram_bio::create(options_.link_mtu);
  if (!scratch_ || bio == nullptr) {
    BIO_free(bio);
    scratch_.reset();
    return false;
  }
  SSL* ssl = scratch_.get();
  SSL_set_bio(ssl, bio, bio);
  SSL_set_accept_state(ssl);
  // Before DTLSv1_listen allocates the write buffer, so that it is sized for the link, and kept
  // by SSL_clear (SSL_OP_NO_QUERY_MTU, set by the context).
  if (DTLS_set_link_mtu(ssl, static_cast<long>(options_.link_mtu)) != 1 ||
      SSL_set_max_send_fragment(ssl, static_cast<long>(options_.link_mtu)) != 1) {
    scratch_.reset();
    return false;
  }
  return true;
}

awaitable<void> DtlsServer::receive_loop() {
  udp::endpoint sender;
  asio::steady_timer pause(strand_);
  while (socket_.is_open()) {
    auto [ec, size] =
        co_await socket_.async_receive_from(asio::buffer(receive_buffer_), sender, kNoThrow);
    if (!socket_.is_open() || ec == asio::error::operation_aborted) break;
    if (ec) {
      if (const auto line = receive_error_log_.next(); line.write) {
        spdlog::warn("apis.coap (udp): receive failed: {}{}", ec.message(), line.note());
      }
      pause.expires_after(kReceiveErrorPause);
      co_await pause.async_wait(kNoThrow);
      continue;
    }
    on_datagram(sender, {receive_buffer_.data(), size});
  }
}

void DtlsServer::on_datagram(const udp::endpoint& sender, std::span<const uint8_t> data) {
  ++counters_->datagrams_received;
  if (data.size() > options_.max_datagram_size) {
    dropped(counters_->oversized_dropped, UdpDrop::Oversized);
    return;
  }
  const bool client_hello = dtls_record::is_client_hello(data);
  if (const auto found = sessions_.find(sender); found != sessions_.end()) {
    // An epoch-0 ClientHello from the address of a session past its handshake is its device
    // starting over (RFC 6347 §4.2.8): it goes through the cookie exchange like any newcomer,
    // and the old session ends only when the cookie checks out. Anything else (a retransmitted
    // ClientHello included) is the session's.
    if (!(client_hello && !found->second->handshaking())) {
      route(found->second, data);
      return;
    }
  } else if (!client_hello) {
    dropped(counters_->not_client_hello, UdpDrop::NotClientHello);
    return;
  }
  if (stopping_) {
    dropped(counters_->stopping_dropped, UdpDrop::Stopping);
    return;
  }
  if (check_cookie(sender, data)) open_session(sender);
}

void DtlsServer::route(const std::shared_ptr<DtlsChannel>& channel, std::span<const uint8_t> data) {
  if (channel->in_flight_.load() >= options_.inbox_datagrams) {
    dropped(counters_->inbox_full_dropped, UdpDrop::InboxFull);
    return;
  }
  ++channel->in_flight_;
  asio::post(channel->get_executor(),
             [channel, datagram = std::vector<uint8_t>(data.begin(), data.end())]() mutable {
               channel->deliver(std::move(datagram));
             });
}

bool DtlsServer::check_cookie(const udp::endpoint& sender, std::span<const uint8_t> data) {
  if (!scratch_ && !reset_scratch()) {
    dropped(counters_->bad_client_hello, UdpDrop::BadClientHello);
    return false;
  }
  BIO* bio = SSL_get_rbio(scratch_.get());
  datagram_bio::clear(bio);
  if (!to_bio_address(sender, scratch_peer_.get()) ||
      !datagram_bio::set_peer(bio, scratch_peer_.get())) {
    dropped(counters_->bad_client_hello, UdpDrop::BadClientHello);
    return false;
  }
  datagram_bio::push_inbound(bio, std::vector<uint8_t>(data.begin(), data.end()));
  ERR_clear_error();
  const int result = DTLSv1_listen(scratch_.get(), scratch_peer_.get());
  const auto answers = datagram_bio::take_outbound(bio);
  for (const auto& answer : answers) {
    // Never more bytes to an unverified address than it sent (RFC 6347 §4.2.1): a cookie answer
    // is ~44 bytes, every ClientHello is longer, so this only guards against a surprise.
    if (answer.size() > data.size()) continue;
    if (send_datagram(sender, answer)) dropped(counters_->hello_verify_sent, UdpDrop::NoCookie);
  }
  if (result == 1) return true;
  if (answers.empty()) dropped(counters_->bad_client_hello, UdpDrop::BadClientHello);
  if (result < 0) {
    // Not the peer's doing (DTLSv1_listen drops what it cannot parse and returns 0): start over
    // with a fresh SSL.
    if (const auto line = listen_error_log_.next(); line.write) {
      spdlog::warn("apis.coap (udp): cookie exchange failed: {}{}", pki::openssl_error_string(),
                   line.note());
    }
    reset_scratch();
  }
  ERR_clear_error();
  return false;
}

void DtlsServer::open_session(const udp::endpoint& sender) {
  // The address is proven now: the same caps as a TCP connection at accept.
  if (!admission_.admit(sender.address())) {
    ++counters_->sessions_refused;
    return;  // the scratch SSL's state is cleared by the next DTLSv1_listen
  }
  auto channel =
      std::make_shared<DtlsChannel>(DtlsChannel::Passkey{}, shared_from_this(), scratch_.release(),
                                    sender, next_id_++, asio::make_strand(io_));
  reset_scratch();
  if (auto found = sessions_.find(sender); found != sessions_.end()) {
    asio::post(found->second->get_executor(), [old = found->second] { old->terminate(false); });
    found->second = channel;
    ++counters_->sessions_replaced;
  } else {
    sessions_.emplace(sender, channel);
  }
  session_count_ = sessions_.size();
  ++running_;
  ++counters_->sessions_opened;
  if (options_.metrics) options_.metrics->on_connection_opened();
  asio::co_spawn(
      channel->get_executor(),
      [self = shared_from_this(), channel] { return self->run_channel(channel); },
      [self = shared_from_this(), channel](std::exception_ptr error) {
        if (error) {
          try {
            std::rethrow_exception(error);
          } catch (const std::exception& e) {
            spdlog::error("conn={} peer={} udp session failed: {}", channel->id(),
                          channel->remote(), e.what());
          }
        }
        asio::post(self->strand_, [self, channel] { self->on_session_end(channel); });
      });
}

awaitable<void> DtlsServer::run_channel(std::shared_ptr<DtlsChannel> channel) {
  co_await handler_(*channel);
  co_await channel->close();
}

void DtlsServer::on_session_end(const std::shared_ptr<DtlsChannel>& channel) {
  if (const auto found = sessions_.find(channel->remote_endpoint());
      found != sessions_.end() && found->second == channel) {
    sessions_.erase(found);
  }
  session_count_ = sessions_.size();
  admission_.release();
  if (options_.metrics) options_.metrics->on_connection_closed();
  if (--running_ == 0) {
    for (auto* waiter : drain_waiters_) waiter->cancel();
  }
}

awaitable<void> DtlsServer::wait_for_handlers(Clock::time_point deadline) {
  asio::steady_timer timer(strand_);
  drain_waiters_.push_back(&timer);
  while (running_ > 0 && Clock::now() < deadline) {
    timer.expires_at(deadline);
    auto [ec] = co_await timer.async_wait(kNoThrow);
    (void)ec;
  }
  std::erase(drain_waiters_, &timer);
}

awaitable<void> DtlsServer::shutdown_on_strand(Clock::duration grace) {
  stopping_ = true;
  co_await wait_for_handlers(Clock::now() + grace);
  for (const auto& [peer, channel] : sessions_) {
    asio::post(channel->get_executor(), [channel = channel] { channel->terminate(true); });
  }
  co_await wait_for_handlers(Clock::time_point::max());
  // Only now: sessions send on this socket's descriptor until their handlers have returned.
  boost::system::error_code ignored;
  socket_.close(ignored);
}

bool DtlsServer::send_datagram(const udp::endpoint& to, std::span<const uint8_t> data) {
  for (;;) {
    const ssize_t sent =
        ::sendto(native_socket_, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL, to.data(),
                 static_cast<socklen_t>(to.size()));
    if (sent == static_cast<ssize_t>(data.size())) return true;
    if (sent < 0 && errno == EINTR) continue;
    ++counters_->send_failures;
    return false;
  }
}

}  // namespace dps::net
