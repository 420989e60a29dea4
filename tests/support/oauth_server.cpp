#include "oauth_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/file_lock.hpp"
#include "support/random_hex.hpp"

#ifndef DPS_OAUTH_SERVER_DIR
#error "DPS_OAUTH_SERVER_DIR must name tests/support/oauth (tests/support/CMakeLists.txt)"
#endif

namespace dps::test {

namespace {

using namespace std::chrono_literals;

constexpr auto kStartupLimit = 60s;  // node's start and a 2048-bit RSA key, on a loaded machine
constexpr auto kCommandLimit = 10s;
constexpr const char* kLinePrefix = "oauth: ";

/// `name` found in $PATH (or the environment variable `override_var`), or "" when absent.
std::string find_program(const char* name, const char* override_var) {
  if (const char* path = ::getenv(override_var); path != nullptr && *path != '\0') return path;
  const char* path_env = ::getenv("PATH");
  std::stringstream dirs(path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    const std::filesystem::path candidate = std::filesystem::path(dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return {};
}

std::string file_tail(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream all;
  all << in.rdbuf();
  std::string text = all.str();
  constexpr size_t kTail = 2000;
  if (text.size() > kTail) text = "..." + text.substr(text.size() - kTail);
  return text.empty() ? "(no output)" : text;
}

/// Forks and execs `args`, its stdout/stderr going to `log` unless `stdout_fd`/`stdin_fd` name
/// pipe ends to use. The child gets SIGKILL when the thread that forked it dies, so a crashed
/// test binary leaves no server behind.
pid_t spawn(const std::vector<std::string>& args, const std::filesystem::path& log,
            int stdin_fd = -1, int stdout_fd = -1) {
  // Everything the child needs is prepared here: between fork and exec only async-signal-safe
  // calls are allowed (the test binary has other threads).
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::string log_path = log.string();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);  // the parent died before prctl
    const int err = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    const int in = stdin_fd >= 0 ? stdin_fd : ::open("/dev/null", O_RDONLY);
    const int out = stdout_fd >= 0 ? stdout_fd : err;
    if (err < 0 || in < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) {
      ::_exit(126);
    }
    ::close_range(3, ~0U, 0);  // none of the test's sockets and pipes
    ::execve(argv[0], argv.data(), environ);
    ::_exit(127);
  }
  return pid;
}

int wait_exit_status(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// Installs oidc-provider from the committed package-lock.json (`npm ci`) unless node_modules
/// already matches it. scripts/test.sh does this before the tests; this covers a test binary
/// run straight from a fresh clone. Under ctest several test processes may get here at once, so
/// the check and the install run under a lock on package-lock.json.
void ensure_node_modules(const std::filesystem::path& work_dir) {
  const std::filesystem::path dir = DPS_OAUTH_SERVER_DIR;
  const std::filesystem::path lock_file = dir / "package-lock.json";
  // npm ci writes node_modules/.package-lock.json last: present and newer than the lock file
  // means a complete install of this lock file.
  const std::filesystem::path installed = dir / "node_modules" / ".package-lock.json";
  FileLock lock(lock_file);
  std::error_code ec;
  if (std::filesystem::exists(installed, ec) &&
      std::filesystem::last_write_time(installed, ec) >=
          std::filesystem::last_write_time(lock_file, ec)) {
    return;
  }
  const std::string npm = find_program("npm", "DPS_NPM");
  if (npm.empty()) {
    throw std::runtime_error(
        "npm not found in PATH: install Node.js and npm (scripts/install-deps.sh) or run "
        "`npm ci --prefix tests/support/oauth`");
  }
  const std::filesystem::path log = work_dir / "npm.log";
  const int status = wait_exit_status(spawn(
      {npm, "ci", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", dir.string()}, log));
  if (status != 0) {
    throw std::runtime_error("`npm ci --prefix " + dir.string() + "` failed (exit " +
                             std::to_string(status) + "): " + file_tail(log));
  }
}

std::string config_json(const OAuthServerOptions& options) {
  nlohmann::json clients = nlohmann::json::array();
  for (const OAuthClient& c : options.clients) {
    clients.push_back({{"clientId", c.id},
                       {"clientSecret", c.secret},
                       {"scopes", c.scopes},
                       {"basicAuth", c.basic_auth}});
  }
  nlohmann::json config = {
      {"clients", clients},
      {"audiences", options.audiences},
      {"claimParams", options.claim_params},
      {"accessTokenTtl", options.access_token_ttl.count()},
      {"signingAlg", options.signing_alg},
  };
  if (!options.default_audience.empty()) config["defaultAudience"] = options.default_audience;
  nlohmann::json interactive = nlohmann::json::array();
  for (const OAuthInteractiveClient& c : options.interactive_clients) {
    nlohmann::json accounts = nlohmann::json::object();
    for (const OAuthAccount& a : c.accounts) {
      nlohmann::json account = {{"password", a.password}, {"sub", a.sub}};
      for (const auto& [name, value] : a.claims) account[name] = value;
      accounts[a.login] = account;
    }
    interactive.push_back({{"clientId", c.id},
                           {"redirectUris", c.redirect_uris},
                           {"anyLoopbackPort", c.any_loopback_port},
                           {"audience", c.audience},
                           {"accounts", accounts}});
  }
  if (!interactive.empty()) config["interactiveClients"] = interactive;
  if (!options.tls_cert_pem.empty()) {
    config["tls"] = {{"cert", options.tls_cert_pem}, {"key", options.tls_key_pem}};
  }
  return config.dump();
}

}  // namespace

OAuthServer::OAuthServer(OAuthServerOptions options) : options_(std::move(options)) {
  if (options_.clients.empty()) {
    // Characters that HTTP Basic client authentication must form-encode (RFC 6749 §2.3.1): a
    // client that skips the encoding fails against this server as against a real one.
    options_.clients.push_back({.id = "dps-client",
                                .secret = "s3cret +/:=%" + random_hex(8),
                                .scopes = {"hub"},
                                .basic_auth = true});
  }
  // A server that died must show up as an error from command(), not kill the test binary.
  ::signal(SIGPIPE, SIG_IGN);
  std::string pattern = "/tmp/dps-oauth-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  try {
    ensure_node_modules(dir_);
    launch();
  } catch (...) {
    shutdown();
    throw;
  }
}

OAuthServer::~OAuthServer() { shutdown(); }

void OAuthServer::shutdown() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);  // server.mjs exits when its stdin closes
  stdin_fd_ = -1;
  if (pid_ > 0) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (::waitpid(pid_, nullptr, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        break;
      }
      std::this_thread::sleep_for(10ms);
    }
    pid_ = -1;
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  stdout_fd_ = -1;
  std::error_code ignored;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  dir_.clear();
}

void OAuthServer::launch() {
  const std::string node = find_program("node", "DPS_NODE");
  if (node.empty()) {
    throw std::runtime_error("node not found in PATH: install Node.js (scripts/install-deps.sh)");
  }
  int to_child[2];
  int from_child[2];
  if (::pipe2(to_child, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  if (::pipe2(from_child, O_CLOEXEC) != 0) {
    ::close(to_child[0]);
    ::close(to_child[1]);
    throw std::runtime_error("pipe failed");
  }
  const std::string script = (std::filesystem::path(DPS_OAUTH_SERVER_DIR) / "server.mjs").string();
  try {
    pid_ = spawn({node, script, "--config-json", config_json(options_)}, dir_ / "server.log",
                 to_child[0], from_child[1]);
  } catch (...) {
    for (int fd : {to_child[0], to_child[1], from_child[0], from_child[1]}) ::close(fd);
    throw;
  }
  ::close(to_child[0]);
  ::close(from_child[1]);
  stdin_fd_ = to_child[1];
  stdout_fd_ = from_child[0];

  const std::string line = read_line(kStartupLimit);
  const std::string listening = options_.tls_cert_pem.empty() ? "listening on http://127.0.0.1:"
                                                              : "listening on https://127.0.0.1:";
  if (line.rfind(listening, 0) != 0) {
    throw std::runtime_error("OAuth server: unexpected first line `" + line + "`: " + log_tail());
  }
  authority_ = line.substr(std::string_view("listening on ").size());
  port_ = static_cast<uint16_t>(std::stoi(line.substr(listening.size())));
}

std::string OAuthServer::read_line(std::chrono::steady_clock::duration limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    // Lines without the prefix are oidc-provider's own notices: skipped.
    for (size_t end; (end = pending_.find('\n')) != std::string::npos;) {
      std::string line = pending_.substr(0, end);
      pending_.erase(0, end + 1);
      if (line.rfind(kLinePrefix, 0) == 0) return line.substr(std::string_view(kLinePrefix).size());
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) {
      throw std::runtime_error("OAuth server did not answer in time: " + log_tail());
    }
    pollfd p{.fd = stdout_fd_, .events = POLLIN, .revents = 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;  // the deadline check above ends it
    char buffer[4096];
    const ssize_t n = ::read(stdout_fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("OAuth server exited: " + log_tail());
    pending_.append(buffer, static_cast<size_t>(n));
  }
}

std::string OAuthServer::command(const std::string& line) {
  const std::string text = line + "\n";
  if (::write(stdin_fd_, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    throw std::runtime_error("OAuth server: cannot send `" + line + "`: " + log_tail());
  }
  std::string answer = read_line(kCommandLimit);
  if (answer.rfind("error", 0) == 0) throw std::runtime_error("OAuth server: " + answer);
  return answer;
}

void OAuthServer::set_fault(Fault fault) {
  switch (fault) {
    case Fault::None:
      command("fault none");
      return;
    case Fault::Status500:
      command("fault 500");
      return;
    case Fault::Garbage:
      command("fault garbage");
      return;
    case Fault::Hang:
      command("fault hang");
      return;
  }
}

void OAuthServer::set_delay(std::chrono::milliseconds delay) {
  command(delay.count() > 0 ? "fault delay " + std::to_string(delay.count()) : "fault none");
}

OAuthServer::Counts OAuthServer::counts() {
  const std::string answer = command("count");  // "count token=1 discovery=2 jwks=3"
  Counts counts;
  if (std::sscanf(answer.c_str(), "count token=%d discovery=%d jwks=%d", &counts.token,
                  &counts.discovery, &counts.jwks) != 3) {
    throw std::runtime_error("OAuth server: bad count answer `" + answer + "`");
  }
  return counts;
}

std::string OAuthServer::last_token_request() {
  const std::string answer = command("last");
  return answer.substr(std::min(answer.size(), std::string_view("last ").size()));
}

std::string OAuthServer::log_tail() const { return file_tail(dir_ / "server.log"); }

}  // namespace dps::test
