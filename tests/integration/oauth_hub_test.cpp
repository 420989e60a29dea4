// A hub whose tokens come from its OAuth2 authority (plgd's way, issue 13): a real oidc-provider
// (support/oauth_server.hpp) issues the device's hub token by client credentials, with the
// group's owner and the device's id as claims; the authority down is a 5.03 the device retries,
// and devices succeed again without a restart of dps when it is back.

#include <fstream>
#include <future>
#include <thread>

#include "auth/base64url.hpp"
#include "common/data_uri.hpp"
#include "support/api_fixture.hpp"
#include "support/oauth_server.hpp"

namespace dps::itest {
namespace {

using nlohmann::json;

constexpr const char* kDeviceIdClaim = "https://plgd.dev/deviceId";

json jwt_claims(const std::string& jwt) {
  const size_t first = jwt.find('.');
  const size_t second = jwt.find('.', first + 1);
  const auto payload = auth::base64url_decode(jwt.substr(first + 1, second - first - 1));
  return json::parse(payload.value_or("null"), nullptr, /*allow_exceptions=*/false);
}

class OAuthHub : public ApiTest {
 protected:
  static void SetUpTestSuite() { oauth_ = new test::OAuthServer(); }
  static void TearDownTestSuite() {
    delete oauth_;
    oauth_ = nullptr;
  }
  void SetUp() override {
    oauth_->set_fault(test::OAuthServer::Fault::None);
    oauth_->set_delay(std::chrono::milliseconds(0));
    DpsTest::SetUp();
  }

  /// kApiHub with an OAuth2 client of the test authority, as a plgd hub configures it.
  static json oauth_hub_body() {
    json hub = hub_body(kApiHub);
    hub["authorization"] = {{"ownerClaim", kPlgdOwnerClaim},
                            {"deviceIdClaim", kDeviceIdClaim},
                            {"provider",
                             {{"name", "plgd"},
                              {"authority", oauth_->authority()},
                              {"clientId", oauth_->client_id()},
                              {"clientSecret", encode_data_uri(oauth_->client_secret())},
                              {"scopes", {"hub"}},
                              {"audience", "https://hub.test/api"}}}};
    return hub;
  }

  void enroll_with_oauth_hub() {
    create(kHubsPath, oauth_hub_body(), kOwnerA);
    create(kGroupsPath, group_body(kApiHub), kOwnerA);
  }

