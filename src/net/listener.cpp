#include "net/listener.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <charconv>

#include "net/no_throw.hpp"

namespace dps::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// How often drain() looks at the open connections: a stop is not worth a wake-up per session end.
constexpr auto kDrainPoll = std::chrono::milliseconds(50);

}  // namespace

Result<tcp::endpoint> parse_endpoint(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    return fail(ErrorCode::BadRequest, "address \"" + address + "\" is not host:port");
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port_text = address.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return fail(ErrorCode::BadRequest, "address \"" + address + "\": bad port");
  }
  boost::system::error_code parse_error;
  auto ip = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, parse_error);
  if (parse_error) {
    return fail(ErrorCode::BadRequest, "address \"" + address + "\": host must be an IP address");
  }
  return tcp::endpoint(ip, static_cast<uint16_t>(port));
}

Listener::Listener(asio::io_context& io, AdmissionOptions admission, metrics::Metrics* metrics,
                   Hooks hooks)
    : io_(io),
      acceptor_(io),
      admission_(admission, metrics),
      hooks_(std::move(hooks)),
      section_(admission.section) {}

Result<void> Listener::listen(const std::string& address) {
  auto endpoint = parse_endpoint(address);
  if (!endpoint) return tl::unexpected(endpoint.error());
  boost::system::error_code ec;
  acceptor_.open(endpoint->protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(*endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(ErrorCode::Internal, "cannot listen on " + address + ": " + ec.message());
  return {};
}

tcp::endpoint Listener::local_endpoint() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void Listener::close() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

void Listener::start() { asio::co_spawn(io_, accept_loop(), asio::detached); }

void Listener::stop_accepting() {
  asio::post(io_, [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  });
}

asio::awaitable<bool> Listener::drain(std::chrono::steady_clock::duration grace) {
  stop_accepting();
  const auto deadline = std::chrono::steady_clock::now() + grace;
  asio::steady_timer timer(io_);
  while (admission_.open() > 0 && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(kDrainPoll);
    co_await timer.async_wait(kNoThrow);
  }
  co_return admission_.open() == 0;
}

asio::awaitable<void> Listener::accept_loop() {
  asio::steady_timer backoff(io_);
  while (acceptor_.is_open()) {
    // Each connection gets its own strand (Beast): its handlers never run concurrently.
    auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(io_), kNoThrow);
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      co_await back_off_after_accept_error(ec, backoff, section_);
      continue;  // one failed accept never stops the listener
    }
    boost::system::error_code peer_error;
    const auto peer = socket.remote_endpoint(peer_error);
    // Refusals here cost no TLS work: the socket is closed before a byte is read.
    if (!admission_.admit(peer_error ? std::nullopt : std::optional(peer.address()))) {
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    if (hooks_.opened) hooks_.opened();
    auto executor = socket.get_executor();
    asio::co_spawn(executor, hooks_.serve(std::move(socket)), [this](std::exception_ptr error) {
      admission_.release();
      if (hooks_.closed) hooks_.closed();
      if (!error) return;
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        spdlog::error("{}: connection failed: {}", section_, e.what());
      }
    });
  }
}

}  // namespace dps::net
