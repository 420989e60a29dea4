// The dps-bench tool against the real dps: a short provisioning run on a dps it starts itself
// (every figure of the JSON report present), a run against a running server with a manufacturer
// from `dps-device demo-pki` (one record per device), idle connections, and usage errors.
#include <nlohmann/json.hpp>

#include "support/dps_fixture.hpp"

namespace dps::itest {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

json parse_report(const ProcessOutput& out) {
  auto report = json::parse(out.out, nullptr, false);
  EXPECT_FALSE(report.is_discarded()) << out.out << out.err;
  return report;
}

TEST(DpsBench, FiftyDevicesOnAStartedDpsSucceedWithEveryFigure) {
  const auto out =
      run_process({dps_bench_binary().string(), "--start-dps", dps_binary().string(), "--devices",
                   "50", "--concurrency", "8", "--json", "--floor-seconds", "0.3"},
                  50s);
  ASSERT_EQ(out.exit_code, 0) << out.out << out.err;
  const json report = parse_report(out);
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(report["succeeded"], 50);
  EXPECT_EQ(report["failed"], 0);
  EXPECT_TRUE(report["errors"].empty()) << report["errors"].dump();
  EXPECT_GT(report["provisioningsPerSecond"].get<double>(), 0);
  for (const char* name :
       {"time", "ownership", "cloud-configuration", "credentials", "acls", "total"}) {
    const json& latency = report["latencyUs"][name];
    ASSERT_TRUE(latency.is_object()) << name;
    EXPECT_GE(latency["count"].get<int>(), 50) << name;
    for (const char* p : {"p50", "p95", "p99", "max"}) {
      ASSERT_TRUE(latency.contains(p)) << name << " " << p;
      EXPECT_GT(latency[p].get<int64_t>(), 0) << name << " " << p;
    }
    EXPECT_LE(latency["p50"].get<int64_t>(), latency["p99"].get<int64_t>()) << name;
    EXPECT_LE(latency["p99"].get<int64_t>(), latency["max"].get<int64_t>()) << name;
  }
  const json& floor = report["cryptoFloor"];
  for (const char* key : {"ecdsaP256SignPerSecond", "ecdsaP256VerifyPerSecond",
                          "ecdheP256PerSecond", "provisioningFloorUs"}) {
    EXPECT_GT(floor[key].get<double>(), 0) << key;
  }
  const json& server = report["server"];
  ASSERT_TRUE(server.is_object()) << report.dump();
  EXPECT_GT(server["cpuSeconds"].get<double>(), 0);
  EXPECT_GT(server["peakRssKiB"].get<uint64_t>(), 0u);
  EXPECT_GT(server["cpuUsPerProvisioning"].get<double>(), 0);
  EXPECT_GT(server["floorMultiple"].get<double>(), 0);
}

// --udp: the same fleet over CoAP over UDP+DTLS to a started dps listening on both transports.
TEST(DpsBench, DevicesOverUdpOnAStartedDpsSucceed) {
  const auto out =
      run_process({dps_bench_binary().string(), "--start-dps", dps_binary().string(), "--udp",
                   "--devices", "20", "--concurrency", "4", "--json", "--floor-seconds", "0.1"},
                  50s);
  ASSERT_EQ(out.exit_code, 0) << out.out << out.err;
  const json report = parse_report(out);
  ASSERT_TRUE(report.is_object()) << out.out;
  EXPECT_EQ(report["succeeded"], 20);
  EXPECT_EQ(report["failed"], 0);
  EXPECT_GE(report["latencyUs"]["credentials"]["count"].get<int>(), 20);
  EXPECT_GT(report["server"]["floorMultiple"].get<double>(), 0);
}

TEST(DpsBench, HoldsIdleConnectionsAndReportsRssPerConnection) {
  const auto out = run_process({dps_bench_binary().string(), "--start-dps", dps_binary().string(),
                                "--idle", "20", "--hold", "0.5", "--json"},
                               40s);
  ASSERT_EQ(out.exit_code, 0) << out.out << out.err;
  const json report = parse_report(out);
  EXPECT_EQ(report["opened"], 20);
  EXPECT_EQ(report["failed"], 0);
  EXPECT_EQ(report["closedByServer"], 0);
  // The server holds a socket per connection while they are open.
  EXPECT_GE(report["server"]["openFilesAfter"].get<uint64_t>(),
            report["server"]["openFilesBefore"].get<uint64_t>() + 20);
  EXPECT_TRUE(report["server"].contains("rssBytesPerConnection"));
}

TEST(DpsBench, UsageErrorsExitTwo) {
  const auto bench = dps_bench_binary().string();
  EXPECT_EQ(run_process({bench}).exit_code, 2);                    // no mode
  EXPECT_EQ(run_process({bench, "--devices", "5"}).exit_code, 2);  // no server
  EXPECT_EQ(run_process({bench, "--devices", "0"}).exit_code, 2);  // not positive
  EXPECT_EQ(run_process({bench, "--devices", "5", "--server", "127.0.0.1:1"}).exit_code, 2);
  const auto help = run_process({bench, "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Examples"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("--idle"), std::string::npos) << help.out;
  // --udp provisions devices; the connection modes are TCP+TLS only.
  EXPECT_EQ(
      run_process({bench, "--udp", "--idle", "3", "--start-dps", dps_binary().string()}).exit_code,
      2);
  // dps speaks CoAP on its device port: an HTTP request is for a web server given with --server.
  EXPECT_EQ(run_process({bench, "--connections", "5", "--http-get", "/", "--start-dps",
                         dps_binary().string()})
                .exit_code,
            2);
}

// Short connections (bench/nginx-side-by-side.sh's client): each one a handshake, the time
// request and its answer; every one served, on the TLS version asked for, with the server's CPU.
TEST(DpsBench, ShortConnectionsToAStartedDpsAreEachServedOnTheVersionAskedFor) {
  for (const bool tls12 : {false, true}) {
    std::vector<std::string> args{dps_bench_binary().string(),
                                  "--start-dps",
                                  dps_binary().string(),
                                  "--connections",
                                  "30",
                                  "--json"};
    if (tls12) args.push_back("--tls12");
    const auto out = run_process(args, 40s);
    ASSERT_EQ(out.exit_code, 0) << out.out << out.err;
    const json report = parse_report(out);
    ASSERT_TRUE(report.is_object());
    EXPECT_EQ(report["served"], 30);
    EXPECT_EQ(report["failed"], 0);
    EXPECT_EQ(report["request"], "CoAP GET /x.plgd.dev/time");
    EXPECT_EQ(report["tlsVersion"], tls12 ? "TLSv1.2" : "TLSv1.3");
    if (tls12) {
      EXPECT_EQ(report["cipher"], "ECDHE-ECDSA-AES128-GCM-SHA256");
    }
    ASSERT_TRUE(report["server"].is_object()) << report.dump();
    EXPECT_GE(report["server"]["cpuUsPerConnection"].get<double>(), 0);
  }
}

// A running server with a group for a `dps-device demo-pki` manufacturer: dps-bench issues a
// certificate per device from the kept intermediate key, so every device gets its own record.
class DpsBenchRunningServer : public DpsTest {};

TEST_F(DpsBenchRunningServer, DevicesOfADemoPkiGetOneRecordEach) {
  const auto mfg_dir = dir_.path() / "demo";
  const auto pki =
      run_process({dps_device_binary().string(), "demo-pki", "--out", mfg_dir.string()});
  ASSERT_EQ(pki.exit_code, 0) << pki.err;
  ASSERT_TRUE(std::filesystem::exists(mfg_dir / "intermediate.key"));
  stop_dps();
  GroupSpec demo;
  demo.id = "e0e0e0e0-0000-4000-8000-0000000000be";
  demo.chain_file = mfg_dir / "chain.pem";
  demo.hubs = {HubSpec{kHubB, {kGatewayB}}};
  spec_.groups.push_back(demo);
  start_dps();
  const size_t before = records().size();

  const auto out = run_process(
      {dps_bench_binary().string(), "--server", "127.0.0.1:" + std::to_string(dps_->port()),
       "--mfg-dir", mfg_dir.string(), "--ca", (spec_.data_dir / "ca.pem").string(), "--devices",
       "10", "--concurrency", "4", "--json", "--floor-seconds", "0.1"},
      40s);
  ASSERT_EQ(out.exit_code, 0) << out.out << out.err;
  const json report = parse_report(out);
  EXPECT_EQ(report["succeeded"], 10);
  EXPECT_TRUE(report["server"].is_null()) << "no --server-pid: no /proc figures";
  EXPECT_EQ(records().size(), before + 10);
}

}  // namespace
}  // namespace dps::itest
