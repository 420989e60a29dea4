// dps-device against the real dps when the session does not come up: the TLS handshake and
// admission are their own step ("connect") with the likely cause the device can tell apart, and
// the report keeps the device's secrets out unless asked (issue 15, "A CLI that helps").
#include <nlohmann/json.hpp>

#include "pki/pem.hpp"
#include "pki/x509_util.hpp"
#include "support/dps_fixture.hpp"

namespace dps::itest {
namespace {

class DpsDeviceConnect : public DpsTest {
 protected:
  std::string data_dir_ca() const { return (spec_.data_dir / "ca.pem").string(); }
};

TEST_F(DpsDeviceConnect, AServerNotChainingToTheCaIsAConnectFailureNamingTheFix) {
  const auto other = test::make_root_ca("not the dps ca");
  const std::string ca_file = write("other-ca.pem", other.cert_pem()).string();
  const auto out = run_process(provision_args(ca_file));
  EXPECT_EQ(out.exit_code, 1) << out.out << out.err;
  EXPECT_NE(out.out.find("FAILED at step connect: connect: TLS handshake: the server's "
                         "certificate does not verify against the CA"),
            std::string::npos)
      << out.out;
  EXPECT_NE(
      out.out.find("likely cause: the server's certificate does not chain to --ca " + ca_file +
                   ": use the data directory's ca.pem (DATA-DIR/ca.pem) or the CA of "
                   "apis.coap.tls.certFile"),
      std::string::npos)
      << out.out;
}

class DpsDeviceHandshake : public DpsTest, public ::testing::WithParamInterface<bool> {};

// dps requires a client certificate: its alert comes during the handshake (TLS 1.2) or on the
// first read after it (TLS 1.3, where the client finishes first); both are the same cause.
TEST_P(DpsDeviceHandshake, NoClientCertificateIsAHandshakeRefusedByTheServer) {
  device::ClientTlsOptions tls;
  tls.ca_pem = server_ca_pem_;
  tls.force_tls12 = GetParam();
  const auto result = device::provision_blocking(device_config(), tls);
  ASSERT_FALSE(result.ok);
  ASSERT_TRUE(result.connect_failure) << result.error;
  EXPECT_EQ(*result.connect_failure, device::ConnectFailure::HandshakeRefused) << result.error;
  EXPECT_EQ(result.error.rfind("connect: ", 0), 0u) << result.error;
}

INSTANTIATE_TEST_SUITE_P(Tls, DpsDeviceHandshake, ::testing::Bool(), tls_version_name);

TEST_F(DpsDeviceConnect, JsonLeavesThePrivateKeyAndTokenOutUnlessShowSecrets) {
  auto args = provision_args(data_dir_ca());
  args.push_back("--json");
  const auto hidden = run_process(args);
  ASSERT_EQ(hidden.exit_code, 0) << hidden.out << hidden.err;
  const auto report = nlohmann::json::parse(hidden.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << hidden.out;
  EXPECT_FALSE(report["credentials"].contains("privateKeyPem")) << hidden.out;
  EXPECT_FALSE(report["hub"].contains("at")) << hidden.out;
  EXPECT_EQ(hidden.out.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(hidden.err.find("secrets"), std::string::npos) << hidden.err;

  args.push_back("--show-secrets");
  const auto shown = run_process(args);
  ASSERT_EQ(shown.exit_code, 0) << shown.out << shown.err;
  const auto full = nlohmann::json::parse(shown.out, nullptr, false);
  ASSERT_FALSE(full.is_discarded()) << shown.out;
  EXPECT_NE(full["credentials"]["privateKeyPem"].get<std::string>().find("PRIVATE KEY"),
            std::string::npos);
  EXPECT_FALSE(full["hub"]["at"].get<std::string>().empty());
  EXPECT_NE(shown.err.find("--show-secrets: the report below holds the device's private key"),
            std::string::npos)
      << shown.err;

  auto without_json = provision_args(data_dir_ca());
  without_json.push_back("--show-secrets");
  EXPECT_EQ(run_process(without_json).exit_code, 2) << "--show-secrets needs --json";
}

TEST_F(DpsDeviceConnect, DemoPkiNameNamesTheManufacturersCertificates) {
  const auto out_dir = dir_.path() / "acme";
  const auto out = run_process({dps_device_binary().string(), "demo-pki", "--out", out_dir.string(),
                                "--name", "Acme Sensors"});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  const auto cn = [&](const char* file) {
    auto certs = pki::parse_certificates_pem(*pki::read_file(out_dir / file));
    return pki::common_name(X509_get_subject_name(certs->front().get()));
  };
  EXPECT_EQ(cn("root.pem"), "Acme Sensors root");
  EXPECT_EQ(cn("chain.pem"), "Acme Sensors intermediate");
  EXPECT_EQ(cn("device.pem"), "Acme Sensors device");
  const auto other = run_process(
      {dps_device_binary().string(), "demo-pki", "--out", out_dir.string(), "--name", "Globex"});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.err.find("already holds a demo PKI"), std::string::npos) << other.err;
  const auto too_long = run_process({dps_device_binary().string(), "demo-pki", "--out",
                                     (dir_.path() / "x").string(), "--name", std::string(60, 'a')});
  EXPECT_EQ(too_long.exit_code, 2);
  EXPECT_NE(too_long.err.find("at most 51 characters"), std::string::npos) << too_long.err;
}

TEST_F(DpsDeviceConnect, VersionNamesTheTool) {
  const auto out = run_process({dps_device_binary().string(), "--version"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out.rfind("dps-device 0.", 0), 0u) << out.out;
  EXPECT_NE(out.out.find("(git "), std::string::npos) << out.out;
}

}  // namespace
}  // namespace dps::itest
