#include "test_authority.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace dps::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::awaitable;
using asio::ip::tcp;

constexpr std::string_view kDiscoveryPath = "/.well-known/openid-configuration";
constexpr std::string_view kJwksPath = "/keys";

}  // namespace

struct TestAuthority::Impl {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  std::optional<Tls> tls;
  std::optional<ssl::context> tls_context;
  std::vector<tcp::socket> parked;  // Silent mode; io thread only

  mutable std::mutex mutex;
  mutable std::condition_variable served;
  std::string jwks = R"({"keys":[]})";
  std::optional<std::string> discovery;
  Mode mode = Mode::Serve;
  int discovery_count = 0;
  std::vector<std::chrono::steady_clock::time_point> jwks_times;

  std::thread thread;

  std::string url() const {
    const auto port = std::to_string(acceptor.local_endpoint().port());
    return tls ? "https://" + tls->host + ":" + port : "http://127.0.0.1:" + port;
  }

  http::response<http::string_body> answer(const http::request<http::string_body>& request) {
    http::response<http::string_body> response{http::status::ok, request.version()};
    response.set(http::field::content_type, "application/json");
    response.keep_alive(false);
    std::lock_guard lock(mutex);
    if (request.target() == kDiscoveryPath) {
      ++discovery_count;
      response.body() = discovery.value_or(R"({"issuer":")" + url() + R"(","jwks_uri":")" + url() +
                                           std::string(kJwksPath) + R"("})");
    } else if (request.target() == kJwksPath) {
      jwks_times.push_back(std::chrono::steady_clock::now());
      response.body() = jwks;
    } else {
      response.result(http::status::not_found);
    }
    if (mode == Mode::Fail500) {
      response.result(http::status::internal_server_error);
      response.body() = "{}";
    }
    response.prepare_payload();
    served.notify_all();
    return response;
  }

  template <class Stream>
  awaitable<void> respond(Stream& stream) {
    beast::error_code ec;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    co_await http::async_read(stream, buffer, request,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    auto response = answer(request);
    co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
  }

  awaitable<void> session(tcp::socket socket) {
    Mode current;
    {
      std::lock_guard lock(mutex);
      current = mode;
    }
    if (current == Mode::Silent) {
      parked.push_back(std::move(socket));
      co_return;
    }
    if (!tls) {
      co_await respond(socket);
      beast::error_code ignored;
      socket.shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
    ssl::stream<tcp::socket> stream(std::move(socket), *tls_context);
    beast::error_code ec;
    co_await stream.async_handshake(ssl::stream_base::server,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    co_await respond(stream);
  }

  awaitable<void> accept_loop() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket =
          co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      asio::co_spawn(ioc, session(std::move(socket)), asio::detached);
    }
  }
};

TestAuthority::TestAuthority(std::optional<Tls> tls) : impl_(std::make_unique<Impl>()) {
  impl_->tls = std::move(tls);
  if (impl_->tls) {
    impl_->tls_context.emplace(ssl::context::tls_server);
    impl_->tls_context->use_certificate_chain(asio::buffer(impl_->tls->cert_pem));
    impl_->tls_context->use_private_key(asio::buffer(impl_->tls->key_pem), ssl::context::pem);
  }
  asio::co_spawn(impl_->ioc, impl_->accept_loop(), asio::detached);
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

TestAuthority::~TestAuthority() {
  impl_->ioc.stop();
  impl_->thread.join();
}

std::string TestAuthority::url() const { return impl_->url(); }
uint16_t TestAuthority::port() const { return impl_->acceptor.local_endpoint().port(); }

void TestAuthority::set_jwks(std::string jwks_json) {
  std::lock_guard lock(impl_->mutex);
  impl_->jwks = std::move(jwks_json);
}

void TestAuthority::set_mode(Mode mode) {
  std::lock_guard lock(impl_->mutex);
  impl_->mode = mode;
}

void TestAuthority::set_discovery(std::string discovery_json) {
  std::lock_guard lock(impl_->mutex);
  impl_->discovery = std::move(discovery_json);
}

int TestAuthority::discovery_requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->discovery_count;
}

int TestAuthority::jwks_requests() const {
  std::lock_guard lock(impl_->mutex);
  return static_cast<int>(impl_->jwks_times.size());
}

std::vector<std::chrono::steady_clock::time_point> TestAuthority::jwks_request_times() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->jwks_times;
}

bool TestAuthority::wait_for_jwks_requests(int count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->served.wait_for(
      lock, timeout, [&] { return static_cast<int>(impl_->jwks_times.size()) >= count; });
}

uint16_t unused_port() {
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

}  // namespace dps::test
