// ClientCredentialsTokenSource against a real OAuth 2.0 authorization server (oidc-provider,
// support/oauth_server.hpp), in the exchange plgd's DPS makes: discovery, client credentials with
// HTTP Basic, the hub's claims as request parameters and required back in the token.
#include "auth/client_credentials.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "auth/base64url.hpp"
#include "support/oauth_server.hpp"
#include "support/test_pki.hpp"

namespace dps::auth {
namespace client_credentials_test {

using nlohmann::json;
using test::OAuthServer;
using test::OAuthServerOptions;
using namespace std::chrono_literals;

constexpr const char* kOwnerClaim = "https://plgd.dev/owner";
constexpr const char* kDeviceClaim = "https://plgd.dev/deviceId";

json claims_of(const std::string& jwt) {
  const size_t first = jwt.find('.');
  const size_t second = jwt.find('.', first + 1);
  return json::parse(base64url_decode(jwt.substr(first + 1, second - first - 1)).value());
}

TokenRequest request_for(const std::string& owner, const std::string& device_id = "") {
  TokenRequest request;
  request.owner = owner;
  request.owner_claim = kOwnerClaim;
  if (!device_id.empty()) {
    request.device_id = device_id;
    request.device_id_claim = kDeviceClaim;
  }
  return request;
}

class ClientCredentials : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new OAuthServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    server_->set_fault(OAuthServer::Fault::None);
    server_->set_delay(0ms);
  }

  std::filesystem::path secret_file(const std::string& secret) const {
    return dir_.write("secret-" + std::to_string(++files_), secret);
  }

  ClientCredentialsOptions options(const OAuthServer& server) const {
    ClientCredentialsOptions o;
    o.authority = server.authority();
    o.client_id = server.client_id();
    o.client_secret_file = secret_file(server.client_secret());
    o.scopes = {"hub"};
    o.audience = "https://hub.test/api";
    o.timeout = 2000ms;
    return o;
  }

  std::unique_ptr<ClientCredentialsTokenSource> source(ClientCredentialsOptions o) const {
    auto made = ClientCredentialsTokenSource::create(std::move(o));
    if (!made) throw std::runtime_error(made.error().internal);
    return std::move(*made);
  }

  static OAuthServer* server_;
  test::TempDir dir_;
  mutable int files_ = 0;
};

OAuthServer* ClientCredentials::server_ = nullptr;

TEST_F(ClientCredentials, TokenCarriesTheHubsClaimsAndIsCachedPerClaimSet) {
  auto tokens = source(options(*server_));
  const int before = server_->counts().token;
  auto token = tokens->token_for(request_for("owner-1", "device-1"));
  ASSERT_TRUE(token) << token.error().internal;
  const json claims = claims_of(*token);
  EXPECT_EQ(claims.value(kOwnerClaim, ""), "owner-1");
  EXPECT_EQ(claims.value(kDeviceClaim, ""), "device-1");
  EXPECT_EQ(claims.value("iss", ""), server_->authority());
  EXPECT_EQ(claims.value("aud", ""), "https://hub.test/api");
  EXPECT_EQ(server_->last_token_request().find("\"auth\":\"basic\"") != std::string::npos, true)
      << server_->last_token_request();

  auto again = tokens->token_for(request_for("owner-1", "device-1"));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *token) << "the same claim set is served from the cache";
  auto other = tokens->token_for(request_for("owner-1", "device-2"));
  ASSERT_TRUE(other);
  EXPECT_EQ(claims_of(*other).value(kDeviceClaim, ""), "device-2");
  EXPECT_EQ(server_->counts().token - before, 2);
  EXPECT_EQ(tokens->stats().hits, 1u);
}

