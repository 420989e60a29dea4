// Scale-out (issue 4): two real dps replicas on one real PostgreSQL 15, sharing a data directory
// for their keys as replicas behind a load balancer share their secrets. Changes made through one
// replica's API govern the other within a second; a replica killed with SIGKILL mid-run and a
// database stopped mid-run lose no acknowledged step and make no device see a 4.xx.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "device/fleet.hpp"
#include "device/provisioner.hpp"
#include "pki/x509_util.hpp"
#include "support/api_client.hpp"
#include "support/dps_config.hpp"
#include "support/dps_process.hpp"
#include "support/fleet_checks.hpp"
#include "support/postgres_server.hpp"

namespace dps::itest {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr const char* kOwner = "5c5c5c5c-0000-4000-8000-00000000000c";
constexpr const char* kHub = "d6d6d6d6-0000-4000-8000-000000000006";

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class ScaleOut : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> databases{0};
    database_uri_ = postgres().create_database("scale_out_" + std::to_string(databases++));
    spec_.data_dir = dir_.path() / "data";
    spec_.http_enabled = true;
    spec_.postgres_uri = database_uri_;
    spec_.log_level = "info";
    spec_.inactivity_timeout = "5s";
    config_ = dir_.write("config.yaml", render_config(spec_));
    // The first replica creates the shared keys (CA, server certificate, token key); the second
    // finds them.
    replicas_[0] = start_replica(0);
    replicas_[1] = start_replica(1);
    server_ca_pem_ = read_text(spec_.data_dir / "ca.pem");
    ASSERT_NE(server_ca_pem_.find("BEGIN CERTIFICATE"), std::string::npos);
  }

  void TearDown() override {
    for (size_t i = 0; i < replicas_.size(); ++i) {
      if (!replicas_[i]) continue;
      if (HasFailure()) std::cerr << "replica " << i << ": " << replicas_[i]->log_excerpt();
      const int code = replicas_[i]->stop();
      EXPECT_EQ(code, 0) << "replica " << i << " did not exit cleanly on SIGTERM\n"
                         << replicas_[i]->log_excerpt();
    }
  }

  virtual test::PostgresServer& postgres() { return test::shared_postgres_server(); }

  std::unique_ptr<DpsProcess> start_replica(size_t index) {
    return DpsProcess::start(config_, dir_.path() / ("replica-" + std::to_string(index) + ".log"),
                             30s, /*expect_api=*/true);
  }

  ApiClient api(size_t replica) const {
    return ApiClient(replicas_[replica]->api_port(), server_ca_pem_);
  }
  std::string token() const { return admin_token(spec_.data_dir, kOwner); }

  json create(size_t replica, const std::string& path, const json& body) {
    auto answer = api(replica).call(Verb::post, path, token(), body.dump());
    EXPECT_EQ(answer.status, 200u) << path << ": " << answer.body;
    return answer.object();
  }

  /// A hub and a group of `mfg_` created through `replica`'s API; returns the group.
  json enroll_through(size_t replica) {
    create(replica, "/api/v1/hubs",
           {{"hubId", kHub},
            {"gateways", {"coaps+tcp://127.0.0.1:5684"}},
            {"authorization",
             {{"ownerClaim", "https://plgd.dev/owner"}, {"provider", {{"name", "plgd"}}}}}});
    return create(replica, "/api/v1/enrollment-groups",
                  {{"attestationMechanism", {{"x509", {{"certificateChain", mfg_.chain_pem()}}}}},
                   {"hubIds", {kHub}}});
  }

  device::ClientTlsOptions device_tls(const test::TestCert& leaf) const {
    device::ClientTlsOptions tls;
    tls.cert_chain_pem = leaf.cert_pem() + mfg_.intermediate.cert_pem();
    tls.key_pem = leaf.key_pem();
    tls.ca_pem = server_ca_pem_;
    return tls;
  }
  device::ClientTlsOptions device_tls() const { return device_tls(mfg_.device); }

  device::DeviceConfig device_at(size_t replica) const {
    device::DeviceConfig config;
    config.port = replicas_[replica]->port();
    config.connect_timeout = 5s;
    config.step_timeout = 5s;
    return config;
  }

  /// Provisions one device at `replica` again and again until `want_ok` is what happens or
  /// `limit` passes; returns how long that took (nullopt: never).
  std::optional<std::chrono::milliseconds> until_outcome(size_t replica, bool want_ok,
                                                         std::chrono::milliseconds limit) {
    const auto start = Clock::now();
    while (Clock::now() - start < limit) {
      const auto result = device::provision_blocking(device_at(replica), device_tls());
      if (result.ok == want_ok) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
      }
    }
    return std::nullopt;
  }

  /// Every record of kOwner, by device id, read through `replica`'s API. Waits (bounded) for
  /// the API to answer 200: after a database outage it recovers by itself, not instantly.
  std::map<std::string, json> records_by_device(size_t replica) {
    HttpAnswer answer;
    const auto deadline = Clock::now() + 10s;
    do {
      answer = api(replica).call(Verb::get, "/api/v1/provisioning-records", token());
      if (answer.status == 200) break;
      std::this_thread::sleep_for(50ms);
    } while (Clock::now() < deadline);
    EXPECT_EQ(answer.status, 200u) << answer.body;
    std::map<std::string, json> out;
    for (const json& line : answer.lines()) {
      if (!line.contains("result")) {
        ADD_FAILURE() << "stream line without result: " << line.dump();
        continue;
      }
      const json& record = line.at("result");
      out[record.at("deviceId").get<std::string>()] = record;
    }
    return out;
  }

  /// Runs `devices` devices spread over both replicas while `disturb` runs on this thread (it
  /// must return only once every device finished: wait_until_finished()).
  device::FleetResult run_fleet_while(size_t devices, const std::function<void()>& disturb) {
    // A certificate per device: the server keeps one record per certificate (registration id).
    std::vector<std::shared_ptr<device::ClientTls>> identities;
    for (size_t i = 0; i < devices; ++i) {
      test::LeafOptions leaf;
      leaf.common_name = "scale-out device " + std::to_string(i);
      auto tls = device::ClientTls::create(device_tls(test::make_leaf(mfg_.intermediate, leaf)));
      if (!tls) throw std::runtime_error(tls.error().internal);
      identities.push_back(std::move(*tls));
    }
    device::FleetOptions options;
    options.devices = devices;
    options.concurrency = 8;
    options.device = device_at(0);
    options.retry_delay = 50ms;
    options.servers = [this] {
      std::lock_guard lock(ports_mutex_);
      return std::vector<device::ServerAddress>{{"127.0.0.1", ports_[0]}, {"127.0.0.1", ports_[1]}};
    };
    options.on_device_done = [this](size_t finished, size_t) { finished_ = finished; };
    publish_ports();
    // The fleet runs on a thread of its own and the disturbance on this one: a PostgreSQL server
    // dies with the thread that (re)started it (PostgresServer), so it must not be a worker.
    device::FleetResult result;
    std::thread fleet([&] { result = device::run_fleet(options, identities, 2); });
    disturb();
    fleet.join();
    return result;
  }

  void publish_ports() {
    std::lock_guard lock(ports_mutex_);
    for (size_t i = 0; i < 2; ++i) ports_[i] = replicas_[i] ? replicas_[i]->port() : 0;
  }

  void wait_until_finished(size_t devices) {
    const auto deadline = Clock::now() + 120s;
    while (finished_ < devices && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
  }

  /// Every device succeeded, never saw a 4.xx, and every step it saw acknowledged is in the
  /// database with a success status.
  void expect_all_provisioned_and_recorded(const device::FleetResult& result) {
    const size_t retried = expect_all_succeeded_without_4xx(result);
    expect_acknowledged_steps_recorded(result, records_by_device(1));
    std::cout << "[          ] " << result.devices.size() << " devices, " << retried
              << " retries/restarts, " << result.wall_us / 1000 << " ms\n";
  }

  test::TempDir dir_;
  Manufacturer mfg_ = make_manufacturer("scale-out mfg");
  DpsConfigSpec spec_;
  std::string database_uri_;
  std::filesystem::path config_;
  std::array<std::unique_ptr<DpsProcess>, 2> replicas_;
  std::string server_ca_pem_;
  std::mutex ports_mutex_;
  std::array<uint16_t, 2> ports_{};
  std::atomic<size_t> finished_{0};
};

