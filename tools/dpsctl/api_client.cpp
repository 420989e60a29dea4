#include "api_client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <iostream>
#include <optional>

#include "exit_codes.hpp"
#include "local_file.hpp"

namespace dps::dpsctl {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace http = boost::beast::http;
using asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

// Lists of groups carry whole certificate chains; far above any real deployment, still bounded.
constexpr uint64_t kMaxAnswerBytes = 256ull * 1024 * 1024;

http::verb verb_of(Method method) {
  switch (method) {
    case Method::Get:
      return http::verb::get;
    case Method::Post:
      return http::verb::post;
    case Method::Put:
      return http::verb::put;
    case Method::Delete:
      return http::verb::delete_;
  }
  return http::verb::get;
}

CliError unreachable(const std::string& message) {
  return CliError(ExitCode::Unreachable, message);
}

// Failed before any byte of the request left: retrying cannot apply it twice.
CliError unreachable_unsent(const std::string& message) {
  return CliError(ExitCode::Unreachable, message, 0, /*request_sent=*/false);
}

// Runs one asynchronous operation to completion or to the deadline, whichever comes first; on
// the deadline `cancel` aborts it and the operation's handler is drained before returning.
// Synchronous Beast calls cannot be bounded in time, hence async operations run in place.
class Deadline {
 public:
  Deadline(asio::io_context& io, std::chrono::seconds timeout)
      : io_(io), at_(Clock::now() + timeout) {}

  template <class Start, class Cancel>
  error_code complete(Start&& start, Cancel&& cancel) {
    std::optional<error_code> result;
    start([&result](error_code ec, auto&&...) { result = ec; });
    io_.restart();
    io_.run_until(at_);
    if (result) return *result;
    cancel();
    io_.restart();
    io_.run();
    return asio::error::timed_out;
  }

 private:
  asio::io_context& io_;
  Clock::time_point at_;
};

std::string describe(const error_code& ec) {
  return ec == asio::error::timed_out ? "timed out" : ec.message();
}

// Why the handshake failed; for an untrusted certificate, OpenSSL's verdict and the way out.
std::string handshake_failure(SSL* ssl, const error_code& ec) {
  const bool verify_failed =
      ec.category() == asio::error::get_ssl_category() &&
      ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED;
  if (!verify_failed) return describe(ec);
  const long verdict = SSL_get_verify_result(ssl);
  const std::string why = X509_verify_cert_error_string(verdict);
  if (verdict == X509_V_ERR_HOSTNAME_MISMATCH || verdict == X509_V_ERR_IP_ADDRESS_MISMATCH) {
    return "the server's certificate is not for this host (" + why + ")";
  }
  return "server certificate not trusted: " + why +
         " (give --ca with the CA that signed it, or --data-dir)";
}

// The certificate must name `host` (RFC 6125; an IP literal must be in an iPAddress SAN), checked
// by OpenSSL during verification so that a mismatch reports as such. SNI carries names only
// (RFC 6066 §3).
void check_server_identity(SSL* ssl, const std::string& host) {
  error_code not_ip;
  (void)asio::ip::make_address(host, not_ip);
  if (not_ip) {
    SSL_set_tlsext_host_name(ssl, host.c_str());
    SSL_set1_host(ssl, host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
  }
}

class Exchange {
 public:
  explicit Exchange(const ConnectionSettings& settings)
      : settings_(settings), deadline_(io_, settings.timeout) {}

  tcp::socket connect() {
    const ServerUrl& url = settings_.server;
    tcp::resolver resolver(io_);
    tcp::resolver::results_type endpoints;
    error_code ec = deadline_.complete(
        [&](auto handler) {
          resolver.async_resolve(url.host, url.port,
                                 [&endpoints, handler](error_code e, auto found) mutable {
                                   endpoints = std::move(found);
                                   handler(e);
                                 });
        },
        [&] { resolver.cancel(); });
    if (ec) throw unreachable_unsent("cannot resolve " + url.host + ": " + describe(ec));
    tcp::socket socket(io_);
    ec = deadline_.complete([&](auto handler) { asio::async_connect(socket, endpoints, handler); },
                            [&] { socket.close(); });
    if (ec) throw unreachable_unsent("cannot connect to " + url.authority() + ": " + describe(ec));
    return socket;
  }

  HttpReply over_tcp(tcp::socket socket, const http::request<http::string_body>& request) {
    return exchange(socket, request, [&] { socket.close(); });
  }

  HttpReply over_tls(tcp::socket socket, ssl::context& context,
                     const http::request<http::string_body>& request) {
    const ServerUrl& url = settings_.server;
    ssl::stream<tcp::socket> stream(std::move(socket), context);
    check_server_identity(stream.native_handle(), url.host);
    const auto close = [&] { stream.lowest_layer().close(); };
    const error_code ec = deadline_.complete(
        [&](auto handler) { stream.async_handshake(ssl::stream_base::client, handler); }, close);
    if (ec) {
      throw unreachable_unsent("TLS handshake with " + url.authority() +
                               " failed: " + handshake_failure(stream.native_handle(), ec));
    }
    // No TLS close_notify afterwards: the answer is complete by its Content-Length, and waiting
    // for the server's close_notify would only add a round trip.
    return exchange(stream, request, close);
  }

 private:
  template <class Stream, class Close>
  HttpReply exchange(Stream& stream, const http::request<http::string_body>& request, Close close) {
    const std::string where = settings_.server.authority();
    error_code ec = deadline_.complete(
        [&](auto handler) { http::async_write(stream, request, handler); }, close);
    if (ec) throw unreachable("cannot send the request to " + where + ": " + describe(ec));
    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxAnswerBytes);
    ec = deadline_.complete(
        [&](auto handler) { http::async_read(stream, buffer, parser, handler); }, close);
    if (ec) throw unreachable("no answer from " + where + ": " + describe(ec));
    return {parser.get().result_int(), std::move(parser.get().body())};
  }

  const ConnectionSettings& settings_;
  asio::io_context io_;
  Deadline deadline_;
};

}  // namespace