TEST_F(ClientCredentials, ConcurrentRequestsForOneClaimSetShareOneFetch) {
  auto tokens = source(options(*server_));
  server_->set_delay(300ms);
  const int before = server_->counts().token;
  std::vector<std::string> got(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < got.size(); ++i) {
    threads.emplace_back([&, i] {
      auto token = tokens->token_for(request_for("owner-concurrent"));
      got[i] = token ? *token : "error: " + token.error().internal;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& token : got) EXPECT_EQ(token, got.front());
  EXPECT_EQ(server_->counts().token - before, 1);
  EXPECT_EQ(tokens->stats().fetches, 1u);
}

TEST_F(ClientCredentials, WrongSecretIsRefusedNamingTheOAuthError) {
  auto o = options(*server_);
  o.client_secret_file = secret_file("not the secret");
  auto tokens = source(o);
  auto token = tokens->token_for(request_for("owner-1"));
  ASSERT_FALSE(token);
  EXPECT_EQ(token.error().code, ErrorCode::BadRequest);
  EXPECT_NE(token.error().internal.find("invalid_client"), std::string::npos)
      << token.error().internal;
  EXPECT_EQ(token.error().internal.find("not the secret"), std::string::npos)
      << "the secret is never in a message";
}

TEST_F(ClientCredentials, RotatedSecretFileIsReadAgain) {
  auto o = options(*server_);
  const auto file = secret_file("old secret");
  o.client_secret_file = file;
  auto tokens = source(o);
  ASSERT_FALSE(tokens->token_for(request_for("owner-rotated")));
  std::ofstream(file, std::ios::trunc) << server_->client_secret();
  std::filesystem::last_write_time(file, std::filesystem::last_write_time(file) + 2s);
  auto token = tokens->token_for(request_for("owner-rotated"));
  EXPECT_TRUE(token) << token.error().internal;
}

TEST_F(ClientCredentials, ServerFaultsAreUnavailableAndPassWithoutARestart) {
  auto o = options(*server_);
  o.timeout = 500ms;
  auto tokens = source(o);
  const struct {
    OAuthServer::Fault fault;
    const char* name;
  } faults[] = {{OAuthServer::Fault::Status500, "500"},
                {OAuthServer::Fault::Garbage, "garbage"},
                {OAuthServer::Fault::Hang, "hang"}};
  for (const auto& f : faults) {
    server_->set_fault(f.fault);
    const auto start = std::chrono::steady_clock::now();
    auto token = tokens->token_for(request_for(std::string("owner-fault-") + f.name));
    ASSERT_FALSE(token) << f.name;
    EXPECT_EQ(token.error().code, ErrorCode::Unavailable)
        << f.name << ": " << token.error().internal;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s) << f.name << ": bounded by the timeout";
  }
  server_->set_fault(OAuthServer::Fault::None);
  auto token = tokens->token_for(request_for("owner-fault-500"));
  EXPECT_TRUE(token) << token.error().internal;
}

TEST_F(ClientCredentials, TokenWithoutARequiredClaimIsRefusedInPlgdsWords) {
  auto tokens = source(options(*server_));
  TokenRequest request = request_for("owner-1");
  request.device_id_claim = "https://example.com/unmapped";  // the server does not copy it
  request.device_id = "device-1";
  auto token = tokens->token_for(request);
  ASSERT_FALSE(token);
  EXPECT_EQ(token.error().code, ErrorCode::BadRequest);
  EXPECT_EQ(token.error().internal,
            "invalid claim https://example.com/unmapped: expected device-1, got \"<nil>\"");
}

TEST_F(ClientCredentials, TokenPastItsRefreshTimeIsServedWhileTheAuthorityIsDown) {
  OAuthServerOptions short_lived;
  short_lived.access_token_ttl = 4s;  // refreshed after 3 s (a quarter of its life left)
  OAuthServer server(short_lived);
  auto tokens = source(options(server));
  auto first = tokens->token_for(request_for("owner-short"));
  ASSERT_TRUE(first) << first.error().internal;
  std::this_thread::sleep_for(3200ms);  // past the refresh time, 0.8 s before expiry
  server.set_fault(OAuthServer::Fault::Status500);
  auto during = tokens->token_for(request_for("owner-short"));
  ASSERT_TRUE(during) << during.error().internal;
  EXPECT_EQ(*during, *first) << "still valid: served although its refresh failed";
  server.set_fault(OAuthServer::Fault::None);
  auto refreshed = tokens->token_for(request_for("owner-short"));
  ASSERT_TRUE(refreshed);
  EXPECT_NE(*refreshed, *first);
}

TEST_F(ClientCredentials, ClientThatMayNotUseBasicSendsItsSecretInTheForm) {
  OAuthServerOptions post_only;
  post_only.clients = {{"post-client", "post secret +/=", {"hub"}, /*basic_auth=*/false}};
  OAuthServer server(post_only);
  auto tokens = source(options(server));
  auto token = tokens->token_for(request_for("owner-post"));
  ASSERT_TRUE(token) << token.error().internal;
  EXPECT_NE(server.last_token_request().find("\"auth\":\"post\""), std::string::npos)
      << server.last_token_request();
}

TEST(ClientCredentialsOptions, BadSettingsAreRefusedNamingThem) {
  test::TempDir dir;
  const auto secret = dir.write("secret", "s");
  const struct {
    std::string authority;
    std::string client_id;
    std::filesystem::path secret_file;
    std::string message;
  } cases[] = {
      {"http://auth.example.com", "c", secret, "plain http is allowed to loopback hosts only"},
      {"ftp://x", "c", secret, "authority: "},
      {"https://auth.example.com", "", secret, "clientID: required"},
      {"https://auth.example.com", "c", dir.path() / "missing", "clientSecretFile: cannot read"},
      {"https://auth.example.com", "c", dir.write("empty", ""), "is empty"},
  };
  for (const auto& c : cases) {
    ClientCredentialsOptions o;
    o.authority = c.authority;
    o.client_id = c.client_id;
    o.client_secret_file = c.secret_file;
    auto made = ClientCredentialsTokenSource::create(o);
    ASSERT_FALSE(made) << c.message;
    EXPECT_EQ(made.error().code, ErrorCode::BadRequest);
    EXPECT_NE(made.error().internal.find(c.message), std::string::npos) << made.error().internal;
  }
}

}  // namespace client_credentials_test
}  // namespace dps::auth