TEST_F(ScaleOut, GroupCreatedThroughOneReplicaAdmitsAtTheOtherWithinASecond) {
  ASSERT_FALSE(device::provision_blocking(device_at(1), device_tls()).ok);  // not enrolled yet
  enroll_through(0);
  const auto took = until_outcome(1, /*want_ok=*/true, 1s);
  ASSERT_TRUE(took) << "replica 1 did not admit the device within 1 s of the group's creation";
  std::cout << "[          ] admitted at the other replica after " << took->count() << " ms\n";
}

TEST_F(ScaleOut, GroupDisabledThroughOneReplicaRefusesAtTheOtherWithinASecond) {
  json group = enroll_through(0);
  ASSERT_TRUE(until_outcome(0, true, 5s));
  ASSERT_TRUE(until_outcome(1, true, 5s));
  const std::string id = group.at("id");
  group.erase("id");
  group.erase("owner");
  group["disabled"] = true;
  auto answer = api(1).call(Verb::put, "/api/v1/enrollment-groups/" + id, token(), group.dump());
  ASSERT_EQ(answer.status, 200u) << answer.body;
  const auto took = until_outcome(0, /*want_ok=*/false, 1s);
  ASSERT_TRUE(took) << "replica 0 still admitted the group's devices 1 s after it was disabled";
  // And it stays refused (not a lucky failure).
  EXPECT_FALSE(device::provision_blocking(device_at(0), device_tls()).ok);
}