ApiClient::ApiClient(ConnectionSettings settings) : settings_(std::move(settings)) {
  if (settings_.insecure && settings_.server.tls) {
    std::cerr << "dpsctl: warning: --insecure: the server's certificate is not verified; anyone "
                 "on the path can read the token\n";
  }
}

ApiClient::~ApiClient() = default;

ssl::context& ApiClient::tls_context() {
  // Once built, an SSL_CTX is safe to share: OpenSSL locks what connections change in it.
  const std::lock_guard lock(tls_mutex_);
  if (tls_) return *tls_;
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  context->set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                       ssl::context::no_tlsv1_1);
  if (settings_.insecure) {
    context->set_verify_mode(ssl::verify_none);
  } else {
    context->set_verify_mode(ssl::verify_peer);
    if (settings_.ca_file.empty()) {
      context->set_default_verify_paths();
    } else {
      const std::string pem = read_local_file(settings_.ca_file, "--ca");
      error_code ec;
      if (pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
        throw CliError(ExitCode::Usage,
                       "--ca: \"" + settings_.ca_file + "\" holds no PEM certificate");
      }
      if (context->add_certificate_authority(asio::buffer(pem), ec); ec) {
        throw CliError(ExitCode::Usage, "--ca: \"" + settings_.ca_file + "\": " + ec.message());
      }
    }
  }
  tls_ = std::move(context);
  return *tls_;
}

HttpReply ApiClient::send(Method method, const std::string& target, const std::string& json_body) {
  if (settings_.token.empty()) {
    throw CliError(ExitCode::Unauthorized, "no token: " + settings_.no_token_why);
  }
  const ServerUrl& url = settings_.server;
  http::request<http::string_body> request{verb_of(method), url.base_path + target, 11};
  request.set(http::field::host, url.host_header());
  request.set(http::field::user_agent, "dpsctl");
  request.set(http::field::accept, "application/json");
  request.set(http::field::authorization, "Bearer " + settings_.token);
  if (!json_body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = json_body;
  }
  request.keep_alive(false);
  request.prepare_payload();

  ssl::context* tls = url.tls ? &tls_context() : nullptr;  // before connecting: --ca is usage
  Exchange exchange(settings_);
  tcp::socket socket = exchange.connect();
  if (tls) return exchange.over_tls(std::move(socket), *tls, request);
  return exchange.over_tcp(std::move(socket), request);
}

}  // namespace dps::dpsctl
