// The dps-device tool against the real dps: exit codes 0 / 1 / 2 and its JSON report.
#include <nlohmann/json.hpp>

#include "support/dps_fixture.hpp"

namespace dps::itest {
namespace {

class DpsDeviceCli : public DpsTest {};

TEST_F(DpsDeviceCli, ProvisionsAndExitsZero) {
  auto args = provision_args((spec_.data_dir / "ca.pem").string());
  args.push_back("--tls12");
  args.push_back("--json");
  const auto out = run_process(args);
  ASSERT_EQ(out.exit_code, 0) << out.out << out.err;
  const auto report = nlohmann::json::parse(out.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << out.out;
  EXPECT_TRUE(report["ok"].get<bool>());
  EXPECT_EQ(report["steps"].size(), 5u);
  EXPECT_EQ(report["hub"]["sid"], kHubA);
}

TEST_F(DpsDeviceCli, PrintsEveryStepAsText) {
  const auto out = run_process(provision_args((spec_.data_dir / "ca.pem").string()));
  ASSERT_EQ(out.exit_code, 0) << out.out << out.err;
  for (const char* step : {"time", "ownership", "cloud-configuration", "credentials", "acls"}) {
    EXPECT_NE(out.out.find(step), std::string::npos) << step;
  }
  EXPECT_NE(out.out.find("provisioned device"), std::string::npos) << out.out;
}

TEST_F(DpsDeviceCli, UntrustedServerExitsOneNamingTheStep) {
  const auto other = test::make_root_ca("not the dps ca");
  const auto out = run_process(provision_args(write("other-ca.pem", other.cert_pem()).string()));
  EXPECT_EQ(out.exit_code, 1) << out.out << out.err;
  EXPECT_NE(out.out.find("FAILED at step connect"), std::string::npos) << out.out;
}

TEST_F(DpsDeviceCli, UsageErrorsExitTwo) {
  EXPECT_EQ(run_process({dps_device_binary().string(), "provision", "--server", "x"}).exit_code, 2);
  EXPECT_EQ(run_process({dps_device_binary().string(), "bogus"}).exit_code, 2);
  auto bad_server = provision_args((spec_.data_dir / "ca.pem").string());
  bad_server[3] = "no-port";
  EXPECT_EQ(run_process(bad_server).exit_code, 2);
  EXPECT_EQ(run_process({dps_device_binary().string(), "--help"}).exit_code, 0);
  // An EK certificate file that holds no certificate: refused before any TPM is opened.
  const auto not_a_certificate = write("ek-cert.der", "not a certificate").string();
  const auto refused =
      run_process({dps_device_binary().string(), "provision", "--server", "127.0.0.1:1", "--ca",
                   (spec_.data_dir / "ca.pem").string(), "--tpm", "swtpm:host=127.0.0.1,port=1",
                   "--tpm-ek-cert", not_a_certificate});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("--tpm-ek-cert " + not_a_certificate +
                             ": not an X.509 certificate (DER or PEM)"),
            std::string::npos)
      << refused.err;
}

TEST_F(DpsDeviceCli, DemoPkiIsIdempotentAndEnrollable) {
  const auto out_dir = dir_.path() / "demo";
  const auto first =
      run_process({dps_device_binary().string(), "demo-pki", "--out", out_dir.string()});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto device_pem = out_dir / "device.pem";
  const auto before = std::filesystem::last_write_time(device_pem);
  const auto second =
      run_process({dps_device_binary().string(), "demo-pki", "--out", out_dir.string()});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(std::filesystem::last_write_time(device_pem), before);
  for (const char* f : {"root.pem", "intermediate.pem", "chain.pem", "device.pem", "device.key"}) {
    EXPECT_TRUE(std::filesystem::exists(out_dir / f)) << f;
  }

  // An enrollment group holding chain.pem admits the demo device.
  stop_dps();
  GroupSpec demo;
  demo.id = "e0e0e0e0-0000-4000-8000-0000000000de";
  demo.owner = "demo";
  demo.chain_file = out_dir / "chain.pem";
  demo.hubs = {HubSpec{kHubB, {kGatewayB}}};
  spec_.groups.push_back(demo);
  start_dps();
  const auto run = run_process({dps_device_binary().string(), "provision", "--server",
                                "127.0.0.1:" + std::to_string(dps_->port()), "--cert",
                                device_pem.string(), "--key", (out_dir / "device.key").string(),
                                "--ca", (spec_.data_dir / "ca.pem").string()});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
}

}  // namespace
}  // namespace dps::itest
