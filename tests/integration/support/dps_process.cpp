#include "dps_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace dps::itest {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view kReadyPrefix = "dps: coap listening on ";
constexpr std::string_view kUdpPrefix = "dps: coap udp listening on ";
constexpr std::string_view kApiPrefix = "dps: api listening on ";
/// dps prints it after every listening line: once it is complete, all of them are.
constexpr std::string_view kLastReadyLine = "dps: data directory ";

/// The port of the complete line "<prefix><host>:<port>\n" in `seen`, 0 while there is none.
uint16_t port_after(const std::string& seen, std::string_view prefix) {
  const auto at = seen.find(prefix);
  if (at == std::string::npos) return 0;
  const auto end = seen.find('\n', at);
  if (end == std::string::npos) return 0;
  const std::string endpoint = seen.substr(at + prefix.size(), end - at - prefix.size());
  return static_cast<uint16_t>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
}

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

fs::path build_dir() {
  const char* env = std::getenv("DPS_BUILD_DIR");
  return env && *env ? fs::path(env) : fs::path(DPS_DEFAULT_BUILD_DIR);
}

pid_t spawn(const std::vector<std::string>& argv, int out_fd, int err_fd) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  return pid;
}

/// Waits for `pid` to exit until `deadline` (pidfd + poll); SIGKILL after. Returns the exit code,
/// or minus the signal number that ended it.
int wait_exit(pid_t pid, Clock::time_point deadline) {
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    if (poll(&p, 1, remaining_ms(deadline)) == 0) kill(pid, SIGKILL);
    close(pidfd);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

std::array<int, 2> make_pipe() {
  std::array<int, 2> fds{};
  if (pipe2(fds.data(), O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  return fds;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

fs::path dps_binary() { return build_dir() / "tools" / "dps" / "dps"; }
fs::path dps_device_binary() { return build_dir() / "tools" / "dps-device" / "dps-device"; }
fs::path dpsctl_binary() { return build_dir() / "tools" / "dpsctl" / "dpsctl"; }
fs::path dps_bench_binary() { return build_dir() / "tools" / "dps-bench" / "dps-bench"; }

std::vector<std::string> without_dps_environment(const std::vector<std::string>& assignments,
                                                 const std::string& binary) {
  std::vector<std::string> argv{"/usr/bin/env"};
  for (const char* name : {"DPS_SERVER", "DPS_TOKEN", "DPS_TOKEN_FILE", "DPS_CA", "DPS_DATA_DIR"}) {
    argv.insert(argv.end(), {"-u", name});
  }
  argv.insert(argv.end(), assignments.begin(), assignments.end());
  argv.push_back(binary.empty() ? dpsctl_binary().string() : binary);
  return argv;
}

ProcessOutput run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto out = make_pipe();
  auto err = make_pipe();
  const pid_t pid = spawn(argv, out[1], err[1]);
  close(out[1]);
  close(err[1]);
  ProcessOutput result;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  while (open_fds > 0 && remaining_ms(deadline) > 0) {
    if (poll(fds, 2, remaining_ms(deadline)) <= 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) close(f.fd);
  }
  result.exit_code = wait_exit(pid, deadline);
  return result;
}

DpsProcess::DpsProcess(pid_t pid, int out_fd, fs::path log_file)
    : pid_(pid), out_fd_(out_fd), log_file_(std::move(log_file)) {}

std::unique_ptr<DpsProcess> DpsProcess::start(const fs::path& config, const fs::path& log_file,
                                              std::chrono::milliseconds ready_timeout,
                                              bool expect_api) {
  const auto deadline = Clock::now() + ready_timeout;
  auto out = make_pipe();
  const int log_fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::runtime_error("cannot open " + log_file.string());
  const pid_t pid = spawn({dps_binary().string(), "--config", config.string()}, out[1], log_fd);
  close(out[1]);
  close(log_fd);
  std::unique_ptr<DpsProcess> process(new DpsProcess(pid, out[0], log_file));

  std::string seen;
  for (;;) {
    const auto last = seen.find(kLastReadyLine);
    if (last != std::string::npos && seen.find('\n', last) != std::string::npos) {
      process->port_ = port_after(seen, kReadyPrefix);
      process->udp_port_ = port_after(seen, kUdpPrefix);
      if (expect_api) process->api_port_ = port_after(seen, kApiPrefix);
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    const int ready = poll(&p, 1, remaining_ms(deadline));
    char buf[1024];
    const ssize_t n = ready > 0 ? read(out[0], buf, sizeof buf) : 0;
    if (n <= 0) {
      const std::string why = ready == 0 ? "no listening line within the deadline" : "dps exited";
      process->stop(std::chrono::seconds(5));
      throw std::runtime_error(why + "; stdout: " + seen + "; log: " + slurp(log_file));
    }
    seen.append(buf, static_cast<size_t>(n));
  }
  process->stdout_ = seen;
  // Keep reading stdout so that dps never blocks on a full pipe.
  process->drain_ = std::thread([p = process.get()] {
    char buf[4096];
    for (;;) {
      const ssize_t n = read(p->out_fd_, buf, sizeof buf);
      if (n <= 0) break;
      std::lock_guard lock(p->mutex_);
      p->stdout_.append(buf, static_cast<size_t>(n));
    }
  });
  return process;
}

int DpsProcess::stop(std::chrono::milliseconds timeout) { return end_with(SIGTERM, timeout); }

void DpsProcess::send_signal(int signal) const {
  if (pid_ > 0) kill(pid_, signal);
}

int DpsProcess::kill_hard() { return end_with(SIGKILL, std::chrono::seconds(10)); }

int DpsProcess::end_with(int signal, std::chrono::milliseconds timeout) {
  int code = -1;
  if (pid_ > 0) {
    kill(pid_, signal);
    code = wait_exit(pid_, Clock::now() + timeout);
    pid_ = -1;
  }
  if (drain_.joinable()) drain_.join();
  if (out_fd_ >= 0) {
    close(out_fd_);
    out_fd_ = -1;
  }
  return code;
}

DpsProcess::~DpsProcess() { stop(); }

std::string DpsProcess::log() const { return slurp(log_file_); }

std::string DpsProcess::log_excerpt() const {
  constexpr size_t kTail = 6000;
  constexpr size_t kReport = 40000;
  const std::string log = this->log();
  size_t from = log.size() > kTail ? log.size() - kTail : 0;
  for (const char* marker : {"==ERROR: ", "runtime error: ", "terminate called"}) {
    const auto at = log.find(marker);
    if (at != std::string::npos) from = std::min(from, log.rfind('\n', at) + 1);
  }
  return "---- dps log from byte " + std::to_string(from) + " of " + std::to_string(log.size()) +
         " ----\n" + log.substr(from, kReport) + "\n";
}

std::string DpsProcess::output() const {
  std::lock_guard lock(mutex_);
  return stdout_;
}

}  // namespace dps::itest
