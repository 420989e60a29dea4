// The management API over real HTTPS (management-api.md): dps started with apis.http enabled,
// driven by a Beast client that trusts <dataDirectory>/ca.pem, with admin tokens the test mints
// from dps's own signing key. Changes made through the API reach the next device handshake.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <sstream>

#include "auth/admin_token.hpp"
#include "auth/embedded_token_minter.hpp"
#include "support/dps_fixture.hpp"

namespace dps::itest {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;

constexpr const char* kOwnerA = "5a5a5a5a-0000-4000-8000-00000000000a";
constexpr const char* kOwnerB = "5b5b5b5b-0000-4000-8000-00000000000b";
constexpr const char* kApiHub = "d4d4d4d4-0000-4000-8000-000000000004";
constexpr const char* kLocalGateway = "coaps+tcp://127.0.0.1:5684";

struct HttpAnswer {
  unsigned status = 0;
  std::string body;

  json object() const { return json::parse(body, nullptr, false); }
  /// The objects of a stream answer, one `{"result": ...}` (or `{"error": ...}`) per line.
  std::vector<json> lines() const {
    std::vector<json> out;
    std::istringstream in(body);
    for (std::string line; std::getline(in, line);) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      out.push_back(json::parse(line, nullptr, false));
    }
    return out;
  }
};

class ApiHttp : public DpsTest {
 protected:
  void configure(DpsConfigSpec& spec) override {
    spec.http_enabled = true;
    // Enrolled only through the API, by the tests.
    api_mfg_ = make_manufacturer("itest api mfg");
  }

  /// An admin token for `owner`, minted with the signing key dps created in its data directory.
  std::string token_of(const std::string& owner) {
    auto minter =
        auth::EmbeddedTokenMinter::load_or_create(spec_.data_dir, "dps", std::chrono::hours(1));
    if (!minter) throw std::runtime_error("minter: " + minter.error().internal);
    auto token = auth::mint_admin_token(**minter, {owner, "sub", ""});
    if (!token) throw std::runtime_error("token: " + token.error().internal);
    return *token;
  }

  /// One request over a fresh TLS connection that verifies dps's certificate against ca.pem.
  HttpAnswer call(http::verb method, const std::string& target, const std::string& token,
                  const std::string& body = "") {
    asio::io_context io;
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.add_certificate_authority(asio::buffer(server_ca_pem_));
    ctx.set_verify_mode(asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
    const uint16_t port = dps_->api_port();
    stream.next_layer().socket().connect(
        asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), port));
    stream.handshake(asio::ssl::stream_base::client);
    http::request<http::string_body> request{method, target, 11};
    request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    if (!token.empty()) request.set(http::field::authorization, "Bearer " + token);
    if (!body.empty()) {
      request.set(http::field::content_type, "application/json");
      request.body() = body;
    }
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    beast::error_code ignored;
    stream.next_layer().socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    return {response.result_int(), response.body()};
  }

  static json hub_body(const std::string& hub_id) {
    return {{"hubId", hub_id},
            {"gateways", {kLocalGateway}},
            {"authorization",
             {{"ownerClaim", "https://plgd.dev/owner"}, {"provider", {{"name", "plgd"}}}}}};
  }

  json group_body(const std::string& hub_id) const {
    return {{"attestationMechanism", {{"x509", {{"certificateChain", api_mfg_.chain_pem()}}}}},
            {"hubIds", {hub_id}}};
  }

  /// Creates kApiHub and a group of api_mfg_ for `owner`; returns the created group.
  json enroll_api_mfg(const std::string& owner) {
    const std::string token = token_of(owner);
    const auto hub = call(http::verb::post, "/api/v1/hubs", token, hub_body(kApiHub).dump());
    EXPECT_EQ(hub.status, 200u) << hub.body;
    const auto group =
        call(http::verb::post, "/api/v1/enrollment-groups", token, group_body(kApiHub).dump());
    EXPECT_EQ(group.status, 200u) << group.body;
    return group.object();
  }

  device::ClientTlsOptions api_mfg_tls() const {
    return tls_for(api_mfg_.device, &api_mfg_.intermediate);
  }

  Manufacturer api_mfg_;
};

