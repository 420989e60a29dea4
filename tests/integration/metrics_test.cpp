// What operators watch: /metrics on the API port moves by exactly what the devices did (issue 5:
// "a test that scrapes /metrics and checks the counters moved by exactly the number of devices
// provisioned"), and with log.encoding json every line dps logs is one JSON object, whatever the
// devices and clients put into it.
#include <algorithm>
#include <map>
#include <sstream>
#include <thread>

#include "pki/x509_util.hpp"
#include "support/api_fixture.hpp"
#include "support/metrics_scrape.hpp"

namespace dps::itest {
namespace {

using namespace std::chrono_literals;

class DpsMetrics : public ApiTest {
 protected:
  Scrape scrape() const {
    const auto answer = api().call(Verb::get, "/metrics", "");  // no token: /metrics is public
    EXPECT_EQ(answer.status, 200u) << answer.body;
    EXPECT_EQ(answer.content_type, "text/plain; version=0.0.4");
    return Scrape(answer.body);
  }

  /// Scrapes until `done` holds (sessions end asynchronously after the device's last answer);
  /// returns the last scrape either way.
  Scrape scrape_until(const std::function<bool(const Scrape&)>& done) const {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) {
      Scrape now = scrape();
      if (done(now) || std::chrono::steady_clock::now() > deadline) return now;
      std::this_thread::sleep_for(20ms);
    }
  }
};

TEST_F(DpsMetrics, CountersMoveByExactlyTheDevicesProvisionedAndRefused) {
  constexpr int kDevices = 3;
  const Scrape before = scrape();
  EXPECT_GE(before.at("dps_catalog_reloads_total"), 1);  // the load at start
  EXPECT_TRUE(before.has("dps_handshakes_total", {{"result", "ok"}}));

  for (int i = 0; i < kDevices; ++i) {
    test::LeafOptions options;  // a distinct device each time (its own key and uuid CN)
    const auto leaf = test::make_leaf(mfg_.intermediate, options);
    const auto result = provision(tls_for(leaf, &mfg_.intermediate));
    ASSERT_TRUE(result.ok) << "device " << i << ": " << result.error;
  }
  const Manufacturer unknown = make_manufacturer("metrics unknown mfg");
  std::string why;
  ASSERT_TRUE(handshake_refused(tls_for(unknown.device, &unknown.intermediate), &why)) << why;

  // Two sessions per provisioned device (time, then the other four steps), one refused.
  constexpr double kConnections = 2 * kDevices + 1;
  const Scrape after = scrape_until([&](const Scrape& s) {
    return s.at("dps_open_connections") == 0 &&
           s.at("dps_connections_total") >= before.at("dps_connections_total") + kConnections;
  });
  const auto delta = [&](const std::string& name, const Labels& labels = {}) {
    return after.at(name, labels) - before.at(name, labels);
  };

  EXPECT_EQ(after.at("dps_open_connections"), 0);
  EXPECT_EQ(delta("dps_connections_total"), kConnections);
  for (const char* limit :
       {"max_connections", "source_connection_rate", "handshake_timeout", "inactivity_timeout",
        "max_message_size", "max_requests_per_session", "api_body_size", "api_token_rate"}) {
    EXPECT_EQ(delta("dps_limits_triggered_total", {{"limit", limit}}), 0) << limit;
  }

  EXPECT_EQ(delta("dps_provisionings_total"), kDevices);
  // The codes a device checks for: 2.05 Content for GETs, 2.04 Changed for POSTs.
  const std::vector<std::pair<std::string, std::string>> steps{{"time", "2.05"},
                                                               {"ownership", "2.05"},
                                                               {"cloudConfiguration", "2.04"},
                                                               {"credentials", "2.04"},
                                                               {"acls", "2.05"}};
  for (const auto& [step, code] : steps) {
    EXPECT_EQ(delta("dps_provisioning_steps_total", {{"step", step}, {"code", code}}), kDevices)
        << step;
    EXPECT_EQ(delta("dps_provisioning_step_duration_seconds_count", {{"step", step}}), kDevices)
        << step;
    EXPECT_GT(delta("dps_provisioning_step_duration_seconds_sum", {{"step", step}}), 0) << step;
  }
  EXPECT_EQ(delta("dps_provisioning_step_duration_seconds_count", {{"step", "other"}}), 0);

  EXPECT_EQ(delta("dps_handshakes_total", {{"result", "ok"}}), 2 * kDevices);
  EXPECT_EQ(delta("dps_handshakes_total", {{"result", "no_group"}}), 1);
  for (const char* result : {"disabled", "revoked", "expired", "failed", "timeout"}) {
    EXPECT_EQ(delta("dps_handshakes_total", {{"result", result}}), 0) << result;
  }
  EXPECT_EQ(delta("dps_enrollment_group_cache_hits_total"), 2 * kDevices);

  // Every step's record was committed before its answer: at least one record per step and
  // device went through the group-commit writer.
  EXPECT_GT(delta("dps_store_commit_batch_size_count"), 0);
  EXPECT_GE(delta("dps_store_commit_batch_size_sum"), 5 * kDevices);
  EXPECT_EQ(delta("dps_store_commit_duration_seconds_count"),
            delta("dps_store_commit_batch_size_count"));
  EXPECT_EQ(delta("dps_store_commit_failures_total"), 0);

  // The scrapes count themselves.
  EXPECT_GE(after.at("dps_api_requests_total", {{"method", "GET"}, {"status", "200"}}), 1);
}

TEST_F(DpsMetrics, IsServedWithoutATokenForGetOnly) {
  const auto answer = api().call(Verb::get, "/metrics", "");
  EXPECT_EQ(answer.status, 200u);
  EXPECT_NE(answer.body.find("# TYPE dps_provisionings_total counter"), std::string::npos)
      << answer.body;
  EXPECT_EQ(api().call(Verb::post, "/metrics", "").status, 404u);
  EXPECT_EQ(api().call(Verb::get, kPlgdPrefix + std::string("/metrics"), "").status, 404u);
  // An API call is counted by method and status, never by path.
  EXPECT_EQ(api().call(Verb::get, kHubsPath, "").status, 401u);
  const std::string text = api().call(Verb::get, "/metrics", "").body;
  EXPECT_NE(text.find(R"(dps_api_requests_total{method="GET",status="401"} 1)"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("/api/v1"), std::string::npos);
}

constexpr const char* kDisabledGroup = "e0e0e0e0-0000-4000-8000-00000000000d";

// One device per refusal reason the handshake can give, each counted once under its reason.
class DpsHandshakeMetrics : public DpsMetrics {
 protected:
  void configure(DpsConfigSpec& spec) override {
    DpsMetrics::configure(spec);
    revoked_ = test::make_leaf(mfg_.intermediate);
    spec.groups[0].revoked_certificates = {pki::serial_hex(revoked_.get())};
    disabled_mfg_ = make_manufacturer("metrics disabled mfg");
    GroupSpec disabled;
    disabled.id = kDisabledGroup;
    disabled.chain_file = write("disabled-chain.pem", disabled_mfg_.chain_pem());
    disabled.disabled = true;
    disabled.hubs = {HubSpec{kHubA, {kGatewayA}}};
    spec.groups.push_back(disabled);
  }

  test::TestCert revoked_;
  Manufacturer disabled_mfg_;
};

TEST_F(DpsHandshakeMetrics, EachRefusalCountsOnceUnderItsReason) {
  const Scrape before = scrape();
  test::LeafOptions expired_options;
  expired_options.validity = {-std::chrono::days(730), -std::chrono::days(365)};
  const auto expired = test::make_leaf(mfg_.intermediate, expired_options);
  test::LeafOptions server_only;  // no clientAuth EKU: the chain is not acceptable
  server_only.client_auth_eku = false;
  const auto not_client = test::make_leaf(mfg_.intermediate, server_only);
  const Manufacturer unknown = make_manufacturer("metrics unknown mfg");

  const std::vector<std::pair<std::string, device::ClientTlsOptions>> refused{
      {"revoked", tls_for(revoked_, &mfg_.intermediate)},
      {"expired", tls_for(expired, &mfg_.intermediate)},
      {"failed", tls_for(not_client, &mfg_.intermediate)},
      {"disabled", tls_for(disabled_mfg_.device, &disabled_mfg_.intermediate)},
      {"no_group", tls_for(unknown.device, &unknown.intermediate)},
  };
  for (const auto& [reason, tls] : refused) {
    std::string why;
    EXPECT_TRUE(handshake_refused(tls, &why)) << reason << ": " << why;
  }
  const Scrape after = scrape_until([&](const Scrape& s) {
    return s.at("dps_open_connections") == 0 &&
           s.at("dps_connections_total") >=
               before.at("dps_connections_total") + static_cast<double>(refused.size());
  });
  for (const auto& [reason, tls] : refused) {
    EXPECT_EQ(after.at("dps_handshakes_total", {{"result", reason}}) -
                  before.at("dps_handshakes_total", {{"result", reason}}),
              1)
        << reason;
  }
  for (const char* result : {"ok", "timeout"}) {
    EXPECT_EQ(after.at("dps_handshakes_total", {{"result", result}}),
              before.at("dps_handshakes_total", {{"result", result}}))
        << result;
  }
  EXPECT_EQ(after.at("dps_enrollment_group_cache_hits_total"),
            before.at("dps_enrollment_group_cache_hits_total"));
  EXPECT_EQ(after.at("dps_provisionings_total"), before.at("dps_provisionings_total"));
}

class JsonLogs : public ApiTest {
 protected:
  void configure(DpsConfigSpec& spec) override {
    ApiTest::configure(spec);
    spec.log_encoding = "json";
    spec.log_level = "debug";
  }
};

TEST_F(JsonLogs, EveryLineDpsLogsIsAJsonObjectWithTimeLevelAndMessage) {
  // Text from the network lands in log lines: certificate names (issuer CN of a refused device)
  // and percent-decoded API paths, here with quotes, backslashes, newlines, control characters
  // and a byte that is not UTF-8.
  const std::string evil = "evil \"mfg\" \\ new\nline \x01 tab\t";
  const Manufacturer unknown = make_manufacturer(evil);
  EXPECT_TRUE(handshake_refused(tls_for(unknown.device, &unknown.intermediate)));
  const auto result = provision(default_tls());
  EXPECT_TRUE(result.ok) << result.error;
  const std::string token = token_of(kOwnerA);
  const auto odd = call(Verb::get, "/api/v1/hubs/a%22b%5Cc%0Ad%01e%FFf", token);
  EXPECT_NE(odd.status, 0u);
  EXPECT_EQ(call(Verb::get, kHubsPath, "not a token").status, 401u);

  // The last request's line is written before its answer; session lines before the session
  // ends: wait for the refused device's line and the provisioned device's acls answer.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline &&
         (dps_->log().find(R"(/api/v1/provisioning/acls\" -> 2.05)") == std::string::npos ||
          dps_->log().find("handshake refused") == std::string::npos)) {
    std::this_thread::sleep_for(20ms);
  }

  const std::string log = dps_->log();
  ASSERT_FALSE(log.empty());
  ASSERT_EQ(log.back(), '\n') << "the last line is cut";
  std::istringstream lines(log);
  size_t count = 0;
  bool saw_evil_name = false;
  bool saw_session_field = false;
  bool saw_odd_path = false;
  for (std::string line; std::getline(lines, line);) {
    ++count;
    const auto object = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(object.is_object()) << "line " << count << " is not a JSON object: " << line;
    ASSERT_TRUE(object.contains("time") && object["time"].is_string()) << line;
    ASSERT_TRUE(object.contains("level") && object["level"].is_string()) << line;
    ASSERT_TRUE(object.contains("msg") && object["msg"].is_string()) << line;
    const std::string time = object["time"];
    EXPECT_TRUE(time.size() == 27 && time[10] == 'T' && time.back() == 'Z') << time;
    const std::string msg = object["msg"];
    // Peer text is quoted (log::quoted) before JSON escaping: one line whatever the encoding.
    saw_evil_name |=
        msg.find(R"("evil \"mfg\" \\ new\nline \x01 tab\t intermediate")") != std::string::npos;
    saw_session_field |= object.contains("conn") && object["conn"].is_number_unsigned();
    saw_odd_path |= msg.find(R"(/api/v1/hubs/a\"b\\c\nd\x01e\xFFf")") != std::string::npos;
  }
  EXPECT_GT(count, 10u);
  EXPECT_TRUE(saw_evil_name) << "the refused issuer CN, quoted, is in a message:\n" << log;
  EXPECT_TRUE(saw_session_field) << log;
  EXPECT_TRUE(saw_odd_path) << log;
  // No secret: neither the admin token nor a bearer token reaches the log.
  EXPECT_EQ(log.find(token), std::string::npos);
}

}  // namespace
}  // namespace dps::itest
