// Thin RAII layer over the SQLite C API used by every table file: a connection that caches its
// prepared statements, a statement lease that resets itself, and a transaction guard.
// Internal to the sqlite adapter: only src/store/sqlite and its tests include it.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace dps::store::sqlite {

/// Maps an SQLite result code to the Store error taxonomy: BUSY/LOCKED/IO/FULL/CANTOPEN are
/// Unavailable (retryable, 5.03/503), constraint violations are Conflict, anything else Internal.
/// `internal` carries `what` plus sqlite3_errmsg; `external` never names SQL or files.
Error to_error(sqlite3* db, int rc, std::string_view what);

/// A cached prepared statement on loan. The destructor resets it and clears its bindings so the
/// next user starts clean. Bind errors are kept and reported by the next step() (they are bugs,
/// not runtime conditions, but must not be lost). Parameter indexes are 1-based, columns 0-based.
/// Not thread-safe: used under the owning store's mutex only. Never hold two leases of one SQL
/// text at a time (they would share the same sqlite3_stmt).
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  void bind(int index, std::string_view text);
  void bind(int index, int64_t value);
  void bind_blob(int index, std::string_view bytes);
  void bind_null(int index);

  /// @return true when a row is available, false when the statement is done.
  [[nodiscard]] Result<bool> step();
  /// Steps until done, ignoring rows (INSERT/UPDATE/DELETE).
  [[nodiscard]] Result<void> run();

  std::string text(int column) const;
  std::string blob(int column) const;
  int64_t integer(int column) const;
  bool is_null(int column) const;

 private:
  void note_bind(int rc);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int bind_rc_ = SQLITE_OK;
};

/// Steps through every row of `stmt`, converting each with `read(const Statement&) -> Result<T>`.
template <class T, class Read>
[[nodiscard]] Result<std::vector<T>> collect(Statement& stmt, Read read) {
  std::vector<T> rows;
  for (;;) {
    auto row = stmt.step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return rows;
    auto value = read(static_cast<const Statement&>(stmt));
    if (!value) return tl::unexpected(value.error());
    rows.push_back(std::move(*value));
  }
}

/// One SQLite connection plus its statement cache. Movable, not copyable. Not thread-safe.
class Connection {
 public:
  /// Opens (creating if needed) the database file. Sets extended result codes.
  static Result<Connection> open(const std::filesystem::path& file);

  /// @param sql a named SQL constant; the prepared statement is cached by its text.
  [[nodiscard]] Result<Statement> prepare(std::string_view sql);
  /// Runs a script of one or more statements, uncached (migrations, PRAGMAs, BEGIN/COMMIT).
  [[nodiscard]] Result<void> exec(const std::string& script);

  /// Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t changes() const { return sqlite3_changes64(db_.get()); }
  /// Rows changed since the connection opened: lets a caller see whether a transaction wrote.
  int64_t total_changes() const { return sqlite3_total_changes64(db_.get()); }
  sqlite3* handle() const { return db_.get(); }

 private:
  struct CloseDb {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  struct Finalize {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
  };

  explicit Connection(sqlite3* db) : db_(db) {}

  // Declared after db_ so statements are finalized before the connection closes.
  std::unique_ptr<sqlite3, CloseDb> db_;
  std::map<std::string, std::unique_ptr<sqlite3_stmt, Finalize>, std::less<>> cache_;
};

/// Prepares `sql`, lets `bind(Statement&)` set its parameters, and converts every row with
/// `read(const Statement&) -> Result<T>`. The tables' list() in one place.
template <class T, class Bind, class Read>
[[nodiscard]] Result<std::vector<T>> query(Connection& db, std::string_view sql, Bind bind,
                                           Read read) {
  auto stmt = db.prepare(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  bind(*stmt);
  return collect<T>(*stmt, read);
}

/// Prepares `sql`, lets `bind(Statement&)` set its parameters, runs it: the rows it changed.
template <class Bind>
[[nodiscard]] Result<size_t> execute(Connection& db, std::string_view sql, Bind bind) {
  auto stmt = db.prepare(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  bind(*stmt);
  auto done = stmt->run();
  if (!done) return tl::unexpected(done.error());
  return static_cast<size_t>(db.changes());
}

/// BEGIN IMMEDIATE ... COMMIT guard; rolls back in the destructor unless committed.
/// IMMEDIATE takes the write lock up front, so contention shows up (after busy_timeout) at BEGIN,
/// before any work, instead of as an unretryable SQLITE_BUSY in the middle of the transaction.
class Transaction {
 public:
  [[nodiscard]] static Result<Transaction> begin(Connection& connection);
  Transaction(Transaction&& other) noexcept;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  [[nodiscard]] Result<void> commit();

 private:
  explicit Transaction(Connection& connection) : connection_(&connection) {}

  Connection* connection_;  // null once committed, rolled back or moved from
};

}  // namespace dps::store::sqlite
