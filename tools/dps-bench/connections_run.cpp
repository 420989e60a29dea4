// Connections mode: N short device-like connections (connection_cycle.hpp) between two /proc
// samples of the server; reports connections/s and, when the server's pid is known, its CPU per
// connection. bench/nginx-side-by-side.sh runs it against dps and nginx alike.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "connection_cycle.hpp"
#include "modes.hpp"
#include "proc_stats.hpp"
#include "progress.hpp"

namespace dps::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct ConnectionsReport {
  std::string command;
  std::string request;
  size_t requested = 0;
  size_t concurrency = 0;
  unsigned client_threads = 0;
  ConnectionCycleResult result;
  double seconds = 0;
  pid_t pid = 0;  // 0: no server figures
  double server_cpu_seconds = 0;
};

double per_connection_us(const ConnectionsReport& r) {
  return r.result.served > 0 ? r.server_cpu_seconds * 1e6 / static_cast<double>(r.result.served)
                             : 0;
}

// Stable "key: value" lines: people read them, scripts grep them.
std::string format_text(const ConnectionsReport& r) {
  std::ostringstream out;
  char line[256];
  out << "dps-bench connections: " << r.command << "\n";
  out << "request: " << r.request << "\n";
  std::snprintf(line, sizeof line, "served: %zu of %zu (failed %zu), %zu at once, %u threads\n",
                r.result.served, r.requested, r.result.failed, r.concurrency, r.client_threads);
  out << line;
  out << "tls: " << (r.result.tls_version.empty() ? "-" : r.result.tls_version) << " "
      << (r.result.cipher.empty() ? "-" : r.result.cipher) << "\n";
  std::snprintf(line, sizeof line, "wall: %.2f s, %.0f connections/s\n", r.seconds,
                r.seconds > 0 ? static_cast<double>(r.result.served) / r.seconds : 0.0);
  out << line;
  if (r.pid != 0) {
    std::snprintf(line, sizeof line,
                  "server cpu: %.3f s (pid %d), %.1f us per connection (/proc utime+stime: "
                  "clock ticks, coarse below a few hundred connections)\n",
                  r.server_cpu_seconds, static_cast<int>(r.pid), per_connection_us(r));
    out << line;
  }
  return out.str();
}

std::string format_json(const ConnectionsReport& r) {
  nlohmann::json j = {
      {"mode", "connections"},
      {"command", r.command},
      {"request", r.request},
      {"requested", r.requested},
      {"served", r.result.served},
      {"failed", r.result.failed},
      {"errors", r.result.first_errors},
      {"concurrency", r.concurrency},
      {"clientThreads", r.client_threads},
      {"tlsVersion", r.result.tls_version},
      {"cipher", r.result.cipher},
      {"seconds", r.seconds},
      {"connectionsPerSecond",
       r.seconds > 0 ? static_cast<double>(r.result.served) / r.seconds : 0.0},
  };
  if (r.pid != 0) {
    j["server"] = {{"pid", r.pid},
                   {"cpuSeconds", r.server_cpu_seconds},
                   {"cpuUsPerConnection", per_connection_us(r)}};
  }
  return j.dump(2) + "\n";
}

std::optional<double> cpu_of(pid_t pid) {
  if (pid == 0) return std::nullopt;
  auto sample = sample_process(pid);
  if (!sample) throw std::runtime_error("cannot read /proc/" + std::to_string(pid));
  return sample->cpu_seconds;
}

}  // namespace

int run_connections(const BenchOptions& o, Target& target) {
  ConnectionsReport report;
  report.command = o.command_line;
  report.request = o.http_get.empty() ? "CoAP GET /x.plgd.dev/time" : "HTTP/1.1 GET " + o.http_get;
  report.requested = o.connections;
  report.concurrency = o.concurrency;
  report.client_threads = client_threads(o);
  report.pid = target.info.pid;
  auto tls = demo_device_identity(target.mfg, DeviceTlsSettings{target.server_ca_pem, o.tls12});
  if (!tls) throw std::runtime_error("device identity: " + tls.error().internal);

  ConnectionCycleOptions options;
  options.count = o.connections;
  options.concurrency = o.concurrency;
  options.threads = report.client_threads;
  options.servers = target.servers;
  options.timeout = std::chrono::milliseconds(o.timeout_ms);
  options.http_path = o.http_get;
  const auto cpu_before = cpu_of(report.pid);
  const auto start = Clock::now();
  {
    Progress progress("connections", o.connections);
    options.on_progress = [&progress](size_t done, size_t failed) {
      progress.update(done, failed);
    };
    report.result = run_connection_cycles(options, *tls);
    progress.finish();
  }
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (const auto cpu_after = cpu_of(report.pid))
    report.server_cpu_seconds = *cpu_after - *cpu_before;

  std::cout << (o.json ? format_json(report) : format_text(report)) << std::flush;
  if (report.result.failed > 0) {
    std::fprintf(stderr, "dps-bench: %zu of %zu connections failed; first errors:\n",
                 report.result.failed, report.requested);
    for (const auto& e : report.result.first_errors) std::fprintf(stderr, "  %s\n", e.c_str());
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace dps::bench
