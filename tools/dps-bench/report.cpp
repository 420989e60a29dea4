#include "report.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

namespace dps::bench {
namespace {

using nlohmann::json;

std::string fmt(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

// Continuation lines of a multi-line text start under its first line's text.
std::string indented(const std::string& text, const std::string& indent) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n') out += indent;
  }
  return out;
}

std::string mib(uint64_t kib) { return fmt("%.1f MiB", static_cast<double>(kib) / 1024.0); }

json target_json(const TargetInfo& t) {
  json j{{"servers", t.servers}, {"pid", t.pid}};
  if (!t.started.empty()) j["started"] = t.started;
  if (!t.temp_dir.empty()) j["tempDir"] = t.temp_dir;
  return j;
}

void text_target(std::ostringstream& out, const TargetInfo& t) {
  out << "server:  ";
  for (size_t i = 0; i < t.servers.size(); ++i) out << (i ? ", " : "") << t.servers[i];
  if (t.pid > 0) out << " (pid " << t.pid << ")";
  out << "\n";
  if (!t.started.empty()) out << "         started by dps-bench: " << t.started << "\n";
  if (!t.temp_dir.empty()) out << "         temp dir kept: " << t.temp_dir << "\n";
}

void text_floor(std::ostringstream& out, const ProvisionReport& r) {
  const auto& f = r.floor;
  const auto op = [&](const char* name, double per_s) {
    out << "  " << name << fmt("%10.0f/s", per_s) << fmt("  (%.1f us each)\n", 1e6 / per_s);
  };
  out << "crypto floor (" << f.openssl << ", one thread, " << fmt("%.1f", f.seconds)
      << " s per operation):\n";
  op("ECDSA P-256 sign            ", f.sign_per_s);
  op("ECDSA P-256 verify          ", f.verify_per_s);
  op("ECDHE P-256 keygen + derive ", f.ecdhe_per_s);
  out << "floor of one provisioning on the server = " << r.floor_cost.formula << "\n"
      << "  = " << fmt("%.1f us", r.floor_cost.micros) << "\n"
      << "  counted: " << indented(r.floor_cost.breakdown, "           ") << "\n";
}

}  // namespace

std::string format_text(const ProvisionReport& r) {
  std::ostringstream out;
  out << "dps-bench: " << r.command << "\n";
  text_target(out, r.target);
  out << "devices: " << r.devices << " at concurrency " << r.concurrency;
  if (r.rate > 0) out << ", started at " << fmt("%.1f", r.rate) << "/s";
  out << ", " << r.client_threads << " client thread(s); identities generated in "
      << fmt("%.1f s", r.identities_seconds) << " (before the clock)\n";
  out << "result:  " << r.succeeded << " succeeded, " << r.failed << " failed in "
      << fmt("%.2f s", r.wall_seconds) << " = " << fmt("%.1f", r.per_second)
      << " provisionings/s (wall)\n\n";
  out << "latency of successful answers (us)   count      p50      p95      p99      max\n";
  for (const auto& [name, l] : r.latencies) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-33s %7zu %8lld %8lld %8lld %8lld\n",
                  name == "total" ? "whole flow (both sessions)" : name.c_str(), l.count,
                  static_cast<long long>(l.p50), static_cast<long long>(l.p95),
                  static_cast<long long>(l.p99), static_cast<long long>(l.max));
    out << line;
  }
  out << "\nretries (same step): " << r.retries << ", restarts (whole flow): " << r.restarts
      << "\nerrors by code:";
  if (r.errors.empty()) out << " none";
  const char* separator = " ";
  for (const auto& [code, n] : r.errors) {
    out << separator << code << " x" << n;
    separator = ", ";
  }
  out << "\n";
  for (const auto& e : r.first_errors) out << "  " << e << "\n";
  out << "\n";
  text_floor(out, r);
  out << "\n";
  if (r.server) {
    const auto& s = *r.server;
    out << "server CPU during the run: " << fmt("%.2f s", s.cpu_seconds)
        << " user+sys; peak RSS (VmHWM) " << mib(s.peak_rss_kib) << "\n"
        << "server CPU per provisioning = " << fmt("%.0f us", s.cpu_us_per_provisioning) << " = "
        << fmt("%.2fx", s.floor_multiple) << " the floor\n";
  } else {
    out << "server CPU and RSS: unknown (give --server-pid for an external server)\n";
  }
  return out.str();
}

