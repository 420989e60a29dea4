#include "server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <vector>

extern char** environ;

namespace dps::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kListening = "dps: coap listening on ";
constexpr std::string_view kDataDir = "dps: data directory ";
constexpr std::string_view kTrust = "(devices trust ";

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// The rest of the complete line that starts with `prefix`, nullopt while there is none.
std::optional<std::string> line_after(const std::string& seen, std::string_view prefix) {
  const auto at = seen.find(prefix);
  if (at == std::string::npos) return std::nullopt;
  const auto end = seen.find('\n', at);
  if (end == std::string::npos) return std::nullopt;
  return seen.substr(at + prefix.size(), end - at - prefix.size());
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

// Waits for `pid` until `deadline` (pidfd + poll), SIGKILL after; exit code or -signal.
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

}  // namespace

std::unique_ptr<ServerProcess> ServerProcess::start(const fs::path& binary, const fs::path& config,
                                                    const fs::path& log_file,
                                                    std::chrono::milliseconds ready_timeout) {
  const auto deadline = Clock::now() + ready_timeout;
  std::array<int, 2> out{};
  if (pipe2(out.data(), O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  const int log_fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::runtime_error("cannot open " + log_file.string());
  const pid_t pid = spawn({binary.string(), "--config", config.string()}, out[1], log_fd);
  close(out[1]);
  close(log_fd);
  std::unique_ptr<ServerProcess> process(new ServerProcess(pid, out[0]));

  std::string seen;
  std::optional<std::string> endpoint;
  // Both ready lines: the listening one, and the data directory one after it (each may arrive in
  // a read of its own: dps's ready logger flushes per line).
  while (!(endpoint = line_after(seen, kListening)) || !line_after(seen, kDataDir)) {
    pollfd p{out[0], POLLIN, 0};
    const int ready = poll(&p, 1, remaining_ms(deadline));
    char buf[1024];
    const ssize_t n = ready > 0 ? read(out[0], buf, sizeof buf) : 0;
    if (n <= 0) {
      const std::string why =
          ready == 0 ? "dps printed no listening line in time" : "dps exited at start";
      process->stop(std::chrono::seconds(5));
      throw std::runtime_error(why + "; stdout: " + seen + "; log " + log_file.string() + ":\n" +
                               tail_of(log_file));
    }
    seen.append(buf, static_cast<size_t>(n));
  }
  const auto colon = endpoint->rfind(':');
  process->host_ = endpoint->substr(0, colon);
  if (process->host_ == "0.0.0.0") process->host_ = "127.0.0.1";
  if (process->host_ == "::") process->host_ = "::1";
  process->port_ = static_cast<uint16_t>(std::stoi(endpoint->substr(colon + 1)));
  // "<dir> (devices trust <dir>/ca.pem)".
  const auto data_line = line_after(seen, kDataDir);
  const auto trust = data_line ? data_line->find(kTrust) : std::string::npos;
  if (trust != std::string::npos) {
    const auto from = trust + kTrust.size();
    process->ca_file_ = data_line->substr(from, data_line->rfind(')') - from);
  }
  // Keep reading stdout so that dps never blocks on a full pipe.
  process->drain_ = std::thread([fd = out[0]] {
    char buf[4096];
    while (read(fd, buf, sizeof buf) > 0) {
    }
  });
  return process;
}

int ServerProcess::stop(std::chrono::milliseconds timeout) {
  int code = 0;
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
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

ServerProcess::~ServerProcess() { stop(); }

fs::path sibling_dps_binary() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  const fs::path candidate = self.parent_path().parent_path() / "dps" / "dps";
  return fs::exists(candidate, ec) ? candidate : fs::path{};
}

std::string tail_of(const fs::path& file, size_t bytes) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  return all.size() > bytes ? "..." + all.substr(all.size() - bytes) : all;
}

}  // namespace dps::bench