// Issue 14 on two replicas: an individual enrollment written through one replica governs the
// other at the device's next connection (each session reads it from the shared database), and a
// device provisioned at one replica comes back with its identity certificate at the other.
TEST_F(ScaleOut, IndividualEnrollmentsAndIdentitySessionsHoldAcrossReplicas) {
  enroll_through(0);
  const std::string key = pki::spki_sha256_hex(mfg_.device.get());
  const json deny =
      create(1, "/api/v1/individual-enrollments",
             {{"attestationMechanism", {{"publicKeySha256", key}}}, {"disabled", true}});
  EXPECT_FALSE(device::provision_blocking(device_at(0), device_tls()).ok)
      << "replica 0 admitted a device an individual enrollment written at replica 1 refuses";
  const auto removed = api(0).call(
      Verb::delete_, "/api/v1/individual-enrollments?idFilter=" + deny.value("id", ""), token());
  ASSERT_EQ(removed.status, 200u) << removed.body;
  const auto first = device::provision_blocking(device_at(1), device_tls());
  ASSERT_TRUE(first.ok) << "replica 1 still refused after the deletion at replica 0: "
                        << first.error;

  // Provisioned at replica 1, it refreshes its token and renews its certificate at replica 0.
  device::ClientTlsOptions trust;
  trust.ca_pem = server_ca_pem_;
  auto config = device_at(0);
  config.device_id = first.credentials.subject_uuid;
  const auto back = device::identity_session_blocking(
      config, first.credentials, trust, device::IdentitySessionSteps{true, true, true, false});
  ASSERT_TRUE(back.ok) << back.error;
  EXPECT_NE(back.credentials.cert_chain_pem, first.credentials.cert_chain_pem);
  // The renewal, stored through replica 0, retires the old certificate at replica 1 too.
  config.port = replicas_[1]->port();
  const auto stale = device::identity_session_blocking(
      config, first.credentials, trust, device::IdentitySessionSteps{true, false, false, false});
  EXPECT_FALSE(stale.ok) << "the certificate the renewal replaced was accepted at replica 1";
  const auto renewed = device::identity_session_blocking(
      config, back.credentials, trust, device::IdentitySessionSteps{true, false, false, false});
  EXPECT_TRUE(renewed.ok) << renewed.error;
}

