// Idle mode: the server's RSS before any connection, then with K idle connections held.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "idle_connections.hpp"
#include "modes.hpp"
#include "proc_stats.hpp"
#include "progress.hpp"
#include "report.hpp"

namespace dps::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kFirstErrors = 5;
// Files this process needs besides the connections (stdio, epoll, pipes, ...).
constexpr uint64_t kSpareFiles = 64;

ProcessSample sample_or_throw(pid_t pid) {
  auto sample = sample_process(pid);
  if (!sample) throw std::runtime_error("cannot read /proc/" + std::to_string(pid));
  return *sample;
}

// Holds for `seconds`, a progress line meanwhile.
void hold(double seconds) {
  Progress progress("holding idle connections", static_cast<size_t>(seconds),
                    Progress::Unit::Seconds);
  const auto start = Clock::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  while (Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    progress.update(
        static_cast<size_t>(std::chrono::duration<double>(Clock::now() - start).count()));
  }
  progress.finish();
}

}  // namespace

int run_idle(const BenchOptions& o, Target& target) {
  IdleReport report;
  report.command = o.command_line;
  report.requested = o.idle;
  report.hold_seconds = o.hold_seconds;
  const pid_t pid = target.info.pid;
  report.open_files_limit = raise_open_files_limit().now;  // main raised it already
  if (o.idle + kSpareFiles > report.open_files_limit) {
    std::fprintf(stderr,
                 "dps-bench: warning: %zu connections need more open files than this process may "
                 "have (RLIMIT_NOFILE hard limit %llu); raise it (ulimit -Hn, limits.conf)\n",
                 o.idle, static_cast<unsigned long long>(report.open_files_limit));
  }
  report.server_open_files_limit = open_files_limit(pid);
  if (report.server_open_files_limit && o.idle + kSpareFiles > *report.server_open_files_limit) {
    std::fprintf(stderr, "dps-bench: warning: the server may open only %llu files\n",
                 static_cast<unsigned long long>(*report.server_open_files_limit));
  }
  if (!target.process) {
    std::fprintf(stderr,
                 "dps-bench: the server keeps idle sessions until apis.coap.inactivityMonitor."
                 "timeout: set it above --hold (%.0f s)\n",
                 o.hold_seconds);
  }
  auto tls = demo_device_identity(target.mfg, DeviceTlsSettings{target.server_ca_pem, o.tls12});
  if (!tls) throw std::runtime_error("device identity: " + tls.error().internal);

  const ProcessSample before = sample_or_throw(pid);
  IdleConnections connections;
  const auto start = Clock::now();
  {
    Progress progress("idle connections", o.idle);
    IdleConnections::Options options;
    options.count = o.idle;
    options.concurrency = o.concurrency;
    options.threads = client_threads(o);
    options.servers = target.servers;
    options.connect_timeout = std::chrono::milliseconds(o.timeout_ms);
    options.on_progress = [&progress](size_t done, size_t failed) {
      progress.update(done, failed);
    };
    connections.open(options, *tls);
    progress.finish();
  }
  report.open_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  hold(o.hold_seconds);
  const ProcessSample after = sample_or_throw(pid);
  report.opened = connections.opened();
  report.failed = connections.failed();
  report.first_errors = connections.first_errors(kFirstErrors);
  report.closed_by_server = connections.closed_by_server();
  connections.close_all();

  report.rss_before_kib = before.rss_kib;
  report.rss_after_kib = after.rss_kib;
  report.peak_rss_kib = after.hwm_kib;
  report.fds_before = before.open_fds;
  report.fds_after = after.open_fds;
  if (report.opened > 0) {
    const double grown = (double(after.rss_kib) - double(before.rss_kib)) * 1024.0;
    report.bytes_per_connection = grown / double(report.opened);
  }
  report.target = target.info;
  std::cout << (o.json ? format_json(report) : format_text(report)) << std::flush;
  if (report.failed > 0) {
    std::fprintf(stderr, "dps-bench: %zu of %zu connections failed; first errors:\n", report.failed,
                 report.requested);
    for (const auto& e : report.first_errors) std::fprintf(stderr, "  %s\n", e.c_str());
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace dps::bench
