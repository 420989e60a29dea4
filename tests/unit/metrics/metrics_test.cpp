// The text /metrics serves: every family documented (HELP, TYPE), every sample line in the 0.0.4
// exposition format, and each recording method moving exactly its series.
#include "metrics/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

namespace dps::metrics {
namespace {

// The value of the sample line `series` (name plus labels exactly as rendered: prometheus-cpp
// sorts labels by name), NaN when there is no such line.
double sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nan("");
}

size_t lines_starting_with(const std::string& text, const std::string& prefix) {
  size_t count = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) count += line.starts_with(prefix) ? 1 : 0;
  return count;
}

TEST(Metrics, EveryFamilyHasHelpAndTypeAndEveryLineIsExpositionFormat) {
  Metrics metrics;
  metrics.on_step(Step::Acls, 0x45, 0.01);
  metrics.on_api_request("GET", 200);
  const std::string text = metrics.render();
  const std::vector<std::pair<std::string, std::string>> families{
      {"dps_handshakes_total", "counter"},
      {"dps_provisioning_steps_total", "counter"},
      {"dps_provisioning_step_duration_seconds", "histogram"},
      {"dps_provisionings_total", "counter"},
      {"dps_open_connections", "gauge"},
      {"dps_connections_total", "counter"},
      {"dps_limits_triggered_total", "counter"},
      {"dps_store_commit_duration_seconds", "histogram"},
      {"dps_store_commit_batch_size", "histogram"},
      {"dps_store_commit_failures_total", "counter"},
      {"dps_catalog_reloads_total", "counter"},
      {"dps_catalog_version", "gauge"},
      {"dps_enrollment_group_cache_hits_total", "counter"},
      {"dps_api_requests_total", "counter"},
  };
  for (const auto& [name, type] : families) {
    EXPECT_EQ(lines_starting_with(text, "# HELP " + name + " "), 1u) << name;
    EXPECT_EQ(lines_starting_with(text, "# TYPE " + name + " " + type), 1u) << name;
  }
  // name{label="value",...} number — label values here never need escaping.
  const std::regex sample_line(
      R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*\})? [-+]?([0-9.]+([eE][-+]?[0-9]+)?|Inf|NaN)$)");
  std::istringstream lines(text);
  size_t samples = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.starts_with("# HELP ") || line.starts_with("# TYPE ")) continue;
    EXPECT_TRUE(std::regex_match(line, sample_line)) << line;
    ++samples;
  }
  EXPECT_GT(samples, 50u);
  EXPECT_EQ(Metrics::kContentType, "text/plain; version=0.0.4");
}

TEST(Metrics, EveryHandshakeResultAndStepIsExportedFromTheStart) {
  Metrics metrics;
  const std::string text = metrics.render();
  for (const char* result :
       {"ok", "no_group", "disabled", "revoked", "expired", "failed", "timeout"}) {
    EXPECT_EQ(sample(text, std::string("dps_handshakes_total{result=\"") + result + "\"}"), 0)
        << result;
  }
  for (const char* step :
       {"time", "ownership", "cloudConfiguration", "credentials", "acls", "other"}) {
    EXPECT_EQ(sample(text, std::string("dps_provisioning_step_duration_seconds_count{step=\"") +
                               step + "\"}"),
              0)
        << step;
  }
  EXPECT_EQ(sample(text, "dps_provisionings_total"), 0);
  for (size_t i = 0; i < kLimitCount; ++i) {
    const auto limit = static_cast<Limit>(i);
    EXPECT_EQ(
        sample(text, "dps_limits_triggered_total{limit=\"" + std::string(label_of(limit)) + "\"}"),
        0)
        << label_of(limit);
  }
}

