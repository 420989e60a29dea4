// A hub as plgd deploys it (issue 13): tokens from its OAuth2 authority (a real oidc-provider)
// and identity certificates from plgd's certificate-authority service over gRPC (the stand-in of
// support/plgd_ca_server.hpp, which verifies dps's bearer token against the authority's JWKS).
// The device leaves dps with a certificate that chains to the hub's CA, not to dps's, and with
// that CA as its trust anchor; a CA that is down, slow or refusing is a clear answer to the
// device, a record entry and a metric, and nothing else is disturbed.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <future>
#include <thread>

#include "pki/pem.hpp"
#include "support/api_fixture.hpp"
#include "support/metrics_scrape.hpp"
#include "support/oauth_server.hpp"
#include "support/plgd_ca_server.hpp"

namespace dps::itest {
namespace {

using nlohmann::json;
using test::chains_to;

constexpr const char* kOwnerClaim = "https://plgd.dev/owner";

std::string data_uri(const std::string& secret) {
  std::string out(4 * ((secret.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(secret.data()),
                                static_cast<int>(secret.size()));
  out.resize(static_cast<size_t>(n));
  return "data:;base64," + out;
}

bool has_ocf_identity_eku(const std::string& chain_pem) {
  auto chain = pki::parse_certificates_pem(chain_pem);
  if (!chain || chain->empty()) return false;
  auto* usages = static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(chain->front().get(), NID_ext_key_usage, nullptr, nullptr));
  bool found = false;
  for (int i = 0; usages && i < sk_ASN1_OBJECT_num(usages); ++i) {
    char text[64];
    OBJ_obj2txt(text, sizeof text, sk_ASN1_OBJECT_value(usages, i), 1);
    found = found || std::string(text) == "1.3.6.1.4.1.44924.1.6";
  }
  EXTENDED_KEY_USAGE_free(usages);
  return found;
}

class PlgdCa : public ApiTest {
 protected:
  static void SetUpTestSuite() {
    oauth_ = new test::OAuthServer();
    ca_ = new test::PlgdCaServer({oauth_->authority(), kOwnerClaim, kApiHub, ""});
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete oauth_;
    ca_ = nullptr;
    oauth_ = nullptr;
  }
  void SetUp() override {
    ca_->set_fault(test::PlgdCaServer::Fault::None);
    ca_->set_delay(std::chrono::milliseconds(0));
    ca_->start();
    DpsTest::SetUp();
  }

  /// kApiHub as a plgd hub is configured: an OAuth2 client and plgd's certificate authority.
  static json plgd_hub_body(const std::string& hub_id = kApiHub) {
    json hub = hub_body(hub_id);
    hub["authorization"] = {{"ownerClaim", kOwnerClaim},
                            {"provider",
                             {{"name", "plgd"},
                              {"authority", oauth_->authority()},
                              {"clientId", oauth_->client_id()},
                              {"clientSecret", data_uri(oauth_->client_secret())},
                              {"scopes", {"hub"}},
                              {"audience", "https://hub.test/api"}}}};
    hub["certificateAuthority"] = {
        {"grpc", {{"address", ca_->address()}, {"tls", {{"caPool", {ca_->tls_root_pem()}}}}}}};
    return hub;
  }

  void enroll_with_plgd_hub() {
    create(kHubsPath, plgd_hub_body(), kOwnerA);
    create(kGroupsPath, group_body(kApiHub), kOwnerA);
  }

  std::string metrics() { return call(Verb::get, "/metrics", "").body; }

  static test::OAuthServer* oauth_;
  static test::PlgdCaServer* ca_;
};

test::OAuthServer* PlgdCa::oauth_ = nullptr;
test::PlgdCaServer* PlgdCa::ca_ = nullptr;

TEST_F(PlgdCa, IdentityCertificateComesFromTheHubsCaOverTls13And12) {
  enroll_with_plgd_hub();
  const int signed_before = ca_->signed_count();
  for (const bool tls12 : {false, true}) {
    SCOPED_TRACE(tls12 ? "TLS 1.2" : "TLS 1.3");
    const auto leaf = api_mfg_leaf(std::string("itest plgd ca ") + (tls12 ? "12" : "13"));
    const auto device = provision(tls_for(leaf, &api_mfg_.intermediate, tls12));
    ASSERT_TRUE(device.ok) << device.error;
    const auto& creds = device.credentials;
    EXPECT_TRUE(chains_to(creds.cert_chain_pem, ca_->signing_root_pem()))
        << "the identity certificate is the hub CA's:\n"
        << creds.cert_chain_pem;
    EXPECT_FALSE(
        chains_to(creds.cert_chain_pem, pki::read_file(spec_.data_dir / "ca.pem").value_or("")))
        << "not dps's built-in CA's";
    EXPECT_TRUE(has_ocf_identity_eku(creds.cert_chain_pem));
    EXPECT_EQ(creds.trust_ca_pem, ca_->signing_root_pem()) << "the hub CA's root is the anchor";
    EXPECT_EQ(device.hub.apn, "plgd");
  }
  EXPECT_EQ(ca_->signed_count(), signed_before + 2);
  EXPECT_EQ(ca_->last_owner(), kOwnerA) << "the CA saw the hub's token for the group's owner";
}

// The dps-device tool, as an operator would try it, over TLS 1.3 and 1.2: its report carries the
// hub CA's certificate and root.
TEST_F(PlgdCa, DpsDeviceToolGetsTheHubCasCertificateOverTls13And12) {
  enroll_with_plgd_hub();
  for (const bool tls12 : {false, true}) {
    SCOPED_TRACE(tls12 ? "TLS 1.2" : "TLS 1.3");
    const auto leaf = api_mfg_leaf(std::string("itest plgd ca tool ") + (tls12 ? "12" : "13"));
    std::vector<std::string> args = {
        dps_device_binary().string(),
        "provision",
        "--server",
        "127.0.0.1:" + std::to_string(dps_->port()),
        "--cert",
        write("tool.pem", leaf.cert_pem() + api_mfg_.intermediate.cert_pem()).string(),
        "--key",
        write("tool.key", leaf.key_pem()).string(),
        "--ca",
        (spec_.data_dir / "ca.pem").string(),
        "--json"};
    if (tls12) args.push_back("--tls12");
    const auto out = run_process(args);
    ASSERT_EQ(out.exit_code, 0) << out.out << out.err;
    const auto report = json::parse(out.out, nullptr, false);
    ASSERT_TRUE(report.is_object()) << out.out;
    const auto& creds = report["credentials"];
    EXPECT_TRUE(chains_to(creds.value("certificateChainPem", ""), ca_->signing_root_pem()));
    EXPECT_EQ(creds.value("trustCaPem", ""), ca_->signing_root_pem());
  }
}

TEST_F(PlgdCa, CaDownIsA503AndDevicesSucceedWhenItIsBackWithoutRestart) {
  enroll_with_plgd_hub();
  ca_->stop();
  const auto refused = provision(api_mfg_tls());
  ASSERT_FALSE(refused.ok);
  EXPECT_EQ(refused.failed_step, device::Step::Credentials) << refused.error;
  EXPECT_NE(refused.error.find("5.03"), std::string::npos) << refused.error;
  const auto records = list(kRecordsPath, token_of(kOwnerA));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_NE(records[0].dump().find("certificate authority answered DEADLINE_EXCEEDED"),
            std::string::npos)
      << records[0].dump();
  EXPECT_NE(metrics().find("dps_hub_ca_failures_total{reason=\"unavailable\"} 1"),
            std::string::npos);
  EXPECT_NE(dps_->log().find(std::string("hub ") + kApiHub + " certificate authority"),
            std::string::npos);

  ca_->start();
  const auto served = provision(api_mfg_tls());
  EXPECT_TRUE(served.ok) << served.error;
}

TEST_F(PlgdCa, SlowCaHoldsNoIoThreadAndEndsIn503) {
  enroll_with_plgd_hub();
  ca_->set_delay(std::chrono::milliseconds(6500));  // past dps's 5 s deadline per call
  auto slow = std::async(std::launch::async, [this] { return provision(api_mfg_tls()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto other = provision(default_tls());  // the config file's hub: built-in CA
  EXPECT_TRUE(other.ok) << other.error;
  EXPECT_EQ(slow.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
      << "an unrelated device waited for the slow certificate authority";
  const auto result = slow.get();
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("5.03"), std::string::npos) << result.error;
}

TEST_F(PlgdCa, CaRefusingIsA400WithItsReasonInTheAnswerAndTheRecord) {
  enroll_with_plgd_hub();
  ca_->set_fault(test::PlgdCaServer::Fault::Refuse);
  const auto refused = provision(api_mfg_tls());
  ASSERT_FALSE(refused.ok);
  EXPECT_EQ(refused.failed_step, device::Step::Credentials) << refused.error;
  EXPECT_NE(refused.error.find("4.00"), std::string::npos) << refused.error;
  EXPECT_NE(refused.error.find("refused by the test"), std::string::npos) << refused.error;
  const auto records = list(kRecordsPath, token_of(kOwnerA));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_NE(records[0].dump().find("refused by the test"), std::string::npos) << records[0].dump();
  EXPECT_NE(metrics().find("dps_hub_ca_failures_total{reason=\"refused\"} 1"), std::string::npos);
}

// A CA gone wrong (or someone in the middle of it): what it answers reaches the device only when
// it is a certificate for the CSR's key and device id, followed by its CA.
TEST_F(PlgdCa, AnswerForAnotherKeyOrWithoutItsCaNeverReachesTheDevice) {
  enroll_with_plgd_hub();
  for (const auto fault :
       {test::PlgdCaServer::Fault::OtherKey, test::PlgdCaServer::Fault::LeafAlone}) {
    ca_->set_fault(fault);
    const auto refused = provision(api_mfg_tls());
    ASSERT_FALSE(refused.ok);
    EXPECT_EQ(refused.failed_step, device::Step::Credentials) << refused.error;
    EXPECT_NE(refused.error.find("5.00"), std::string::npos) << refused.error;
    EXPECT_TRUE(refused.credentials.cert_chain_pem.empty());
  }
  const auto records = list(kRecordsPath, token_of(kOwnerA));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_NE(records[0].dump().find("without its CA"), std::string::npos) << records[0].dump();
  EXPECT_NE(metrics().find("dps_hub_ca_failures_total{reason=\"failed\"} 2"), std::string::npos);
  EXPECT_NE(dps_->log().find("a certificate for another key than the CSR's"), std::string::npos);
}

// plgd's CA keeps a signing record per owner and common name: the same device provisioned
// again with a fresh key while its first certificate is valid is refused, and the device (and the
// record) are told the CA's reason.
TEST_F(PlgdCa, ReprovisioningWithANewKeyIsRefusedByTheCaWithItsReason) {
  enroll_with_plgd_hub();
  auto config = device_config();
  config.device_id = "0d0d0d0d-0000-4000-8000-00000000c0de";
  const auto first = provision(api_mfg_tls(), config);
  ASSERT_TRUE(first.ok) << first.error;
  const auto again = provision(api_mfg_tls(), config);  // the device makes a new key each run
  ASSERT_FALSE(again.ok);
  EXPECT_EQ(again.failed_step, device::Step::Credentials) << again.error;
  EXPECT_NE(again.error.find("4.00"), std::string::npos) << again.error;
  EXPECT_NE(again.error.find("different public key"), std::string::npos) << again.error;
}

// Owner B names owner A's certificate authority for a hub of its own, with dps-minted tokens:
// the CA does not accept them (they are not from its authority), B's device is refused without
// the CA signing anything, and A's devices keep being served by the same CA. B's hub has a client
// of its own: it cannot ride A's connection or A's token.
TEST_F(PlgdCa, AnotherOwnersHubNamingTheSameCaGetsNothingFromIt) {
  enroll_with_plgd_hub();
  json hub_b = hub_body(kApiHub2);
  hub_b["certificateAuthority"] = plgd_hub_body()["certificateAuthority"];
  create(kHubsPath, hub_b, kOwnerB);
  const Manufacturer mfg_b = make_manufacturer("itest owner b");
  create(kGroupsPath, group_body(mfg_b, {kApiHub2}), kOwnerB);

  const int signed_before = ca_->signed_count();
  const auto b_device = provision(tls_for(mfg_b.device, &mfg_b.intermediate));
  ASSERT_FALSE(b_device.ok);
  EXPECT_EQ(b_device.failed_step, device::Step::Credentials) << b_device.error;
  EXPECT_NE(b_device.error.find("4.03"), std::string::npos) << b_device.error;
  EXPECT_EQ(ca_->signed_count(), signed_before);

  const auto a_device = provision(api_mfg_tls());
  EXPECT_TRUE(a_device.ok) << a_device.error;
  EXPECT_EQ(ca_->last_owner(), kOwnerA);
}

TEST_F(PlgdCa, HubDeletedWhileADeviceWaitsOnTheCaEndsCleanly) {
  enroll_with_plgd_hub();
  ca_->set_delay(std::chrono::milliseconds(1500));
  auto in_flight = std::async(std::launch::async, [this] { return provision(api_mfg_tls()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  // The hub first (the group still names it), as an operator might.
  std::string record_id;
  for (const auto& hub : list(kHubsPath, token_of(kOwnerA))) {
    if (hub.value("hubId", "") == kApiHub) record_id = hub.value("id", "");
  }
  ASSERT_FALSE(record_id.empty());
  const auto deleted =
      call(Verb::delete_, std::string(kHubsPath) + "?idFilter=" + record_id, token_of(kOwnerA));
  EXPECT_EQ(deleted.status, 200) << deleted.body;
  // The device in flight finishes the step it was in (its request pinned the hub) and is then
  // refused at the next step or connection with a 4.xx, never a hang or a 5.00.
  ASSERT_EQ(in_flight.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  const auto result = in_flight.get();
  if (!result.ok) {
    EXPECT_EQ(result.error.find("5.00"), std::string::npos) << result.error;
  }
  expect_server_serves();
}

}  // namespace
}  // namespace dps::itest
