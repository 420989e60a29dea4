// What a dps-bench run measured, as plain data: filled by main from the fleet (or the idle
// connections), /proc and the crypto floor; rendered by report.cpp as text or JSON.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "crypto_floor.hpp"
#include "device/fleet.hpp"
#include "stats.hpp"

namespace dps::bench {

/// Where the devices went and what the server is.
struct TargetInfo {
  std::vector<std::string> servers;  // host:port
  pid_t pid = 0;                     // 0: unknown (no /proc figures)
  std::string started;               // "dps binary + config" when dps-bench started it
  std::string temp_dir;              // kept temp dir (--keep-temp), else empty
};

/// The server's resource use over the measured window.
struct ServerUsage {
  double cpu_seconds = 0;     // user+sys during the run (after - before)
  uint64_t peak_rss_kib = 0;  // VmHWM at the end (since the server started)
  double cpu_us_per_provisioning = 0;
  double floor_multiple = 0;  // cpu_us_per_provisioning / floor cost
};

struct NamedLatency {
  std::string name;  // "time" ... "acls", "total"
  LatencySummary latency;
};

struct ProvisionReport {
  std::string command;
  TargetInfo target;
  size_t devices = 0;
  size_t concurrency = 0;
  double rate = 0;  // offered devices/s, 0 = closed loop
  unsigned client_threads = 0;
  double identities_seconds = 0;  // key and certificate generation, before the clock
  size_t succeeded = 0;
  size_t failed = 0;
  double wall_seconds = 0;
  double per_second = 0;
  std::vector<NamedLatency> latencies;  // the five steps, then the whole flow
  uint64_t retries = 0;
  uint64_t restarts = 0;
  std::map<std::string, size_t> errors;   // every failed answer, by code
  std::vector<std::string> first_errors;  // of devices that gave up
  std::optional<ServerUsage> server;
  CryptoFloor floor;
  FloorCost floor_cost;
};

/// Fills the fleet part of a report: counts, rate, latencies of successful answers per step and
/// of whole successful flows, retries, errors by code and the first errors of failed devices.
void add_fleet_result(const device::FleetResult& fleet, ProvisionReport& report);

/// "5.03", "4.00", ... for an answer that came; "connect", "timeout" or "no answer" when none
/// did; "<code> rejected" when the device's checks refused a success answer.
std::string error_class(const device::StepOutcome& outcome);

struct IdleReport {
  std::string command;
  TargetInfo target;
  size_t requested = 0;
  size_t opened = 0;
  size_t failed = 0;
  size_t closed_by_server = 0;  // of the opened ones, closed before the hold ended
  std::vector<std::string> first_errors;
  double open_seconds = 0;
  double hold_seconds = 0;
  uint64_t rss_before_kib = 0;
  uint64_t rss_after_kib = 0;  // at the end of the hold, connections still open
  uint64_t peak_rss_kib = 0;
  uint64_t fds_before = 0;
  uint64_t fds_after = 0;
  double bytes_per_connection = 0;  // (after - before) / opened
  uint64_t open_files_limit = 0;    // this process's, after raising it
  std::optional<uint64_t> server_open_files_limit;
};

}  // namespace dps::bench
