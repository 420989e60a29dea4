// Provisioning mode: identities first (not timed), then the crypto floor, then the fleet between
// two /proc samples of the server.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "modes.hpp"
#include "proc_stats.hpp"
#include "progress.hpp"
#include "report.hpp"
#include "tpm_devices.hpp"

namespace dps::bench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<std::shared_ptr<device::ClientTls>> make_identities(const BenchOptions& o,
                                                                const Target& target,
                                                                double& seconds) {
  const auto start = Clock::now();
  Progress progress("identities (P-256 key + certificate per device)", o.devices);
  auto identities =
      issue_identities(target.mfg, o.devices, DeviceTlsSettings{target.server_ca_pem, o.tls12},
                       client_threads(o), [&](size_t done) { progress.update(done); });
  progress.finish();
  seconds = seconds_since(start);
  return identities;
}

device::FleetOptions fleet_options(const BenchOptions& o, const Target& target,
                                   Progress& progress) {
  device::FleetOptions fleet;
  fleet.devices = o.devices;
  fleet.concurrency = o.concurrency;
  fleet.start_rate = o.rate;
  fleet.device.connect_timeout = fleet.device.step_timeout =
      std::chrono::milliseconds(o.timeout_ms);
  fleet.retry_delay = std::chrono::milliseconds(o.retry_delay_ms);
  fleet.device.udp = o.udp;
  fleet.max_restarts = o.max_restarts;
  fleet.servers = [servers = target.servers] { return servers; };
  fleet.on_device_done = [&progress](size_t finished, size_t failed) {
    progress.update(finished, failed);
  };
  return fleet;
}

}  // namespace

unsigned client_threads(const BenchOptions& o) {
  if (o.client_threads > 0) return o.client_threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

int run_provision(const BenchOptions& o, Target& target, std::optional<TpmDevices> tpm) {
  ProvisionReport report;
  report.command = o.command_line;
  report.devices = o.devices;
  report.concurrency = o.concurrency;
  report.rate = o.rate;
  report.client_threads = client_threads(o);
  std::vector<std::shared_ptr<device::ClientTls>> identities;
  if (tpm) {
    report.identities_seconds = tpm->seconds;
  } else {
    identities = make_identities(o, target, report.identities_seconds);
  }

  std::fprintf(stderr, "dps-bench: measuring the crypto floor (%.1f s per operation)\n",
               o.floor_seconds);
  report.floor = measure_crypto_floor(o.floor_seconds);
  report.floor_cost = provisioning_floor(report.floor);

  const pid_t pid = target.info.pid;
  const auto before = pid > 0 ? sample_process(pid) : std::nullopt;
  device::FleetResult fleet;
  {
    Progress progress("devices", o.devices);
    if (tpm) {
      device::ClientTlsOptions trust;
      trust.ca_pem = target.server_ca_pem;
      trust.force_tls12 = o.tls12;
      fleet = run_tpm_fleet(fleet_options(o, target, progress), std::move(tpm->tpms), trust,
                            report.client_threads);
    } else {
      fleet =
          device::run_fleet(fleet_options(o, target, progress), identities, report.client_threads);
    }
    progress.finish();
  }
  const auto after = pid > 0 ? sample_process(pid) : std::nullopt;
  add_fleet_result(fleet, report);
  if (before && after) {
    ServerUsage usage;
    usage.cpu_seconds = after->cpu_seconds - before->cpu_seconds;
    usage.peak_rss_kib = after->hwm_kib;
    if (report.succeeded > 0) {
      usage.cpu_us_per_provisioning = usage.cpu_seconds * 1e6 / double(report.succeeded);
    }
    if (report.floor_cost.micros > 0) {
      usage.floor_multiple = usage.cpu_us_per_provisioning / report.floor_cost.micros;
    }
    report.server = usage;
  } else if (pid > 0) {
    std::fprintf(stderr, "dps-bench: cannot read /proc/%d (server gone?)\n", static_cast<int>(pid));
  }
  report.target = target.info;
  std::cout << (o.json ? format_json(report) : format_text(report)) << std::flush;
  if (report.failed > 0) {
    std::fprintf(stderr, "dps-bench: %zu of %zu devices failed; first errors:\n", report.failed,
                 report.devices);
    for (const auto& e : report.first_errors) std::fprintf(stderr, "  %s\n", e.c_str());
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace dps::bench
