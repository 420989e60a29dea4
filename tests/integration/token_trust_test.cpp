// Which management API tokens a real dps trusts (issue 12): the key's issuer must be the token's,
// the admin token lives a bounded time with a random jti, `dps revoke-token` revokes one token by
// its jti while dps runs, and the discovery document names the configured URL whatever Host the
// request claims.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "auth/admin_token.hpp"
#include "auth/base64url.hpp"
#include "auth/token_id.hpp"
#include "support/api_fixture.hpp"
#include "support/jwt_test_tokens.hpp"

namespace dps::itest {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using nlohmann::json;
using namespace std::chrono_literals;

// dps re-reads revoked token ids every 5 s (app/service.cpp kRevocationReloadInterval).
constexpr auto kRevocationInterval = 5s;
// Slack for a loaded machine (sanitizer builds) on top of the interval.
constexpr auto kRevocationDeadline = kRevocationInterval + 5s;

std::string read_token(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string token((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  return token;
}

class TokenTrust : public ApiTest {
 protected:
  std::filesystem::path admin_file() const { return spec_.data_dir / "admin.token"; }

  ProcessOutput revoke(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{dps_binary().string(), "revoke-token", "--config",
                                  config_path_.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv);
  }

  /// Calls GET hubs with `token` until it is answered 401 or `deadline` passes; the last answer
  /// and how long it took.
  std::pair<HttpAnswer, std::chrono::milliseconds> until_refused(
      const std::string& token, std::chrono::milliseconds deadline) const {
    const auto start = std::chrono::steady_clock::now();
    HttpAnswer answer;
    do {
      answer = call(Verb::get, kHubsPath, token);
      if (answer.status == 401u) break;
      // A bounded poll: the reload happens on dps's own schedule, with nothing to wait on.
      std::this_thread::sleep_for(50ms);
    } while (std::chrono::steady_clock::now() - start < deadline);
    return {answer, std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)};
  }
};

TEST_F(TokenTrust, AdminTokenHasDpsIssuerARandomJtiAndAWeekOfLife) {
  const std::string token = read_token(admin_file());
  auto id = auth::read_token_id(token);
  ASSERT_TRUE(id) << id.error().internal;
  EXPECT_EQ(id->jti.size(), 22u);
  const auto payload = token.substr(token.find('.') + 1);
  const json claims = json::parse(
      *auth::base64url_decode(payload.substr(0, payload.find('.'))));  // verified by dps below
  EXPECT_EQ(claims.value("iss", ""), auth::kAdminTokenIssuer);
  EXPECT_EQ(claims.value("exp", int64_t{0}) - claims.value("iat", int64_t{0}), 7 * 24 * 3600);
  EXPECT_EQ(call(Verb::get, kHubsPath, token).status, 200u);
}

class AdminTokenRenewal : public TokenTrust {
 protected:
  void configure(DpsConfigSpec& spec) override {
    TokenTrust::configure(spec);
    spec.admin_token_validity = "4s";  // checked every 0.5 s, renewed past 2 s
  }
};

TEST_F(AdminTokenRenewal, RunningDpsRenewsItBeforeItExpiresAndRevokesTheOldOne) {
  const std::string first = read_token(admin_file());
  ASSERT_EQ(call(Verb::get, kHubsPath, first).status, 200u);
  std::string renewed = first;
  const auto deadline = std::chrono::steady_clock::now() + 8s;
  while (renewed == first && std::chrono::steady_clock::now() < deadline) {
    // dps writes the file on its own schedule, with nothing to wait on.
    std::this_thread::sleep_for(100ms);
    renewed = read_token(admin_file());
  }
  ASSERT_NE(renewed, first) << "admin.token was not renewed while dps ran";
  EXPECT_EQ(call(Verb::get, kHubsPath, renewed).status, 200u);
  EXPECT_TRUE(is_api_error(call(Verb::get, kHubsPath, first), 401, 16, "token revoked"))
      << "a copy of the replaced token must not outlive the file";
}

TEST_F(TokenTrust, TokenSignedWithTheAdminKeyForAnotherIssuerIsRefused) {
  const DpsSigningKey key = load_dps_signing_key(spec_.data_dir);
  json claims = test::valid_claims("1");
  claims["aud"] = {std::string(auth::kAdminTokenAudience)};
  claims["iss"] = "https://auth.test";
  const auto forged = call(Verb::get, kHubsPath,
                           test::sign_token(key.key.get(), "ES256", {{"kid", key.kid}}, claims));
  EXPECT_TRUE(is_api_error(forged, 401, 16,
                           "token issuer \"https://auth.test\" is not the issuer of its signing "
                           "key (the key that signed it is \"dps\"'s)"));
  claims.erase("iss");
  const auto anonymous = call(Verb::get, kHubsPath,
                              test::sign_token(key.key.get(), "ES256", {{"kid", key.kid}}, claims));
  EXPECT_TRUE(is_api_error(anonymous, 401, 16, "token has no \"iss\" string"));
  claims["iss"] = "dps";
  EXPECT_EQ(call(Verb::get, kHubsPath,
                 test::sign_token(key.key.get(), "ES256", {{"kid", key.kid}}, claims))
                .status,
            200u);
}

// How the operator names the token: the file holding it, or its jti alone.
class TokenRevocation : public TokenTrust, public ::testing::WithParamInterface<bool> {};

TEST_P(TokenRevocation, RevokedTokenIsRefusedWithinTheReloadIntervalOthersStillWork) {
  const bool by_file = GetParam();
  const std::string token = read_token(admin_file());
  auto id = auth::read_token_id(token);
  ASSERT_TRUE(id) << id.error().internal;
  ASSERT_EQ(call(Verb::get, kHubsPath, token).status, 200u);

  const ProcessOutput out =
      revoke(by_file ? std::vector<std::string>{"--token-file", admin_file().string()}
                     : std::vector<std::string>{"--jti", id->jti});
  ASSERT_EQ(out.exit_code, 0) << out.out << out.err;
  EXPECT_NE(out.out.find("revoked token jti " + id->jti), std::string::npos) << out.out;
  EXPECT_EQ(out.out.find(token), std::string::npos);  // the credential is not echoed

  const auto [answer, took] = until_refused(token, kRevocationDeadline);
  EXPECT_TRUE(is_api_error(answer, 401, 16, "token revoked (jti \"" + id->jti + "\")"))
      << "after " << took.count() << " ms";
  EXPECT_LE(took, kRevocationDeadline);
  std::cout << "[ revoked after " << took.count() << " ms ]\n";

  // Another token of the same key and owner (another jti) is untouched: no key rotation.
  const std::string fresh = token_of("1");
  EXPECT_EQ(call(Verb::get, kHubsPath, fresh).status, 200u);
  // And the revocation outlives a restart (it is in the store).
  stop_dps();
  start_dps();
  EXPECT_TRUE(is_api_error(call(Verb::get, kHubsPath, token), 401, 16, "token revoked"));
}

INSTANTIATE_TEST_SUITE_P(ByFileOrJti, TokenRevocation, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                           return param_info.param ? "TokenFile" : "Jti";
                         });

TEST_F(TokenTrust, RevokeTokenRefusesBadArgumentsPrecisely) {
  const auto neither = revoke({});
  EXPECT_EQ(neither.exit_code, 2) << neither.err;
  const auto both = revoke({"--jti", "a", "--token-file", admin_file().string()});
  EXPECT_EQ(both.exit_code, 2) << both.err;
  const auto spaced = revoke({"--jti", "a b"});
  EXPECT_EQ(spaced.exit_code, 2);
  EXPECT_NE(spaced.err.find("--jti: jti must be printable ASCII without spaces"), std::string::npos)
      << spaced.err;
  const std::filesystem::path garbage = write("garbage.token", "not a token\n");
  const auto unreadable = revoke({"--token-file", garbage.string()});
  EXPECT_EQ(unreadable.exit_code, 2);
  EXPECT_NE(unreadable.err.find("not a JWT"), std::string::npos) << unreadable.err;
}

// The discovery document over plain HTTP, where the Host header is whatever the client writes.
class DiscoveryUrl : public ApiTest {
 protected:
  void configure(DpsConfigSpec& spec) override {
    ApiTest::configure(spec);
    spec.http_tls = false;
  }

