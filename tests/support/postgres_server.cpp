#include "postgres_server.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/file_lock.hpp"
#include "support/random_hex.hpp"

namespace dps::test {

namespace {

using namespace std::chrono_literals;

constexpr const char* kDefaultBinDir = "/usr/lib/postgresql/15/bin";
constexpr auto kStartupLimit = 60s;
constexpr auto kPollInterval = 20ms;  // between readiness probes, bounded by a deadline

struct FinishConn {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ClearResult {
  void operator()(PGresult* r) const { PQclear(r); }
};

uint16_t free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("could not find a free loopback port");
  return ntohs(address.sin_port);
}

/// Waits for `pid` to exit; false if it is still running at the deadline.
bool wait_for_exit(pid_t pid, std::chrono::steady_clock::duration limit, int* status = nullptr) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    int s = 0;
    const pid_t done = ::waitpid(pid, &s, WNOHANG);
    if (done == pid || (done < 0 && errno == ECHILD)) {
      if (status != nullptr) *status = s;
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

/// Runs a command as the current user and waits for it; true when it exits 0.
bool run_command(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return false;
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/// initdb costs about a second, and under ctest every test is a process of its own that would
/// pay it. ctest sets DPS_BUILD_DIR (tests/CMakeLists.txt), so the first cluster initdb makes
/// there is kept in the build directory as a template (data directory plus its password) and
/// later servers start from a copy (~0.1 s). Without DPS_BUILD_DIR every server runs initdb.
std::optional<std::filesystem::path> template_cache() {
  const char* build_dir = ::getenv("DPS_BUILD_DIR");
  if (build_dir == nullptr || !std::filesystem::is_directory(build_dir)) return std::nullopt;
  return std::filesystem::path(build_dir) / "postgres-15-template";
}

/// The state letter and the parent of `pid` (/proc/<pid>/stat); nullopt once it is gone.
struct ProcessStat {
  char state = '?';
  pid_t parent = 0;
};
std::optional<ProcessStat> process_stat(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so the last ')' ends it.
  const size_t end = line.rfind(')');
  if (end == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(end + 1));
  ProcessStat stat;
  if (!(rest >> stat.state >> stat.parent)) return std::nullopt;
  return stat;
}

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> children;
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc", ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    const auto stat = process_stat(pid);
    if (stat && stat->parent == parent) children.push_back(pid);
  }
  return children;
}

/// Waits until `pid` stands still: stopped ('T'), or gone or a zombie (nothing left to stop).
bool wait_until_stopped(pid_t pid, std::chrono::steady_clock::duration limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    const auto stat = process_stat(pid);
    if (!stat || stat->state == 'T' || stat->state == 'Z' || stat->state == 'X') return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
}

}  // namespace

PostgresServer::PostgresServer() {
  const char* bin_override = ::getenv("DPS_POSTGRES_BIN");
  bin_ = bin_override != nullptr ? bin_override : kDefaultBinDir;
  for (const char* tool : {"initdb", "postgres"}) {
    if (::access((bin_ / tool).c_str(), X_OK) != 0) {
      throw std::runtime_error("PostgreSQL 15 server binary " + (bin_ / tool).string() +
                               " not found: install postgresql-15 (scripts/install-deps.sh), or "
                               "point DPS_POSTGRES_BIN at a PostgreSQL 15 bin directory");
    }
  }
  if (::geteuid() == 0) {
    const passwd* user = ::getpwnam("postgres");
    if (user == nullptr) {
      throw std::runtime_error(
          "running as root, but there is no `postgres` user to run PostgreSQL as (the "
          "postgresql-15 package creates it)");
    }
    as_postgres_user_ = true;
    uid_ = user->pw_uid;
    gid_ = user->pw_gid;
  }

  std::string pattern = "/tmp/dps-pg-XXXXXX";  // short: the Unix socket path must fit 107 bytes
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  try {
    if (as_postgres_user_ && ::chown(dir_.c_str(), uid_, gid_) != 0) {
      throw std::runtime_error("chown " + dir_.string() + " failed");
    }
    const auto cache = template_cache();
    std::optional<FileLock> cache_lock;
    if (cache) cache_lock.emplace(cache->string() + ".lock");
    // `cp -a` keeps modes and owners (as root: the postgres user's).
    if (!cache || !std::filesystem::exists(*cache / "password") ||
        !run_command({"/bin/cp", "-a", (*cache / "data").string(), (dir_ / "data").string()})) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_ / "data", ignored);  // a partial copy, if any
      initdb();
      if (cache) {
        // Built beside the cache and renamed into place, so it is never seen half-written.
        const std::filesystem::path staging = cache->string() + ".staging";
        std::filesystem::remove_all(staging, ignored);
        std::filesystem::create_directories(staging);
        std::ofstream(staging / "password") << password_;
        ::chmod((staging / "password").c_str(), 0600);
        if (run_command({"/bin/cp", "-a", (dir_ / "data").string(), (staging / "data").string()})) {
          std::filesystem::remove_all(*cache, ignored);
          std::filesystem::rename(staging, *cache, ignored);
        }
        std::filesystem::remove_all(staging, ignored);
      }
    } else {
      std::ifstream(*cache / "password") >> password_;
    }
    cache_lock.reset();
    // The port comes from a socket we closed, so another process may take it before postgres
    // binds it: retry with a fresh port when that happens.
    for (int attempt = 1;; ++attempt) {
      port_ = free_loopback_port();
      try {
        start();
        break;
      } catch (const std::runtime_error&) {
        if (attempt == 5 || log_tail().find("could not bind") == std::string::npos) throw;
      }
    }
  } catch (...) {
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    throw;
  }
}