// Templates on two replicas: written through one, applied by devices at the other at their next
// connection (a configuration write, so the other replica's catalog reloads within a second).
TEST_F(ScaleOut, TemplateWrittenThroughOneReplicaReachesDevicesAtTheOther) {
  json group = enroll_through(0);
  const json tpl = create(
      1, "/api/v1/enrollment-templates",
      {{"name", "replicated"},
       {"accessControlList",
        {{{"subject", {{"conntype", "auth-crypt"}}},
          {"resources", {{{"href", "/light/1"}}}},
          {"permission", 6}}}},
       {"preConfiguration", {{{"href", "/oc/con"}, {"representation", {{"n", "{{deviceId}}"}}}}}}});
  const std::string id = group.at("id");
  group.erase("id");
  group.erase("owner");
  group["templateId"] = tpl.at("id");
  const auto updated =
      api(1).call(Verb::put, "/api/v1/enrollment-groups/" + id, token(), group.dump());
  ASSERT_EQ(updated.status, 200u) << updated.body;

  auto config = device_at(0);
  config.pre_configuration = true;
  device::ProvisionResult result;
  const auto deadline = Clock::now() + 2s;
  do {  // replica 0 learns of the template within a second (NOTIFY, or its 250 ms poll)
    result = device::provision_blocking(config, device_tls());
  } while ((!result.ok || !result.pre_configuration || result.pre_configuration->updates.empty()) &&
           Clock::now() < deadline);
  ASSERT_TRUE(result.ok) << result.error;
  ASSERT_TRUE(result.pre_configuration);
  ASSERT_EQ(result.pre_configuration->updates.size(), 1u);
  EXPECT_NE(result.pre_configuration->updates[0].representation.find(result.device_id),
            std::string::npos);
  EXPECT_TRUE(result.pre_configuration->reported);
  EXPECT_EQ(result.ace_count, 4u) << "the usual three ACEs and the template's";
  // The report, stored through replica 0, is in the record replica 1 reads.
  const auto records = records_by_device(1);
  ASSERT_TRUE(records.contains(result.device_id));
  const json& section = records.at(result.device_id).at("preConfiguration");
  EXPECT_EQ(section.at("results").size(), 1u) << section.dump();
}

TEST_F(ScaleOut, ReplicaKilledMidRunLosesNoAcknowledgedStep) {
  enroll_through(0);
  constexpr size_t kDevices = 200;
  auto result = run_fleet_while(kDevices, [this] {
    // Kill replica 0 with SIGKILL once the run is well under way, then bring it back on a new
    // port (as a supervisor would).
    while (finished_ < kDevices / 4) std::this_thread::sleep_for(5ms);
    replicas_[0]->kill_hard();
    std::this_thread::sleep_for(300ms);  // devices meanwhile fail over to replica 1
    replicas_[0] = start_replica(0);
    publish_ports();
    wait_until_finished(kDevices);
  });
  expect_all_provisioned_and_recorded(result);
}

// Stopping the database disturbs every test sharing it: this suite has a server of its own.
class ScaleOutDatabaseOutage : public ScaleOut {
 protected:
  test::PostgresServer& postgres() override {
    static test::PostgresServer own;
    return own;
  }
};

TEST_F(ScaleOutDatabaseOutage, DevicesRideThroughADatabaseRestartWithout4xx) {
  enroll_through(0);
  constexpr size_t kDevices = 200;
  auto result = run_fleet_while(kDevices, [this] {
    while (finished_ < kDevices / 4) std::this_thread::sleep_for(5ms);
    postgres().stop();
    // While it is down, the API answers 503 (not 4xx/500) on both replicas.
    for (size_t replica = 0; replica < 2; ++replica) {
      auto answer = api(replica).call(Verb::get, "/api/v1/enrollment-groups", token());
      EXPECT_EQ(answer.status, 503u) << answer.body;
    }
    std::this_thread::sleep_for(3s);
    postgres().start();
    wait_until_finished(kDevices);
  });
  expect_all_provisioned_and_recorded(result);
}

}  // namespace
}  // namespace dps::itest
