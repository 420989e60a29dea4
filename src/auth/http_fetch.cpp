#include "auth/http_fetch.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <mutex>
#include <optional>

#include "pki/pem.hpp"

namespace dps::auth {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::awaitable;
using asio::ip::tcp;

constexpr uint32_t kHeaderLimit = 64 * 1024;  // IdPs send long CSP and cookie headers

tl::unexpected<Error> unavailable(std::string_view method, const HttpUrl& url,
                                  std::string_view step, const std::string& why) {
  return fail(ErrorCode::Unavailable,
              std::string(method) + " " + url.text() + ": " + std::string(step) + ": " + why);
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Sends the request and reads one response on an established stream (plain or TLS).
template <class Stream>
awaitable<Result<HttpResponse>> exchange(Stream& stream, HttpUrl url, const HttpPost* post,
                                         size_t body_limit) {
  beast::error_code ec;
  auto on_error = asio::redirect_error(asio::use_awaitable, ec);
  const std::string_view method = post ? "POST" : "GET";
  http::request<http::string_body> request{post ? http::verb::post : http::verb::get, url.target,
                                           11};
  const bool default_port = url.port == (url.tls ? "443" : "80");
  const std::string host =
      url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  request.set(http::field::host, default_port ? host : host + ":" + url.port);
  request.set(http::field::user_agent, "dps");
  request.set(http::field::accept, "application/json");
  if (post) {
    request.set(http::field::content_type, post->content_type);
    if (!post->authorization.empty()) request.set(http::field::authorization, post->authorization);
    request.body() = post->body;
    request.prepare_payload();
  }
  co_await http::async_write(stream, request, on_error);
  if (ec) co_return unavailable(method, url, "write", ec.message());

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(body_limit);
  co_await http::async_read(stream, buffer, parser, on_error);
  if (ec) co_return unavailable(method, url, "read", ec.message());
  const auto& response = parser.get();
  co_return HttpResponse{response.result_int(), response.body()};
}

}  // namespace

std::string HttpUrl::text() const {
  const std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return (tls ? "https://" : "http://") + shown + ":" + port + target;
}

Result<HttpUrl> parse_http_url(std::string_view url) {
  auto bad = [&](const std::string& why) {
    return fail(ErrorCode::BadRequest, "URL \"" + std::string(url) + "\": " + why);
  };
  HttpUrl out;
  const std::string lower = lowercase(url.substr(0, 8));
  if (lower.starts_with("https://")) {
    url.remove_prefix(8);
  } else if (lower.starts_with("http://")) {
    out.tls = false;
    url.remove_prefix(7);
  } else {
    return bad("scheme must be http or https");
  }
  if (url.find('#') != std::string_view::npos) return bad("fragments are not allowed");
  const size_t path_start = url.find_first_of("/?");
  std::string_view authority = url.substr(0, path_start);
  out.target = path_start == std::string_view::npos ? "/" : std::string(url.substr(path_start));
  if (out.target.front() == '?') out.target.insert(0, "/");
  if (authority.find('@') != std::string_view::npos) return bad("user info is not allowed");

  std::string_view port;
  if (authority.starts_with("[")) {  // RFC 3986 §3.2.2 IP-literal
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 literal");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(":")) return bad("junk after IPv6 literal");
    if (!rest.empty()) port = rest.substr(1);
  } else {
    const size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return bad("no host");
  if (port.empty()) {
    out.port = out.tls ? "443" : "80";
  } else {
    unsigned value = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || value > 65535) return bad("bad port");
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) return bad("bad port");
    out.port = std::to_string(value);
  }
  return out;
}

bool is_loopback_host(std::string_view host) {
  if (lowercase(host) == "localhost") return true;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(std::string(host), ec);
  return !ec && address.is_loopback();
}

struct HttpFetcher::Impl {
  ssl::context tls{ssl::context::tls_client};
  std::mutex mutex;
  asio::io_context* running = nullptr;  // guarded by mutex
  bool cancelled = false;               // guarded by mutex