TEST_F(ApiHttp, HealthAndDiscoveryAreOpenButTheApiNeedsAToken) {
  const auto health = call(http::verb::get, "/healthz", "");
  EXPECT_EQ(health.status, 200u) << health.body;

  const auto discovery = call(http::verb::get, "/.well-known/openid-configuration", "");
  ASSERT_EQ(discovery.status, 200u) << discovery.body;
  const auto doc = discovery.object();
  ASSERT_TRUE(doc.is_object()) << discovery.body;
  EXPECT_TRUE(doc.contains("jwks_uri") && doc["jwks_uri"].is_string()) << discovery.body;

  const auto anonymous = call(http::verb::get, "/api/v1/enrollment-groups", "");
  EXPECT_EQ(anonymous.status, 401u) << anonymous.body;
  const auto error = anonymous.object();
  ASSERT_TRUE(error.is_object()) << anonymous.body;
  EXPECT_EQ(error.value("code", -1), 16) << anonymous.body;
  EXPECT_TRUE(error.contains("message")) << anonymous.body;
}

TEST_F(ApiHttp, GroupCreatedThroughTheApiProvisionsTheNextDevice) {
  std::string why;
  EXPECT_TRUE(handshake_refused(api_mfg_tls(), &why)) << "not enrolled yet, yet: " << why;

  const auto group = enroll_api_mfg(kOwnerA);
  ASSERT_TRUE(group.is_object() && group.contains("id")) << group.dump();

  const auto result = provision(api_mfg_tls());
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.hub.sid, kApiHub);
  EXPECT_EQ(result.hub.cis, kLocalGateway);

  const auto records =
      call(http::verb::get, "/api/v1/provisioning-records", token_of(kOwnerA)).lines();
  ASSERT_EQ(records.size(), 1u);
  ASSERT_TRUE(records[0].contains("result")) << records[0].dump();
  EXPECT_EQ(records[0]["result"].value("deviceId", ""), result.device_id) << records[0].dump();
  EXPECT_EQ(records[0]["result"].value("enrollmentGroupId", ""), group["id"].get<std::string>());
}

TEST_F(ApiHttp, AnotherOwnerCannotSeeChangeOrDeleteAGroup) {
  const auto group = enroll_api_mfg(kOwnerA);
  ASSERT_TRUE(group.is_object() && group.contains("id")) << group.dump();
  const std::string id = group["id"];
  const std::string token_a = token_of(kOwnerA);
  const std::string token_b = token_of(kOwnerB);
  const auto before = call(http::verb::get, "/api/v1/enrollment-groups", token_a).lines();
  ASSERT_EQ(before.size(), 1u);

  const auto listed = call(http::verb::get, "/api/v1/enrollment-groups", token_b);
  EXPECT_EQ(listed.status, 200u) << listed.body;
  EXPECT_TRUE(listed.lines().empty()) << listed.body;

  auto changed = group_body(kApiHub);
  changed["disabled"] = true;
  const auto put =
      call(http::verb::put, "/api/v1/enrollment-groups/" + id, token_b, changed.dump());
  EXPECT_EQ(put.status, 404u) << put.body;
  const auto erased =
      call(http::verb::delete_, "/api/v1/enrollment-groups?idFilter=" + id, token_b);
  EXPECT_EQ(erased.status, 404u) << erased.body;

  const auto after = call(http::verb::get, "/api/v1/enrollment-groups", token_a).lines();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0], before[0]);
  EXPECT_TRUE(provision(api_mfg_tls()).ok) << "owner A's group still provisions";
}

TEST_F(ApiHttp, GroupDisabledThroughTheApiRefusesTheNextDevice) {
  const auto group = enroll_api_mfg(kOwnerA);
  ASSERT_TRUE(group.is_object() && group.contains("id")) << group.dump();
  const auto first = provision(api_mfg_tls());
  ASSERT_TRUE(first.ok) << first.error;

  auto disabled = group_body(kApiHub);
  disabled["disabled"] = true;
  const auto put =
      call(http::verb::put, "/api/v1/enrollment-groups/" + group["id"].get<std::string>(),
           token_of(kOwnerA), disabled.dump());
  ASSERT_EQ(put.status, 200u) << put.body;
  EXPECT_EQ(put.object().value("disabled", false), true) << put.body;

  std::string why;
  EXPECT_TRUE(handshake_refused(api_mfg_tls(), &why)) << "disabled group, yet: " << why;
  expect_server_serves();  // the config group of mfg_ is untouched
}

}  // namespace
}  // namespace dps::itest
