// How the API listener starts: the local admin token dps creates on first start (the README's
// promise: usable at once, owner-only, never printed), and plain HTTP when TLS is turned off.
#include <sys/stat.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fstream>

#include "support/api_fixture.hpp"

namespace dps::itest {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class ApiAdminToken : public ApiTest {};

TEST_F(ApiAdminToken, FirstStartWritesAnOwnerOnlyTokenThatOpensTheApiForOwnerOne) {
  const auto file = spec_.data_dir / "admin.token";
  struct stat info {};
  ASSERT_EQ(::stat(file.c_str(), &info), 0) << file;
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  std::string token = read_text(file);
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  ASSERT_FALSE(token.empty());

  // Owner "1" (apis.http.adminToken.owner's default): what it creates belongs to "1".
  const auto created = call(Verb::post, kHubsPath, token, hub_body(kApiHub).dump());
  ASSERT_EQ(created.status, 200u) << created.body;
  EXPECT_EQ(created.object().value("owner", ""), "1") << created.body;
  const std::string id = created.object().value("id", "");
  bool listed_for_one = false;  // beside the config file's hub of owner "1"
  for (const auto& hub : list(kHubsPath, token_of("1")))
    listed_for_one |= hub.value("id", "") == id;
  EXPECT_TRUE(listed_for_one);
  EXPECT_TRUE(list(kHubsPath, token_of(kOwnerA)).empty());

  // Its path is announced; the token itself appears in no output.
  EXPECT_NE(dps_->output().find("admin token for owner \"1\" in " + file.string()),
            std::string::npos)
      << dps_->output();
  EXPECT_EQ(dps_->output().find(token), std::string::npos);
  EXPECT_EQ(dps_->log().find(token), std::string::npos);
}

TEST_F(ApiAdminToken, RestartKeepsTheSameToken) {
  const std::string before = read_text(spec_.data_dir / "admin.token");
  stop_dps();
  start_dps();
  EXPECT_EQ(read_text(spec_.data_dir / "admin.token"), before);
}

class ApiPlainHttp : public ApiTest {
 protected:
  void configure(DpsConfigSpec& spec) override {
    ApiTest::configure(spec);
    spec.http_tls = false;
  }

  // One plain HTTP/1.1 request (ApiClient speaks TLS only).
  std::pair<unsigned, std::string> plain_get(const std::string& target,
                                             const std::string& token = "") {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(10));
    stream.connect(asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), dps_->api_port()));
    bhttp::request<bhttp::empty_body> request{bhttp::verb::get, target, 11};
    request.set(bhttp::field::host, "127.0.0.1:" + std::to_string(dps_->api_port()));
    if (!token.empty()) request.set(bhttp::field::authorization, "Bearer " + token);
    bhttp::write(stream, request);
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> response;
    bhttp::read(stream, buffer, response);
    return {response.result_int(), response.body()};
  }
};

TEST_F(ApiPlainHttp, ServesTheApiWithoutTlsAndSaysSoInDiscovery) {
  const auto [health, health_body] = plain_get("/healthz");
  EXPECT_EQ(health, 200u) << health_body;
  const auto [status, body] = plain_get(kHubsPath, token_of(kOwnerA));
  EXPECT_EQ(status, 200u) << body;
  const auto [anonymous, anonymous_body] = plain_get(kHubsPath);
  EXPECT_EQ(anonymous, 401u) << anonymous_body;
  const auto [discovery, document] = plain_get("/.well-known/openid-configuration");
  ASSERT_EQ(discovery, 200u);
  // Derived from apis.http.address (127.0.0.1:0, so no port), never from the Host header.
  EXPECT_EQ(nlohmann::json::parse(document).value("jwks_uri", ""),
            "http://127.0.0.1/.well-known/jwks.json");
  // Operators are told the tokens now cross the network in clear text.
  EXPECT_NE(dps_->log().find("apis.http.tls.enabled is false"), std::string::npos);
}

}  // namespace
}  // namespace dps::itest
