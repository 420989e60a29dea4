// CoAP over UDP+DTLS (apis.coap.protocols: [tcp, udp]) with an independent implementation:
// Debian's libcoap `coap-client-openssl` over coaps:// (DTLS 1.2, its own retransmission and
// block-wise transfer), on the same port number as CoAP over TCP.
#include <openssl/evp.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "device/checks.hpp"
#include "device/requests.hpp"
#include "pki/uuid.hpp"
#include "support/dps_fixture.hpp"

namespace dps::itest {
namespace {

using nlohmann::json;

constexpr const char* kCoapClient = "/usr/bin/coap-client-openssl";

class UdpTransport : public DpsTest {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kCoapClient)) GTEST_SKIP() << kCoapClient << " not installed";
    DpsTest::SetUp();
  }
  void configure(DpsConfigSpec& spec) override { spec.protocols = "[tcp, udp]"; }

  std::string url(const std::string& path) const {
    return "coaps://127.0.0.1:" + std::to_string(dps_->udp_port()) + path;
  }

  /// coap-client-openssl as `leaf` (with mfg_'s intermediate) against `path`, Accept 50 (JSON),
  /// then `extra` arguments.
  ProcessOutput coap_client(const test::TestCert& leaf, const std::string& path,
                            std::vector<std::string> extra = {}) {
    const auto cert = write("udp-client.pem", leaf.cert_pem() + mfg_.intermediate.cert_pem());
    const auto key = write("udp-client.key", leaf.key_pem());
    std::vector<std::string> argv = {kCoapClient,
                                     "-B",
                                     "10",
                                     "-A",
                                     "50",
                                     "-c",
                                     cert.string(),
                                     "-j",
                                     key.string(),
                                     "-R",
                                     (spec_.data_dir / "ca.pem").string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(url(path));
    return run_process(argv, std::chrono::seconds(20));
  }
};

TEST_F(UdpTransport, ListensOnTheTcpPortNumber) {
  ASSERT_NE(dps_->udp_port(), 0) << "no \"coap udp listening\" line";
  EXPECT_EQ(dps_->udp_port(), dps_->port());
}

TEST_F(UdpTransport, CoapClientGetsTimeAndOwnershipOverDtls) {
  const auto time = coap_client(mfg_.device, "/x.plgd.dev/time");
  ASSERT_EQ(time.exit_code, 0) << time.err;
  const auto body = json::parse(time.out, nullptr, false);
  ASSERT_TRUE(body.is_object() && body.contains("time")) << time.out << "\n" << time.err;
  EXPECT_TRUE(device::parse_rfc3339(body["time"].get<std::string>())) << time.out;

  const auto ownership = coap_client(mfg_.device, "/api/v1/provisioning/ownership");
  ASSERT_EQ(ownership.exit_code, 0) << ownership.err;
  EXPECT_NE(ownership.out.find(pki::owner_to_uuid("1")), std::string::npos) << ownership.out << "\n"
                                                                            << ownership.err;
}

// The credentials answer (a certificate chain) is larger than a datagram: it comes back in Block2
// blocks, and the request goes up in 64-byte Block1 blocks (coap-client -b 64). The certificate
// that comes back is signed from the CSR that was sent in pieces.
TEST_F(UdpTransport, CredentialsTravelInBlocksBothWays) {
  const auto key = test::make_key();
  const std::string device_id = pki::random_uuid_v4().to_string();
  const std::string csr = test::make_csr_pem(key.get(), "uuid:" + device_id);
  const auto request = device::make_credentials_request(device_id, csr);
  const auto body =
      write("credentials.cbor", std::string(request.payload.begin(), request.payload.end()));
  const auto out = coap_client(mfg_.device, "/api/v1/provisioning/credentials",
                               {"-m", "post", "-t", "60", "-b", "64", "-f", body.string()});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  ASSERT_GT(out.out.size(), 1200u) << "the answer should need more than one datagram: " << out.out;
  const auto answer = json::parse(out.out, nullptr, false);
  ASSERT_TRUE(answer.is_object()) << out.out << "\n" << out.err;
  EXPECT_NE(out.out.find("BEGIN CERTIFICATE"), std::string::npos) << out.out;
  EXPECT_NE(out.out.find(device_id), std::string::npos) << out.out;
}

TEST_F(UdpTransport, UntrustedDeviceGetsNoSessionAndOthersStillProvision) {
  const test::TestCa stranger = test::make_root_ca("Stranger Root");
  const test::TestCert leaf = test::make_leaf(stranger);
  const auto cert = write("stranger.pem", leaf.cert_pem());
  const auto key = write("stranger.key", leaf.key_pem());
  const auto refused =
      run_process({kCoapClient, "-B", "5", "-A", "50", "-c", cert.string(), "-j", key.string(),
                   "-R", (spec_.data_dir / "ca.pem").string(), url("/x.plgd.dev/time")},
                  std::chrono::seconds(20));
  EXPECT_EQ(refused.out.find("time"), std::string::npos) << refused.out;
  const auto time = coap_client(mfg_.device, "/x.plgd.dev/time");
  EXPECT_EQ(time.exit_code, 0) << time.err;
  expect_server_serves();  // and over TCP at the same time
}

}  // namespace
}  // namespace dps::itest
