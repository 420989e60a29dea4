// Fixture of the hostile-network suite (issue 6): a dps of its own per test, started by the test
// once it has set the limits it needs (launch()), the management API on for /metrics, a stream of
// legitimate devices (device::run_fleet, each with a certificate of its own, from 127.0.0.1) that
// must all succeed during the attack, and VmRSS of the dps process sampled throughout.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "device/fleet.hpp"
#include "hostile/attackers.hpp"
#include "support/dps_fixture.hpp"
#include "support/metrics_scrape.hpp"
#include "support/sanitizer_build.hpp"

namespace dps::itest::hostile {

/// Legitimate devices provisioning on a thread of their own.
class LegitFleet {
 public:
  LegitFleet(device::FleetOptions options, std::vector<std::shared_ptr<device::ClientTls>> ids);
  ~LegitFleet();
  LegitFleet(const LegitFleet&) = delete;
  LegitFleet& operator=(const LegitFleet&) = delete;

  /// Waits for every device to finish (or give up).
  const device::FleetResult& join();
  size_t finished() const { return finished_.load(); }

 private:
  device::FleetOptions options_;
  std::vector<std::shared_ptr<device::ClientTls>> identities_;
  device::FleetResult result_;
  std::atomic<size_t> finished_{0};
  std::thread thread_;
};

/// VmRSS of dps: after the warm-up, the largest seen during the attack, and after it.
struct RssFigures {
  size_t before_kib = 0;
  size_t during_kib = 0;
  size_t after_kib = 0;
};

class HostileNetwork : public DpsTest {
 protected:
  /// Growth of VmRSS tolerated during and after an attack.
  static constexpr size_t kRssBoundKib = 64 * 1024;
  /// Slack on timing bounds: the sanitizer build is ~3x slower.
#if defined(DPS_ADDRESS_SANITIZER)
  static constexpr double kSlow = 3.0;
#else
  static constexpr double kSlow = 1.0;
#endif

  /// The group and the API; dps is not started: the test sets spec_'s limits, then launch().
  void SetUp() override;
  void TearDown() override;
  /// Starts dps, provisions one device (warm-up), takes the RSS baseline and starts sampling.
  void launch();

  uint16_t port() const { return dps_->port(); }
  Scrape scrape() const;
  /// Scrapes until `done` holds or `timeout` passes; the last scrape either way.
  Scrape scrape_until(const std::function<bool(const Scrape&)>& done,
                      std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;

  /// `devices` legitimate devices, `start_rate` started per second (0: as fast as possible), four
  /// at a time.
  std::unique_ptr<LegitFleet> start_fleet(size_t devices, double start_rate);
  /// Every device provisioned, none saw a 4.xx; returns a summary for the report.
  std::string expect_all_provisioned(const device::FleetResult& result);

  /// A TLS client context presenting mfg_.device (a valid, enrolled device certificate).
  std::shared_ptr<device::ClientTls> enrolled_identity(bool tls12 = false) const;
  std::shared_ptr<device::ClientTls> identity(const device::ClientTlsOptions& options) const;

  /// Stops sampling and takes the after figure (call once the attack's connections are gone).
  RssFigures finish_rss();
  /// Growth during and after within kRssBoundKib (prints the figures).
  void expect_rss_bounded(const RssFigures& rss);
  /// One line of figures on stdout, tagged with the test's name.
  void report(const std::string& line) const;

  std::unique_ptr<RssSampler> rss_;
  size_t rss_before_kib_ = 0;
};

/// Counters are doubles on /metrics.
inline double dbl(size_t n) { return static_cast<double>(n); }
/// A counter's value as an integer, for reports.
std::string num(double value);
/// Occurrences of `text` in `log`.
size_t count_lines_with(const std::string& log, std::string_view text);

/// Seconds, for reports.
std::string seconds(Clock::duration d);
/// KiB as MiB with one decimal, for reports.
std::string mib(size_t kib);

}  // namespace dps::itest::hostile