void PostgresServer::initdb() {
  password_ = random_hex(16);
  const std::filesystem::path pwfile = dir_ / "pwfile";
  std::ofstream(pwfile) << password_ << "\n";
  ::chmod(pwfile.c_str(), 0600);
  if (as_postgres_user_ && ::chown(pwfile.c_str(), uid_, gid_) != 0) {
    throw std::runtime_error("chown " + pwfile.string() + " failed");
  }
  // --no-sync only skips initdb's own final fsync of a directory we throw away; the server
  // itself runs with fsync=on.
  const pid_t pid = spawn({(bin_ / "initdb").string(), "-D", (dir_ / "data").string(), "-U",
                           "postgres", "--auth=scram-sha-256", "--pwfile=" + pwfile.string(), "-E",
                           "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"});
  int status = 0;
  if (!wait_for_exit(pid, kStartupLimit, &status)) {
    ::kill(pid, SIGKILL);
    wait_for_exit(pid, 10s);
    throw std::runtime_error("initdb timed out: " + log_tail());
  }
  std::filesystem::remove(pwfile);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("initdb failed: " + log_tail());
  }
}

PostgresServer::~PostgresServer() {
  try {
    stop();
  } catch (...) {  // a destructor must not throw; stop() only throws on fork-level failures
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

pid_t PostgresServer::spawn(const std::vector<std::string>& args) const {
  // Everything the child needs is prepared here: between fork and exec only async-signal-safe
  // calls are allowed (the test binary has other threads).
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  static const char* const kEnv[] = {"PATH=/usr/bin:/bin", "LANG=C.UTF-8", nullptr};
  const std::string log = (dir_ / "postgres.log").string();
  const std::string cwd = dir_.string();
  const pid_t parent = ::getpid();
  const bool drop_privileges = as_postgres_user_;
  const uid_t uid = uid_;
  const gid_t gid = gid_;

  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    if (drop_privileges &&
        (::setgroups(1, &gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)) {
      ::_exit(126);
    }
    // After setuid, which clears it. SIGQUIT is postgres's immediate shutdown: if the test
    // binary dies without running destructors, its server goes with it.
    ::prctl(PR_SET_PDEATHSIG, SIGQUIT);
    if (::getppid() != parent) ::_exit(126);  // the parent died before prctl
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    const int in = ::open("/dev/null", O_RDONLY);
    if (out < 0 || in < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0) {
      ::_exit(126);
    }
    // Do not let the server inherit the test's sockets (e.g. a libpq connection to it).
    ::close_range(3, ~0U, 0);
    if (::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), const_cast<char* const*>(kEnv));
    ::_exit(127);
  }
  return pid;
}

void PostgresServer::start() {
  if (running()) return;
  pid_ = spawn({(bin_ / "postgres").string(), "-D", (dir_ / "data").string(), "-p",
                std::to_string(port_), "-k", dir_.string(), "-c", "listen_addresses=127.0.0.1",
                "-c", "fsync=on", "-c", "shared_buffers=16MB", "-c", "max_connections=100"});
  wait_until_ready(kStartupLimit);
}

void PostgresServer::wait_until_ready(std::chrono::seconds limit) {
  const std::string conninfo =
      "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=postgres connect_timeout=2";
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("postgres exited during startup: " + log_tail());
    }
    if (PQping(conninfo.c_str()) == PQPING_OK) return;
    if (std::chrono::steady_clock::now() >= deadline) {
      stop();
      throw std::runtime_error("postgres did not accept connections in time: " + log_tail());
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

void PostgresServer::pause() {
  if (!running() || paused()) return;
  // A process of its own resumes the server if this one dies while it is paused (a crash, a
  // kill at a test timeout): a stopped postmaster would not even act on its PR_SET_PDEATHSIG,
  // and the frozen server would outlive the test. It learns of each process before it is stopped
  // and sends SIGCONT to them all once its end of the socket pair reads EOF: when resume() closes
  // ours or this process exits, however it exits. A socket, not a pipe: MSG_NOSIGNAL spares this
  // process a SIGPIPE should the watchdog be gone.
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
    throw std::runtime_error("socketpair failed");
  }
  const pid_t watchdog = ::fork();
  if (watchdog < 0) {
    ::close(ends[0]);
    ::close(ends[1]);
    throw std::runtime_error("fork failed");
  }
  if (watchdog == 0) {
    // Only async-signal-safe calls from here (the test binary has other threads). Keyboard and
    // termination signals aimed at the test's process group must not end it before its work:
    // it exits by itself as soon as the test process is gone.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) ::sigaction(sig, &ignore, nullptr);
    // Only its end of the pair stays open, as fd 0: nothing else of the test's is held open.
    if (::dup2(ends[1], 0) < 0) ::_exit(126);
    ::close_range(1, ~0U, 0);
    pid_t pids[1024];
    char discard[64];
    size_t bytes = 0;
    for (;;) {
      const size_t room = sizeof(pids) - bytes;
      const ssize_t n = room > 0 ? ::read(0, reinterpret_cast<char*>(pids) + bytes, room)
                                 : ::read(0, discard, sizeof(discard));
      if (n > 0) {
        if (room > 0) bytes += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      break;  // EOF (or an error): resume now
    }
    for (size_t i = 0; i < bytes / sizeof(pid_t); ++i) ::kill(pids[i], SIGCONT);
    ::_exit(0);
  }
  ::close(ends[1]);
  watchdog_ = watchdog;
  watchdog_socket_ = ends[0];

  const auto freeze = [this](pid_t pid) {
    if (::send(watchdog_socket_, &pid, sizeof(pid), MSG_NOSIGNAL) != sizeof(pid)) {
      throw std::runtime_error("the postgres pause watchdog is gone");
    }
    if (::kill(pid, SIGSTOP) == 0) stopped_.push_back(pid);
  };
  try {
    // The postmaster first, and until it stands still: it forks every other server process, so
    // its children are then a fixed set.
    freeze(pid_);
    if (!wait_until_stopped(pid_, 10s)) throw std::runtime_error("postmaster did not stop");
    for (const pid_t child : children_of(pid_)) freeze(child);
    for (const pid_t pid : stopped_) {
      if (!wait_until_stopped(pid, 10s)) {
        throw std::runtime_error("postgres process " + std::to_string(pid) + " did not stop");
      }
    }
  } catch (...) {
    resume();
    throw;
  }
}

void PostgresServer::resume() {
  for (const pid_t pid : stopped_) ::kill(pid, SIGCONT);
  stopped_.clear();
  end_watchdog();
}

void PostgresServer::end_watchdog() {
  if (watchdog_socket_ >= 0) ::close(watchdog_socket_);  // EOF: it resumes what it knows, and exits
  watchdog_socket_ = -1;
  if (watchdog_ < 0) return;
  if (!wait_for_exit(watchdog_, 10s)) {
    ::kill(watchdog_, SIGKILL);
    ::waitpid(watchdog_, nullptr, 0);
  }
  watchdog_ = -1;
}

void PostgresServer::stop() {
  resume();  // a stopped postmaster would not act on the shutdown signal
  if (!running()) return;
  // SIGINT = fast shutdown: sessions are disconnected and the postmaster exits after them, so
  // once it is gone no server process is left. Escalate if it hangs.
  ::kill(pid_, SIGINT);
  if (!wait_for_exit(pid_, 60s)) {
    ::kill(pid_, SIGQUIT);
    if (!wait_for_exit(pid_, 10s)) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_ = -1;
}

std::string PostgresServer::uri(const std::string& database) const {
  return "postgresql://postgres:" + password_ + "@127.0.0.1:" + std::to_string(port_) + "/" +
         database;
}

std::string PostgresServer::create_database(const std::string& name) {
  if (name.empty() ||
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
    throw std::runtime_error("bad test database name: " + name);
  }
  query("postgres", "CREATE DATABASE " + name);
  return uri(name);
}

std::string PostgresServer::query(const std::string& database, const std::string& sql) const {
  std::unique_ptr<PGconn, FinishConn> conn(PQconnectdb(uri(database).c_str()));
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error("connect to test database " + database + ": " +
                             PQerrorMessage(conn.get()));
  }
  std::unique_ptr<PGresult, ClearResult> result(PQexec(conn.get(), sql.c_str()));
  const ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error("test query `" + sql + "`: " + PQerrorMessage(conn.get()));
  }
  if (PQntuples(result.get()) == 0 || PQnfields(result.get()) == 0) return {};
  return PQgetvalue(result.get(), 0, 0);
}

std::string PostgresServer::log_tail() const {
  std::ifstream in(dir_ / "postgres.log");
  std::stringstream all;
  all << in.rdbuf();
  std::string text = all.str();
  constexpr size_t kTail = 2000;
  if (text.size() > kTail) text = "..." + text.substr(text.size() - kTail);
  return text.empty() ? "(no log output)" : text;
}

PostgresServer& shared_postgres_server() {
  static PostgresServer server;
  return server;
}

}  // namespace dps::test
