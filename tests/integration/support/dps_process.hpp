// The real `dps` binary as a child process: started on a config file, ready when it prints
// "dps: coap listening on 127.0.0.1:<port>", stopped with SIGTERM. Waits on pipes and a pidfd
// with deadlines, never by sleeping.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dps::itest {

/// build/tools/dps/dps (from $DPS_BUILD_DIR, set by CTest, else the compiled-in build dir).
std::filesystem::path dps_binary();
/// build/tools/dps-device/dps-device.
std::filesystem::path dps_device_binary();
/// build/tools/dpsctl/dpsctl.
std::filesystem::path dpsctl_binary();
/// build/tools/dps-bench/dps-bench.
std::filesystem::path dps_bench_binary();

/// `/usr/bin/env -u DPS_SERVER -u DPS_TOKEN ... [assignments...] <binary>`: the start of a command
/// line that runs `binary` (dpsctl by default) without the caller's DPS_* variables, so that the
/// shell running the tests cannot change what a test sees; `assignments` ("NAME=value") are the
/// ones a test is about.
std::vector<std::string> without_dps_environment(const std::vector<std::string>& assignments = {},
                                                 const std::string& binary = {});

/// Output of a finished child process.
struct ProcessOutput {
  int exit_code = -1;  // minus the signal number when killed by a signal
  std::string out;
  std::string err;
};

/// Runs `argv` to completion (killed after `timeout`), capturing stdout and stderr.
ProcessOutput run_process(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = std::chrono::seconds(30));

class DpsProcess {
 public:
  /// Starts `dps --config <config>`; throws std::runtime_error (with dps's stderr) when it exits
  /// or does not print its listening line within `ready_timeout`. With `expect_api`, also waits
  /// for "dps: api listening on 127.0.0.1:<port>" (config with apis.http enabled).
  static std::unique_ptr<DpsProcess> start(
      const std::filesystem::path& config, const std::filesystem::path& log_file,
      std::chrono::milliseconds ready_timeout = std::chrono::seconds(20), bool expect_api = false);

  ~DpsProcess();
  DpsProcess(const DpsProcess&) = delete;
  DpsProcess& operator=(const DpsProcess&) = delete;

  /// Port of CoAP over TCP (0 when apis.coap.protocols lacks tcp).
  uint16_t port() const { return port_; }
  /// Port of CoAP over UDP+DTLS (0 unless apis.coap.protocols has udp).
  uint16_t udp_port() const { return udp_port_; }
  /// Port of the management API (0 unless started with `expect_api`).
  uint16_t api_port() const { return api_port_; }
  /// SIGTERM, then waits up to `timeout` (SIGKILL after). Returns the exit code, or minus
  /// the number of the signal that ended the process.
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// SIGKILL, as a crash or an OOM kill would end it: no shutdown code runs.
  int kill_hard();
  /// Sends `signal` and returns at once (stop() and kill_hard() wait for the exit).
  void send_signal(int signal) const;
  bool running() const { return pid_ > 0; }
  /// The process id while running (-1 after stop()), e.g. to read /proc/<pid>/status.
  pid_t pid() const { return pid_; }
  /// Everything dps wrote to stderr so far (its log).
  std::string log() const;
  /// What a failing test should print: the log from its first sanitizer report or
  /// std::terminate message on (their first frames say where), else its last 6000 bytes.
  std::string log_excerpt() const;
  /// Everything dps wrote to stdout so far.
  std::string output() const;

 private:
  DpsProcess(pid_t pid, int out_fd, std::filesystem::path log_file);
  int end_with(int signal, std::chrono::milliseconds timeout);

  pid_t pid_;
  int out_fd_;
  std::filesystem::path log_file_;
  uint16_t port_ = 0;
  uint16_t udp_port_ = 0;
  uint16_t api_port_ = 0;
  mutable std::mutex mutex_;
  std::string stdout_;
  std::thread drain_;
};

}  // namespace dps::itest