TEST(Metrics, HandshakesCountUnderTheirResult) {
  Metrics metrics;
  metrics.on_handshake(HandshakeResult::Ok);
  metrics.on_handshake(HandshakeResult::Ok);
  metrics.on_handshake(HandshakeResult::NoGroup);
  metrics.on_handshake(HandshakeResult::Timeout);
  metrics.on_enrollment_group_cache_hit();
  const std::string text = metrics.render();
  EXPECT_EQ(sample(text, R"(dps_handshakes_total{result="ok"})"), 2);
  EXPECT_EQ(sample(text, R"(dps_handshakes_total{result="no_group"})"), 1);
  EXPECT_EQ(sample(text, R"(dps_handshakes_total{result="timeout"})"), 1);
  EXPECT_EQ(sample(text, R"(dps_handshakes_total{result="failed"})"), 0);
  EXPECT_EQ(sample(text, "dps_enrollment_group_cache_hits_total"), 1);
}

TEST(Metrics, StepsCountByStepAndCodeAndOnlySuccessfulAclsCountAsProvisionings) {
  Metrics metrics;
  metrics.on_step(Step::Acls, 0x45, 0.002);         // 2.05
  metrics.on_step(Step::Acls, 0x45, 0.004);         // 2.05
  metrics.on_step(Step::Acls, 0xA3, 0.001);         // 5.03: retried, not provisioned
  metrics.on_step(Step::Credentials, 0x44, 0.030);  // 2.04
  metrics.on_step(Step::Other, 0x84, 0.0001);       // 4.04
  const std::string text = metrics.render();
  EXPECT_EQ(sample(text, R"(dps_provisioning_steps_total{code="2.05",step="acls"})"), 2);
  EXPECT_EQ(sample(text, R"(dps_provisioning_steps_total{code="5.03",step="acls"})"), 1);
  EXPECT_EQ(sample(text, R"(dps_provisioning_steps_total{code="2.04",step="credentials"})"), 1);
  EXPECT_EQ(sample(text, R"(dps_provisioning_steps_total{code="4.04",step="other"})"), 1);
  EXPECT_TRUE(std::isnan(sample(text, R"(dps_provisioning_steps_total{code="2.05",step="time"})")))
      << "a (step, code) pair never seen has no series";
  EXPECT_EQ(sample(text, "dps_provisionings_total"), 2);

  EXPECT_EQ(sample(text, R"(dps_provisioning_step_duration_seconds_count{step="acls"})"), 3);
  EXPECT_NEAR(sample(text, R"(dps_provisioning_step_duration_seconds_sum{step="acls"})"), 0.007,
              1e-9);
  // Cumulative buckets (le last, as prometheus-cpp writes it): 0.001 <= 0.001; the rest <= 0.005.
  EXPECT_EQ(
      sample(text, R"(dps_provisioning_step_duration_seconds_bucket{step="acls",le="0.001"})"), 1);
  EXPECT_EQ(
      sample(text, R"(dps_provisioning_step_duration_seconds_bucket{step="acls",le="0.005"})"), 3);
  EXPECT_EQ(sample(text, R"(dps_provisioning_step_duration_seconds_bucket{step="acls",le="+Inf"})"),
            3);
}

TEST(Metrics, ConnectionsGaugeFollowsOpenAndClose) {
  Metrics metrics;
  metrics.on_connection_opened();
  metrics.on_connection_opened();
  metrics.on_connection_closed();
  metrics.on_limit(Limit::MaxConnections);
  metrics.on_limit(Limit::ApiTokenRate);
  metrics.on_limit(Limit::ApiTokenRate);
  const std::string text = metrics.render();
  EXPECT_EQ(sample(text, "dps_open_connections"), 1);
  EXPECT_EQ(sample(text, "dps_connections_total"), 2);
  EXPECT_EQ(sample(text, R"(dps_limits_triggered_total{limit="max_connections"})"), 1);
  EXPECT_EQ(sample(text, R"(dps_limits_triggered_total{limit="api_token_rate"})"), 2);
  EXPECT_EQ(sample(text, R"(dps_limits_triggered_total{limit="handshake_timeout"})"), 0);
}

