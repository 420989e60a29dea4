// The dps process itself: readiness line, data directory, clean exit on SIGTERM at any time.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <thread>

#include "device/fleet.hpp"
#include "device/provisioner.hpp"
#include "device/requests.hpp"
#include "support/dps_fixture.hpp"
#include "support/fleet_checks.hpp"
#include "support/test_pki.hpp"

namespace dps::itest {
namespace {

class Lifecycle : public DpsTest {};

// Whether a TCP connection to `address`:`port` is accepted (a plain connect, no TLS).
bool tcp_connects(const char* address, uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  inet_pton(AF_INET, address, &to.sin_addr);
  const bool connected = connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0;
  close(fd);
  return connected;
}

TEST_F(Lifecycle, CreatesTheCaDevicesTrust) {
  expect_server_serves();
  EXPECT_TRUE(std::filesystem::exists(spec_.data_dir / "ca.pem"));
  EXPECT_NE(dps_->port(), 0);
}

TEST_F(Lifecycle, SigtermRightAfterTheReadyLineExitsCleanly) {
  // Scripts stop dps as soon as it reports ready: the line must not come before SIGTERM is
  // handled.
  stop_dps();  // expects exit code 0
}

TEST_F(Lifecycle, SigtermAfterServingExitsCleanly) {
  expect_server_serves();
  stop_dps();
}

// A graceful stop: from SIGTERM on, no new connection is accepted, and a device already in a
// session still gets its step answered (apis.coap's grace period, app::Service::kShutdownGrace).
TEST_F(Lifecycle, SigtermRefusesNewConnectionsAndLetsAnOpenSessionFinishItsStep) {
  using namespace std::chrono_literals;
  auto tls = device::ClientTls::create(default_tls());
  ASSERT_TRUE(tls) << tls.error().internal;
  device::Provisioner device(device_config(), *tls);
  const uint16_t port = dps_->port();
  const auto outcome = run_coro<std::string>([&]() -> awaitable<std::string> {
    auto session = co_await device.connect(device::Step::Ownership);
    if (!session) co_return "connect before SIGTERM: " + session.error().internal;
    dps_->send_signal(SIGTERM);
    // The listening socket closes as the signal is handled; until then a connect may still land.
    bool refused = false;
    for (int attempt = 0; attempt < 100 && !refused; ++attempt) {
      refused = !tcp_connects("127.0.0.1", port);
      if (!refused) std::this_thread::sleep_for(20ms);
    }
    if (!refused) co_return "new connections still accepted 2 s after SIGTERM";
    auto response = co_await (*session)->request(device::make_ownership_request());
    co_await (*session)->close();
    if (!response)
      co_return "the open session's request after SIGTERM: " + response.error().internal;
    if (response->code != coap::Code::Content) {
      co_return "the open session's request after SIGTERM answered " +
          coap::to_string(response->code);
    }
    co_return "";
  });
  EXPECT_EQ(outcome, "");
  EXPECT_EQ(dps_->stop(), 0) << dps_->log_excerpt();
  dps_.reset();
}

TEST_F(Lifecycle, RestartKeepsTheCaAndRecords) {
  const auto first = provision(default_tls());
  ASSERT_TRUE(first.ok) << first.error;
  const std::string ca_before = server_ca_pem_;
  stop_dps();
  start_dps();
  EXPECT_EQ(server_ca_pem_, ca_before);
  EXPECT_TRUE(record_of(first.device_id)) << "record lost across restart";
  expect_server_serves();
}

TEST_F(Lifecycle, SigtermWhileDevicesProvisionExitsCleanlyAndLosesNothingAcknowledged) {
  // Stopping under load: sessions are cut mid-step and record commits are in flight. dps must
  // still exit 0 (a commit completing after the device I/O is torn down once crashed it at exit,
  // caught by ASan), and every step a device saw acknowledged must be in the store afterwards.
  using namespace std::chrono_literals;
  constexpr size_t kDevices = 24;
  const auto identities = device_identities(kDevices, "lifecycle device");
  std::mutex port_mutex;
  uint16_t port = dps_->port();
  std::atomic<size_t> finished{0};
  device::FleetOptions options;
  options.devices = kDevices;
  options.concurrency = 8;
  options.device = device_config();
  // Devices retry while dps restarts (a few seconds under ASan): up to 60 attempts of 100 ms.
  options.retry_delay = 100ms;
  options.servers = [&] {
    std::lock_guard lock(port_mutex);
    return std::vector<device::ServerAddress>{{"127.0.0.1", port}};
  };
  options.on_device_done = [&](size_t done, size_t) { finished = done; };
  device::FleetResult result;
  std::thread fleet([&] { result = device::run_fleet(options, identities, 2); });

  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (finished < 4 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(2ms);
  EXPECT_LT(finished.load(), kDevices) << "the fleet finished before dps was stopped";
  stop_dps();  // expects exit code 0
  start_dps();
  {
    std::lock_guard lock(port_mutex);
    port = dps_->port();
  }
  fleet.join();

  expect_all_succeeded_without_4xx(result);
  std::map<std::string, nlohmann::json> by_device;
  for (auto& record : records()) {
    const std::string id = record.value("deviceId", "");
    by_device[id] = std::move(record);
  }
  expect_acknowledged_steps_recorded(result, by_device);
}

TEST_F(Lifecycle, SigtermWhileACommitWaitsForTheDatabaseExitsCleanlyAndCommitsIt) {
  // Deterministic form of the race above: another writer holds the database, so the record
  // commit of a device's first request waits in SQLite's busy timeout while dps is told to stop.
  // The commit completes (and calls back into the device I/O) during shutdown.
  using namespace std::chrono_literals;
  expect_server_serves();  // past startup, its own records written
  const size_t records_before = records().size();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((spec_.data_dir / "dps.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

  auto config = device_config();
  config.device_id = "0f0f0f0f-0000-4000-8000-00000000000f";
  device::ProvisionResult answer;
  test::LeafOptions leaf;
  leaf.common_name = "lifecycle waiting device";  // a certificate, so a record, of its own
  const auto tls = tls_for(test::make_leaf(mfg_.intermediate, leaf), &mfg_.intermediate);
  std::thread device([&] { answer = provision(tls, config); });  // ends with dps
  std::this_thread::sleep_for(2s);           // connected and waiting for its first answer
  std::thread stopper([&] { stop_dps(); });  // expects exit code 0
  std::this_thread::sleep_for(500ms);        // dps is tearing down, the commit still waits
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  stopper.join();
  device.join();

  std::ifstream log_file(dir_.path() / "dps.log");
  const std::string log_before_restart((std::istreambuf_iterator<char>(log_file)), {});
  start_dps();
  // Its registration id is new, so the record queued before SIGTERM is the one more.
  const auto after = records();
  ASSERT_EQ(after.size(), records_before + 1)
      << "the commit queued before SIGTERM was dropped; device: " << answer.error
      << "\ndps log before the restart:\n"
      << log_before_restart;
  const bool has_time_section = std::any_of(after.begin(), after.end(), [](const auto& record) {
    return record.contains("plgdTime") && record.value("deviceId", "").empty();
  });
  EXPECT_TRUE(has_time_section) << after.back().dump();
}

}  // namespace
}  // namespace dps::itest
