// Proves the OAuth test harness (support/oauth_server.hpp): a real oidc-provider answers the
// client credentials requests plgd's DPS sends (golang.org/x/oauth2/clientcredentials) with JWTs
// carrying the requested claims, signed by a key from its JWKS. Requests here are written by hand
// with Beast, apart from dps's own token client, which is tested against this same server.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "auth/base64url.hpp"
#include "auth/jwks.hpp"
#include "auth/jwt_verifier.hpp"
#include "auth/static_key_provider.hpp"
#include "support/oauth_server.hpp"

namespace dps::test {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;
using Params = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kAudience = "https://hub.test/api";
constexpr const char* kOwnerClaim = "https://plgd.dev/owner";
constexpr const char* kDeviceIdClaim = "https://plgd.dev/deviceId";

struct Answer {
  unsigned status = 0;
  nlohmann::json body;
};

/// RFC 6749 Appendix B: application/x-www-form-urlencoded, as Go's url.QueryEscape writes it.
std::string form_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

std::string form(const Params& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += form_encode(name) + "=" + form_encode(value);
  }
  return out;
}

std::string basic(const std::string& credentials) {
  std::string encoded(4 * ((credentials.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                reinterpret_cast<const unsigned char*>(credentials.data()),
                                static_cast<int>(credentials.size()));
  encoded.resize(static_cast<size_t>(n));
  return "Basic " + encoded;
}

/// HTTP Basic client authentication per RFC 6749 §2.3.1: id and secret form-encoded first.
std::string basic_auth(const std::string& id, const std::string& secret) {
  return basic(form_encode(id) + ":" + form_encode(secret));
}

Answer request(const OAuthServer& server, http::verb verb, const std::string& target,
               const std::string& body = {}, const std::string& authorization = {}) {
  boost::asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(20));
  stream.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), server.port()));
  http::request<http::string_body> req(verb, target, 11);
  req.set(http::field::host, "127.0.0.1:" + std::to_string(server.port()));
  if (!authorization.empty()) req.set(http::field::authorization, authorization);
  if (verb == http::verb::post) {
    req.set(http::field::content_type, "application/x-www-form-urlencoded");
    req.body() = body;
    req.prepare_payload();
  }
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  return {res.result_int(), nlohmann::json::parse(res.body(), nullptr, false)};
}

std::string target_of(const std::string& url, const OAuthServer& server) {
  EXPECT_EQ(url.rfind(server.authority(), 0), 0u) << url;
  return url.substr(server.authority().size());
}

/// What plgd's DPS posts for a device of owner-1 (hub ownerClaim and deviceIdClaim set).
Params plgd_token_request() {
  return {{"grant_type", "client_credentials"},
          {"scope", "hub"},
          {"audience", kAudience},
          {kOwnerClaim, "owner-1"},
          {kDeviceIdClaim, "device-1"}};
}

nlohmann::json jwt_payload(const std::string& jwt) {
  const size_t first = jwt.find('.');
  const size_t second = jwt.find('.', first + 1);
  const auto payload = auth::base64url_decode(jwt.substr(first + 1, second - first - 1));
  return payload ? nlohmann::json::parse(*payload, nullptr, false) : nlohmann::json();
}

TEST(OAuthServer, IssuesClientCredentialsJwtWithRequestedClaims) {
  OAuthServer server;
  const Answer discovery = request(server, http::verb::get, "/.well-known/openid-configuration");
  ASSERT_EQ(discovery.status, 200u);
  EXPECT_EQ(discovery.body.value("issuer", ""), server.authority());
  const std::string token_endpoint = discovery.body.value("token_endpoint", "");
  EXPECT_EQ(token_endpoint, server.token_endpoint());

  const auto before = std::chrono::system_clock::now();
  const Answer token =
      request(server, http::verb::post, target_of(token_endpoint, server),
              form(plgd_token_request()), basic_auth(server.client_id(), server.client_secret()));
  ASSERT_EQ(token.status, 200u) << token.body.dump();
  EXPECT_EQ(token.body.value("token_type", ""), "Bearer");
  EXPECT_EQ(token.body.value("scope", ""), "hub");
  EXPECT_EQ(token.body.value("expires_in", 0), 600);
  const std::string jwt = token.body.value("access_token", "");
  const nlohmann::json claims = jwt_payload(jwt);
  ASSERT_TRUE(claims.is_object()) << "access token is not a JWT: " << jwt;
  EXPECT_EQ(claims.value("iss", ""), server.authority());
  EXPECT_EQ(claims.value("aud", ""), kAudience);
  EXPECT_EQ(claims.value(kOwnerClaim, ""), "owner-1");
  EXPECT_EQ(claims.value(kDeviceIdClaim, ""), "device-1");
  EXPECT_EQ(claims.value("client_id", ""), server.client_id());
  const auto now_s =
      std::chrono::duration_cast<std::chrono::seconds>(before.time_since_epoch()).count();
  EXPECT_GE(claims.value("exp", int64_t{0}), now_s + 590);

  // Signed by a key the JWKS publishes: dps's own verifier accepts it as a hub would.
  const Answer jwks =
      request(server, http::verb::get, target_of(discovery.body.value("jwks_uri", ""), server));
  ASSERT_EQ(jwks.status, 200u);
  auto keys = auth::StaticKeyProvider::from_json(
      jwks.body.dump(), {.issuer = server.authority(), .required_audience = ""});
  ASSERT_TRUE(keys) << keys.error().internal;
  const auth::JwtVerifier verifier(
      {.owner_claim = kOwnerClaim, .audience = kAudience, .leeway = std::chrono::seconds(60)},
      *keys);
  const auto verified = verifier.verify(jwt);
  ASSERT_TRUE(verified) << verified.error().internal;
  EXPECT_EQ(verified->owner, "owner-1");
}

