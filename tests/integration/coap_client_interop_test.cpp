// Interop with an independent CoAP implementation: Debian's libcoap `coap-client-openssl`
// (TLS 1.3, no OCF options, Accept 50 = JSON) with a manufacturer certificate.
#include <nlohmann/json.hpp>

#include "device/checks.hpp"
#include "pki/uuid.hpp"
#include "support/dps_fixture.hpp"

namespace dps::itest {
namespace {

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

}  // namespace
}  // namespace dps::itest