std::string format_json(const ProvisionReport& r) {
  json latency = json::object();
  for (const auto& [name, l] : r.latencies) {
    latency[name] = {
        {"count", l.count}, {"p50", l.p50}, {"p95", l.p95}, {"p99", l.p99}, {"max", l.max}};
  }
  json j{{"mode", "provision"},
         {"command", r.command},
         {"target", target_json(r.target)},
         {"devices", r.devices},
         {"concurrency", r.concurrency},
         {"startRate", r.rate},
         {"clientThreads", r.client_threads},
         {"identitiesSeconds", r.identities_seconds},
         {"succeeded", r.succeeded},
         {"failed", r.failed},
         {"wallSeconds", r.wall_seconds},
         {"provisioningsPerSecond", r.per_second},
         {"latencyUs", latency},
         {"retries", r.retries},
         {"restarts", r.restarts},
         {"errors", r.errors},
         {"firstErrors", r.first_errors},
         {"cryptoFloor",
          {{"openssl", r.floor.openssl},
           {"secondsPerOperation", r.floor.seconds},
           {"ecdsaP256SignPerSecond", r.floor.sign_per_s},
           {"ecdsaP256VerifyPerSecond", r.floor.verify_per_s},
           {"ecdheP256PerSecond", r.floor.ecdhe_per_s},
           {"provisioningFloorUs", r.floor_cost.micros},
           {"formula", r.floor_cost.formula},
           {"counted", r.floor_cost.breakdown}}}};
  if (r.server) {
    j["server"] = {{"cpuSeconds", r.server->cpu_seconds},
                   {"peakRssKiB", r.server->peak_rss_kib},
                   {"cpuUsPerProvisioning", r.server->cpu_us_per_provisioning},
                   {"floorMultiple", r.server->floor_multiple}};
  } else {
    j["server"] = nullptr;
  }
  return j.dump(2) + "\n";
}

std::string format_text(const IdleReport& r) {
  std::ostringstream out;
  out << "dps-bench: " << r.command << "\n";
  text_target(out, r.target);
  out << "idle connections: " << r.opened << " of " << r.requested << " opened in "
      << fmt("%.1f s", r.open_seconds) << " (" << r.failed << " failed), held "
      << fmt("%.0f s", r.hold_seconds) << "; " << r.closed_by_server
      << " closed by the server during the hold\n";
  for (const auto& e : r.first_errors) out << "  " << e << "\n";
  out << "server RSS (VmRSS): " << mib(r.rss_before_kib) << " before, " << mib(r.rss_after_kib)
      << " at the end of the hold; peak " << mib(r.peak_rss_kib) << "\n"
      << "server open files: " << r.fds_before << " before, " << r.fds_after << " during the hold\n"
      << "server RSS per connection = " << fmt("%.0f bytes", r.bytes_per_connection) << " ("
      << fmt("%.1f KiB", r.bytes_per_connection / 1024.0) << ")\n";
  return out.str();
}

std::string format_json(const IdleReport& r) {
  json j{{"mode", "idle"},
         {"command", r.command},
         {"target", target_json(r.target)},
         {"requested", r.requested},
         {"opened", r.opened},
         {"failed", r.failed},
         {"closedByServer", r.closed_by_server},
         {"firstErrors", r.first_errors},
         {"openSeconds", r.open_seconds},
         {"holdSeconds", r.hold_seconds},
         {"server",
          {{"rssBeforeKiB", r.rss_before_kib},
           {"rssAfterKiB", r.rss_after_kib},
           {"peakRssKiB", r.peak_rss_kib},
           {"openFilesBefore", r.fds_before},
           {"openFilesAfter", r.fds_after},
           {"rssBytesPerConnection", r.bytes_per_connection}}},
         {"openFilesLimit", r.open_files_limit}};
  if (r.server_open_files_limit) j["server"]["openFilesLimit"] = *r.server_open_files_limit;
  return j.dump(2) + "\n";
}

}  // namespace dps::bench