  static test::OAuthServer* oauth_;
};

test::OAuthServer* OAuthHub::oauth_ = nullptr;

TEST_F(OAuthHub, DeviceGetsItsHubTokenFromTheAuthorityWithItsOwnerAndDeviceId) {
  enroll_with_oauth_hub();
  const int before = oauth_->counts().token;
  const auto device = provision(api_mfg_tls());
  ASSERT_TRUE(device.ok) << device.error;
  EXPECT_EQ(device.hub.apn, "plgd");
  const json claims = jwt_claims(device.hub.at);
  ASSERT_TRUE(claims.is_object()) << device.hub.at;
  EXPECT_EQ(claims.value("iss", ""), oauth_->authority()) << "issued by the hub's authority";
  EXPECT_EQ(claims.value(kPlgdOwnerClaim, ""), kOwnerA);
  EXPECT_EQ(claims.value(kDeviceIdClaim, ""), device.device_id);
  EXPECT_EQ(claims.value("aud", ""), "https://hub.test/api");
  EXPECT_EQ(oauth_->counts().token - before, 1);

  // The same device again: its token comes from dps's cache.
  const auto again = provision(api_mfg_tls());
  ASSERT_TRUE(again.ok) << again.error;
  EXPECT_EQ(again.hub.at, device.hub.at);
  EXPECT_EQ(oauth_->counts().token - before, 1);
}

TEST_F(OAuthHub, AuthorityDownIsA503TheDeviceRetriesAndBackIsServedWithoutRestart) {
  enroll_with_oauth_hub();
  oauth_->set_fault(test::OAuthServer::Fault::Status500);
  const auto refused = provision(api_mfg_tls());
  ASSERT_FALSE(refused.ok);
  EXPECT_EQ(refused.failed_step, device::Step::CloudConfiguration) << refused.error;
  EXPECT_NE(refused.error.find("5.03"), std::string::npos) << refused.error;
  // The record names the step's failure, without the authority's answer (the hub owner's
  // choice of endpoint, so a probe of dps's network); the log has it.
  const auto records = list(kRecordsPath, token_of(kOwnerA));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_NE(records[0].dump().find("unavailable (no usable answer"), std::string::npos)
      << records[0].dump();
  EXPECT_EQ(records[0].dump().find("HTTP 500"), std::string::npos) << records[0].dump();
  EXPECT_NE(dps_->log().find("HTTP 500"), std::string::npos);

  // Counted and logged naming the hub.
  EXPECT_NE(dps_->log().find(std::string("hub ") + kApiHub + " token from"), std::string::npos);
  const auto metrics = call(Verb::get, "/metrics", "");
  EXPECT_NE(metrics.body.find("dps_hub_token_failures_total{reason=\"unavailable\"} 1"),
            std::string::npos)
      << metrics.body;

  oauth_->set_fault(test::OAuthServer::Fault::None);
  const auto served = provision(api_mfg_tls());
  EXPECT_TRUE(served.ok) << served.error;
}

TEST_F(OAuthHub, SlowAuthorityHoldsNoIoThreadAndEndsIn503AtTheTimeout) {
  enroll_with_oauth_hub();
  // Past dps's 5 s per-request deadline. Three devices wait on it at once (three claim sets: one
  // fetch each), more than dps has I/O threads on this machine.
  oauth_->set_delay(std::chrono::milliseconds(6500));
  std::vector<std::future<device::ProvisionResult>> slow;
  for (int i = 0; i < 3; ++i) {
    const auto tls =
        tls_for(api_mfg_leaf("itest slow " + std::to_string(i)), &api_mfg_.intermediate);
    slow.push_back(std::async(std::launch::async, [this, tls] { return provision(tls); }));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let them reach the authority
  // A device of the config file's group (a hub with dps-minted tokens) is served meanwhile.
  const auto other = provision(default_tls());
  EXPECT_TRUE(other.ok) << other.error;
  for (auto& f : slow) {
    EXPECT_EQ(f.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
        << "the unrelated device was served only after a slow one ended: the slow authority "
           "held dps's I/O threads";
  }
  for (auto& f : slow) {
    const auto result = f.get();
    EXPECT_FALSE(result.ok);
    EXPECT_NE(result.error.find("5.03"), std::string::npos) << result.error;
  }
  oauth_->set_delay(std::chrono::milliseconds(0));
}

TEST_F(OAuthHub, ClientTheAuthorityRefusesIsA400NamingTheOAuthError) {
  json hub = oauth_hub_body();
  hub["authorization"]["provider"]["clientSecret"] = encode_data_uri("not the secret");
  create(kHubsPath, hub, kOwnerA);
  create(kGroupsPath, group_body(kApiHub), kOwnerA);
  const auto refused = provision(api_mfg_tls());
  ASSERT_FALSE(refused.ok);
  EXPECT_EQ(refused.failed_step, device::Step::CloudConfiguration) << refused.error;
  EXPECT_NE(refused.error.find("4.00"), std::string::npos) << refused.error;
  EXPECT_NE(refused.error.find("invalid_client"), std::string::npos) << refused.error;
  EXPECT_EQ(refused.error.find("not the secret"), std::string::npos) << "no secret to the device";
}

// An authority behind a private CA, as plgd's chart deploys one: the hub's
// authorization.provider.http.tls.caPool verifies it; without it the system CAs do not, and the
// device is told to retry (5.03) while the record names the TLS failure.
TEST_F(OAuthHub, AuthorityBehindAPrivateCaIsReachedThroughTheHubsCaPool) {
  const test::TestCa private_root = test::make_root_ca("itest private authority root");
  const test::TestCert certificate = test::make_loopback_server_certificate(private_root);
  test::OAuthServerOptions options;
  options.tls_cert_pem = certificate.cert_pem();
  options.tls_key_pem = certificate.key_pem();
  test::OAuthServer https_authority(options);
  ASSERT_EQ(https_authority.authority().rfind("https://", 0), 0u) << https_authority.authority();

  json hub = oauth_hub_body();
  hub["authorization"]["provider"]["authority"] = https_authority.authority();
  hub["authorization"]["provider"]["clientId"] = https_authority.client_id();
  hub["authorization"]["provider"]["clientSecret"] =
      encode_data_uri(https_authority.client_secret());
  create(kHubsPath, hub, kOwnerA);
  create(kGroupsPath, group_body(kApiHub), kOwnerA);
  const auto untrusted = provision(api_mfg_tls());
  ASSERT_FALSE(untrusted.ok);
  EXPECT_EQ(untrusted.failed_step, device::Step::CloudConfiguration) << untrusted.error;
  EXPECT_NE(untrusted.error.find("5.03"), std::string::npos) << untrusted.error;
  const auto records = list(kRecordsPath, token_of(kOwnerA));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_NE(records[0].dump().find("unavailable"), std::string::npos) << records[0].dump();
  EXPECT_NE(dps_->log().find("certificate verify failed"), std::string::npos);

  hub["authorization"]["provider"]["http"] = {{"tls", {{"caPool", {private_root.cert_pem()}}}}};
  std::string record_id;
  for (const auto& stored : list(kHubsPath, token_of(kOwnerA))) record_id = stored.value("id", "");
  const auto updated =
      call(Verb::put, std::string(kHubsPath) + "/" + record_id, token_of(kOwnerA), hub.dump());
  ASSERT_EQ(updated.status, 200u) << updated.body;
  const auto trusted = provision(api_mfg_tls());
  ASSERT_TRUE(trusted.ok) << trusted.error;
  EXPECT_EQ(jwt_claims(trusted.hub.at).value("iss", ""), https_authority.authority());
}

// A hub of the config file reads its clientSecretFile again when the file changes (plgd's DPS
// watches it too): a rotated secret is used from the next token fetch without a restart, and a
// file that disappears mid-rotation keeps the last secret rather than failing every device.
class OAuthConfigHub : public OAuthHub {
 protected:
  void configure(DpsConfigSpec& spec) override {
    OAuthHub::configure(spec);
    secret_file_ = spec.data_dir.parent_path() / "client.secret";
    write_secret("not the secret yet");
    GroupSpec group;
    group.id = "c0c0c0c0-0000-4000-8000-0000000000c1";
    group.owner = kOwnerA;
    group.chain_file = write("config-oauth-chain.pem", mfg_.chain_pem());
    HubSpec hub;
    hub.hub_id = "c1c1c1c1-0000-4000-8000-0000000000c1";
    hub.gateways = {kGatewayA};
    hub.authority = oauth_->authority();
    hub.client_id = oauth_->client_id();
    hub.client_secret_file = secret_file_;
    hub.device_id_claim = kDeviceIdClaim;  // one fetch per device: every device reads the file
    hub.audience = "https://hub.test/api";
    group.hubs = {hub};
    spec.groups = {group};
  }
  test::TestCert leaf(const std::string& cn) const {
    test::LeafOptions options;
    options.common_name = cn;
    return test::make_leaf(mfg_.intermediate, options);
  }
  void write_secret(const std::string& secret) {
    std::ofstream(secret_file_, std::ios::binary | std::ios::trunc) << secret;
  }
  std::filesystem::path secret_file_;
};

TEST_F(OAuthConfigHub, SecretFileIsReadAgainWhenItChangesAndKeptWhenItDisappears) {
  const auto wrong = provision(default_tls());
  ASSERT_FALSE(wrong.ok);
  EXPECT_NE(wrong.error.find("invalid_client"), std::string::npos) << wrong.error;

  write_secret(oauth_->client_secret());
  const auto rotated = provision(tls_for(leaf("itest rotated"), &mfg_.intermediate));
  ASSERT_TRUE(rotated.ok) << rotated.error;
  EXPECT_EQ(jwt_claims(rotated.hub.at).value("iss", ""), oauth_->authority());

  std::filesystem::remove(secret_file_);
  const auto vanished = provision(tls_for(leaf("itest vanished"), &mfg_.intermediate));
  EXPECT_TRUE(vanished.ok) << vanished.error;
}

}  // namespace
}  // namespace dps::itest