TEST(Metrics, StoreCommitsObserveDurationAndBatchSize) {
  Metrics metrics;
  metrics.on_store_commit(3, 0.002, true);
  metrics.on_store_commit(1, 0.0005, false);
  const std::string text = metrics.render();
  EXPECT_EQ(sample(text, "dps_store_commit_batch_size_count"), 2);
  EXPECT_EQ(sample(text, "dps_store_commit_batch_size_sum"), 4);
  EXPECT_EQ(sample(text, R"(dps_store_commit_batch_size_bucket{le="1"})"), 1);
  EXPECT_EQ(sample(text, R"(dps_store_commit_batch_size_bucket{le="2"})"), 1);
  EXPECT_EQ(sample(text, R"(dps_store_commit_batch_size_bucket{le="4"})"), 2);
  EXPECT_EQ(sample(text, "dps_store_commit_duration_seconds_count"), 2);
  EXPECT_NEAR(sample(text, "dps_store_commit_duration_seconds_sum"), 0.0025, 1e-12);
  EXPECT_EQ(sample(text, "dps_store_commit_failures_total"), 1);
}

TEST(Metrics, CatalogLoadsCountAndKeepTheLastVersion) {
  Metrics metrics;
  metrics.on_catalog_loaded(7);
  metrics.on_catalog_loaded(9);
  const std::string text = metrics.render();
  EXPECT_EQ(sample(text, "dps_catalog_reloads_total"), 2);
  EXPECT_EQ(sample(text, "dps_catalog_version"), 9);
}

TEST(Metrics, ApiRequestsCountByMethodAndStatusWithUnknownsFolded) {
  Metrics metrics;
  metrics.on_api_request("GET", 200);
  metrics.on_api_request("GET", 200);
  metrics.on_api_request("POST", 401);
  metrics.on_api_request("BREW", 418);
  metrics.on_api_request("get", 999);
  const std::string text = metrics.render();
  EXPECT_EQ(sample(text, R"(dps_api_requests_total{method="GET",status="200"})"), 2);
  EXPECT_EQ(sample(text, R"(dps_api_requests_total{method="POST",status="401"})"), 1);
  EXPECT_EQ(sample(text, R"(dps_api_requests_total{method="other",status="418"})"), 1);
  EXPECT_EQ(sample(text, R"(dps_api_requests_total{method="other",status="other"})"), 1);
}

TEST(Metrics, ConcurrentFirstUsesOfASeriesCountIntoOneSeries) {
  Metrics metrics;
  constexpr int kThreads = 4;
  constexpr int kEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&metrics] {
      for (int i = 0; i < kEach; ++i) {
        metrics.on_step(Step::Ownership, 0x45, 0.001);
        metrics.on_api_request("DELETE", 404);
        metrics.on_connection_opened();
        metrics.on_connection_closed();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const std::string text = metrics.render();
  const std::string series = R"(dps_provisioning_steps_total{code="2.05",step="ownership"})";
  EXPECT_EQ(sample(text, series), kThreads * kEach);
  EXPECT_EQ(lines_starting_with(text, series), 1u);
  EXPECT_EQ(sample(text, R"(dps_api_requests_total{method="DELETE",status="404"})"),
            kThreads * kEach);
  EXPECT_EQ(sample(text, R"(dps_provisioning_step_duration_seconds_count{step="ownership"})"),
            kThreads * kEach);
  EXPECT_EQ(sample(text, "dps_open_connections"), 0);
  EXPECT_EQ(sample(text, "dps_connections_total"), kThreads * kEach);
}

TEST(Metrics, CoapCodesAreDottedText) {
  EXPECT_EQ(coap_code_text(0x45), "2.05");
  EXPECT_EQ(coap_code_text(0x44), "2.04");
  EXPECT_EQ(coap_code_text(0x80), "4.00");
  EXPECT_EQ(coap_code_text(0x8D), "4.13");
  EXPECT_EQ(coap_code_text(0xA3), "5.03");
  EXPECT_EQ(coap_code_text(0xFF), "7.31");
}

TEST(Metrics, LabelsAreTheDocumentedWords) {
  EXPECT_EQ(label_of(HandshakeResult::NoGroup), "no_group");
  EXPECT_EQ(label_of(HandshakeResult::Timeout), "timeout");
  EXPECT_EQ(label_of(Step::CloudConfiguration), "cloudConfiguration");
  EXPECT_EQ(label_of(Step::Other), "other");
}

}  // namespace
}  // namespace dps::metrics
