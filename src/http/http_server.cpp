#include "http/http_server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <vector>

#include "http/descriptor_budget.hpp"
#include "http/routes.hpp"
#include "metrics/metrics.hpp"

namespace dps::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::awaitable;
using asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

bhttp::response<bhttp::string_body> to_beast(const Reply& reply, unsigned version) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(reply.status), version};
  res.set(bhttp::field::server, "dps");
  res.set(bhttp::field::content_type, reply.content_type);
  for (const auto& [name, value] : reply.headers) res.set(name, value);
  res.body() = reply.body;
  res.prepare_payload();
  return res;
}

// How long, and how much, a connection is drained after a 413 (discard_until_closed).
constexpr auto kLingerTimeout = std::chrono::seconds(5);
constexpr size_t kMaxLingerBodies = 4;  // times max_body_size

// After a 413 the client may still be sending the body that was refused. Closing now, with its
// bytes unread, makes the kernel answer them with a TCP reset, which can destroy the 413 in the
// client's receive buffer before it is read: the client sees "connection reset" instead of the
// answer. So, as RFC 9112 §9.6 describes, keep reading (and discarding) until the client closes,
// which it does once it has read an answer carrying Connection: close; bounded in time and bytes
// so a client that never stops sending cannot hold the connection.
template <class Stream>
awaitable<void> discard_until_closed(Stream& stream, size_t max_bytes) {
  std::vector<char> scratch(16 * 1024);
  beast::get_lowest_layer(stream).expires_after(kLingerTimeout);
  for (size_t discarded = 0; discarded < max_bytes;) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(scratch), kNoThrow);
    if (ec) co_return;  // the client's close (or the deadline): the answer has been read
    discarded += n;
  }
}

// One connection: requests in order, keep-alive, a deadline on every read and write, a body limit
// that answers 413 instead of buffering whatever a client sends.
// The answer to `in`; one that may wait on the store is computed on `store_calls`, and the
// connection resumes on its own strand.
awaitable<Reply> answer(const Incoming& in, const HttpEndpoints& endpoints,
                        asio::any_io_executor store_calls) {
  if (!may_wait_on_store(in)) co_return route(in, endpoints);
  co_return co_await asio::co_spawn(
      store_calls, [&]() -> awaitable<Reply> { co_return route(in, endpoints); },
      asio::use_awaitable);
}

template <class Stream>
awaitable<void> serve(Stream& stream, const HttpEndpoints& endpoints,
                      const HttpServerOptions& options, const std::string& peer,
                      asio::any_io_executor store_calls) {
  beast::flat_buffer buffer;
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(options.max_body_size);
    parser.header_limit(16 * 1024);
    beast::get_lowest_layer(stream).expires_after(options.request_timeout);
    auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
    (void)n;
    if (ec == bhttp::error::body_limit) {
      if (endpoints.metrics) {
        const auto method = parser.get().method_string();
        endpoints.metrics->on_api_request(std::string_view(method.data(), method.size()), 413);
        endpoints.metrics->on_limit(metrics::Limit::ApiBodySize);
      }
      auto res = to_beast(error_reply(413, "request body larger than " +
                                               std::to_string(options.max_body_size) + " bytes"),
                          11);
      res.keep_alive(false);
      auto [write_error, written] = co_await bhttp::async_write(stream, res, kNoThrow);
      (void)written;
      if (!write_error)
        co_await discard_until_closed(stream, kMaxLingerBodies * options.max_body_size);
      co_return;
    }
    if (ec) co_return;  // closed, timed out, or not HTTP: nothing to answer
    auto& req = parser.get();
    Incoming in{std::string(req.method_string()),
                std::string(req.target()),
                req.body(),
                std::string(req[bhttp::field::authorization]),
                std::string(req[bhttp::field::host]),
                peer};
    Reply reply = co_await answer(in, endpoints, store_calls);
    if (endpoints.metrics) endpoints.metrics->on_api_request(in.method, reply.status);
    auto res = to_beast(reply, req.version());
    res.keep_alive(req.keep_alive());
    beast::get_lowest_layer(stream).expires_after(options.request_timeout);
    auto [write_error, written] = co_await bhttp::async_write(stream, res, kNoThrow);
    (void)written;
    if (write_error || !res.keep_alive()) co_return;
  }
}

}  // namespace

