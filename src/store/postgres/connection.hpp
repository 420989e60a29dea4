// Thin RAII layer over libpq used by every table file: typed parameters, a result wrapper, a
// connection that prepares and caches its statements, and a transaction guard.
// Internal to the postgres adapter: only src/store/postgres and its tests include it.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "store/owner_scope.hpp"
#include "store/postgres/postgres_options.hpp"

namespace dps::store::postgres {

/// Parameter types, as PostgreSQL type OIDs (catalog/pg_type_d.h is a server header; these values
/// are fixed). Statements are prepared with explicit types, so the server never guesses one.
enum class Type : Oid { Bool = 16, Bytea = 17, Int8 = 20, Text = 25, TextArray = 1009 };

/// The parameters of one statement, `$1` first. Values always travel out of band (never spliced
/// into SQL text). Text goes in binary format with its exact length: a string with an embedded NUL
/// is then refused by the server instead of being silently cut at the NUL, as a C-string parameter
/// would be. Bytea goes as raw bytes; numbers and booleans as their text forms.
class Params {
 public:
  Params& text(std::string_view value);
  Params& bytea(std::string_view value);
  Params& int8(int64_t value);
  Params& boolean(bool value);
  /// A `text[]` (array literal with every element quoted), or NULL for an empty list, which the
  /// WHERE clauses read as "this filter is not set".
  Params& text_array_or_null(const std::vector<std::string>& values);
  Params& null(Type type);
  /// An OwnerScope as one text parameter, which the WHERE clauses read as
  /// `($n IS NULL OR owner = $n)`: NULL for every owner, the owner otherwise (an empty owner then
  /// matches no row: none has one).
  Params& owner_scope(const OwnerScope& scope);

  struct Param {
    Type type;
    std::optional<std::string> value;  // nullopt = NULL
    bool binary;                       // wire format: binary (exact bytes) or text
  };
  const std::vector<Param>& items() const { return params_; }

 private:
  std::vector<Param> params_;
};

/// Builds the `text[]` input literal for `values`: `{"a","b \"quoted\""}`. Exposed for tests.
std::string text_array_literal(const std::vector<std::string>& values);

/// A successful statement's result (text format). Rows and columns are 0-based.
class QueryResult {
 public:
  explicit QueryResult(PGresult* result) : result_(result) {}

  int rows() const { return PQntuples(result_.get()); }
  bool is_null(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  std::string text(int row, int column) const;
  int64_t int8(int row, int column) const;
  bool boolean(int row, int column) const;
  /// Decodes the `\x...` hex text form of a bytea column.
  std::string bytea(int row, int column) const;
  /// Rows inserted, updated or deleted (0 for other statements).
  int64_t affected_rows() const;

 private:
  struct Clear {
    void operator()(PGresult* result) const { PQclear(result); }
  };
  std::unique_ptr<PGresult, Clear> result_;
};

/// Converts every row of `rows` with `read(const QueryResult&, int row) -> Result<T>`.
template <class T, class Read>
[[nodiscard]] Result<std::vector<T>> collect(const QueryResult& rows, Read read) {
  std::vector<T> out;
  out.reserve(static_cast<size_t>(rows.rows()));
  for (int row = 0; row < rows.rows(); ++row) {
    auto value = read(rows, row);
    if (!value) return tl::unexpected(value.error());
    out.push_back(std::move(*value));
  }
  return out;
}

/// Maps an SQLSTATE to the Store error taxonomy. `connection_ok` false (the connection broke) is
/// always Unavailable. Unavailable also covers every condition a retry can outlive: connection
/// exceptions (class 08), shutdown and startup (57P01..57P03), statement timeout (57014),
/// insufficient resources (class 53), serialization failures and deadlocks (40001, 40P01), lock
/// timeouts (55P03) and a read-only server (25006, e.g. a standby after a failover). Unique
/// violations (23505) are Conflict; anything else is Internal.
ErrorCode classify(std::string_view sqlstate, bool connection_ok);

/// True for the SQLSTATEs after which the session itself is suspect and must be replaced (the
/// server is shutting down, or we reached a read-only standby).
bool resets_connection(std::string_view sqlstate);

/// One libpq connection plus its prepared statements. Not thread-safe: a pool lease or the
/// listener owns it. Errors never contain the connection string or the password.
class Connection {
 public:
  /// Connects (blocking, bounded by options.connect_timeout) and sets the session up: UTF8 client
  /// encoding, statement_timeout, and synchronous_commit raised to `on` if the server default
  /// is `off` (a commit must be durable before dps answers). Unavailable when the server cannot
  /// be reached or refuses us; Internal for a malformed connection string.
  static Result<std::unique_ptr<Connection>> open(const PostgresOptions& options);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  /// Runs one statement, preparing it on first use (cached by its text, so pass named constants).
  /// The parameter types of the first call are the statement's types for good.
  [[nodiscard]] Result<QueryResult> exec(std::string_view sql, const Params& params = {});
  /// Runs a script of statements without parameters over the simple protocol (migrations,
  /// BEGIN/COMMIT, LISTEN).
  [[nodiscard]] Result<void> exec_script(const std::string& script);
  /// Runs BEGIN, `sql` once per element of `batch`, COMMIT as ONE pipeline: one round trip to the
  /// server however long the batch, and all or nothing. `batch` must not be empty.
  /// @return the rows each statement affected, in order.
  [[nodiscard]] Result<std::vector<int64_t>> exec_batch_in_transaction(
      std::string_view sql, std::span<const Params> batch);

  /// A non-blocking check that the connection is still usable for a new call: open, idle, not
  /// poisoned, and the server has not closed it in the meantime (e.g. it restarted; the close is
  /// only seen by reading what it sent).
  bool healthy();
  /// The cheap part of healthy(): not poisoned, open, idle (no transaction, no pipeline).
  bool reusable() const;
  /// Marks the connection as not reusable (its state is unknown); the owner drops it.
  void poison() { poisoned_ = true; }

  /// Rows inserted, updated or deleted through this connection so far: lets a caller see whether
  /// a transaction wrote anything.
  int64_t changes() const { return changes_; }
  PGconn* handle() const { return conn_.get(); }

  /// Turns a failed result (or, with `result` null, the connection's last error) into an Error.
  /// Poisons the connection when the error means it cannot be trusted any more.
  Error error(const PGresult* result, std::string_view what);

 private:
  struct Finish {
    void operator()(PGconn* conn) const { PQfinish(conn); }
  };

  Connection(PGconn* conn, std::vector<std::string> secrets);
  Result<std::string> prepare(std::string_view sql, const Params& params);
  /// Checks a result of a command or query; takes ownership of `result`.
  Result<QueryResult> check(PGresult* result, std::string_view what);
  std::string redact(std::string message) const;

  std::unique_ptr<PGconn, Finish> conn_;
  std::vector<std::string> secrets_;  // the connection string and password: never in a message
  std::map<std::string, std::string, std::less<>> prepared_;  // SQL text -> statement name
  int64_t changes_ = 0;
  bool poisoned_ = false;
};

/// BEGIN ... COMMIT guard; rolls back in the destructor unless committed (skipped when the
/// connection is already broken: the server has rolled back itself).
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

}  // namespace dps::store::postgres