TEST(OAuthServer, RefusesWrongSecretWithInvalidClient) {
  OAuthServer server;
  const Answer token = request(server, http::verb::post, "/token", form(plgd_token_request()),
                               basic_auth(server.client_id(), server.client_secret() + "x"));
  EXPECT_EQ(token.status, 401u);
  EXPECT_EQ(token.body.value("error", ""), "invalid_client");
  EXPECT_FALSE(token.body.contains("access_token"));
}

// The default secret holds characters that must be form-encoded: a client sending it raw fails
// here as against any server following RFC 6749 §2.3.1 (golang's oauth2 encodes).
TEST(OAuthServer, RefusesBasicCredentialsNotFormEncoded) {
  OAuthServer server;
  const Answer token = request(server, http::verb::post, "/token", form(plgd_token_request()),
                               basic(server.client_id() + ":" + server.client_secret()));
  EXPECT_TRUE(token.status == 400u || token.status == 401u) << token.status;
  EXPECT_FALSE(token.body.contains("access_token"));
}

TEST(OAuthServer, RefusesUnknownAudienceWithInvalidTarget) {
  OAuthServer server;
  Params params = plgd_token_request();
  params[2].second = "https://other.test/api";
  const Answer token = request(server, http::verb::post, "/token", form(params),
                               basic_auth(server.client_id(), server.client_secret()));
  EXPECT_EQ(token.status, 400u);
  EXPECT_EQ(token.body.value("error", ""), "invalid_target");
}

// A hub whose ownerClaim is `sub` gets the requested owner there, not the client id.
TEST(OAuthServer, SubClaimParameterReplacesClientId) {
  OAuthServerOptions options;
  options.claim_params = {"sub"};
  OAuthServer server(options);
  const Answer token = request(
      server, http::verb::post, "/token",
      form({{"grant_type", "client_credentials"}, {"audience", kAudience}, {"sub", "owner-2"}}),
      basic_auth(server.client_id(), server.client_secret()));
  ASSERT_EQ(token.status, 200u) << token.body.dump();
  EXPECT_EQ(jwt_payload(token.body.value("access_token", "")).value("sub", ""), "owner-2");
}

// golang.org/x/oauth2 tries HTTP Basic first and, on an error, the secret in the form: a client
// configured with basic_auth = false plays a server that takes only the latter.
TEST(OAuthServer, ClientWithoutBasicAuthTakesOnlySecretInForm) {
  OAuthServerOptions options;
  options.clients = {{.id = "post-only", .secret = "p4ss", .scopes = {}, .basic_auth = false}};
  OAuthServer server(options);
  const Answer basic = request(server, http::verb::post, "/token", form(plgd_token_request()),
                               basic_auth("post-only", "p4ss"));
  EXPECT_EQ(basic.status, 401u);
  EXPECT_EQ(basic.body.value("error", ""), "invalid_client");
  Params params = plgd_token_request();
  params.erase(params.begin() + 1);  // no scope: this client has none
  params.emplace_back("client_id", "post-only");
  params.emplace_back("client_secret", "p4ss");
  const Answer post = request(server, http::verb::post, "/token", form(params));
  EXPECT_EQ(post.status, 200u) << post.body.dump();
  const nlohmann::json last = nlohmann::json::parse(server.last_token_request());
  EXPECT_EQ(last.value("auth", ""), "post");
  EXPECT_EQ(last.value("status", 0), 200);
  EXPECT_EQ(server.counts().token, 2);
}

TEST(OAuthServer, InjectedFaultsReplaceTheAnswerUntilCleared) {
  OAuthServer server;
  const std::string body = form(plgd_token_request());
  const std::string auth = basic_auth(server.client_id(), server.client_secret());
  server.set_fault(OAuthServer::Fault::Status500);
  EXPECT_EQ(request(server, http::verb::post, "/token", body, auth).status, 500u);
  server.set_fault(OAuthServer::Fault::Garbage);
  const Answer garbage = request(server, http::verb::post, "/token", body, auth);
  EXPECT_EQ(garbage.status, 200u);
  EXPECT_TRUE(garbage.body.is_discarded());  // not JSON
  server.set_delay(std::chrono::milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(request(server, http::verb::post, "/token", body, auth).status, 200u);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
  server.set_fault(OAuthServer::Fault::None);
  EXPECT_EQ(request(server, http::verb::post, "/token", body, auth).status, 200u);
  EXPECT_EQ(server.counts().token, 4);
}

}  // namespace
}  // namespace dps::test