  awaitable<Result<HttpResponse>> send(HttpUrl url, const HttpPost* post, size_t body_limit) {
    const std::string_view method = post ? "POST" : "GET";
    auto executor = co_await asio::this_coro::executor;
    beast::error_code ec;
    auto on_error = asio::redirect_error(asio::use_awaitable, ec);
    tcp::resolver resolver(executor);
    auto endpoints = co_await resolver.async_resolve(url.host, url.port, on_error);
    if (ec) co_return unavailable(method, url, "resolve", ec.message());
    beast::tcp_stream tcp_stream(executor);
    co_await tcp_stream.async_connect(endpoints, on_error);
    if (ec) co_return unavailable(method, url, "connect", ec.message());
    if (!url.tls) {
      auto answer = co_await exchange(tcp_stream, url, post, body_limit);
      co_return answer;
    }

    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), tls);
    SSL* ssl_handle = stream.native_handle();
    boost::system::error_code not_ip;
    asio::ip::make_address(url.host, not_ip);
    // RFC 6066 §3: SNI carries DNS names only. The peer name is checked by OpenSSL during the
    // handshake (X509_VERIFY_PARAM), against SAN dNSName or iPAddress respectively.
    const bool configured =
        not_ip ? SSL_set_tlsext_host_name(ssl_handle, url.host.c_str()) == 1 &&
                     SSL_set1_host(ssl_handle, url.host.c_str()) == 1
               : X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), url.host.c_str()) == 1;
    if (!configured) {
      ERR_clear_error();
      co_return unavailable(method, url, "TLS setup", "cannot set the expected host name");
    }
    co_await stream.async_handshake(ssl::stream_base::client, on_error);
    if (ec) co_return unavailable(method, url, "TLS handshake", ec.message());
    auto answer = co_await exchange(stream, url, post, body_limit);
    // No TLS close_notify exchange: the response is complete by its HTTP framing, and a peer
    // that never answers the shutdown would stall us.
    co_return answer;
  }
};

HttpFetcher::HttpFetcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpFetcher::~HttpFetcher() = default;

Result<std::unique_ptr<HttpFetcher>> HttpFetcher::create(std::string_view ca_pem) {
  auto impl = std::make_unique<Impl>();
  SSL_CTX* ctx = impl->tls.native_handle();
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    ERR_clear_error();
    return fail(ErrorCode::Internal, "cannot require TLS 1.2 for the OAuth server");
  }
  impl->tls.set_verify_mode(ssl::verify_peer);
  if (ca_pem.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      ERR_clear_error();
      return fail(ErrorCode::Internal, "cannot load the system CA store");
    }
  } else {
    auto certs = pki::parse_certificates_pem(ca_pem);
    if (!certs) return fail(ErrorCode::BadRequest, "CA PEM: " + certs.error().internal);
    for (const auto& cert : *certs) {
      if (X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), cert.get()) != 1) {
        ERR_clear_error();  // a duplicate certificate is harmless
      }
    }
  }
  return std::unique_ptr<HttpFetcher>(new HttpFetcher(std::move(impl)));
}

Result<std::string> HttpFetcher::get(const HttpUrl& url, std::chrono::milliseconds timeout,
                                     size_t body_limit) {
  auto answer = send(url, nullptr, timeout, body_limit);
  if (!answer) return tl::unexpected(answer.error());
  if (answer->status != 200) {
    return unavailable("GET", url, "answer", "HTTP " + std::to_string(answer->status));
  }
  return std::move(answer->body);
}

Result<HttpResponse> HttpFetcher::post(const HttpUrl& url, const HttpPost& post,
                                       std::chrono::milliseconds timeout, size_t body_limit) {
  return send(url, &post, timeout, body_limit);
}

Result<HttpResponse> HttpFetcher::send(const HttpUrl& url, const HttpPost* post,
                                       std::chrono::milliseconds timeout, size_t body_limit) {
  const std::string_view method = post ? "POST" : "GET";
  asio::io_context ioc;
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->cancelled) return unavailable(method, url, "request", "cancelled");
    impl_->running = &ioc;
  }
  std::optional<Result<HttpResponse>> result;
  asio::co_spawn(ioc, impl_->send(url, post, body_limit),
                 [&result](std::exception_ptr error, Result<HttpResponse> answer) {
                   if (error) {
                     result = fail(ErrorCode::Internal, "unexpected exception in HTTP client");
                   } else {
                     result = std::move(answer);
                   }
                 });
  // One deadline for the whole exchange, DNS included: whatever is still pending when it passes
  // is abandoned with the io_context.
  ioc.run_for(timeout);
  {
    std::lock_guard lock(impl_->mutex);
    impl_->running = nullptr;
    if (!result && impl_->cancelled) result = unavailable(method, url, "request", "cancelled");
  }
  if (!result) {
    result = unavailable(method, url, "request",
                         "no answer within " + std::to_string(timeout.count()) + " ms");
  }
  return std::move(*result);
}

void HttpFetcher::cancel() {
  std::lock_guard lock(impl_->mutex);
  impl_->cancelled = true;
  if (impl_->running) impl_->running->stop();
}

}  // namespace dps::auth
