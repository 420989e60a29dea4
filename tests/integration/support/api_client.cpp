#include "api_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <sstream>
#include <stdexcept>

#include "auth/admin_token.hpp"
#include "auth/embedded_token_minter.hpp"
#include "dps_fixture.hpp"
#include "pki/pem.hpp"

namespace dps::itest {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::use_awaitable;
using nlohmann::json;
constexpr auto kNoThrow = asio::as_tuple(use_awaitable);

http::request<http::string_body> build(const HttpRequest& in, uint16_t port) {
  http::request<http::string_body> request{in.method, in.target, 11};
  request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  if (in.authorization) request.set(http::field::authorization, *in.authorization);
  if (!in.body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = in.body;
  }
  if (in.chunked) {
    request.chunked(true);
  } else {
    request.prepare_payload();
  }
  return request;
}

awaitable<HttpAnswer> exchange_on(asio::ssl::context& tls, uint16_t port, const HttpRequest& in,
                                  std::chrono::seconds deadline, const std::string& source) {
  auto executor = co_await asio::this_coro::executor;
  beast::ssl_stream<beast::tcp_stream> stream(executor, tls);
  auto& tcp = beast::get_lowest_layer(stream);
  tcp.expires_after(deadline);
  if (!source.empty()) {
    tcp.socket().open(asio::ip::tcp::v4());
    tcp.socket().bind(asio::ip::tcp::endpoint(asio::ip::make_address(source), 0));
  }
  co_await tcp.async_connect(asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), port),
                             use_awaitable);
  co_await stream.async_handshake(asio::ssl::stream_base::client, use_awaitable);
  auto request = build(in, port);
  // A server may answer before it has read the whole request (413): the answer is read even when
  // writing the rest failed, and the failure is reported in connection_end.
  auto [write_error, written] = co_await http::async_write(stream, request, kNoThrow);
  (void)written;
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  auto [read_error, read] = co_await http::async_read(stream, buffer, response, kNoThrow);
  (void)read;
  if (read_error) {
    throw boost::system::system_error(
        read_error, write_error ? "no answer after a failed write (" + write_error.message() + ")"
                                : std::string("no answer"));
  }
  HttpAnswer answer;
  answer.status = response.result_int();
  answer.body = response.body();
  answer.content_type = std::string(response[http::field::content_type]);
  answer.allow = std::string(response[http::field::allow]);
  answer.retry_after = std::string(response[http::field::retry_after]);
  answer.keep_alive = response.keep_alive();
  // One request per connection, so the client closes now, as RFC 9112 §9.6 asks after an answer
  // with Connection: close: close_notify, then the server's close_notify back.
  auto [shutdown_error] = co_await stream.async_shutdown(kNoThrow);
  if (write_error) {
    answer.connection_end = "writing the request failed: " + write_error.message();
  } else if (buffer.size() > 0) {
    answer.connection_end = "more data after the answer";
  } else {
    answer.connection_end = shutdown_error ? shutdown_error.message() : HttpAnswer::kClosedCleanly;
  }
  co_return answer;
}

}  // namespace

json HttpAnswer::object() const { return json::parse(body, nullptr, false); }

std::vector<json> HttpAnswer::lines() const {
  std::vector<json> out;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    out.push_back(json::parse(line, nullptr, false));
  }
  return out;
}

ApiClient::ApiClient(uint16_t port, std::string server_ca_pem, std::chrono::seconds deadline,
                     std::string source)
    : port_(port),
      server_ca_pem_(std::move(server_ca_pem)),
      deadline_(deadline),
      source_(std::move(source)) {}

HttpAnswer ApiClient::call(Verb method, const std::string& target, const std::string& token,
                           const std::string& body) const {
  HttpRequest request{method, target, std::nullopt, body, false};
  if (!token.empty()) request.authorization = "Bearer " + token;
  return send(request);
}

HttpAnswer ApiClient::send(const HttpRequest& request) const {
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.add_certificate_authority(asio::buffer(server_ca_pem_));
  tls.set_verify_mode(asio::ssl::verify_peer);
  return run_coro<HttpAnswer>(
      [&]() { return exchange_on(tls, port_, request, deadline_, source_); },
      deadline_ + std::chrono::seconds(1));
}

std::string admin_token(const std::filesystem::path& data_dir, const std::string& owner) {
  auto minter = auth::EmbeddedTokenMinter::load_or_create(data_dir, "dps", std::chrono::hours(1),
                                                          auth::kApiTokenFiles);
  if (!minter) throw std::runtime_error("minter: " + minter.error().internal);
  auto token = auth::mint_admin_token(**minter, {owner, "sub", ""});
  if (!token) throw std::runtime_error("token: " + token.error().internal);
  return *token;
}

DpsSigningKey load_dps_signing_key(const std::filesystem::path& data_dir,
                                   const auth::MinterFiles& files) {
  // Loads without writing: files.jwks_file is not rewritten when the caller only wants the key.
  auth::MinterFiles key_only{files.key_file, ""};
  auto minter =
      auth::EmbeddedTokenMinter::load_or_create(data_dir, "dps", std::chrono::hours(1), key_only);
  if (!minter) throw std::runtime_error("minter: " + minter.error().internal);
  auto pem = pki::read_file(data_dir / files.key_file);
  if (!pem) throw std::runtime_error("signing key: " + pem.error().internal);
  auto key = pki::parse_private_key_pem(*pem);
  if (!key) throw std::runtime_error("signing key: " + key.error().internal);
  return {std::move(*key), (*minter)->key_id()};
}

}  // namespace dps::itest
