// A throw-away PostgreSQL 15 server for tests: its own data directory under /tmp, loopback only,
// on a free port, password authentication. Failures here are test-setup failures, so this throws
// std::runtime_error (GoogleTest reports it) instead of returning Result. Missing PostgreSQL
// binaries are such a failure, never a skip: scripts/install-deps.sh installs postgresql-15.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace dps::test {

class PostgresServer {
 public:
  /// Runs initdb in a fresh temporary directory (or, under ctest, copies a cluster initdb made
  /// earlier: see template_cache() in the .cpp) and starts the server; returns once it accepts
  /// connections. As root, initdb and postgres run as the `postgres` user (PostgreSQL refuses
  /// root) and the directory is handed to it. The server dies with the thread that started it
  /// (PR_SET_PDEATHSIG), so even a crashed test binary leaves no postgres behind.
  PostgresServer();
  /// Stops the server (if running) and removes the directory.
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  /// Fast shutdown (SIGINT: sessions are disconnected), waiting until every server process has
  /// exited. No-op when stopped.
  void stop();
  /// Starts the server again on the same data directory and port; returns once it accepts
  /// connections. No-op when running.
  void start();
  bool running() const { return pid_ > 0; }

  /// Freezes the running server as a hung database host would, closing nothing: SIGSTOP to the
  /// postmaster, then to every process it forked (the backends behind established sessions, the
  /// background workers); returns once all of them are stopped. Queries on open sessions and new
  /// connections then wait instead of failing. A watchdog process resumes the server should this
  /// process die before resume(). No-op when stopped or already paused. Prefer PostgresPause.
  void pause();
  /// SIGCONT to every process pause() stopped. No-op when not paused; stop() calls it.
  void resume();
  bool paused() const { return !stopped_.empty(); }

  uint16_t port() const { return port_; }
  const std::string& password() const { return password_; }
  /// `postgresql://postgres:<password>@127.0.0.1:<port>/<database>`
  std::string uri(const std::string& database) const;

  /// CREATE DATABASE `name` (lowercase letters, digits and `_` only); returns its URI.
  std::string create_database(const std::string& name);
  /// Runs `sql` on `database` as the superuser; returns the first column of the first row ("" if
  /// there is none or it is NULL). Throws with the server's message on error.
  std::string query(const std::string& database, const std::string& sql) const;

 private:
  void initdb();
  pid_t spawn(const std::vector<std::string>& argv) const;
  void launch();
  void wait_until_ready(std::chrono::seconds limit);
  std::string log_tail() const;
  void end_watchdog();

  std::filesystem::path dir_;  // data/, the Unix socket, postgres.log
  std::filesystem::path bin_;
  std::string password_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  bool as_postgres_user_ = false;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  std::vector<pid_t> stopped_;  // by pause(), postmaster first
  pid_t watchdog_ = -1;         // sends SIGCONT to them once its end of the socket reads EOF
  int watchdog_socket_ = -1;    // our end: the pids go through it, closing it resumes
};

/// The server paused for this object's lifetime: resume() on every way out of a scope, a failed
/// ASSERT or an exception included, so a failing test never leaves a frozen server behind.
class PostgresPause {
 public:
  explicit PostgresPause(PostgresServer& server) : server_(server) { server_.pause(); }
  ~PostgresPause() { server_.resume(); }
  PostgresPause(const PostgresPause&) = delete;
  PostgresPause& operator=(const PostgresPause&) = delete;

 private:
  PostgresServer& server_;
};

/// One server per test binary, started on first use and stopped at exit.
PostgresServer& shared_postgres_server();

}  // namespace dps::test
