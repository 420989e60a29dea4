// The full device flow against the real dps: both TLS versions, the record it leaves, PSK groups
// and hub selection.
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <string_view>

#include "device/checks.hpp"
#include "device/requests.hpp"
#include "support/dps_fixture.hpp"

namespace dps::itest {
namespace {

using test::chains_to;

using coap::Code;
using device::Step;

constexpr const char* kOwnerUuid1 = "b80c8fef-a677-5340-85fb-2c162d75df03";  // OwnerToUUID("1")

void expect_section_ok(const nlohmann::json& record, const char* section) {
  ASSERT_TRUE(record.contains(section)) << section << " missing in " << record.dump();
  // plgd's record shape: attestation is {date, x509} (written only for a passed handshake),
  // plgdTime a ProvisionStatus itself, every other section holds one under "status".
  if (std::string_view(section) == "attestation") {
    EXPECT_TRUE(record[section].contains("date")) << record[section].dump();
    return;
  }
  const auto& status =
      record[section].contains("status") ? record[section]["status"] : record[section];
  const int code = status.value("coapCode", 0);
  EXPECT_GE(code, 65) << section << ": " << status.dump();
  EXPECT_LE(code, 69) << section << ": " << status.dump();
  EXPECT_EQ(status.value("errorMessage", ""), "") << section;
}

class ProvisioningFlow : public DpsTest, public ::testing::WithParamInterface<bool> {};

TEST_P(ProvisioningFlow, SucceedsAndLeavesACompleteRecord) {
  const auto result = provision(default_tls(GetParam()));
  ASSERT_TRUE(result.ok) << result.error;
  ASSERT_EQ(result.steps.size(), 5u);
  const Code expected[] = {Code::Content, Code::Content, Code::Changed, Code::Changed,
                           Code::Content};
  for (size_t i = 0; i < result.steps.size(); ++i) {
    EXPECT_EQ(result.steps[i].code, expected[i]) << to_string(result.steps[i].step);
    EXPECT_GT(result.steps[i].latency_us, 0);
  }
  EXPECT_EQ(result.owner_uuid, kOwnerUuid1);
  EXPECT_EQ(result.hub.sid, kHubA);
  EXPECT_EQ(result.hub.cis, kGatewayA);
  EXPECT_EQ(result.hub.apn, "plgd");
  EXPECT_EQ(result.hub.servers, (std::vector<device::Gateway>{{kGatewayA, kHubA}}));
  EXPECT_EQ(result.credentials.subject_uuid, result.device_id);
  EXPECT_EQ(result.credentials.credtypes, (std::vector<int>{8, 8}));
  EXPECT_FALSE(result.credentials.psk);
  EXPECT_EQ(result.credentials.trust_ca_subject, kOwnerUuid1);
  EXPECT_TRUE(chains_to(result.credentials.cert_chain_pem, result.credentials.trust_ca_pem))
      << "the identity certificate does not chain to the trust CA it came with";
  EXPECT_GE(result.ace_count, 3u);

  const auto record = record_of(result.device_id);
  ASSERT_TRUE(record) << "no record with deviceId " << result.device_id;
  for (const char* section :
       {"attestation", "plgdTime", "ownership", "cloud", "credential", "acl"}) {
    expect_section_ok(*record, section);
  }
  EXPECT_EQ(record->value("enrollmentGroupId", ""), kGroupId);
  EXPECT_EQ(record->value("owner", ""), "1");
  ASSERT_TRUE(record->contains("localEndpoints")) << record->dump();
  const auto& endpoints = (*record)["localEndpoints"];
  ASSERT_FALSE(endpoints.empty());
  EXPECT_EQ(endpoints[0].get<std::string>().rfind("coaps+tcp://127.0.0.1:", 0), 0u)
      << endpoints.dump();
}

TEST_P(ProvisioningFlow, SessionNegotiatesTheVersionAndGetsAServerCsm) {
  auto tls = device::ClientTls::create(default_tls(GetParam()));
  ASSERT_TRUE(tls);
  device::Provisioner device(device_config(), *tls);
  using Outcome = std::pair<std::string, bool>;
  const auto [version, csm] = run_coro<Outcome>([&]() -> awaitable<Outcome> {
    auto session = co_await device.connect(Step::Time);
    if (!session) co_return Outcome{session.error().internal, false};
    auto outcome = co_await device.time(**session);
    const auto v = (*session)->tls_version();
    const bool got_csm = (*session)->server_csm().has_value();
    co_await (*session)->close();
    co_return Outcome{outcome.ok ? v : outcome.error, got_csm};
  });
  EXPECT_EQ(version, GetParam() ? "TLSv1.2" : "TLSv1.3");
  EXPECT_TRUE(csm) << "the server sent no CSM before its answer";
}

INSTANTIATE_TEST_SUITE_P(Tls, ProvisioningFlow, ::testing::Bool(), tls_version_name);

class PskGroup : public DpsTest {
 protected:
  void configure(DpsConfigSpec& spec) override { spec.groups[0].psk_file = write("psk", kPsk); }
  static constexpr const char* kPsk = "0123456789abcdefEXTRA";
};

TEST_F(PskGroup, YieldsThePskCredentialFirst) {
  const auto result = provision(default_tls());
  ASSERT_TRUE(result.ok) << result.error;
  ASSERT_FALSE(result.credentials.credtypes.empty());
  EXPECT_EQ(result.credentials.credtypes.front(), 1);
  EXPECT_EQ(result.credentials.credtypes, (std::vector<int>{1, 8, 8}));
  ASSERT_TRUE(result.credentials.psk);
  EXPECT_EQ(std::string(result.credentials.psk->key.begin(), result.credentials.psk->key.end()),
            std::string(kPsk).substr(0, 16));
  EXPECT_EQ(result.credentials.psk->subject_uuid, kOwnerUuid1);
}

class TwoHubs : public DpsTest {
 protected:
  void configure(DpsConfigSpec& spec) override {
    spec.groups[0].hubs = {HubSpec{kHubA, {kGatewayA}}, HubSpec{kHubB, {kGatewayB}}};
  }
  device::ProvisionResult provision_selecting(std::optional<device::Gateway> gateway) {
    auto config = device_config();
    config.selected_gateway = std::move(gateway);
    return provision(default_tls(), config);
  }
};

TEST_F(TwoHubs, SelectedGatewayOfTheSecondHubPicksIt) {
  const auto result = provision_selecting(device::Gateway{kGatewayB, kHubB});
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.hub.sid, kHubB);
  EXPECT_EQ(result.hub.cis, kGatewayB);
  EXPECT_EQ(result.hub.servers,
            (std::vector<device::Gateway>{{kGatewayA, kHubA}, {kGatewayB, kHubB}}));
}

TEST_F(TwoHubs, UnknownSelectedGatewayPicksTheFirstHub) {
  for (const auto& gateway : {device::Gateway{"coaps+tcp://unknown.example.com:5684", kHubB},
                              device::Gateway{kGatewayB, "00000000-0000-0000-0000-000000000000"},
                              device::Gateway{"", "00000000-0000-0000-0000-000000000000"}}) {
    const auto result = provision_selecting(gateway);
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.hub.sid, kHubA) << gateway.uri << " " << gateway.id;
    EXPECT_EQ(result.hub.cis, kGatewayA);
  }
}

TEST_F(TwoHubs, NoSelectedGatewayPicksTheFirstHub) {
  const auto result = provision_selecting(std::nullopt);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.hub.sid, kHubA);
}

}  // namespace
}  // namespace dps::itest
