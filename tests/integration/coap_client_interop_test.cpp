// Interop with an independent CoAP implementation: Debian's libcoap `coap-client-openssl`
// (TLS 1.3, no OCF options, Accept 50 = JSON) with a manufacturer certificate.
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "device/checks.hpp"
#include "pki/uuid.hpp"
#include "support/api_fixture.hpp"
#include "support/dps_fixture.hpp"

namespace dps::itest {
namespace {

using nlohmann::json;

constexpr const char* kCoapClient = "/usr/bin/coap-client-openssl";

class CoapClientInterop : public DpsTest {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kCoapClient)) GTEST_SKIP() << kCoapClient << " not installed";
    DpsTest::SetUp();
  }

  /// GET `path` with Accept 50; the JSON body on success.
  ProcessOutput get_json(const std::string& path, bool send_intermediate) {
    const auto cert = write("coap-client.pem",
                            mfg_.device.cert_pem() +
                                (send_intermediate ? mfg_.intermediate.cert_pem() : std::string()));
    const auto key = write("coap-client.key", mfg_.device.key_pem());
    const auto ca = spec_.data_dir / "ca.pem";
    return run_process(
        {kCoapClient, "-B", "10", "-A", "50", "-c", cert.string(), "-j", key.string(), "-R",
         ca.string(), "coaps+tcp://127.0.0.1:" + std::to_string(dps_->port()) + path},
        std::chrono::seconds(20));
  }
};

TEST_F(CoapClientInterop, GetsTimeAsJson) {
  const auto out = get_json("/x.plgd.dev/time", true);
  ASSERT_EQ(out.exit_code, 0) << out.err;
  const auto body = nlohmann::json::parse(out.out, nullptr, false);
  ASSERT_TRUE(body.is_object()) << "stdout: " << out.out << "\nstderr: " << out.err;
  ASSERT_TRUE(body.contains("time")) << out.out;
  EXPECT_TRUE(device::parse_rfc3339(body["time"].get<std::string>())) << out.out;
}

TEST_F(CoapClientInterop, GetsOwnershipAsJson) {
  const auto out = get_json("/api/v1/provisioning/ownership", true);
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_NE(out.out.find(pki::owner_to_uuid("1")), std::string::npos)
      << "stdout: " << out.out << "\nstderr: " << out.err;
}

TEST_F(CoapClientInterop, LeafWithoutIntermediateIsEnough) {
  // libcoap may send only the leaf; the group holds the intermediate.
  const auto out = get_json("/api/v1/provisioning/ownership", false);
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_NE(out.out.find(pki::owner_to_uuid("1")), std::string::npos)
      << "stdout: " << out.out << "\nstderr: " << out.err;
}

// The ACL answer of a group naming an enrollment template, fetched by libcoap as CBOR and put
// through the device's own checks: the template's ACE is there and every subject is one a device
// decodes.
class CoapClientInteropTemplate : public ApiTest {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kCoapClient)) GTEST_SKIP() << kCoapClient << " not installed";
    ApiTest::SetUp();
  }
};

TEST_F(CoapClientInteropTemplate, AclAnswerWithTemplateAcesPassesTheDeviceChecks) {
  const json ace = json::parse(R"({"subject": {"uuid": "0f0f0f0f-0000-4000-8000-0000000000ee"},
                                   "resources": [{"href": "/light/1"}], "permission": 6})");
  create(kHubsPath, hub_body(kApiHub), kOwnerA);
  const json created =
      create("/api/v1/enrollment-templates",
             {{"name", "interop"}, {"accessControlList", json::array({ace})}}, kOwnerA);
  json group = group_body(kApiHub);
  group["templateId"] = created.value("id", "");
  create(kGroupsPath, group, kOwnerA);

  const auto cert = write("coap-client.pem", api_mfg_.device.cert_pem());
  const auto key = write("coap-client.key", api_mfg_.device.key_pem());
  const auto payload_file = dir_.path() / "acls.cbor";
  const auto out = run_process(
      {kCoapClient, "-B", "10", "-A", "60", "-o", payload_file.string(), "-c", cert.string(), "-j",
       key.string(), "-R", (spec_.data_dir / "ca.pem").string(),
       "coaps+tcp://127.0.0.1:" + std::to_string(dps_->port()) + "/api/v1/provisioning/acls"},
      std::chrono::seconds(20));
  ASSERT_EQ(out.exit_code, 0) << out.err;
  std::ifstream in(payload_file, std::ios::binary);
  coap::Message answer;
  answer.code = coap::Code::Content;
  answer.add_uint_option(coap::option::kContentFormat, 60);
  answer.payload.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  auto count = device::check_acls_response(answer);
  ASSERT_TRUE(count) << count.error().internal;
  const json aces = json::from_cbor(answer.payload)["aclist2"];
  json expected = ace;
  expected["resources"][0]["if"] = {"*"};
  expected["tag"] = "dps";
  EXPECT_EQ(std::count(aces.begin(), aces.end(), expected), 1) << aces.dump();
  EXPECT_EQ(*count, aces.size());
}

}  // namespace
}  // namespace dps::itest
