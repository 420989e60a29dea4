// A hub as plgd deploys it (issue 13): tokens from its OAuth2 authority (a real oidc-provider)
// and identity certificates from plgd's certificate-authority service over gRPC (the stand-in of
// support/plgd_ca_server.hpp, which verifies dps's bearer token against the authority's JWKS).
// The device leaves dps with a certificate that chains to the hub's CA, not to dps's, and with
// that CA as its trust anchor; a CA that is down, slow or refusing is a clear answer to the
// device, a record entry and a metric, and nothing else is disturbed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <thread>

#include "common/data_uri.hpp"
#include "pki/pem.hpp"
#include "support/api_fixture.hpp"
#include "support/metrics_scrape.hpp"
#include "support/oauth_server.hpp"
#include "support/plgd_ca_server.hpp"

namespace dps::itest {
namespace {

using nlohmann::json;
using test::chains_to;

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
    ca_ = new test::PlgdCaServer({oauth_->authority(), kPlgdOwnerClaim, kApiHub, ""});
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
    hub["authorization"] = {{"ownerClaim", kPlgdOwnerClaim},
                            {"provider",
                             {{"name", "plgd"},
                              {"authority", oauth_->authority()},
                              {"clientId", oauth_->client_id()},
                              {"clientSecret", encode_data_uri(oauth_->client_secret())},
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
    // The record keeps what plgd keeps: the chain the device was sent, without its root.
    bool recorded = false;
    for (const auto& record : list(kRecordsPath, token_of(kOwnerA))) {
      if (record.value("deviceId", "") != device.device_id) continue;
      recorded = true;
      EXPECT_EQ(record["credential"].value("identityCertificatePem", ""), creds.cert_chain_pem);
    }
    EXPECT_TRUE(recorded) << device.device_id;
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

// plgd's certificateAuthority.grpc.tls.cert/key: a CA that requires client certificates serves
// the hub that presents one; the same hub without it is not served. No secret (the client key,
// the OAuth client secret, the bearer token) reaches dps's log or the records.
TEST_F(PlgdCa, MutualTlsToTheCaWithTheHubsClientCertificateAndNoSecretInLogsOrRecords) {
  const test::TestCa client_root = test::make_root_ca("itest plgd ca client root");
  test::LeafOptions leaf_options;
  leaf_options.common_name = "dps (client of the CA)";
  const test::TestCert client = test::make_leaf(client_root, leaf_options);
  test::PlgdCaServer strict(
      {oauth_->authority(), kPlgdOwnerClaim, kApiHub, client_root.cert_pem()});

  json hub = plgd_hub_body();
  hub["certificateAuthority"]["grpc"]["address"] = strict.address();
  hub["certificateAuthority"]["grpc"]["tls"] = {
      {"caPool", {strict.tls_root_pem()}}, {"cert", client.cert_pem()}, {"key", client.key_pem()}};
  create(kHubsPath, hub, kOwnerA);
  create(kGroupsPath, group_body(kApiHub), kOwnerA);
  const auto served = provision(api_mfg_tls());
  ASSERT_TRUE(served.ok) << served.error;
  EXPECT_TRUE(chains_to(served.credentials.cert_chain_pem, strict.signing_root_pem()));
  EXPECT_EQ(strict.signed_count(), 1);

  // The hub's owner reads its key back; the other owner does not see the hub at all.
  const auto mine = list(kHubsPath, token_of(kOwnerA));
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0]["certificateAuthority"]["grpc"]["tls"].value("key", ""), client.key_pem());
  EXPECT_TRUE(list(kHubsPath, token_of(kOwnerB)).empty());

  const std::string log = dps_->log();
  const std::string key_body = client.key_pem().substr(40, 40);  // inside the base64
  EXPECT_EQ(log.find(key_body), std::string::npos) << "client key in the log";
  EXPECT_EQ(log.find(oauth_->client_secret()), std::string::npos) << "client secret in the log";
  EXPECT_EQ(log.find(served.hub.at), std::string::npos) << "a bearer token in the log";
  const std::string records = list(kRecordsPath, token_of(kOwnerA)).at(0).dump();
  EXPECT_EQ(records.find(key_body), std::string::npos);
  EXPECT_EQ(records.find(oauth_->client_secret()), std::string::npos);
}

TEST_F(PlgdCa, CaRequiringAClientCertificateDoesNotServeAHubWithout) {
  const test::TestCa client_root = test::make_root_ca("itest plgd ca client root 2");
  test::PlgdCaServer strict(
      {oauth_->authority(), kPlgdOwnerClaim, kApiHub, client_root.cert_pem()});
  json hub = plgd_hub_body();
  hub["certificateAuthority"]["grpc"]["address"] = strict.address();
  hub["certificateAuthority"]["grpc"]["tls"] = {{"caPool", {strict.tls_root_pem()}}};
  create(kHubsPath, hub, kOwnerA);
  create(kGroupsPath, group_body(kApiHub), kOwnerA);
  const auto refused = provision(api_mfg_tls());
  ASSERT_FALSE(refused.ok);
  EXPECT_EQ(refused.failed_step, device::Step::Credentials) << refused.error;
  EXPECT_NE(refused.error.find("5.03"), std::string::npos) << refused.error;
  EXPECT_EQ(strict.signed_count(), 0);
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
  // The record (the hub owner's to read) says unavailable, without gRPC's connection detail,
  // which would tell a tenant what listens where in dps's network; the log has it.
  EXPECT_NE(records[0].dump().find("unavailable (no usable answer within the deadline)"),
            std::string::npos)
      << records[0].dump();
  EXPECT_EQ(records[0].dump().find("certificate authority answered"), std::string::npos);
  EXPECT_NE(dps_->log().find("certificate authority answered DEADLINE_EXCEEDED"), std::string::npos)
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
  ASSERT_TRUE(ca_->wait_for_calls(1, std::chrono::seconds(4))) << "the device never reached the CA";
  // While it waits inside the CA: a device of the config file's hub (built-in CA) is served.
  const auto other = provision(default_tls());
  EXPECT_TRUE(other.ok) << other.error;
  EXPECT_EQ(ca_->calls_in_flight(), 1) << "the unrelated device was served after the slow call";
  const auto result = slow.get();
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.failed_step, device::Step::Credentials) << result.error;
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
       {test::PlgdCaServer::Fault::OtherKey, test::PlgdCaServer::Fault::LeafAlone,
        test::PlgdCaServer::Fault::OtherCa}) {
    ca_->set_fault(fault);
    const auto refused = provision(api_mfg_tls());
    ASSERT_FALSE(refused.ok);
    EXPECT_EQ(refused.failed_step, device::Step::Credentials) << refused.error;
    EXPECT_NE(refused.error.find("5.00"), std::string::npos) << refused.error;
    EXPECT_TRUE(refused.credentials.cert_chain_pem.empty());
  }
  const auto records = list(kRecordsPath, token_of(kOwnerA));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_NE(records[0].dump().find("does not verify up to its last one"), std::string::npos)
      << records[0].dump();
  EXPECT_NE(metrics().find("dps_hub_ca_failures_total{reason=\"failed\"} 3"), std::string::npos);
  EXPECT_NE(dps_->log().find("does not verify up to its last one"), std::string::npos);
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

// A port that accepts connections (the kernel completes them into the backlog) and never
// answers: a certificate authority that hangs every call until the caller's deadline.
class BlackHole {
 public:
  BlackHole() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(fd_, 128) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("black hole: cannot listen");
    }
    port_ = ntohs(address.sin_port);
  }
  ~BlackHole() { ::close(fd_); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// Owner B points its hub at a certificate authority that never answers and sends many devices
// at once: they hold at most kOutboundCallsPerOwner of the threads that wait on the network (the
// others are told 5.03 at once), so owner A's devices, through A's own CA, are served meanwhile.
TEST_F(PlgdCa, OwnerWhoseCaNeverAnswersCannotStarveAnotherOwnersDevices) {
  enroll_with_plgd_hub();
  BlackHole hole;
  json hub_b = hub_body(kApiHub2);
  hub_b["certificateAuthority"] = {{"grpc", {{"address", hole.address()}}}};
  create(kHubsPath, hub_b, kOwnerB);
  const Manufacturer mfg_b = make_manufacturer("itest owner b flood");
  create(kGroupsPath, group_body(mfg_b, {kApiHub2}), kOwnerB);

  constexpr int kFlood = 12;  // more than the blocking pool's 16 threads hold for one owner
  std::vector<std::future<device::ProvisionResult>> flood;
  for (int i = 0; i < kFlood; ++i) {
    test::LeafOptions options;
    options.common_name = "itest flood " + std::to_string(i);
    const auto tls = tls_for(test::make_leaf(mfg_b.intermediate, options), &mfg_b.intermediate);
    flood.push_back(std::async(std::launch::async, [this, tls] { return provision(tls); }));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // let the flood reach the CA

  const auto start = std::chrono::steady_clock::now();
  const auto a_device = provision(api_mfg_tls());
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(a_device.ok) << a_device.error;
  // B's calls end at dps's 5 s deadline; A's device finishing well before means it waited on
  // none of them.
  EXPECT_LT(took, std::chrono::milliseconds(4000));

  int busy = 0;
  for (auto& f : flood) {
    const auto result = f.get();
    EXPECT_FALSE(result.ok);
    EXPECT_NE(result.error.find("5.03"), std::string::npos) << result.error;
    if (result.error.find("too many requests") != std::string::npos) ++busy;
  }
  EXPECT_GE(busy, kFlood - 4) << "owner B held more than its share of the blocking threads";
}

TEST_F(PlgdCa, HubDeletedWhileADeviceWaitsOnTheCaEndsCleanly) {
  enroll_with_plgd_hub();
  ca_->set_delay(std::chrono::milliseconds(1500));
  auto in_flight = std::async(std::launch::async, [this] { return provision(api_mfg_tls()); });
  ASSERT_TRUE(ca_->wait_for_calls(1, std::chrono::seconds(4))) << "the device never reached the CA";
  // A hub a group still names is not deleted (409): the operator moves the group to another
  // hub, then deletes this one. (A group naming a hub gone behind the API's back gets 4.00 at
  // cloud configuration: missing_hub_test.cpp.)
  std::string record_id;
  for (const auto& hub : list(kHubsPath, token_of(kOwnerA))) {
    if (hub.value("hubId", "") == kApiHub) record_id = hub.value("id", "");
  }
  ASSERT_FALSE(record_id.empty());
  const std::string hub_filter = std::string(kHubsPath) + "?idFilter=" + record_id;
  EXPECT_EQ(call(Verb::delete_, hub_filter, token_of(kOwnerA)).status, 409);
  create(kHubsPath, hub_body(kApiHub2), kOwnerA);
  const auto groups = list(kGroupsPath, token_of(kOwnerA));
  ASSERT_EQ(groups.size(), 1u);
  const auto moved =
      call(Verb::put, std::string(kGroupsPath) + "/" + groups.front().value("id", ""),
           token_of(kOwnerA), group_body(kApiHub2).dump());
  ASSERT_EQ(moved.status, 200) << moved.body;
  const auto deleted = call(Verb::delete_, hub_filter, token_of(kOwnerA));
  EXPECT_EQ(deleted.status, 200) << deleted.body;
  // The device in flight finishes: its credentials request pinned the catalog that had the
  // hub, and the ACL step needs no hub. The next device goes to the group's new hub.
  ASSERT_EQ(in_flight.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  const auto result = in_flight.get();
  EXPECT_TRUE(result.ok) << result.error;
  ca_->set_delay(std::chrono::milliseconds(0));
  const auto next =
      provision(tls_for(api_mfg_leaf("itest after hub deleted"), &api_mfg_.intermediate));
  EXPECT_TRUE(next.ok) << next.error;
  expect_server_serves();
}

}  // namespace
}  // namespace dps::itest