HttpServer::HttpServer(const HttpServerOptions& options, std::shared_ptr<asio::ssl::context> tls,
                       HttpEndpoints endpoints)
    : options_(options),
      tls_(std::move(tls)),
      endpoints_(std::move(endpoints)),
      token_rate_(options.per_token),
      auth_failures_(options.auth_failures, endpoints_.metrics),
      listener_(io_,
                {"apis.http", api_connection_cap(options.max_connections, descriptor_limit()),
                 options.per_source, metrics::Limit::ApiMaxConnections,
                 metrics::Limit::ApiSourceConnectionRate},
                endpoints_.metrics, listener_hooks()) {
  if (options_.per_token.enabled()) endpoints_.token_rate = &token_rate_;
  endpoints_.auth_failures = &auth_failures_;
}

HttpServer::~HttpServer() {
  stop();
  // A store call still running resumes its connection through io_: finish it before io_ goes.
  store_calls_.join();
}

Result<std::unique_ptr<HttpServer>> HttpServer::create(const HttpServerOptions& options,
                                                       std::shared_ptr<asio::ssl::context> tls,
                                                       HttpEndpoints endpoints) {
  std::unique_ptr<HttpServer> server(new HttpServer(options, std::move(tls), std::move(endpoints)));
  if (auto listening = server->listener_.listen(options.address); !listening) {
    return tl::unexpected(listening.error());
  }
  const uint64_t nofile = descriptor_limit();
  spdlog::info(
      "management API: at most {} connections (apis.http.maxConnections {}, descriptor budget "
      "{}: 1/{} of RLIMIT_NOFILE {})",
      server->listener_.admission().max_connections(), options.max_connections,
      api_descriptor_budget(nofile), kApiDescriptorShare, nofile);
  return server;
}

tcp::endpoint HttpServer::local_endpoint() const { return listener_.local_endpoint(); }

net::Listener::Hooks HttpServer::listener_hooks() {
  net::Listener::Hooks hooks;
  hooks.serve = [this](tcp::socket socket) { return run_connection(std::move(socket)); };
  hooks.opened = [this] {
    if (endpoints_.metrics) endpoints_.metrics->on_api_connection_opened();
  };
  hooks.closed = [this] {
    if (endpoints_.metrics) endpoints_.metrics->on_api_connection_closed();
  };
  return hooks;
}

void HttpServer::start() {
  listener_.start();
  for (unsigned i = 0; i < std::max(1u, options_.threads); ++i) {
    threads_.emplace_back([this] { io_.run(); });
  }
}

void HttpServer::stop() {
  io_.stop();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

awaitable<void> HttpServer::run_connection(tcp::socket socket) {
  boost::system::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  const std::string peer = ec ? "?" : remote.address().to_string();
  // Idle connections cost their socket and this frame only: the TLS stream (~90 KiB) and the
  // HTTP parser are created once the client has sent something, and a client that sends
  // nothing is closed at the handshake deadline.
  const auto deadline = std::chrono::steady_clock::now() + options_.handshake_timeout;
  if (!co_await net::first_bytes_before(socket, deadline)) {
    if (endpoints_.metrics) endpoints_.metrics->on_limit(metrics::Limit::ApiHandshakeTimeout);
    if (const auto line = silent_log_.next(); line.write) {
      spdlog::info("http peer={} sent nothing within apis.http.handshakeTimeout: closing{}", peer,
                   line.note());
    }
    socket.close(ec);
    co_return;
  }
  if (!tls_) {
    beast::tcp_stream stream(std::move(socket));
    co_await serve(stream, endpoints_, options_, peer, store_calls_.get_executor());
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    co_return;
  }
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls_);
  beast::get_lowest_layer(stream).expires_at(deadline);
  auto [handshake_error] =
      co_await stream.async_handshake(asio::ssl::stream_base::server, kNoThrow);
  if (handshake_error) {
    if (handshake_error == beast::error::timeout && endpoints_.metrics) {
      endpoints_.metrics->on_limit(metrics::Limit::ApiHandshakeTimeout);
    }
    spdlog::debug("http peer={} TLS handshake failed: {}", peer, handshake_error.message());
    co_return;
  }
  co_await serve(stream, endpoints_, options_, peer, store_calls_.get_executor());
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
  co_await stream.async_shutdown(kNoThrow);
}

}  // namespace dps::http
