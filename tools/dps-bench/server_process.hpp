// A dps process started by dps-bench: spawned on a config file, ready once it printed
// "dps: coap listening on IP:PORT", stopped with SIGTERM.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

namespace dps::bench {

class ServerProcess {
 public:
  /// Starts `binary --config config` with stdout on a pipe and stderr (its log) in `log_file`.
  /// Throws std::runtime_error (with the end of the log) when dps exits or is not ready within
  /// `ready_timeout`.
  static std::unique_ptr<ServerProcess> start(const std::filesystem::path& binary,
                                              const std::filesystem::path& config,
                                              const std::filesystem::path& log_file,
                                              std::chrono::milliseconds ready_timeout);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  pid_t pid() const { return pid_; }
  /// Where devices connect (a wildcard listen address becomes loopback).
  const std::string& host() const { return host_; }
  uint16_t port() const { return port_; }
  /// The CA file dps names in "(devices trust <file>)"; empty when it named none.
  const std::filesystem::path& device_ca_file() const { return ca_file_; }
  /// SIGTERM, then up to `timeout` for it to exit (SIGKILL after). The exit code, or minus the
  /// signal that ended it; 0 when already stopped.
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  ServerProcess(pid_t pid, int out_fd) : pid_(pid), out_fd_(out_fd) {}

  pid_t pid_;
  int out_fd_;
  std::string host_;
  uint16_t port_ = 0;
  std::filesystem::path ca_file_;
  std::thread drain_;
};

/// The dps binary of the same build tree as this dps-bench (<dir>/../dps/dps), or empty.
std::filesystem::path sibling_dps_binary();

/// The last `bytes` of a file (log excerpts in error messages).
std::string tail_of(const std::filesystem::path& file, size_t bytes = 3000);

}  // namespace dps::bench