  std::pair<unsigned, std::string> get_with_host(const std::string& target,
                                                 const std::string& host) const {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.connect(asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), dps_->api_port()));
    bhttp::request<bhttp::empty_body> request{bhttp::verb::get, target, 11};
    request.set(bhttp::field::host, host);
    bhttp::write(stream, request);
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> response;
    bhttp::read(stream, buffer, response);
    return {response.result_int(), response.body()};
  }

  /// Restarts dps with apis.http.publicUrl set to `url`.
  void restart_with_public_url(const std::string& url) {
    stop_dps();
    std::string yaml = render_config(spec_);
    const std::string anchor = "  http:\n    enabled: true\n";
    const size_t at = yaml.find(anchor);
    ASSERT_NE(at, std::string::npos) << yaml;
    yaml.insert(at + anchor.size(), "    publicUrl: \"" + url + "\"\n");
    config_path_ = write("config-public-url.yaml", yaml);
    dps_ = DpsProcess::start(config_path_, dir_.path() / "dps-public-url.log", 20s, true);
  }
};

TEST_F(DiscoveryUrl, ForgedHostGetsTheConfiguredIssuerAndJwksUri) {
  restart_with_public_url("https://dps.example.com:8443/");
  for (const std::string host : {"attacker.example", "127.0.0.1:1", ""}) {
    const auto [status, body] = get_with_host("/.well-known/openid-configuration", host);
    ASSERT_EQ(status, 200u) << body;
    const json doc = json::parse(body);
    EXPECT_EQ(doc.value("issuer", ""), "dps") << host;  // tokens.issuer's default
    EXPECT_EQ(doc.value("jwks_uri", ""), "https://dps.example.com:8443/.well-known/jwks.json")
        << host;
    EXPECT_EQ(body.find("attacker"), std::string::npos) << body;
  }
}

TEST_F(DiscoveryUrl, DefaultComesFromTheListenAddressNotTheHost) {
  const auto [status, body] =
      get_with_host("/.well-known/openid-configuration", "attacker.example");
  ASSERT_EQ(status, 200u) << body;
  // apis.http.address is 127.0.0.1:0 in these tests: the kernel's port is not known up front.
  EXPECT_EQ(json::parse(body).value("jwks_uri", ""), "http://127.0.0.1/.well-known/jwks.json");
}

TEST_F(DiscoveryUrl, MalformedPublicUrlStopsStartWithItsKey) {
  stop_dps();
  std::string yaml = render_config(spec_);
  const std::string anchor = "  http:\n    enabled: true\n";
  yaml.insert(yaml.find(anchor) + anchor.size(), "    publicUrl: \"ftp://dps.example.com\"\n");
  const auto out =
      run_process({dps_binary().string(), "--config", write("bad-public-url.yaml", yaml).string()});
  EXPECT_NE(out.exit_code, 0);
  EXPECT_NE(out.err.find("apis.http.publicUrl: URL \"ftp://dps.example.com\": scheme must be http "
                         "or https"),
            std::string::npos)
      << out.err;
}

}  // namespace
}  // namespace dps::itest
