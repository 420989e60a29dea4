#include "proc_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace dps::bench {
namespace {

std::string proc_path(pid_t pid, const char* leaf) {
  return "/proc/" + std::to_string(pid) + "/" + leaf;
}

// "VmRSS:     1234 kB" → 1234.
std::optional<uint64_t> status_kib(const std::string& status, const std::string& key) {
  std::istringstream in(status);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) != 0) continue;
    std::istringstream fields(line.substr(key.size() + 1));
    uint64_t kib = 0;
    if (fields >> kib) return kib;
  }
  return std::nullopt;
}

// utime + stime in seconds. The command name (field 2) may hold spaces and parentheses: the
// fields are counted from the last ')'.
std::optional<double> cpu_seconds(pid_t pid) {
  std::ifstream in(proc_path(pid, "stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 1));
  std::vector<std::string> f;
  for (std::string word; fields >> word;) f.push_back(word);
  // f[0] is field 3 (state); utime is field 14, stime field 15.
  if (f.size() < 13) return std::nullopt;
  const double ticks = std::stod(f[11]) + std::stod(f[12]);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

std::optional<ProcessSample> sample_process(pid_t pid) {
  std::ifstream in(proc_path(pid, "status"));
  if (!in) return std::nullopt;
  std::string status((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto cpu = cpu_seconds(pid);
  auto rss = status_kib(status, "VmRSS");
  auto hwm = status_kib(status, "VmHWM");
  if (!cpu || !rss || !hwm) return std::nullopt;
  ProcessSample sample{*cpu, *rss, *hwm, 0};
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(proc_path(pid, "fd"), ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++sample.open_fds;
  }
  return sample;
}

std::optional<uint64_t> open_files_limit(pid_t pid) {
  std::ifstream in(proc_path(pid, "limits"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::istringstream fields(line.substr(std::string("Max open files").size()));
    std::string soft;
    fields >> soft;
    if (soft == "unlimited") return UINT64_MAX;
    try {
      return std::stoull(soft);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

FileLimit raise_open_files_limit() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  FileLimit result{limit.rlim_cur, limit.rlim_cur, limit.rlim_max};
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) == 0) result.now = limit.rlim_max;
  }
  return result;
}

}  // namespace dps::bench
