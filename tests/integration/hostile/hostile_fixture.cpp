#include "hostile/hostile_fixture.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "support/api_client.hpp"
#include "support/fleet_checks.hpp"

namespace dps::itest::hostile {

using namespace std::chrono_literals;

std::string num(double value) { return std::to_string(static_cast<long long>(value)); }

size_t count_lines_with(const std::string& log, std::string_view text) {
  size_t count = 0;
  for (size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + text.size()))
    ++count;
  return count;
}

std::string seconds(Clock::duration d) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f s", std::chrono::duration<double>(d).count());
  return text;
}

std::string mib(size_t kib) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(kib) / 1024.0);
  return text;
}

LegitFleet::LegitFleet(device::FleetOptions options,
                       std::vector<std::shared_ptr<device::ClientTls>> ids)
    : options_(std::move(options)), identities_(std::move(ids)) {
  options_.on_device_done = [this](size_t finished, size_t) { finished_ = finished; };
  thread_ = std::thread([this] { result_ = device::run_fleet(options_, identities_, 1); });
}

LegitFleet::~LegitFleet() {
  if (thread_.joinable()) thread_.join();
}

const device::FleetResult& LegitFleet::join() {
  if (thread_.joinable()) thread_.join();
  return result_;
}

void HostileNetwork::SetUp() {
#if defined(DPS_ADDRESS_SANITIZER)
  // ASan parks freed memory in a quarantine of up to 256 MiB before reusing it: in dps's VmRSS
  // that looks like growth of ~1 MiB per TLS handshake. A small quarantine keeps VmRSS about live
  // memory (use-after-free detection stays on, over a shorter window). dps inherits our
  // environment; our own ASan read its options at start and is not affected.
  std::string asan = std::getenv("ASAN_OPTIONS") ? std::getenv("ASAN_OPTIONS") : "";
  if (asan.find("quarantine_size_mb") == std::string::npos) {
    asan += std::string(asan.empty() ? "" : ":") + "quarantine_size_mb=8";
    setenv("ASAN_OPTIONS", asan.c_str(), 1);
  }
#endif
  prepare_default_spec("hostile mfg");
  spec_.http_enabled = true;  // /metrics
  spec_.log_level = "info";   // a line per connection is plenty with hundreds of them
}

void HostileNetwork::TearDown() {
  if (rss_) rss_->stop();
  if (dps_) {
    // An exception escaping a session or an API connection is caught at its spawn and logged.
    const std::string log = dps_->log();
    for (const char* sign : {"session failed", "http connection failed"}) {
      const auto at = log.find(sign);
      EXPECT_EQ(at, std::string::npos)
          << "dps logged: " << log.substr(log.rfind('\n', at) + 1, 300);
    }
  }
  DpsTest::TearDown();  // stops dps: a crash or a sanitizer report fails the test here
}

void HostileNetwork::launch() {
  start_dps();
  if (HasFatalFailure()) return;
  test::LeafOptions leaf;
  leaf.common_name = "hostile warm-up device";
  const auto warm_up =
      provision(tls_for(test::make_leaf(mfg_.intermediate, leaf), &mfg_.intermediate));
  ASSERT_TRUE(warm_up.ok) << "warm-up device: " << warm_up.error;
  // Let the warm-up sessions end before the baseline.
  scrape_until([](const Scrape& s) { return s.at("dps_open_connections") == 0; });
  rss_before_kib_ = vm_rss_kib(dps_->pid());
  rss_ = std::make_unique<RssSampler>(dps_->pid());
}

Scrape HostileNetwork::scrape() const {
  const auto answer = ApiClient(dps_->api_port(), server_ca_pem_).call(Verb::get, "/metrics", "");
  if (answer.status != 200) throw std::runtime_error("/metrics answered " + answer.body);
  return Scrape(answer.body);
}

Scrape HostileNetwork::scrape_until(const std::function<bool(const Scrape&)>& done,
                                    std::chrono::milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    Scrape now = scrape();
    if (done(now) || Clock::now() > deadline) return now;
    std::this_thread::sleep_for(50ms);
  }
}

std::shared_ptr<device::ClientTls> HostileNetwork::identity(
    const device::ClientTlsOptions& options) const {
  auto tls = device::ClientTls::create(options);
  if (!tls) throw std::runtime_error("client TLS: " + tls.error().internal);
  return *tls;
}

std::shared_ptr<device::ClientTls> HostileNetwork::enrolled_identity(bool tls12) const {
  return identity(default_tls(tls12));
}

std::unique_ptr<LegitFleet> HostileNetwork::start_fleet(size_t devices, double start_rate) {
  std::vector<std::shared_ptr<device::ClientTls>> identities;
  for (size_t i = 0; i < devices; ++i) {
    test::LeafOptions leaf;
    leaf.common_name = "hostile legit device " + std::to_string(i);
    identities.push_back(
        identity(tls_for(test::make_leaf(mfg_.intermediate, leaf), &mfg_.intermediate)));
  }
  device::FleetOptions options;
  options.devices = devices;
  options.concurrency = 4;
  options.start_rate = start_rate;
  options.device = device_config();
  options.retry_delay = 50ms;
  options.servers = [port = port()] {
    return std::vector<device::ServerAddress>{{"127.0.0.1", port}};
  };
  return std::make_unique<LegitFleet>(std::move(options), std::move(identities));
}

std::string HostileNetwork::expect_all_provisioned(const device::FleetResult& result) {
  const size_t retried = expect_all_succeeded_without_4xx(result);
  std::ostringstream out;
  out << result.succeeded() << "/" << result.devices.size() << " legit devices provisioned, "
      << retried << " retries/restarts, " << result.wall_us / 1000 << " ms";
  return out.str();
}

RssFigures HostileNetwork::finish_rss() {
  RssFigures rss;
  rss.before_kib = rss_before_kib_;
  if (rss_) {
    rss_->stop();
    rss.during_kib = rss_->max_kib();
  }
  rss.after_kib = vm_rss_kib(dps_->pid());
  rss.during_kib = std::max(rss.during_kib, rss.after_kib);
  return rss;
}

void HostileNetwork::expect_rss_bounded(const RssFigures& rss) {
  const auto growth = [&](size_t kib) { return kib > rss.before_kib ? kib - rss.before_kib : 0; };
  report("dps VmRSS before " + mib(rss.before_kib) + ", max during " + mib(rss.during_kib) + " (+" +
         mib(growth(rss.during_kib)) + "), after " + mib(rss.after_kib) + " (+" +
         mib(growth(rss.after_kib)) + ")");
  EXPECT_GT(rss.before_kib, 0u) << "VmRSS of dps not readable";
  EXPECT_LT(growth(rss.during_kib), kRssBoundKib) << "dps memory grew during the attack";
  EXPECT_LT(growth(rss.after_kib), kRssBoundKib) << "dps memory stayed grown after the attack";
}

void HostileNetwork::report(const std::string& line) const {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::cout << "[ hostile  ] " << (info ? info->name() : "?") << ": " << line << std::endl;
}

}  // namespace dps::itest::hostile
